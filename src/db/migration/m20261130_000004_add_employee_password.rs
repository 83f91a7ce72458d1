//! Adds back-office passwords to `employee`: an argon2 hash, and the count of wrong passwords
//! since the last success with the time the account stays locked after five of them.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000004_add_employee_password"
    }
}

const STATEMENTS: &[&str] = &[
    r#"ALTER TABLE employee ADD COLUMN password_hash TEXT"#,
    r#"ALTER TABLE employee ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0"#,
    r#"ALTER TABLE employee ADD COLUMN locked_until {TS}"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
