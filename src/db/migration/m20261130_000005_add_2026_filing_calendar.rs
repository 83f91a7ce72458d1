//! The STA's official 2026 filing deadlines (税总办征科函〔2025〕64号). They equal what the
//! provisional rule computed from the 2026 holidays (国办发明电〔2025〕7号), so filings already
//! stored with those dates lose their "provisional" mark.

use sea_orm_migration::prelude::*;

use super::portable;
use crate::domain::tax_calendar::{SOURCE_2026, builtin_official_2026};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000005_add_2026_filing_calendar"
    }
}

const WRITTEN_AT: &str = "2026-11-30T00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = Vec::new();
        for (year, month, deadline) in builtin_official_2026() {
            // An admin may already have entered the year by hand: theirs stays.
            statements.push(format!(
                "INSERT INTO filing_calendar (year, month, deadline, region, source, created_at, updated_at) \
                 SELECT {year}, {month}, '{deadline}', '', '{SOURCE_2026}', '{WRITTEN_AT}', '{WRITTEN_AT}' \
                 WHERE NOT EXISTS (SELECT 1 FROM filing_calendar \
                                   WHERE year = {year} AND month = {month} AND region = '')"
            ));
            statements.push(format!(
                "UPDATE tax_filing SET due_provisional = FALSE \
                 WHERE due_provisional = TRUE AND due_date = '{deadline}'"
            ));
        }
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        portable::execute_all(manager, &refs).await
    }
}
