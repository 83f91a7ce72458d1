//! The database side of the WeCom token cache: one `wecom_token_cache` row per (firm, app, kind),
//! the value sealed under the master key, and a lease (`lock_owner`, `lock_until`) so one
//! instance refreshes while the others wait. The lease is a conditional UPDATE, which behaves the
//! same on SQLite (one writer) and PostgreSQL (row locks).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::db::Database;
use crate::db::entities::wecom_token_cache::{self, Column, Entity, Kind};
use crate::secrets::SecretBox;
use crate::wecom::token_cache::{StoreError, StoredToken, TokenKey, TokenKind, TokenStore};

pub struct DbTokenStore {
    db: Database,
    secrets: SecretBox,
}

impl DbTokenStore {
    pub fn new(db: Database, secrets: SecretBox) -> Self {
        Self { db, secrets }
    }
}

fn kind(kind: TokenKind) -> Kind {
    match kind {
        TokenKind::AccessToken => Kind::AccessToken,
        TokenKind::JsapiTicket => Kind::JsapiTicket,
        TokenKind::AgentTicket => Kind::AgentTicket,
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn for_key(key: TokenKey) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(Column::FirmId.eq(key.tenant))
        .add(Column::AppId.eq(key.app))
        .add(Column::Kind.eq(kind(key.kind)))
}

#[async_trait::async_trait]
impl TokenStore for DbTokenStore {
    async fn load(&self, key: TokenKey) -> Result<Option<StoredToken>, StoreError> {
        let row = Entity::find()
            .filter(for_key(key))
            .one(self.db.read())
            .await
            .map_err(err)?;
        let Some(row) = row else { return Ok(None) };
        let (Some(sealed), Some(expires_at)) = (row.value_enc, row.expires_at) else {
            return Ok(None);
        };
        match self.secrets.open(&sealed) {
            Ok(value) => Ok(Some(StoredToken {
                value: value.expose().to_string(),
                expires_at,
            })),
            // Sealed under another master key: treat as absent and fetch a new one.
            Err(_) => Ok(None),
        }
    }

    async fn try_lease(
        &self,
        key: TokenKey,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let row = wecom_token_cache::ActiveModel {
            firm_id: Set(key.tenant),
            app_id: Set(key.app),
            kind: Set(kind(key.kind)),
            value_enc: Set(None),
            expires_at: Set(None),
            refreshed_at: Set(None),
            lock_owner: Set(None),
            lock_until: Set(None),
            updated_at: Set(now),
        };
        // The row may already exist (the usual case): only its lease columns matter here.
        Entity::insert(row)
            .on_conflict_do_nothing()
            .exec(self.db.write())
            .await
            .map_err(err)?;
        let taken = Entity::update_many()
            .col_expr(Column::LockOwner, Expr::value(holder))
            .col_expr(Column::LockUntil, Expr::value(until))
            .filter(for_key(key))
            .filter(
                sea_orm::Condition::any()
                    .add(Column::LockUntil.is_null())
                    .add(Column::LockUntil.lt(now))
                    .add(Column::LockOwner.eq(holder)),
            )
            .exec(self.db.write())
            .await
            .map_err(err)?;
        Ok(taken.rows_affected == 1)
    }

    async fn save(
        &self,
        key: TokenKey,
        _holder: &str,
        token: &StoredToken,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Saved whoever holds the lease now: a fresh value is valid either way, and a holder whose
        // lease lapsed mid-fetch must not throw its good token away.
        Entity::update_many()
            .col_expr(
                Column::ValueEnc,
                Expr::value(self.secrets.seal(&token.value)),
            )
            .col_expr(Column::ExpiresAt, Expr::value(token.expires_at))
            .col_expr(Column::RefreshedAt, Expr::value(now))
            .col_expr(Column::LockOwner, Expr::value(Option::<String>::None))
            .col_expr(
                Column::LockUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(for_key(key))
            .exec(self.db.write())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn release(&self, key: TokenKey, holder: &str) -> Result<(), StoreError> {
        Entity::update_many()
            .col_expr(Column::LockOwner, Expr::value(Option::<String>::None))
            .col_expr(
                Column::LockUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(for_key(key))
            .filter(Column::LockOwner.eq(holder))
            .exec(self.db.write())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn invalidate(&self, key: TokenKey, value: &str) -> Result<bool, StoreError> {
        let row = Entity::find()
            .filter(for_key(key))
            .one(self.db.read())
            .await
            .map_err(err)?;
        let Some(sealed) = row.and_then(|r| r.value_enc) else {
            return Ok(false);
        };
        let still_same = self
            .secrets
            .open(&sealed)
            .is_ok_and(|stored| stored.expose() == value);
        if !still_same {
            return Ok(false);
        }
        // Compare on the sealed text itself, so a value stored in between is never deleted.
        let deleted = Entity::update_many()
            .col_expr(Column::ValueEnc, Expr::value(Option::<String>::None))
            .col_expr(
                Column::ExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(for_key(key))
            .filter(Column::ValueEnc.eq(sealed))
            .exec(self.db.write())
            .await
            .map_err(err)?;
        Ok(deleted.rows_affected == 1)
    }
}
