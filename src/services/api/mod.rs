//! The REST API's use cases (`/api/v1`): list, get, upsert, replace, delete and batch for every
//! resource a firm's bookkeeping system keeps, written once over the [`ApiResource`] trait.
//!
//! Each resource says how its table is reached ([`Table`]), what a client sends (its `Input`) and
//! how that input becomes a row ([`ApiResource::build`]); everything else — firm scoping, upsert
//! by the firm's own `external_id`, writing only what changed, the audit record, all-or-nothing
//! batches with per-row errors — lives here.

pub mod changes;
pub mod resources;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, IntoActiveModel, ModelTrait, QueryFilter, QueryOrder,
    QuerySelect, Value,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::api_scopes::Resource;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::Ctx;
use crate::services::api_keys::ApiCaller;
use crate::services::audit::{self, Object, Who};

/// Rows a list answers at most, and by default.
pub const MAX_LIMIT: u64 = 500;
pub const DEFAULT_LIMIT: u64 = 100;
/// Rows a batch takes at most.
pub const MAX_BATCH: usize = 1_000;

/// How a table is reached generically: the columns every API table has, and the optional ones
/// filters use.
pub trait Table: EntityTrait {
    const ID: Self::Column;
    const FIRM_ID: Self::Column;
    const EXTERNAL_ID: Self::Column;
    const UPDATED_AT: Self::Column;
    /// The customer a row belongs to (all but customers and tags).
    const CUSTOMER_ID: Option<Self::Column>;
    /// Soft deletion; tables without it delete for good.
    const DELETED_AT: Option<Self::Column>;
    /// The period filter's column.
    const PERIOD: Option<Self::Column>;
}

/// One resource of the API.
#[async_trait]
pub trait ApiResource: Send + Sync + 'static {
    const RESOURCE: Resource;
    /// The path segment under `/api/v1`; the scope's name unless a scope covers several.
    const PATH: &'static str = Self::RESOURCE.name();
    /// What the rows are called in messages.
    const LABEL: &'static str = Self::RESOURCE.label();
    /// The table name, as the audit log and the changes feed name the object.
    const ENTITY: &'static str;
    /// Whether `DELETE /{resource}/{id}` is offered.
    const DELETABLE: bool = true;

    type Table: Table<Model = Self::Model>;
    type Model: ModelTrait<Entity = Self::Table>
        + IntoActiveModel<<Self::Table as EntityTrait>::ActiveModel>
        + Serialize
        + Clone
        + PartialEq
        + Send
        + Sync;
    type Input: DeserializeOwned + Serialize + Clone + Send + Sync;

    fn external_id(input: &Self::Input) -> Option<&str>;

    /// The row `input` asks for: `existing` updated (or a new row, id 0) with every field the
    /// input sets, defaults for what it leaves out. Refuses invalid input with
    /// [`AppError::Invalid`] and a write over what zhangfang owns with [`AppError::Owned`].
    async fn build(
        txn: &DatabaseTransaction,
        firm_id: i64,
        at: DateTime<Utc>,
        existing: Option<&Self::Model>,
        input: Self::Input,
    ) -> AppResult<Self::Model>;

    /// Writes what hangs off a row just saved, in the same transaction (a new payment's
    /// allocations to receivables).
    async fn after_save(
        _txn: &DatabaseTransaction,
        _firm_id: i64,
        _at: DateTime<Utc>,
        _row: &Self::Model,
        _outcome: Outcome,
        _input: &Self::Input,
    ) -> AppResult<()> {
        Ok(())
    }

    /// Refuses a delete that would lose what zhangfang owns (payments allocated, …).
    async fn check_delete(_txn: &DatabaseTransaction, _row: &Self::Model) -> AppResult<()> {
        Ok(())
    }
}

/// Filters every list takes; a filter a resource has no column for is refused.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Where the previous page ended (`next_cursor`); absent for the first page.
    pub cursor: Option<String>,
    /// Rows per page, 1–500 (default 100).
    pub limit: Option<u64>,
    /// Only rows changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// The firm's own id of one row.
    pub external_id: Option<String>,
    /// Rows of one customer (our id).
    pub customer_id: Option<i64>,
    /// Rows of one customer (the firm's own id).
    pub customer_external_id: Option<String>,
    /// Rows of one period, `YYYY-MM`.
    pub period: Option<String>,
    /// Also rows deleted (soft-deleted resources only); they carry `deleted_at`.
    pub include_deleted: Option<bool>,
}

/// One page of a list, in ascending id order (stable under concurrent writes).
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn col_i64<M: ModelTrait>(model: &M, col: <M::Entity as EntityTrait>::Column) -> i64 {
    match model.get(col) {
        Value::BigInt(Some(v)) => v,
        Value::Int(Some(v)) => i64::from(v),
        _ => 0,
    }
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid {
        message: "请求数据有误".to_string(),
        details: vec![FieldError::new(field, message)],
    }
}

pub fn require(caller: &ApiCaller, resource: Resource, write: bool) -> AppResult<()> {
    use crate::domain::api_scopes::Access;
    let access = if write { Access::Write } else { Access::Read };
    if caller.scopes.allows(resource, access) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "此 API 密钥没有 {}:{} 权限",
            resource.name(),
            if write { "write" } else { "read" }
        )))
    }
}

/// The customer id a filter or an input names, by our id or the firm's own, checked to be the
/// firm's. `field` names the input field for errors.
pub async fn customer_ref(
    conn: &impl sea_orm::ConnectionTrait,
    firm_id: i64,
    id: Option<i64>,
    external_id: Option<&str>,
    field: &str,
) -> AppResult<i64> {
    use crate::db::entities::customer;
    let mut query = customer::Entity::find().filter(customer::Column::FirmId.eq(firm_id));
    query = match (id, external_id) {
        (Some(id), _) => query.filter(customer::Column::Id.eq(id)),
        (None, Some(ext)) => query.filter(customer::Column::ExternalId.eq(ext)),
        (None, None) => {
            return Err(invalid(
                field,
                "缺少客户：customer_id 或 customer_external_id 必填其一",
            ));
        }
    };
    match query.one(conn).await? {
        Some(c) if c.deleted_at.is_none() => Ok(c.id),
        _ => Err(invalid(field, "客户不存在")),
    }
}

pub async fn list<R: ApiResource>(
    ctx: &Ctx,
    caller: &ApiCaller,
    q: &ListQuery,
) -> AppResult<Page<R::Model>> {
    require(caller, R::RESOURCE, false)?;
    let t = <R::Table as Table>::ID;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", format!("每页 1 至 {MAX_LIMIT} 条")));
    }
    let mut cond = Condition::all().add(<R::Table as Table>::FIRM_ID.eq(caller.firm_id));
    if let Some(cursor) = &q.cursor {
        let after: i64 = cursor
            .parse()
            .map_err(|_| invalid("cursor", "cursor 无效，请使用上一页返回的 next_cursor"))?;
        cond = cond.add(t.gt(after));
    }
    if let Some(since) = q.updated_since {
        cond = cond.add(<R::Table as Table>::UPDATED_AT.gte(since));
    }
    if let Some(ext) = &q.external_id {
        cond = cond.add(<R::Table as Table>::EXTERNAL_ID.eq(ext.as_str()));
    }
    if q.customer_id.is_some() || q.customer_external_id.is_some() {
        let Some(col) = <R::Table as Table>::CUSTOMER_ID else {
            return Err(invalid("customer_id", "此资源不按客户筛选"));
        };
        let customer = customer_ref(
            ctx.db.read(),
            caller.firm_id,
            q.customer_id,
            q.customer_external_id.as_deref(),
            "customer_id",
        )
        .await;
        match customer {
            Ok(id) => cond = cond.add(col.eq(id)),
            // An unknown customer has no rows; an empty page says so without a guess.
            Err(_) => {
                return Ok(Page {
                    data: Vec::new(),
                    next_cursor: None,
                });
            }
        }
    }
    if let Some(period) = &q.period {
        let Some(col) = <R::Table as Table>::PERIOD else {
            return Err(invalid("period", "此资源不按期间筛选"));
        };
        let p = crate::domain::period::Period::parse(period)
            .map_err(|_| invalid("period", "期间格式应为 YYYY-MM"))?;
        cond = cond.add(col.eq(p.to_string()));
    }
    match (
        <R::Table as Table>::DELETED_AT,
        q.include_deleted.unwrap_or(false),
    ) {
        (Some(col), false) => cond = cond.add(col.is_null()),
        (None, true) => {
            return Err(invalid(
                "include_deleted",
                "此资源删除即移除，没有已删除记录",
            ));
        }
        _ => {}
    }
    let mut rows = R::Table::find()
        .filter(cond)
        .order_by_asc(t)
        .limit(limit + 1)
        .all(ctx.db.read())
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|m| col_i64(m, t).to_string())
    } else {
        None
    };
    Ok(Page {
        data: rows,
        next_cursor,
    })
}

async fn find_by_id<R: ApiResource>(
    conn: &impl sea_orm::ConnectionTrait,
    firm_id: i64,
    id: i64,
) -> AppResult<R::Model> {
    let mut cond = Condition::all()
        .add(<R::Table as Table>::FIRM_ID.eq(firm_id))
        .add(<R::Table as Table>::ID.eq(id));
    if let Some(col) = <R::Table as Table>::DELETED_AT {
        cond = cond.add(col.is_null());
    }
    R::Table::find()
        .filter(cond)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} {id} 不存在", R::LABEL)))
}

pub async fn get<R: ApiResource>(ctx: &Ctx, caller: &ApiCaller, id: i64) -> AppResult<R::Model> {
    require(caller, R::RESOURCE, false)?;
    find_by_id::<R>(ctx.db.read(), caller.firm_id, id).await
}

/// What an upsert decided for a row, before writing it.
enum Planned<M> {
    Insert(M),
    Update { before: M, after: M },
    Unchanged(M),
}

/// Compares `desired` with `existing`: a new row, an update (keeping the id, a new
/// `updated_at`), or nothing to write.
fn plan<R: ApiResource>(
    at: DateTime<Utc>,
    existing: Option<R::Model>,
    mut desired: R::Model,
) -> Planned<R::Model> {
    let updated_at = <R::Table as Table>::UPDATED_AT;
    let id_col = <R::Table as Table>::ID;
    let Some(before) = existing else {
        return Planned::Insert(desired);
    };
    let mut probe = desired.clone();
    probe.set(updated_at, before.get(updated_at));
    if probe == before {
        return Planned::Unchanged(before);
    }
    desired.set(updated_at, Value::from(at));
    desired.set(id_col, before.get(id_col));
    Planned::Update {
        before,
        after: desired,
    }
}

async fn write_update<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    source: &str,
    at: DateTime<Utc>,
    before: R::Model,
    desired: R::Model,
) -> AppResult<R::Model>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let id_col = <R::Table as Table>::ID;
    let active = desired.into_active_model().reset_all();
    // `before` was found within the caller's firm, and `desired` keeps its id and firm.
    let after = R::Table::update(active).exec(txn).await?;
    audit::record_in(
        txn,
        at,
        who,
        &format!("{source}.update"),
        Object::new(R::ENTITY, col_i64(&after, id_col)),
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    Ok(after)
}

/// Writes `desired` over `existing` (or inserts it) unless nothing changed, and audits it.
async fn save<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    source: &str,
    at: DateTime<Utc>,
    existing: Option<R::Model>,
    desired: R::Model,
) -> AppResult<(R::Model, Outcome)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let id_col = <R::Table as Table>::ID;
    match plan::<R>(at, existing, desired) {
        Planned::Unchanged(before) => Ok((before, Outcome::Unchanged)),
        Planned::Update { before, after } => {
            let after = write_update::<R>(txn, who, source, at, before, after).await?;
            Ok((after, Outcome::Updated))
        }
        Planned::Insert(desired) => {
            let mut active = desired.into_active_model().reset_all();
            active.not_set(id_col);
            let after = active.insert(txn).await?;
            audit::record_in(
                txn,
                at,
                who,
                &format!("{source}.create"),
                Object::new(R::ENTITY, col_i64(&after, id_col)),
                None,
                serde_json::to_value(&after).ok(),
            )
            .await?;
            Ok((after, Outcome::Created))
        }
    }
}

fn external_id_of<M: ModelTrait>(model: &M, col: <M::Entity as EntityTrait>::Column) -> String {
    match model.get(col) {
        Value::String(Some(s)) => s.to_string(),
        _ => String::new(),
    }
}

/// The firm's rows with these external ids (deleted ones included, as an upsert restores them),
/// read in chunks, by external id.
pub async fn find_many_by_external_id<R: ApiResource>(
    txn: &DatabaseTransaction,
    firm_id: i64,
    ids: &[String],
) -> AppResult<std::collections::HashMap<String, R::Model>> {
    let col = <R::Table as Table>::EXTERNAL_ID;
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    // Few large chunks: without statistics (a table filled within one transaction), PostgreSQL
    // may scan all the firm's rows for each chunk.
    for chunk in ids.chunks(5_000) {
        let rows = R::Table::find()
            .filter(<R::Table as Table>::FIRM_ID.eq(firm_id))
            .filter(col.is_in(chunk.iter().map(String::as_str)))
            .all(txn)
            .await?;
        for row in rows {
            found.insert(external_id_of(&row, col), row);
        }
    }
    Ok(found)
}

/// For bulk imports: the rules of [`upsert_as`] — `input` built over `existing` (read by the
/// caller with [`find_many_by_external_id`]) — with an update written and audited at once, but
/// a new row handed back to be inserted with others by [`insert_many_as`].
pub async fn upsert_deferred<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    source: &str,
    at: DateTime<Utc>,
    existing: Option<R::Model>,
    input: R::Input,
) -> AppResult<(Outcome, Option<(R::Model, R::Input)>)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    if let Some(ext) = R::external_id(&input)
        && (ext.trim().is_empty() || ext.len() > 100)
    {
        return Err(invalid(
            "external_id",
            "external_id 不能为空，最长 100 个字符",
        ));
    }
    let desired = R::build(txn, who.firm_id, at, existing.as_ref(), input.clone()).await?;
    match plan::<R>(at, existing, desired) {
        Planned::Unchanged(row) => {
            R::after_save(txn, who.firm_id, at, &row, Outcome::Unchanged, &input).await?;
            Ok((Outcome::Unchanged, None))
        }
        Planned::Update { before, after } => {
            let row = write_update::<R>(txn, who, source, at, before, after).await?;
            R::after_save(txn, who.firm_id, at, &row, Outcome::Updated, &input).await?;
            Ok((Outcome::Updated, None))
        }
        Planned::Insert(row) => Ok((Outcome::Created, Some((row, input)))),
    }
}

/// Inserts new rows from [`upsert_deferred`] (each with its external id) in multi-row
/// statements, audits each as `{source}.create`, and writes what hangs off each.
pub async fn insert_many_as<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    source: &str,
    at: DateTime<Utc>,
    rows: Vec<(R::Model, R::Input)>,
) -> AppResult<()>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let id_col = <R::Table as Table>::ID;
    let ext_col = <R::Table as Table>::EXTERNAL_ID;
    for chunk in rows.chunks(500) {
        let active: Vec<_> = chunk
            .iter()
            .map(|(row, _)| {
                let mut active = row.clone().into_active_model().reset_all();
                active.not_set(id_col);
                active
            })
            .collect();
        let ids: Vec<String> = chunk
            .iter()
            .map(|(r, _)| external_id_of(r, ext_col))
            .collect();
        // The stored rows, with their ids: PostgreSQL returns them; SQLite reads them back.
        let mut stored: std::collections::HashMap<String, R::Model> =
            if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
                R::Table::insert_many(active)
                    .exec_with_returning(txn)
                    .await?
                    .into_iter()
                    .map(|m| (external_id_of(&m, ext_col), m))
                    .collect()
            } else {
                R::Table::insert_many(active).exec(txn).await?;
                find_many_by_external_id::<R>(txn, who.firm_id, &ids).await?
            };
        let mut entries = Vec::with_capacity(chunk.len());
        for (ext, (_, input)) in ids.iter().zip(chunk) {
            let after = stored
                .remove(ext)
                .ok_or_else(|| AppError::internal(format!("inserted {ext} not found")))?;
            R::after_save(txn, who.firm_id, at, &after, Outcome::Created, input).await?;
            entries.push((col_i64(&after, id_col), serde_json::to_value(&after).ok()));
        }
        audit::record_many_in(
            txn,
            at,
            who,
            &format!("{source}.create"),
            R::ENTITY,
            entries,
        )
        .await?;
    }
    Ok(())
}

/// The row an upsert by `external_id` updates, deleted ones included (an upsert restores them).
async fn find_by_external_id<R: ApiResource>(
    txn: &DatabaseTransaction,
    firm_id: i64,
    external_id: &str,
) -> AppResult<Option<R::Model>> {
    Ok(R::Table::find()
        .filter(<R::Table as Table>::FIRM_ID.eq(firm_id))
        .filter(<R::Table as Table>::EXTERNAL_ID.eq(external_id))
        .one(txn)
        .await?)
}

/// POST: creates the row, or updates the one with the same `external_id`.
pub async fn upsert_in<R: ApiResource>(
    txn: &DatabaseTransaction,
    caller: &ApiCaller,
    at: DateTime<Utc>,
    input: R::Input,
) -> AppResult<(R::Model, Outcome)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    upsert_as::<R>(txn, &caller.who(), "api", at, input).await
}

/// Creates the row, or updates the one with the same `external_id`, as `who` — the same rules
/// as a POST, for other ways data comes in (a spreadsheet import). The audit actions are
/// `{source}.create` and `{source}.update`.
pub async fn upsert_as<R: ApiResource>(
    txn: &DatabaseTransaction,
    who: &Who,
    source: &str,
    at: DateTime<Utc>,
    input: R::Input,
) -> AppResult<(R::Model, Outcome)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    let firm_id = who.firm_id;
    let existing = match R::external_id(&input) {
        Some(ext) if ext.trim().is_empty() || ext.len() > 100 => {
            return Err(invalid(
                "external_id",
                "external_id 不能为空，最长 100 个字符",
            ));
        }
        Some(ext) => find_by_external_id::<R>(txn, firm_id, ext).await?,
        None => None,
    };
    let desired = R::build(txn, firm_id, at, existing.as_ref(), input.clone()).await?;
    let (row, outcome) = save::<R>(txn, who, source, at, existing, desired).await?;
    R::after_save(txn, firm_id, at, &row, outcome, &input).await?;
    Ok((row, outcome))
}

pub async fn upsert<R: ApiResource>(
    ctx: &Ctx,
    caller: &ApiCaller,
    input: R::Input,
) -> AppResult<(R::Model, Outcome)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    require(caller, R::RESOURCE, true)?;
    let txn = ctx.db.begin_write().await?;
    let result = upsert_in::<R>(&txn, caller, ctx.now(), input).await?;
    txn.commit().await?;
    Ok(result)
}

/// PUT: replaces the row with this id (fields left out take their defaults).
pub async fn replace<R: ApiResource>(
    ctx: &Ctx,
    caller: &ApiCaller,
    id: i64,
    input: R::Input,
) -> AppResult<(R::Model, Outcome)>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    require(caller, R::RESOURCE, true)?;
    let at = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = find_by_id::<R>(&txn, caller.firm_id, id).await?;
    if let Some(ext) = R::external_id(&input)
        && let Some(other) = find_by_external_id::<R>(&txn, caller.firm_id, ext).await?
        && col_i64(&other, <R::Table as Table>::ID) != id
    {
        return Err(AppError::Invalid {
            message: "external_id 已被另一条记录使用".to_string(),
            details: vec![FieldError::new("external_id", "已被另一条记录使用")],
        });
    }
    let desired = R::build(&txn, caller.firm_id, at, Some(&existing), input.clone()).await?;
    let result = save::<R>(&txn, &caller.who(), "api", at, Some(existing), desired).await?;
    R::after_save(&txn, caller.firm_id, at, &result.0, result.1, &input).await?;
    txn.commit().await?;
    Ok(result)
}

pub async fn delete<R: ApiResource>(ctx: &Ctx, caller: &ApiCaller, id: i64) -> AppResult<()> {
    require(caller, R::RESOURCE, true)?;
    if !R::DELETABLE {
        return Err(AppError::BadRequest(format!(
            "{}不能通过 API 删除",
            R::LABEL
        )));
    }
    let at = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let row = find_by_id::<R>(&txn, caller.firm_id, id).await?;
    R::check_delete(&txn, &row).await?;
    let scope = Condition::all()
        .add(<R::Table as Table>::FIRM_ID.eq(caller.firm_id))
        .add(<R::Table as Table>::ID.eq(id));
    match <R::Table as Table>::DELETED_AT {
        Some(col) => {
            R::Table::update_many()
                .col_expr(col, Expr::value(at))
                .col_expr(<R::Table as Table>::UPDATED_AT, Expr::value(at))
                .filter(scope)
                .exec(&txn)
                .await?;
        }
        None => {
            R::Table::delete_many()
                .filter(scope.into_condition())
                .exec(&txn)
                .await?;
        }
    }
    audit::record_in(
        &txn,
        at,
        &caller.who(),
        "api.delete",
        Object::new(R::ENTITY, id),
        serde_json::to_value(&row).ok(),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One row of a batch's answer.
#[derive(Debug, Serialize)]
pub struct BatchRow<M> {
    pub outcome: Outcome,
    pub data: M,
}

/// Upserts every row in one transaction: all or nothing. Every row is tried, so the answer lists
/// the errors of all bad rows (each with its `row`), not just the first.
pub async fn batch<R: ApiResource>(
    ctx: &Ctx,
    caller: &ApiCaller,
    inputs: Vec<R::Input>,
) -> AppResult<Vec<BatchRow<R::Model>>>
where
    <R::Table as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    require(caller, R::RESOURCE, true)?;
    if inputs.is_empty() || inputs.len() > MAX_BATCH {
        return Err(invalid("rows", format!("每批 1 至 {MAX_BATCH} 行")));
    }
    let at = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let mut done = Vec::with_capacity(inputs.len());
    let mut errors: Vec<FieldError> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (row, input) in inputs.into_iter().enumerate() {
        if let Some(ext) = R::external_id(&input)
            && !seen.insert(ext.to_string())
        {
            errors.push(FieldError::new("external_id", "同一批中重复").at_row(row));
            continue;
        }
        // A failed statement inside a PostgreSQL transaction aborts it, so each row runs in
        // a savepoint and the batch can go on to report the next rows' errors.
        let savepoint = sea_orm::TransactionTrait::begin(&txn).await?;
        match upsert_in::<R>(&savepoint, caller, at, input).await {
            Ok((data, outcome)) => {
                savepoint.commit().await?;
                done.push(BatchRow { outcome, data });
            }
            Err(e) => {
                savepoint.rollback().await?;
                errors.extend(row_errors(e)?.into_iter().map(|f| f.at_row(row)));
            }
        }
    }
    if !errors.is_empty() {
        txn.rollback().await?;
        return Err(AppError::Invalid {
            message: format!("{} 处错误，整批未保存", errors.len()),
            details: errors,
        });
    }
    txn.commit().await?;
    Ok(done)
}

/// A row's refusal as field errors; a failure that is not the row's fault ends the batch.
pub fn row_errors(e: AppError) -> AppResult<Vec<FieldError>> {
    match e {
        AppError::Invalid { details, .. } | AppError::Owned { details, .. } => Ok(details),
        AppError::Conflict(m) | AppError::Validation(m) | AppError::BadRequest(m) => {
            Ok(vec![FieldError::new("", m)])
        }
        AppError::NotFound(m) => Ok(vec![FieldError::new("", m)]),
        other => Err(other),
    }
}
