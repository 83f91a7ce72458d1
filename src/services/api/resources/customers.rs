//! `/api/v1/customers`: the firm's client companies. Only `external_id` and `name` are required.
//! The 客户经理 and 主办会计 may be named by an employee's mobile number or name; a push that
//! leaves them out keeps whom zhangfang assigned (the back office assigns them too).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::Check;
use crate::db::entities::customer::{
    CitPeriod, Column, Entity, Model, ServiceStatus, TaxpayerType, VatPeriod,
};
use crate::domain::api_scopes::Resource;
use crate::error::AppResult;
use crate::services::api::{ApiResource, Outcome, Table};
use crate::services::assignments::{self, Duty};

impl Table for Entity {
    const ID: Column = Column::Id;
    const FIRM_ID: Column = Column::FirmId;
    const EXTERNAL_ID: Column = Column::ExternalId;
    const UPDATED_AT: Column = Column::UpdatedAt;
    const CUSTOMER_ID: Option<Column> = Some(Column::Id);
    const DELETED_AT: Option<Column> = Some(Column::DeletedAt);
    const PERIOD: Option<Column> = None;
}

/// A customer as a client sends it.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// The firm's own id for this customer (unique per firm; a POST with a known one updates).
    pub external_id: String,
    /// 公司名称.
    pub name: String,
    pub short_name: Option<String>,
    /// 统一社会信用代码, checked (18 characters with its check character).
    pub uscc: Option<String>,
    /// Default `small_scale`.
    pub taxpayer_type: Option<TaxpayerType>,
    /// Default `quarter`.
    pub vat_period: Option<VatPeriod>,
    /// Default `quarter`.
    pub cit_period: Option<CitPeriod>,
    /// 小型微利企业; default true.
    pub is_small_micro: Option<bool>,
    /// 城建税税率 in percent: 7, 5 or 1; default 7.
    pub city_tax_level: Option<i32>,
    /// Default `small_enterprise` (小企业会计准则).
    pub accounting_standard: Option<String>,
    pub industry: Option<String>,
    pub legal_rep: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    /// Default `serving`.
    pub service_status: Option<ServiceStatus>,
    /// The first period served, `YYYY-MM`.
    pub service_start: Option<String>,
    pub note: Option<String>,
    /// 客户经理: an active employee's mobile number or name (a name must be unique in the firm).
    /// An empty string removes the assignment; left out, the assignment stays as it is.
    pub account_manager: Option<String>,
    /// 主办会计, named the same way as `account_manager`.
    pub bookkeeper: Option<String>,
}

pub struct Customers;

#[async_trait]
impl ApiResource for Customers {
    const RESOURCE: Resource = Resource::Customers;
    const ENTITY: &'static str = "customer";
    type Table = Entity;
    type Model = Model;
    type Input = CustomerInput;

    fn external_id(input: &CustomerInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: CustomerInput,
    ) -> AppResult<Model> {
        let mut c = Check::default();
        let name = c.text("name", &input.name, 200);
        let uscc = c.uscc("uscc", input.uscc.as_deref());
        let city_tax_level = input.city_tax_level.unwrap_or(7);
        if ![7, 5, 1].contains(&city_tax_level) {
            c.fail("city_tax_level", "城建税税率只能是 7、5 或 1");
        }
        let service_start = input
            .service_start
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| c.period("service_start", s))
            .map(|p| p.to_string());
        let mut holder = async |field: &str, text: Option<&str>, kept: Option<i64>| {
            let Some(text) = text else {
                return AppResult::Ok(kept);
            };
            Ok(
                match assignments::employee_named(txn, firm_id, text).await? {
                    Ok(id) => id,
                    Err(message) => {
                        c.fail(field, message);
                        None
                    }
                },
            )
        };
        let account_manager_id = holder(
            "account_manager",
            input.account_manager.as_deref(),
            existing.and_then(|e| e.account_manager_id),
        )
        .await?;
        let bookkeeper_id = holder(
            "bookkeeper",
            input.bookkeeper.as_deref(),
            existing.and_then(|e| e.bookkeeper_id),
        )
        .await?;
        let customer = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            name,
            short_name: c.opt_text("short_name", input.short_name.as_deref(), 50),
            uscc,
            taxpayer_type: input.taxpayer_type.unwrap_or(TaxpayerType::SmallScale),
            vat_period: input.vat_period.unwrap_or(VatPeriod::Quarter),
            cit_period: input.cit_period.unwrap_or(CitPeriod::Quarter),
            is_small_micro: input.is_small_micro.unwrap_or(true),
            city_tax_level,
            accounting_standard: c
                .opt_text(
                    "accounting_standard",
                    input.accounting_standard.as_deref(),
                    50,
                )
                .unwrap_or_else(|| "small_enterprise".to_string()),
            industry: c.opt_text("industry", input.industry.as_deref(), 100),
            legal_rep: c.opt_text("legal_rep", input.legal_rep.as_deref(), 50),
            region: c.opt_text("region", input.region.as_deref(), 100),
            address: c.opt_text("address", input.address.as_deref(), 300),
            service_status: input.service_status.unwrap_or(ServiceStatus::Serving),
            service_start,
            account_manager_id,
            bookkeeper_id,
            note: c.opt_text("note", input.note.as_deref(), 2000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        Ok(customer)
    }

    /// Keeps the `customer_staff` rows in step with a 客户经理 or 主办会计 the input named.
    async fn after_save(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        row: &Model,
        _outcome: Outcome,
        input: &CustomerInput,
    ) -> AppResult<()> {
        for (named, duty, holder) in [
            (
                input.account_manager.is_some(),
                Duty::AccountManager,
                row.account_manager_id,
            ),
            (
                input.bookkeeper.is_some(),
                Duty::Bookkeeper,
                row.bookkeeper_id,
            ),
        ] {
            if named {
                assignments::set_duty_in(txn, firm_id, at, &[row.id], duty, holder).await?;
            }
        }
        Ok(())
    }

    async fn check_delete(txn: &DatabaseTransaction, row: &Model) -> AppResult<()> {
        crate::services::api::resources::refuse_if_paid(txn, row.firm_id, row.id).await
    }
}
