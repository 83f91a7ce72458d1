//! `/api/v1/contracts`: service contracts (代理记账 and other services) with their periods and fee.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of, period_text};
use crate::db::entities::service_contract::{BillingCycle, Column, Entity, Model, Status};
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
    const PERIOD: Option<Column> = None;
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub customer_external_id: Option<String>,
    /// 合同编号; default the external id.
    pub contract_no: Option<String>,
    /// Default 代理记账.
    pub service_type: Option<String>,
    /// First period served, `YYYY-MM`.
    pub start_period: String,
    /// Last period served, `YYYY-MM`.
    pub end_period: String,
    pub fee_per_month_fen: i64,
    /// Default `quarter`.
    pub billing_cycle: Option<BillingCycle>,
    /// Default the monthly fee times the months served.
    pub total_fen: Option<i64>,
    /// Default `active`.
    pub status: Option<Status>,
    /// `YYYY-MM-DD`.
    pub signed_on: Option<String>,
    pub note: Option<String>,
}

pub struct Contracts;

#[async_trait]
impl ApiResource for Contracts {
    const RESOURCE: Resource = Resource::Contracts;
    const ENTITY: &'static str = "service_contract";
    type Table = Entity;
    type Model = Model;
    type Input = ContractInput;

    fn external_id(input: &ContractInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: ContractInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let start = c.period("start_period", &input.start_period);
        let end = c.period("end_period", &input.end_period);
        let fee = c.fen("fee_per_month_fen", input.fee_per_month_fen);
        let months = match (start, end) {
            (Some(s), Some(e)) if e < s => {
                c.fail("end_period", "结束期间不能早于开始期间");
                0
            }
            (Some(s), Some(e)) => i64::from(s.months_between(e)) + 1,
            _ => 0,
        };
        let total_fen = match input.total_fen {
            Some(t) => c.fen("total_fen", t),
            None => fee.saturating_mul(months),
        };
        let signed_on = input
            .signed_on
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| c.date("signed_on", s));
        let contract = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            contract_no: c
                .opt_text("contract_no", input.contract_no.as_deref(), 50)
                .unwrap_or_else(|| input.external_id.trim().to_string()),
            service_type: c
                .opt_text("service_type", input.service_type.as_deref(), 50)
                .unwrap_or_else(|| "代理记账".to_string()),
            start_period: period_text(start),
            end_period: period_text(end),
            fee_per_month_fen: fee,
            billing_cycle: input.billing_cycle.unwrap_or(BillingCycle::Quarter),
            total_fen,
            status: input.status.unwrap_or(Status::Active),
            renewed_from_id: existing.and_then(|e| e.renewed_from_id),
            signed_on,
            created_by: existing.and_then(|e| e.created_by),
            note: c.opt_text("note", input.note.as_deref(), 2000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        Ok(contract)
    }
}
