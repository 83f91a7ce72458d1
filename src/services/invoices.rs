//! The sidebar's 发票 section: a period's input and output invoices with totals by rate, and the
//! VAT estimate by the rules in force for that period and the customer's taxpayer type (估算，以申报
//! 为准), with the 开票数据提醒 text.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::db::entities::{customer, invoice};
use crate::db::statement;
use crate::domain::clock::to_local;
use crate::domain::money::Money;
use crate::domain::period::{FilingPeriod, Period, VatPeriodKind};
use crate::domain::permissions::Permission;
use crate::domain::vat::{self, GeneralVatEstimate, SmallScaleEstimate};
use crate::error::AppResult;
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access};

/// How far back the general taxpayer's carry-forward is followed.
const CARRY_MONTHS: i32 = 24;

pub const ESTIMATE_LABEL: &str = "估算，以申报为准";

#[derive(Clone, Debug, Serialize)]
pub struct InvoiceLine {
    pub id: i64,
    pub kind: invoice::Kind,
    pub kind_label: &'static str,
    pub number: String,
    pub issue_date: chrono::NaiveDate,
    pub counterparty: String,
    pub amount: Money,
    pub rate_bp: i32,
    pub tax: Money,
    pub total: Money,
    pub status: invoice::Status,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RateTotal {
    pub rate_bp: i32,
    pub count: usize,
    pub amount: Money,
    pub tax: Money,
    pub total: Money,
}

#[derive(Clone, Debug, Serialize)]
pub enum Estimate {
    General(GeneralVatEstimate),
    SmallScale(SmallScaleEstimate),
    /// The period is outside the rules modelled; said plainly.
    Unavailable(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct InvoicesView {
    pub customer_name: String,
    pub period: String,
    pub general: bool,
    pub outputs: Vec<InvoiceLine>,
    pub inputs: Vec<InvoiceLine>,
    pub output_totals: Vec<RateTotal>,
    pub input_totals: Vec<RateTotal>,
    pub estimate: Estimate,
    pub label: &'static str,
    /// 开票数据提醒 (template 7).
    pub reminder: Option<String>,
}

pub fn kind_label(k: invoice::Kind) -> &'static str {
    match k {
        invoice::Kind::Special => "增值税专用发票",
        invoice::Kind::Ordinary => "增值税普通发票",
        invoice::Kind::SpecialDigital => "数电专票",
        invoice::Kind::OrdinaryDigital => "数电普票",
        invoice::Kind::Customs => "海关缴款书",
        invoice::Kind::Transport => "旅客运输凭证",
        invoice::Kind::Toll => "通行费电子发票",
        _ => "其他",
    }
}

fn status_of(s: invoice::Status) -> vat::InvoiceStatus {
    match s {
        invoice::Status::Normal => vat::InvoiceStatus::Normal,
        invoice::Status::Red => vat::InvoiceStatus::RedLetter,
        invoice::Status::Void => vat::InvoiceStatus::Void,
    }
}

fn signed(s: invoice::Status, m: Money) -> Money {
    match s {
        invoice::Status::Normal => m,
        invoice::Status::Red => -m.abs(),
        invoice::Status::Void => Money::ZERO,
    }
}

fn totals(rows: &[&invoice::Model]) -> Vec<RateTotal> {
    let mut by: BTreeMap<i32, RateTotal> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status != invoice::Status::Void) {
        let t = by.entry(r.rate_bp).or_insert_with(|| RateTotal {
            rate_bp: r.rate_bp,
            ..Default::default()
        });
        t.count += 1;
        t.amount += signed(r.status, Money::from_fen(r.amount_fen));
        t.tax += signed(r.status, Money::from_fen(r.tax_fen));
        t.total += signed(r.status, Money::from_fen(r.total_fen));
    }
    by.into_values().collect()
}

fn line(r: &invoice::Model) -> InvoiceLine {
    InvoiceLine {
        id: r.id,
        kind: r.kind,
        kind_label: kind_label(r.kind),
        number: r.number.clone(),
        issue_date: r.issue_date,
        counterparty: r.counterparty_name.clone(),
        amount: Money::from_fen(r.amount_fen),
        rate_bp: r.rate_bp,
        tax: Money::from_fen(r.tax_fen),
        total: Money::from_fen(r.total_fen),
        status: r.status,
    }
}

fn is_special(k: invoice::Kind) -> bool {
    matches!(k, invoice::Kind::Special | invoice::Kind::SpecialDigital)
}

/// A general taxpayer's invoices of one period that count alike in the estimate, with their
/// tax summed: one invoice of the period shown, or a group of an earlier period as
/// [`earlier_tallies`] reads them.
#[derive(Clone, Debug, FromQueryResult)]
pub struct TaxTally {
    pub period: String,
    pub direction: invoice::Direction,
    pub status: invoice::Status,
    pub deductible: bool,
    pub use_confirmed: bool,
    pub tax_fen: i64,
}

impl From<&invoice::Model> for TaxTally {
    fn from(r: &invoice::Model) -> Self {
        Self {
            period: r.period.clone(),
            direction: r.direction,
            status: r.status,
            deductible: r.deductible,
            use_confirmed: r.use_confirmed_at.is_some(),
            tax_fen: r.tax_fen,
        }
    }
}

/// The general taxpayer's estimate for `period`, carrying 留抵 forward month by month from up to
/// two years earlier.
pub fn general_estimate(
    rows: &[TaxTally],
    period: Period,
) -> Result<GeneralVatEstimate, vat::VatError> {
    let mut prior = Money::ZERO;
    let mut p = period.add_months(-CARRY_MONTHS);
    loop {
        let key = p.to_string();
        let outputs: Vec<vat::OutputInvoice> = rows
            .iter()
            .filter(|r| r.period == key && r.direction == invoice::Direction::Out)
            .map(|r| vat::OutputInvoice {
                tax: Money::from_fen(r.tax_fen),
                status: status_of(r.status),
            })
            .collect();
        let inputs: Vec<vat::InputVoucher> = rows
            .iter()
            .filter(|r| r.period == key && r.direction == invoice::Direction::In)
            .map(|r| vat::InputVoucher {
                tax: Money::from_fen(r.tax_fen),
                status: status_of(r.status),
                deductible: r.deductible,
                use_confirmed: r.use_confirmed,
            })
            .collect();
        let estimate = vat::estimate_general(&vat::GeneralVatInput {
            outputs: &outputs,
            inputs: &inputs,
            input_transfer_out: Money::ZERO,
            prior_credit: prior,
        })?;
        if p >= period {
            return Ok(estimate);
        }
        prior = estimate.carry_forward;
        p = p.next();
    }
}

/// The general taxpayer's invoices from `from` up to (not including) `to`, summed per period and
/// per way they count: the estimate sums each group's tax anyway, and a page reads a few dozen
/// groups instead of two years of invoices.
async fn earlier_tallies(
    ctx: &Ctx,
    firm_id: i64,
    customer_id: i64,
    from: Period,
    to: Period,
) -> AppResult<Vec<TaxTally>> {
    Ok(TaxTally::find_by_statement(statement(
        ctx.db.backend(),
        "SELECT period, direction, status, deductible, \
           use_confirmed_at IS NOT NULL AS use_confirmed, \
           CAST(SUM(tax_fen) AS BIGINT) AS tax_fen \
         FROM invoice \
         WHERE firm_id = ? AND customer_id = ? AND deleted_at IS NULL \
           AND period >= ? AND period < ? \
         GROUP BY period, direction, status, deductible, use_confirmed_at IS NOT NULL",
        [
            firm_id.into(),
            customer_id.into(),
            from.to_string().into(),
            to.to_string().into(),
        ],
    ))
    .all(ctx.db.read())
    .await?)
}

/// The small-scale estimate for the filing period (month or quarter to date) containing `period`.
pub fn small_scale_estimate(
    rows: &[invoice::Model],
    kind: VatPeriodKind,
    period: Period,
) -> Result<SmallScaleEstimate, vat::VatError> {
    let filing = FilingPeriod::containing(kind, period);
    let sales: Vec<vat::SmallScaleSale> = rows
        .iter()
        .filter(|r| r.direction == invoice::Direction::Out && r.status != invoice::Status::Void)
        .filter(|r| Period::parse(&r.period).is_ok_and(|p| filing.contains(p) && p <= period))
        .map(|r| vat::SmallScaleSale {
            amount: signed(r.status, Money::from_fen(r.amount_fen)),
            rate_bp: u32::try_from(r.rate_bp).ok().filter(|b| *b > 0),
            special_invoice: is_special(r.kind),
        })
        .collect();
    vat::estimate_small_scale(kind, period, &sales)
}

/// The invoices of `period` and the VAT estimate. Needs `invoice`.
pub async fn view(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Period,
) -> AppResult<InvoicesView> {
    me.require(Permission::Invoice)?;
    let customer = access::customer(ctx, me, customer_id).await?;
    let general = customer.taxpayer_type == customer::TaxpayerType::General;
    let kind = match customer.vat_period {
        customer::VatPeriod::Month => VatPeriodKind::Month,
        customer::VatPeriod::Quarter => VatPeriodKind::Quarter,
    };
    // The page lists the period's invoices; a small-scale estimate also needs the earlier months
    // of its filing period, whole (a quarter at most), a general one the sums of two years before.
    let from = if general {
        period
    } else {
        FilingPeriod::containing(kind, period).from
    };
    let rows = invoice::Entity::find()
        .filter(invoice::Column::FirmId.eq(me.firm_id))
        .filter(invoice::Column::CustomerId.eq(customer.id))
        .filter(invoice::Column::DeletedAt.is_null())
        .filter(invoice::Column::Period.between(from.to_string(), period.to_string()))
        .order_by_asc(invoice::Column::IssueDate)
        .order_by_asc(invoice::Column::Id)
        .all(ctx.db.read())
        .await?;
    let key = period.to_string();
    let of_period: Vec<&invoice::Model> = rows.iter().filter(|r| r.period == key).collect();
    let outs: Vec<&invoice::Model> = of_period
        .iter()
        .copied()
        .filter(|r| r.direction == invoice::Direction::Out)
        .collect();
    let ins: Vec<&invoice::Model> = of_period
        .iter()
        .copied()
        .filter(|r| r.direction == invoice::Direction::In)
        .collect();
    let as_of = to_local(ctx.now()).format("%m月%d日").to_string();
    let (estimate, reminder) = if general {
        let mut tallies = earlier_tallies(
            ctx,
            me.firm_id,
            customer.id,
            period.add_months(-CARRY_MONTHS),
            period,
        )
        .await?;
        tallies.extend(of_period.iter().map(|r| TaxTally::from(*r)));
        match general_estimate(&tallies, period) {
            Ok(e) => {
                let text = format!(
                    "截至{as_of}，「{}」本月销项税额¥{}，可抵扣进项税额¥{}，上期留抵¥{}，预计应纳增值税¥{}（{ESTIMATE_LABEL}）。本月如有采购请索取增值税专用发票，需开票请把购买方名称、税号、品名、金额发我。",
                    customer.name, e.output_tax, e.input_tax, e.prior_credit, e.payable
                );
                (Estimate::General(e), Some(text))
            }
            Err(e) => (Estimate::Unavailable(e.to_string()), None),
        }
    } else {
        match small_scale_estimate(&rows, kind, period) {
            Ok(e) => {
                let unit = match kind {
                    VatPeriodKind::Month => "月",
                    VatPeriodKind::Quarter => "季度",
                };
                let threshold_line = if e.exempt {
                    format!("尚差¥{}", e.gap_to_threshold)
                } else {
                    "已达到起征点，全部销售额按征收率计税".to_string()
                };
                let text = format!(
                    "截至{as_of}，「{}」本{unit}不含税销售额¥{}，起征点¥{}，{threshold_line}，预计增值税¥{}（估算）。需开票请提前把开票资料发我。",
                    customer.name, e.sales_total, e.threshold, e.payable
                );
                (Estimate::SmallScale(e), Some(text))
            }
            Err(e) => (Estimate::Unavailable(e.to_string()), None),
        }
    };
    Ok(InvoicesView {
        customer_name: customer.name,
        period: key,
        general,
        output_totals: totals(&outs),
        input_totals: totals(&ins),
        outputs: outs.into_iter().map(line).collect(),
        inputs: ins.into_iter().map(line).collect(),
        estimate,
        label: ESTIMATE_LABEL,
        reminder,
    })
}
