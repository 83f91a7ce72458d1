//! Accounting periods ("YYYY-MM") and VAT filing periods (month/quarter).
//!
//! Everything in the firm's work is keyed by customer × month, so the month
//! is a value type of its own instead of a date whose day must be ignored.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A calendar month used as an accounting period.
///
/// Invariant: `1 <= year <= 9999` and `1 <= month <= 12`, so the
/// four-digit text form always round-trips and every day exists in chrono.
/// Field order (year, month) makes the derived `Ord` chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PeriodError {
    #[error("会计期间格式不正确：“{0}”，应为 YYYY-MM，例如 2026-01")]
    Format(String),
    #[error("会计期间月份不正确：{0}，应为 01–12")]
    Month(u32),
    #[error("会计期间年份超出范围：{0}")]
    Year(i32),
}

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// Builds a date that the Period invariant guarantees to exist. The
/// fallback is unreachable but keeps the API infallible without a panic.
fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN)
}

impl Period {
    pub const MIN: Period = Period {
        year: MIN_YEAR,
        month: 1,
    };
    pub const MAX: Period = Period {
        year: MAX_YEAR,
        month: 12,
    };

    pub fn new(year: i32, month: u32) -> Result<Period, PeriodError> {
        if !(1..=12).contains(&month) {
            return Err(PeriodError::Month(month));
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(PeriodError::Year(year));
        }
        Ok(Period { year, month })
    }

    /// Strict "YYYY-MM": "2026-1" or "2026/01" are refused rather than
    /// guessed, because periods are keys and must compare byte-for-byte.
    pub fn parse(input: &str) -> Result<Period, PeriodError> {
        let format_err = || PeriodError::Format(input.to_string());
        let bytes = input.as_bytes();
        if bytes.len() != 7 || bytes[4] != b'-' {
            return Err(format_err());
        }
        let digits_ok = bytes[..4].iter().chain(&bytes[5..]).all(u8::is_ascii_digit);
        if !digits_ok {
            return Err(format_err());
        }
        let year: i32 = input[..4].parse().map_err(|_| format_err())?;
        let month: u32 = input[5..].parse().map_err(|_| format_err())?;
        Period::new(year, month)
    }

    /// The period containing `date`; dates outside years 1–9999 clamp to
    /// the nearest representable period.
    pub fn of_date(date: NaiveDate) -> Period {
        if date.year() < MIN_YEAR {
            Period::MIN
        } else if date.year() > MAX_YEAR {
            Period::MAX
        } else {
            Period {
                year: date.year(),
                month: date.month(),
            }
        }
    }

    pub const fn year(self) -> i32 {
        self.year
    }

    pub const fn month(self) -> u32 {
        self.month
    }

    /// Months since year 0, month 1: makes month arithmetic plain integer
    /// arithmetic.
    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    fn from_index(index: i64) -> Option<Period> {
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        Period::new(year, month).ok()
    }

    pub fn checked_add_months(self, months: i32) -> Option<Period> {
        Period::from_index(self.index() + i64::from(months))
    }

    /// Saturates at [`Period::MIN`]/[`Period::MAX`]: business code never
    /// gets near year 1 or 9999, and a clamp is kinder than a panic there.
    pub fn add_months(self, months: i32) -> Period {
        self.checked_add_months(months).unwrap_or(if months < 0 {
            Period::MIN
        } else {
            Period::MAX
        })
    }

    pub fn next(self) -> Period {
        self.add_months(1)
    }

    pub fn prev(self) -> Period {
        self.add_months(-1)
    }

    /// Signed number of months from `self` to `other` (positive when
    /// `other` is later); `a.add_months(a.months_between(b)) == b`.
    pub fn months_between(self, other: Period) -> i32 {
        // Both indices lie within 12 × 10_000, so the difference fits.
        (other.index() - self.index()) as i32
    }

    pub fn first_day(self) -> NaiveDate {
        date(self.year, self.month, 1)
    }

    pub fn last_day(self) -> NaiveDate {
        let first_of_next = if self.month == 12 {
            NaiveDate::from_ymd_opt(self.year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(self.year, self.month + 1, 1)
        };
        first_of_next
            .and_then(|d| d.pred_opt())
            .unwrap_or_else(|| date(self.year, 12, 31))
    }

    pub fn contains_date(self, day: NaiveDate) -> bool {
        day.year() == self.year && day.month() == self.month
    }

    /// 1..=4.
    pub const fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }

    pub const fn is_quarter_end(self) -> bool {
        self.month.is_multiple_of(3)
    }

    pub const fn quarter_start(self) -> Period {
        Period {
            year: self.year,
            month: (self.quarter() - 1) * 3 + 1,
        }
    }

    pub const fn quarter_end(self) -> Period {
        Period {
            year: self.year,
            month: self.quarter() * 3,
        }
    }

    /// Inclusive range; empty when `to < from`.
    pub fn range_inclusive(from: Period, to: Period) -> PeriodRange {
        PeriodRange {
            next: from,
            last: to,
            done: to < from,
        }
    }

    /// "2026年01月", the form used in receipts and messages.
    pub fn to_chinese(self) -> String {
        format!("{}年{:02}月", self.year, self.month)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Period::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Iterator over an inclusive run of periods.
#[derive(Debug, Clone)]
pub struct PeriodRange {
    next: Period,
    last: Period,
    // A flag rather than "next > last" so a range ending at Period::MAX,
    // where next() saturates, still terminates.
    done: bool,
}

impl Iterator for PeriodRange {
    type Item = Period;

    fn next(&mut self) -> Option<Period> {
        if self.done {
            return None;
        }
        let current = self.next;
        if current >= self.last {
            self.done = true;
        } else {
            self.next = current.next();
        }
        Some(current)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = if self.done {
            0
        } else {
            usize::try_from(self.next.months_between(self.last) + 1).unwrap_or(0)
        };
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for PeriodRange {}

/// How often a customer files VAT: most general taxpayers monthly, most
/// small-scale taxpayers quarterly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatPeriodKind {
    Month,
    Quarter,
}

impl VatPeriodKind {
    /// "月"/"季", for templates such as "本{period_unit}不含税销售额".
    pub const fn unit_zh(self) -> &'static str {
        match self {
            VatPeriodKind::Month => "月",
            VatPeriodKind::Quarter => "季",
        }
    }
}

/// A VAT filing period: one month, or the calendar quarter around a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FilingPeriod {
    pub kind: VatPeriodKind,
    pub from: Period,
    pub to: Period,
}

impl FilingPeriod {
    pub const fn containing(kind: VatPeriodKind, period: Period) -> FilingPeriod {
        match kind {
            VatPeriodKind::Month => FilingPeriod {
                kind,
                from: period,
                to: period,
            },
            VatPeriodKind::Quarter => FilingPeriod {
                kind,
                from: period.quarter_start(),
                to: period.quarter_end(),
            },
        }
    }

    pub fn contains(&self, period: Period) -> bool {
        self.from <= period && period <= self.to
    }

    pub fn periods(&self) -> PeriodRange {
        Period::range_inclusive(self.from, self.to)
    }

    /// The month in which the return for this period is filed (征期).
    pub fn filing_month(&self) -> Period {
        self.to.next()
    }
}

impl fmt::Display for FilingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}至{}", self.from, self.to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn parse_accepts_the_canonical_form() {
        let period = p("2026-01");
        assert_eq!((period.year(), period.month()), (2026, 1));
        assert_eq!(p("2025-12").month(), 12);
    }

    #[test]
    fn parse_rejects_sloppy_forms() {
        for bad in [
            "2026-1",
            "2026-001",
            "26-01",
            "2026/01",
            "2026-0a",
            " 2026-01",
            "2026-01 ",
            "",
            "+026-01",
            "２026-01",
        ] {
            assert!(
                matches!(Period::parse(bad), Err(PeriodError::Format(_))),
                "{bad:?} should be a format error"
            );
        }
    }

    #[test]
    fn parse_rejects_impossible_months_and_years() {
        assert_eq!(Period::parse("2026-13"), Err(PeriodError::Month(13)));
        assert_eq!(Period::parse("2026-00"), Err(PeriodError::Month(0)));
        assert_eq!(Period::parse("0000-05"), Err(PeriodError::Year(0)));
        assert!(
            Period::parse("2026-13")
                .unwrap_err()
                .to_string()
                .contains("月份")
        );
    }

    #[test]
    fn display_is_zero_padded_and_round_trips() {
        assert_eq!(p("2026-03").to_string(), "2026-03");
        assert_eq!(Period::new(987, 4).unwrap().to_string(), "0987-04");
        assert_eq!(p("0987-04"), Period::new(987, 4).unwrap());
        assert_eq!(p("2026-03").to_chinese(), "2026年03月");
    }

    #[test]
    fn serde_uses_the_text_form() {
        let json = serde_json::to_string(&p("2026-07")).unwrap();
        assert_eq!(json, "\"2026-07\"");
        assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), p("2026-07"));
        assert!(serde_json::from_str::<Period>("\"2026-7\"").is_err());
    }

    #[test]
    fn ordering_is_chronological() {
        assert!(p("2025-12") < p("2026-01"));
        assert!(p("2026-02") < p("2026-10"));
        let mut periods = vec![p("2026-10"), p("2025-12"), p("2026-02")];
        periods.sort();
        assert_eq!(periods, vec![p("2025-12"), p("2026-02"), p("2026-10")]);
    }

    #[test]
    fn next_and_prev_cross_year_boundaries() {
        assert_eq!(p("2025-12").next(), p("2026-01"));
        assert_eq!(p("2026-01").prev(), p("2025-12"));
        assert_eq!(p("2026-05").next(), p("2026-06"));
    }

    #[test]
    fn add_months_handles_large_and_negative_offsets() {
        assert_eq!(p("2026-01").add_months(12), p("2027-01"));
        assert_eq!(p("2026-01").add_months(-13), p("2024-12"));
        assert_eq!(p("2026-11").add_months(26), p("2029-01"));
        assert_eq!(p("2026-01").add_months(0), p("2026-01"));
    }

    #[test]
    fn add_months_saturates_at_the_edges() {
        assert_eq!(Period::MAX.next(), Period::MAX);
        assert_eq!(Period::MIN.prev(), Period::MIN);
        assert_eq!(p("2026-01").add_months(i32::MAX), Period::MAX);
        assert_eq!(p("2026-01").add_months(i32::MIN), Period::MIN);
        assert_eq!(Period::MAX.checked_add_months(1), None);
    }

    #[test]
    fn months_between_is_signed_and_inverts_add_months() {
        assert_eq!(p("2026-01").months_between(p("2026-12")), 11);
        assert_eq!(p("2026-12").months_between(p("2026-01")), -11);
        assert_eq!(p("2025-11").months_between(p("2026-02")), 3);
        let a = p("2024-07");
        let b = p("2031-02");
        assert_eq!(a.add_months(a.months_between(b)), b);
    }

    #[test]
    fn first_and_last_days_know_month_lengths_and_leap_years() {
        assert_eq!(p("2026-02").first_day(), d(2026, 2, 1));
        assert_eq!(p("2026-02").last_day(), d(2026, 2, 28));
        assert_eq!(p("2024-02").last_day(), d(2024, 2, 29));
        assert_eq!(p("2026-12").last_day(), d(2026, 12, 31));
        assert_eq!(p("2026-04").last_day(), d(2026, 4, 30));
        assert_eq!(Period::MAX.last_day(), d(9999, 12, 31));
    }

    #[test]
    fn of_date_takes_the_month_of_a_date() {
        assert_eq!(Period::of_date(d(2026, 3, 31)), p("2026-03"));
        assert_eq!(Period::of_date(d(2026, 1, 1)), p("2026-01"));
        assert!(p("2026-03").contains_date(d(2026, 3, 15)));
        assert!(!p("2026-03").contains_date(d(2025, 3, 15)));
    }

    #[test]
    fn of_date_clamps_dates_outside_four_digit_years() {
        assert_eq!(Period::of_date(d(10_000, 1, 1)), Period::MAX);
        assert_eq!(Period::of_date(d(-5, 1, 1)), Period::MIN);
    }

    #[test]
    fn quarters_group_three_months() {
        assert_eq!(p("2026-01").quarter(), 1);
        assert_eq!(p("2026-06").quarter(), 2);
        assert_eq!(p("2026-07").quarter(), 3);
        assert_eq!(p("2026-12").quarter(), 4);
        assert!(p("2026-03").is_quarter_end());
        assert!(!p("2026-04").is_quarter_end());
        assert_eq!(p("2026-08").quarter_start(), p("2026-07"));
        assert_eq!(p("2026-08").quarter_end(), p("2026-09"));
    }

    #[test]
    fn range_iterates_inclusively_across_years() {
        let months: Vec<String> = Period::range_inclusive(p("2025-11"), p("2026-02"))
            .map(|m| m.to_string())
            .collect();
        assert_eq!(months, ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(
            Period::range_inclusive(p("2026-01"), p("2026-12")).len(),
            12
        );
    }

    #[test]
    fn range_of_one_month_and_empty_ranges() {
        assert_eq!(
            Period::range_inclusive(p("2026-05"), p("2026-05")).collect::<Vec<_>>(),
            vec![p("2026-05")]
        );
        assert_eq!(
            Period::range_inclusive(p("2026-05"), p("2026-04")).count(),
            0
        );
    }

    #[test]
    fn range_ending_at_the_maximum_terminates() {
        let from = Period::MAX.add_months(-2);
        assert_eq!(Period::range_inclusive(from, Period::MAX).count(), 3);
    }

    #[test]
    fn monthly_filing_period_is_the_month_itself() {
        let fp = FilingPeriod::containing(VatPeriodKind::Month, p("2026-05"));
        assert_eq!((fp.from, fp.to), (p("2026-05"), p("2026-05")));
        assert_eq!(fp.filing_month(), p("2026-06"));
        assert_eq!(fp.to_string(), "2026-05");
    }

    #[test]
    fn quarterly_filing_period_spans_the_calendar_quarter() {
        let fp = FilingPeriod::containing(VatPeriodKind::Quarter, p("2026-11"));
        assert_eq!((fp.from, fp.to), (p("2026-10"), p("2026-12")));
        assert!(fp.contains(p("2026-10")));
        assert!(!fp.contains(p("2027-01")));
        assert_eq!(fp.periods().count(), 3);
        assert_eq!(fp.filing_month(), p("2027-01"));
        assert_eq!(fp.to_string(), "2026-10至2026-12");
    }

    #[test]
    fn vat_period_kind_serialises_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&VatPeriodKind::Quarter).unwrap(),
            "\"quarter\""
        );
        assert_eq!(VatPeriodKind::Quarter.unit_zh(), "季");
    }
}
