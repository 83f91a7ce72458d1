//! Creates `wecom_member`, `wecom_external_contact`, `contact`, `external_follow`, `wecom_group_chat`, `group_chat_member`, `customer_external_link`, `customer_group_link`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000003_create_wecom_mirror_and_contacts"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE wecom_member (
    id {ID},
    firm_id BIGINT NOT NULL,
    userid TEXT NOT NULL,
    name TEXT NOT NULL,
    alias TEXT,
    position TEXT,
    department_ids {JSON},
    avatar TEXT,
    status INTEGER NOT NULL DEFAULT 1,
    is_follow_user BOOLEAN NOT NULL DEFAULT FALSE,
    synced_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_wecom_member_firm_id_userid UNIQUE (firm_id, userid),
    CONSTRAINT fk_wecom_member_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE TABLE wecom_external_contact (
    id {ID},
    firm_id BIGINT NOT NULL,
    external_userid TEXT NOT NULL,
    name TEXT NOT NULL,
    contact_type INTEGER NOT NULL DEFAULT 1,
    gender INTEGER NOT NULL DEFAULT 0,
    corp_name TEXT,
    corp_full_name TEXT,
    unionid TEXT,
    avatar TEXT,
    position TEXT,
    synced_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_wecom_external_contact_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT uq_wecom_external_contact_firm_id_external_userid UNIQUE (firm_id, external_userid),
    CONSTRAINT fk_wecom_external_contact_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE TABLE contact (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'other' CHECK (role IN ('boss', 'finance', 'cashier', 'legal_rep', 'other')),
    mobile TEXT,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    external_contact_id BIGINT,
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_contact_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_contact_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_contact_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_contact_external_contact_id FOREIGN KEY (firm_id, external_contact_id) REFERENCES wecom_external_contact (firm_id, id)
)"#,
    r#"CREATE INDEX ix_contact_firm_id_customer_id ON contact (firm_id, customer_id)"#,
    r#"CREATE INDEX ix_contact_firm_id_external_contact_id ON contact (firm_id, external_contact_id)"#,
    r#"CREATE TABLE external_follow (
    id {ID},
    firm_id BIGINT NOT NULL,
    external_contact_id BIGINT NOT NULL,
    userid TEXT NOT NULL,
    remark TEXT,
    description TEXT,
    remark_corp_name TEXT,
    remark_mobiles {JSON},
    add_way INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    add_time {TS},
    tag_ids {JSON},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_external_follow_firm_id_external_contact_id_userid UNIQUE (firm_id, external_contact_id, userid),
    CONSTRAINT fk_external_follow_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_external_follow_external_contact_id FOREIGN KEY (firm_id, external_contact_id) REFERENCES wecom_external_contact (firm_id, id)
)"#,
    r#"CREATE INDEX ix_external_follow_firm_id_userid ON external_follow (firm_id, userid)"#,
    r#"CREATE TABLE wecom_group_chat (
    id {ID},
    firm_id BIGINT NOT NULL,
    chat_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    owner_userid TEXT,
    notice TEXT,
    member_count INTEGER NOT NULL DEFAULT 0,
    create_time {TS},
    status INTEGER NOT NULL DEFAULT 0,
    dismissed_at {TS},
    synced_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_wecom_group_chat_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT uq_wecom_group_chat_firm_id_chat_id UNIQUE (firm_id, chat_id),
    CONSTRAINT fk_wecom_group_chat_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE INDEX ix_wecom_group_chat_firm_id_owner_userid ON wecom_group_chat (firm_id, owner_userid)"#,
    r#"CREATE TABLE group_chat_member (
    id {ID},
    firm_id BIGINT NOT NULL,
    group_chat_id BIGINT NOT NULL,
    member_id TEXT NOT NULL,
    member_type INTEGER NOT NULL,
    unionid TEXT,
    name TEXT,
    group_nickname TEXT,
    join_time {TS},
    join_scene INTEGER,
    invitor_userid TEXT,
    left_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_group_chat_member_firm_id_group_chat_id_member_id UNIQUE (firm_id, group_chat_id, member_id),
    CONSTRAINT fk_group_chat_member_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_group_chat_member_group_chat_id FOREIGN KEY (firm_id, group_chat_id) REFERENCES wecom_group_chat (firm_id, id)
)"#,
    r#"CREATE INDEX ix_group_chat_member_firm_id_member_id ON group_chat_member (firm_id, member_id)"#,
    r#"CREATE TABLE customer_external_link (
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    external_contact_id BIGINT NOT NULL,
    contact_id BIGINT,
    created_by BIGINT,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, customer_id, external_contact_id),
    CONSTRAINT fk_customer_external_link_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_customer_external_link_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_customer_external_link_external_contact_id FOREIGN KEY (firm_id, external_contact_id) REFERENCES wecom_external_contact (firm_id, id),
    CONSTRAINT fk_customer_external_link_contact_id FOREIGN KEY (firm_id, contact_id) REFERENCES contact (firm_id, id),
    CONSTRAINT fk_customer_external_link_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_customer_external_link_firm_id_external_contact_id ON customer_external_link (firm_id, external_contact_id)"#,
    r#"CREATE TABLE customer_group_link (
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    group_chat_id BIGINT NOT NULL,
    created_by BIGINT,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, customer_id, group_chat_id),
    CONSTRAINT fk_customer_group_link_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_customer_group_link_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_customer_group_link_group_chat_id FOREIGN KEY (firm_id, group_chat_id) REFERENCES wecom_group_chat (firm_id, id),
    CONSTRAINT fk_customer_group_link_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_customer_group_link_firm_id_group_chat_id ON customer_group_link (firm_id, group_chat_id)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
