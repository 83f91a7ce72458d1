//! Adds the firm's own `external_id` to `missing_invoice`, unique per firm, so the bookkeeping
//! system can push the documents its accountants found missing and upsert them nightly.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000801_add_missing_invoice_external_id"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &[
                "ALTER TABLE missing_invoice ADD COLUMN external_id TEXT",
                "CREATE UNIQUE INDEX ux_missing_invoice_firm_id_external_id \
                 ON missing_invoice (firm_id, external_id)",
            ],
        )
        .await
    }
}
