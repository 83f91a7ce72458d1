//! Adds who asked for each SMS code (`requested_by`: the WeCom member) and from where (`ip`), so
//! the daily limits per member and per address can be checked.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000002_add_sms_code_requester"
    }
}

const STATEMENTS: &[&str] = &[
    r#"ALTER TABLE sms_code ADD COLUMN requested_by TEXT"#,
    r#"ALTER TABLE sms_code ADD COLUMN ip TEXT"#,
    r#"CREATE INDEX ix_sms_code_requested_by_created_at ON sms_code (requested_by, created_at)"#,
    r#"CREATE INDEX ix_sms_code_ip_created_at ON sms_code (ip, created_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
