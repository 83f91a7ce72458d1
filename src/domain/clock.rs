//! Time source abstraction.
//!
//! Deadlines, reminders and "today" all depend on the current time; going
//! through a trait lets tests pin it instead of racing the wall clock.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// China Standard Time. Fixed, because China has had no DST since 1991 and
/// a fixed offset needs no time-zone database on the server.
pub const SHANGHAI_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    // Evaluated at compile time: a bad constant fails the build.
    None => panic!("invalid UTC+8 offset"),
};

/// An instant in Asia/Shanghai, for display.
pub fn to_local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&SHANGHAI_OFFSET)
}

/// The Asia/Shanghai calendar date of an instant.
pub fn today_local(at: DateTime<Utc>) -> NaiveDate {
    to_local(at).date_naive()
}

/// The instant a Beijing calendar day starts (16:00 UTC the day before), for date filters.
pub fn local_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::hours(8)
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// The current time in Asia/Shanghai.
    fn now_local(&self) -> DateTime<FixedOffset> {
        to_local(self.now())
    }

    /// The calendar date in Asia/Shanghai: the firm's working day, which
    /// differs from the UTC date between 00:00 and 08:00 local time.
    fn today_local(&self) -> NaiveDate {
        self.now_local().date_naive()
    }
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one place the wall clock is read; everything else asks a `Clock`.
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same time, so a
/// test can keep one handle while the code under test holds another.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = to;
    }

    pub fn advance(&self, by: Duration) {
        let mut guard = self.lock();
        *guard += by;
    }

    // A panic while holding the lock cannot leave a DateTime half-written,
    // so a poisoned mutex is safe to keep using.
    fn lock(&self) -> MutexGuard<'_, DateTime<Utc>> {
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn manual_clock_returns_the_time_it_was_given() {
        let clock = ManualClock::new(utc(2026, 1, 15, 2, 0));
        assert_eq!(clock.now(), utc(2026, 1, 15, 2, 0));
    }

    #[test]
    fn manual_clock_can_be_set_and_advanced() {
        let clock = ManualClock::new(utc(2026, 1, 15, 2, 0));
        clock.advance(Duration::hours(30));
        assert_eq!(clock.now(), utc(2026, 1, 16, 8, 0));
        clock.set(utc(2027, 6, 1, 0, 0));
        assert_eq!(clock.now(), utc(2027, 6, 1, 0, 0));
    }

    #[test]
    fn clones_share_one_time() {
        let clock = ManualClock::new(utc(2026, 1, 15, 2, 0));
        let handle = clock.clone();
        handle.advance(Duration::minutes(5));
        assert_eq!(clock.now(), utc(2026, 1, 15, 2, 5));
    }

    #[test]
    fn local_date_is_already_tomorrow_after_16_00_utc() {
        let clock = ManualClock::new(utc(2026, 1, 31, 16, 0));
        assert_eq!(
            clock.today_local(),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        clock.set(utc(2026, 1, 31, 15, 59));
        assert_eq!(
            clock.today_local(),
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
        );
    }

    #[test]
    fn local_time_carries_the_plus_eight_offset() {
        let clock = ManualClock::new(utc(2026, 3, 1, 0, 30));
        let local = clock.now_local();
        assert_eq!(local.offset().local_minus_utc(), 8 * 3600);
        assert_eq!(local.to_rfc3339(), "2026-03-01T08:30:00+08:00");
    }

    #[test]
    fn clocks_work_as_shared_trait_objects() {
        let clocks: Vec<Arc<dyn Clock>> = vec![
            Arc::new(SystemClock),
            Arc::new(ManualClock::new(utc(2026, 1, 1, 0, 0))),
        ];
        assert!(clocks[0].now() > utc(2020, 1, 1, 0, 0));
        assert_eq!(
            clocks[1].today_local(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        );
    }

    #[test]
    fn a_poisoned_manual_clock_keeps_working() {
        let clock = ManualClock::new(utc(2026, 1, 1, 0, 0));
        let handle = clock.clone();
        let _ = std::thread::spawn(move || {
            let _guard = handle.now.lock().unwrap();
            panic!("poison the mutex");
        })
        .join();
        clock.advance(Duration::days(1));
        assert_eq!(clock.now(), utc(2026, 1, 2, 0, 0));
    }
}
