//! Indexes the inbox's open events by firm: `(status, firm_id, id)` in place of `(status, id)`.
//!
//! The event worker claims a firm's oldest due event. With `(status, id)` the claim walked the
//! pending rows of every firm in id order to find one of the firm's, and after a firm's app
//! failed (a missing secret, WeCom unreachable) each claim for the other firms walked that firm's
//! whole backlog, on SQLite inside an UPDATE that holds the one write lock: 45–55 ms at 145,000
//! pending rows, every two seconds, with every callback's commit waiting behind it. With the firm
//! in the key a claim reads a few index entries. Intake appends at the end of its firm's range as
//! it appended at the end of the status's, so inserts cost the same; the back office's per-firm
//! counts of waiting and parked events read only the firm's entries too.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_001301_index_callback_inbox_by_firm"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &[
                "DROP INDEX ix_callback_inbox_status_id",
                "CREATE INDEX ix_callback_inbox_status_firm_id_id \
                 ON callback_inbox (status, firm_id, id)",
            ],
        )
        .await
    }
}
