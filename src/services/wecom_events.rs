//! Applying WeCom's change events from the callback inbox to our mirror.
//!
//! The recurring job [`JOB_KIND`] drains `callback_inbox`, firms taking turns and each firm's
//! events oldest first (see [`drain`]). Each row is taken with one
//! conditional UPDATE (`pending`, or `processing` whose lease or backoff has lapsed →
//! `processing` with a lease; `FOR UPDATE SKIP LOCKED` on PostgreSQL), so several instances never
//! process one event at the same time, and it is finished only by the claim that took it.
//!
//! Events carry only ids, so each one fetches the object's current state from WeCom
//! (`externalcontact/get`, `groupchat/get`, `get_corp_tag_list`, `user/get`) and applies it with
//! the same compare-then-write functions as the full sync. Applying the current state makes an
//! event idempotent: the same event twice, or two events for one contact, leave what WeCom has
//! now. What it does not settle is two instances applying two events of one object at once: the
//! fetch that started first may be written last and leave the older state. So intake writes each
//! row's [`object_key`] (the contact, group, member, or the firm's corp tags), and a row is not
//! claimed while an older row of the same object is still open (pending, or processing under a
//! lease or backoff): events of one object are applied one after another, in the order they
//! arrived; events of different objects still run side by side. Claims are serialised (an
//! advisory lock on PostgreSQL) so that rule needs to look only at processing rows.
//!
//! Transient failures (WeCom busy or throttling, transport errors, the database) are retried
//! with backoff (`lease_until` holds the next try); after [`MAX_ATTEMPTS`], or at once for an
//! event that cannot be applied, the row is parked as `failed` with its reason, where the back
//! office shows it and [`retry_parked`] queues it again.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Value,
};

use crate::db::entities::{callback_inbox, external_follow, wecom_external_contact, wecom_member};
use crate::db::statement;
use crate::services::Ctx;
use crate::services::wecom_sync::{
    apply_contact, apply_follow, apply_group_chat, apply_member, apply_tag_groups, mark_member_gone,
};
use crate::wecom::client::AppHandle;
use crate::wecom::token_cache::TokenError;
use crate::wecom::xml::{EventFields, parse_event};
use crate::worker::Job;

/// The recurring job that drains the inbox.
pub const JOB_KIND: &str = "wecom_events";
/// How often an idle instance looks at the inbox.
pub const EVERY: Duration = Duration::seconds(2);
/// Tries before an event is parked.
pub const MAX_ATTEMPTS: i32 = 5;
/// How long a claim holds an event.
const LEASE: Duration = Duration::seconds(60);
/// Events one run applies at most before handing over (the next run follows at once).
const PER_RUN: usize = 5000;

/// Why an event was not applied.
enum Failure {
    /// Worth another try later.
    Transient(String),
    /// Will never apply: park it.
    Poison(String),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Self::Transient(format!("database: {e}"))
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        let transient = match e.wecom() {
            Some(w) => {
                matches!(w.errcode(), Some(-1 | 45009 | 45033))
                    || matches!(w, crate::wecom::errors::WecomError::Http { .. })
            }
            None => true,
        };
        if transient {
            Self::Transient(e.to_string())
        } else {
            Self::Poison(e.to_string())
        }
    }
}

/// The job handler: applies due events until none is left (or [`PER_RUN`]).
pub async fn run_job(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    let n = drain(ctx, PER_RUN).await?;
    if n > 0 {
        tracing::info!(events = n, "applied WeCom events");
    }
    Ok(())
}

/// Claims and applies due events one at a time; returns how many it handled.
///
/// Firms take turns, one event each, and each firm's events go oldest first: a burst of one
/// firm's events (or a backlog its broken app cannot clear) never holds up another firm's.
///
/// A transient failure (WeCom busy or unreachable, the app not usable yet) takes that firm out of
/// the rest of the run: its next event would most likely fail the same way, and trying each one
/// would spend the firm's WeCom quota and the database's one writer on nothing. The failed event
/// waits for its backoff; the firm's other events wait for the next run, and are not even read
/// until then.
pub async fn drain(ctx: &Ctx, limit: usize) -> Result<usize, DbErr> {
    let mut handled = 0;
    let claim_sql = claim_sql(ctx.db.backend());
    let mut firms = firms_with_due_events(ctx).await?;
    while handled < limit && !firms.is_empty() {
        let mut turn = 0;
        while turn < firms.len() && handled < limit {
            let firm_id = firms[turn];
            let Some(row) = claim(ctx, &claim_sql, firm_id).await? else {
                firms.remove(turn);
                continue;
            };
            handled += 1;
            let result = apply(ctx, &row).await;
            let transient = matches!(result, Err(Failure::Transient(_)));
            finish(ctx, &row, result).await?;
            if transient {
                firms.remove(turn);
            } else {
                turn += 1;
            }
        }
    }
    Ok(handled)
}

/// Firms with an event to apply now: one index probe per firm, however long its backlog.
async fn firms_with_due_events(ctx: &Ctx) -> Result<Vec<i64>, DbErr> {
    let backend = ctx.db.backend();
    let sql = "SELECT f.id FROM firm f WHERE EXISTS (\
           SELECT 1 FROM callback_inbox c WHERE c.status = 'pending' AND c.firm_id = f.id) \
         OR EXISTS (\
           SELECT 1 FROM callback_inbox c WHERE c.status = 'processing' AND c.firm_id = f.id \
           AND c.lease_until < ?) \
         ORDER BY f.id";
    let rows = ctx
        .db
        .read()
        .query_all_raw(statement(backend, sql, vec![ctx.now().into()]))
        .await?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect()
}

const DUE: &str = "(status = 'pending' OR (status = 'processing' AND lease_until < ?))";

/// The object an event is about, as [`apply`] reads it: events with the same key are applied in
/// arrival order, one at a time. `None` for events the mirror does not follow (no ordering).
pub fn object_key(fields: &EventFields<'_>) -> Option<String> {
    let id = |prefix: &str, v: Option<&str>| {
        v.filter(|s| !s.is_empty()).map(|v| format!("{prefix}:{v}"))
    };
    match fields.event()? {
        "change_external_contact" => id("contact", fields.external_user_id()),
        "change_external_chat" => id("chat", fields.chat_id()),
        // Every tag event re-reads the whole tag list, so they are one object.
        "change_external_tag" => Some("tags".to_string()),
        "change_contact" => id("member", fields.user_id()),
        _ => None,
    }
}

/// Arbitrary but fixed key for `pg_advisory_xact_lock` around claims ("zf" + "evnt").
const CLAIM_LOCK_KEY: i64 = 0x7a66_6576_6e74;

/// The claim of a firm's next due event, as one conditional UPDATE.
///
/// Binds: the new lease, the firm (twice), now (twice).
///
/// The attempt count fences the claim: only the claim that took a row may finish it.
///
/// Claims are serialised (SQLite has one writer; PostgreSQL takes an advisory lock for the
/// claim's short transaction) and take the firm's oldest due row that no processing row of the
/// same object holds back. Serialised, that is enough for arrival order: an older pending row of
/// the object would have been taken first unless a processing row held it back, and that row holds
/// this one back too. So the check reads only the firm's processing rows — those in flight or in
/// backoff, a handful — and `object_key` needs no index of its own, which would slow every
/// callback's insert. Pending rows and lapsed processing rows are looked up apart, each in index
/// order within the firm (`ix_callback_inbox_status_firm_id_id`), so a claim reads a few index
/// entries whatever the size of the backlog, its own firm's or another's. On SQLite the statement
/// holds the write lock while it runs, and the callback inbox's writer waits for it.
pub fn claim_sql(backend: DbBackend) -> String {
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let free = "(c.object_key IS NULL OR NOT EXISTS (\
         SELECT 1 FROM callback_inbox o WHERE o.status = 'processing' \
         AND o.firm_id = c.firm_id AND o.object_key = c.object_key AND o.id <> c.id))";
    format!(
        "UPDATE callback_inbox SET status = 'processing', attempts = attempts + 1, \
         lease_until = ? \
         WHERE id = (SELECT MIN(candidate) FROM (\
           SELECT (SELECT c.id FROM callback_inbox c WHERE c.status = 'pending' \
             AND c.firm_id = ? AND {free} ORDER BY c.id LIMIT 1{lock}) AS candidate \
           UNION ALL \
           SELECT (SELECT c.id FROM callback_inbox c WHERE c.status = 'processing' \
             AND c.firm_id = ? AND c.lease_until < ? AND {free} ORDER BY c.id LIMIT 1{lock})) due) \
         AND {DUE} RETURNING *"
    )
}

/// Claims the firm's next due event with `sql`, the backend's [`claim_sql`].
async fn claim(ctx: &Ctx, sql: &str, firm_id: i64) -> Result<Option<callback_inbox::Model>, DbErr> {
    let now = ctx.now();
    let backend = ctx.db.backend();
    let values: Vec<Value> = vec![
        (now + LEASE).into(),
        firm_id.into(),
        firm_id.into(),
        now.into(),
        now.into(),
    ];
    let claim = statement(backend, sql, values);
    let row = if backend == DbBackend::Postgres {
        let txn = ctx.db.begin_write().await?;
        txn.execute_raw(statement(
            backend,
            "SELECT pg_advisory_xact_lock(?)",
            vec![CLAIM_LOCK_KEY.into()],
        ))
        .await?;
        let row = txn.query_one_raw(claim).await?;
        txn.commit().await?;
        row
    } else {
        // One statement is its own transaction, and SQLite's write lock is held only while it
        // runs. BEGIN … COMMIT around it would hold the lock across three hand-offs to the
        // connection's thread, which on a busy machine kept the callback inbox's writer waiting
        // for tens of milliseconds at a time.
        ctx.db.write().query_one_raw(claim).await?
    };
    row.map(|r| callback_inbox::Model::from_query_result(&r, ""))
        .transpose()
}

async fn finish(
    ctx: &Ctx,
    row: &callback_inbox::Model,
    result: Result<(), Failure>,
) -> Result<(), DbErr> {
    let now = ctx.now();
    let (set, values): (&str, Vec<Value>) = match result {
        Ok(()) => (
            "status = 'done', processed_at = ?, lease_until = NULL, last_error = NULL",
            vec![now.into()],
        ),
        Err(Failure::Transient(reason)) if row.attempts < MAX_ATTEMPTS => {
            let backoff = Duration::seconds(2i64.pow(row.attempts.clamp(1, 10) as u32));
            tracing::warn!(event = row.id, %reason, "a WeCom event failed; retrying later");
            (
                "status = 'processing', lease_until = ?, last_error = ?",
                vec![(now + backoff).into(), reason.into()],
            )
        }
        Err(Failure::Transient(reason) | Failure::Poison(reason)) => {
            tracing::warn!(event = row.id, %reason, "a WeCom event is parked");
            (
                "status = 'failed', processed_at = ?, lease_until = NULL, last_error = ?",
                vec![now.into(), reason.into()],
            )
        }
    };
    let sql = format!(
        "UPDATE callback_inbox SET {set} WHERE id = ? AND status = 'processing' AND attempts = ?"
    );
    let mut values = values;
    values.push(row.id.into());
    values.push(row.attempts.into());
    ctx.db
        .write()
        .execute_raw(statement(ctx.db.backend(), &sql, values))
        .await?;
    Ok(())
}

async fn apply(ctx: &Ctx, row: &callback_inbox::Model) -> Result<(), Failure> {
    let fields = parse_event(&row.payload)
        .map_err(|e| Failure::Poison(format!("the event XML does not parse: {e}")))?;
    let event = fields.event().unwrap_or_default().to_string();
    let change = fields.change_type().unwrap_or_default().to_string();
    let app = ctx
        .apps
        .primary(row.firm_id)
        .await
        .map_err(|e| Failure::Transient(format!("the firm's app: {e}")))?;
    let handle = app
        .handle()
        .map_err(|e| Failure::Poison(format!("the firm's app cannot call WeCom: {e}")))?
        .clone();
    let firm_id = row.firm_id;
    let need = |v: Option<&str>, what: &str| {
        v.filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| Failure::Poison(format!("{event}/{change} without {what}")))
    };
    match event.as_str() {
        "change_external_contact" => match change.as_str() {
            "add_external_contact"
            | "edit_external_contact"
            | "add_half_external_contact"
            | "del_external_contact"
            | "del_follow_user" => {
                let external = need(fields.external_user_id(), "ExternalUserID")?;
                refresh_contact(ctx, &handle, firm_id, &external).await
            }
            // A failed transfer changes nothing in the relation.
            _ => Ok(()),
        },
        "change_external_chat" => {
            let chat_id = need(fields.chat_id(), "ChatId")?;
            if change == "dismiss" {
                dismiss_group(ctx, firm_id, &chat_id).await?;
                return Ok(());
            }
            refresh_group(ctx, &handle, firm_id, &chat_id).await
        }
        "change_external_tag" => {
            let groups = ctx.wecom.get_corp_tag_list(&handle, &[], &[]).await?;
            let txn = ctx.db.begin_write().await?;
            apply_tag_groups(&txn, firm_id, &groups, ctx.now()).await?;
            if change == "delete" {
                // WeCom takes a deleted tag off every customer without an event per customer.
                let live: std::collections::HashSet<&str> = groups
                    .iter()
                    .filter(|g| !g.deleted)
                    .flat_map(|g| g.tag.iter().filter(|t| !t.deleted))
                    .map(|t| t.id.as_str())
                    .collect();
                strip_dead_tags(&txn, firm_id, &live, ctx.now()).await?;
            }
            txn.commit().await?;
            Ok(())
        }
        "change_contact" => {
            let userid = need(fields.user_id(), "UserID")?;
            refresh_member(ctx, &handle, firm_id, &userid).await
        }
        // Events the mirror does not follow.
        _ => Ok(()),
    }
}

/// The contact as WeCom has it now: its fields and every follow relation (paged at 500);
/// relations WeCom no longer lists, and the contact once none is left, are marked gone.
async fn refresh_contact(
    ctx: &Ctx,
    app: &AppHandle,
    firm_id: i64,
    external_userid: &str,
) -> Result<(), Failure> {
    let mut follows = Vec::new();
    let mut contact = None;
    let mut cursor: Option<String> = None;
    loop {
        match ctx
            .wecom
            .get_external_contact(app, external_userid, cursor.as_deref())
            .await
        {
            Ok(page) => {
                contact = Some(page.external_contact);
                follows.extend(page.follow_user);
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            // No relation with the corp any more.
            Err(e) if matches!(e.wecom().and_then(|w| w.errcode()), Some(84061 | 40096)) => {
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = wecom_external_contact::Entity::find()
        .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
        .filter(wecom_external_contact::Column::ExternalUserid.eq(external_userid))
        .one(&txn)
        .await?;
    let contact_id = match contact {
        Some(c) if !follows.is_empty() => {
            Some(apply_contact(&txn, firm_id, &c, existing, now).await?)
        }
        _ => existing.map(|e| e.id),
    };
    let Some(contact_id) = contact_id else {
        txn.commit().await?;
        return Ok(());
    };
    let ours = external_follow::Entity::find()
        .filter(external_follow::Column::FirmId.eq(firm_id))
        .filter(external_follow::Column::ExternalContactId.eq(contact_id))
        .all(&txn)
        .await?;
    let mut seen = Vec::new();
    for f in &follows {
        let existing = ours.iter().find(|o| o.userid == f.userid).cloned();
        seen.push(apply_follow(&txn, firm_id, contact_id, f, existing, now).await?);
    }
    let gone: Vec<i64> = ours
        .iter()
        .filter(|o| o.deleted_at.is_none() && !seen.contains(&o.id))
        .map(|o| o.id)
        .collect();
    if !gone.is_empty() {
        external_follow::Entity::update_many()
            .col_expr(external_follow::Column::DeletedAt, now.into())
            .col_expr(external_follow::Column::UpdatedAt, now.into())
            .filter(external_follow::Column::FirmId.eq(firm_id))
            .filter(external_follow::Column::Id.is_in(gone))
            .exec(&txn)
            .await?;
    }
    if follows.is_empty() {
        wecom_external_contact::Entity::update_many()
            .col_expr(wecom_external_contact::Column::DeletedAt, now.into())
            .col_expr(wecom_external_contact::Column::UpdatedAt, now.into())
            .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
            .filter(wecom_external_contact::Column::Id.eq(contact_id))
            .filter(wecom_external_contact::Column::DeletedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Takes tag ids WeCom no longer has off the follow relations of the firm.
async fn strip_dead_tags<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    live: &std::collections::HashSet<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let follows = external_follow::Entity::find()
        .filter(external_follow::Column::FirmId.eq(firm_id))
        .filter(external_follow::Column::TagIds.is_not_null())
        .all(conn)
        .await?;
    for f in follows {
        let ids: Vec<String> = f
            .tag_ids
            .as_ref()
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let kept: Vec<String> = ids
            .iter()
            .filter(|id| live.contains(id.as_str()))
            .cloned()
            .collect();
        if kept.len() != ids.len() {
            let mut a = f.into_active_model();
            a.tag_ids = Set(Some(serde_json::json!(kept)));
            a.updated_at = Set(now);
            a.update(conn).await?;
        }
    }
    Ok(())
}

async fn refresh_group(
    ctx: &Ctx,
    app: &AppHandle,
    firm_id: i64,
    chat_id: &str,
) -> Result<(), Failure> {
    match ctx.wecom.get_group_chat(app, chat_id, true).await {
        Ok(chat) => {
            let txn = ctx.db.begin_write().await?;
            apply_group_chat(&txn, firm_id, &chat, 0, ctx.now()).await?;
            txn.commit().await?;
            Ok(())
        }
        // Not a customer group (any more): dismissed.
        Err(e) if e.wecom().and_then(|w| w.errcode()) == Some(90501) => {
            dismiss_group(ctx, firm_id, chat_id).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

async fn dismiss_group(ctx: &Ctx, firm_id: i64, chat_id: &str) -> Result<(), DbErr> {
    use crate::db::entities::wecom_group_chat;
    let now = ctx.now();
    wecom_group_chat::Entity::update_many()
        .col_expr(wecom_group_chat::Column::DismissedAt, now.into())
        .col_expr(wecom_group_chat::Column::UpdatedAt, now.into())
        .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
        .filter(wecom_group_chat::Column::ChatId.eq(chat_id))
        .filter(wecom_group_chat::Column::DismissedAt.is_null())
        .exec(ctx.db.write())
        .await?;
    Ok(())
}

async fn refresh_member(
    ctx: &Ctx,
    app: &AppHandle,
    firm_id: i64,
    userid: &str,
) -> Result<(), Failure> {
    let now = ctx.now();
    match ctx.wecom.get_user(app, userid).await {
        Ok(user) => {
            let txn = ctx.db.begin_write().await?;
            let is_follow = wecom_member::Entity::find()
                .filter(wecom_member::Column::FirmId.eq(firm_id))
                .filter(wecom_member::Column::Userid.eq(userid))
                .one(&txn)
                .await?
                .is_some_and(|m| m.is_follow_user);
            apply_member(&txn, firm_id, &user, is_follow, now).await?;
            txn.commit().await?;
            Ok(())
        }
        Err(e) if e.wecom().and_then(|w| w.errcode()) == Some(60111) => {
            mark_member_gone(ctx.db.write(), firm_id, userid, now).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Counts for the back office: events waiting and events parked.
pub async fn inbox_counts(ctx: &Ctx, firm_id: i64) -> Result<(u64, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let waiting = callback_inbox::Entity::find()
        .filter(callback_inbox::Column::FirmId.eq(firm_id))
        .filter(callback_inbox::Column::Status.is_in([
            callback_inbox::Status::Pending,
            callback_inbox::Status::Processing,
        ]))
        .count(ctx.db.read())
        .await?;
    let parked = callback_inbox::Entity::find()
        .filter(callback_inbox::Column::FirmId.eq(firm_id))
        .filter(callback_inbox::Column::Status.eq(callback_inbox::Status::Failed))
        .count(ctx.db.read())
        .await?;
    Ok((waiting, parked))
}

/// Parked events of the firm, newest first.
pub async fn parked(
    ctx: &Ctx,
    firm_id: i64,
    limit: u64,
) -> Result<Vec<callback_inbox::Model>, DbErr> {
    callback_inbox::Entity::find()
        .filter(callback_inbox::Column::FirmId.eq(firm_id))
        .filter(callback_inbox::Column::Status.eq(callback_inbox::Status::Failed))
        .order_by_desc(callback_inbox::Column::Id)
        .limit(limit)
        .all(ctx.db.read())
        .await
}

/// Queues a parked event of the firm again; false when there is none with that id.
pub async fn retry_parked(
    ctx: &Ctx,
    firm_id: i64,
    event_id: i64,
    _at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let done = callback_inbox::Entity::update_many()
        .col_expr(
            callback_inbox::Column::Status,
            sea_orm::sea_query::Expr::value("pending"),
        )
        .col_expr(callback_inbox::Column::Attempts, 0.into())
        .col_expr(
            callback_inbox::Column::LeaseUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .filter(callback_inbox::Column::FirmId.eq(firm_id))
        .filter(callback_inbox::Column::Id.eq(event_id))
        .filter(callback_inbox::Column::Status.eq(callback_inbox::Status::Failed))
        .exec(ctx.db.write())
        .await?;
    Ok(done.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(xml: &str) -> Option<String> {
        object_key(&parse_event(xml).unwrap())
    }

    #[test]
    fn object_keys_name_the_object_each_event_refreshes() {
        let ev = |event: &str, inner: &str| {
            format!(
                "<xml><ToUserName>ww1</ToUserName><MsgType>event</MsgType>\
                 <Event>{event}</Event>{inner}</xml>"
            )
        };
        assert_eq!(
            key(&ev(
                "change_external_contact",
                "<ChangeType>edit_external_contact</ChangeType><UserID>zhang</UserID>\
                 <ExternalUserID>wmA</ExternalUserID>"
            ))
            .as_deref(),
            Some("contact:wmA")
        );
        assert_eq!(
            key(&ev(
                "change_external_chat",
                "<ChangeType>update</ChangeType><ChatId>wrB</ChatId>"
            ))
            .as_deref(),
            Some("chat:wrB")
        );
        assert_eq!(
            key(&ev(
                "change_external_tag",
                "<ChangeType>create</ChangeType><Id>et1</Id>"
            ))
            .as_deref(),
            Some("tags")
        );
        assert_eq!(
            key(&ev(
                "change_contact",
                "<ChangeType>update_user</ChangeType><UserID>li</UserID>"
            ))
            .as_deref(),
            Some("member:li")
        );
        // Nothing to order: events the mirror ignores, and events missing their id (parked).
        assert_eq!(key(&ev("enter_agent", "")), None);
        assert_eq!(
            key(&ev(
                "change_external_contact",
                "<ChangeType>add_external_contact</ChangeType><ExternalUserID></ExternalUserID>"
            )),
            None
        );
    }
}
