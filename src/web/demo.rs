//! `GET /sandbox` (demo mode only): the demo's front desk. Who the sandbox's WeCom members are,
//! which of them are bound to an employee, the phone number each one binds with, the last
//! verification codes "sent", and the sandbox's control endpoints — so a newcomer can try every
//! sign-in path without reading code.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;

use crate::domain::clock::to_local;
use crate::error::{AppError, AppResult};
use crate::sandbox::Sandbox;
use crate::services::demo;
use crate::sms::outbox::Outbox;
use crate::state::AppState;

/// What demo mode adds to the web state.
#[derive(Clone)]
pub struct DemoTools {
    pub sandbox: Sandbox,
    pub outbox: Arc<Outbox>,
}

struct MemberRow {
    name: String,
    userid: String,
    position: String,
    mobile: String,
    /// The employee the member is (or would be) bound to, and how.
    binding: String,
    bound: bool,
}

struct CodeRow {
    phone: String,
    code: String,
    sent_at: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "demo/sandbox.html")]
pub struct SandboxPage {
    corp_name: String,
    corp_id: String,
    agent_id: String,
    members: Vec<MemberRow>,
    codes: Vec<CodeRow>,
    base: &'static str,
}

pub async fn show(state: web::Data<AppState>) -> AppResult<SandboxPage> {
    let tools = state
        .demo_tools
        .as_ref()
        .ok_or_else(|| AppError::NotFound("页面不存在".into()))?;
    let creds = tools.sandbox.credentials();
    let (_, employees) = demo::employees(&state, &creds.corp_id).await?;
    let by_mobile: HashMap<&str, &demo::DemoEmployee> = employees
        .iter()
        .filter_map(|e| e.mobile.as_deref().map(|m| (m, e)))
        .collect();
    let members = tools
        .sandbox
        .members()
        .into_iter()
        .map(|m| {
            let (binding, bound) = match by_mobile.get(m.mobile.as_str()) {
                Some(e) if e.wecom_userid.as_deref() == Some(m.userid.as_str()) => {
                    (format!("已绑定员工「{}」", e.name), true)
                }
                Some(e) if !e.active => (format!("员工「{}」已停用", e.name), false),
                Some(e) if e.wecom_userid.is_some() => {
                    (format!("员工「{}」已绑定其他成员", e.name), false)
                }
                Some(e) => (format!("未绑定：用此手机号绑定员工「{}」", e.name), false),
                None => ("没有对应的员工，无法绑定".to_string(), false),
            };
            MemberRow {
                name: m.name,
                userid: m.userid,
                position: m.position,
                mobile: m.mobile,
                binding,
                bound,
            }
        })
        .collect();
    // Only codes sent to the demo firm's people: a real firm's codes never show here.
    let codes = tools
        .outbox
        .recent()
        .into_iter()
        .filter(|c| by_mobile.contains_key(c.phone.as_str()))
        .map(|c| CodeRow {
            phone: c.phone,
            code: c.code,
            sent_at: to_local(c.sent_at).format("%H:%M:%S").to_string(),
        })
        .collect();
    Ok(SandboxPage {
        corp_name: creds.corp_name,
        corp_id: creds.corp_id,
        agent_id: creds.agent_id,
        members,
        codes,
        base: crate::sandbox::demo::BASE_PATH,
    })
}
