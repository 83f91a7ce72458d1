//! Indexes the send log by firm and time, for 沟通记录: the back office lists a firm's sends
//! newest first, across customers, which the per-customer indexes do not serve.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000101_index_message_log_by_time"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &["CREATE INDEX ix_message_log_firm_id_sent_at ON message_log (firm_id, sent_at)"],
        )
        .await
    }
}
