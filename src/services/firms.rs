//! Firms (tenants) and their WeCom applications.
//!
//! A firm is one WeCom corp. Each of its apps has its own secret, callback token and
//! EncodingAESKey, stored encrypted under the master key. The `[wecom]` config section registers a
//! firm and app when they are absent; after that the database is the truth.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::config::{Secret, WecomSettings};
use crate::db::Database;
use crate::db::entities::{firm, wecom_app};
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::wecom::crypto::AesKey;

/// What it takes to register an app.
#[derive(Clone, Debug)]
pub struct NewApp {
    pub agent_id: String,
    pub name: String,
    pub kind: wecom_app::Kind,
    pub suite_id: Option<String>,
    pub secret: Option<Secret>,
    pub token: Secret,
    pub encoding_aes_key: Secret,
    pub is_primary: bool,
}

pub fn validate_corp_id(corp_id: &str) -> AppResult<()> {
    let ok = (2..=64).contains(&corp_id.len())
        && corp_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::Validation(
            "企业ID（corp_id）格式不正确：应为企业微信后台“我的企业”中显示的ID".into(),
        ))
    }
}

pub fn validate_app(app: &NewApp) -> AppResult<()> {
    if app.agent_id.is_empty()
        || app.agent_id.len() > 32
        || !app
            .agent_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(AppError::Validation("应用AgentId格式不正确".into()));
    }
    let token = app.token.expose();
    if token.is_empty() || token.len() > 32 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AppError::Validation(
            "回调Token应为1到32位英文字母或数字".into(),
        ));
    }
    AesKey::from_encoding_aes_key(app.encoding_aes_key.expose())
        .map_err(|_| AppError::Validation("EncodingAESKey应为43位英文字母或数字".into()))?;
    Ok(())
}

pub async fn create_firm(
    conn: &impl ConnectionTrait,
    corp_id: &str,
    name: &str,
    is_demo: bool,
    now: DateTime<Utc>,
) -> AppResult<firm::Model> {
    validate_corp_id(corp_id)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::Validation("公司名称不能为空".into()));
    }
    let model = firm::ActiveModel {
        corp_id: Set(corp_id.to_string()),
        name: Set(name.to_string()),
        uscc: Set(None),
        status: Set(firm::Status::Active),
        is_demo: Set(is_demo),
        settings: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    Ok(model.insert(conn).await?)
}

pub async fn add_app(
    conn: &impl ConnectionTrait,
    secrets: &SecretBox,
    firm_id: i64,
    app: NewApp,
    now: DateTime<Utc>,
) -> AppResult<wecom_app::Model> {
    validate_app(&app)?;
    let model = wecom_app::ActiveModel {
        firm_id: Set(firm_id),
        agent_id: Set(app.agent_id),
        kind: Set(app.kind),
        name: Set(app.name),
        suite_id: Set(app.suite_id),
        secret_enc: Set(app
            .secret
            .filter(|s| !s.is_empty())
            .map(|s| secrets.seal(s.expose()))),
        token_enc: Set(Some(secrets.seal(app.token.expose()))),
        encoding_aes_key_enc: Set(Some(secrets.seal(app.encoding_aes_key.expose()))),
        is_primary: Set(app.is_primary),
        status: Set(wecom_app::Status::Active),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    };
    Ok(model.insert(conn).await?)
}

pub async fn find_by_corp_id(
    conn: &impl ConnectionTrait,
    corp_id: &str,
) -> AppResult<Option<firm::Model>> {
    Ok(firm::Entity::find()
        .filter(firm::Column::CorpId.eq(corp_id))
        .filter(firm::Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}

pub async fn find_by_id(
    conn: &impl ConnectionTrait,
    firm_id: i64,
) -> AppResult<Option<firm::Model>> {
    Ok(firm::Entity::find_by_id(firm_id)
        .filter(firm::Column::DeletedAt.is_null())
        .filter(firm::Column::Status.eq(firm::Status::Active))
        .one(conn)
        .await?)
}

/// The app a callback URL addresses: the named agent, or the firm's primary app.
pub async fn find_active_app(
    conn: &impl ConnectionTrait,
    firm_id: i64,
    agent_id: Option<&str>,
) -> AppResult<Option<wecom_app::Model>> {
    let mut query = wecom_app::Entity::find()
        .filter(wecom_app::Column::FirmId.eq(firm_id))
        .filter(wecom_app::Column::DeletedAt.is_null())
        .filter(wecom_app::Column::Status.eq(wecom_app::Status::Active));
    query = match agent_id {
        Some(agent) => query.filter(wecom_app::Column::AgentId.eq(agent)),
        None => query
            .order_by_desc(wecom_app::Column::IsPrimary)
            .order_by_asc(wecom_app::Column::Id),
    };
    Ok(query.one(conn).await?)
}

/// Active firms that are not demo firms.
pub async fn count_real(conn: &impl ConnectionTrait) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(firm::Entity::find()
        .filter(firm::Column::DeletedAt.is_null())
        .filter(firm::Column::Status.eq(firm::Status::Active))
        .filter(firm::Column::IsDemo.eq(false))
        .count(conn)
        .await?)
}

/// Every active app of a firm, the primary first.
pub async fn active_apps(
    conn: &impl ConnectionTrait,
    firm_id: i64,
) -> AppResult<Vec<wecom_app::Model>> {
    Ok(wecom_app::Entity::find()
        .filter(wecom_app::Column::FirmId.eq(firm_id))
        .filter(wecom_app::Column::DeletedAt.is_null())
        .filter(wecom_app::Column::Status.eq(wecom_app::Status::Active))
        .order_by_desc(wecom_app::Column::IsPrimary)
        .order_by_asc(wecom_app::Column::Id)
        .all(conn)
        .await?)
}

/// Registers the `[wecom]` app when its firm is absent; otherwise reports drift in the log.
pub async fn bootstrap_from_config(
    db: &Database,
    secrets: &SecretBox,
    wecom: &WecomSettings,
    now: DateTime<Utc>,
) -> AppResult<Option<firm::Model>> {
    if wecom.corp_id.is_empty() {
        return Ok(None);
    }
    if let Some(existing) = find_by_corp_id(db.read(), &wecom.corp_id).await? {
        report_drift(db, secrets, &existing, wecom).await?;
        return Ok(Some(existing));
    }
    let txn = db.begin_write().await?;
    let firm = create_firm(
        &txn,
        &wecom.corp_id,
        &format!("企业 {}", wecom.corp_id),
        false,
        now,
    )
    .await?;
    add_app(
        &txn,
        secrets,
        firm.id,
        NewApp {
            agent_id: wecom.agent_id.clone(),
            name: "自建应用".into(),
            kind: wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(wecom.secret.clone()),
            token: wecom.token.clone(),
            encoding_aes_key: wecom.encoding_aes_key.clone(),
            is_primary: true,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(corp_id = %wecom.corp_id, agent_id = %wecom.agent_id, "registered firm and app from [wecom] config");
    Ok(Some(firm))
}

async fn report_drift(
    db: &Database,
    secrets: &SecretBox,
    firm: &firm::Model,
    wecom: &WecomSettings,
) -> AppResult<()> {
    let Some(app) = find_active_app(db.read(), firm.id, Some(&wecom.agent_id)).await? else {
        tracing::warn!(
            corp_id = %wecom.corp_id,
            agent_id = %wecom.agent_id,
            "[wecom] names an app the database does not have; the database is the truth, nothing changed"
        );
        return Ok(());
    };
    let differs = |stored: &Option<String>, configured: &Secret| -> bool {
        if configured.is_empty() {
            return false;
        }
        match stored.as_deref().map(|s| secrets.open(s)) {
            Some(Ok(value)) => value != *configured,
            _ => true,
        }
    };
    for (name, stored, configured) in [
        ("secret", &app.secret_enc, &wecom.secret),
        ("token", &app.token_enc, &wecom.token),
        (
            "encoding_aes_key",
            &app.encoding_aes_key_enc,
            &wecom.encoding_aes_key,
        ),
    ] {
        if differs(stored, configured) {
            tracing::warn!(
                corp_id = %wecom.corp_id,
                agent_id = %wecom.agent_id,
                key = name,
                "[wecom] differs from the stored app; the stored value stays in use"
            );
        }
    }
    Ok(())
}
