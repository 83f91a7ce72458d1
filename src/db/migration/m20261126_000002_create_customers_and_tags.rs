//! Creates `customer`, `customer_staff`, `tag_group`, `tag`, `customer_tag`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000002_create_customers_and_tags"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE customer (
    id {ID},
    firm_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    short_name TEXT,
    uscc TEXT,
    taxpayer_type TEXT NOT NULL CHECK (taxpayer_type IN ('small_scale', 'general')),
    vat_period TEXT NOT NULL CHECK (vat_period IN ('month', 'quarter')),
    cit_period TEXT NOT NULL DEFAULT 'quarter' CHECK (cit_period IN ('month', 'quarter')),
    is_small_micro BOOLEAN NOT NULL DEFAULT TRUE,
    city_tax_level INTEGER NOT NULL DEFAULT 7,
    accounting_standard TEXT NOT NULL DEFAULT 'small_enterprise',
    industry TEXT,
    legal_rep TEXT,
    region TEXT,
    address TEXT,
    service_status TEXT NOT NULL DEFAULT 'serving' CHECK (service_status IN ('serving', 'paused', 'expired', 'lost')),
    service_start TEXT,
    account_manager_id BIGINT,
    bookkeeper_id BIGINT,
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_customer_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_customer_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_customer_account_manager_id FOREIGN KEY (firm_id, account_manager_id) REFERENCES employee (firm_id, id),
    CONSTRAINT fk_customer_bookkeeper_id FOREIGN KEY (firm_id, bookkeeper_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE UNIQUE INDEX ux_customer_firm_id_uscc ON customer (firm_id, uscc) WHERE deleted_at IS NULL AND uscc IS NOT NULL"#,
    r#"CREATE INDEX ix_customer_firm_id_name ON customer (firm_id, name)"#,
    r#"CREATE INDEX ix_customer_firm_id_account_manager_id ON customer (firm_id, account_manager_id)"#,
    r#"CREATE INDEX ix_customer_firm_id_service_status ON customer (firm_id, service_status)"#,
    r#"CREATE TABLE customer_staff (
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('account_manager', 'bookkeeper', 'reviewer', 'field_agent')),
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, customer_id, employee_id, role),
    CONSTRAINT fk_customer_staff_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_customer_staff_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_customer_staff_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_customer_staff_firm_id_employee_id ON customer_staff (firm_id, employee_id)"#,
    r#"CREATE TABLE tag_group (
    id {ID},
    firm_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    wecom_group_id TEXT,
    sort INTEGER NOT NULL DEFAULT 0,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_tag_group_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_tag_group_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE UNIQUE INDEX ux_tag_group_firm_id_name ON tag_group (firm_id, name) WHERE deleted_at IS NULL"#,
    r#"CREATE TABLE tag (
    id {ID},
    firm_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    wecom_tag_id TEXT,
    sort INTEGER NOT NULL DEFAULT 0,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_tag_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_tag_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_tag_group_id FOREIGN KEY (firm_id, group_id) REFERENCES tag_group (firm_id, id)
)"#,
    r#"CREATE UNIQUE INDEX ux_tag_firm_id_group_id_name ON tag (firm_id, group_id, name) WHERE deleted_at IS NULL"#,
    r#"CREATE INDEX ix_tag_firm_id_wecom_tag_id ON tag (firm_id, wecom_tag_id)"#,
    r#"CREATE TABLE customer_tag (
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    tag_id BIGINT NOT NULL,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, customer_id, tag_id),
    CONSTRAINT fk_customer_tag_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_customer_tag_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_customer_tag_tag_id FOREIGN KEY (firm_id, tag_id) REFERENCES tag (firm_id, id)
)"#,
    r#"CREATE INDEX ix_customer_tag_firm_id_tag_id ON customer_tag (firm_id, tag_id)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
