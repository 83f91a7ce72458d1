//! Monthly filing deadlines (征期).
//!
//! The State Taxation Administration publishes the deadlines every year and
//! that calendar is the truth. Where a month is not stored yet (a new year
//! before the notice, or a gap in the table) we compute a provisional date
//! and say so, so reminders still go out but the UI can flag them.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::period::Period;

/// Kind of a day listed in the State Council's holiday notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day inside an announced 放假 block, including weekend days that
    /// the notice folds into the block ("与周末连休"): the STA counts those
    /// when extending deadlines (June 2024 only works out that way).
    Holiday,
    /// A weekend day made a working day by 调休.
    Workday,
}

/// Holidays and 调休 workdays; any other day is a working day unless it
/// falls on a weekend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayTable {
    days: BTreeMap<NaiveDate, DayKind>,
}

impl HolidayTable {
    /// Later entries win, so a region can override a national entry by
    /// appending to the list.
    pub fn new(entries: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> HolidayTable {
        HolidayTable {
            days: entries.into_iter().collect(),
        }
    }

    pub fn builtin() -> HolidayTable {
        HolidayTable::new(builtin_holidays())
    }

    pub fn kind(&self, date: NaiveDate) -> Option<DayKind> {
        self.days.get(&date).copied()
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.kind(date) == Some(DayKind::Holiday)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.kind(date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// `date` itself when it is a working day, else the next one.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> NaiveDate {
        let mut current = date;
        while !self.is_working_day(current) {
            match current.succ_opt() {
                Some(next) => current = next,
                // Only reachable at NaiveDate::MAX; stopping beats looping.
                None => break,
            }
        }
        current
    }

    /// The `n`-th working day strictly after `date` (`n = 0` gives `date`).
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut current = date;
        let mut remaining = n;
        while remaining > 0 {
            match current.succ_opt() {
                Some(next) => current = next,
                None => break,
            }
            if self.is_working_day(current) {
                remaining -= 1;
            }
        }
        current
    }
}

/// A filing deadline and whether it is our own estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub date: NaiveDate,
    /// True when no official date was stored and [`provisional_deadline`]
    /// computed it.
    pub provisional: bool,
}

/// The deadline for returns filed in `filing_month` (e.g. 2026-02 for the
/// January VAT return). `official` looks up the stored STA calendar by
/// (year, month) and wins whenever it has an answer.
pub fn deadline(
    filing_month: Period,
    official: &dyn Fn(i32, u32) -> Option<NaiveDate>,
    holidays: &HolidayTable,
) -> Deadline {
    match official(filing_month.year(), filing_month.month()) {
        Some(date) => Deadline {
            date,
            provisional: false,
        },
        None => Deadline {
            date: provisional_deadline(filing_month, holidays),
            provisional: true,
        },
    }
}

/// Our approximation of the STA's rule (征管法实施细则 art. 109).
///
/// Base is the 15th. Holiday days inside days 1–15 that form runs of at
/// least three consecutive holiday days extend the deadline by that many
/// *working* days counted after the 15th; with no such run, a 15th that is
/// not a working day moves to the next working day.
///
/// Counting the extension in working days (rather than adding calendar days
/// and then skipping weekends) is what reproduces every published 2024
/// date: e.g. May 2024 (5-day 劳动节) is May 22, not May 20, and October
/// 2024 (7-day 国庆) is Oct 24, not Oct 22. Runs are measured inside days
/// 1–15 only, which is why September 2024 (中秋 15–17) is the 18th and not
/// three working days later.
pub fn provisional_deadline(filing_month: Period, holidays: &HolidayTable) -> NaiveDate {
    let first = filing_month.first_day();
    let fifteenth =
        NaiveDate::from_ymd_opt(filing_month.year(), filing_month.month(), 15).unwrap_or(first);

    let mut extension = 0u32;
    let mut run = 0u32;
    for day in first.iter_days().take(15) {
        if holidays.is_holiday(day) {
            run += 1;
        } else {
            if run >= 3 {
                extension += run;
            }
            run = 0;
        }
    }
    if run >= 3 {
        extension += run;
    }

    if extension == 0 {
        holidays.working_day_on_or_after(fifteenth)
    } else {
        holidays.nth_working_day_after(fifteenth, extension)
    }
}

/// Stored official deadlines keyed by (year, month).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficialCalendar {
    dates: BTreeMap<(i32, u32), NaiveDate>,
}

impl OfficialCalendar {
    pub fn new(entries: impl IntoIterator<Item = (i32, u32, NaiveDate)>) -> OfficialCalendar {
        OfficialCalendar {
            dates: entries.into_iter().map(|(y, m, d)| ((y, m), d)).collect(),
        }
    }

    pub fn builtin() -> OfficialCalendar {
        OfficialCalendar::new(
            builtin_official_2024()
                .into_iter()
                .chain(builtin_official_2026()),
        )
    }

    /// Same shape as the `official` argument of [`deadline`], so callers
    /// can pass `&|y, m| calendar.get(y, m)`.
    pub fn get(&self, year: i32, month: u32) -> Option<NaiveDate> {
        self.dates.get(&(year, month)).copied()
    }

    pub fn deadline(&self, filing_month: Period, holidays: &HolidayTable) -> Deadline {
        deadline(filing_month, &|y, m| self.get(y, m), holidays)
    }
}

// ---------------------------------------------------------------------------
// Built-in data
// ---------------------------------------------------------------------------

/// Compile-time date constructor: an impossible date in the tables below
/// fails the build instead of panicking at run time.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid date in built-in tax calendar"),
    }
}

/// Holiday blocks (first day, last day inclusive, name) from the State
/// Council general office's yearly notices.
const HOLIDAY_BLOCKS: &[(NaiveDate, NaiveDate, &str)] = &[
    // 2024 (国办发明电〔2023〕7号)
    (ymd(2023, 12, 30), ymd(2024, 1, 1), "元旦"), // 与周末连休
    (ymd(2024, 2, 10), ymd(2024, 2, 17), "春节"),
    (ymd(2024, 4, 4), ymd(2024, 4, 6), "清明节"),
    (ymd(2024, 5, 1), ymd(2024, 5, 5), "劳动节"),
    (ymd(2024, 6, 8), ymd(2024, 6, 10), "端午节"), // 与周末连休
    (ymd(2024, 9, 15), ymd(2024, 9, 17), "中秋节"),
    (ymd(2024, 10, 1), ymd(2024, 10, 7), "国庆节"),
    // 2025 (国办发明电〔2024〕12号)
    (ymd(2025, 1, 1), ymd(2025, 1, 1), "元旦"),
    (ymd(2025, 1, 28), ymd(2025, 2, 4), "春节"),
    (ymd(2025, 4, 4), ymd(2025, 4, 6), "清明节"),
    (ymd(2025, 5, 1), ymd(2025, 5, 5), "劳动节"),
    (ymd(2025, 5, 31), ymd(2025, 6, 2), "端午节"),
    (ymd(2025, 10, 1), ymd(2025, 10, 8), "国庆节、中秋节"),
    // 2026 (国办发明电〔2025〕7号)
    (ymd(2026, 1, 1), ymd(2026, 1, 3), "元旦"),
    (ymd(2026, 2, 15), ymd(2026, 2, 23), "春节"),
    (ymd(2026, 4, 4), ymd(2026, 4, 6), "清明节"),
    (ymd(2026, 5, 1), ymd(2026, 5, 5), "劳动节"),
    (ymd(2026, 6, 19), ymd(2026, 6, 21), "端午节"),
    (ymd(2026, 9, 25), ymd(2026, 9, 27), "中秋节"),
    (ymd(2026, 10, 1), ymd(2026, 10, 7), "国庆节"),
];

/// Weekend days declared working days (调休).
const ADJUSTED_WORKDAYS: &[NaiveDate] = &[
    // 2024
    ymd(2024, 2, 4),
    ymd(2024, 2, 18),
    ymd(2024, 4, 7),
    ymd(2024, 4, 28),
    ymd(2024, 5, 11),
    ymd(2024, 9, 14),
    ymd(2024, 9, 29),
    ymd(2024, 10, 12),
    // 2025
    ymd(2025, 1, 26),
    ymd(2025, 2, 8),
    ymd(2025, 4, 27),
    ymd(2025, 9, 28),
    ymd(2025, 10, 11),
    // 2026 (国办发明电〔2025〕7号)
    ymd(2026, 1, 4),
    ymd(2026, 2, 14),
    ymd(2026, 2, 28),
    ymd(2026, 5, 9),
    ymd(2026, 9, 20),
    ymd(2026, 10, 10),
];

/// 2024 deadlines as published in the STA 征期日历 (bookkeeping.md §2.7).
const OFFICIAL_2024: [NaiveDate; 12] = [
    ymd(2024, 1, 15),
    ymd(2024, 2, 23),
    ymd(2024, 3, 15),
    ymd(2024, 4, 18),
    ymd(2024, 5, 22),
    ymd(2024, 6, 19),
    ymd(2024, 7, 15),
    ymd(2024, 8, 15),
    ymd(2024, 9, 18),
    ymd(2024, 10, 24),
    ymd(2024, 11, 15),
    ymd(2024, 12, 16),
];

/// China public holidays 2024–2026 and their 调休 workdays, expanded to
/// one entry per day.
pub fn builtin_holidays() -> Vec<(NaiveDate, DayKind)> {
    let mut entries = Vec::new();
    for &(start, end, _) in HOLIDAY_BLOCKS {
        for day in start.iter_days().take_while(|d| *d <= end) {
            entries.push((day, DayKind::Holiday));
        }
    }
    entries.extend(ADJUSTED_WORKDAYS.iter().map(|&d| (d, DayKind::Workday)));
    entries
}

/// The built-in holiday blocks with their names (first day, last day
/// inclusive, name), so stored holidays can say which holiday they are.
pub fn builtin_holiday_names() -> Vec<(NaiveDate, NaiveDate, &'static str)> {
    HOLIDAY_BLOCKS.to_vec()
}

/// The 2024 official deadlines as (year, month, date).
/// 2026 deadlines as published in the STA's 2026 征期日历 (税总办征科函〔2025〕64号).
const OFFICIAL_2026: [NaiveDate; 12] = [
    ymd(2026, 1, 20),
    ymd(2026, 2, 24),
    ymd(2026, 3, 16),
    ymd(2026, 4, 20),
    ymd(2026, 5, 22),
    ymd(2026, 6, 15),
    ymd(2026, 7, 15),
    ymd(2026, 8, 17),
    ymd(2026, 9, 15),
    ymd(2026, 10, 26),
    ymd(2026, 11, 16),
    ymd(2026, 12, 15),
];

/// Where the 2026 deadlines come from, as stored with them.
pub const SOURCE_2026: &str = "国家税务总局2026年征期日历（税总办征科函〔2025〕64号）";

pub fn builtin_official_2026() -> Vec<(i32, u32, NaiveDate)> {
    OFFICIAL_2026
        .iter()
        .map(|&date| (date.year(), date.month(), date))
        .collect()
}

pub fn builtin_official_2024() -> Vec<(i32, u32, NaiveDate)> {
    OFFICIAL_2024
        .iter()
        .map(|&date| (date.year(), date.month(), date))
        .collect()
}

/// A deadline later than the law's own day (顺延): the statutory day, the day it moved to, and
/// why — the legal holidays in the filing period up to the statutory day (named as stored), or
/// the weekend it fell on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Postponement {
    pub statutory: NaiveDate,
    pub deadline: NaiveDate,
    /// e.g. "国庆节、中秋节" or "周末".
    pub reason: String,
}

/// Whether `deadline` is a 顺延 of `statutory` (征管法实施细则 art. 109), and why. `names` gives a
/// stored holiday's name; holidays are looked up from the first of the statutory day's month
/// through the first working day that is not before the statutory day, so a run of holidays
/// before the 15th and a holiday on the 15th itself both count.
pub fn postponement(
    statutory: NaiveDate,
    deadline: NaiveDate,
    holidays: &HolidayTable,
    names: &dyn Fn(NaiveDate) -> Option<String>,
) -> Option<Postponement> {
    if deadline <= statutory {
        return None;
    }
    let mut reasons: Vec<String> = Vec::new();
    let mut day = statutory.with_day(1).unwrap_or(statutory);
    while day < deadline && (day <= statutory || !holidays.is_working_day(day)) {
        if holidays.is_holiday(day)
            && let Some(name) = names(day)
            && !name.is_empty()
            && !reasons.contains(&name)
        {
            reasons.push(name);
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let reason = if !reasons.is_empty() {
        reasons.join("、")
    } else if !holidays.is_working_day(statutory) {
        "周末".to_string()
    } else {
        // Moved by the tax bureau's calendar for a reason our holiday data does not show.
        "征期日历调整".to_string()
    };
    Some(Postponement {
        statutory,
        deadline,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn p(y: i32, m: u32) -> Period {
        Period::new(y, m).unwrap()
    }

    fn no_official(_: i32, _: u32) -> Option<NaiveDate> {
        None
    }

    #[test]
    fn weekends_are_not_working_days_unless_adjusted() {
        let table = HolidayTable::builtin();
        assert!(!table.is_working_day(d(2026, 3, 14))); // Saturday
        assert!(table.is_working_day(d(2026, 3, 16))); // Monday
        assert!(table.is_working_day(d(2026, 2, 14))); // 调休 Saturday
        assert!(!table.is_working_day(d(2026, 2, 16))); // 春节 Monday
        assert_eq!(table.kind(d(2026, 2, 16)), Some(DayKind::Holiday));
        assert_eq!(table.kind(d(2026, 3, 16)), None);
    }

    #[test]
    fn later_entries_override_earlier_ones() {
        let table = HolidayTable::new([
            (d(2026, 3, 16), DayKind::Holiday),
            (d(2026, 3, 16), DayKind::Workday),
        ]);
        assert!(table.is_working_day(d(2026, 3, 16)));
    }

    #[test]
    fn builtin_blocks_have_the_announced_lengths() {
        let holidays: Vec<NaiveDate> = builtin_holidays()
            .into_iter()
            .filter(|(_, k)| *k == DayKind::Holiday)
            .map(|(d, _)| d)
            .collect();
        let count_in = |from: NaiveDate, to: NaiveDate| {
            holidays.iter().filter(|d| **d >= from && **d <= to).count()
        };
        assert_eq!(count_in(d(2024, 2, 1), d(2024, 2, 29)), 8);
        assert_eq!(count_in(d(2025, 10, 1), d(2025, 10, 31)), 8);
        assert_eq!(count_in(d(2026, 2, 1), d(2026, 2, 28)), 9);
        assert_eq!(count_in(d(2026, 10, 1), d(2026, 10, 31)), 7);
    }

    #[test]
    fn adjusted_workdays_all_fall_on_weekends() {
        for (day, kind) in builtin_holidays() {
            if kind == DayKind::Workday {
                assert!(
                    matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
                    "{day} is a weekday"
                );
            }
        }
    }

    #[test]
    fn official_months_are_not_provisional() {
        let calendar = OfficialCalendar::builtin();
        let table = HolidayTable::builtin();
        for (year, month, date) in builtin_official_2024() {
            let got = calendar.deadline(p(year, month), &table);
            assert_eq!(
                got,
                Deadline {
                    date,
                    provisional: false
                }
            );
        }
    }

    #[test]
    fn official_date_wins_even_when_the_rule_would_differ() {
        let table = HolidayTable::builtin();
        let official = |y: i32, m: u32| (y == 2026 && m == 3).then(|| d(2026, 3, 20));
        assert_eq!(
            deadline(p(2026, 3), &official, &table),
            Deadline {
                date: d(2026, 3, 20),
                provisional: false
            }
        );
    }

    #[test]
    fn provisional_rule_reproduces_every_official_2024_date() {
        let table = HolidayTable::builtin();
        for (year, month, official) in builtin_official_2024() {
            assert_eq!(
                provisional_deadline(p(year, month), &table),
                official,
                "{year}-{month:02}"
            );
        }
    }

    #[test]
    fn missing_months_are_provisional() {
        let table = HolidayTable::builtin();
        let calendar = OfficialCalendar::builtin();
        let got = calendar.deadline(p(2027, 7), &table);
        assert!(got.provisional);
        assert_eq!(got.date, d(2027, 7, 15));
    }

    #[test]
    fn provisional_dates_never_fall_on_a_weekend_or_holiday() {
        let table = HolidayTable::builtin();
        for period in Period::range_inclusive(p(2024, 1), p(2027, 12)) {
            let got = deadline(period, &no_official, &table);
            assert!(got.provisional);
            assert!(table.is_working_day(got.date), "{period}: {}", got.date);
            assert!(got.date.day() >= 15, "{period}: {}", got.date);
            assert_eq!(Period::of_date(got.date), period);
        }
    }

    #[test]
    fn a_weekend_fifteenth_moves_to_monday() {
        let table = HolidayTable::builtin();
        // 2026-03-15 and 2026-08-15 fall on a Sunday and a Saturday.
        assert_eq!(provisional_deadline(p(2026, 3), &table), d(2026, 3, 16));
        assert_eq!(provisional_deadline(p(2026, 8), &table), d(2026, 8, 17));
        assert_eq!(provisional_deadline(p(2026, 11), &table), d(2026, 11, 16));
    }

    #[test]
    fn a_working_fifteenth_stays() {
        let table = HolidayTable::builtin();
        assert_eq!(provisional_deadline(p(2026, 7), &table), d(2026, 7, 15));
        assert_eq!(provisional_deadline(p(2026, 12), &table), d(2026, 12, 15));
    }

    #[test]
    fn february_2026_is_extended_past_the_spring_festival() {
        let table = HolidayTable::builtin();
        // The holiday starts on the 15th itself and runs to the 23rd, so the
        // deadline is the first working day after it (Tuesday 24th).
        let got = deadline(p(2026, 2), &no_official, &table);
        assert_eq!(got.date, d(2026, 2, 24));
        assert!(got.provisional);
    }

    #[test]
    fn a_three_day_new_year_extends_january_2026() {
        // 元旦 1–3 Jan: three working days after Thursday the 15th.
        let table = HolidayTable::builtin();
        assert_eq!(provisional_deadline(p(2026, 1), &table), d(2026, 1, 20));
    }

    #[test]
    fn long_holidays_in_the_first_half_extend_by_working_days_in_2026() {
        let table = HolidayTable::builtin();
        assert_eq!(provisional_deadline(p(2026, 4), &table), d(2026, 4, 20));
        assert_eq!(provisional_deadline(p(2026, 5), &table), d(2026, 5, 22));
        assert_eq!(provisional_deadline(p(2026, 10), &table), d(2026, 10, 26));
    }

    #[test]
    fn holidays_after_the_fifteenth_do_not_extend() {
        let table = HolidayTable::builtin();
        // 端午 2026 is 19–21 June, after the filing window.
        assert_eq!(provisional_deadline(p(2026, 6), &table), d(2026, 6, 15));
        // 中秋 2026 is 25–27 September.
        assert_eq!(provisional_deadline(p(2026, 9), &table), d(2026, 9, 15));
    }

    #[test]
    fn only_the_part_of_a_holiday_inside_the_month_counts() {
        // 端午 2025 ran 31 May – 2 June: two days inside June are not a run
        // of three, so June 2025 only rolls over the Sunday 15th. February
        // 2025 keeps four days (1–4 Feb) of the Spring Festival block.
        // Both agree with the STA's 2025 calendar as we recall it [VERIFY].
        let table = HolidayTable::builtin();
        assert_eq!(provisional_deadline(p(2025, 6), &table), d(2025, 6, 16));
        assert_eq!(provisional_deadline(p(2025, 2), &table), d(2025, 2, 20));
        assert_eq!(provisional_deadline(p(2025, 10), &table), d(2025, 10, 27));
    }

    #[test]
    fn two_holiday_days_are_not_a_run_of_three() {
        let table = HolidayTable::new([
            (d(2030, 7, 2), DayKind::Holiday),
            (d(2030, 7, 3), DayKind::Holiday),
        ]);
        assert_eq!(provisional_deadline(p(2030, 7), &table), d(2030, 7, 15));
    }

    #[test]
    fn separate_runs_of_three_add_up() {
        // 2030-07-15 is a Monday; two 3-day runs extend by six working days.
        let table =
            HolidayTable::new([1, 2, 3, 9, 10, 11].map(|day| (d(2030, 7, day), DayKind::Holiday)));
        assert_eq!(provisional_deadline(p(2030, 7), &table), d(2030, 7, 23));
    }

    #[test]
    fn ordinary_weekends_do_not_count_as_holidays() {
        // An empty table: weekends inside 1–15 never extend the deadline.
        let table = HolidayTable::default();
        assert_eq!(provisional_deadline(p(2026, 7), &table), d(2026, 7, 15));
    }

    #[test]
    fn nth_working_day_after_skips_weekends_and_counts_workdays() {
        let table = HolidayTable::builtin();
        assert_eq!(
            table.nth_working_day_after(d(2026, 3, 13), 0),
            d(2026, 3, 13)
        );
        assert_eq!(
            table.nth_working_day_after(d(2026, 3, 13), 1),
            d(2026, 3, 16)
        );
        // Sunday 2024-02-18 was a 调休 working day.
        assert_eq!(
            table.nth_working_day_after(d(2024, 2, 15), 1),
            d(2024, 2, 18)
        );
    }

    #[test]
    fn official_calendar_looks_up_by_year_and_month() {
        let calendar = OfficialCalendar::builtin();
        assert_eq!(calendar.get(2024, 10), Some(d(2024, 10, 24)));
        assert_eq!(calendar.get(2025, 10), None);
        assert_eq!(builtin_official_2024().len(), 12);
    }

    #[test]
    fn the_2026_official_calendar_matches_what_the_provisional_rule_computes() {
        let table = HolidayTable::builtin();
        for (year, month, official) in builtin_official_2026() {
            assert_eq!(
                provisional_deadline(p(year, month), &table),
                official,
                "{year}-{month:02}"
            );
        }
        let calendar = OfficialCalendar::builtin();
        let jan = calendar.deadline(p(2026, 1), &table);
        assert_eq!(jan.date, ymd(2026, 1, 20));
        assert!(!jan.provisional, "2026 is official now");
    }

    #[test]
    fn a_postponement_names_the_holidays_that_caused_it() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // An October with a week off whose days are stored under two names.
        let holidays = HolidayTable::new((1..=7).map(|day| (d(10, day), DayKind::Holiday)));
        let names = |day: NaiveDate| {
            (day.month() == 10 && day.day() <= 7).then(|| {
                if day.day() == 6 {
                    "中秋节".to_string()
                } else {
                    "国庆节".to_string()
                }
            })
        };
        let p = postponement(d(10, 15), d(10, 26), &holidays, &names).unwrap();
        assert_eq!(p.reason, "国庆节、中秋节");
        assert_eq!((p.statutory, p.deadline), (d(10, 15), d(10, 26)));
        // On time is no postponement.
        assert_eq!(postponement(d(10, 15), d(10, 15), &holidays, &names), None);
        // A 15th on a Sunday (2026-11-15) moved to Monday: the weekend.
        let none = HolidayTable::new([]);
        let p = postponement(d(11, 15), d(11, 16), &none, &|_| None).unwrap();
        assert_eq!(p.reason, "周末");
        // A later date the holiday data does not explain is the calendar's.
        let p = postponement(d(12, 15), d(12, 17), &none, &|_| None).unwrap();
        assert_eq!(p.reason, "征期日历调整");
    }
}
