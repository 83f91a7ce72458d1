//! Back-office sign-in with a phone number and password.
//!
//! Five wrong passwords lock the account for 15 minutes, during which even the right password is
//! refused; the count is kept by conditional UPDATEs, so guesses sent at once cannot share one.
//! A phone nobody uses gets the same answer, after the same work, as a wrong password.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::db::entities::{employee, firm, web_session};
use crate::db::statement;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::{Ctx, employees, passwords, sessions};

pub const MAX_FAILED_LOGINS: i32 = 5;
pub const LOCK_FOR: Duration = Duration::minutes(15);

const WRONG: &str = "手机号或密码不正确";

/// Where a sign-in attempt comes from.
pub struct Attempt<'a> {
    pub phone: &'a str,
    pub password: &'a str,
    /// Chosen when the same phone and password open more than one firm.
    pub corp_id: Option<&'a str>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub enum Outcome {
    SignedIn {
        token: String,
    },
    /// The phone and password are right for several firms: which one?
    ChooseFirm(Vec<FirmChoice>),
}

pub struct FirmChoice {
    pub corp_id: String,
    pub name: String,
}

pub async fn sign_in(ctx: &Ctx, attempt: Attempt<'_>) -> AppResult<Outcome> {
    let phone = employees::normalize_mobile(attempt.phone)?;
    let now = ctx.now();
    let candidates = candidates(ctx, &phone, attempt.corp_id).await?;
    if candidates.is_empty() {
        passwords::verify_nothing(attempt.password);
        return Err(AppError::Validation(WRONG.into()));
    }
    let mut matched = Vec::new();
    let mut locked = None;
    for (e, f) in candidates {
        if e.locked_until.is_some_and(|until| until > now) {
            locked = Some(e.locked_until.unwrap_or(now));
            continue;
        }
        if passwords::verify(
            attempt.password,
            e.password_hash.as_deref().unwrap_or_default(),
        ) {
            matched.push((e, f));
        } else if let Some(until) = count_failure(ctx, &e, now).await? {
            locked = Some(until);
        }
    }
    match matched.len() {
        0 => Err(match locked {
            Some(until) => locked_error(until, now),
            None => AppError::Validation(WRONG.into()),
        }),
        1 => {
            let (e, _) = matched.remove(0);
            let token = open_session(ctx, &e, attempt.ip, attempt.user_agent, now).await?;
            Ok(Outcome::SignedIn { token })
        }
        _ => Ok(Outcome::ChooseFirm(
            matched
                .into_iter()
                .map(|(_, f)| FirmChoice {
                    corp_id: f.corp_id,
                    name: f.name,
                })
                .collect(),
        )),
    }
}

fn locked_error(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let minutes = (until - now).num_minutes().max(0) + 1;
    AppError::TooManyRequests(format!(
        "密码错误次数过多，账号已锁定，请{minutes}分钟后再试"
    ))
}

/// Active employees with this phone and a password, in firms this instance serves.
async fn candidates(
    ctx: &Ctx,
    phone: &str,
    corp_id: Option<&str>,
) -> AppResult<Vec<(employee::Model, firm::Model)>> {
    let rows = employee::Entity::find()
        .filter(employee::Column::Mobile.eq(phone))
        .filter(employee::Column::Status.eq(employee::Status::Active))
        .filter(employee::Column::DeletedAt.is_null())
        .filter(employee::Column::PasswordHash.is_not_null())
        .find_also_related(firm::Entity)
        .all(ctx.db.read())
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, f)| f.map(|f| (e, f)))
        .filter(|(_, f)| {
            f.status == firm::Status::Active
                && f.deleted_at.is_none()
                && (ctx.demo() || !f.is_demo)
                && corp_id.is_none_or(|c| c == f.corp_id)
        })
        .collect())
}

/// Counts a wrong password; returns until when the account is locked if this one locked it.
/// A lock that has run out starts the count again.
async fn count_failure(
    ctx: &Ctx,
    e: &employee::Model,
    now: DateTime<Utc>,
) -> AppResult<Option<DateTime<Utc>>> {
    let until = now + LOCK_FOR;
    let row = ctx
        .db
        .write()
        .query_one_raw(statement(
            ctx.db.backend(),
            "UPDATE employee SET \
               failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= ? \
                                    THEN 1 ELSE failed_logins + 1 END, \
               locked_until = CASE \
                   WHEN locked_until IS NOT NULL AND locked_until <= ? THEN NULL \
                   WHEN failed_logins + 1 >= ? THEN ? \
                   ELSE locked_until END \
             WHERE firm_id = ? AND id = ? RETURNING failed_logins",
            [
                now.into(),
                now.into(),
                MAX_FAILED_LOGINS.into(),
                until.into(),
                e.firm_id.into(),
                e.id.into(),
            ],
        ))
        .await?;
    let failed: i32 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => return Ok(None),
    };
    tracing::info!(
        firm_id = e.firm_id,
        employee_id = e.id,
        failed,
        "wrong back-office password"
    );
    Ok((failed >= MAX_FAILED_LOGINS).then_some(until))
}

async fn open_session(
    ctx: &Ctx,
    e: &employee::Model,
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let txn = ctx.db.begin_write().await?;
    txn.execute_raw(statement(
        ctx.db.backend(),
        "UPDATE employee SET failed_logins = 0, locked_until = NULL WHERE firm_id = ? AND id = ?",
        [e.firm_id.into(), e.id.into()],
    ))
    .await?;
    let token = sessions::create(
        &txn,
        e.firm_id,
        e.id,
        web_session::Kind::Admin,
        ip.clone(),
        user_agent,
        now,
    )
    .await?;
    let who = Who {
        firm_id: e.firm_id,
        actor: audit::Actor::Employee {
            id: e.id,
            name: e.name.clone(),
        },
        ip,
    };
    audit::record_in(
        &txn,
        now,
        &who,
        "session.sign_in",
        Object::new("employee", e.id),
        None,
        Some(json!({ "kind": "admin" })),
    )
    .await?;
    txn.commit().await?;
    Ok(token)
}

/// WeCom's web-login (QR code) page for the firm's app, coming back to
/// `/admin/login/wecom/callback` with a one-time code.
pub fn web_login_url(ctx: &Ctx, corp_id: &str, agent_id: &str, oauth_state: &str) -> String {
    let encode =
        |v: &str| -> String { url::form_urlencoded::byte_serialize(v.as_bytes()).collect() };
    let redirect = format!("{}/admin/login/wecom/callback", ctx.settings.public_base());
    format!(
        "{}/wwlogin/sso/login?login_type=CorpApp&appid={}&agentid={}&redirect_uri={}&state={}",
        ctx.endpoints.login_base.trim_end_matches('/'),
        encode(corp_id),
        encode(agent_id),
        encode(&redirect),
        encode(oauth_state),
    )
}

/// Exchanges a web-login code for the member and opens a back-office session for the active
/// employee bound to them. Returns the session's cookie token.
pub async fn finish_web_login(
    ctx: &Ctx,
    firm_id: i64,
    code: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<String> {
    use crate::wecom::api::OAuthIdentity;
    if code.is_empty() || code.len() > 512 {
        return Err(AppError::BadRequest("授权码无效，请重新扫码".into()));
    }
    let app = ctx.apps.primary(firm_id).await?;
    let identity = ctx
        .wecom
        .auth_get_user_info(app.handle()?, code)
        .await
        .map_err(|e| {
            tracing::info!(error = %e, "web login code refused");
            AppError::BadRequest("扫码登录已失效，请重新扫码".into())
        })?;
    let OAuthIdentity::Member { userid, .. } = identity else {
        return Err(AppError::Forbidden("仅本企业成员可以登录".into()));
    };
    let e = employees::find_by_userid(ctx.db.read(), firm_id, &userid)
        .await?
        .filter(|e| e.status == employee::Status::Active)
        .ok_or_else(|| {
            AppError::Forbidden(
                "该企业微信账号还没有绑定在职员工，请先在侧边栏绑定，或联系管理员".into(),
            )
        })?;
    open_session(ctx, &e, ip, user_agent, ctx.now()).await
}
