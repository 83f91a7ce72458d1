//! The sidebar's 报表 section: a period's balance sheet, income statement and cash-flow statement,
//! their checks, the workbook to send, and the chart of the last twelve periods' revenue, net
//! profit and tax.

use sea_orm::FromQueryResult;
use serde::Serialize;

use crate::db::entities::financial_report;
use crate::db::{comma_joined, statement};
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::domain::statements::{Imbalance, Kind, Statement};
use crate::error::{AppError, AppResult};
use crate::render::chart::{self, ChartPoint};
use crate::render::statements::Statements;
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access};

/// A stored statement's lines as JSON text, or the tax a filing paid for a month.
#[derive(FromQueryResult)]
struct StoredRow {
    period: String,
    report_type: Option<financial_report::ReportType>,
    lines: Option<String>,
    payable_fen: Option<i64>,
}

/// A stored statement's lines as JSON text, decoded straight into [`Statement`].
struct StoredLines {
    period: String,
    report_type: financial_report::ReportType,
    lines: String,
}

#[derive(Clone, Debug)]
pub struct ReportsView {
    pub customer_id: i64,
    pub period: String,
    /// Periods with statements, newest first.
    pub periods: Vec<String>,
    pub statements: Statements,
    /// Stored data that does not agree, said plainly; empty when it balances.
    pub imbalances: Vec<Imbalance>,
    /// Inline SVG of the last twelve periods.
    pub chart_svg: String,
    /// 报表发送 text (template 8), only when the statements balance.
    pub message: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub revenue_fen: i64,
    pub profit_total_fen: i64,
    pub net_profit_fen: i64,
}

fn kind_of(t: financial_report::ReportType) -> Kind {
    match t {
        financial_report::ReportType::BalanceSheet => Kind::BalanceSheet,
        financial_report::ReportType::IncomeStatement => Kind::IncomeStatement,
        financial_report::ReportType::CashFlow => Kind::CashFlow,
    }
}

/// The period's statements (default: the latest). Needs `report`.
pub async fn view(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Option<Period>,
) -> AppResult<ReportsView> {
    me.require(Permission::Report)?;
    // The periods with statements come with the access check: one comma-joined column.
    let recent_periods = "SELECT DISTINCT f.period FROM financial_report f \
         WHERE f.firm_id = customer.firm_id AND f.customer_id = customer.id \
         ORDER BY f.period DESC LIMIT 60";
    let (customer, row) = access::customer_with(
        ctx,
        me,
        customer_id,
        vec![access::Extra {
            alias: "periods",
            sql: format!(
                "(SELECT {} FROM ({recent_periods}) p)",
                comma_joined(ctx.db.backend(), "p.period", "p.period DESC")
            ),
            values: Vec::new(),
        }],
    )
    .await?;
    let periods: Vec<String> = row
        .try_get::<Option<String>>("", "periods")?
        .map(|joined| joined.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let selected = match (period, periods.first()) {
        (Some(p), _) => p,
        (None, Some(p)) => Period::parse(p).map_err(|_| AppError::internal("stored period"))?,
        (None, None) => Period::of_date(crate::domain::clock::today_local(ctx.now())).prev(),
    };
    let from = selected.add_months(-11);
    // The selected month's statements, and for the chart the income statements of the eleven
    // months before it (each row's lines a JSON document decoded whole) and the tax filed for
    // each month, in one statement.
    let rows = StoredRow::find_by_statement(statement(
        ctx.db.backend(),
        "SELECT period, report_type, CAST(lines AS TEXT) AS lines, NULL AS payable_fen \
         FROM financial_report \
         WHERE firm_id = ? AND customer_id = ? AND period BETWEEN ? AND ? \
           AND (period = ? OR report_type = ?) \
         UNION ALL \
         SELECT period_to, NULL, NULL, payable_fen FROM tax_filing \
         WHERE firm_id = ? AND customer_id = ? AND period_to BETWEEN ? AND ?",
        [
            me.firm_id.into(),
            customer.id.into(),
            from.to_string().into(),
            selected.to_string().into(),
            selected.to_string().into(),
            sea_orm::ActiveEnum::to_value(&financial_report::ReportType::IncomeStatement).into(),
            me.firm_id.into(),
            customer.id.into(),
            from.to_string().into(),
            selected.to_string().into(),
        ],
    ))
    .all(ctx.db.read())
    .await?;
    let mut taxes: Vec<(String, i64)> = Vec::new();
    let mut stored: Vec<StoredLines> = Vec::new();
    for r in rows {
        match (r.report_type, r.lines, r.payable_fen) {
            (Some(report_type), Some(lines), _) => stored.push(StoredLines {
                period: r.period,
                report_type,
                lines,
            }),
            (_, _, Some(fen)) => taxes.push((r.period, fen)),
            _ => {}
        }
    }
    let rows = stored;
    let key = selected.to_string();
    let mut statements = Statements {
        customer_name: customer.name.clone(),
        period: key.clone(),
        balance: None,
        income: None,
        cash_flow: None,
    };
    let mut imbalances = Vec::new();
    for r in rows.iter().filter(|r| r.period == key) {
        let kind = kind_of(r.report_type);
        match Statement::from_json_text(kind, &r.lines) {
            Ok(s) => match kind {
                Kind::BalanceSheet => statements.balance = Some(s),
                Kind::IncomeStatement => statements.income = Some(s),
                Kind::CashFlow => statements.cash_flow = Some(s),
            },
            Err(message) => imbalances.push(Imbalance { message }),
        }
    }
    imbalances.extend(statements.imbalances());

    // The chart: revenue and net profit from each month's income statement, tax from filings.
    let mut points = Vec::new();
    let mut p = from;
    while p <= selected {
        let k = p.to_string();
        let income = rows
            .iter()
            .find(|r| {
                r.period == k && r.report_type == financial_report::ReportType::IncomeStatement
            })
            .and_then(|r| Statement::from_json_text(Kind::IncomeStatement, &r.lines).ok());
        if let Some(is) = income {
            points.push(ChartPoint {
                period: k.clone(),
                revenue_fen: is.row(1).map_or(0, |l| l.col1),
                net_profit_fen: is.row(32).map_or(0, |l| l.col1),
                tax_fen: taxes
                    .iter()
                    .filter(|(pp, _)| *pp == k)
                    .map(|(_, f)| f)
                    .sum(),
            });
        }
        p = p.next();
    }
    let chart_svg = chart::svg(&points)?;
    let message = match (&statements.income, imbalances.is_empty()) {
        (Some(is), true) => {
            let v = |n: u32| crate::domain::money::Money::from_fen(is.row(n).map_or(0, |l| l.col1));
            Some(format!(
                "「{}」{}财务报表已出具（见附件）：营业收入¥{}，利润总额¥{}，净利润¥{}。如需解读请联系我。",
                customer.name,
                selected.to_chinese(),
                v(1),
                v(30),
                v(32)
            ))
        }
        _ => None,
    };
    Ok(ReportsView {
        customer_id: customer.id,
        period: key,
        periods,
        statements,
        imbalances,
        chart_svg,
        message,
    })
}

/// The period's statements as an XLSX workbook; refused when they do not balance.
pub async fn workbook(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Period,
) -> AppResult<(String, Vec<u8>)> {
    let view = view(ctx, me, customer_id, Some(period)).await?;
    if !view.imbalances.is_empty() {
        let list: Vec<String> = view.imbalances.into_iter().map(|i| i.message).collect();
        return Err(AppError::Validation(format!(
            "报表数据不平衡，未生成文件：{}",
            list.join("；")
        )));
    }
    let bytes = crate::render::statements::xlsx(&view.statements)?;
    let filename = format!(
        "{}-{}财务报表.xlsx",
        view.statements.customer_name, view.period
    );
    Ok((filename, bytes))
}

/// The period's statements as one PNG image (file name and bytes); refused, like the workbook,
/// when they do not balance.
pub async fn image(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Period,
) -> AppResult<(String, Vec<u8>)> {
    let view = view(ctx, me, customer_id, Some(period)).await?;
    if !view.imbalances.is_empty() {
        let list: Vec<String> = view.imbalances.into_iter().map(|i| i.message).collect();
        return Err(AppError::Validation(format!(
            "报表数据不平衡，未生成图片：{}",
            list.join("；")
        )));
    }
    let image = crate::render::report::render(&view.statements, &me.firm_name)?;
    let filename = format!(
        "{}-{}财务报表.png",
        view.statements.customer_name, view.period
    );
    Ok((filename, image.png))
}
