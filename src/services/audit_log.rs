//! Reading the audit log in the back office (admins only): filtered by person, object and
//! Beijing dates, newest first, a page at a time. The log is never edited: there is no write here.

use chrono::{Duration, NaiveDate};

use crate::domain::clock::local_midnight;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{audit_log, employee};
use crate::error::AppResult;
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;

pub const PAGE_SIZE: u64 = 100;

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub employee_id: Option<i64>,
    /// The object's kind (`employee`, `kb_article`, …).
    pub entity: String,
    /// The object's id, with a kind.
    pub entity_id: String,
    /// Beijing dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 0-based.
    pub page: u64,
}

pub struct AuditPage {
    pub entries: Vec<audit_log::Model>,
    pub has_more: bool,
    /// The firm's employees (removed ones too), for the person filter.
    pub people: Vec<(i64, String)>,
    /// The object kinds the firm's log holds.
    pub entities: Vec<String>,
}

pub async fn list(ctx: &Ctx, me: &CurrentEmployee, filter: &AuditFilter) -> AppResult<AuditPage> {
    me.require_admin()?;
    let db = ctx.db.read();
    let mut query = audit_log::Entity::find().filter(audit_log::Column::FirmId.eq(me.firm_id));
    if let Some(id) = filter.employee_id {
        query = query.filter(audit_log::Column::ActorEmployeeId.eq(id));
    }
    let entity = filter.entity.trim();
    if !entity.is_empty() {
        query = query.filter(audit_log::Column::Entity.eq(entity));
        let id = filter.entity_id.trim();
        if !id.is_empty() {
            query = query.filter(audit_log::Column::EntityId.eq(id));
        }
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_log::Column::OccurredAt.gte(local_midnight(from)));
    }
    if let Some(to) = filter.to {
        query =
            query.filter(audit_log::Column::OccurredAt.lt(local_midnight(to) + Duration::days(1)));
    }
    let mut entries = query
        .order_by_desc(audit_log::Column::OccurredAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(filter.page * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let has_more = entries.len() as u64 > PAGE_SIZE;
    entries.truncate(PAGE_SIZE as usize);
    let people = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(me.firm_id))
        .order_by_asc(employee::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            let name = if e.deleted_at.is_some() {
                format!("{}（已删除）", e.name)
            } else {
                e.name
            };
            (e.id, name)
        })
        .collect();
    let mut entities: Vec<String> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Entity)
        .distinct()
        .filter(audit_log::Column::FirmId.eq(me.firm_id))
        .into_tuple::<String>()
        .all(db)
        .await?;
    entities.sort();
    Ok(AuditPage {
        entries,
        has_more,
        people,
        entities,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn a_beijing_day_starts_at_16_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(
            local_midnight(day),
            Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap()
        );
    }
}
