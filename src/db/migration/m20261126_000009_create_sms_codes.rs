//! Creates `sms_code`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000009_create_sms_codes"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE sms_code (
    id {ID},
    firm_id BIGINT NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('bind_employee')),
    code_hash TEXT NOT NULL,
    expires_at {TS} NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at {TS},
    burned_at {TS},
    created_at {TS} NOT NULL,
    CONSTRAINT fk_sms_code_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE INDEX ix_sms_code_phone_created_at ON sms_code (phone, created_at)"#,
    r#"CREATE INDEX ix_sms_code_firm_id_phone_created_at ON sms_code (firm_id, phone, created_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
