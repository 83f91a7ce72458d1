//! `/api/v1/receivables`: what a customer owes, per fee item and periods. What has been paid
//! (`paid_fen`) and the status follow from payments allocated in zhangfang and are never pushed:
//! a push that would leave a receivable smaller than what is already paid against it, or delete
//! one with payments, is refused with 409.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, date_or_epoch, period_text};
use crate::db::entities::receivable::{Column, Entity, Model, Status};
use crate::db::entities::service_contract;
use crate::domain::api_scopes::Resource;
use crate::domain::billing::{ReceivableStatus, status_after};
use crate::domain::money::Money;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::api::{ApiResource, Table};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = Some(Column::CustomerId);
    const DELETED_AT: Option<Column> = Some(Column::DeletedAt);
    const PERIOD: Option<Column> = None;
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceivableInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// The contract it bills, by the firm's own id (optional).
    pub contract_external_id: Option<String>,
    /// 费用项目, e.g. 代理记账费.
    pub fee_item: String,
    pub period_from: String,
    pub period_to: String,
    pub amount_fen: i64,
    /// `YYYY-MM-DD`.
    pub due_date: String,
    /// A cancelled charge; refused when payments are allocated to it.
    pub void: Option<bool>,
    pub note: Option<String>,
}

pub struct Receivables;

#[async_trait]
impl ApiResource for Receivables {
    const RESOURCE: Resource = Resource::Receivables;
    const ENTITY: &'static str = "receivable";
    type Table = Entity;
    type Model = Model;
    type Input = ReceivableInput;

    fn external_id(input: &ReceivableInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: ReceivableInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let contract_id = match input.contract_external_id.as_deref() {
            Some(ext) => {
                let found = service_contract::Entity::find()
                    .filter(service_contract::Column::FirmId.eq(firm_id))
                    .filter(service_contract::Column::CustomerId.eq(customer_id))
                    .filter(service_contract::Column::ExternalId.eq(ext))
                    .one(txn)
                    .await?;
                if found.is_none() {
                    c.fail("contract_external_id", "该客户没有这个合同");
                }
                found.map(|f| f.id)
            }
            None => existing.and_then(|e| e.contract_id),
        };
        let from = c.period("period_from", &input.period_from);
        let to = c.period("period_to", &input.period_to);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            c.fail("period_to", "结束期间不能早于开始期间");
        }
        let amount_fen = c.fen("amount_fen", input.amount_fen);
        let due_date = c.date("due_date", &input.due_date);
        let paid_fen = existing.map_or(0, |e| e.paid_fen);
        let void = input.void.unwrap_or(false);
        let receivable = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            contract_id,
            fee_item: c.text("fee_item", &input.fee_item, 50),
            period_from: period_text(from),
            period_to: period_text(to),
            amount_fen,
            paid_fen,
            due_date: date_or_epoch(due_date),
            status: if void {
                Status::Void
            } else {
                match status_after(Money::from_fen(amount_fen), Money::from_fen(paid_fen)) {
                    ReceivableStatus::Open => Status::Open,
                    ReceivableStatus::Partial => Status::Partial,
                    ReceivableStatus::Paid => Status::Paid,
                }
            },
            note: c.opt_text("note", input.note.as_deref(), 1000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        let mut owned = Vec::new();
        if amount_fen < paid_fen {
            owned.push(FieldError::new(
                "amount_fen",
                format!("已在账房收款 {paid_fen} 分，金额不能小于已收"),
            ));
        }
        if void && paid_fen > 0 {
            owned.push(FieldError::new("void", "已有收款分配到此应收款，不能作废"));
        }
        if !owned.is_empty() {
            return Err(AppError::Owned {
                message: "与账房中的收款冲突".to_string(),
                details: owned,
            });
        }
        Ok(receivable)
    }

    async fn check_delete(_txn: &DatabaseTransaction, row: &Model) -> AppResult<()> {
        if row.paid_fen > 0 {
            return Err(AppError::Owned {
                message: "已有收款分配到此应收款，不能删除".to_string(),
                details: vec![FieldError::new("paid_fen", "已收款")],
            });
        }
        Ok(())
    }
}
