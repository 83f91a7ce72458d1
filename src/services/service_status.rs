//! 服务: the bookkeeping service (start, end, days left), other services, and the missing
//! invoices the accountant marked.

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::{customer, missing_invoice, service_contract};
use crate::domain::money::Money;
use crate::error::AppResult;
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, Section};

/// One service contract as the page shows it.
#[derive(Clone, Debug)]
pub struct ServiceRow {
    pub name: String,
    pub contract_no: String,
    pub start_period: String,
    pub end_period: String,
    pub end: Option<NaiveDate>,
    pub days_left: Option<i64>,
    pub status: &'static str,
    pub fee_per_month: Money,
}

#[derive(Clone, Debug)]
pub struct MissingRow {
    pub period: String,
    pub doc_type: String,
    pub description: Option<String>,
    pub expected: Option<Money>,
}

#[derive(Clone, Debug)]
pub struct ServiceInfo {
    pub customer: customer::Model,
    /// The bookkeeping service that defines 到期 (latest active or expired contract).
    pub bookkeeping: Option<ServiceRow>,
    /// Every other contract, newest first.
    pub others: Vec<ServiceRow>,
    pub missing: Vec<MissingRow>,
}

/// The Chinese name of a service type.
pub fn service_name(code: &str) -> String {
    match code {
        "bookkeeping" => "代理记账".into(),
        "registration" => "工商服务".into(),
        "tax" => "税务服务".into(),
        "audit" => "审计".into(),
        other => other.to_string(),
    }
}

fn status_label(s: service_contract::Status) -> &'static str {
    match s {
        service_contract::Status::Draft => "草稿",
        service_contract::Status::Active => "服务中",
        service_contract::Status::Expired => "已到期",
        service_contract::Status::Terminated => "已终止",
    }
}

fn row(c: &service_contract::Model, today: NaiveDate) -> ServiceRow {
    let end = sidebar::contract_end(c);
    ServiceRow {
        name: service_name(&c.service_type),
        contract_no: c.contract_no.clone(),
        start_period: c.start_period.clone(),
        end_period: c.end_period.clone(),
        end,
        days_left: end.map(|e| (e - today).num_days()),
        status: status_label(c.status),
        fee_per_month: Money::from_fen(c.fee_per_month_fen),
    }
}

/// The 服务 section.
pub async fn service(ctx: &Ctx, who: &CurrentEmployee, customer_id: i64) -> AppResult<ServiceInfo> {
    let customer = sidebar::customer_for(ctx, who, customer_id, Section::Service).await?;
    let today = ctx.clock.today_local();
    let bookkeeping = sidebar::bookkeeping_contract(ctx, who.firm_id, customer.id).await?;
    let others = service_contract::Entity::find()
        .filter(service_contract::Column::FirmId.eq(who.firm_id))
        .filter(service_contract::Column::CustomerId.eq(customer.id))
        .filter(service_contract::Column::DeletedAt.is_null())
        .order_by_desc(service_contract::Column::EndPeriod)
        .all(ctx.db.read())
        .await?
        .into_iter()
        .filter(|c| bookkeeping.as_ref().is_none_or(|b| b.id != c.id))
        .map(|c| row(&c, today))
        .collect();
    Ok(ServiceInfo {
        bookkeeping: bookkeeping.as_ref().map(|c| row(c, today)),
        others,
        missing: missing(ctx, who.firm_id, customer.id).await?,
        customer,
    })
}

/// The customer's open missing-invoice marks, by period.
pub async fn missing(ctx: &Ctx, firm_id: i64, customer_id: i64) -> AppResult<Vec<MissingRow>> {
    Ok(missing_invoice::Entity::find()
        .filter(missing_invoice::Column::FirmId.eq(firm_id))
        .filter(missing_invoice::Column::CustomerId.eq(customer_id))
        .filter(missing_invoice::Column::ResolvedAt.is_null())
        .filter(missing_invoice::Column::DeletedAt.is_null())
        .order_by_asc(missing_invoice::Column::Period)
        .order_by_asc(missing_invoice::Column::Id)
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|m| MissingRow {
            period: m.period,
            doc_type: m.doc_type,
            description: m.description,
            expected: m.expected_fen.map(Money::from_fen),
        })
        .collect())
}
