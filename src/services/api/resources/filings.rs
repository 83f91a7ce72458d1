//! `/api/v1/filings`: tax filings of a customer per period and tax type, with status and amounts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, date_or_epoch, period_text};
use crate::db::entities::tax_filing::{Column, Entity, Model, Status, TaxType};
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
    const PERIOD: Option<Column> = Some(Column::PeriodTo);
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// First period the filing covers, `YYYY-MM` (a quarter's first month for quarterly filers).
    pub period_from: String,
    /// Last period it covers; `period` filters on this one.
    pub period_to: String,
    pub tax_type: TaxType,
    /// 申报截止日, `YYYY-MM-DD`.
    pub due_date: String,
    /// Default `pending`.
    pub status: Option<Status>,
    /// 应纳税额 in fen; default 0.
    pub payable_fen: Option<i64>,
    /// 已缴 in fen; default 0.
    pub paid_fen: Option<i64>,
    /// When it was filed (RFC 3339).
    pub filed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

pub struct Filings;

#[async_trait]
impl ApiResource for Filings {
    const RESOURCE: Resource = Resource::Filings;
    const ENTITY: &'static str = "tax_filing";
    type Table = Entity;
    type Model = Model;
    type Input = FilingInput;

    fn external_id(input: &FilingInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: FilingInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let from = c.period("period_from", &input.period_from);
        let to = c.period("period_to", &input.period_to);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            c.fail("period_to", "结束期间不能早于开始期间");
        }
        let due_date = c.date("due_date", &input.due_date);
        let filing = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            period_from: period_text(from),
            period_to: period_text(to),
            tax_type: input.tax_type,
            due_date: date_or_epoch(due_date),
            due_provisional: false,
            status: input.status.unwrap_or(Status::Pending),
            payable_fen: c.fen("payable_fen", input.payable_fen.unwrap_or(0)),
            paid_fen: c.fen("paid_fen", input.paid_fen.unwrap_or(0)),
            filed_at: input.filed_at,
            filed_by: existing.and_then(|e| e.filed_by),
            notified_at: existing.and_then(|e| e.notified_at),
            note: c.opt_text("note", input.note.as_deref(), 1000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
        };
        c.finish()?;
        Ok(filing)
    }
}
