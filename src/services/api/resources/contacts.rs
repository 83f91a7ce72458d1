//! `/api/v1/contacts`: the people of a customer (boss, finance, cashier, …).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};

use super::{Check, customer_of};
use crate::db::entities::contact::{Column, Entity, Model, Role};
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
pub struct ContactInput {
    pub external_id: String,
    /// The customer, by our id …
    pub customer_id: Option<i64>,
    /// … or by the firm's own id.
    pub customer_external_id: Option<String>,
    pub name: String,
    /// Default `other`.
    pub role: Option<Role>,
    /// 11-digit mainland mobile number.
    pub mobile: Option<String>,
    /// Default false.
    pub is_primary: Option<bool>,
    pub note: Option<String>,
}

pub struct Contacts;

#[async_trait]
impl ApiResource for Contacts {
    const RESOURCE: Resource = Resource::Contacts;
    const ENTITY: &'static str = "contact";
    type Table = Entity;
    type Model = Model;
    type Input = ContactInput;

    fn external_id(input: &ContactInput) -> Option<&str> {
        Some(&input.external_id)
    }

    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Model>,
        input: ContactInput,
    ) -> AppResult<Model> {
        let customer_id = customer_of(
            txn,
            firm_id,
            input.customer_id,
            input.customer_external_id.as_deref(),
        )
        .await?;
        let mut c = Check::default();
        let mobile = c.opt_text("mobile", input.mobile.as_deref(), 20);
        if let Some(m) = &mobile
            && (m.len() != 11 || !m.starts_with('1') || !m.bytes().all(|b| b.is_ascii_digit()))
        {
            c.fail("mobile", "手机号应为 11 位数字");
        }
        let contact = Model {
            id: existing.map_or(0, |e| e.id),
            firm_id,
            customer_id,
            name: c.text("name", &input.name, 50),
            role: input.role.unwrap_or(Role::Other),
            mobile,
            is_primary: input.is_primary.unwrap_or(false),
            external_contact_id: existing.and_then(|e| e.external_contact_id),
            note: c.opt_text("note", input.note.as_deref(), 1000),
            external_id: Some(input.external_id.trim().to_string()),
            created_at: existing.map_or(at, |e| e.created_at),
            updated_at: existing.map_or(at, |e| e.updated_at),
            deleted_at: None,
        };
        c.finish()?;
        Ok(contact)
    }
}
