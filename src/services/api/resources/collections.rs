//! `/api/v1/collections`: invoice collections (收票) — what documents a customer handed over for
//! a period, by kind, count and amount. Totals are computed from the lines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, period_text};
use crate::db::entities::invoice_collection::{Column, Entity, Model};
use crate::domain::api_scopes::Resource;
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

/// One kind of document in a collection.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionLine {
    /// 票据类型, e.g. 进项发票, 银行回单, 工资表.
    pub doc_type: String,
    pub count: i64,
    pub amount_fen: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// `YYYY-MM`.
    pub period: String,
    /// When the documents arrived (RFC 3339).
    pub received_at: DateTime<Utc>,
    pub lines: Vec<CollectionLine>,
    pub note: Option<String>,
}

pub struct Collections;

#[async_trait]
impl ApiResource for Collections {
    const RESOURCE: Resource = Resource::Collections;
    const ENTITY: &'static str = "invoice_collection";
    type Table = Entity;
    type Model = Model;
    type Input = CollectionInput;

    fn external_id(input: &CollectionInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: CollectionInput,
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
            c.fail("lines", "至少一种票据");
        }
        for (i, line) in input.lines.iter().enumerate() {
            if line.doc_type.trim().is_empty() {
                c.fail(&format!("lines[{i}].doc_type"), "票据类型不能为空");
            }
            if line.count < 0 {
                c.fail(&format!("lines[{i}].count"), "张数不能为负");
            }
        }
        let total_count: i64 = input.lines.iter().map(|l| l.count.max(0)).sum();
        let total_fen: i64 = input.lines.iter().map(|l| l.amount_fen).sum();
        let collection = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            period: period_text(period),
            received_at: input.received_at,
            received_by: existing.and_then(|e| e.received_by),
            lines: serde_json::to_value(&input.lines).unwrap_or_default(),
            total_count: i32::try_from(total_count).unwrap_or(i32::MAX),
            total_fen,
            note: c.opt_text("note", input.note.as_deref(), 1000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        Ok(collection)
    }
}
