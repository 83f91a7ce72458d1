//! Indexes a customer's filings by status and due date. The customer panel counts the filings
//! due soon for one customer; without this index SQLite walked every overdue or pending filing of
//! the firm (hundreds at profile L, each a table lookup) to find that customer's few.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_001101_add_tax_filing_customer_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(
            manager,
            &[
                "CREATE INDEX ix_tax_filing_firm_id_customer_id_status_due_date \
               ON tax_filing (firm_id, customer_id, status, due_date)",
            ],
        )
        .await
    }
}
