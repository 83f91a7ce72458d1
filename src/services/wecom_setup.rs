//! Setting up a firm's WeCom app from the back office (manual 三 使用前设置): the corp id, the
//! self-built app's AgentId and Secret (sealed, never shown again), the callback Token and
//! EncodingAESKey (generated here, shown so they can be pasted into WeCom), the URLs to paste, the
//! `WW_verify_*.txt` domain-check file, and a connection test that explains WeCom's errcodes.
//!
//! Saving invalidates the firm's entry in the app registry here; other instances see the change
//! within the registry's lifetime (10 seconds).

use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde_json::json;

use crate::config::Secret;
use crate::db::entities::{firm, wecom_app, wecom_verify_file};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::firms::{self, NewApp};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, wecom_apps};
use crate::wecom::crypto::AesKey;
use crate::wecom::token_cache::TokenError;

/// The app as the setup page shows it: never the Secret, only whether one is stored.
#[derive(Clone, Debug)]
pub struct AppView {
    pub agent_id: String,
    pub has_secret: bool,
    pub token: String,
    pub encoding_aes_key: String,
}

#[derive(Clone, Debug)]
pub struct SetupView {
    pub corp_id: String,
    pub firm_name: String,
    pub app: Option<AppView>,
    pub callback_url: String,
    pub sidebar_url: String,
    pub trusted_domain: String,
    pub verify_files: Vec<String>,
}

/// What the app form carries; an empty Secret keeps the stored one.
#[derive(Clone, Debug, Default)]
pub struct AppInput {
    pub agent_id: String,
    pub secret: String,
    pub token: String,
    pub encoding_aes_key: String,
}

/// One step of the connection test.
#[derive(Clone, Debug)]
pub struct Check {
    pub step: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A fresh callback Token (32 letters and digits) and EncodingAESKey (43).
pub fn generate_keys() -> (String, String) {
    loop {
        let key = random(43);
        if AesKey::from_encoding_aes_key(&key).is_ok() {
            return (random(32), key);
        }
    }
}

async fn primary_app(ctx: &Ctx, firm_id: i64) -> AppResult<Option<wecom_app::Model>> {
    firms::find_active_app(ctx.db.read(), firm_id, None).await
}

pub async fn view(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<SetupView> {
    me.require_admin()?;
    let firm = firms::find_by_id(ctx.db.read(), me.firm_id)
        .await?
        .ok_or_else(|| AppError::NotFound("企业不存在".into()))?;
    let app = match primary_app(ctx, me.firm_id).await? {
        Some(a) => {
            let open = |sealed: &Option<String>| {
                sealed
                    .as_deref()
                    .and_then(|s| ctx.secrets.open(s).ok())
                    .map(|s| s.expose().to_string())
                    .unwrap_or_default()
            };
            Some(AppView {
                agent_id: a.agent_id.clone(),
                has_secret: a.secret_enc.is_some(),
                token: open(&a.token_enc),
                encoding_aes_key: open(&a.encoding_aes_key_enc),
            })
        }
        None => None,
    };
    let base = ctx.settings.public_base().trim_end_matches('/').to_string();
    let trusted_domain = url::Url::parse(&base)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default();
    let verify_files = wecom_verify_file::Entity::find()
        .filter(wecom_verify_file::Column::FirmId.eq(me.firm_id))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|f| f.file_name)
        .collect();
    Ok(SetupView {
        callback_url: format!("{base}/wecom/callback/{}", firm.corp_id),
        sidebar_url: format!("{base}/sidebar?corp_id={}", firm.corp_id),
        trusted_domain,
        corp_id: firm.corp_id,
        firm_name: firm.name,
        app,
        verify_files,
    })
}

/// Changes the firm's corp id (when the firm was created with a wrong one).
pub async fn set_corp_id(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    corp_id: &str,
) -> AppResult<()> {
    me.require_admin()?;
    let corp_id = corp_id.trim();
    firms::validate_corp_id(corp_id)?;
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let f = firm::Entity::find_by_id(me.firm_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::NotFound("企业不存在".into()))?;
    if f.corp_id == corp_id {
        txn.commit().await?;
        return Ok(());
    }
    if firms::find_by_corp_id(&txn, corp_id).await?.is_some() {
        return Err(AppError::Conflict(
            "该企业ID已被另一家公司使用，请核对后再填".into(),
        ));
    }
    let before = f.corp_id.clone();
    let mut active = f.into_active_model();
    active.corp_id = Set(corp_id.to_string());
    active.updated_at = Set(now);
    active.update(&txn).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            AppError::Conflict("该企业ID已被另一家公司使用，请核对后再填".into())
        } else {
            e.into()
        }
    })?;
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "firm.set_corp_id",
        Object::new("firm", me.firm_id),
        Some(json!({ "corp_id": before })),
        Some(json!({ "corp_id": corp_id })),
    )
    .await?;
    txn.commit().await?;
    ctx.apps.invalidate(me.firm_id);
    ctx.apps.forget_unknown(corp_id);
    Ok(())
}

/// Saves the primary app: creates it, or changes its AgentId, Secret (when a new one is given),
/// Token and EncodingAESKey. The audit log records which fields changed, never their values.
pub async fn save_app(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    input: AppInput,
) -> AppResult<()> {
    me.require_admin()?;
    let agent_id = input.agent_id.trim().to_string();
    let secret = input.secret.trim().to_string();
    let token = input.token.trim().to_string();
    let aes = input.encoding_aes_key.trim().to_string();
    if !secret.is_empty() && (secret.len() > 128 || secret.chars().any(char::is_whitespace)) {
        return Err(AppError::Validation("Secret 格式不正确".into()));
    }
    let now = ctx.now();
    let existing = primary_app(ctx, me.firm_id).await?;
    let candidate = NewApp {
        agent_id: agent_id.clone(),
        name: "账房".into(),
        kind: wecom_app::Kind::SelfBuilt,
        suite_id: None,
        secret: Some(Secret::new(secret.clone())),
        token: Secret::new(token.clone()),
        encoding_aes_key: Secret::new(aes.clone()),
        is_primary: true,
    };
    // The same checks as every other way an app is registered.
    firms::validate_app(&candidate)?;
    let who = Who::employee(me, ip);
    let txn = ctx.db.begin_write().await?;
    let (id, before, after) = match existing {
        None => {
            if secret.is_empty() {
                return Err(AppError::Validation("请填写应用的 Secret".into()));
            }
            let saved = firms::add_app(&txn, &ctx.secrets, me.firm_id, candidate, now).await?;
            (
                saved.id,
                None,
                json!({ "agent_id": agent_id, "secret_set": true, "token_set": true, "encoding_aes_key_set": true }),
            )
        }
        Some(app) => {
            let old_token = app
                .token_enc
                .as_deref()
                .and_then(|s| ctx.secrets.open(s).ok())
                .map(|s| s.expose().to_string());
            let old_aes = app
                .encoding_aes_key_enc
                .as_deref()
                .and_then(|s| ctx.secrets.open(s).ok())
                .map(|s| s.expose().to_string());
            let before = json!({ "agent_id": app.agent_id });
            let after = json!({
                "agent_id": agent_id,
                "secret_changed": !secret.is_empty(),
                "token_changed": old_token.as_deref() != Some(token.as_str()),
                "encoding_aes_key_changed": old_aes.as_deref() != Some(aes.as_str()),
            });
            let id = app.id;
            let mut active = app.into_active_model();
            active.agent_id = Set(agent_id.clone());
            if !secret.is_empty() {
                active.secret_enc = Set(Some(ctx.secrets.seal(&secret)));
            }
            active.token_enc = Set(Some(ctx.secrets.seal(&token)));
            active.encoding_aes_key_enc = Set(Some(ctx.secrets.seal(&aes)));
            active.updated_at = Set(now);
            active.update(&txn).await.map_err(|e| {
                if crate::db::is_unique_violation(&e) {
                    AppError::Conflict("本公司已有这个 AgentId 的应用".into())
                } else {
                    e.into()
                }
            })?;
            (id, Some(before), after)
        }
    };
    audit::record_in(
        &txn,
        now,
        &who,
        "wecom_app.save",
        Object::new("wecom_app", id),
        before,
        Some(after),
    )
    .await?;
    txn.commit().await?;
    ctx.apps.invalidate(me.firm_id);
    if let Ok(app) = ctx.apps.primary(me.firm_id).await
        && let Ok(handle) = app.handle()
    {
        ctx.wecom.forget_bad_secret(handle);
    }
    Ok(())
}

/// Whether a name is one WeCom hands out for the domain check.
pub fn valid_verify_name(name: &str) -> bool {
    name.strip_prefix("WW_verify_")
        .and_then(|rest| rest.strip_suffix(".txt"))
        .is_some_and(|code| {
            (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Stores an uploaded `WW_verify_*.txt` (replacing one of the same name).
pub async fn upload_verify_file(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    file_name: &str,
    content: &[u8],
) -> AppResult<()> {
    me.require_admin()?;
    let name = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    if !valid_verify_name(name) {
        return Err(AppError::Validation(
            "请上传企业微信提供的 WW_verify_xxx.txt 文件（不要改文件名）".into(),
        ));
    }
    let text = std::str::from_utf8(content)
        .ok()
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| AppError::Validation("文件内容不正确：应为企业微信提供的一行校验码".into()))?
        .to_string();
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    wecom_verify_file::Entity::delete_many()
        .filter(wecom_verify_file::Column::FirmId.eq(me.firm_id))
        .filter(wecom_verify_file::Column::FileName.eq(name))
        .exec(&txn)
        .await?;
    let saved = wecom_verify_file::ActiveModel {
        firm_id: Set(me.firm_id),
        file_name: Set(name.to_string()),
        content: Set(text),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_in(
        &txn,
        now,
        &Who::employee(me, ip),
        "wecom_verify_file.upload",
        Object::new("wecom_verify_file", saved.id),
        None,
        Some(json!({ "file_name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The content to serve at `/{file_name}`, if a firm uploaded it (the newest wins).
pub async fn verify_file(ctx: &Ctx, file_name: &str) -> AppResult<Option<String>> {
    if !valid_verify_name(file_name) {
        return Ok(None);
    }
    use sea_orm::QueryOrder;
    Ok(wecom_verify_file::Entity::find()
        .filter(wecom_verify_file::Column::FileName.eq(file_name))
        .order_by_desc(wecom_verify_file::Column::Id)
        .one(ctx.db.read())
        .await?
        .map(|f| f.content))
}

/// A failed step in Chinese: the errcode and what to do about it.
fn explain(e: &TokenError) -> String {
    match e.wecom() {
        Some(w) => {
            let code = w
                .errcode()
                .map(|c| format!("错误码 {c}："))
                .unwrap_or_default();
            match w.admin_hint() {
                Some(hint) => format!("{code}{hint}"),
                None => format!("{code}{w}"),
            }
        }
        None => format!("暂时无法连接企业微信（{e}），请稍后再试"),
    }
}

/// Tests the saved app against WeCom: the access token, both JS-SDK tickets, and one contact
/// call. Each step says what went wrong and how to fix it.
pub async fn test_connection(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<Vec<Check>> {
    me.require_admin()?;
    let app: std::sync::Arc<wecom_apps::App> = ctx.apps.primary(me.firm_id).await?;
    let handle = app.handle()?;
    let mut checks = Vec::new();
    match ctx.wecom.access_token(handle).await {
        Ok(_) => checks.push(Check {
            step: "获取 access_token（企业ID + Secret）",
            ok: true,
            detail: "成功".into(),
        }),
        Err(e) => {
            checks.push(Check {
                step: "获取 access_token（企业ID + Secret）",
                ok: false,
                detail: explain(&e),
            });
            return Ok(checks);
        }
    }
    let ticket = ctx.wecom.jsapi_ticket(handle).await;
    checks.push(Check {
        step: "获取企业 JS-SDK ticket（侧边栏签名）",
        ok: ticket.is_ok(),
        detail: ticket.err().map_or("成功".into(), |e| explain(&e)),
    });
    let ticket = ctx.wecom.agent_ticket(handle).await;
    checks.push(Check {
        step: "获取应用 JS-SDK ticket（agentConfig）",
        ok: ticket.is_ok(),
        detail: ticket.err().map_or("成功".into(), |e| explain(&e)),
    });
    let users = ctx.wecom.get_follow_user_list(handle).await;
    checks.push(Check {
        step: "读取客户联系成员（通讯录与客户联系权限）",
        ok: users.is_ok(),
        detail: match users {
            Ok(list) => format!("成功，{} 位成员开通了客户联系", list.len()),
            Err(e) => explain(&e),
        },
    });
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_what_wecom_accepts() {
        let (token, key) = generate_keys();
        assert_eq!(token.len(), 32);
        assert!(AesKey::from_encoding_aes_key(&key).is_ok());
        assert_ne!(generate_keys().0, token);
    }

    #[test]
    fn only_wecom_verify_names_are_served() {
        assert!(valid_verify_name("WW_verify_abcDEF123.txt"));
        for bad in [
            "WW_verify_.txt",
            "WW_verify_a/b.txt",
            "ww_verify_abc.txt",
            "WW_verify_abc.html",
            "WW_verify_../x.txt",
        ] {
            assert!(!valid_verify_name(bad), "{bad}");
        }
    }
}
