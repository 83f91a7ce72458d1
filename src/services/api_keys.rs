//! API keys: created and revoked by admins (or `zhangfang api-key create`), shown once, stored as
//! the SHA-256 of the key (a random 40-character key needs no slow hash), told apart by prefix.

use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::entities::{api_key, firm};
use crate::domain::api_scopes::Scopes;
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};

const KEY_PREFIX: &str = "zf_";
/// Characters of the key shown in lists.
const SHOWN: usize = 10;
/// `last_used_at` is written at most this often.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(1);

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A key just created: the only time its full text exists outside the client.
pub struct CreatedKey {
    pub id: i64,
    pub key: String,
    pub prefix: String,
}

pub async fn create(ctx: &Ctx, who: &Who, name: &str, scopes: &str) -> AppResult<CreatedKey> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(AppError::Validation("请填写密钥名称（60字以内）".into()));
    }
    let scopes: Scopes = scopes
        .parse()
        .map_err(|e: String| AppError::Validation(format!("权限范围不正确：{e}")))?;
    let random: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    let key = format!("{KEY_PREFIX}{random}");
    let prefix: String = key.chars().take(SHOWN).collect();
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let created_by = match &who.actor {
        audit::Actor::Employee { id, .. } => Some(*id),
        _ => None,
    };
    let row = api_key::ActiveModel {
        firm_id: Set(who.firm_id),
        name: Set(name.to_string()),
        prefix: Set(prefix.clone()),
        key_hash: Set(hash(&key)),
        scopes: Set(scopes.to_string()),
        created_by: Set(created_by),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_in(
        &txn,
        now,
        who,
        "api_key.create",
        Object::new("api_key", row.id),
        None,
        Some(json!({ "name": row.name, "prefix": row.prefix, "scopes": row.scopes })),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedKey {
        id: row.id,
        key,
        prefix,
    })
}

/// The firm's keys, newest first (revoked ones too, marked).
pub async fn list(ctx: &Ctx, firm_id: i64) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::FirmId.eq(firm_id))
        .order_by_desc(api_key::Column::Id)
        .all(ctx.db.read())
        .await?)
}

pub async fn revoke(ctx: &Ctx, who: &Who, key_id: i64) -> AppResult<()> {
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let key = api_key::Entity::find_by_id(key_id)
        .filter(api_key::Column::FirmId.eq(who.firm_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("密钥不存在".into()))?;
    if key.revoked_at.is_none() {
        let mut active: api_key::ActiveModel = key.clone().into();
        active.revoked_at = Set(Some(now));
        active.update(&txn).await?;
        audit::record_in(
            &txn,
            now,
            who,
            "api_key.revoke",
            Object::new("api_key", key.id),
            Some(json!({ "revoked": false })),
            Some(json!({ "revoked": true })),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Who is calling the API.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key_id: i64,
    pub firm_id: i64,
    pub name: String,
    pub scopes: Scopes,
}

impl ApiCaller {
    /// The caller as the audit log names it.
    pub fn who(&self) -> Who {
        Who {
            firm_id: self.firm_id,
            actor: audit::Actor::ApiKey {
                id: self.key_id,
                name: self.name.clone(),
            },
            ip: None,
        }
    }
}

/// The key's caller, or None for an unknown or revoked key (or one of a firm not served here).
pub async fn authenticate(ctx: &Ctx, key: &str) -> AppResult<Option<ApiCaller>> {
    if !key.starts_with(KEY_PREFIX) || key.len() > 100 {
        return Ok(None);
    }
    let Some((row, firm)) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash(key)))
        .filter(api_key::Column::RevokedAt.is_null())
        .find_also_related(firm::Entity)
        .one(ctx.db.read())
        .await?
        .and_then(|(k, f)| f.map(|f| (k, f)))
    else {
        return Ok(None);
    };
    if firm.status != firm::Status::Active
        || firm.deleted_at.is_some()
        || (firm.is_demo && !ctx.demo())
    {
        return Ok(None);
    }
    let now = ctx.now();
    if row.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
            .filter(api_key::Column::Id.eq(row.id))
            .exec(ctx.db.write())
            .await?;
    }
    let scopes = row
        .scopes
        .parse()
        .map_err(|e: String| AppError::internal(format!("api key {} scopes: {e}", row.id)))?;
    Ok(Some(ApiCaller {
        key_id: row.id,
        firm_id: row.firm_id,
        name: row.name,
        scopes,
    }))
}
