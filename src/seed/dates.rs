//! Instants and dates for generated rows.
//!
//! People work in Beijing time, so instants are built from a local date and time of day and
//! stored in UTC. Nothing generated happens at or after the cut-off (midnight at the start of
//! `as_of`, Beijing time), so a seeded database never contains the future.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::Rng;

use super::rng::SeedRng;
use crate::domain::clock::SHANGHAI_OFFSET;
use crate::domain::period::Period;

/// Beijing time `hour:minute:second` on `date`, as UTC.
pub(crate) fn local(date: NaiveDate, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour.min(23), minute.min(59), second.min(59))
        .unwrap_or(NaiveTime::MIN);
    SHANGHAI_OFFSET
        .from_local_datetime(&date.and_time(time))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&date.and_time(time)))
}

/// Midnight at the start of `as_of` in Beijing time.
pub(crate) fn cutoff(as_of: NaiveDate) -> DateTime<Utc> {
    local(as_of, 0, 0, 0)
}

/// A working-hours instant on `date` (09:00–18:59 Beijing time).
pub(crate) fn office_time(date: NaiveDate, rng: &mut SeedRng) -> DateTime<Utc> {
    local(
        date,
        rng.random_range(9..19),
        rng.random_range(0..60),
        rng.random_range(0..60),
    )
}

/// The `day`-th of the month, clamped to the month's last day.
pub(crate) fn day_of(period: Period, day: u32) -> NaiveDate {
    let last = period.last_day();
    NaiveDate::from_ymd_opt(period.year(), period.month(), day.clamp(1, last.day())).unwrap_or(last)
}

/// A random date in `period` between the given days (inclusive, clamped to the month).
pub(crate) fn day_between(rng: &mut SeedRng, period: Period, from: u32, to: u32) -> NaiveDate {
    let last = period.last_day().day();
    let from = from.clamp(1, last);
    let to = to.clamp(from, last);
    day_of(period, rng.random_range(from..=to))
}

pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date.checked_add_signed(Duration::days(days))
        .unwrap_or(date)
}

pub(crate) fn add_minutes(at: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    at.checked_add_signed(Duration::minutes(minutes))
        .unwrap_or(at)
}

/// `at`, or 97 minutes before `limit` when `at` is not before it (the evening before `as_of`).
pub(crate) fn before(at: DateTime<Utc>, limit: DateTime<Utc>) -> DateTime<Utc> {
    if at < limit {
        at
    } else {
        add_minutes(limit, -97)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_eight_hours_ahead_of_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(cutoff(date).to_rfc3339(), "2026-11-25T16:00:00+00:00");
        assert_eq!(
            local(date, 9, 30, 0).to_rfc3339(),
            "2026-11-26T01:30:00+00:00"
        );
    }

    #[test]
    fn day_of_clamps_to_the_month() {
        let feb = Period::new(2026, 2).unwrap();
        assert_eq!(day_of(feb, 31).day(), 28);
        assert_eq!(day_of(feb, 0).day(), 1);
    }
}
