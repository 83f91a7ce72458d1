//! Gives the stored legal holidays their names (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节)
//! instead of the generic 法定节假日 they were seeded with, so a 顺延 deadline can say which
//! holiday moved it. Only rows still carrying the generic name change: a name set in the back
//! office stays.

use chrono::Datelike;
use sea_orm_migration::prelude::*;

use super::portable;
use crate::domain::tax_calendar::builtin_holiday_names;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_001001_name_holidays"
    }
}

/// The years the holiday seed inserted.
const FIRST_YEAR: i32 = 2023;
const LAST_YEAR: i32 = 2026;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: Vec<String> = builtin_holiday_names()
            .into_iter()
            .filter(|(first, last, _)| {
                (FIRST_YEAR..=LAST_YEAR).contains(&first.year())
                    || (FIRST_YEAR..=LAST_YEAR).contains(&last.year())
            })
            .map(|(first, last, name)| {
                format!(
                    "UPDATE holiday SET name = '{name}' WHERE kind = 'holiday' \
                     AND day >= '{first}' AND day <= '{last}' AND name = '法定节假日'"
                )
            })
            .collect();
        let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
        portable::execute_all(manager, &refs).await
    }
}
