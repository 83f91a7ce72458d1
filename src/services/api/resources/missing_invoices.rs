//! `/api/v1/missing-invoices`: documents an accountant found missing for a customer's period
//! (缺票), which the sidebar's 缺票提醒 lists; under the `collections` scope. A mark resolved in
//! zhangfang (a collection completed for its period) stays resolved: a push cannot reopen it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, period_text};
use crate::db::entities::missing_invoice::{Column, Entity, Model};
use crate::domain::api_scopes::Resource;
use crate::error::{AppError, AppResult, FieldError};
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
pub struct MissingInvoiceInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// `YYYY-MM`.
    pub period: String,
    /// 票据类型, e.g. 进项发票, 银行回单.
    pub doc_type: String,
    /// What exactly is missing, e.g. 10月房租发票.
    pub description: Option<String>,
    /// The amount the document should show, when known.
    pub expected_fen: Option<i64>,
    /// Resolved in the bookkeeping system (the document arrived).
    pub resolved: Option<bool>,
}

pub struct MissingInvoices;

#[async_trait]
impl ApiResource for MissingInvoices {
    const RESOURCE: Resource = Resource::Collections;
    const PATH: &'static str = "missing-invoices";
    const LABEL: &'static str = "缺票";
    const ENTITY: &'static str = "missing_invoice";
    type Table = Entity;
    type Model = Model;
    type Input = MissingInvoiceInput;

    fn external_id(input: &MissingInvoiceInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: MissingInvoiceInput,
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
        let doc_type = c.text("doc_type", &input.doc_type, 50);
        let description = c.opt_text("description", input.description.as_deref(), 500);
        let expected_fen = input.expected_fen.map(|f| c.fen("expected_fen", f));
        c.finish()?;
        let resolved_in_zhangfang = existing.is_some_and(|e| e.resolved_by.is_some());
        let resolved_at = match (input.resolved.unwrap_or(false), existing) {
            (false, Some(_)) if resolved_in_zhangfang => {
                return Err(AppError::Owned {
                    message: "该缺票已在账房收票完成时解决，不能重新打开".to_string(),
                    details: vec![FieldError::new("resolved", "已在账房解决")],
                });
            }
            (false, _) => None,
            (true, Some(e)) => e.resolved_at.or(Some(at)),
            (true, None) => Some(at),
        };
        Ok(Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            period: period_text(period),
            doc_type,
            description,
            expected_fen,
            marked_by: existing.and_then(|e| e.marked_by),
            marked_at: existing.map_or(at, |e| e.marked_at),
            resolved_at,
            resolved_by: existing.and_then(|e| e.resolved_by),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
            external_id: Some(input.external_id.trim().to_string()),
        })
    }
}
