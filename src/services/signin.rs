//! Sidebar sign-in: WeCom OAuth2 tells us which member opened the sidebar; a bound member gets a
//! session, an unbound one binds once with phone number and SMS code.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db::entities::{employee, firm, sms_code, web_session};
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::Who;
use crate::services::employees;
use crate::services::{firms, sessions, sms_codes};
use crate::wecom::api::OAuthIdentity;
use crate::wecom::errors::Errcode;
use crate::wecom::token_cache::TokenError;

/// The firm a sidebar visit belongs to: the one named, else the one the config file registers,
/// else (demo mode) the demo firm, else the only firm there is.
pub async fn resolve_firm(ctx: &Ctx, corp_id: Option<&str>) -> AppResult<firm::Model> {
    let db = ctx.db.read();
    if let Some(corp_id) = corp_id.filter(|c| !c.is_empty()) {
        return firms::find_by_corp_id(db, corp_id)
            .await?
            .filter(|f| f.status == firm::Status::Active && (ctx.demo() || !f.is_demo))
            .ok_or_else(|| AppError::NotFound("未找到该企业，请检查侧边栏地址中的企业ID".into()));
    }
    if !ctx.settings.wecom.corp_id.is_empty()
        && let Some(f) = firms::find_by_corp_id(db, &ctx.settings.wecom.corp_id).await?
    {
        return Ok(f);
    }
    let active = || {
        let query = firm::Entity::find()
            .filter(firm::Column::DeletedAt.is_null())
            .filter(firm::Column::Status.eq(firm::Status::Active));
        if ctx.demo() {
            query
        } else {
            query.filter(firm::Column::IsDemo.eq(false))
        }
    };
    if ctx.settings.demo.enabled
        && let Some(f) = active()
            .filter(firm::Column::IsDemo.eq(true))
            .order_by_asc(firm::Column::Id)
            .one(db)
            .await?
    {
        return Ok(f);
    }
    if active().count(db).await? == 1
        && let Some(f) = active().one(db).await?
    {
        return Ok(f);
    }
    Err(AppError::Validation(
        "无法确定所属企业：请在侧边栏地址后加上 ?corp_id=企业ID".into(),
    ))
}

/// WeCom's authorize URL (snsapi_base: identity only, no consent screen).
pub fn authorize_url(ctx: &Ctx, corp_id: &str, agent_id: &str, oauth_state: &str) -> String {
    let redirect = format!("{}/sidebar/oauth/callback", ctx.settings.public_base());
    let mut url = format!(
        "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}&agentid={}",
        ctx.endpoints.oauth_base.trim_end_matches('/'),
        encode(corp_id),
        encode(&redirect),
        encode(oauth_state),
        encode(agent_id),
    );
    url.push_str("#wechat_redirect");
    url
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// How long a sign-in round trip through WeCom may take.
pub const OAUTH_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

fn state_id(state: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// Records a new sign-in round trip; its `state` may complete it once, within [`OAUTH_LIFETIME`].
pub async fn begin_oauth(ctx: &Ctx, firm_id: i64, state: &str) -> AppResult<()> {
    let now = ctx.now();
    ctx.db
        .write()
        .execute_raw(crate::db::statement(
            ctx.db.backend(),
            "INSERT INTO oauth_state (id, firm_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
            [
                state_id(state).into(),
                firm_id.into(),
                (now + OAUTH_LIFETIME).into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(())
}

/// Spends a round trip's state: true the first time, within its lifetime, for its firm.
pub async fn consume_oauth_state(ctx: &Ctx, firm_id: i64, state: &str) -> AppResult<bool> {
    let now = ctx.now();
    let result = ctx
        .db
        .write()
        .execute_raw(crate::db::statement(
            ctx.db.backend(),
            "UPDATE oauth_state SET used_at = ? \
             WHERE id = ? AND firm_id = ? AND used_at IS NULL AND expires_at > ?",
            [
                now.into(),
                state_id(state).into(),
                firm_id.into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

pub enum OAuthOutcome {
    /// A bound employee: here is the new session's cookie token.
    SignedIn { token: String },
    /// A member of the corp who has not bound an employee yet.
    NeedsBinding { userid: String },
}

/// Exchanges the OAuth code for the member and signs them in if they are bound.
pub async fn finish_oauth(
    ctx: &Ctx,
    firm_id: i64,
    code: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<OAuthOutcome> {
    if code.is_empty() || code.len() > 512 {
        return Err(AppError::BadRequest("授权码无效，请重新打开侧边栏".into()));
    }
    let app = ctx.apps.primary(firm_id).await?;
    let identity = match ctx.wecom.auth_get_user_info(app.handle()?, code).await {
        Ok(identity) => identity,
        // A code is single-use and lives 5 minutes: a reload of the callback page, a back button
        // or a stale link. Nothing is wrong on the server; the person just starts again.
        Err(TokenError::Wecom(e)) if e.code() == Some(Errcode::InvalidOauthCode) => {
            tracing::info!("OAuth code refused by WeCom (reused or expired)");
            return Err(AppError::BadRequest(
                "登录链接已失效（可能已使用过或已超过5分钟），请关闭后重新打开侧边栏".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let userid = match identity {
        OAuthIdentity::Member { userid, .. } => userid,
        OAuthIdentity::NonMember { .. } => {
            return Err(AppError::Forbidden(
                "仅本企业成员可以使用此应用，请使用企业微信账号打开".into(),
            ));
        }
    };
    match employees::find_by_userid(ctx.db.read(), firm_id, &userid).await? {
        Some(e) if e.status == employee::Status::Active => Ok(OAuthOutcome::SignedIn {
            token: sidebar_session(ctx, firm_id, e.id, ip, user_agent).await?,
        }),
        Some(_) => Err(AppError::Forbidden(
            "您的员工账号已停用，请联系管理员".into(),
        )),
        None => Ok(OAuthOutcome::NeedsBinding { userid }),
    }
}

pub struct SentCode {
    pub phone: String,
    /// Only for a demo firm in demo mode, where no text message is really sent.
    pub shown_code: Option<String>,
}

/// What the binding form says whatever the phone turned out to be, so it cannot be used to learn
/// who works at the firm.
pub const NEUTRAL_REFUSAL: &str =
    "无法用该手机号完成绑定，请确认是管理员为您登记的手机号，或联系管理员";

/// Step one of binding: a code is recorded under the limits either way, and sent only when the
/// phone belongs to an employee this member may bind. The answer is the same in both cases; why
/// a phone cannot bind goes to the log.
pub async fn send_binding_code(
    ctx: &Ctx,
    firm_id: i64,
    userid: &str,
    phone: &str,
    ip: Option<&str>,
) -> AppResult<SentCode> {
    let phone = employees::normalize_mobile(phone)?;
    let bindable = match employees::bindable_by_mobile(ctx.db.read(), firm_id, &phone, userid).await
    {
        Ok(_) => true,
        Err(e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            tracing::info!(
                firm_id,
                userid,
                phone = %crate::sms::mask_phone(&phone),
                reason = %e,
                "binding code asked for a phone that cannot bind; nothing sent"
            );
            false
        }
        Err(e) => return Err(e),
    };
    let issued = sms_codes::issue(
        &ctx.db,
        &sms_codes::CodeRequest {
            firm_id,
            phone: &phone,
            purpose: sms_code::Purpose::BindEmployee,
            requested_by: userid,
            ip,
        },
        ctx.now(),
    )
    .await?;
    let mut shown_code = None;
    if bindable {
        sms_codes::deliver(&ctx.db, ctx.sms.as_ref(), &phone, &issued).await?;
        if shows_demo_codes(ctx, firm_id).await? {
            shown_code = Some(issued.code);
        }
    }
    Ok(SentCode { phone, shown_code })
}

/// Whether binding codes for this firm are shown instead of texted: only the demo firm, and only
/// in demo mode, where the sandbox's front desk also lists its members' phones and the last codes.
pub async fn shows_demo_codes(ctx: &Ctx, firm_id: i64) -> AppResult<bool> {
    Ok(ctx.demo()
        && firms::find_by_id(ctx.db.read(), firm_id)
            .await?
            .is_some_and(|f| f.is_demo))
}

/// Step two: a right code binds the member to the employee with that phone and signs them in.
pub async fn complete_binding(
    ctx: &Ctx,
    firm_id: i64,
    userid: &str,
    phone: &str,
    code: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<String> {
    let phone = employees::normalize_mobile(phone)?;
    // The code first: a phone that cannot bind got a code nobody received, so guesses at it are
    // counted and refused exactly like guesses at a real one.
    sms_codes::verify(
        &ctx.db,
        firm_id,
        &phone,
        sms_code::Purpose::BindEmployee,
        code,
        ctx.now(),
    )
    .await?;
    let employee = employees::bindable_by_mobile(ctx.db.read(), firm_id, &phone, userid)
        .await
        .map_err(|e| match e {
            AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_) => {
                tracing::info!(firm_id, userid, reason = %e, "binding refused after a right code");
                AppError::Validation(NEUTRAL_REFUSAL.into())
            }
            other => other,
        })?;
    let who = Who::member(firm_id, userid, ip.clone());
    let bound = employees::bind_member(ctx, &who, employee.id, userid).await?;
    sidebar_session(ctx, firm_id, bound.id, ip, user_agent).await
}

async fn sidebar_session(
    ctx: &Ctx,
    firm_id: i64,
    employee_id: i64,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<String> {
    sessions::create(
        ctx.db.write(),
        firm_id,
        employee_id,
        web_session::Kind::Sidebar,
        ip,
        user_agent,
        ctx.now(),
    )
    .await
}
