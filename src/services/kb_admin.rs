//! The knowledge base as the back office runs it (manual 四(四) 设置企业微信知识库): two-level
//! categories, articles with keywords and placeholders, audit, XLSX import and export.
//!
//! Everyone may read (and, in the sidebar, send) articles; managing categories and articles needs
//! `kb_manage`, approving them `kb_audit`. An approved article is neither edited nor deleted until
//! it is un-approved; a category in use (articles or sub-categories) is not deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::db::entities::kb_article::{self, AuditStatus};
use crate::db::entities::kb_category;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};
use crate::services::import::{self, Column, RowError};
use crate::services::sessions::CurrentEmployee;

/// The placeholders an article may use: the ones the sidebar fills from the customer and the
/// sender when it sends an article (`domain::message_templates`), with what they become.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("customer_name", "客户名称"),
    ("contact_name", "联系人称呼"),
    ("period", "当前期间"),
    ("firm_name", "本代账公司名称"),
    ("staff_name", "发送人姓名"),
    ("staff_phone", "发送人手机号"),
];

const MAX_TITLE: usize = 200;
const MAX_CONTENT: usize = 10_000;
const MAX_CATEGORY: usize = 30;
/// Articles one bulk action may tick (a whole imported file at once).
const MAX_BULK: usize = 5_000;

/// The unknown `{placeholder}`s in a text, if any.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    crate::domain::message_templates::placeholders_in(text)
        .into_iter()
        .filter(|name| !PLACEHOLDERS.iter().any(|(p, _)| p == name))
        .collect()
}

/// A top-level category with its children and how many articles each holds.
#[derive(Clone, Debug)]
pub struct CategoryNode {
    pub category: kb_category::Model,
    pub articles: u64,
    pub children: Vec<(kb_category::Model, u64)>,
}

impl CategoryNode {
    pub fn in_use(&self) -> bool {
        self.articles > 0 || !self.children.is_empty()
    }
}

/// An article with its category path.
#[derive(Clone, Debug)]
pub struct ArticleView {
    pub article: kb_article::Model,
    pub category_path: String,
}

impl ArticleView {
    pub fn approved(&self) -> bool {
        self.article.audit_status == AuditStatus::Approved
    }
}

/// Filters for the article list.
#[derive(Clone, Debug, Default)]
pub struct ArticleFilter {
    pub category_id: Option<i64>,
    pub q: String,
    pub approved: Option<bool>,
}

/// What the article form carries.
#[derive(Clone, Debug, Default)]
pub struct ArticleInput {
    pub category_id: i64,
    pub title: String,
    pub content: String,
    pub keywords: String,
}

fn who(me: &CurrentEmployee, ip: Option<String>) -> Who {
    Who::employee(me, ip)
}

async fn live_categories(
    conn: &impl ConnectionTrait,
    firm_id: i64,
) -> AppResult<Vec<kb_category::Model>> {
    Ok(kb_category::Entity::find()
        .filter(kb_category::Column::FirmId.eq(firm_id))
        .filter(kb_category::Column::DeletedAt.is_null())
        .order_by_asc(kb_category::Column::Sort)
        .order_by_asc(kb_category::Column::Id)
        .all(conn)
        .await?)
}

async fn article_counts(conn: &impl ConnectionTrait, firm_id: i64) -> AppResult<HashMap<i64, u64>> {
    let mut counts = HashMap::new();
    for a in kb_article::Entity::find()
        .filter(kb_article::Column::FirmId.eq(firm_id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .all(conn)
        .await?
    {
        *counts.entry(a.category_id).or_insert(0) += 1;
    }
    Ok(counts)
}

/// The category tree (everyone with a back-office session may read it).
pub async fn categories(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<Vec<CategoryNode>> {
    me.require(Permission::KbView)?;
    let all = live_categories(ctx.db.read(), me.firm_id).await?;
    let counts = article_counts(ctx.db.read(), me.firm_id).await?;
    let count = |id: i64| counts.get(&id).copied().unwrap_or(0);
    Ok(all
        .iter()
        .filter(|c| c.parent_id.is_none())
        .map(|top| CategoryNode {
            category: top.clone(),
            articles: count(top.id),
            children: all
                .iter()
                .filter(|c| c.parent_id == Some(top.id))
                .map(|c| (c.clone(), count(c.id)))
                .collect(),
        })
        .collect())
}

async fn find_category(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    id: i64,
) -> AppResult<kb_category::Model> {
    kb_category::Entity::find_by_id(id)
        .filter(kb_category::Column::FirmId.eq(firm_id))
        .filter(kb_category::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("分类不存在".into()))
}

fn clean_category_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_CATEGORY {
        return Err(AppError::Validation(format!(
            "分类名称不能为空，最多{MAX_CATEGORY}个字"
        )));
    }
    Ok(name.to_string())
}

async fn sibling_named(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    parent_id: Option<i64>,
    name: &str,
) -> AppResult<Option<kb_category::Model>> {
    Ok(live_categories(conn, firm_id)
        .await?
        .into_iter()
        .find(|c| c.parent_id == parent_id && c.name == name))
}

async fn insert_category(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    parent_id: Option<i64>,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<kb_category::Model> {
    let sort = live_categories(conn, firm_id)
        .await?
        .iter()
        .filter(|c| c.parent_id == parent_id)
        .map(|c| c.sort)
        .max()
        .unwrap_or(0)
        + 1;
    Ok(kb_category::ActiveModel {
        firm_id: Set(firm_id),
        parent_id: Set(parent_id),
        name: Set(name.to_string()),
        sort: Set(sort),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

/// Adds a category: top-level, or under a top-level one (two levels at most).
pub async fn add_category(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    parent_id: Option<i64>,
    name: &str,
) -> AppResult<i64> {
    me.require(Permission::KbManage)?;
    let name = clean_category_name(name)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    if let Some(pid) = parent_id {
        let parent = find_category(&txn, me.firm_id, pid).await?;
        if parent.parent_id.is_some() {
            return Err(AppError::Validation(
                "知识库分类最多两级，二级分类下不能再建分类".into(),
            ));
        }
    }
    if sibling_named(&txn, me.firm_id, parent_id, &name)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!("已有名为“{name}”的分类")));
    }
    let saved = insert_category(&txn, me.firm_id, parent_id, &name, now).await?;
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_category.create",
        Object::new("kb_category", saved.id),
        None,
        Some(json!({ "name": saved.name, "parent_id": saved.parent_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.id)
}

pub async fn rename_category(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
    name: &str,
) -> AppResult<()> {
    me.require(Permission::KbManage)?;
    let name = clean_category_name(name)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let cat = find_category(&txn, me.firm_id, id).await?;
    if let Some(other) = sibling_named(&txn, me.firm_id, cat.parent_id, &name).await?
        && other.id != id
    {
        return Err(AppError::Conflict(format!("已有名为“{name}”的分类")));
    }
    let before = cat.name.clone();
    let mut active = cat.into_active_model();
    active.name = Set(name.clone());
    active.updated_at = Set(now);
    active.update(&txn).await?;
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_category.rename",
        Object::new("kb_category", id),
        Some(json!({ "name": before })),
        Some(json!({ "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a category one place up or down among its siblings.
pub async fn move_category(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
    up: bool,
) -> AppResult<()> {
    me.require(Permission::KbManage)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let cat = find_category(&txn, me.firm_id, id).await?;
    let siblings: Vec<kb_category::Model> = live_categories(&txn, me.firm_id)
        .await?
        .into_iter()
        .filter(|c| c.parent_id == cat.parent_id)
        .collect();
    let Some(pos) = siblings.iter().position(|c| c.id == id) else {
        return Err(AppError::NotFound("分类不存在".into()));
    };
    let target = if up {
        pos.checked_sub(1)
    } else {
        Some(pos + 1).filter(|p| *p < siblings.len())
    };
    let Some(target) = target else {
        txn.commit().await?;
        return Ok(());
    };
    let mut order: Vec<i64> = siblings.iter().map(|c| c.id).collect();
    order.swap(pos, target);
    for (i, cid) in order.iter().enumerate() {
        kb_category::Entity::update_many()
            .col_expr(
                kb_category::Column::Sort,
                sea_orm::sea_query::Expr::value(i as i32 + 1),
            )
            .col_expr(
                kb_category::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(kb_category::Column::FirmId.eq(me.firm_id))
            .filter(kb_category::Column::Id.eq(*cid))
            .exec(&txn)
            .await?;
    }
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_category.reorder",
        Object::new("kb_category", id),
        Some(json!({ "order": siblings.iter().map(|c| c.id).collect::<Vec<_>>() })),
        Some(json!({ "order": order })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes a category nobody uses.
pub async fn delete_category(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
) -> AppResult<()> {
    me.require(Permission::KbManage)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let cat = find_category(&txn, me.firm_id, id).await?;
    let articles = kb_article::Entity::find()
        .filter(kb_article::Column::FirmId.eq(me.firm_id))
        .filter(kb_article::Column::CategoryId.eq(id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    if articles > 0 {
        return Err(AppError::Conflict(format!(
            "分类“{}”下还有{articles}条知识，已被使用的分类不能删除",
            cat.name
        )));
    }
    let children = kb_category::Entity::find()
        .filter(kb_category::Column::FirmId.eq(me.firm_id))
        .filter(kb_category::Column::ParentId.eq(id))
        .filter(kb_category::Column::DeletedAt.is_null())
        .count(&txn)
        .await?;
    if children > 0 {
        return Err(AppError::Conflict(format!(
            "分类“{}”下还有{children}个二级分类，不能删除，请先删除二级分类",
            cat.name
        )));
    }
    let name = cat.name.clone();
    let mut active = cat.into_active_model();
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_category.delete",
        Object::new("kb_category", id),
        Some(json!({ "name": name })),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn paths(categories: &[kb_category::Model]) -> HashMap<i64, String> {
    let by_id: HashMap<i64, &kb_category::Model> = categories.iter().map(|c| (c.id, c)).collect();
    categories
        .iter()
        .map(|c| {
            let path = match c.parent_id.and_then(|p| by_id.get(&p)) {
                Some(parent) => format!("{} / {}", parent.name, c.name),
                None => c.name.clone(),
            };
            (c.id, path)
        })
        .collect()
}

/// Articles of the firm, filtered; a top-level category includes its children's articles.
pub async fn articles(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &ArticleFilter,
) -> AppResult<Vec<ArticleView>> {
    me.require(Permission::KbView)?;
    let cats = live_categories(ctx.db.read(), me.firm_id).await?;
    let names = paths(&cats);
    let wanted: Option<Vec<i64>> = filter.category_id.map(|id| {
        cats.iter()
            .filter(|c| c.id == id || c.parent_id == Some(id))
            .map(|c| c.id)
            .collect()
    });
    let mut query = kb_article::Entity::find()
        .filter(kb_article::Column::FirmId.eq(me.firm_id))
        .filter(kb_article::Column::DeletedAt.is_null());
    if let Some(ids) = wanted {
        query = query.filter(kb_article::Column::CategoryId.is_in(ids));
    }
    match filter.approved {
        Some(true) => {
            query = query.filter(kb_article::Column::AuditStatus.eq(AuditStatus::Approved))
        }
        Some(false) => query = query.filter(kb_article::Column::AuditStatus.eq(AuditStatus::Draft)),
        None => {}
    }
    let q = filter.q.trim().to_lowercase();
    Ok(query
        .order_by_asc(kb_article::Column::CategoryId)
        .order_by_asc(kb_article::Column::Id)
        .all(ctx.db.read())
        .await?
        .into_iter()
        .filter(|a| {
            q.is_empty()
                || a.title.to_lowercase().contains(&q)
                || a.keywords.to_lowercase().contains(&q)
                || a.content.to_lowercase().contains(&q)
        })
        .map(|a| ArticleView {
            category_path: names.get(&a.category_id).cloned().unwrap_or_default(),
            article: a,
        })
        .collect())
}

async fn find_article(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    id: i64,
) -> AppResult<kb_article::Model> {
    kb_article::Entity::find_by_id(id)
        .filter(kb_article::Column::FirmId.eq(firm_id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(|| AppError::NotFound("知识不存在".into()))
}

pub async fn article(ctx: &Ctx, me: &CurrentEmployee, id: i64) -> AppResult<ArticleView> {
    me.require(Permission::KbView)?;
    let a = find_article(ctx.db.read(), me.firm_id, id).await?;
    let cats = live_categories(ctx.db.read(), me.firm_id).await?;
    Ok(ArticleView {
        category_path: paths(&cats).remove(&a.category_id).unwrap_or_default(),
        article: a,
    })
}

/// Keywords separated by spaces, commas or 、 become one comma-separated list.
pub fn normalize_keywords(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for k in text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|k| !k.is_empty())
    {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out.join(",")
}

/// Checks an article's fields; the message names what is wrong, in Chinese.
pub fn check_article(title: &str, content: &str) -> Result<(), String> {
    if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
        return Err(format!("标题不能为空，最多{MAX_TITLE}个字"));
    }
    if content.trim().is_empty() || content.chars().count() > MAX_CONTENT {
        return Err(format!("内容不能为空，最多{MAX_CONTENT}个字"));
    }
    let unknown = unknown_placeholders(&format!("{title}\n{content}"));
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|u| format!("{{{u}}}")).collect();
        return Err(format!(
            "不认识的占位符：{}。可用的占位符：{}",
            names.join("、"),
            PLACEHOLDERS
                .iter()
                .map(|(p, _)| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join("、")
        ));
    }
    Ok(())
}

fn snapshot(a: &kb_article::Model) -> serde_json::Value {
    json!({
        "category_id": a.category_id, "title": a.title, "content": a.content,
        "keywords": a.keywords, "audit_status": a.audit_status,
    })
}

pub async fn create_article(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    input: ArticleInput,
) -> AppResult<i64> {
    me.require(Permission::KbManage)?;
    check_article(&input.title, &input.content).map_err(AppError::Validation)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    find_category(&txn, me.firm_id, input.category_id).await?;
    let saved = kb_article::ActiveModel {
        firm_id: Set(me.firm_id),
        category_id: Set(input.category_id),
        title: Set(input.title.trim().to_string()),
        content: Set(input.content.trim().to_string()),
        keywords: Set(normalize_keywords(&input.keywords)),
        audit_status: Set(AuditStatus::Draft),
        created_by: Set(Some(me.employee_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_article.create",
        Object::new("kb_article", saved.id),
        None,
        Some(snapshot(&saved)),
    )
    .await?;
    txn.commit().await?;
    Ok(saved.id)
}

fn refuse_if_approved(a: &kb_article::Model, what: &str) -> AppResult<()> {
    if a.audit_status == AuditStatus::Approved {
        return Err(AppError::Conflict(format!(
            "已审核的知识不能{what}，请先反审核"
        )));
    }
    Ok(())
}

pub async fn update_article(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
    input: ArticleInput,
) -> AppResult<()> {
    me.require(Permission::KbManage)?;
    check_article(&input.title, &input.content).map_err(AppError::Validation)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let a = find_article(&txn, me.firm_id, id).await?;
    refuse_if_approved(&a, "修改")?;
    find_category(&txn, me.firm_id, input.category_id).await?;
    let before = snapshot(&a);
    let mut active = a.into_active_model();
    active.category_id = Set(input.category_id);
    active.title = Set(input.title.trim().to_string());
    active.content = Set(input.content.trim().to_string());
    active.keywords = Set(normalize_keywords(&input.keywords));
    active.updated_at = Set(now);
    let saved = active.update(&txn).await?;
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_article.update",
        Object::new("kb_article", id),
        Some(before),
        Some(snapshot(&saved)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete_article(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
) -> AppResult<()> {
    me.require(Permission::KbManage)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let a = find_article(&txn, me.firm_id, id).await?;
    refuse_if_approved(&a, "删除")?;
    delete_in(&txn, now, &who(me, ip), a).await?;
    txn.commit().await?;
    Ok(())
}

async fn delete_in(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    who: &Who,
    a: kb_article::Model,
) -> AppResult<()> {
    let id = a.id;
    let before = snapshot(&a);
    let mut active = a.into_active_model();
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.update(txn).await?;
    audit::record_in(
        txn,
        now,
        who,
        "kb_article.delete",
        Object::new("kb_article", id),
        Some(before),
        None,
    )
    .await
}

/// Approves an article (or takes the approval back).
pub async fn set_approved(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    id: i64,
    approve: bool,
) -> AppResult<()> {
    me.require(Permission::KbAudit)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let a = find_article(&txn, me.firm_id, id).await?;
    approve_in(&txn, now, &who(me, ip), me.employee_id, a, approve).await?;
    txn.commit().await?;
    Ok(())
}

async fn approve_in(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    who: &Who,
    auditor: i64,
    a: kb_article::Model,
    approve: bool,
) -> AppResult<()> {
    let id = a.id;
    let before = a.audit_status;
    let mut active = a.into_active_model();
    if approve {
        active.audit_status = Set(AuditStatus::Approved);
        active.audited_by = Set(Some(auditor));
        active.audited_at = Set(Some(now));
    } else {
        active.audit_status = Set(AuditStatus::Draft);
        active.audited_by = Set(None);
        active.audited_at = Set(None);
    }
    active.updated_at = Set(now);
    let saved = active.update(txn).await?;
    audit::record_in(
        txn,
        now,
        who,
        if approve {
            "kb_article.approve"
        } else {
            "kb_article.unapprove"
        },
        Object::new("kb_article", id),
        Some(json!({ "audit_status": before })),
        Some(json!({ "audit_status": saved.audit_status })),
    )
    .await
}

/// What the list's ticked articles are for (manual 四(三)3: 删除, 审核, 取消审核).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bulk {
    Approve,
    Unapprove,
    Delete,
}

impl Bulk {
    pub fn parse(code: &str) -> AppResult<Self> {
        match code {
            "approve" => Ok(Self::Approve),
            "unapprove" => Ok(Self::Unapprove),
            "delete" => Ok(Self::Delete),
            _ => Err(AppError::Validation("请选择要执行的操作".into())),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Unapprove => "unapprove",
            Self::Delete => "delete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Approve => "审核",
            Self::Unapprove => "取消审核",
            Self::Delete => "删除",
        }
    }
}

/// What a bulk action did: the articles changed, and those left as they were because they were
/// already so (审核, 取消审核) or are approved (删除).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub done: usize,
    pub skipped: usize,
}

/// Applies `action` to the ticked articles `ids` in one transaction; an id that is not one of the
/// firm's live articles refuses the whole request.
pub async fn bulk(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    ids: &[i64],
    action: Bulk,
) -> AppResult<BulkOutcome> {
    me.require(match action {
        Bulk::Approve | Bulk::Unapprove => Permission::KbAudit,
        Bulk::Delete => Permission::KbManage,
    })?;
    let wanted: BTreeSet<i64> = ids.iter().copied().collect();
    if wanted.is_empty() {
        return Err(AppError::Validation("请先勾选知识".into()));
    }
    if wanted.len() > MAX_BULK {
        return Err(AppError::Validation(format!(
            "一次最多处理 {MAX_BULK} 条知识"
        )));
    }
    let now = ctx.now();
    let who = who(me, ip);
    let txn = ctx.db.begin_write().await?;
    let found = kb_article::Entity::find()
        .filter(kb_article::Column::FirmId.eq(me.firm_id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .filter(kb_article::Column::Id.is_in(wanted.iter().copied()))
        .all(&txn)
        .await?;
    if found.len() != wanted.len() {
        return Err(AppError::NotFound("所选知识不存在或已删除".into()));
    }
    let mut outcome = BulkOutcome::default();
    for a in found {
        let approved = a.audit_status == AuditStatus::Approved;
        match action {
            Bulk::Approve | Bulk::Unapprove if approved == (action == Bulk::Approve) => {
                outcome.skipped += 1;
            }
            Bulk::Approve | Bulk::Unapprove => {
                approve_in(&txn, now, &who, me.employee_id, a, action == Bulk::Approve).await?;
                outcome.done += 1;
            }
            Bulk::Delete if approved => outcome.skipped += 1,
            Bulk::Delete => {
                delete_in(&txn, now, &who, a).await?;
                outcome.done += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

/// The import template's columns.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "top",
        header: "一级分类",
        aliases: &["分类", "一级分类名称"],
        required: true,
    },
    Column {
        key: "sub",
        header: "二级分类",
        aliases: &["二级分类名称", "子分类"],
        required: false,
    },
    Column {
        key: "title",
        header: "标题",
        aliases: &["问题", "知识标题"],
        required: true,
    },
    Column {
        key: "content",
        header: "内容",
        aliases: &["答案", "回复内容", "知识内容"],
        required: true,
    },
    Column {
        key: "keywords",
        header: "关键词",
        aliases: &["关键字"],
        required: false,
    },
];

fn headers() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.header).collect()
}

/// The import template: the headers and two example rows.
pub fn template_xlsx() -> AppResult<Vec<u8>> {
    import::write_xlsx(
        "知识库",
        &headers(),
        &[
            vec![
                "税务".into(),
                "增值税".into(),
                "小规模纳税人季度销售额多少以内免征增值税？".into(),
                "{customer_name}您好：小规模纳税人季度销售额未超过30万元的，免征增值税。".into(),
                "小规模,免税,增值税".into(),
            ],
            vec![
                "服务".into(),
                String::new(),
                "每月什么时候交票据？".into(),
                "请在每月5日前把上月的票据交给{staff_name}，电话{staff_phone}。".into(),
                "票据,交票".into(),
            ],
        ],
    )
}

/// Every article in the template's shape (plus its audit state), ready to edit and import again.
pub async fn export_xlsx(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &ArticleFilter,
) -> AppResult<Vec<u8>> {
    me.require(Permission::KbView)?;
    let cats = live_categories(ctx.db.read(), me.firm_id).await?;
    let by_id: HashMap<i64, &kb_category::Model> = cats.iter().map(|c| (c.id, c)).collect();
    let list = articles(ctx, me, filter).await?;
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|v| {
            let a = &v.article;
            let (top, sub) = match by_id.get(&a.category_id) {
                Some(c) => match c.parent_id.and_then(|p| by_id.get(&p)) {
                    Some(parent) => (parent.name.clone(), c.name.clone()),
                    None => (c.name.clone(), String::new()),
                },
                None => (String::new(), String::new()),
            };
            vec![
                top,
                sub,
                a.title.clone(),
                a.content.clone(),
                a.keywords.clone(),
                if v.approved() {
                    "已审核"
                } else {
                    "未审核"
                }
                .into(),
            ]
        })
        .collect();
    let mut head = headers();
    head.push("审核状态");
    import::write_xlsx("知识库", &head, &rows)
}

/// What an import did, or why it saved nothing.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    pub categories_created: usize,
    pub errors: Vec<RowError>,
    pub more_errors: usize,
}

struct ImportRow {
    top: String,
    sub: String,
    title: String,
    content: String,
    keywords: String,
}

/// Imports articles from an uploaded XLSX or CSV. Categories named in the file are created as
/// needed. A file with any bad row saves nothing and reports every bad row.
pub async fn import(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    bytes: &[u8],
) -> AppResult<ImportReport> {
    me.require(Permission::KbManage)?;
    let sheet = import::read(bytes)?;
    let parsed = import::parse(&sheet, COLUMNS, |row| {
        let top = row.required("top", "一级分类")?.to_string();
        let sub = row.get("sub").to_string();
        for name in [&top, &sub] {
            if name.chars().count() > MAX_CATEGORY {
                return Err(format!("分类名称“{name}”超过{MAX_CATEGORY}个字"));
            }
        }
        let title = row.required("title", "标题")?.to_string();
        let content = row.required("content", "内容")?.to_string();
        check_article(&title, &content)?;
        Ok(ImportRow {
            top,
            sub,
            title,
            content,
            keywords: normalize_keywords(row.get("keywords")),
        })
    })?;
    if !parsed.is_ok() {
        return Ok(ImportReport {
            errors: parsed.errors,
            more_errors: parsed.more_errors,
            ..ImportReport::default()
        });
    }
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let mut known: BTreeMap<(Option<i64>, String), i64> = live_categories(&txn, me.firm_id)
        .await?
        .into_iter()
        .map(|c| ((c.parent_id, c.name), c.id))
        .collect();
    let mut report = ImportReport::default();
    for (_, row) in &parsed.rows {
        let mut category = None;
        for (level, name) in [(0, &row.top), (1, &row.sub)] {
            if name.is_empty() {
                continue;
            }
            let parent = if level == 0 { None } else { category };
            let key = (parent, name.clone());
            let id = match known.get(&key) {
                Some(id) => *id,
                None => {
                    let created = insert_category(&txn, me.firm_id, parent, name, now).await?;
                    report.categories_created += 1;
                    known.insert(key, created.id);
                    created.id
                }
            };
            category = Some(id);
        }
        let Some(category_id) = category else {
            continue;
        };
        kb_article::ActiveModel {
            firm_id: Set(me.firm_id),
            category_id: Set(category_id),
            title: Set(row.title.clone()),
            content: Set(row.content.clone()),
            keywords: Set(row.keywords.clone()),
            audit_status: Set(AuditStatus::Draft),
            created_by: Set(Some(me.employee_id)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        report.imported += 1;
    }
    audit::record_in(
        &txn,
        now,
        &who(me, ip),
        "kb_article.import",
        Object {
            entity: "kb_article",
            id: None,
        },
        None,
        Some(json!({
            "articles": report.imported, "categories_created": report.categories_created,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_placeholders_pass() {
        assert!(unknown_placeholders("{customer_name}您好，我是{staff_name}").is_empty());
        assert_eq!(
            unknown_placeholders("{customer} {customer} {contact_name} {未闭合"),
            vec!["customer".to_string()]
        );
        let err = check_article("标题", "{amount_due}").unwrap_err();
        assert!(
            err.contains("{amount_due}") && err.contains("{customer_name}"),
            "{err}"
        );
    }

    #[test]
    fn keywords_are_split_on_any_separator_and_deduplicated() {
        assert_eq!(
            normalize_keywords(" 发票，报税、发票  社保;个税 "),
            "发票,报税,社保,个税"
        );
    }
}
