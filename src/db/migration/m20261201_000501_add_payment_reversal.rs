//! Adds the reversal of a mistaken payment confirmation to `payment`: when, by whom and why. A
//! reversed payment stays in the history; its allocations are removed and its receipt voided.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000501_add_payment_reversal"
    }
}

const STATEMENTS: &[&str] = &[
    r#"ALTER TABLE payment ADD COLUMN reversed_at {TS}"#,
    r#"ALTER TABLE payment ADD COLUMN reversed_by BIGINT"#,
    r#"ALTER TABLE payment ADD COLUMN reversal_reason TEXT"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
