//! Sidebar sign-in: WeCom OAuth2 tells us which member opened the sidebar; a bound member gets a
//! session, an unbound one binds once with phone number and SMS code.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::db::entities::{employee, firm, sms_code, web_session};
use crate::error::{AppError, AppResult};
use crate::services::employees::{self, Actor};
use crate::services::{firms, sessions, sms_codes};
use crate::state::AppState;
use crate::wecom::api::OAuthIdentity;

/// The firm a sidebar visit belongs to: the one named, else the one the config file registers,
/// else (demo mode) the demo firm, else the only firm there is.
pub async fn resolve_firm(state: &AppState, corp_id: Option<&str>) -> AppResult<firm::Model> {
    let db = state.db.read();
    if let Some(corp_id) = corp_id.filter(|c| !c.is_empty()) {
        return firms::find_by_corp_id(db, corp_id)
            .await?
            .filter(|f| f.status == firm::Status::Active)
            .ok_or_else(|| AppError::NotFound("未找到该企业，请检查侧边栏地址中的企业ID".into()));
    }
    if !state.settings.wecom.corp_id.is_empty()
        && let Some(f) = firms::find_by_corp_id(db, &state.settings.wecom.corp_id).await?
    {
        return Ok(f);
    }
    let active = || {
        firm::Entity::find()
            .filter(firm::Column::DeletedAt.is_null())
            .filter(firm::Column::Status.eq(firm::Status::Active))
    };
    if state.settings.demo.enabled
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
pub fn authorize_url(state: &AppState, corp_id: &str, agent_id: &str, oauth_state: &str) -> String {
    let redirect = format!("{}/sidebar/oauth/callback", state.settings.public_base());
    let mut url = format!(
        "{}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope=snsapi_base&state={}&agentid={}",
        state.wecom_oauth_base().trim_end_matches('/'),
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

pub enum OAuthOutcome {
    /// A bound employee: here is the new session's cookie token.
    SignedIn { token: String },
    /// A member of the corp who has not bound an employee yet.
    NeedsBinding { userid: String },
}

/// Exchanges the OAuth code for the member and signs them in if they are bound.
pub async fn finish_oauth(
    state: &AppState,
    firm_id: i64,
    code: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<OAuthOutcome> {
    if code.is_empty() || code.len() > 512 {
        return Err(AppError::BadRequest("授权码无效，请重新打开侧边栏".into()));
    }
    let app = state.wecom.app(&state.db, &state.secrets, firm_id).await?;
    let api = state.wecom.api().clone();
    let identity = state
        .wecom
        .call(&app, |token| {
            let api = api.clone();
            let code = code.to_string();
            async move { api.auth_get_user_info(&token, &code).await }
        })
        .await?;
    let userid = match identity {
        OAuthIdentity::Member { userid, .. } => userid,
        OAuthIdentity::NonMember { .. } => {
            return Err(AppError::Forbidden(
                "仅本企业成员可以使用此应用，请使用企业微信账号打开".into(),
            ));
        }
    };
    match employees::find_by_userid(state.db.read(), firm_id, &userid).await? {
        Some(e) if e.status == employee::Status::Active => Ok(OAuthOutcome::SignedIn {
            token: sidebar_session(state, firm_id, e.id, ip, user_agent).await?,
        }),
        Some(_) => Err(AppError::Forbidden(
            "您的员工账号已停用，请联系管理员".into(),
        )),
        None => Ok(OAuthOutcome::NeedsBinding { userid }),
    }
}

pub struct SentCode {
    pub phone: String,
    /// Only in demo mode, where no text message is really sent.
    pub shown_code: Option<String>,
}

/// Step one of binding: the phone must belong to a bindable employee; then a code is sent.
pub async fn send_binding_code(
    state: &AppState,
    firm_id: i64,
    userid: &str,
    phone: &str,
) -> AppResult<SentCode> {
    let phone = employees::normalize_mobile(phone)?;
    employees::bindable_by_mobile(state.db.read(), firm_id, &phone, userid).await?;
    let code = sms_codes::send(
        &state.db,
        state.sms.as_ref(),
        firm_id,
        &phone,
        sms_code::Purpose::BindEmployee,
        state.now(),
    )
    .await?;
    Ok(SentCode {
        phone,
        shown_code: state.settings.demo.enabled.then_some(code),
    })
}

/// Step two: a right code binds the member to the employee with that phone and signs them in.
pub async fn complete_binding(
    state: &AppState,
    firm_id: i64,
    userid: &str,
    phone: &str,
    code: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<String> {
    let phone = employees::normalize_mobile(phone)?;
    let employee = employees::bindable_by_mobile(state.db.read(), firm_id, &phone, userid).await?;
    sms_codes::verify(
        &state.db,
        firm_id,
        &phone,
        sms_code::Purpose::BindEmployee,
        code,
        state.now(),
    )
    .await?;
    let actor = Actor::Member {
        userid: userid.to_string(),
    };
    let bound =
        employees::bind_member(&state.db, firm_id, employee.id, userid, &actor, state.now())
            .await?;
    sidebar_session(state, firm_id, bound.id, ip, user_agent).await
}

async fn sidebar_session(
    state: &AppState,
    firm_id: i64,
    employee_id: i64,
    ip: Option<String>,
    user_agent: Option<String>,
) -> AppResult<String> {
    sessions::create(
        state.db.write(),
        firm_id,
        employee_id,
        web_session::Kind::Sidebar,
        ip,
        user_agent,
        state.now(),
    )
    .await
}
