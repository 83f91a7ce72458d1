//! Adds `external_id` — the firm's own id for a row, as its bookkeeping system knows it — to every
//! table the REST API writes, unique per firm, so a nightly push can upsert by it.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000007_add_external_ids"
    }
}

/// The tables the API writes; `external_id` is NULL for rows made in zhangfang or by the seed.
pub const TABLES: &[&str] = &[
    "customer",
    "contact",
    "service_contract",
    "receivable",
    "payment",
    "invoice",
    "invoice_collection",
    "tax_filing",
    "financial_report",
    "tag",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = Vec::new();
        for table in TABLES {
            statements.push(format!("ALTER TABLE {table} ADD COLUMN external_id TEXT"));
            // NULLs are distinct on both databases, so rows without an external id never clash.
            statements.push(format!(
                "CREATE UNIQUE INDEX ux_{table}_firm_id_external_id ON {table} (firm_id, external_id)"
            ));
        }
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        portable::execute_all(manager, &refs).await
    }
}
