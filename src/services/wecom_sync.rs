//! The full sync of a firm's WeCom into our mirror: corp tags, members (the follow users),
//! external contacts with who follows them, and customer groups with their members.
//!
//! A sync runs as the background job [`JOB_KIND`] (queued by [`start`]); each kind it covers has
//! a `sync_job` row holding its progress (done / total, errors, API calls) and, in `state`, where
//! it is. Every page is applied and its progress saved in one transaction, so a run cut short —
//! an error, a lost lease, `kill -9` — resumes at the page it was on and applies nothing twice.
//! Rows are compared before writing: a sync of an unchanged organisation changes no mirror row.
//! Objects a completed run did not see (recorded in `wecom_sync_seen`) are marked gone with the
//! time — `deleted_at` on contacts and follow relations, `dismissed_at` on groups, `left_at` on
//! group members, status 5 on members — never deleted, so links to customers stay.
//!
//! WeCom's frequency limits (45009, 45033), its "busy" (-1) and transport errors are retried
//! with backoff and counted; details (`user/get`, `groupchat/get`) are fetched [`CONCURRENCY`] at
//! a time.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration as StdDuration;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Value,
};
use serde::{Deserialize, Serialize};

use crate::db::entities::sync_job::{self, Kind, Status};
use crate::db::entities::{
    external_follow, group_chat_member, tag, tag_group, wecom_external_contact, wecom_group_chat,
    wecom_member, wecom_sync_seen,
};
use crate::db::statement;
use crate::services::Ctx;
use crate::wecom::api::{
    BATCH_GET_MAX_LIMIT, BATCH_GET_MAX_USERS, BatchExternalContactItem, ExternalContact,
    FollowUser, GroupChat, GroupChatListRequest, TagGroup, User,
};
use crate::wecom::client::AppHandle;
use crate::wecom::token_cache::TokenError;
use crate::worker::{Job, JobError, NewJob};

/// The background job that runs a full sync.
pub const JOB_KIND: &str = "wecom_sync";
/// Detail calls (`user/get`, `groupchat/get`, `externalcontact/list`) in flight at once.
pub const CONCURRENCY: usize = 8;
/// Groups applied per transaction while a `groupchat/list` page is worked through.
const GROUP_CHUNK: usize = 100;
/// Retries of one call that WeCom throttles or fails transiently.
const MAX_RETRIES: u32 = 8;
const BACKOFF_BASE: StdDuration = StdDuration::from_millis(250);
const BACKOFF_MAX: StdDuration = StdDuration::from_secs(30);

/// What a sync covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    All,
    Members,
    Contacts,
    Groups,
    Tags,
}

impl What {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "all" => Self::All,
            "members" => Self::Members,
            "contacts" => Self::Contacts,
            "groups" => Self::Groups,
            "tags" => Self::Tags,
            _ => return None,
        })
    }

    /// The kinds in the order they run: tags and members first, since contacts name both.
    pub fn kinds(self) -> &'static [Kind] {
        match self {
            Self::All => &[Kind::Tags, Kind::Members, Kind::Contacts, Kind::Groups],
            Self::Members => &[Kind::Members],
            // Contacts are followed by members: keep the members current too.
            Self::Contacts => &[Kind::Members, Kind::Contacts],
            Self::Groups => &[Kind::Groups],
            Self::Tags => &[Kind::Tags],
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    what: What,
    #[serde(default)]
    started_by: Option<i64>,
}

/// Queues a sync of `what` for the firm. One sync per firm runs at a time: `None` when one is
/// already queued or running.
pub async fn start(
    ctx: &Ctx,
    firm_id: i64,
    what: What,
    started_by: Option<i64>,
) -> Result<Option<i64>, DbErr> {
    crate::worker::enqueue(
        ctx,
        NewJob::new(
            JOB_KIND,
            serde_json::to_value(Payload { what, started_by }).unwrap_or_default(),
        )
        .for_firm(firm_id)
        .unique_key(firm_id.to_string())
        .max_attempts(20),
    )
    .await
}

/// The job handler.
pub async fn run_job(ctx: &Ctx, job: Job) -> Result<(), JobError> {
    let firm_id = job
        .firm_id
        .ok_or_else(|| JobError::permanent(anyhow!("a sync job needs a firm")))?;
    let payload: Payload = job.payload_as()?;
    let app = ctx
        .apps
        .primary(firm_id)
        .await
        .map_err(|e| JobError::permanent(anyhow!("{e}")))?;
    let handle = app
        .handle()
        .map_err(|e| JobError::permanent(anyhow!("{e}")))?
        .clone();
    // Kinds this job already finished before an earlier attempt was cut short are not run again.
    let queued_at = crate::db::entities::background_job::Entity::find_by_id(job.id)
        .one(ctx.db.write())
        .await?
        .map(|j| j.created_at);
    for &kind in payload.what.kinds() {
        if let Some(queued_at) = queued_at
            && finished_since(ctx, firm_id, kind, queued_at).await?
        {
            continue;
        }
        let row = open_run(ctx, firm_id, kind, payload.started_by).await?;
        let mut run = Run::new(ctx.clone(), handle.clone(), row);
        let result = match kind {
            Kind::Tags => run.tags().await,
            Kind::Members => run.members().await,
            Kind::Contacts => run.contacts().await,
            Kind::Groups => run.groups().await,
        };
        if let Err(e) = result {
            let message = format!("{e:#}");
            run.record_error(&message, job.is_last_attempt()).await?;
            return Err(JobError::retry(e));
        }
    }
    Ok(())
}

/// Whether a run of `kind` finished after `since` (the time this sync was queued).
async fn finished_since(
    ctx: &Ctx,
    firm_id: i64,
    kind: Kind,
    since: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(sync_job::Entity::find()
        .filter(sync_job::Column::FirmId.eq(firm_id))
        .filter(sync_job::Column::Kind.eq(kind))
        .filter(sync_job::Column::Status.eq(Status::Done))
        .filter(sync_job::Column::CreatedAt.gte(since))
        .one(ctx.db.write())
        .await?
        .is_some())
}

/// The unfinished run of `kind` (a run cut short resumes), or a new one.
async fn open_run(
    ctx: &Ctx,
    firm_id: i64,
    kind: Kind,
    started_by: Option<i64>,
) -> Result<sync_job::Model, DbErr> {
    if let Some(row) = sync_job::Entity::find()
        .filter(sync_job::Column::FirmId.eq(firm_id))
        .filter(sync_job::Column::Kind.eq(kind))
        .filter(sync_job::Column::Status.is_in([Status::Queued, Status::Running]))
        .order_by_desc(sync_job::Column::Id)
        .one(ctx.db.write())
        .await?
    {
        return Ok(row);
    }
    let now = ctx.now();
    sync_job::ActiveModel {
        firm_id: Set(firm_id),
        kind: Set(kind),
        status: Set(Status::Running),
        next_cursor: Set(None),
        total: Set(0),
        done: Set(0),
        started_by: Set(started_by),
        started_at: Set(Some(now)),
        finished_at: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        state: Set(None),
        errors: Set(0),
        api_calls: Set(0),
        ..Default::default()
    }
    .insert(ctx.db.write())
    .await
}

/// One kind's run: the row, the app and the counters calls update from concurrent tasks.
struct Run {
    ctx: Ctx,
    app: AppHandle,
    row: sync_job::Model,
    calls: Arc<AtomicI64>,
    errors: Arc<AtomicI64>,
}

/// Where a contacts run is: the follow users (sorted), the batch of ≤ 100 of them and the cursor.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ContactsState {
    users: Vec<String>,
    batch: usize,
    cursor: Option<String>,
    counted: bool,
}

/// Where a groups run is: the `groupchat/list` cursor of the current page and how many of its
/// chats are applied.
#[derive(Debug, Default, Serialize, Deserialize)]
struct GroupsState {
    cursor: Option<String>,
    page_done: usize,
    counted: bool,
}

/// Where a members run is: the follow users (sorted) and how many are applied.
#[derive(Debug, Default, Serialize, Deserialize)]
struct MembersState {
    /// The follow users first, then members we knew that are no longer follow users.
    users: Vec<String>,
    follow_users: usize,
    next: usize,
    listed: bool,
}

fn is_transient(e: &TokenError) -> bool {
    match e.wecom() {
        Some(w) => {
            matches!(w.errcode(), Some(-1 | 45009 | 45033))
                || matches!(w, crate::wecom::errors::WecomError::Http { .. })
        }
        None => true,
    }
}

fn ts(secs: i64) -> Option<DateTime<Utc>> {
    (secs > 0)
        .then(|| DateTime::from_timestamp(secs, 0))
        .flatten()
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Run {
    fn new(ctx: Ctx, app: AppHandle, row: sync_job::Model) -> Self {
        Self {
            calls: Arc::new(AtomicI64::new(i64::from(row.api_calls))),
            errors: Arc::new(AtomicI64::new(i64::from(row.errors))),
            ctx,
            app,
            row,
        }
    }

    fn state<T: Default + for<'de> Deserialize<'de>>(&self) -> T {
        self.row
            .state
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    /// One WeCom call, retried with backoff while WeCom throttles or is busy.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, TokenError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, TokenError>>,
    {
        call_with_backoff(&self.calls, &self.errors, f).await
    }

    /// Saves progress (and the state) inside `txn`.
    async fn save<S: Serialize>(
        &mut self,
        txn: &DatabaseTransaction,
        state: &S,
        done: i32,
        total: i32,
    ) -> Result<(), DbErr> {
        let mut row = self.row.clone().into_active_model();
        row.state = Set(serde_json::to_string(state).ok());
        row.done = Set(done);
        row.total = Set(total);
        row.status = Set(Status::Running);
        row.api_calls = Set(clamp(self.calls.load(Ordering::Relaxed)));
        row.errors = Set(clamp(self.errors.load(Ordering::Relaxed)));
        row.updated_at = Set(self.ctx.now());
        self.row = row.update(txn).await?;
        Ok(())
    }

    async fn save_alone<S: Serialize>(
        &mut self,
        state: &S,
        done: i32,
        total: i32,
    ) -> Result<(), DbErr> {
        let txn = self.ctx.db.begin_write().await?;
        self.save(&txn, state, done, total).await?;
        txn.commit().await
    }

    /// Marks the run done in `txn` and drops its scratch rows.
    async fn finish(&mut self, txn: &DatabaseTransaction, done: i32) -> Result<(), DbErr> {
        wecom_sync_seen::Entity::delete_many()
            .filter(wecom_sync_seen::Column::SyncJobId.eq(self.row.id))
            .exec(txn)
            .await?;
        let now = self.ctx.now();
        let mut row = self.row.clone().into_active_model();
        row.status = Set(Status::Done);
        row.done = Set(done);
        row.total = Set(done);
        row.finished_at = Set(Some(now));
        row.updated_at = Set(now);
        row.last_error = Set(None);
        row.api_calls = Set(clamp(self.calls.load(Ordering::Relaxed)));
        row.errors = Set(clamp(self.errors.load(Ordering::Relaxed)));
        self.row = row.update(txn).await?;
        Ok(())
    }

    async fn record_error(&mut self, message: &str, last: bool) -> Result<(), DbErr> {
        let mut row = self.row.clone().into_active_model();
        row.last_error = Set(Some(message.chars().take(2000).collect()));
        row.errors = Set(clamp(self.errors.load(Ordering::Relaxed) + 1));
        row.api_calls = Set(clamp(self.calls.load(Ordering::Relaxed)));
        if last {
            row.status = Set(Status::Failed);
            row.finished_at = Set(Some(self.ctx.now()));
        }
        row.updated_at = Set(self.ctx.now());
        self.row = row.update(self.ctx.db.write()).await?;
        Ok(())
    }

    async fn seen(
        &self,
        txn: &DatabaseTransaction,
        kind: &str,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<(), DbErr> {
        let rows: Vec<wecom_sync_seen::ActiveModel> = ids
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|id| wecom_sync_seen::ActiveModel {
                sync_job_id: Set(self.row.id),
                kind: Set(kind.to_string()),
                object_id: Set(id),
            })
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        wecom_sync_seen::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                wecom_sync_seen::Column::SyncJobId,
                wecom_sync_seen::Column::Kind,
                wecom_sync_seen::Column::ObjectId,
            ])
            .exec_without_returning(txn)
            .await?;
        Ok(())
    }

    /// Marks rows of `table` not seen by this run gone: `SET {set}` where `{live}` holds.
    async fn mark_unseen(
        &self,
        txn: &DatabaseTransaction,
        table: &str,
        set: &str,
        live: &str,
        kind: &str,
    ) -> Result<u64, DbErr> {
        let now = self.ctx.now();
        let sql = format!(
            "UPDATE {table} SET {set} = ?, updated_at = ? WHERE firm_id = ? AND {live} \
             AND id NOT IN (SELECT object_id FROM wecom_sync_seen WHERE sync_job_id = ? AND kind = ?)"
        );
        let values: Vec<Value> = vec![
            now.into(),
            now.into(),
            self.row.firm_id.into(),
            self.row.id.into(),
            kind.into(),
        ];
        Ok(txn
            .execute_raw(statement(txn.get_database_backend(), &sql, values))
            .await?
            .rows_affected())
    }

    // -----------------------------------------------------------------------------------------
    // Tags
    // -----------------------------------------------------------------------------------------

    async fn tags(&mut self) -> anyhow::Result<()> {
        let ctx = self.ctx.clone();
        let app = self.app.clone();
        let groups = self
            .call(|| ctx.wecom.get_corp_tag_list(&app, &[], &[]))
            .await
            .context("get_corp_tag_list")?;
        let txn = self.ctx.db.begin_write().await?;
        let done = apply_tag_groups(&txn, self.row.firm_id, &groups, self.ctx.now()).await?;
        self.finish(&txn, done).await?;
        txn.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Members
    // -----------------------------------------------------------------------------------------

    async fn members(&mut self) -> anyhow::Result<()> {
        let mut state: MembersState = self.state();
        if !state.listed {
            let ctx = self.ctx.clone();
            let app = self.app.clone();
            let mut users = self
                .call(|| ctx.wecom.get_follow_user_list(&app))
                .await
                .context("get_follow_user_list")?;
            users.sort();
            users.dedup();
            // Members we know that are no longer follow users: ask WeCom whether they are gone.
            let known: Vec<String> = wecom_member::Entity::find()
                .filter(wecom_member::Column::FirmId.eq(self.row.firm_id))
                .filter(wecom_member::Column::Status.ne(5))
                .all(self.ctx.db.read())
                .await?
                .into_iter()
                .map(|m| m.userid)
                .filter(|u| users.binary_search(u).is_err())
                .collect();
            state.follow_users = users.len();
            state.users = users;
            state.users.extend(known);
            state.listed = true;
            let total = clamp(state.users.len() as i64);
            self.save_alone(&state, 0, total).await?;
        }
        let total = clamp(state.users.len() as i64);
        while state.next < state.users.len() {
            let end = (state.next + 50).min(state.users.len());
            let chunk: Vec<(usize, String)> = (state.next..end)
                .map(|i| (i, state.users[i].clone()))
                .collect();
            let fetched: Vec<(usize, String, Result<User, TokenError>)> = stream::iter(chunk)
                .map(|(i, userid)| {
                    let ctx = self.ctx.clone();
                    let app = self.app.clone();
                    let calls = self.calls.clone();
                    let errors = self.errors.clone();
                    async move {
                        let r = call_with_backoff(&calls, &errors, || {
                            ctx.wecom.get_user(&app, &userid)
                        })
                        .await;
                        (i, userid, r)
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let txn = self.ctx.db.begin_write().await?;
            for (i, userid, result) in fetched {
                match result {
                    Ok(user) => {
                        let is_follow = i < state.follow_users;
                        apply_member(&txn, self.row.firm_id, &user, is_follow, self.ctx.now())
                            .await?;
                    }
                    Err(e) if e.wecom().and_then(|w| w.errcode()) == Some(60111) => {
                        mark_member_gone(&txn, self.row.firm_id, &userid, self.ctx.now()).await?;
                    }
                    Err(e) => {
                        return Err(anyhow::Error::new(e).context(format!("user/get {userid}")));
                    }
                }
            }
            state.next = end;
            self.save(&txn, &state, clamp(end as i64), total).await?;
            txn.commit().await?;
        }
        let txn = self.ctx.db.begin_write().await?;
        self.finish(&txn, total).await?;
        txn.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // External contacts
    // -----------------------------------------------------------------------------------------

    async fn contacts(&mut self) -> anyhow::Result<()> {
        let mut state: ContactsState = self.state();
        let mut total = self.row.total;
        let mut done = self.row.done;
        if !state.counted {
            let ctx = self.ctx.clone();
            let app = self.app.clone();
            let mut users = self
                .call(|| ctx.wecom.get_follow_user_list(&app))
                .await
                .context("get_follow_user_list")?;
            users.sort();
            users.dedup();
            // The total: every member's customers (one `externalcontact/list` each).
            let counts: Vec<Result<usize, TokenError>> = stream::iter(users.clone())
                .map(|userid| {
                    let ctx = self.ctx.clone();
                    let app = self.app.clone();
                    let calls = self.calls.clone();
                    let errors = self.errors.clone();
                    async move {
                        call_with_backoff(&calls, &errors, || {
                            ctx.wecom.list_external_contacts(&app, &userid)
                        })
                        .await
                        .map(|ids| ids.len())
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            let mut sum = 0usize;
            for c in counts {
                sum += c.context("externalcontact/list")?;
            }
            state = ContactsState {
                users,
                batch: 0,
                cursor: None,
                counted: true,
            };
            total = clamp(sum as i64);
            done = 0;
            self.save_alone(&state, done, total).await?;
        }
        while state.batch * BATCH_GET_MAX_USERS < state.users.len() {
            let start = state.batch * BATCH_GET_MAX_USERS;
            let end = (start + BATCH_GET_MAX_USERS).min(state.users.len());
            let chunk: Vec<String> = state.users[start..end].to_vec();
            let ctx = self.ctx.clone();
            let app = self.app.clone();
            let cursor = state.cursor.clone();
            let page = self
                .call(|| {
                    ctx.wecom.batch_get_external_contacts(
                        &app,
                        &chunk,
                        cursor.as_deref(),
                        BATCH_GET_MAX_LIMIT,
                    )
                })
                .await
                .context("batch/get_by_user")?;
            let txn = self.ctx.db.begin_write().await?;
            let (contact_ids, follow_ids) = apply_contact_page(
                &txn,
                self.row.firm_id,
                &page.external_contact_list,
                self.ctx.now(),
            )
            .await?;
            self.seen(&txn, "contact", contact_ids).await?;
            self.seen(&txn, "follow", follow_ids).await?;
            done = done.saturating_add(clamp(page.external_contact_list.len() as i64));
            match page.next_cursor {
                Some(next) => state.cursor = Some(next),
                None => {
                    state.cursor = None;
                    state.batch += 1;
                }
            }
            self.save(&txn, &state, done, total.max(done)).await?;
            txn.commit().await?;
        }
        let txn = self.ctx.db.begin_write().await?;
        self.mark_unseen(
            &txn,
            "external_follow",
            "deleted_at",
            "deleted_at IS NULL",
            "follow",
        )
        .await?;
        self.mark_unseen(
            &txn,
            "wecom_external_contact",
            "deleted_at",
            "deleted_at IS NULL",
            "contact",
        )
        .await?;
        self.finish(&txn, done).await?;
        txn.commit().await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Customer groups
    // -----------------------------------------------------------------------------------------

    async fn groups(&mut self) -> anyhow::Result<()> {
        let mut state: GroupsState = self.state();
        let mut total = self.row.total;
        let mut done = self.row.done;
        if !state.counted {
            let mut cursor: Option<String> = None;
            let mut count = 0usize;
            loop {
                let ctx = self.ctx.clone();
                let app = self.app.clone();
                let request = GroupChatListRequest {
                    cursor: cursor.clone(),
                    ..Default::default()
                };
                let page = self
                    .call(|| ctx.wecom.list_group_chats(&app, &request))
                    .await
                    .context("groupchat/list")?;
                count += page.group_chat_list.len();
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            state = GroupsState {
                cursor: None,
                page_done: 0,
                counted: true,
            };
            total = clamp(count as i64);
            done = 0;
            self.save_alone(&state, done, total).await?;
        }
        loop {
            let ctx = self.ctx.clone();
            let app = self.app.clone();
            let request = GroupChatListRequest {
                cursor: state.cursor.clone(),
                ..Default::default()
            };
            let page = self
                .call(|| ctx.wecom.list_group_chats(&app, &request))
                .await
                .context("groupchat/list")?;
            let ids: Vec<String> = page
                .group_chat_list
                .iter()
                .map(|g| g.chat_id.clone())
                .collect();
            let statuses: HashMap<String, i32> = page
                .group_chat_list
                .iter()
                .map(|g| (g.chat_id.clone(), g.status))
                .collect();
            while state.page_done < ids.len() {
                let end = (state.page_done + GROUP_CHUNK).min(ids.len());
                let chunk = ids[state.page_done..end].to_vec();
                let fetched: Vec<(String, Result<GroupChat, TokenError>)> = stream::iter(chunk)
                    .map(|chat_id| {
                        let ctx = self.ctx.clone();
                        let app = self.app.clone();
                        let calls = self.calls.clone();
                        let errors = self.errors.clone();
                        async move {
                            let r = call_with_backoff(&calls, &errors, || {
                                ctx.wecom.get_group_chat(&app, &chat_id, true)
                            })
                            .await;
                            (chat_id, r)
                        }
                    })
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await;
                let txn = self.ctx.db.begin_write().await?;
                let mut seen = Vec::new();
                for (chat_id, result) in fetched {
                    match result {
                        Ok(chat) => {
                            let status = statuses.get(&chat_id).copied().unwrap_or(0);
                            let id = apply_group_chat(
                                &txn,
                                self.row.firm_id,
                                &chat,
                                status,
                                self.ctx.now(),
                            )
                            .await?;
                            seen.push(id);
                        }
                        // Dismissed between list and get: the end of the run marks it.
                        Err(e) if e.wecom().and_then(|w| w.errcode()) == Some(90501) => {}
                        Err(e) => {
                            return Err(
                                anyhow::Error::new(e).context(format!("groupchat/get {chat_id}"))
                            );
                        }
                    }
                }
                self.seen(&txn, "group", seen).await?;
                done = done.saturating_add(clamp((end - state.page_done) as i64));
                state.page_done = end;
                self.save(&txn, &state, done, total.max(done)).await?;
                txn.commit().await?;
            }
            match page.next_cursor {
                Some(next) => {
                    state.cursor = Some(next);
                    state.page_done = 0;
                    self.save_alone(&state, done, total.max(done)).await?;
                }
                None => break,
            }
        }
        let txn = self.ctx.db.begin_write().await?;
        self.mark_unseen(
            &txn,
            "wecom_group_chat",
            "dismissed_at",
            "dismissed_at IS NULL",
            "group",
        )
        .await?;
        self.finish(&txn, done).await?;
        txn.commit().await?;
        Ok(())
    }
}

fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn call_with_backoff<T, F, Fut>(
    calls: &AtomicI64,
    errors: &AtomicI64,
    f: F,
) -> Result<T, TokenError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, TokenError>>,
{
    let mut attempt = 0u32;
    loop {
        calls.fetch_add(1, Ordering::Relaxed);
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if is_transient(&e) && attempt < MAX_RETRIES => {
                errors.fetch_add(1, Ordering::Relaxed);
                let delay = BACKOFF_BASE
                    .saturating_mul(1u32 << attempt.min(10))
                    .min(BACKOFF_MAX);
                tracing::warn!(error = %e, ?delay, "WeCom throttled or failed a sync call; retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Applying WeCom's answers (shared with event processing): compare, then write what changed.
// ---------------------------------------------------------------------------------------------

/// Members: `user/get` → `wecom_member`.
pub async fn apply_member<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    user: &User,
    is_follow_user: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let existing = wecom_member::Entity::find()
        .filter(wecom_member::Column::FirmId.eq(firm_id))
        .filter(wecom_member::Column::Userid.eq(user.userid.as_str()))
        .one(conn)
        .await?;
    let departments = serde_json::json!(user.department);
    let alias = non_empty(user.alias.as_deref());
    let position = non_empty(user.position.as_deref());
    let status = user.status.map_or(1, |s| s as i32);
    let name = if user.name.is_empty() {
        user.userid.clone()
    } else {
        user.name.clone()
    };
    match existing {
        Some(m) => {
            if m.name == name
                && m.alias == alias
                && m.position == position
                && m.department_ids.as_ref() == Some(&departments)
                && m.status == status
                && m.is_follow_user == is_follow_user
            {
                return Ok(());
            }
            let mut a = m.into_active_model();
            a.name = Set(name);
            a.alias = Set(alias);
            a.position = Set(position);
            a.department_ids = Set(Some(departments));
            a.status = Set(status);
            a.is_follow_user = Set(is_follow_user);
            a.synced_at = Set(Some(now));
            a.updated_at = Set(now);
            a.update(conn).await?;
        }
        None => {
            wecom_member::ActiveModel {
                firm_id: Set(firm_id),
                userid: Set(user.userid.clone()),
                name: Set(name),
                alias: Set(alias),
                position: Set(position),
                department_ids: Set(Some(departments)),
                avatar: Set(None),
                status: Set(status),
                is_follow_user: Set(is_follow_user),
                synced_at: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// A member WeCom no longer knows (60111): status 5 (left), no longer a follow user.
pub async fn mark_member_gone<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    userid: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sql = "UPDATE wecom_member SET status = 5, is_follow_user = ?, updated_at = ? \
               WHERE firm_id = ? AND userid = ? AND (status <> 5 OR is_follow_user = ?)";
    conn.execute_raw(statement(
        conn.get_database_backend(),
        sql,
        vec![
            false.into(),
            now.into(),
            firm_id.into(),
            userid.into(),
            true.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The contact's own fields as we store them.
fn contact_fields(c: &ExternalContact) -> (String, i32, i32, [Option<String>; 5]) {
    (
        c.name.clone(),
        c.contact_type,
        c.gender,
        [
            non_empty(c.corp_name.as_deref()),
            non_empty(c.corp_full_name.as_deref()),
            non_empty(c.unionid.as_deref()),
            non_empty(c.avatar.as_deref()),
            non_empty(c.position.as_deref()),
        ],
    )
}

/// Writes the contact when it is new, changed or was gone; returns its id.
pub async fn apply_contact<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    c: &ExternalContact,
    existing: Option<wecom_external_contact::Model>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let (name, contact_type, gender, [corp_name, corp_full_name, unionid, avatar, position]) =
        contact_fields(c);
    match existing {
        Some(m) => {
            if m.name == name
                && m.contact_type == contact_type
                && m.gender == gender
                && m.corp_name == corp_name
                && m.corp_full_name == corp_full_name
                && m.unionid == unionid
                && m.avatar == avatar
                && m.position == position
                && m.deleted_at.is_none()
            {
                return Ok(m.id);
            }
            let id = m.id;
            let mut a = m.into_active_model();
            a.name = Set(name);
            a.contact_type = Set(contact_type);
            a.gender = Set(gender);
            a.corp_name = Set(corp_name);
            a.corp_full_name = Set(corp_full_name);
            a.unionid = Set(unionid);
            a.avatar = Set(avatar);
            a.position = Set(position);
            a.deleted_at = Set(None);
            a.synced_at = Set(Some(now));
            a.updated_at = Set(now);
            a.update(conn).await?;
            Ok(id)
        }
        None => Ok(wecom_external_contact::ActiveModel {
            firm_id: Set(firm_id),
            external_userid: Set(c.external_userid.clone()),
            name: Set(name),
            contact_type: Set(contact_type),
            gender: Set(gender),
            corp_name: Set(corp_name),
            corp_full_name: Set(corp_full_name),
            unionid: Set(unionid),
            avatar: Set(avatar),
            position: Set(position),
            synced_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?
        .id),
    }
}

/// The tag ids of a follow relation: `tag_id` (batch) or `tags[].tag_id` (get), sorted.
fn follow_tag_ids(f: &FollowUser) -> serde_json::Value {
    let mut ids: Vec<String> = if f.tag_id.is_empty() {
        f.tags.iter().filter_map(|t| t.tag_id.clone()).collect()
    } else {
        f.tag_id.clone()
    };
    ids.sort();
    ids.dedup();
    serde_json::json!(ids)
}

/// Writes the follow relation when it is new, changed or was gone; returns its id.
pub async fn apply_follow<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    contact_id: i64,
    f: &FollowUser,
    existing: Option<external_follow::Model>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let remark = non_empty(Some(&f.remark));
    let description = non_empty(Some(&f.description));
    let remark_corp_name = non_empty(f.remark_corp_name.as_deref());
    let mobiles = serde_json::json!(f.remark_mobiles);
    let state = non_empty(f.state.as_deref());
    let add_time = ts(f.createtime);
    let tag_ids = follow_tag_ids(f);
    match existing {
        Some(m) => {
            let same_tags = m.tag_ids.as_ref().map(sorted_json) == Some(tag_ids.clone());
            let same_mobiles = m
                .remark_mobiles
                .as_ref()
                .map_or(f.remark_mobiles.is_empty(), |v| *v == mobiles);
            if m.remark == remark
                && m.description == description
                && m.remark_corp_name == remark_corp_name
                && same_mobiles
                && m.add_way == f.add_way
                && m.state == state
                && m.add_time == add_time
                && same_tags
                && m.deleted_at.is_none()
            {
                return Ok(m.id);
            }
            let id = m.id;
            let mut a = m.into_active_model();
            a.remark = Set(remark);
            a.description = Set(description);
            a.remark_corp_name = Set(remark_corp_name);
            a.remark_mobiles = Set(Some(mobiles));
            a.add_way = Set(f.add_way);
            a.state = Set(state);
            a.add_time = Set(add_time);
            a.tag_ids = Set(Some(tag_ids));
            a.deleted_at = Set(None);
            a.updated_at = Set(now);
            a.update(conn).await?;
            Ok(id)
        }
        None => Ok(external_follow::ActiveModel {
            firm_id: Set(firm_id),
            external_contact_id: Set(contact_id),
            userid: Set(f.userid.clone()),
            remark: Set(remark),
            description: Set(description),
            remark_corp_name: Set(remark_corp_name),
            remark_mobiles: Set(Some(mobiles)),
            add_way: Set(f.add_way),
            state: Set(state),
            add_time: Set(add_time),
            tag_ids: Set(Some(tag_ids)),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?
        .id),
    }
}

fn sorted_json(v: &serde_json::Value) -> serde_json::Value {
    let mut ids: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    serde_json::json!(ids)
}

/// One `batch/get_by_user` page: contacts and follow relations, compared with ours in two
/// queries. Returns the ids of the contacts and follow relations seen.
async fn apply_contact_page(
    txn: &DatabaseTransaction,
    firm_id: i64,
    items: &[BatchExternalContactItem],
    now: DateTime<Utc>,
) -> Result<(Vec<i64>, Vec<i64>), DbErr> {
    let external_ids: BTreeSet<&str> = items
        .iter()
        .map(|i| i.external_contact.external_userid.as_str())
        .collect();
    let mut contacts: HashMap<String, wecom_external_contact::Model> =
        wecom_external_contact::Entity::find()
            .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
            .filter(wecom_external_contact::Column::ExternalUserid.is_in(external_ids))
            .all(txn)
            .await?
            .into_iter()
            .map(|c| (c.external_userid.clone(), c))
            .collect();
    let mut ids: HashMap<String, i64> = HashMap::new();
    for item in items {
        let c = &item.external_contact;
        if ids.contains_key(&c.external_userid) {
            continue;
        }
        let existing = contacts.remove(&c.external_userid);
        let id = apply_contact(txn, firm_id, c, existing, now).await?;
        ids.insert(c.external_userid.clone(), id);
    }
    let mut follows: HashMap<(i64, String), external_follow::Model> =
        external_follow::Entity::find()
            .filter(external_follow::Column::FirmId.eq(firm_id))
            .filter(external_follow::Column::ExternalContactId.is_in(ids.values().copied()))
            .all(txn)
            .await?
            .into_iter()
            .map(|f| ((f.external_contact_id, f.userid.clone()), f))
            .collect();
    let mut follow_ids = Vec::new();
    for item in items {
        let Some(&contact_id) = ids.get(&item.external_contact.external_userid) else {
            continue;
        };
        let f = &item.follow_info;
        let existing = follows.remove(&(contact_id, f.userid.clone()));
        follow_ids.push(apply_follow(txn, firm_id, contact_id, f, existing, now).await?);
    }
    Ok((ids.into_values().collect(), follow_ids))
}

/// A group and its members; members no longer listed get `left_at`. Returns the group's id.
pub async fn apply_group_chat<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    chat: &GroupChat,
    status: i32,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let existing = wecom_group_chat::Entity::find()
        .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
        .filter(wecom_group_chat::Column::ChatId.eq(chat.chat_id.as_str()))
        .one(conn)
        .await?;
    let owner = non_empty(Some(&chat.owner));
    let notice = non_empty(chat.notice.as_deref());
    let count = clamp(chat.member_list.len() as i64);
    let create_time = ts(chat.create_time);
    let group_id = match existing {
        Some(g) => {
            let id = g.id;
            if !(g.name == chat.name
                && g.owner_userid == owner
                && g.notice == notice
                && g.member_count == count
                && g.create_time == create_time
                && g.status == status
                && g.dismissed_at.is_none())
            {
                let mut a = g.into_active_model();
                a.name = Set(chat.name.clone());
                a.owner_userid = Set(owner);
                a.notice = Set(notice);
                a.member_count = Set(count);
                a.create_time = Set(create_time);
                a.status = Set(status);
                a.dismissed_at = Set(None);
                a.synced_at = Set(Some(now));
                a.updated_at = Set(now);
                a.update(conn).await?;
            }
            id
        }
        None => {
            wecom_group_chat::ActiveModel {
                firm_id: Set(firm_id),
                chat_id: Set(chat.chat_id.clone()),
                name: Set(chat.name.clone()),
                owner_userid: Set(owner),
                notice: Set(notice),
                member_count: Set(count),
                create_time: Set(create_time),
                status: Set(status),
                dismissed_at: Set(None),
                synced_at: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(conn)
            .await?
            .id
        }
    };
    let mut members: HashMap<String, group_chat_member::Model> = group_chat_member::Entity::find()
        .filter(group_chat_member::Column::FirmId.eq(firm_id))
        .filter(group_chat_member::Column::GroupChatId.eq(group_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.member_id.clone(), m))
        .collect();
    for m in &chat.member_list {
        let unionid = non_empty(m.unionid.as_deref());
        let name = non_empty(m.name.as_deref());
        let nickname = non_empty(m.group_nickname.as_deref());
        let join_time = ts(m.join_time);
        let invitor = m.invitor.as_ref().and_then(|i| non_empty(Some(&i.userid)));
        match members.remove(&m.userid) {
            Some(e) => {
                if e.member_type == m.member_type
                    && e.unionid == unionid
                    && e.name == name
                    && e.group_nickname == nickname
                    && e.join_time == join_time
                    && e.join_scene == Some(m.join_scene)
                    && e.invitor_userid == invitor
                    && e.left_at.is_none()
                {
                    continue;
                }
                let mut a = e.into_active_model();
                a.member_type = Set(m.member_type);
                a.unionid = Set(unionid);
                a.name = Set(name);
                a.group_nickname = Set(nickname);
                a.join_time = Set(join_time);
                a.join_scene = Set(Some(m.join_scene));
                a.invitor_userid = Set(invitor);
                a.left_at = Set(None);
                a.updated_at = Set(now);
                a.update(conn).await?;
            }
            None => {
                group_chat_member::ActiveModel {
                    firm_id: Set(firm_id),
                    group_chat_id: Set(group_id),
                    member_id: Set(m.userid.clone()),
                    member_type: Set(m.member_type),
                    unionid: Set(unionid),
                    name: Set(name),
                    group_nickname: Set(nickname),
                    join_time: Set(join_time),
                    join_scene: Set(Some(m.join_scene)),
                    invitor_userid: Set(invitor),
                    left_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(conn)
                .await?;
            }
        }
    }
    for (_, gone) in members {
        if gone.left_at.is_none() {
            let mut a = gone.into_active_model();
            a.left_at = Set(Some(now));
            a.updated_at = Set(now);
            a.update(conn).await?;
        }
    }
    Ok(group_id)
}

/// Corp tag groups and tags (`get_corp_tag_list` answers all of them): new ones inserted (a
/// local group or tag of the same name is adopted), changed ones updated, ones WeCom no longer
/// has marked deleted. Returns how many tags WeCom has.
pub async fn apply_tag_groups<C: ConnectionTrait>(
    conn: &C,
    firm_id: i64,
    groups: &[TagGroup],
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let ours_groups = tag_group::Entity::find()
        .filter(tag_group::Column::FirmId.eq(firm_id))
        .all(conn)
        .await?;
    let ours_tags = tag::Entity::find()
        .filter(tag::Column::FirmId.eq(firm_id))
        .all(conn)
        .await?;
    let mut seen_groups = BTreeSet::new();
    let mut seen_tags = BTreeSet::new();
    let mut count = 0i32;
    for g in groups.iter().filter(|g| !g.deleted) {
        let sort = clamp(g.order);
        let found = ours_groups
            .iter()
            .find(|o| o.wecom_group_id.as_deref() == Some(g.group_id.as_str()))
            .or_else(|| {
                ours_groups.iter().find(|o| {
                    o.wecom_group_id.is_none() && o.deleted_at.is_none() && o.name == g.group_name
                })
            });
        let group_id = match found {
            Some(o) => {
                if !(o.name == g.group_name
                    && o.wecom_group_id.as_deref() == Some(g.group_id.as_str())
                    && o.sort == sort
                    && o.deleted_at.is_none())
                {
                    let mut a = o.clone().into_active_model();
                    a.name = Set(g.group_name.clone());
                    a.wecom_group_id = Set(Some(g.group_id.clone()));
                    a.sort = Set(sort);
                    a.deleted_at = Set(None);
                    a.updated_at = Set(now);
                    a.update(conn).await?;
                }
                o.id
            }
            None => {
                tag_group::ActiveModel {
                    firm_id: Set(firm_id),
                    name: Set(g.group_name.clone()),
                    wecom_group_id: Set(Some(g.group_id.clone())),
                    sort: Set(sort),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    ..Default::default()
                }
                .insert(conn)
                .await?
                .id
            }
        };
        seen_groups.insert(group_id);
        for t in g.tag.iter().filter(|t| !t.deleted) {
            count += 1;
            let sort = clamp(t.order);
            let found = ours_tags
                .iter()
                .find(|o| o.wecom_tag_id.as_deref() == Some(t.id.as_str()))
                .or_else(|| {
                    ours_tags.iter().find(|o| {
                        o.wecom_tag_id.is_none()
                            && o.deleted_at.is_none()
                            && o.group_id == group_id
                            && o.name == t.name
                    })
                });
            let tag_id = match found {
                Some(o) => {
                    if !(o.name == t.name
                        && o.group_id == group_id
                        && o.wecom_tag_id.as_deref() == Some(t.id.as_str())
                        && o.sort == sort
                        && o.deleted_at.is_none())
                    {
                        let mut a = o.clone().into_active_model();
                        a.name = Set(t.name.clone());
                        a.group_id = Set(group_id);
                        a.wecom_tag_id = Set(Some(t.id.clone()));
                        a.sort = Set(sort);
                        a.deleted_at = Set(None);
                        a.updated_at = Set(now);
                        a.update(conn).await?;
                    }
                    o.id
                }
                None => {
                    tag::ActiveModel {
                        firm_id: Set(firm_id),
                        group_id: Set(group_id),
                        name: Set(t.name.clone()),
                        wecom_tag_id: Set(Some(t.id.clone())),
                        sort: Set(sort),
                        created_at: Set(now),
                        updated_at: Set(now),
                        deleted_at: Set(None),
                        ..Default::default()
                    }
                    .insert(conn)
                    .await?
                    .id
                }
            };
            seen_tags.insert(tag_id);
        }
    }
    for o in ours_tags {
        if o.wecom_tag_id.is_some() && o.deleted_at.is_none() && !seen_tags.contains(&o.id) {
            let mut a = o.into_active_model();
            a.deleted_at = Set(Some(now));
            a.updated_at = Set(now);
            a.update(conn).await?;
        }
    }
    for o in ours_groups {
        if o.wecom_group_id.is_some() && o.deleted_at.is_none() && !seen_groups.contains(&o.id) {
            let mut a = o.into_active_model();
            a.deleted_at = Set(Some(now));
            a.updated_at = Set(now);
            a.update(conn).await?;
        }
    }
    Ok(count)
}

// ---------------------------------------------------------------------------------------------
// Progress, for the CLI and the back office
// ---------------------------------------------------------------------------------------------

/// One kind's latest run as people see it.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    pub kind: Kind,
    pub status: Status,
    pub done: i64,
    pub total: i64,
    pub errors: i64,
    pub api_calls: i64,
    /// Items a second since the run started.
    pub rate: f64,
    /// Seconds left at that rate, while running.
    pub seconds_left: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Progress {
    fn of(row: &sync_job::Model, now: DateTime<Utc>) -> Self {
        let end = row.finished_at.unwrap_or(now);
        let elapsed = row
            .started_at
            .map_or(0.0, |s| (end - s).num_milliseconds().max(1) as f64 / 1000.0);
        let rate = if elapsed > 0.0 {
            f64::from(row.done) / elapsed
        } else {
            0.0
        };
        let left = i64::from(row.total.saturating_sub(row.done).max(0));
        Self {
            kind: row.kind,
            status: row.status,
            done: row.done.into(),
            total: row.total.into(),
            errors: row.errors.into(),
            api_calls: row.api_calls.into(),
            rate,
            seconds_left: (row.status == Status::Running && rate > 0.0)
                .then(|| (left as f64 / rate).ceil() as i64),
            started_at: row.started_at,
            finished_at: row.finished_at,
            last_error: row.last_error.clone(),
        }
    }

    /// "contacts running 1200/20000 (6%), 310.5/s, 55 s left, 0 errors, 13 calls".
    pub fn line(&self) -> String {
        let pct = if self.total > 0 {
            self.done * 100 / self.total
        } else {
            100
        };
        let status = match self.status {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        };
        let mut s = format!(
            "{:?} {status} {}/{} ({pct}%), {:.1}/s",
            self.kind, self.done, self.total, self.rate
        )
        .to_lowercase();
        if let Some(left) = self.seconds_left {
            s.push_str(&format!(", {left} s left"));
        }
        s.push_str(&format!(
            ", {} errors, {} API calls",
            self.errors, self.api_calls
        ));
        if let Some(e) = &self.last_error {
            s.push_str(&format!(", last error: {e}"));
        }
        s
    }
}

/// The latest run of every kind for the firm.
pub async fn progress(ctx: &Ctx, firm_id: i64) -> Result<Vec<Progress>, DbErr> {
    let rows = sync_job::Entity::find()
        .filter(sync_job::Column::FirmId.eq(firm_id))
        .order_by_desc(sync_job::Column::Id)
        .all(ctx.db.read())
        .await?;
    let now = ctx.now();
    let mut out: Vec<Progress> = Vec::new();
    for row in &rows {
        if !out.iter().any(|p| p.kind == row.kind) {
            out.push(Progress::of(row, now));
        }
    }
    out.sort_by_key(|p| p.kind as u8);
    Ok(out)
}

/// The sync job of the firm that is queued or running, if any: (status, last error).
pub async fn live_job(ctx: &Ctx, firm_id: i64) -> Result<Option<(String, Option<String>)>, DbErr> {
    use crate::db::entities::background_job;
    Ok(background_job::Entity::find()
        .filter(background_job::Column::FirmId.eq(firm_id))
        .filter(background_job::Column::Kind.eq(JOB_KIND))
        .order_by_desc(background_job::Column::Id)
        .one(ctx.db.read())
        .await?
        .map(|j| (format!("{:?}", j.status).to_lowercase(), j.last_error)))
}

// ---------------------------------------------------------------------------------------------
// The back office's sync page
// ---------------------------------------------------------------------------------------------

/// What the sync page shows.
pub struct SyncOverview {
    pub progress: Vec<Progress>,
    /// Whether a sync is queued or running now.
    pub running: bool,
    pub events_waiting: u64,
    pub events_parked: u64,
    pub parked: Vec<crate::db::entities::callback_inbox::Model>,
}

/// The sync page's data (admins only).
pub async fn overview(
    ctx: &Ctx,
    me: &crate::services::sessions::CurrentEmployee,
) -> crate::error::AppResult<SyncOverview> {
    me.require_admin()?;
    let progress = progress(ctx, me.firm_id).await?;
    let running =
        matches!(live_job(ctx, me.firm_id).await?, Some((s, _)) if s == "queued" || s == "running");
    let (events_waiting, events_parked) =
        crate::services::wecom_events::inbox_counts(ctx, me.firm_id).await?;
    let parked = crate::services::wecom_events::parked(ctx, me.firm_id, 50).await?;
    Ok(SyncOverview {
        progress,
        running,
        events_waiting,
        events_parked,
        parked,
    })
}

/// An admin asks for a sync; false when one is already queued or running. Audited.
pub async fn request(
    ctx: &Ctx,
    me: &crate::services::sessions::CurrentEmployee,
    what: What,
    ip: Option<String>,
) -> crate::error::AppResult<bool> {
    use crate::services::audit::{self, Object, Who};
    me.require_admin()?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let queued = crate::worker::enqueue_on(
        &txn,
        now,
        NewJob::new(
            JOB_KIND,
            serde_json::to_value(Payload {
                what,
                started_by: Some(me.employee_id),
            })
            .unwrap_or_default(),
        )
        .for_firm(me.firm_id)
        .unique_key(me.firm_id.to_string())
        .max_attempts(20),
    )
    .await?;
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "wecom.sync_requested",
        Object {
            entity: "background_job",
            id: queued,
        },
        None,
        Some(serde_json::json!({ "what": what, "queued": queued.is_some() })),
    )
    .await?;
    txn.commit().await?;
    Ok(queued.is_some())
}

/// An admin queues a parked event of their firm again (404 for another firm's or no such event).
pub async fn retry_event(
    ctx: &Ctx,
    me: &crate::services::sessions::CurrentEmployee,
    event_id: i64,
    ip: Option<String>,
) -> crate::error::AppResult<()> {
    use crate::services::audit::{self, Object, Who};
    me.require_admin()?;
    if !crate::services::wecom_events::retry_parked(ctx, me.firm_id, event_id, ctx.now()).await? {
        return Err(crate::error::AppError::NotFound(
            "没有这条待重试的事件".into(),
        ));
    }
    audit::record(
        ctx,
        &Who::employee(me, ip),
        "wecom.event_retried",
        Object::new("callback_inbox", event_id),
        Some(serde_json::json!({ "status": "failed" })),
        Some(serde_json::json!({ "status": "pending" })),
    )
    .await
}

/// The back-office home's WeCom block: the last completed full sync and the event backlog.
pub struct HomeStatus {
    pub last_sync: Option<DateTime<Utc>>,
    pub running: bool,
    pub events_waiting: u64,
    pub events_parked: u64,
}

impl HomeStatus {
    /// The last sync in Beijing time, `YYYY-MM-DD HH:MM`.
    pub fn last_sync_local(&self) -> Option<String> {
        self.last_sync.map(|t| {
            crate::domain::clock::to_local(t)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
    }
}

/// For admins; `None` for staff.
pub async fn home_status(
    ctx: &Ctx,
    me: &crate::services::sessions::CurrentEmployee,
) -> Result<Option<HomeStatus>, DbErr> {
    if !me.is_admin() {
        return Ok(None);
    }
    let last_sync = sync_job::Entity::find()
        .filter(sync_job::Column::FirmId.eq(me.firm_id))
        .filter(sync_job::Column::Status.eq(Status::Done))
        .order_by_desc(sync_job::Column::FinishedAt)
        .one(ctx.db.read())
        .await?
        .and_then(|r| r.finished_at);
    let running =
        matches!(live_job(ctx, me.firm_id).await?, Some((s, _)) if s == "queued" || s == "running");
    let (events_waiting, events_parked) =
        crate::services::wecom_events::inbox_counts(ctx, me.firm_id).await?;
    Ok(Some(HomeStatus {
        last_sync,
        running,
        events_waiting,
        events_parked,
    }))
}
