//! Filing deadlines from the stored calendar: the tax bureau's official 征期日历 where a month has
//! one, otherwise a provisional date computed from the stored holidays (domain::tax_calendar).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::Database;
use crate::db::entities::{filing_calendar, holiday};
use crate::domain::period::Period;
use crate::domain::tax_calendar::{
    self, DayKind, Deadline, HolidayTable, OfficialCalendar, Postponement,
};
use crate::error::AppResult;

/// The national calendar as stored (regional overrides are not used yet).
pub struct Calendar {
    pub holidays: HolidayTable,
    pub official: OfficialCalendar,
    /// Each stored holiday's name (春节, 国庆节 …), to say why a deadline moved.
    pub names: BTreeMap<NaiveDate, String>,
}

impl Calendar {
    /// The deadline of filings due in `filing_month` (e.g. 2026-02 for January's VAT).
    pub fn deadline(&self, filing_month: Period) -> Deadline {
        self.official.deadline(filing_month, &self.holidays)
    }

    /// Whether `deadline` is later than the law's `statutory` day (顺延), and why.
    pub fn postponement(&self, statutory: NaiveDate, deadline: NaiveDate) -> Option<Postponement> {
        tax_calendar::postponement(statutory, deadline, &self.holidays, &|day| {
            self.names.get(&day).cloned()
        })
    }
}

/// How long an instance keeps the calendar it read. A change on this instance is seen at once
/// ([`CalendarCache::invalidate`]); another instance sees it within this time.
pub const CALENDAR_TTL: TimeDelta = TimeDelta::seconds(60);

/// The stored calendar as this process last read it: the 报税 section needs it on every view,
/// and it changes a few times a year.
#[derive(Default)]
pub struct CalendarCache {
    entry: RwLock<Option<(DateTime<Utc>, Arc<Calendar>)>>,
}

impl CalendarCache {
    /// The calendar, read again when the copy held is older than [`CALENDAR_TTL`].
    pub async fn get(&self, db: &Database, now: DateTime<Utc>) -> AppResult<Arc<Calendar>> {
        if let Ok(entry) = self.entry.read()
            && let Some((read_at, cal)) = entry.as_ref()
            && now >= *read_at
            && now - *read_at < CALENDAR_TTL
        {
            return Ok(cal.clone());
        }
        let cal = Arc::new(load(db).await?);
        if let Ok(mut entry) = self.entry.write() {
            *entry = Some((now, cal.clone()));
        }
        Ok(cal)
    }

    /// Forgets the copy held, after a change to the stored calendar.
    pub fn invalidate(&self) {
        if let Ok(mut entry) = self.entry.write() {
            *entry = None;
        }
    }
}

pub async fn load(db: &Database) -> AppResult<Calendar> {
    let holidays = holiday::Entity::find().all(db.read()).await?;
    let official = filing_calendar::Entity::find()
        .filter(filing_calendar::Column::Region.eq(""))
        .all(db.read())
        .await?;
    let names = holidays
        .iter()
        .filter(|h| h.kind == holiday::Kind::Holiday)
        .map(|h| (h.day, h.name.clone()))
        .collect();
    Ok(Calendar {
        names,
        holidays: HolidayTable::new(holidays.into_iter().map(|h| {
            let kind = match h.kind {
                holiday::Kind::Holiday => DayKind::Holiday,
                holiday::Kind::Workday => DayKind::Workday,
            };
            (h.day, kind)
        })),
        official: OfficialCalendar::new(
            official
                .into_iter()
                .filter_map(|c| u32::try_from(c.month).ok().map(|m| (c.year, m, c.deadline))),
        ),
    })
}
