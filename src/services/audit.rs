//! The audit log: every write a person or an API client makes is recorded — who, when, what,
//! before and after — in `audit_log`, which is only ever appended to.
//!
//! A write records its entry inside its own transaction ([`record_in`]), so the change and its
//! record commit together or not at all.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::db::entities::audit_log;
use crate::error::AppResult;
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;

/// Who acted.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A signed-in employee (sidebar or back office).
    Employee { id: i64, name: String },
    /// A WeCom member not yet bound to an employee (binding themselves).
    Member { userid: String },
    /// A bookkeeping system through an API key.
    ApiKey { id: i64, name: String },
    /// The service itself (sync, scheduled jobs), named by what ran.
    System(&'static str),
}

impl Actor {
    fn label(&self) -> String {
        match self {
            Self::Employee { name, .. } => name.clone(),
            Self::Member { userid } => format!("wecom:{userid}"),
            Self::ApiKey { name, .. } => format!("api:{name}"),
            Self::System(what) => format!("system:{what}"),
        }
    }

    fn employee_id(&self) -> Option<i64> {
        match self {
            Self::Employee { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// The actor, the firm they act in and where from.
#[derive(Clone, Debug)]
pub struct Who {
    pub firm_id: i64,
    pub actor: Actor,
    pub ip: Option<String>,
}

impl Who {
    pub fn employee(me: &CurrentEmployee, ip: Option<String>) -> Self {
        Self {
            firm_id: me.firm_id,
            actor: Actor::Employee {
                id: me.employee_id,
                name: me.name.clone(),
            },
            ip,
        }
    }

    pub fn member(firm_id: i64, userid: &str, ip: Option<String>) -> Self {
        Self {
            firm_id,
            actor: Actor::Member {
                userid: userid.to_string(),
            },
            ip,
        }
    }

    pub fn system(firm_id: i64, what: &'static str) -> Self {
        Self {
            firm_id,
            actor: Actor::System(what),
            ip: None,
        }
    }
}

/// What was acted on: a table-like name and the row's id.
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    pub entity: &'a str,
    pub id: Option<i64>,
}

impl<'a> Object<'a> {
    pub fn new(entity: &'a str, id: i64) -> Self {
        Self {
            entity,
            id: Some(id),
        }
    }
}

/// Records one entry on its own (for writes that are a single statement already committed).
pub async fn record(
    ctx: &Ctx,
    who: &Who,
    action: &str,
    object: Object<'_>,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    record_in(
        ctx.db.write(),
        ctx.now(),
        who,
        action,
        object,
        before,
        after,
    )
    .await
}

/// Records one `action` entry per `(id, after)` of `entity` inside the caller's transaction, in
/// multi-row statements (bulk imports write thousands at once).
pub async fn record_many_in(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    who: &Who,
    action: &str,
    entity: &str,
    rows: Vec<(i64, Option<Value>)>,
) -> AppResult<()> {
    use sea_orm::EntityTrait;
    const CHUNK: usize = 500;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<audit_log::ActiveModel> = rows
            .by_ref()
            .take(CHUNK)
            .map(|(id, after)| audit_log::ActiveModel {
                firm_id: Set(who.firm_id),
                actor_employee_id: Set(who.actor.employee_id()),
                actor: Set(who.actor.label()),
                action: Set(action.to_string()),
                entity: Set(entity.to_string()),
                entity_id: Set(Some(id.to_string())),
                old_value: Set(None),
                new_value: Set(after),
                ip: Set(who.ip.clone()),
                occurred_at: Set(at),
                ..Default::default()
            })
            .collect();
        audit_log::Entity::insert_many(chunk).exec(conn).await?;
    }
    Ok(())
}

/// Records one entry inside the caller's transaction.
pub async fn record_in(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    who: &Who,
    action: &str,
    object: Object<'_>,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    audit_log::ActiveModel {
        firm_id: Set(who.firm_id),
        actor_employee_id: Set(who.actor.employee_id()),
        actor: Set(who.actor.label()),
        action: Set(action.to_string()),
        entity: Set(object.entity.to_string()),
        entity_id: Set(object.id.map(|id| id.to_string())),
        old_value: Set(before),
        new_value: Set(after),
        ip: Set(who.ip.clone()),
        occurred_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
