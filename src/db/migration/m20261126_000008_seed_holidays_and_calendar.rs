//! Reference data every installation needs: legal holidays with their adjusted working days
//! (调休) for 2024–2026, and the State Taxation Administration's official 2024 filing deadlines.
//!
//! The data comes from `domain::tax_calendar` (sources cited there). This migration inserts only
//! the years it was written for, so appending later years to those tables never changes what it
//! does; later years arrive in their own migrations or through the back office. Until a month has
//! an official deadline it is computed and marked provisional.

use chrono::Datelike;
use sea_orm_migration::prelude::*;

use super::portable;
use crate::domain::tax_calendar::{DayKind, builtin_holidays, builtin_official_2024};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000008_seed_holidays_and_calendar"
    }
}

const FIRST_YEAR: i32 = 2023;
const LAST_YEAR: i32 = 2026;
const SOURCE_2024: &str = "国家税务总局2024年征期日历";
const WRITTEN_AT: &str = "2026-11-26T00:00:00+00:00";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = Vec::new();
        for (day, kind) in builtin_holidays() {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
                continue;
            }
            let (kind, name) = match kind {
                DayKind::Holiday => ("holiday", "法定节假日"),
                DayKind::Workday => ("workday", "调休上班"),
            };
            statements.push(format!(
                "INSERT INTO holiday (day, kind, name) VALUES ('{day}', '{kind}', '{name}')"
            ));
        }
        for (year, month, deadline) in builtin_official_2024() {
            statements.push(format!(
                "INSERT INTO filing_calendar (year, month, deadline, region, source, created_at, updated_at) \
                 VALUES ({year}, {month}, '{deadline}', '', '{SOURCE_2024}', '{WRITTEN_AT}', '{WRITTEN_AT}')"
            ));
        }
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        portable::execute_all(manager, &refs).await
    }
}
