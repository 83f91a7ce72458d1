//! The knowledge base, read side: keyword search over the firm's approved articles (best match
//! first, then the most sent), categories to browse, one article by id.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{kb_article, kb_article_use, kb_category};
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::sessions::CurrentEmployee;

#[derive(Clone, Debug)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub category: String,
    pub uses: i64,
}

/// What the 知识库 section lists.
#[derive(Clone, Debug)]
pub struct Listing {
    pub categories: Vec<Category>,
    pub articles: Vec<Article>,
}

/// At most this many articles answer.
pub const LIMIT: usize = 30;

fn like(q: &str) -> LikeExpr {
    let mut s = String::from("%");
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    LikeExpr::new(s).escape('\\')
}

/// How well an article matches the words: a title hit weighs most, then keywords, then text.
fn score(a: &kb_article::Model, words: &[&str]) -> i64 {
    words
        .iter()
        .map(|w| {
            let mut s = 0;
            if a.title.contains(w) {
                s += 10;
            }
            if a.keywords.contains(w) {
                s += 5;
            }
            if a.content.contains(w) {
                s += 1;
            }
            s
        })
        .sum()
}

/// Approved articles matching every word of `q` (or, without `q`, the category's), best match
/// first and then the most sent.
pub async fn list(
    ctx: &Ctx,
    who: &CurrentEmployee,
    q: Option<&str>,
    category: Option<i64>,
) -> AppResult<Listing> {
    who.require(Permission::KbView)?;
    let categories = kb_category::Entity::find()
        .filter(kb_category::Column::FirmId.eq(who.firm_id))
        .filter(kb_category::Column::DeletedAt.is_null())
        .order_by_asc(kb_category::Column::Sort)
        .order_by_asc(kb_category::Column::Id)
        .all(ctx.db.read())
        .await?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 60) {
        return Err(AppError::BadRequest("搜索内容太长".into()));
    }
    let words: Vec<&str> = q
        .map(|q| q.split_whitespace().take(5).collect())
        .unwrap_or_default();
    let mut find = kb_article::Entity::find()
        .filter(kb_article::Column::FirmId.eq(who.firm_id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .filter(kb_article::Column::AuditStatus.eq(kb_article::AuditStatus::Approved));
    for w in &words {
        find = find.filter(
            Condition::any()
                .add(Expr::col(kb_article::Column::Title).like(like(w)))
                .add(Expr::col(kb_article::Column::Keywords).like(like(w)))
                .add(Expr::col(kb_article::Column::Content).like(like(w))),
        );
    }
    if let Some(c) = category {
        find = find.filter(kb_article::Column::CategoryId.eq(c));
    }
    let find = find.order_by_asc(kb_article::Column::Id).limit(500);
    let found = if words.is_empty() {
        // Without words every article scores 0 and only the use counts order them, so the
        // candidates' ids are enough to rank; only the LIMIT shown are read whole.
        let ids: Vec<i64> = find
            .select_only()
            .column(kb_article::Column::Id)
            .into_tuple()
            .all(ctx.db.read())
            .await?;
        let uses = uses_of(ctx, who.firm_id, &ids).await?;
        let mut ranked: Vec<(i64, i64)> = ids
            .into_iter()
            .map(|id| (uses.get(&id).copied().unwrap_or(0), id))
            .collect();
        ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        ranked.truncate(LIMIT);
        kb_article::Entity::find()
            .filter(kb_article::Column::FirmId.eq(who.firm_id))
            .filter(kb_article::Column::DeletedAt.is_null())
            .filter(kb_article::Column::AuditStatus.eq(kb_article::AuditStatus::Approved))
            .filter(kb_article::Column::Id.is_in(ranked.iter().map(|(_, id)| *id)))
            .all(ctx.db.read())
            .await?
            .into_iter()
            .map(|a| (0, uses.get(&a.id).copied().unwrap_or(0), a))
            .collect::<Vec<_>>()
    } else {
        let found = find.all(ctx.db.read()).await?;
        let ids: Vec<i64> = found.iter().map(|a| a.id).collect();
        let uses = uses_of(ctx, who.firm_id, &ids).await?;
        found
            .into_iter()
            .map(|a| (score(&a, &words), uses.get(&a.id).copied().unwrap_or(0), a))
            .collect()
    };
    let names: HashMap<i64, &str> = categories.iter().map(|c| (c.id, c.name.as_str())).collect();
    let mut scored: Vec<(i64, i64, kb_article::Model)> = found;
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)).then(x.2.id.cmp(&y.2.id)));
    let articles = scored
        .into_iter()
        .take(LIMIT)
        .map(|(_, uses, a)| Article {
            category: names.get(&a.category_id).copied().unwrap_or("").to_string(),
            id: a.id,
            title: a.title,
            content: a.content,
            uses,
        })
        .collect();
    Ok(Listing {
        categories: categories
            .into_iter()
            .map(|c| Category {
                id: c.id,
                name: c.name,
                parent_id: c.parent_id,
            })
            .collect(),
        articles,
    })
}

/// How often each of these articles was sent.
async fn uses_of(ctx: &Ctx, firm_id: i64, ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    Ok(kb_article_use::Entity::find()
        .filter(kb_article_use::Column::FirmId.eq(firm_id))
        .filter(kb_article_use::Column::ArticleId.is_in(ids.iter().copied()))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|u| (u.article_id, u.uses))
        .collect())
}

/// One approved article of the firm; 404 otherwise.
pub async fn article(ctx: &Ctx, who: &CurrentEmployee, id: i64) -> AppResult<kb_article::Model> {
    who.require(Permission::KbView)?;
    kb_article::Entity::find_by_id(id)
        .filter(kb_article::Column::FirmId.eq(who.firm_id))
        .filter(kb_article::Column::DeletedAt.is_null())
        .filter(kb_article::Column::AuditStatus.eq(kb_article::AuditStatus::Approved))
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("知识库文章不存在".into()))
}
