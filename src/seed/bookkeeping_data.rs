//! One customer's books over the twelve periods before `as_of` plus the month in progress:
//! service periods, document hand-overs, invoices, tax filings, financial statements, billing and
//! follow-ups.
//!
//! The customer's business is simulated month by month from January of the year before the
//! window (so year-to-date figures, opening balances and quarterly returns that straddle the
//! window start are right); rows are produced only for the months the firm served the customer.
//! Each customer draws from its own random stream, so customers can be generated one at a time,
//! in any order, and the result is the same.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rand::Rng;
use serde::Serialize;

use super::billing::{self, Billing, BillingInput};
use super::dates::{add_days, add_minutes, before, day_between, office_time};
use super::invoices::{Counterparties, Direction, Invoice, InvoiceBook, InvoiceProfile, Status};
use super::names::{Trade, honorific};
use super::rng::{CUSTOMER_BASE, SeedRng, between, chance, jitter, stream, weighted};
use super::roster::{ContactRole, ServiceState};
use super::statements::{
    Balances, CashFlows, Income, MonthMoves, balance_sheet_json, cash_flow_json,
    income_statement_json, month_cash_flows,
};
use super::texts::{self, Topic};
use super::world::World;
use crate::domain::money::Money;
use crate::domain::period::{Period, VatPeriodKind};
use crate::domain::tax_calendar::{Deadline, HolidayTable, OfficialCalendar};
use crate::domain::vat::{
    self, CityTaxLevel, GeneralVatInput, InputVoucher, InvoiceStatus, OutputInvoice, SmallScaleSale,
};

/// Filing deadlines: the stored official calendar and holidays (or the built-in ones).
#[derive(Clone, Debug, Default)]
pub(crate) struct Calendar {
    pub holidays: HolidayTable,
    pub official: OfficialCalendar,
}

impl Calendar {
    /// The reference data the migrations install, for unit tests without a database.
    #[cfg(test)]
    pub(crate) fn builtin() -> Calendar {
        Calendar {
            holidays: HolidayTable::builtin(),
            official: OfficialCalendar::builtin(),
        }
    }

    fn monthly(&self, filing_month: Period) -> Deadline {
        self.official.deadline(filing_month, &self.holidays)
    }

    /// CIT annual settlement: 31 May, moved to the next working day.
    fn annual(&self, year: i32) -> Deadline {
        let may31 = NaiveDate::from_ymd_opt(year, 5, 31).unwrap_or(NaiveDate::MIN);
        Deadline {
            date: self.holidays.working_day_on_or_after(may31),
            provisional: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServicePeriod {
    pub period: Period,
    pub contract: Option<usize>,
    pub collection_status: &'static str,
    pub completed_by: Option<usize>,
    pub completed_at: Option<DateTime<Utc>>,
    pub has_missing: bool,
    pub bookkeeping_status: &'static str,
    pub report_status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Collection {
    pub period: Period,
    pub received_at: DateTime<Utc>,
    pub received_by: usize,
    pub lines: String,
    pub total_count: i32,
    pub total_fen: i64,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Missing {
    pub period: Period,
    pub doc_type: &'static str,
    pub description: String,
    pub expected_fen: i64,
    pub marked_by: usize,
    pub marked_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Filing {
    pub period_from: Period,
    pub period_to: Period,
    pub tax_type: &'static str,
    pub due: Deadline,
    pub status: &'static str,
    pub payable: i64,
    pub paid: i64,
    pub filed_at: Option<DateTime<Utc>>,
    pub filed_by: Option<usize>,
    pub notified_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Report {
    pub period: Period,
    pub report_type: &'static str,
    pub lines: String,
    pub generated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DunningRow {
    pub receivables: Vec<usize>,
    pub period_from: Period,
    pub period_to: Period,
    pub amount: i64,
    pub target_type: &'static str,
    pub target_id: String,
    pub sent_by: usize,
    pub sent_at: DateTime<Utc>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FollowUp {
    pub employee: usize,
    pub kind: &'static str,
    pub content: String,
    pub next_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Books {
    pub billing: Billing,
    pub dunnings: Vec<DunningRow>,
    pub periods: Vec<ServicePeriod>,
    pub collections: Vec<Collection>,
    pub missing: Vec<Missing>,
    pub invoices: Vec<Invoice>,
    pub filings: Vec<Filing>,
    pub reports: Vec<Report>,
    pub follow_ups: Vec<FollowUp>,
}

/// The customer's economics, drawn once.
struct Business {
    base_sales: f64,
    trend: f64,
    shell: bool,
    cost_share: f64,
    payroll: i64,
    salaries: Vec<(i64, i64)>,
    rent: i64,
    ar_months: f64,
    ap_months: f64,
    advance_share: f64,
    boundary_month: Option<Period>,
    subsidy_month: Option<u32>,
    entertainment_share: f64,
    loan: i64,
}

#[derive(Serialize)]
struct CollectionLine {
    doc_type: &'static str,
    count: i64,
    amount_fen: i64,
}

fn season(month: u32) -> f64 {
    match month {
        1 => 0.85,
        2 => 0.6,
        3 => 1.05,
        6 | 9 => 1.1,
        11 => 1.1,
        12 => 1.25,
        _ => 1.0,
    }
}

/// Monthly IIT withheld for one salary (monthly brackets of the comprehensive-income table).
fn monthly_iit(salary: i64, special: i64) -> i64 {
    let social = salary * 105 / 1000;
    let taxable = salary - 500_000 - social - special;
    if taxable <= 0 {
        0
    } else if taxable <= 300_000 {
        taxable * 3 / 100
    } else if taxable <= 1_200_000 {
        taxable / 10 - 21_000
    } else {
        taxable / 5 - 141_000
    }
}

fn draw_business(rng: &mut SeedRng, world: &World, c: usize, first: Period) -> Business {
    let cust = &world.roster.customers[c];
    let shell = !cust.general && chance(rng, 0.08);
    let base_yuan = if cust.general {
        (150_000f64.ln() + rng.random::<f64>() * (1_500_000f64 / 150_000f64).ln()).exp()
    } else {
        match *weighted(rng, &[(0u8, 62), (1, 25), (2, 13)]) {
            0 => rng.random_range(10_000.0..60_000.0),
            1 => rng.random_range(60_000.0..95_000.0),
            _ => rng.random_range(95_000.0..150_000.0),
        }
    };
    let cost_share = (f64::from(cust.industry.cost_pct) / 100.0 * jitter(rng, 0.12)).min(0.95);
    let payroll_share = f64::from(cust.industry.payroll_pct) / 100.0 * jitter(rng, 0.2);
    let payroll = if shell {
        between(rng, 0, 1) * 300_000
    } else {
        (base_yuan * payroll_share * 100.0) as i64
    };
    let avg_salary = between(rng, 450_000, 900_000);
    let headcount = (payroll / avg_salary).max(usize::from(!shell) as i64);
    let salaries = (0..headcount)
        .map(|_| {
            let salary = (avg_salary as f64 * rng.random_range(0.6..2.2)) as i64 / 100 * 100;
            let special = *weighted(
                rng,
                &[(0i64, 40), (100_000, 20), (200_000, 20), (300_000, 20)],
            );
            (salary, special)
        })
        .collect::<Vec<_>>();
    let payroll = if shell {
        payroll
    } else {
        salaries.iter().map(|s| s.0).sum()
    };
    let monthly_filer_small = !cust.general && !cust.vat_quarterly;
    let boundary_month = (monthly_filer_small && base_yuan > 60_000.0 && chance(rng, 0.3))
        .then(|| {
            let from = first.max(Period::new(2026, 1).unwrap_or(first));
            let span = from.months_between(world.roster.current.prev()).max(0);
            from.add_months(between(rng, 0, i64::from(span)) as i32)
        })
        .filter(|p| *p < world.roster.current);
    Business {
        base_sales: base_yuan * 100.0,
        trend: 1.0 + rng.random_range(-0.01..0.02),
        shell,
        cost_share,
        payroll,
        salaries,
        rent: if cust.general {
            between(rng, 80, 400) * 10_000
        } else {
            between(rng, 15, 80) * 10_000
        },
        ar_months: rng.random_range(0.3..1.2),
        ap_months: rng.random_range(0.2..0.8),
        advance_share: if cust.industry.retail_pct >= 70 {
            rng.random_range(0.1..0.5)
        } else {
            0.0
        },
        boundary_month,
        subsidy_month: chance(rng, 0.12).then(|| rng.random_range(3..=11)),
        entertainment_share: rng.random_range(0.003..0.015),
        loan: if cust.general && chance(rng, 0.3) {
            between(rng, 5, 30) * 10_000_000
        } else {
            0
        },
    }
}

/// Everything the generator reads.
pub(crate) struct BookContext<'a> {
    pub world: &'a World,
    pub calendar: &'a Calendar,
    pub parties: &'a Counterparties,
}

/// VAT and related amounts for one filing period, accumulated month by month.
#[derive(Default)]
struct TaxPeriod {
    small_sales: Vec<SmallScaleSale>,
    outputs: Vec<OutputInvoice>,
    inputs: Vec<InputVoucher>,
    sales: i64,
    purchases: i64,
    collected: i64,
}

pub(crate) fn customer_books(ctx: &BookContext<'_>, c: usize) -> Books {
    let world = ctx.world;
    let roster = &world.roster;
    let cust = &roster.customers[c];
    let mut rng = stream(world.seed, roster.profile, CUSTOMER_BASE + c as u64);
    let current = roster.current;
    let first = current.add_months(-12);
    let cut = roster.cutoff;
    let as_of = roster.as_of;
    let last = cust.state.last_month(current);
    let active_from = cust.service_start.max(first);
    let paused_from = match cust.state {
        ServiceState::Paused { from } => Some(from),
        _ => None,
    };
    let mut books = Books::default();
    if last < active_from {
        return books;
    }

    let contacts: Vec<usize> = cust.contacts.clone();
    let primary = contacts
        .iter()
        .copied()
        .find(|&k| roster.contacts[k].is_primary)
        .unwrap_or(contacts[0]);
    let primary_person = &roster.people[roster.contacts[primary].person];
    let addressee = match roster.contacts[primary].role {
        ContactRole::Boss => honorific(&primary_person.name, true),
        _ => primary_person.name.full.clone(),
    };
    let boss_name = roster.people[roster.contacts[contacts[0]].person]
        .name
        .full
        .clone();

    books.billing = billing::generate(
        &mut rng,
        &BillingInput {
            customer: cust,
            index: c,
            current,
            first,
            cutoff: cut,
            as_of,
            payer: &boss_name,
        },
    );
    books.dunnings = dunning_rows(world, c, &books.billing, &addressee);

    let biz = draw_business(&mut rng, world, c, first);
    let mut invoices = InvoiceBook::new(
        ctx.parties,
        InvoiceProfile {
            general: cust.general,
            trade: cust.industry.trade,
            output_rate_bp: cust.industry.vat_rate_bp,
            retail_pct: cust.industry.retail_pct,
            special_at_3pct: !cust.general && chance(&mut rng, 0.15),
            province_code: cust.city.province_code,
            tax_control_until: chance(&mut rng, 0.12)
                .then(|| Period::new(2025, rng.random_range(6..=12)).ok())
                .flatten(),
        },
        cut,
    );
    let city_level = CityTaxLevel::from_percent(u8::try_from(cust.city_tax_level).unwrap_or(7))
        .unwrap_or(CityTaxLevel::Urban);
    let vat_kind = if cust.vat_quarterly {
        VatPeriodKind::Quarter
    } else {
        VatPeriodKind::Month
    };

    // Opening balances at the start of the simulation.
    let sim_start = if cust.newly_founded {
        cust.service_start
    } else {
        Period::new(first.year() - 1, 1).unwrap_or(first)
    }
    .min(active_from);
    let capital = if cust.general {
        between(&mut rng, 100, 500) * 1_000_000
    } else {
        between(&mut rng, 10, 100) * 1_000_000
    };
    let fixed_cost = if cust.general {
        between(&mut rng, 20, 200) * 1_000_000
    } else {
        between(&mut rng, 2, 15) * 1_000_000
    };
    let mut bal = Balances {
        capital,
        fixed_assets_cost: fixed_cost,
        depreciation: if cust.newly_founded {
            0
        } else {
            fixed_cost * between(&mut rng, 5, 60) / 100
        },
        long_term_prepaid: if chance(&mut rng, 0.3) {
            between(&mut rng, 3, 20) * 1_000_000
        } else {
            0
        },
        retained_opening: if cust.newly_founded {
            0
        } else {
            capital * between(&mut rng, -20, 60) / 100
        },
        short_term_loans: biz.loan,
        other_receivables: between(&mut rng, 2, 10) * 100_000,
        inventory: if matches!(cust.industry.trade, Trade::Goods | Trade::Construction) {
            (biz.base_sales * biz.cost_share * rng.random_range(0.5..1.5)) as i64
        } else {
            0
        },
        ..Balances::default()
    };
    let min_cash = |sales: f64| (sales * 0.2).max(2_000_000.0) as i64;
    let comfortable = |sales: f64| (sales * 3.0) as i64 + 10_000_000;
    bal.settle_cash(min_cash(biz.base_sales), comfortable(biz.base_sales));
    let mut year_open = bal;
    let mut ytd = Income::default();
    let mut ytd_flows = CashFlows {
        opening_cash: bal.cash,
        ..CashFlows::default()
    };
    let mut quarter_flows = ytd_flows;
    let mut vat_accrued: i64 = 0;
    let mut due_next: i64 = 0;
    let mut cit_prepaid_ytd: i64 = 0;
    let mut annual: Vec<(i32, i64, i64)> = Vec::new();
    let mut vat_period = TaxPeriod::default();
    let mut quarter_trade = (0i64, 0i64);
    let mut monthly_lamp = 1.0f64;

    let end = last.min(current);
    for (k, m) in Period::range_inclusive(sim_start, end).enumerate() {
        let served = m >= active_from;
        let paused = paused_from.is_some_and(|f| m >= f);
        let days_in = m.last_day().day();
        let last_day = if m == current {
            as_of.day().saturating_sub(1)
        } else {
            days_in
        };
        let fraction = f64::from(last_day) / f64::from(days_in);
        if m.month() == 1 && k > 0 {
            // Year-end closing: profit moves into retained earnings.
            bal.retained_opening += bal.profit_ytd;
            bal.profit_ytd = 0;
            year_open = bal;
            ytd = Income::default();
            ytd_flows = CashFlows {
                opening_cash: bal.cash,
                ..CashFlows::default()
            };
            cit_prepaid_ytd = 0;
        }
        if m == m.quarter_start() {
            quarter_flows = CashFlows {
                opening_cash: bal.cash,
                ..CashFlows::default()
            };
            quarter_trade = (0, 0);
        }
        monthly_lamp *= biz.trend;

        // The month's plan.
        let mut sales = if paused {
            0.0
        } else if biz.shell {
            if chance(&mut rng, 0.7) {
                0.0
            } else {
                biz.base_sales * rng.random_range(0.05..0.3)
            }
        } else {
            biz.base_sales * monthly_lamp * season(m.month()) * jitter(&mut rng, 0.25)
        };
        if biz.boundary_month == Some(m) {
            sales = 10_000_000.0;
        }
        let sales_fen = (sales * fraction).round() as i64;
        let sales_fen = if biz.boundary_month == Some(m) || sales_fen < 10_000 {
            if biz.boundary_month == Some(m) {
                10_000_000
            } else {
                0
            }
        } else if chance(&mut rng, 0.6) {
            sales_fen / 100 * 100
        } else {
            sales_fen
        };
        let cogs = (sales_fen as f64 * biz.cost_share) as i64;
        let goods_purchases = if paused {
            0
        } else {
            (cogs as f64 * jitter(&mut rng, 0.1)) as i64
        };
        let expense_invoiced = if paused {
            0
        } else {
            (sales_fen as f64 * rng.random_range(0.01..0.04)) as i64
                + (biz.rent as f64 * fraction) as i64
        };
        let purchases_fen = goods_purchases + expense_invoiced;

        // Invoices for served months; synthetic totals before that.
        let start_idx = books.invoices.len();
        if served && !paused && last_day > 0 {
            invoices.sales(&mut rng, m, sales_fen, last_day, &mut books.invoices);
            invoices.purchases(&mut rng, m, purchases_fen, last_day, &mut books.invoices);
        }
        let month_invoices = &books.invoices[start_idx..];
        let mut output_tax = 0;
        let mut input_tax_all = 0;
        let mut input_deductible = 0;
        if served && !paused {
            for inv in month_invoices {
                let status = match inv.status {
                    Status::Normal => InvoiceStatus::Normal,
                    Status::Red => InvoiceStatus::RedLetter,
                    Status::Void => InvoiceStatus::Void,
                };
                if inv.status == Status::Void {
                    continue;
                }
                match inv.direction {
                    Direction::Out => {
                        output_tax += inv.tax;
                        vat_period.small_sales.push(SmallScaleSale {
                            amount: Money::from_fen(inv.amount),
                            rate_bp: Some(inv.rate_bp),
                            special_invoice: inv.is_special(),
                        });
                        vat_period.outputs.push(OutputInvoice {
                            tax: Money::from_fen(inv.tax),
                            status,
                        });
                    }
                    Direction::In => {
                        input_tax_all += inv.tax;
                        if inv.deductible && inv.use_confirmed_at.is_some() {
                            input_deductible += inv.tax;
                        }
                        vat_period.inputs.push(InputVoucher {
                            tax: Money::from_fen(inv.tax),
                            status,
                            deductible: inv.deductible,
                            use_confirmed: inv.use_confirmed_at.is_some(),
                        });
                    }
                }
            }
        } else {
            let rate = if cust.general {
                cust.industry.vat_rate_bp
            } else {
                100
            };
            output_tax = Money::from_fen(sales_fen).mul_bp(rate).fen();
            input_tax_all = Money::from_fen(purchases_fen).mul_bp(1000).fen();
            input_deductible = if cust.general {
                Money::from_fen(goods_purchases).mul_bp(1000).fen()
            } else {
                0
            };
            vat_period.small_sales.push(SmallScaleSale {
                amount: Money::from_fen(sales_fen),
                rate_bp: Some(100),
                special_invoice: false,
            });
            vat_period.outputs.push(OutputInvoice {
                tax: Money::from_fen(output_tax),
                status: InvoiceStatus::Normal,
            });
            vat_period.inputs.push(InputVoucher {
                tax: Money::from_fen(goods_purchases).mul_bp(1000),
                status: InvoiceStatus::Normal,
                deductible: cust.general,
                use_confirmed: true,
            });
        }
        vat_period.sales += sales_fen;
        vat_period.purchases += purchases_fen;
        vat_period.collected += output_tax;
        quarter_trade.0 += sales_fen;
        quarter_trade.1 += purchases_fen;

        // Month income before taxes that depend on the filing period.
        let payroll = if paused { biz.payroll / 3 } else { biz.payroll };
        let mut month = Income {
            revenue: sales_fen,
            cost: cogs,
            selling: payroll * 3 / 10 + sales_fen / 100,
            advertising: sales_fen / 100,
            admin: payroll * 7 / 10
                + biz.rent
                + (bal.fixed_assets_cost / 60)
                    .min(bal.fixed_assets_cost * 95 / 100 - bal.depreciation)
                    .max(0)
                + (sales_fen as f64 * biz.entertainment_share) as i64
                + bal
                    .long_term_prepaid
                    .min(between(&mut rng, 50_000, 300_000)),
            entertainment: (sales_fen as f64 * biz.entertainment_share) as i64,
            finance: between(&mut rng, 2_000, 30_000) + bal.short_term_loans * 35 / 10_000,
            interest: bal.short_term_loans * 35 / 10_000,
            ..Income::default()
        };
        if biz.subsidy_month == Some(m.month()) && !paused {
            let subsidy = between(&mut rng, 5, 50) * 100_000;
            month.other_income += subsidy;
            month.subsidies += subsidy;
        }

        // Filing period ends: VAT + surcharges, stamp duty, CIT.
        let vat_period_end = match vat_kind {
            VatPeriodKind::Month => m,
            VatPeriodKind::Quarter => m.quarter_end(),
        };
        let halved = vat::six_taxes_two_fees_halving_applies(
            m,
            vat::TaxpayerProfile {
                small_scale: !cust.general,
                small_micro: cust.small_micro,
                individual_business: false,
            },
        );
        let mut taxes_due_now = 0;
        let vat_estimate = |tp: &TaxPeriod, credit: i64| -> (i64, i64) {
            if cust.general {
                vat::estimate_general(&GeneralVatInput {
                    outputs: &tp.outputs,
                    inputs: &tp.inputs,
                    input_transfer_out: Money::ZERO,
                    prior_credit: Money::from_fen(credit),
                })
                .map(|e| (e.payable.fen(), e.carry_forward.fen()))
                .unwrap_or((0, credit))
            } else {
                vat::estimate_small_scale(vat_kind, m, &tp.small_sales)
                    .map(|e| (e.payable.fen(), 0))
                    .unwrap_or((0, 0))
            }
        };
        vat_accrued += output_tax - input_deductible;
        let (vat_from, vat_to) = (
            if vat_kind == VatPeriodKind::Quarter {
                m.quarter_start()
            } else {
                m
            },
            vat_period_end,
        );
        if m == vat_period_end || m == current {
            let (payable, carry) = vat_estimate(&vat_period, bal.vat_credit);
            let education_exempt =
                vat::education_surcharges_exempt(vat_kind, Money::from_fen(vat_period.sales));
            let s = vat::surcharges(
                Money::from_fen(payable),
                city_level,
                halved,
                education_exempt,
            );
            let vat_total = payable + s.total().fen();
            if m == vat_period_end {
                month.city_tax += s.city_maintenance.fen();
                month.education += s.education.fen() + s.local_education.fen();
                if !cust.general {
                    // Tax collected on invoices but exempt is income (小规模免征增值税).
                    month.other_income += (vat_period.collected - payable).max(0);
                }
                bal.vat_credit = carry;
                vat_accrued = 0;
                taxes_due_now += vat_total;
            }
            if served {
                push_filing(
                    &mut books.filings,
                    &mut rng,
                    ctx,
                    c,
                    ("vat_surcharge", vat_from, vat_to),
                    vat_total,
                );
                push_filing(
                    &mut books.filings,
                    &mut rng,
                    ctx,
                    c,
                    ("fin_report", vat_from, vat_to),
                    0,
                );
            }
            if m == vat_period_end {
                vat_period = TaxPeriod::default();
            }
        }
        if m == m.quarter_end() || m == current {
            let base = quarter_trade.0 + quarter_trade.1;
            let mut stamp = base * 3 / 10_000;
            if halved {
                stamp /= 2;
            }
            if m == m.quarter_end() {
                month.stamp_duty += stamp;
                taxes_due_now += stamp;
            }
            if served {
                push_filing(
                    &mut books.filings,
                    &mut rng,
                    ctx,
                    c,
                    ("stamp", m.quarter_start(), m.quarter_end()),
                    stamp,
                );
            }
        }
        let cit_end = if cust.cit_monthly { m } else { m.quarter_end() };
        if m == cit_end || m == current {
            let ytd_profit = ytd.total_profit() + month.total_profit();
            let taxable = ytd_profit.max(0);
            let rate_bp = if cust.small_micro && taxable <= 300_000_000 {
                500
            } else {
                2500
            };
            let due_ytd = Money::from_fen(taxable).mul_bp(rate_bp).fen();
            let payable = (due_ytd - cit_prepaid_ytd).max(0);
            if m == cit_end {
                cit_prepaid_ytd += payable;
                month.income_tax += payable;
                taxes_due_now += payable;
            }
            if served {
                let from = if cust.cit_monthly {
                    m
                } else {
                    m.quarter_start()
                };
                push_filing(
                    &mut books.filings,
                    &mut rng,
                    ctx,
                    c,
                    ("cit_prepay", from, cit_end),
                    payable,
                );
            }
        }
        let iit: i64 = if paused {
            0
        } else {
            biz.salaries
                .iter()
                .map(|(s, sp)| monthly_iit(*s, *sp))
                .sum()
        };
        if served {
            push_filing(
                &mut books.filings,
                &mut rng,
                ctx,
                c,
                ("iit_withhold", m, m),
                iit,
            );
        }
        // CIT annual settlement for last year, filed by 31 May.
        if served
            && (m.month() == 5 || (m == current && m.month() < 5))
            && let Some(&(year, profit, prepaid)) =
                annual.iter().find(|(y, _, _)| *y == m.year() - 1)
        {
            let adjusted = profit.max(0);
            let rate_bp = if cust.small_micro && adjusted <= 300_000_000 {
                500
            } else {
                2500
            };
            let payable = (Money::from_fen(adjusted).mul_bp(rate_bp).fen() - prepaid).max(0);
            if m.month() == 5 {
                // Last year's top-up is this year's income tax expense (小企业会计准则), so
                // retained earnings change by exactly the year's net profit.
                month.income_tax += payable;
                taxes_due_now += payable;
            }
            push_filing(
                &mut books.filings,
                &mut rng,
                ctx,
                c,
                (
                    "cit_annual",
                    Period::new(year, 1).unwrap_or(m),
                    Period::new(year, 12).unwrap_or(m),
                ),
                payable,
            );
        }

        // Balances at month end.
        let before_bal = bal;
        let gross_sales = sales_fen + output_tax;
        let gross_purchases = purchases_fen + input_tax_all;
        bal.receivables = (gross_sales as f64 * biz.ar_months) as i64;
        bal.advances = (sales_fen as f64 * biz.advance_share) as i64;
        bal.prepayments = purchases_fen / 20;
        if matches!(cust.industry.trade, Trade::Goods | Trade::Construction) {
            bal.inventory = (bal.inventory + goods_purchases - cogs).max(0);
        }
        bal.depreciation =
            (bal.depreciation + bal.fixed_assets_cost / 60).min(bal.fixed_assets_cost * 95 / 100);
        bal.long_term_prepaid = (bal.long_term_prepaid - between(&mut rng, 50_000, 300_000)).max(0);
        bal.payables = (gross_purchases as f64 * biz.ap_months) as i64;
        bal.salaries_payable = payroll;
        let paid_taxes = due_next;
        due_next = taxes_due_now + iit;
        bal.taxes_payable = due_next + vat_accrued.max(0);
        bal.profit_ytd += month.net_profit();
        bal.settle_cash(min_cash(biz.base_sales), comfortable(biz.base_sales));
        let flows = month_cash_flows(
            &before_bal,
            &bal,
            &MonthMoves {
                gross_sales,
                gross_purchases,
                payroll,
                taxes_paid: paid_taxes,
                fixed_assets_bought: 0,
            },
        );
        quarter_flows.add(&flows);
        ytd_flows.add(&flows);
        ytd.add(&month);
        if m.month() == 12 {
            annual.push((
                m.year(),
                ytd.total_profit() + ytd.entertainment * 4 / 10,
                cit_prepaid_ytd,
            ));
        }

        if !served {
            continue;
        }
        // Statements are prepared in the first half of the next month.
        let generated_at = (m < current)
            .then(|| {
                let day = day_between(&mut rng, m.next(), 5, 18);
                office_time(day, &mut rng)
            })
            .filter(|at| *at < cut);
        let mut sent = false;
        if let Some(generated_at) = generated_at {
            let sent_at = chance(&mut rng, 0.88)
                .then(|| add_minutes(generated_at, between(&mut rng, 30, 3 * 24 * 60)))
                .filter(|at| *at < cut);
            sent = sent_at.is_some();
            books.reports.push(Report {
                period: m,
                report_type: "balance_sheet",
                lines: balance_sheet_json(&bal, &year_open),
                generated_at,
                sent_at,
            });
            books.reports.push(Report {
                period: m,
                report_type: "income_statement",
                lines: income_statement_json(&month, &ytd),
                generated_at,
                sent_at,
            });
            if m == m.quarter_end() {
                books.reports.push(Report {
                    period: m,
                    report_type: "cash_flow",
                    lines: cash_flow_json(&quarter_flows, &ytd_flows),
                    generated_at,
                    sent_at,
                });
            }
        }
        let summary = month_invoices_summary(&books.invoices[start_idx..]);
        month_rows(
            &mut books,
            &mut rng,
            ctx,
            c,
            m,
            &summary,
            payroll,
            generated_at.is_some(),
            sent,
            &addressee,
        );
    }
    books
}

/// (count_out, total_out, count_in, total_in) of a month's invoices.
fn month_invoices_summary(invoices: &[Invoice]) -> (i64, i64, i64, i64) {
    let mut s = (0, 0, 0, 0);
    for i in invoices.iter().filter(|i| i.status != Status::Void) {
        match i.direction {
            Direction::Out => {
                s.0 += 1;
                s.1 += i.total;
            }
            Direction::In => {
                s.2 += 1;
                s.3 += i.total;
            }
        }
    }
    s
}

fn push_filing(
    filings: &mut Vec<Filing>,
    rng: &mut SeedRng,
    ctx: &BookContext<'_>,
    c: usize,
    (tax_type, from, to): (&'static str, Period, Period),
    payable: i64,
) {
    let roster = &ctx.world.roster;
    let cust = &roster.customers[c];
    let as_of = roster.as_of;
    let cut = roster.cutoff;
    let due = if tax_type == "cit_annual" {
        ctx.calendar.annual(to.year() + 1)
    } else {
        ctx.calendar.monthly(to.next())
    };
    let filing_month = if tax_type == "cit_annual" {
        Period::new(to.year() + 1, 5).unwrap_or(to.next())
    } else {
        to.next()
    };
    let complete = to < roster.current;
    let created_at = before(
        office_time(from.first_day().max(cust.service_start.first_day()), rng),
        cut,
    )
    .max(cust.created_at.min(cut));
    let mut filing = Filing {
        period_from: from,
        period_to: to,
        tax_type,
        due,
        status: "pending",
        payable: payable.max(0),
        paid: 0,
        filed_at: None,
        filed_by: None,
        notified_at: None,
        note: None,
        created_at,
        updated_at: created_at,
    };
    let recent = due.date >= add_days(as_of, -62);
    if due.date < as_of && recent && chance(rng, 0.015) {
        filing.status = "overdue";
        filing.note = Some(
            (*super::rng::pick(
                rng,
                &[
                    "客户未提供银行回单，暂未申报",
                    "等待客户确认收入金额",
                    "电子税务局实名认证过期，等老板扫码",
                ],
            ))
            .to_string(),
        );
        filing.updated_at = office_time(due.date, rng).max(created_at).min(cut);
    } else if complete {
        let season_start = filing_month.first_day();
        let last_day = add_days(due.date, -1).max(season_start);
        let span = (last_day - season_start).num_days().max(0);
        let day = add_days(season_start, between(rng, 2.min(span), span));
        // Returns go in on working days.
        let day = ctx
            .calendar
            .holidays
            .working_day_on_or_after(day)
            .min(due.date);
        let filed_at = office_time(day, rng);
        if filed_at < cut && (due.date < as_of || chance(rng, 0.6)) {
            filing.filed_at = Some(filed_at);
            filing.filed_by = Some(cust.bk);
            filing.status = if filing.payable > 0 { "paid" } else { "filed" };
            filing.paid = if filing.payable > 0 {
                filing.payable
            } else {
                0
            };
            filing.notified_at = chance(rng, 0.8)
                .then(|| add_minutes(filed_at, between(rng, 10, 600)))
                .filter(|at| *at < cut);
            filing.updated_at = filing.notified_at.unwrap_or(filed_at).max(created_at);
        }
    }
    // Quarterly returns are pushed again each month of the quarter while in progress; keep the
    // latest estimate only.
    if let Some(existing) = filings
        .iter_mut()
        .find(|f| f.tax_type == tax_type && f.period_from == from)
    {
        *existing = filing;
    } else {
        filings.push(filing);
    }
}

#[allow(clippy::too_many_arguments)]
fn month_rows(
    books: &mut Books,
    rng: &mut SeedRng,
    ctx: &BookContext<'_>,
    c: usize,
    m: Period,
    summary: &(i64, i64, i64, i64),
    payroll: i64,
    reported: bool,
    sent: bool,
    addressee: &str,
) {
    let roster = &ctx.world.roster;
    let cust = &roster.customers[c];
    let cut = roster.cutoff;
    let current = roster.current;
    let contract = books.billing.contracts.iter().position(|k| k.covers(m));
    let created_at = before(office_time(m.first_day(), rng), cut).max(cust.created_at.min(cut));

    // Hand-over of last month's documents in the first days of the next month.
    let mut collection_status = "not_started";
    let mut completed_at = None;
    let mut has_missing = false;
    if m < current {
        let day = day_between(rng, m.next(), 1, 8);
        let received_at = office_time(day, rng);
        if received_at < cut {
            let bank_count = between(rng, 3, 30);
            let mut lines = Vec::new();
            if summary.0 > 0 {
                lines.push(CollectionLine {
                    doc_type: "销项发票",
                    count: summary.0,
                    amount_fen: summary.1,
                });
            }
            if summary.2 > 0 {
                lines.push(CollectionLine {
                    doc_type: "进项发票",
                    count: summary.2,
                    amount_fen: summary.3,
                });
            }
            let bank_amount = (summary.1 + summary.3) * between(rng, 80, 120) / 100;
            lines.push(CollectionLine {
                doc_type: "银行回单",
                count: bank_count,
                amount_fen: bank_amount,
            });
            if payroll > 0 {
                lines.push(CollectionLine {
                    doc_type: "工资表",
                    count: 1,
                    amount_fen: payroll,
                });
            }
            if chance(rng, 0.4) {
                lines.push(CollectionLine {
                    doc_type: "费用报销单据",
                    count: between(rng, 2, 15),
                    amount_fen: between(rng, 20_000, 800_000),
                });
            }
            let total_count = lines.iter().map(|l| l.count).sum::<i64>();
            let total_fen = lines.iter().map(|l| l.amount_fen).sum::<i64>();
            books.collections.push(Collection {
                period: m,
                received_at,
                received_by: cust.bk,
                lines: serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into()),
                total_count: i32::try_from(total_count).unwrap_or(i32::MAX),
                total_fen,
                note: chance(rng, 0.1).then(|| {
                    (*super::rng::pick(
                        rng,
                        &[
                            "老板自己送来纸质发票",
                            "快递寄送，已签收",
                            "出纳在群里发的电子版",
                            "银行回单网银导出",
                        ],
                    ))
                    .to_string()
                }),
            });
            collection_status = "complete";
            completed_at = Some(received_at);
            // Sometimes something is missing; old gaps were chased down, recent ones are open.
            if chance(rng, 0.09) {
                let recent = m >= current.add_months(-2);
                for _ in 0..between(rng, 1, 2) {
                    let expected = between(rng, 30_000, 1_500_000) / 100 * 100;
                    let (doc_type, description) = texts::missing(rng, Money::from_fen(expected), m);
                    let marked_at =
                        before(add_minutes(received_at, between(rng, 60, 3 * 24 * 60)), cut);
                    let resolved_at = (!recent || chance(rng, 0.4))
                        .then(|| add_minutes(marked_at, between(rng, 2 * 24 * 60, 20 * 24 * 60)))
                        .filter(|at| *at < cut);
                    if resolved_at.is_none() {
                        has_missing = true;
                    } else {
                        completed_at = completed_at.max(resolved_at);
                    }
                    books.missing.push(Missing {
                        period: m,
                        doc_type,
                        description,
                        expected_fen: expected,
                        marked_by: cust.bk,
                        marked_at,
                        resolved_at,
                    });
                }
                if has_missing {
                    collection_status = "collecting";
                    completed_at = None;
                }
            }
        }
    }
    let bookkeeping_status = if reported {
        "done"
    } else if collection_status != "not_started" {
        "in_progress"
    } else {
        "not_started"
    };
    let report_status = match (reported, sent) {
        (true, true) => "sent",
        (true, false) => "ready",
        _ => "not_ready",
    };
    books.periods.push(ServicePeriod {
        period: m,
        contract,
        collection_status,
        completed_by: completed_at.map(|_| cust.bk),
        completed_at,
        has_missing,
        bookkeeping_status,
        report_status,
        created_at,
        updated_at: completed_at.unwrap_or(created_at).max(created_at),
    });

    // Follow-ups: about two a month.
    let last_day = if m == current {
        roster.as_of.day().saturating_sub(1)
    } else {
        m.last_day().day()
    };
    if last_day == 0 {
        return;
    }
    let overdue = books
        .billing
        .receivables
        .iter()
        .any(|r| r.status != "paid" && r.due_date <= m.last_day() && r.due_date < roster.as_of);
    let renewal_due = books
        .billing
        .contracts
        .iter()
        .any(|k| k.end == m || k.end == m.next());
    let farewell = m == cust.state.last_month(current)
        && matches!(
            cust.state,
            ServiceState::Lost { .. } | ServiceState::Expired { .. }
        );
    let count = *weighted(rng, &[(1usize, 20), (2, 55), (3, 25)]);
    for n in 0..count {
        let topic = if n == 0 && farewell {
            Topic::Farewell
        } else if n == 0 && renewal_due {
            Topic::Renewal
        } else if n == 0 && overdue && m >= current.add_months(-3) {
            Topic::Billing
        } else {
            *weighted(
                rng,
                &[
                    (Topic::Collection, 30),
                    (Topic::Filing, 22),
                    (Topic::Report, 10),
                    (Topic::Advice, 25),
                    (Topic::Visit, 8),
                    (Topic::Billing, 5),
                ],
            )
        };
        let employee = match topic {
            Topic::Collection | Topic::Filing | Topic::Report => cust.bk,
            Topic::Visit => cust.field_agent.unwrap_or(cust.am),
            _ => cust.am,
        };
        let amount = match topic {
            Topic::Billing => books
                .billing
                .contracts
                .iter()
                .find(|k| k.covers(m))
                .map(|k| k.fee)
                .unwrap_or(30_000),
            Topic::Filing => books
                .filings
                .iter()
                .rev()
                .find(|f| f.tax_type == "vat_surcharge")
                .map(|f| f.payable)
                .unwrap_or(0),
            _ => 0,
        };
        let text = texts::follow_up(
            rng,
            topic,
            addressee,
            &cust.short_name,
            m.prev().max(cust.service_start),
            Money::from_fen(amount),
        );
        let day = day_between(rng, m, 1, last_day);
        let created_at = before(office_time(day, rng), cut);
        let next_at =
            chance(rng, 0.25).then(|| add_minutes(created_at, between(rng, 2, 10) * 24 * 60));
        books.follow_ups.push(FollowUp {
            employee,
            kind: text.kind,
            content: text.content,
            next_at,
            created_at,
        });
    }
}

fn dunning_rows(world: &World, c: usize, billing: &Billing, addressee: &str) -> Vec<DunningRow> {
    let roster = &world.roster;
    let cust = &roster.customers[c];
    let primary = cust
        .contacts
        .iter()
        .copied()
        .find(|&k| roster.contacts[k].is_primary)
        .unwrap_or(cust.contacts[0]);
    let group = world
        .links
        .customer_groups
        .get(c)
        .and_then(|g| g.first())
        .map(|&g| world.wecom.group_chats[g].chat_id.clone());
    let person = world
        .external_of_contact(primary)
        .map(|e| world.wecom.external_contacts[e].external_userid.clone());
    billing
        .dunnings
        .iter()
        .filter_map(|d| {
            let (target_type, target_id) = match (d.to_group, &group, &person) {
                (true, Some(g), _) => ("group_chat", g.clone()),
                (_, _, Some(p)) => ("external_user", p.clone()),
                (_, Some(g), None) => ("group_chat", g.clone()),
                _ => return None,
            };
            Some(DunningRow {
                receivables: d.receivables.clone(),
                period_from: d.period_from,
                period_to: d.period_to,
                amount: d.amount,
                target_type,
                target_id,
                sent_by: cust.am,
                sent_at: d.sent_at,
                message: texts::dunning_message(
                    addressee,
                    &cust.name,
                    d.period_from,
                    d.period_to,
                    Money::from_fen(d.amount),
                    d.due,
                    &roster.firm.short_name,
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Profile;
    use crate::seed::invoices::counterparties;
    use std::collections::HashSet;

    fn world() -> World {
        World::build(
            Profile::Demo,
            20_261_126,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        )
    }

    #[test]
    fn same_seed_gives_identical_books() {
        let w = world();
        let cal = Calendar::builtin();
        let parties = counterparties(w.seed, Profile::Demo, w.roster.firm.city);
        let ctx = BookContext {
            world: &w,
            calendar: &cal,
            parties: &parties,
        };
        let a = customer_books(&ctx, 0);
        let b = customer_books(&ctx, 0);
        assert_eq!(a, b);
        assert!(!a.invoices.is_empty());
    }

    #[test]
    fn books_are_consistent() {
        let w = world();
        let cal = Calendar::builtin();
        let parties = counterparties(w.seed, Profile::Demo, w.roster.firm.city);
        let ctx = BookContext {
            world: &w,
            calendar: &cal,
            parties: &parties,
        };
        let mut invoices = 0;
        let mut periods = 0;
        for c in 0..w.roster.customers.len() {
            let b = customer_books(&ctx, c);
            invoices += b.invoices.len();
            periods += b.periods.len();
            let ids: HashSet<_> = b
                .invoices
                .iter()
                .map(|i| (i.direction, &i.code, &i.number))
                .collect();
            assert_eq!(ids.len(), b.invoices.len());
            let keys: HashSet<_> = b
                .filings
                .iter()
                .map(|f| (f.tax_type, f.period_from))
                .collect();
            assert_eq!(keys.len(), b.filings.len(), "unique filing keys");
            for f in &b.filings {
                assert!(f.period_from <= f.period_to);
                if let Some(at) = f.filed_at {
                    assert!(at < w.roster.cutoff);
                }
            }
            for r in &b.reports {
                let json: serde_json::Value = serde_json::from_str(&r.lines).unwrap();
                if r.report_type == "balance_sheet" {
                    assert_eq!(json[29]["col1"], json[52]["col1"], "row 30 = row 53");
                    assert_eq!(json[29]["col2"], json[52]["col2"]);
                }
                if r.report_type == "income_statement" {
                    let v = |l: usize| json[l - 1]["col2"].as_i64().unwrap();
                    assert_eq!(v(32), v(30) - v(31));
                }
            }
            for i in &b.invoices {
                assert!(i.created_at < w.roster.cutoff);
                assert!(i.issue_date < w.roster.as_of);
            }
        }
        assert!(invoices > 3_000, "{invoices} invoices");
        assert!(periods > 400, "{periods} service periods");
    }

    #[test]
    fn iit_brackets() {
        assert_eq!(monthly_iit(500_000, 0), 0);
        assert_eq!(monthly_iit(1_000_000, 0), 18_500);
        assert_eq!(
            monthly_iit(700_000, 0),
            (700_000 - 500_000 - 73_500) * 3 / 100
        );
    }
}
