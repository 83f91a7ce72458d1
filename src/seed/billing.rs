//! Service contracts, monthly receivables, payments with their allocations and receipts, and
//! dunning for customers in arrears.
//!
//! Contracts run twelve months from the customer's anniversary month; the previous year's is
//! renewed into the current one. Receivables exist per month up to the end of the billing cycle
//! that contains the current month, and each billing cycle is paid with one payment (a yearly
//! payer pays twelve receivables at once).

use chrono::{DateTime, NaiveDate, Utc};

use super::dates::{add_days, add_minutes, before, day_of, office_time};
use super::rng::{SeedRng, between, chance, pick, weighted};
use super::roster::{Customer, ServiceState, anniversary_start};
use crate::domain::billing as fees;
use crate::domain::money::Money;
use crate::domain::period::Period;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Contract {
    pub no: String,
    pub start: Period,
    pub end: Period,
    pub fee: i64,
    pub cycle: &'static str,
    pub total: i64,
    pub status: &'static str,
    pub renewed_from: Option<usize>,
    pub signed_on: NaiveDate,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contract {
    pub(crate) fn covers(&self, period: Period) -> bool {
        self.start <= period && period <= self.end
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Receivable {
    pub contract: usize,
    pub period: Period,
    pub amount: i64,
    pub paid: i64,
    pub due_date: NaiveDate,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Payment {
    pub amount: i64,
    pub method: &'static str,
    pub paid_at: DateTime<Utc>,
    pub payer: String,
    pub note: Option<String>,
    pub confirmed_at: DateTime<Utc>,
    /// (receivable index, amount).
    pub allocations: Vec<(usize, i64)>,
    pub receipt_item: String,
    pub period_from: Period,
    pub period_to: Period,
    pub issued_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dunning {
    pub receivables: Vec<usize>,
    pub period_from: Period,
    pub period_to: Period,
    pub amount: i64,
    pub due: NaiveDate,
    pub sent_at: DateTime<Utc>,
    /// True: sent to the customer's group chat; false: to the primary contact.
    pub to_group: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Billing {
    pub contracts: Vec<Contract>,
    pub receivables: Vec<Receivable>,
    pub payments: Vec<Payment>,
    pub dunnings: Vec<Dunning>,
}

fn cycle_months(cycle: &str) -> i32 {
    match cycle {
        "quarter" => 3,
        "half_year" => 6,
        "year" => 12,
        _ => 1,
    }
}

/// Context the billing generator needs from the rest of the customer's books.
pub(crate) struct BillingInput<'a> {
    pub customer: &'a Customer,
    pub index: usize,
    pub current: Period,
    pub first: Period,
    pub cutoff: DateTime<Utc>,
    pub as_of: NaiveDate,
    pub payer: &'a str,
}

pub(crate) fn generate(rng: &mut SeedRng, input: &BillingInput<'_>) -> Billing {
    let c = input.customer;
    let current = input.current;
    let last = c.state.last_month(current);
    let mut billing = Billing::default();

    // Contract years that touch the window, oldest first (at most two).
    let latest_start = anniversary_start(c.service_start, last).max(c.service_start);
    let mut starts = vec![latest_start];
    let previous = latest_start.add_months(-12);
    if previous >= c.service_start && previous.add_months(11) >= input.first {
        starts.insert(0, previous);
    }
    let small_fees: &[(i64, u32)] = &[
        (20_000, 20),
        (25_000, 25),
        (30_000, 30),
        (35_000, 15),
        (40_000, 10),
    ];
    let latest_fee = if c.general {
        between(rng, 10, 20) * 5_000
    } else {
        *weighted(rng, small_fees)
    };
    let cycle = *weighted(
        rng,
        &[
            ("month", 35),
            ("quarter", 35),
            ("half_year", 10),
            ("year", 20),
        ],
    );
    let bump = chance(rng, 0.3) && latest_fee > if c.general { 50_000 } else { 20_000 };
    for (k, &start) in starts.iter().enumerate() {
        let is_latest = k + 1 == starts.len();
        let fee = if !is_latest && bump {
            latest_fee - 5_000
        } else {
            latest_fee
        };
        let end = start.add_months(11);
        let (status, note) = if !is_latest {
            ("expired", None)
        } else {
            match c.state {
                ServiceState::Serving => ("active", None),
                ServiceState::Paused { .. } => (
                    "active",
                    Some("客户暂停经营，服务暂停，恢复后顺延".to_string()),
                ),
                ServiceState::Expired { .. } => {
                    ("expired", Some("到期未续约，已提醒客户".to_string()))
                }
                ServiceState::Lost { last } if last < end => (
                    "terminated",
                    Some(
                        (*pick(
                            rng,
                            &["客户公司注销，提前终止", "客户转由其他机构记账，提前终止"],
                        ))
                        .to_string(),
                    ),
                ),
                ServiceState::Lost { .. } => ("expired", Some("客户不再续约".to_string())),
            }
        };
        let signed_on = add_days(start.first_day(), -between(rng, 3, 20));
        let created_at = before(office_time(signed_on, rng).max(c.created_at), input.cutoff);
        let updated_at = if status == "active" {
            created_at
        } else {
            before(
                office_time(add_days(end.next().first_day(), between(rng, 0, 5)), rng),
                input.cutoff,
            )
            .max(created_at)
        };
        billing.contracts.push(Contract {
            no: format!(
                "HT-{}{:02}-{:05}",
                start.year(),
                start.month(),
                input.index + 1
            ),
            start,
            end,
            fee,
            cycle,
            total: fee * 12,
            status,
            renewed_from: k.checked_sub(1),
            signed_on,
            note: note.or_else(|| {
                (fee > 0 && bump && is_latest && k > 0).then(|| "续约调价".to_string())
            }),
            created_at,
            updated_at,
        });
    }

    // Monthly receivables, grouped into billing cycles from each contract's start.
    let months = cycle_months(cycle);
    let paused_from = match c.state {
        ServiceState::Paused { from } => Some(from),
        _ => None,
    };
    // Customers in arrears: monthly or quarterly payers with one to four unpaid months.
    let arrears = matches!(
        c.state,
        ServiceState::Serving | ServiceState::Expired { .. }
    ) && months <= 3
        && chance(rng, 0.16);
    let ended = matches!(
        c.state,
        ServiceState::Expired { .. } | ServiceState::Lost { .. }
    );
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    for (ci, contract) in billing.contracts.iter().enumerate() {
        let mut chunk_start = contract.start;
        while chunk_start <= contract.end {
            let chunk_end = chunk_start.add_months(months - 1).min(contract.end);
            // A cycle is billed once it has begun; nothing beyond the service end or a pause.
            if chunk_start > current || chunk_start > last {
                break;
            }
            // A cycle that began before the window is billed whole (a yearly payer paid for
            // all twelve months); cycles that ended before it are not seeded.
            if chunk_end < input.first {
                chunk_start = chunk_end.next();
                continue;
            }
            let mut chunk = Vec::new();
            for p in Period::range_inclusive(chunk_start, chunk_end) {
                if paused_from.is_some_and(|f| p >= f) || (ended && p > last) {
                    continue;
                }
                let due_date = day_of(p, 10);
                let created_at = before(
                    office_time(
                        add_days(chunk_start.first_day(), -5).max(contract.signed_on),
                        rng,
                    ),
                    input.cutoff,
                );
                chunk.push(billing.receivables.len());
                billing.receivables.push(Receivable {
                    contract: ci,
                    period: p,
                    amount: contract.fee,
                    paid: 0,
                    due_date,
                    status: "open",
                    created_at,
                    updated_at: created_at,
                });
            }
            if !chunk.is_empty() {
                chunks.push(chunk);
            }
            chunk_start = chunk_end.next();
        }
    }

    // Which chunks stay unpaid: for arrears customers the most recent due ones (1–4 months),
    // and sometimes the one before them was only half paid.
    let mut unpaid = vec![false; chunks.len()];
    let mut partial_chunk = None;
    if arrears {
        let wanted = between(rng, 1, 4) as usize;
        let mut months_unpaid = 0;
        let mut oldest_unpaid = None;
        for (i, chunk) in chunks.iter().enumerate().rev() {
            if billing.receivables[chunk[0]].due_date >= input.as_of {
                continue;
            }
            if oldest_unpaid.is_some() && months_unpaid + chunk.len() > wanted {
                break;
            }
            months_unpaid += chunk.len();
            unpaid[i] = true;
            oldest_unpaid = Some(i);
        }
        partial_chunk = oldest_unpaid
            .and_then(|i| i.checked_sub(1))
            .filter(|&i| chunks[i].len() == 1 && chance(rng, 0.3));
    }
    for (i, chunk) in chunks.iter().enumerate() {
        let due = billing.receivables[chunk[0]].due_date;
        let late_days = *weighted(rng, &[(-10i64, 30), (-3, 25), (2, 25), (12, 15), (30, 5)]);
        let pay_day = add_days(due, late_days + between(rng, -2, 2));
        let paid_at = office_time(pay_day, rng);
        if unpaid[i] || paid_at >= input.cutoff {
            continue;
        }
        let amount: i64 = chunk.iter().map(|&r| billing.receivables[r].amount).sum();
        let partial = partial_chunk == Some(i);
        let pay_amount = if partial {
            amount / 2 / 100 * 100
        } else {
            amount
        };
        let confirmed_at =
            before(add_minutes(paid_at, between(rng, 10, 600)), input.cutoff).max(paid_at);
        // The same allocation the sidebar's 收款 makes: oldest first.
        let owed: Vec<fees::Owed> = chunk
            .iter()
            .map(|&r| {
                let rec = &billing.receivables[r];
                fees::Owed {
                    id: r as i64,
                    period_from: rec.period,
                    period_to: rec.period,
                    due_date: rec.due_date,
                    amount: Money::from_fen(rec.amount),
                    paid: Money::from_fen(rec.paid),
                }
            })
            .collect();
        let parts =
            fees::allocate_oldest_first(Money::from_fen(pay_amount), &owed).unwrap_or_default();
        let mut allocations = Vec::new();
        for (id, part) in parts {
            let r = id as usize;
            let rec = &mut billing.receivables[r];
            rec.paid += part.fen();
            rec.status =
                match fees::status_after(Money::from_fen(rec.amount), Money::from_fen(rec.paid)) {
                    fees::ReceivableStatus::Paid => "paid",
                    fees::ReceivableStatus::Partial => "partial",
                    fees::ReceivableStatus::Open => "open",
                };
            rec.updated_at = confirmed_at.max(rec.created_at);
            allocations.push((r, part.fen()));
        }
        let period_from = billing.receivables[chunk[0]].period;
        let period_to = billing.receivables[chunk[chunk.len() - 1]].period;
        let method = *weighted(
            rng,
            &[
                ("transfer", 45),
                ("wechat", 30),
                ("alipay", 15),
                ("cash", 8),
                ("other", 2),
            ],
        );
        let item = if period_from == period_to {
            format!("代理记账服务费 {}", period_from.to_chinese())
        } else {
            format!(
                "代理记账服务费 {}–{}",
                period_from.to_chinese(),
                period_to.to_chinese()
            )
        };
        billing.payments.push(Payment {
            amount: pay_amount,
            method,
            paid_at,
            payer: if method == "transfer" {
                c.name.clone()
            } else {
                input.payer.to_string()
            },
            note: partial.then(|| "客户先付一半，余款下月结清".to_string()),
            confirmed_at,
            allocations,
            receipt_item: item,
            period_from,
            period_to,
            issued_at: before(add_minutes(confirmed_at, between(rng, 1, 90)), input.cutoff)
                .max(confirmed_at),
        });
    }

    // Dunning for customers with overdue receivables.
    let overdue: Vec<usize> = billing
        .receivables
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status != "paid" && r.due_date < input.as_of)
        .map(|(i, _)| i)
        .collect();
    if let Some(&oldest) = overdue.first()
        && chance(rng, 0.7)
    {
        // A first reminder soon after the oldest due date, sometimes another one lately.
        let earliest_due = billing.receivables[oldest].due_date;
        let mut days = vec![add_days(earliest_due, between(rng, 3, 8))];
        if chance(rng, 0.5) {
            days.push(add_days(input.as_of, -between(rng, 1, 10)));
        }
        for day in days {
            let sent_at = office_time(day, rng);
            if sent_at >= input.cutoff {
                continue;
            }
            // Only what was already overdue when the reminder went out.
            let due_then: Vec<usize> = overdue
                .iter()
                .copied()
                .filter(|&r| billing.receivables[r].due_date < day)
                .collect();
            let (Some(&first_r), Some(&last_r)) = (due_then.first(), due_then.last()) else {
                continue;
            };
            let amount: i64 = due_then
                .iter()
                .map(|&r| billing.receivables[r].amount - billing.receivables[r].paid)
                .sum();
            billing.dunnings.push(Dunning {
                period_from: billing.receivables[first_r].period,
                period_to: billing.receivables[last_r].period,
                receivables: due_then,
                amount,
                due: add_days(day, between(rng, 5, 10)),
                sent_at,
                to_group: chance(rng, 0.5),
            });
        }
    }
    billing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Profile;
    use crate::seed::roster;

    #[test]
    fn allocations_match_payments_and_receivable_status() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let r = roster::build(Profile::S, 11, as_of);
        let mut arrears = 0;
        for (i, c) in r.customers.iter().enumerate() {
            let mut rng = crate::seed::rng::stream(11, Profile::S, 900 + i as u64);
            let b = generate(
                &mut rng,
                &BillingInput {
                    customer: c,
                    index: i,
                    current: r.current,
                    first: r.current.add_months(-12),
                    cutoff: r.cutoff,
                    as_of,
                    payer: "王总",
                },
            );
            assert!((1..=2).contains(&b.contracts.len()), "{}", c.name);
            for d in &b.dunnings {
                for &k in &d.receivables {
                    assert!(b.receivables[k].due_date < d.sent_at.date_naive());
                }
            }
            for p in &b.payments {
                let sum: i64 = p.allocations.iter().map(|(_, a)| a).sum();
                assert_eq!(sum, p.amount);
                assert!(p.paid_at < r.cutoff && p.issued_at < r.cutoff);
            }
            for rec in &b.receivables {
                let expected = if rec.paid == rec.amount {
                    "paid"
                } else if rec.paid > 0 {
                    "partial"
                } else {
                    "open"
                };
                assert_eq!(rec.status, expected);
                assert!(rec.period.contains_date(rec.due_date));
                assert!(b.contracts[rec.contract].covers(rec.period));
                assert!(rec.period >= r.current.add_months(-23));
            }
            if b.receivables
                .iter()
                .any(|r| r.status != "paid" && r.due_date < as_of)
            {
                arrears += 1;
            }
            if b.contracts.len() == 2 {
                assert_eq!(b.contracts[1].renewed_from, Some(0));
                assert_eq!(b.contracts[0].end.next(), b.contracts[1].start);
            }
        }
        assert!(
            (20..=90).contains(&arrears),
            "{arrears} customers in arrears"
        );
    }
}
