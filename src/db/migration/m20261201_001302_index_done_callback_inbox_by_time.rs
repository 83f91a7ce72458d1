//! Indexes the inbox's done rows by when they were processed, for the retention purge.
//!
//! The purge deletes done rows older than the retention period in batches. Through the status
//! index each batch walked done rows in key order, checking each row's time in the table, and the
//! last batch walked every done row still kept (a month of events) to find none; on SQLite inside
//! a DELETE, holding the one write lock while callbacks wait. The index is partial: rows enter it
//! only when the event worker marks them done, so intake pays nothing for it.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_001302_index_done_callback_inbox_by_time"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &["CREATE INDEX ix_callback_inbox_done_processed_at \
               ON callback_inbox (processed_at) WHERE status = 'done'"],
        )
        .await
    }
}
