//! `/api/v1/payments`: money the bookkeeping system recorded, with where it went. A new payment
//! is allocated to the customer's open receivables — as the push says, or oldest due first — by
//! the same rules and row locks as a confirmation in the sidebar, so `paid_fen` and the status
//! of every receivable stay true. Once allocated, a payment's customer, amount and allocations
//! are settled: a push that would change them is refused with 409 (reverse it in zhangfang
//! instead), as is any push over a payment confirmed in zhangfang. Payments are never deleted
//! through the API.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::{Check, customer_of};
use crate::db::entities::payment::{Column, Entity, Method, Model};
use crate::db::entities::{payment_allocation, receivable};
use crate::domain::api_scopes::Resource;
use crate::domain::clock::today_local;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::api::{ApiResource, Outcome, Table, invalid};
use crate::services::payments::{self, Allocation};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = Some(Column::CustomerId);
    const DELETED_AT: Option<Column> = Some(Column::DeletedAt);
    const PERIOD: Option<Column> = None;
}

/// One part of a payment going to one receivable.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    pub receivable_id: Option<i64>,
    pub receivable_external_id: Option<String>,
    pub amount_fen: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// More than zero, and no more than the customer owes.
    pub amount_fen: i64,
    /// `transfer` (default), `wechat`, `alipay`, `cash` or `other`.
    pub method: Option<Method>,
    /// The day the money arrived (Beijing), `YYYY-MM-DD`; not in the future.
    pub paid_on: String,
    /// Who paid, when not the company itself.
    pub payer: Option<String>,
    pub note: Option<String>,
    /// Where the money goes, adding up to `amount_fen`; left out: oldest due first.
    pub allocations: Option<Vec<AllocationInput>>,
}

pub struct Payments;

fn owned(message: &str, field: &str, detail: impl Into<String>) -> AppError {
    AppError::Owned {
        message: message.to_string(),
        details: vec![FieldError::new(field, detail)],
    }
}

/// The receivables an input's allocations name, as `(receivable id, amount)`.
async fn chosen(
    txn: &DatabaseTransaction,
    firm_id: i64,
    customer_id: i64,
    allocations: &[AllocationInput],
) -> AppResult<Vec<(i64, Money)>> {
    let mut out = Vec::with_capacity(allocations.len());
    for (i, a) in allocations.iter().enumerate() {
        let field = format!("allocations[{i}]");
        if a.amount_fen <= 0 {
            return Err(invalid(&field, "分配金额（分）必须大于零"));
        }
        let mut query = receivable::Entity::find()
            .filter(receivable::Column::FirmId.eq(firm_id))
            .filter(receivable::Column::CustomerId.eq(customer_id))
            .filter(receivable::Column::DeletedAt.is_null());
        query = match (a.receivable_id, a.receivable_external_id.as_deref()) {
            (Some(id), _) => query.filter(receivable::Column::Id.eq(id)),
            (None, Some(ext)) => query.filter(receivable::Column::ExternalId.eq(ext)),
            (None, None) => {
                return Err(invalid(
                    &field,
                    "receivable_id 或 receivable_external_id 必填其一",
                ));
            }
        };
        let found = query
            .one(txn)
            .await?
            .ok_or_else(|| invalid(&field, "该客户没有这笔应收款"))?;
        out.push((found.id, Money::from_fen(a.amount_fen)));
    }
    Ok(out)
}

#[async_trait]
impl ApiResource for Payments {
    const RESOURCE: Resource = Resource::Payments;
    const ENTITY: &'static str = "payment";
    const DELETABLE: bool = false;
    type Table = Entity;
    type Model = Model;
    type Input = PaymentInput;

    fn external_id(input: &PaymentInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: PaymentInput,
    ) -> AppResult<Model> {
        if let Some(e) = existing {
            if e.external_id.is_none() || e.confirmed_by.is_some() {
                return Err(owned(
                    "该收款在账房确认，不能通过 API 修改",
                    "id",
                    "在账房确认的收款",
                ));
            }
            if e.reversed_at.is_some() {
                return Err(owned("该收款已冲销，不能修改", "reversed_at", "已冲销"));
            }
        }
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        if input.amount_fen <= 0 {
            c.fail("amount_fen", "收款金额（分）必须大于零");
        }
        let paid_on = c.date("paid_on", &input.paid_on);
        if paid_on.is_some_and(|d| d > today_local(at)) {
            c.fail("paid_on", "收款日期不能晚于今天");
        }
        let payer = c.opt_text("payer", input.payer.as_deref(), 100);
        let note = c.opt_text("note", input.note.as_deref(), 500);
        c.finish()?;
        let paid_at = paid_on
            .and_then(payments::paid_at)
            .ok_or_else(|| invalid("paid_on", "收款日期无效"))?;

        if let Some(e) = existing {
            let mut conflicts = Vec::new();
            if e.customer_id != customer_id {
                conflicts.push(FieldError::new("customer_id", "已入账收款的客户不能修改"));
            }
            if e.amount_fen != input.amount_fen {
                conflicts.push(FieldError::new(
                    "amount_fen",
                    format!("已入账 {} 分，金额不能修改", e.amount_fen),
                ));
            }
            if let Some(asked) = &input.allocations {
                let mut asked = chosen(txn, firm_id, customer_id, asked).await?;
                let mut stored: Vec<(i64, Money)> = payment_allocation::Entity::find()
                    .filter(payment_allocation::Column::FirmId.eq(firm_id))
                    .filter(payment_allocation::Column::PaymentId.eq(e.id))
                    .order_by_asc(payment_allocation::Column::ReceivableId)
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|a| (a.receivable_id, Money::from_fen(a.amount_fen)))
                    .collect();
                asked.sort();
                stored.sort();
                if asked != stored {
                    conflicts.push(FieldError::new("allocations", "已入账收款的分配不能修改"));
                }
            }
            if !conflicts.is_empty() {
                return Err(AppError::Owned {
                    message: "收款已入账：金额、客户和分配不能修改，如有错误请在账房冲销"
                        .to_string(),
                    details: conflicts,
                });
            }
        }
        Ok(Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            amount_fen: input.amount_fen,
            method: input.method.unwrap_or(Method::Transfer),
            paid_at,
            payer,
            note,
            confirmed_by: None,
            confirmed_at: None,
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
            reversed_at: None,
            reversed_by: None,
            reversal_reason: None,
        })
    }

    async fn after_save(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        row: &Model,
        outcome: Outcome,
        input: &PaymentInput,
    ) -> AppResult<()> {
        if outcome != Outcome::Created {
            return Ok(());
        }
        let allocation = match &input.allocations {
            Some(asked) => {
                Allocation::AsChosen(chosen(txn, firm_id, row.customer_id, asked).await?)
            }
            None => Allocation::OldestFirst,
        };
        payments::allocate_in(
            txn,
            firm_id,
            row.customer_id,
            row.id,
            Money::from_fen(row.amount_fen),
            &allocation,
            at,
        )
        .await
        .map_err(|e| match e {
            AppError::Validation(message) => invalid("allocations", message),
            other => other,
        })?;
        Ok(())
    }
}
