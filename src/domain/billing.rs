//! Service fees: receivables planned from a contract's billing cycle, payments allocated to
//! receivables, arrears as of a date and the period a customer has paid through.
//!
//! A receivable is one billing cycle (a month, a quarter, half a year or a year of service),
//! billed in advance: due on the contract's due day in the cycle's first month. Money is exact to
//! the fen; an allocation never takes more than a receivable still owes.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::money::Money;
use super::period::Period;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingCycle {
    Month,
    Quarter,
    HalfYear,
    Year,
}

impl BillingCycle {
    pub const fn months(self) -> i32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::HalfYear => 6,
            Self::Year => 12,
        }
    }

    /// How the cycle is said in fees: ¥300/月, ¥900/季, ¥1,800/半年, ¥3,600/年.
    pub const fn unit_zh(self) -> &'static str {
        match self {
            Self::Month => "月",
            Self::Quarter => "季",
            Self::HalfYear => "半年",
            Self::Year => "年",
        }
    }
}

/// What a service contract says about billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractTerms {
    pub start: Period,
    pub end: Period,
    pub fee_per_month: Money,
    pub cycle: BillingCycle,
    /// Day of the cycle's first month the fee is due (1–28; later days fall back to the month's
    /// last day).
    pub due_day: u32,
}

/// A receivable the contract calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedReceivable {
    pub period_from: Period,
    pub period_to: Period,
    pub amount: Money,
    pub due_date: NaiveDate,
}

/// The receivables of every billing cycle of the contract that has begun by `through`: a cycle
/// is cut short by the contract's end, and charged for the months it covers.
pub fn receivables_for_contract(terms: &ContractTerms, through: Period) -> Vec<PlannedReceivable> {
    let mut planned = Vec::new();
    if terms.end < terms.start {
        return planned;
    }
    let mut from = terms.start;
    while from <= terms.end && from <= through {
        let to = from.add_months(terms.cycle.months() - 1).min(terms.end);
        let months = from.months_between(to) + 1;
        planned.push(PlannedReceivable {
            period_from: from,
            period_to: to,
            amount: Money::from_fen(terms.fee_per_month.fen() * i64::from(months)),
            due_date: day_in(from, terms.due_day),
        });
        from = to.next();
    }
    planned
}

fn day_in(period: Period, day: u32) -> NaiveDate {
    let last = period.last_day();
    NaiveDate::from_ymd_opt(period.year(), period.month(), day.clamp(1, last.day())).unwrap_or(last)
}

/// A receivable as far as payments are concerned (void ones are left out by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub id: i64,
    pub period_from: Period,
    pub period_to: Period,
    pub due_date: NaiveDate,
    pub amount: Money,
    pub paid: Money,
}

impl Owed {
    /// What is still owed; never negative.
    pub fn open(&self) -> Money {
        (self.amount - self.paid).max(Money::ZERO)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceivableStatus {
    Open,
    Partial,
    Paid,
}

/// The status a receivable has with `paid` of `amount` paid.
pub fn status_after(amount: Money, paid: Money) -> ReceivableStatus {
    if paid >= amount {
        ReceivableStatus::Paid
    } else if paid.is_positive() {
        ReceivableStatus::Partial
    } else {
        ReceivableStatus::Open
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AllocationError {
    #[error("收款金额必须大于零")]
    NotPositive,
    #[error("收款金额 {offered} 超过未结清金额 {open}，请核对金额")]
    Overpayment { offered: String, open: String },
    #[error("所选应收款不存在或已结清")]
    UnknownReceivable(i64),
    #[error("分配到一笔应收款的金额 {asked} 超过其未结清金额 {open}")]
    MoreThanOpen { asked: String, open: String },
    #[error("分配金额合计 {allocated} 与收款金额 {payment} 不一致")]
    DoesNotAddUp { allocated: String, payment: String },
}

fn yuan(m: Money) -> String {
    m.to_yuan_string()
}

/// Oldest first: by due date, then service period, then id — so a payment settles what was due
/// earliest, whole receivables before the next one, and may leave the last one partly paid.
pub fn allocate_oldest_first(
    payment: Money,
    owed: &[Owed],
) -> Result<Vec<(i64, Money)>, AllocationError> {
    if !payment.is_positive() {
        return Err(AllocationError::NotPositive);
    }
    let mut items: Vec<&Owed> = owed.iter().filter(|o| o.open().is_positive()).collect();
    items.sort_by_key(|o| (o.due_date, o.period_from, o.id));
    let open: Money = items.iter().map(|o| o.open()).sum();
    if payment > open {
        return Err(AllocationError::Overpayment {
            offered: yuan(payment),
            open: yuan(open),
        });
    }
    let mut left = payment;
    let mut allocations = Vec::new();
    for item in items {
        if !left.is_positive() {
            break;
        }
        let part = left.min(item.open());
        allocations.push((item.id, part));
        left -= part;
    }
    Ok(allocations)
}

/// The person chose which receivables, and how much of each: every chosen one must still be
/// owed at least that much, and the parts must add up to the payment.
pub fn allocate_as_chosen(
    payment: Money,
    owed: &[Owed],
    chosen: &[(i64, Money)],
) -> Result<Vec<(i64, Money)>, AllocationError> {
    if !payment.is_positive() {
        return Err(AllocationError::NotPositive);
    }
    let mut allocations: Vec<(i64, Money)> = Vec::new();
    for &(id, asked) in chosen.iter().filter(|(_, m)| !m.is_zero()) {
        let item = owed
            .iter()
            .find(|o| o.id == id && o.open().is_positive())
            .ok_or(AllocationError::UnknownReceivable(id))?;
        let already: Money = allocations
            .iter()
            .filter(|(a, _)| *a == id)
            .map(|(_, m)| *m)
            .sum();
        if !asked.is_positive() || already + asked > item.open() {
            return Err(AllocationError::MoreThanOpen {
                asked: yuan(already + asked),
                open: yuan(item.open()),
            });
        }
        allocations.push((id, asked));
    }
    let allocated: Money = allocations.iter().map(|(_, m)| *m).sum();
    if allocated != payment {
        return Err(AllocationError::DoesNotAddUp {
            allocated: yuan(allocated),
            payment: yuan(payment),
        });
    }
    Ok(allocations)
}

/// What was owed on `date`: the unpaid rest of every receivable due on or before it.
pub fn arrears_as_of(owed: &[Owed], date: NaiveDate) -> Money {
    owed.iter()
        .filter(|o| o.due_date <= date)
        .map(Owed::open)
        .sum()
}

/// The last period of the unbroken run of fully paid receivables from the earliest one: the
/// customer's 下次收费日期 is the month after it. None when the earliest is not paid.
pub fn paid_through(owed: &[Owed]) -> Option<Period> {
    let mut items: Vec<&Owed> = owed.iter().collect();
    items.sort_by_key(|o| (o.period_from, o.id));
    let mut through = None;
    for item in items {
        if item.open().is_positive() {
            break;
        }
        through = Some(item.period_to);
    }
    through
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s).unwrap()
    }
    fn y(s: &str) -> Money {
        Money::parse(s).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn owed(id: i64, period: &str, amount: &str, paid: &str) -> Owed {
        let period = p(period);
        Owed {
            id,
            period_from: period,
            period_to: period,
            due_date: day_in(period, 10),
            amount: y(amount),
            paid: y(paid),
        }
    }

    fn terms(cycle: BillingCycle) -> ContractTerms {
        ContractTerms {
            start: p("2026-03"),
            end: p("2027-02"),
            fee_per_month: y("300"),
            cycle,
            due_day: 10,
        }
    }

    #[test]
    fn a_contract_bills_each_cycle_in_advance() {
        let quarterly = receivables_for_contract(&terms(BillingCycle::Quarter), p("2027-02"));
        assert_eq!(quarterly.len(), 4);
        assert_eq!(quarterly[0].period_from, p("2026-03"));
        assert_eq!(quarterly[0].period_to, p("2026-05"));
        assert_eq!(quarterly[0].amount, y("900"));
        assert_eq!(quarterly[0].due_date, d(2026, 3, 10));
        assert_eq!(quarterly[3].period_to, p("2027-02"));
        // Only cycles that have begun are billed.
        assert_eq!(
            receivables_for_contract(&terms(BillingCycle::Month), p("2026-06")).len(),
            4
        );
        let yearly = receivables_for_contract(&terms(BillingCycle::Year), p("2027-02"));
        assert_eq!(yearly.len(), 1);
        assert_eq!(yearly[0].amount, y("3,600"));
    }

    #[test]
    fn a_cycle_cut_short_by_the_contract_end_is_charged_for_its_months() {
        let mut t = terms(BillingCycle::HalfYear);
        t.end = p("2026-10");
        let planned = receivables_for_contract(&t, p("2026-12"));
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[1].period_from, p("2026-09"));
        assert_eq!(planned[1].period_to, p("2026-10"));
        assert_eq!(planned[1].amount, y("600"));
    }

    #[test]
    fn a_due_day_past_the_month_end_falls_on_its_last_day() {
        let mut t = terms(BillingCycle::Month);
        t.start = p("2026-02");
        t.due_day = 31;
        assert_eq!(
            receivables_for_contract(&t, p("2026-02"))[0].due_date,
            d(2026, 2, 28)
        );
    }

    #[test]
    fn payments_settle_the_oldest_first_and_may_leave_one_partly_paid() {
        let items = [
            owed(3, "2026-03", "300", "0"),
            owed(1, "2026-01", "300", "100"),
            owed(2, "2026-02", "300", "0"),
        ];
        let a = allocate_oldest_first(y("550"), &items).unwrap();
        assert_eq!(a, vec![(1, y("200")), (2, y("300")), (3, y("50"))]);
        assert_eq!(a.iter().map(|(_, m)| *m).sum::<Money>(), y("550"));
        assert_eq!(status_after(y("300"), y("50")), ReceivableStatus::Partial);
        assert_eq!(status_after(y("300"), y("300")), ReceivableStatus::Paid);
        assert_eq!(status_after(y("300"), Money::ZERO), ReceivableStatus::Open);
    }

    #[test]
    fn an_overpayment_is_refused_with_the_amount_really_open() {
        let items = [owed(1, "2026-01", "300", "100")];
        let err = allocate_oldest_first(y("200.01"), &items).unwrap_err();
        assert_eq!(
            err.to_string(),
            "收款金额 ¥200.01 超过未结清金额 ¥200.00，请核对金额"
        );
        assert!(matches!(
            allocate_oldest_first(Money::ZERO, &items),
            Err(AllocationError::NotPositive)
        ));
    }

    #[test]
    fn a_chosen_allocation_must_fit_what_is_owed_and_add_up() {
        let items = [
            owed(1, "2026-01", "300", "0"),
            owed(2, "2026-02", "300", "0"),
        ];
        assert_eq!(
            allocate_as_chosen(y("400"), &items, &[(2, y("300")), (1, y("100"))]).unwrap(),
            vec![(2, y("300")), (1, y("100"))]
        );
        assert!(matches!(
            allocate_as_chosen(y("400"), &items, &[(2, y("400"))]),
            Err(AllocationError::MoreThanOpen { .. })
        ));
        assert!(matches!(
            allocate_as_chosen(y("400"), &items, &[(2, y("300"))]),
            Err(AllocationError::DoesNotAddUp { .. })
        ));
        assert!(matches!(
            allocate_as_chosen(y("100"), &items, &[(9, y("100"))]),
            Err(AllocationError::UnknownReceivable(9))
        ));
        // The same receivable twice cannot take more than it owes in all.
        assert!(matches!(
            allocate_as_chosen(y("400"), &items, &[(1, y("200")), (1, y("200"))]),
            Err(AllocationError::MoreThanOpen { .. })
        ));
    }

    #[test]
    fn arrears_count_only_what_was_due_by_the_date() {
        let items = [
            owed(1, "2026-01", "300", "300"),
            owed(2, "2026-02", "300", "100"),
            owed(3, "2026-03", "300", "0"),
        ];
        assert_eq!(arrears_as_of(&items, d(2026, 2, 9)), Money::ZERO);
        assert_eq!(arrears_as_of(&items, d(2026, 2, 10)), y("200"));
        assert_eq!(arrears_as_of(&items, d(2026, 12, 31)), y("500"));
    }

    #[test]
    fn paid_through_is_the_end_of_the_unbroken_paid_run() {
        let mut items = vec![
            owed(1, "2026-01", "300", "300"),
            owed(2, "2026-02", "300", "300"),
            owed(3, "2026-03", "300", "100"),
            owed(4, "2026-04", "300", "300"),
        ];
        assert_eq!(paid_through(&items), Some(p("2026-02")));
        items[2].paid = y("300");
        assert_eq!(paid_through(&items), Some(p("2026-04")));
        items[0].paid = Money::ZERO;
        assert_eq!(paid_through(&items), None);
    }
}
