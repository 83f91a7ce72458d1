//! Creates `firm`, `wecom_app`, `employee`, `employee_permission`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000001_create_firms_and_employees"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE firm (
    id {ID},
    corp_id TEXT NOT NULL,
    name TEXT NOT NULL,
    uscc TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    settings {JSON},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_firm_corp_id UNIQUE (corp_id)
)"#,
    r#"CREATE TABLE wecom_app (
    id {ID},
    firm_id BIGINT NOT NULL,
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'self_built' CHECK (kind IN ('self_built', 'third_party')),
    name TEXT NOT NULL DEFAULT '',
    suite_id TEXT,
    secret_enc TEXT,
    token_enc TEXT,
    encoding_aes_key_enc TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_wecom_app_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_wecom_app_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE UNIQUE INDEX ux_wecom_app_firm_id_agent_id ON wecom_app (firm_id, agent_id) WHERE deleted_at IS NULL"#,
    r#"CREATE INDEX ix_wecom_app_firm_id_is_primary ON wecom_app (firm_id, is_primary)"#,
    r#"CREATE TABLE employee (
    id {ID},
    firm_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    mobile TEXT,
    wecom_userid TEXT,
    role TEXT NOT NULL DEFAULT 'staff' CHECK (role IN ('super_admin', 'admin', 'staff')),
    department_ids {JSON},
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'left')),
    bound_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_employee_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_employee_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE UNIQUE INDEX ux_employee_firm_id_wecom_userid ON employee (firm_id, wecom_userid) WHERE deleted_at IS NULL AND wecom_userid IS NOT NULL"#,
    r#"CREATE UNIQUE INDEX ux_employee_firm_id_mobile ON employee (firm_id, mobile) WHERE deleted_at IS NULL AND mobile IS NOT NULL"#,
    r#"CREATE TABLE employee_permission (
    firm_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    perm_code TEXT NOT NULL,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, employee_id, perm_code),
    CONSTRAINT fk_employee_permission_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_employee_permission_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id)
)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
