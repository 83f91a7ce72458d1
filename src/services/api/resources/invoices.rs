//! `/api/v1/invoices`: input (`in`, 进项) and output (`out`, 销项) invoices of a customer.
//! Amounts are fen; `amount_fen + tax_fen` must equal `total_fen`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, date_or_epoch, period_text};
use crate::db::entities::invoice::{Column, Direction, Entity, Kind, Model, Status};
use crate::domain::api_scopes::Resource;
use crate::domain::period::Period;
use crate::error::AppResult;
use crate::services::api::{ApiResource, Table};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = Some(Column::CustomerId);
    const DELETED_AT: Option<Column> = Some(Column::DeletedAt);
    const PERIOD: Option<Column> = Some(Column::Period);
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// `in` (进项) or `out` (销项).
    pub direction: Direction,
    pub kind: Kind,
    /// 发票代码; empty for 数电 invoices (default).
    pub code: Option<String>,
    /// 发票号码.
    pub number: String,
    /// `YYYY-MM-DD`.
    pub issue_date: String,
    /// The period it counts in, `YYYY-MM`; default the issue date's.
    pub period: Option<String>,
    pub counterparty_name: String,
    pub counterparty_uscc: Option<String>,
    pub amount_fen: i64,
    /// The rate in basis points: 1300 = 13 %, 100 = 1 %.
    pub rate_bp: i32,
    pub tax_fen: i64,
    pub total_fen: i64,
    /// Default `normal`.
    pub status: Option<Status>,
    /// Input VAT deductible; default true for input invoices.
    pub deductible: Option<bool>,
}

pub struct Invoices;

#[async_trait]
impl ApiResource for Invoices {
    const RESOURCE: Resource = Resource::Invoices;
    const ENTITY: &'static str = "invoice";
    type Table = Entity;
    type Model = Model;
    type Input = InvoiceInput;

    fn external_id(input: &InvoiceInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: InvoiceInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let issue_date = c.date("issue_date", &input.issue_date);
        let period = match input.period.as_deref() {
            Some(p) => c.period("period", p),
            None => issue_date.map(Period::of_date),
        };
        let amount_fen = input.amount_fen;
        let tax_fen = input.tax_fen;
        let total_fen = input.total_fen;
        if amount_fen.checked_add(tax_fen) != Some(total_fen) {
            c.fail("total_fen", "价税合计应等于金额加税额");
        }
        if !(0..=10_000).contains(&input.rate_bp) {
            c.fail("rate_bp", "税率以万分之一计，0 至 10000");
        }
        let invoice = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            period: period_text(period),
            direction: input.direction,
            kind: input.kind,
            code: c
                .opt_text("code", input.code.as_deref(), 20)
                .unwrap_or_default(),
            number: c.text("number", &input.number, 30),
            issue_date: date_or_epoch(issue_date),
            counterparty_name: c.text("counterparty_name", &input.counterparty_name, 200),
            counterparty_uscc: c.opt_text(
                "counterparty_uscc",
                input.counterparty_uscc.as_deref(),
                20,
            ),
            amount_fen,
            rate_bp: input.rate_bp,
            tax_fen,
            total_fen,
            status: input.status.unwrap_or(Status::Normal),
            deductible: input.deductible.unwrap_or(input.direction == Direction::In),
            use_confirmed_at: existing.and_then(|e| e.use_confirmed_at),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        Ok(invoice)
    }
}
