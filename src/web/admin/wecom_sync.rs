//! `/admin/wecom/sync`: full syncs of the firm's WeCom (start, progress) and the callback events
//! that could not be applied (see, retry). Admins only.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::domain::clock::to_local;
use crate::error::{AppError, AppResult};
use crate::services::wecom_sync::{self, SyncOverview, What};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;

pub const PATH: &str = "/admin/wecom/sync";

/// One kind's progress as shown.
pub struct Row {
    pub label: &'static str,
    pub status: &'static str,
    pub done: i64,
    pub total: i64,
    pub percent: i64,
    pub rate: String,
    pub left: String,
    pub errors: i64,
    pub calls: i64,
    pub finished: String,
    pub last_error: String,
}

pub struct Parked {
    pub id: i64,
    pub received: String,
    pub what: String,
    pub reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom_sync.html")]
pub struct SyncPage {
    chrome: Chrome,
    rows: Vec<Row>,
    running: bool,
    waiting: u64,
    parked_count: u64,
    parked: Vec<Parked>,
    notice: &'static str,
}

#[derive(Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

fn kind_label(kind: crate::db::entities::sync_job::Kind) -> &'static str {
    use crate::db::entities::sync_job::Kind;
    match kind {
        Kind::Members => "成员",
        Kind::Contacts => "微信联系人",
        Kind::Groups => "客户群",
        Kind::Tags => "标签",
    }
}

fn rows(o: &SyncOverview) -> Vec<Row> {
    use crate::db::entities::sync_job::Status;
    o.progress
        .iter()
        .map(|p| Row {
            label: kind_label(p.kind),
            status: match p.status {
                Status::Queued => "排队中",
                Status::Running => "进行中",
                Status::Done => "已完成",
                Status::Failed => "失败",
            },
            done: p.done,
            total: p.total,
            percent: if p.total > 0 {
                (p.done * 100 / p.total).clamp(0, 100)
            } else {
                100
            },
            rate: format!("{:.1}", p.rate),
            left: p
                .seconds_left
                .map(|s| format!("约 {} 分 {} 秒", s / 60, s % 60))
                .unwrap_or_default(),
            errors: p.errors,
            calls: p.api_calls,
            finished: p
                .finished_at
                .map(|t| to_local(t).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            last_error: p.last_error.clone().unwrap_or_default(),
        })
        .collect()
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<Notice>,
) -> AppResult<SyncPage> {
    let o = wecom_sync::overview(&state, &me).await?;
    let parked = o
        .parked
        .iter()
        .map(|e| Parked {
            id: e.id,
            received: to_local(e.received_at).format("%m-%d %H:%M:%S").to_string(),
            what: format!("{} {}", e.event, e.change_type),
            reason: e.last_error.clone().unwrap_or_default(),
        })
        .collect();
    Ok(SyncPage {
        rows: rows(&o),
        running: o.running,
        waiting: o.events_waiting,
        parked_count: o.events_parked,
        parked,
        notice: match query.done.as_deref() {
            Some("queued") => "已开始同步，进度见下表。",
            Some("busy") => "已有同步在进行，请等它完成。",
            Some("retried") => "事件已重新排队。",
            _ => "",
        },
        chrome: Chrome::new(&me, PATH, csrf.0),
    })
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    what: String,
}

impl WithCsrf for StartForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn ip(state: &AppState, req: &HttpRequest) -> Option<String> {
    crate::web::client_ip::client_ip(req, &state.settings.server.trusted_proxies)
        .map(|i| i.to_string())
}

fn back(notice: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("{PATH}?done={notice}")))
        .finish()
}

pub async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<StartForm>,
) -> AppResult<HttpResponse> {
    let what =
        What::parse(&form.what).ok_or_else(|| AppError::BadRequest("不认识的同步内容".into()))?;
    let queued = wecom_sync::request(&state, &me, what, ip(&state, &req)).await?;
    Ok(back(if queued { "queued" } else { "busy" }))
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for RetryForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn retry(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    _form: CsrfForm<RetryForm>,
) -> AppResult<HttpResponse> {
    wecom_sync::retry_event(&state, &me, path.into_inner(), ip(&state, &req)).await?;
    Ok(back("retried"))
}
