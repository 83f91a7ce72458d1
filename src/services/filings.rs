//! The sidebar's 报税 section: the customer's filings of a tax period by tax type, with status,
//! amounts and the deadline from the filing calendar (顺延 shown with its reason when it is later
//! than the law's own day),
//! and the 报税完成通知 composed from the period's filings once they are all done.

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::db::entities::tax_filing;
use crate::domain::clock::to_local;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access};

pub fn tax_label(t: tax_filing::TaxType) -> &'static str {
    match t {
        tax_filing::TaxType::VatSurcharge => "增值税及附加税费",
        tax_filing::TaxType::CitPrepay => "企业所得税(预缴)",
        tax_filing::TaxType::IitWithhold => "个人所得税(代扣)",
        tax_filing::TaxType::Stamp => "印花税",
        tax_filing::TaxType::FinReport => "财务报表报送",
        tax_filing::TaxType::CitAnnual => "企业所得税汇算清缴",
        tax_filing::TaxType::Other => "其他",
    }
}

pub fn status_label(s: tax_filing::Status) -> &'static str {
    match s {
        tax_filing::Status::Pending => "待申报",
        tax_filing::Status::Filed => "已申报",
        tax_filing::Status::Paid => "已缴款",
        tax_filing::Status::NotRequired => "无需申报",
        tax_filing::Status::Overdue => "已逾期",
    }
}

/// The order filings are listed in: VAT first, as on the tax bureau's own pages.
fn rank(t: tax_filing::TaxType) -> u8 {
    match t {
        tax_filing::TaxType::VatSurcharge => 0,
        tax_filing::TaxType::CitPrepay => 1,
        tax_filing::TaxType::IitWithhold => 2,
        tax_filing::TaxType::Stamp => 3,
        tax_filing::TaxType::FinReport => 4,
        tax_filing::TaxType::CitAnnual => 5,
        tax_filing::TaxType::Other => 6,
    }
}

fn done(s: tax_filing::Status) -> bool {
    matches!(
        s,
        tax_filing::Status::Filed | tax_filing::Status::Paid | tax_filing::Status::NotRequired
    )
}

#[derive(Clone, Debug, Serialize)]
pub struct FilingLine {
    pub id: i64,
    pub period_from: String,
    pub period_to: String,
    pub tax_type: tax_filing::TaxType,
    pub tax_label: &'static str,
    pub status: tax_filing::Status,
    pub status_label: &'static str,
    pub payable: Money,
    pub paid: Money,
    pub due_date: NaiveDate,
    /// The deadline is later than the law's own day (顺延: holidays or a weekend) ...
    pub postponed: bool,
    /// ... and why, e.g. 法定10月15日，遇国庆节、中秋节顺延.
    pub postponed_note: Option<String>,
    /// No official calendar entry: our own estimate.
    pub provisional: bool,
    pub filed_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FilingsView {
    pub customer_name: String,
    pub period: String,
    /// Periods that have filings, newest first (for the picker).
    pub periods: Vec<String>,
    pub lines: Vec<FilingLine>,
    pub total_payable: Money,
    /// 报税完成通知, once every filing of the period is done.
    pub notice: Option<String>,
    /// Why there is no notice yet.
    pub notice_blocked: Option<String>,
}

/// The day the law itself sets for a return of the period ending `period` (before any 顺延):
/// the 15th of the next month for monthly and quarterly returns (增值税, 个税 withholding, CIT
/// prepayment, 印花税), the end of the fifth month after the year for the annual CIT return
/// (企业所得税法 art. 54); None where no single day applies.
fn statutory_day(tax: tax_filing::TaxType, period: Period) -> Option<NaiveDate> {
    match tax {
        tax_filing::TaxType::VatSurcharge
        | tax_filing::TaxType::CitPrepay
        | tax_filing::TaxType::IitWithhold
        | tax_filing::TaxType::Stamp => period.next().first_day().with_day(15),
        tax_filing::TaxType::CitAnnual => Some(period.add_months(5).last_day()),
        tax_filing::TaxType::FinReport | tax_filing::TaxType::Other => None,
    }
}

/// The filings whose tax period ends in `period` (default: the newest up to last month, the one
/// being filed now, else the newest with filings). Needs `filing`.
pub async fn view(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Option<Period>,
) -> AppResult<FilingsView> {
    me.require(Permission::Filing)?;
    let customer = access::customer(ctx, me, customer_id).await?;
    let db = ctx.db.read();
    let periods: Vec<String> = tax_filing::Entity::find()
        .filter(tax_filing::Column::FirmId.eq(me.firm_id))
        .filter(tax_filing::Column::CustomerId.eq(customer.id))
        .select_only()
        .column(tax_filing::Column::PeriodTo)
        .distinct()
        .order_by_desc(tax_filing::Column::PeriodTo)
        .limit(36)
        .into_tuple::<String>()
        .all(db)
        .await?;
    // By default the period being filed now (last month's, in this month's 征期): rows already
    // made for the running month cannot be filed before it ends.
    let season = Period::of_date(crate::domain::clock::today_local(ctx.now())).prev();
    let season_key = season.to_string();
    let selected = match period {
        Some(p) => p,
        None => match periods
            .iter()
            .find(|p| p.as_str() <= season_key.as_str())
            .or(periods.first())
        {
            Some(p) => Period::parse(p).map_err(|_| AppError::internal("stored period"))?,
            None => season,
        },
    };
    let rows = tax_filing::Entity::find()
        .filter(tax_filing::Column::FirmId.eq(me.firm_id))
        .filter(tax_filing::Column::CustomerId.eq(customer.id))
        .filter(tax_filing::Column::PeriodTo.eq(selected.to_string()))
        .order_by_asc(tax_filing::Column::TaxType)
        .all(db)
        .await?;
    let cal = ctx.calendar.get(&ctx.db, ctx.now()).await?;
    let lines: Vec<FilingLine> = rows
        .iter()
        .map(|f| {
            // Monthly and quarterly returns follow the filing calendar; annual ones keep their
            // stored date.
            let (due, provisional) = match f.tax_type {
                tax_filing::TaxType::VatSurcharge
                | tax_filing::TaxType::CitPrepay
                | tax_filing::TaxType::IitWithhold
                | tax_filing::TaxType::Stamp => {
                    let d = cal.deadline(selected.next());
                    (d.date, d.provisional)
                }
                _ => (f.due_date, f.due_provisional),
            };
            let postponement =
                statutory_day(f.tax_type, selected).and_then(|day| cal.postponement(day, due));
            FilingLine {
                id: f.id,
                period_from: f.period_from.clone(),
                period_to: f.period_to.clone(),
                tax_type: f.tax_type,
                tax_label: tax_label(f.tax_type),
                status: f.status,
                status_label: status_label(f.status),
                payable: Money::from_fen(f.payable_fen),
                paid: Money::from_fen(f.paid_fen),
                postponed: postponement.is_some(),
                postponed_note: postponement.map(|p| {
                    format!(
                        "法定{}，遇{}顺延",
                        p.statutory.format("%-m月%-d日"),
                        p.reason
                    )
                }),
                due_date: due,
                provisional,
                filed_at: f
                    .filed_at
                    .map(|t| to_local(t).format("%Y年%m月%d日").to_string()),
            }
        })
        .collect();
    let mut lines = lines;
    lines.sort_by_key(|l| (rank(l.tax_type), l.id));
    let total_payable: Money = lines.iter().map(|l| l.payable).sum();
    let (notice, notice_blocked) = if lines.is_empty() {
        (None, Some("本期没有申报记录".to_string()))
    } else if let Some(open) = lines.iter().find(|l| !done(l.status)) {
        (
            None,
            Some(format!(
                "{}尚未申报，全部完成后才能发送通知",
                open.tax_label
            )),
        )
    } else {
        let filed_at = rows
            .iter()
            .filter_map(|f| f.filed_at)
            .max()
            .map(|t| to_local(t).format("%Y年%m月%d日").to_string())
            .unwrap_or_else(|| "本期".to_string());
        let tax_lines: Vec<String> = lines
            .iter()
            .filter(|l| l.tax_type != tax_filing::TaxType::FinReport)
            .map(|l| format!("{}：¥{}", l.tax_label, l.payable))
            .collect();
        let pay_line = if total_payable.is_positive() {
            let debit = lines
                .iter()
                .map(|l| l.due_date)
                .max()
                .unwrap_or(selected.next().first_day());
            format!(
                "税款将于{}前从三方协议账户扣缴，请保证余额充足。",
                debit.format("%m月%d日")
            )
        } else {
            "本期无需缴纳税款。".to_string()
        };
        (
            Some(format!(
                "您好！「{}」税款所属期{}的申报已于{}完成：\n{}\n合计应缴¥{}。{}",
                customer.name,
                selected.to_chinese(),
                filed_at,
                tax_lines.join("\n"),
                total_payable,
                pay_line
            )),
            None,
        )
    };
    Ok(FilingsView {
        customer_name: customer.name,
        period: selected.to_string(),
        periods,
        lines,
        total_payable,
        notice,
        notice_blocked,
    })
}
