//! The sidebar's 报表 section: a period's balance sheet, income statement and cash-flow statement,
//! their checks, the workbook to send, and the chart of the last twelve periods' revenue, net
//! profit and tax.

use sea_orm::{DbBackend, FromQueryResult};
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

/// A row of the section's statement: the selected month's statement (`part` "s", its lines as
/// JSON text), a month's chart figures ("c") or the tax a filing paid for a month ("t").
#[derive(FromQueryResult)]
struct StoredRow {
    part: String,
    period: String,
    report_type: Option<financial_report::ReportType>,
    lines: Option<String>,
    revenue_fen: Option<i64>,
    net_profit_fen: Option<i64>,
    tax_fen: Option<i64>,
}

/// The income statement's rows the chart shows: 营业收入 and 净利润.
const CHART_ROWS: [u32; 2] = [1, 32];

/// The chart part's `lines, revenue_fen, net_profit_fen` and the values they bind. PostgreSQL
/// reads the two figures from the stored `jsonb` itself (0.14 ms for a year against 0.26 ms to
/// write the lines out as text, which then cross the socket and are decoded here); SQLite hands
/// over the lines, decoded here, as its JSON functions took 16 µs a month for the two figures.
fn chart_columns(backend: DbBackend) -> (String, Vec<sea_orm::Value>) {
    match backend {
        // The paths are bound: their filter's `?` is not a placeholder.
        DbBackend::Postgres => (
            "NULL, CAST(jsonb_path_query_first(lines, CAST(? AS jsonpath)) AS BIGINT), \
             CAST(jsonb_path_query_first(lines, CAST(? AS jsonpath)) AS BIGINT)"
                .into(),
            CHART_ROWS
                .iter()
                .map(|row| format!("$[*] ? (@.line == {row}).col1").into())
                .collect(),
        ),
        _ => ("CAST(lines AS TEXT), NULL, NULL".into(), Vec::new()),
    }
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
    // One statement: the selected month's statements ('s'), each month's revenue and net profit
    // for the chart ('c', see `chart_columns`) and the tax filed for each month ('t', summed over
    // its filings).
    let (chart_sql, chart_values) = chart_columns(ctx.db.backend());
    let mut values: Vec<sea_orm::Value> = vec![
        me.firm_id.into(),
        customer.id.into(),
        selected.to_string().into(),
    ];
    values.extend(chart_values);
    values.extend([
        me.firm_id.into(),
        customer.id.into(),
        from.to_string().into(),
        selected.to_string().into(),
        sea_orm::ActiveEnum::to_value(&financial_report::ReportType::IncomeStatement).into(),
        me.firm_id.into(),
        customer.id.into(),
        from.to_string().into(),
        selected.to_string().into(),
    ]);
    let rows = StoredRow::find_by_statement(statement(
        ctx.db.backend(),
        &format!(
            "SELECT 's' AS part, period, report_type, CAST(lines AS TEXT) AS lines, \
               CAST(NULL AS BIGINT) AS revenue_fen, CAST(NULL AS BIGINT) AS net_profit_fen, \
               CAST(NULL AS BIGINT) AS tax_fen \
             FROM financial_report WHERE firm_id = ? AND customer_id = ? AND period = ? \
             UNION ALL \
             SELECT 'c', period, NULL, {chart_sql}, NULL \
             FROM financial_report WHERE firm_id = ? AND customer_id = ? \
               AND period BETWEEN ? AND ? AND report_type = ? \
             UNION ALL \
             SELECT 't', period_to, NULL, NULL, NULL, NULL, CAST(SUM(payable_fen) AS BIGINT) \
             FROM tax_filing WHERE firm_id = ? AND customer_id = ? AND period_to BETWEEN ? AND ? \
             GROUP BY period_to",
        ),
        values,
    ))
    .all(ctx.db.read())
    .await?;
    let key = selected.to_string();
    let mut statements = Statements {
        customer_name: customer.name.clone(),
        period: key.clone(),
        balance: None,
        income: None,
        cash_flow: None,
    };
    let mut imbalances = Vec::new();
    let mut points: Vec<ChartPoint> = Vec::new();
    let mut taxes: Vec<(String, i64)> = Vec::new();
    for r in rows {
        match (r.part.as_str(), r.report_type, r.lines) {
            ("s", Some(report_type), Some(lines)) => {
                let kind = kind_of(report_type);
                match Statement::from_json_text(kind, &lines) {
                    Ok(s) => match kind {
                        Kind::BalanceSheet => statements.balance = Some(s),
                        Kind::IncomeStatement => statements.income = Some(s),
                        Kind::CashFlow => statements.cash_flow = Some(s),
                    },
                    Err(message) => imbalances.push(Imbalance { message }),
                }
            }
            ("c", _, lines) => {
                // Figures read by the database, or from the lines here (SQLite); a month whose
                // lines do not decode is left out of the chart (the selected one says why).
                let figures = match (r.revenue_fen, r.net_profit_fen, lines) {
                    (revenue, profit, None) => Ok([revenue.unwrap_or(0), profit.unwrap_or(0)]),
                    (_, _, Some(text)) => Statement::col1_from_json_text(&text, CHART_ROWS),
                };
                if let Ok([revenue_fen, net_profit_fen]) = figures {
                    points.push(ChartPoint {
                        period: r.period,
                        revenue_fen,
                        net_profit_fen,
                        tax_fen: 0,
                    });
                }
            }
            ("t", _, _) => taxes.push((r.period, r.tax_fen.unwrap_or(0))),
            _ => {}
        }
    }
    imbalances.extend(statements.imbalances());

    // The chart: revenue and net profit from each month's income statement, tax from filings.
    points.sort_by(|a, b| a.period.cmp(&b.period));
    for point in &mut points {
        point.tax_fen = taxes
            .iter()
            .find(|(period, _)| *period == point.period)
            .map_or(0, |(_, fen)| *fen);
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

/// Statements go out only when the period has some and they balance: an empty workbook or
/// image would reach the customer as if it were their report.
fn sendable(view: &ReportsView, what: &str) -> AppResult<()> {
    if view.statements.is_empty() {
        return Err(AppError::Validation(format!(
            "{} 没有报表数据，未生成{what}",
            view.period
        )));
    }
    if !view.imbalances.is_empty() {
        let list: Vec<&str> = view.imbalances.iter().map(|i| i.message.as_str()).collect();
        return Err(AppError::Validation(format!(
            "报表数据不平衡，未生成{what}：{}",
            list.join("；")
        )));
    }
    Ok(())
}

/// The period's statements as an XLSX workbook; refused when there are none or they do not
/// balance.
pub async fn workbook(
    ctx: &Ctx,
    me: &CurrentEmployee,
    customer_id: i64,
    period: Period,
) -> AppResult<(String, Vec<u8>)> {
    let view = view(ctx, me, customer_id, Some(period)).await?;
    sendable(&view, "文件")?;
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
    sendable(&view, "图片")?;
    let image = crate::render::report::render(&view.statements, &me.firm_name)?;
    let filename = format!(
        "{}-{}财务报表.png",
        view.statements.customer_name, view.period
    );
    Ok((filename, image.png))
}
