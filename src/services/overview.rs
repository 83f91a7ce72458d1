//! What the home page shows. The page is public, so in production it says only that the service
//! runs; deployment details (database, firms, pending callbacks) are shown in demo mode, on this
//! machine, and to admins in the back office.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db::entities::{callback_inbox, contact, customer, firm, invoice, wecom_app};
use crate::error::AppResult;
use crate::services::Ctx;

pub struct Overview {
    pub version: &'static str,
    pub backend: &'static str,
    pub database: String,
    pub pending_migrations: usize,
    pub started_at: DateTime<Utc>,
    pub demo: bool,
    pub public_url: String,
    pub firm_count: u64,
    pub pending_events: u64,
    /// Listed only in demo mode: on a production host the home page is public.
    pub firms: Vec<FirmSummary>,
}

pub struct FirmSummary {
    pub name: String,
    pub corp_id: String,
    pub is_demo: bool,
    pub agent_ids: Vec<String>,
    pub callback_url: String,
    pub customers: u64,
    pub contacts: u64,
    pub invoices: u64,
}

/// The deployment details, or None in production.
pub async fn load(ctx: &Ctx, started_at: DateTime<Utc>) -> AppResult<Option<Overview>> {
    if !ctx.demo() {
        return Ok(None);
    }
    details(ctx, started_at).await.map(Some)
}

/// Everything about this deployment; for the demo home page and the back office.
pub async fn details(ctx: &Ctx, started_at: DateTime<Utc>) -> AppResult<Overview> {
    let db = ctx.db.read();
    let firm_count = firm::Entity::find()
        .filter(firm::Column::DeletedAt.is_null())
        .count(db)
        .await?;
    let pending_events = callback_inbox::Entity::find()
        .filter(callback_inbox::Column::Status.eq(callback_inbox::Status::Pending))
        .count(db)
        .await?;
    let mut firms = Vec::new();
    if ctx.settings.demo.enabled {
        let rows = firm::Entity::find()
            .filter(firm::Column::DeletedAt.is_null())
            .order_by_asc(firm::Column::Id)
            .all(db)
            .await?;
        for f in rows {
            let agent_ids = wecom_app::Entity::find()
                .filter(wecom_app::Column::FirmId.eq(f.id))
                .filter(wecom_app::Column::DeletedAt.is_null())
                .order_by_asc(wecom_app::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|a| a.agent_id)
                .collect();
            firms.push(FirmSummary {
                callback_url: format!(
                    "{}/wecom/callback/{}",
                    ctx.settings.public_base(),
                    f.corp_id
                ),
                customers: customer::Entity::find()
                    .filter(customer::Column::FirmId.eq(f.id))
                    .filter(customer::Column::DeletedAt.is_null())
                    .count(db)
                    .await?,
                contacts: contact::Entity::find()
                    .filter(contact::Column::FirmId.eq(f.id))
                    .filter(contact::Column::DeletedAt.is_null())
                    .count(db)
                    .await?,
                invoices: invoice::Entity::find()
                    .filter(invoice::Column::FirmId.eq(f.id))
                    .filter(invoice::Column::DeletedAt.is_null())
                    .count(db)
                    .await?,
                name: f.name,
                corp_id: f.corp_id,
                is_demo: f.is_demo,
                agent_ids,
            });
        }
    }
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION"),
        backend: if ctx.db.is_sqlite() {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        database: ctx.settings.database.url.redacted(),
        pending_migrations: ctx.db.pending_migrations().await?.len(),
        started_at,
        demo: ctx.settings.demo.enabled,
        public_url: ctx.settings.public_base().to_string(),
        firm_count,
        pending_events,
        firms,
    })
}

/// What an admin sees of the deployment serving their firm (the public home page no longer
/// shows it in production).
pub struct SystemStatus {
    pub version: &'static str,
    pub backend: &'static str,
    pub database: String,
    pub pending_migrations: usize,
    pub started_at: DateTime<Utc>,
    pub public_url: String,
    pub callback_url: String,
    pub agent_ids: Vec<String>,
    /// This firm's callbacks waiting for the worker, and those it gave up on.
    pub pending_events: u64,
    pub failed_events: u64,
}

pub async fn system_status(
    ctx: &Ctx,
    who: &crate::services::sessions::CurrentEmployee,
    started_at: DateTime<Utc>,
) -> AppResult<SystemStatus> {
    who.require_admin()?;
    let db = ctx.db.read();
    let events = |status: callback_inbox::Status| {
        callback_inbox::Entity::find()
            .filter(callback_inbox::Column::FirmId.eq(who.firm_id))
            .filter(callback_inbox::Column::Status.eq(status))
            .count(db)
    };
    let agent_ids = crate::services::firms::active_apps(db, who.firm_id)
        .await?
        .into_iter()
        .map(|a| a.agent_id)
        .collect();
    Ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION"),
        backend: if ctx.db.is_sqlite() {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        database: ctx.settings.database.url.redacted(),
        pending_migrations: ctx.db.pending_migrations().await?.len(),
        started_at,
        public_url: ctx.settings.public_base().to_string(),
        callback_url: format!(
            "{}/wecom/callback/{}",
            ctx.settings.public_base(),
            who.corp_id
        ),
        agent_ids,
        pending_events: events(callback_inbox::Status::Pending).await?,
        failed_events: events(callback_inbox::Status::Failed).await?,
    })
}
