//! The knowledge base, read side: keyword search over the firm's approved articles (best match
//! first, then the most sent), categories to browse, one article by id.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};

use crate::db::entities::{kb_article, kb_category};
use crate::db::statement;
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

/// An approved article with how often it was sent, as the listing ranks it.
#[derive(FromQueryResult)]
struct Candidate {
    id: i64,
    title: String,
    content: String,
    keywords: String,
    category_id: i64,
    uses: i64,
}

/// How well an article matches the words: a title hit weighs most, then keywords, then text.
fn score(a: &Candidate, words: &[&str]) -> i64 {
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

/// At most this many articles matching the words are read to be scored.
const CANDIDATES: usize = 500;

/// Approved articles matching every word of `q` (or, without `q`, the category's), best match
/// first and then the most sent.
pub async fn list(
    ctx: &Ctx,
    who: &CurrentEmployee,
    q: Option<&str>,
    category: Option<i64>,
) -> AppResult<Listing> {
    who.require(Permission::KbView)?;
    let q = q.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 60) {
        return Err(AppError::BadRequest("搜索内容太长".into()));
    }
    let categories = kb_category::Entity::find()
        .filter(kb_category::Column::FirmId.eq(who.firm_id))
        .filter(kb_category::Column::DeletedAt.is_null())
        .order_by_asc(kb_category::Column::Sort)
        .order_by_asc(kb_category::Column::Id)
        .all(ctx.db.read())
        .await?;
    let words: Vec<&str> = q
        .map(|q| q.split_whitespace().take(5).collect())
        .unwrap_or_default();
    let mut filter =
        String::from("a.firm_id = ? AND a.deleted_at IS NULL AND a.audit_status = 'approved'");
    let mut values: Vec<sea_orm::Value> = vec![who.firm_id.into()];
    for w in &words {
        filter.push_str(
            " AND (a.title LIKE ? ESCAPE '\\' OR a.keywords LIKE ? ESCAPE '\\' \
             OR a.content LIKE ? ESCAPE '\\')",
        );
        let pattern = crate::db::contains_pattern(w);
        values.extend([
            pattern.clone().into(),
            pattern.clone().into(),
            pattern.into(),
        ]);
    }
    if let Some(c) = category {
        // A top-level category holds its sub-categories' articles too, as the back office lists.
        let ids: Vec<i64> = std::iter::once(c)
            .chain(
                categories
                    .iter()
                    .filter(|k| k.parent_id == Some(c))
                    .map(|k| k.id),
            )
            .collect();
        filter.push_str(&format!(
            " AND a.category_id IN ({})",
            vec!["?"; ids.len()].join(", ")
        ));
        values.extend(ids.into_iter().map(sea_orm::Value::from));
    }
    let uses = "LEFT JOIN kb_article_use u ON u.firm_id = a.firm_id AND u.article_id = a.id";
    let sql = if words.is_empty() {
        // Every article scores 0, so the use counts alone rank them: the most sent, then the
        // oldest never sent, each read in rank order only as far as the page goes (the firm's
        // and the category's indexes keep the ids in order), and only the LIMIT shown whole.
        values.extend(values.clone());
        format!(
            "SELECT a.id, a.title, a.content, a.keywords, a.category_id, r.uses \
             FROM (SELECT id, uses FROM \
                     (SELECT a.id, u.uses FROM kb_article_use u \
                      JOIN kb_article a ON a.firm_id = u.firm_id AND a.id = u.article_id \
                      WHERE u.uses > 0 AND {filter} \
                      ORDER BY u.uses DESC, a.id LIMIT {LIMIT}) AS used \
                   UNION ALL \
                   SELECT id, uses FROM \
                     (SELECT a.id, 0 AS uses FROM kb_article a \
                      WHERE {filter} AND NOT EXISTS (SELECT 1 FROM kb_article_use u \
                        WHERE u.firm_id = a.firm_id AND u.article_id = a.id AND u.uses > 0) \
                      ORDER BY a.id LIMIT {LIMIT}) AS never) r \
             JOIN kb_article a ON a.id = r.id \
             ORDER BY r.uses DESC, a.id LIMIT {LIMIT}"
        )
    } else {
        format!(
            "SELECT a.id, a.title, a.content, a.keywords, a.category_id, \
               COALESCE(u.uses, 0) AS uses \
             FROM kb_article a {uses} WHERE {filter} ORDER BY a.id LIMIT {CANDIDATES}"
        )
    };
    let mut scored: Vec<(i64, Candidate)> =
        Candidate::find_by_statement(statement(ctx.db.backend(), &sql, values))
            .all(ctx.db.read())
            .await?
            .into_iter()
            .map(|a| (score(&a, &words), a))
            .collect();
    scored.sort_by(|x, y| {
        y.0.cmp(&x.0)
            .then(y.1.uses.cmp(&x.1.uses))
            .then(x.1.id.cmp(&y.1.id))
    });
    let names: HashMap<i64, &str> = categories.iter().map(|c| (c.id, c.name.as_str())).collect();
    let articles = scored
        .into_iter()
        .take(LIMIT)
        .map(|(_, a)| Article {
            category: names.get(&a.category_id).copied().unwrap_or("").to_string(),
            id: a.id,
            title: a.title,
            content: a.content,
            uses: a.uses,
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
