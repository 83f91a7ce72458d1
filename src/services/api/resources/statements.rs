//! `/api/v1/statements`: a customer's financial statements per period — balance sheet, income
//! statement, cash-flow statement — with their line items (bookkeeping.md §3).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, period_text};
use crate::db::entities::financial_report::{Column, Entity, Model, ReportType};
use crate::domain::api_scopes::Resource;
use crate::error::AppResult;
use crate::services::api::{ApiResource, Table};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = Some(Column::CustomerId);
    const DELETED_AT: Option<Column> = None;
    const PERIOD: Option<Column> = Some(Column::Period);
}

/// One line of a statement, amounts in fen.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementLine {
    /// 行次.
    pub line: u32,
    /// 项目, e.g. 货币资金.
    pub item: String,
    /// 期末余额 / 本月金额 / 本季度金额.
    pub col1: i64,
    /// 年初余额 / 本年累计金额.
    pub col2: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// `YYYY-MM`.
    pub period: String,
    pub report_type: ReportType,
    /// Default `small_enterprise` (小企业会计准则).
    pub standard: Option<String>,
    pub lines: Vec<StatementLine>,
    /// When the bookkeeping system produced it; default now.
    pub generated_at: Option<DateTime<Utc>>,
}

pub struct Statements;

#[async_trait]
impl ApiResource for Statements {
    const RESOURCE: Resource = Resource::Statements;
    const ENTITY: &'static str = "financial_report";
    type Table = Entity;
    type Model = Model;
    type Input = StatementInput;

    fn external_id(input: &StatementInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: StatementInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let period = c.period("period", &input.period);
        if input.lines.is_empty() {
            c.fail("lines", "报表至少一行");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, line) in input.lines.iter().enumerate() {
            if line.item.trim().is_empty() {
                c.fail(&format!("lines[{i}].item"), "项目不能为空");
            }
            if !seen.insert(line.line) {
                c.fail(&format!("lines[{i}].line"), "行次重复");
            }
        }
        let lines = serde_json::to_value(&input.lines).unwrap_or_default();
        let statement = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            period: period_text(period),
            report_type: input.report_type,
            standard: c
                .opt_text("standard", input.standard.as_deref(), 50)
                .unwrap_or_else(|| "small_enterprise".to_string()),
            lines,
            generated_at: input
                .generated_at
                .or(existing.map(|e| e.generated_at))
                .unwrap_or(at),
            sent_at: existing.and_then(|e| e.sent_at),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
        };
        c.finish()?;
        Ok(statement)
    }
}
