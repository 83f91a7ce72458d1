//! The customer pages of the sidebar: the panel for a chat (`/sidebar/contact/…`,
//! `/sidebar/group/…`), the sections (`/sidebar/customers/{id}/{section}`), the link search and
//! `POST /sidebar/links`. Each page answers the fragment to the shell (`HX-Request`) and a whole
//! page when opened directly.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{client_ip, page_or_fragment, redirect};
use crate::db::entities::{contact, customer, follow_up};
use crate::domain::clock::to_local;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use crate::services::audit::Who;
use crate::services::customer_profile::{self, Basic, TagOutcome};
use crate::services::follow_ups;
use crate::services::knowledge::{self, Listing};
use crate::services::links;
use crate::services::service_status::{self, ServiceInfo};
use crate::services::sidebar::{self, ChatRef, Hit, Panel, Section};
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::extractors::SidebarEmployee;

/// The chat a section page works for, passed along by the panel (`?chat_type=&chat_key=`).
#[derive(Deserialize, Default)]
pub struct ChatQuery {
    pub chat_type: Option<String>,
    pub chat_key: Option<String>,
}

impl ChatQuery {
    pub fn chat(&self) -> AppResult<Option<ChatRef>> {
        match (self.chat_type.as_deref(), self.chat_key.as_deref()) {
            (Some(t), Some(k)) if !t.is_empty() && !k.is_empty() => ChatRef::parse(t, k).map(Some),
            _ => Ok(None),
        }
    }
}

/// `?chat_type=…&chat_key=…` for links that keep the chat, or nothing.
pub fn chat_params(chat: Option<&ChatRef>) -> String {
    chat.map_or_else(String::new, |c| {
        let key: String = url::form_urlencoded::byte_serialize(c.key().as_bytes()).collect();
        format!("chat_type={}&chat_key={key}", c.type_code())
    })
}

pub fn yuan(m: &Money) -> String {
    m.to_yuan_string()
}

#[derive(Template)]
#[template(path = "sidebar/panel.html")]
pub struct PanelView {
    pub panel: Panel,
    pub csrf: String,
}

impl PanelView {
    fn chat_params(&self) -> String {
        chat_params(Some(&self.panel.chat.chat_ref))
    }
    fn chat_path(&self) -> String {
        self.panel.chat.chat_ref.path()
    }
    fn status_class(&self, c: &customer::Model) -> &'static str {
        if c.service_status == customer::ServiceStatus::Serving {
            "ok"
        } else {
            "warn"
        }
    }
    fn service_text(&self, s: &sidebar::Summary) -> String {
        match (s.service_end, s.days_left) {
            (Some(end), Some(n)) if n >= 0 => format!("{end}（还有{n}天）"),
            (Some(end), Some(n)) => format!("{end}（已过期{}天）", -n),
            _ => "暂无记账合同".into(),
        }
    }
    fn status_label(&self, c: &customer::Model) -> &'static str {
        match c.service_status {
            customer::ServiceStatus::Serving => "服务中",
            customer::ServiceStatus::Paused => "暂停服务",
            customer::ServiceStatus::Expired => "已到期",
            customer::ServiceStatus::Lost => "已流失",
        }
    }
}

#[derive(Deserialize)]
pub struct PanelQuery {
    customer: Option<i64>,
}

pub async fn contact_panel(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
    query: web::Query<PanelQuery>,
) -> AppResult<HttpResponse> {
    let chat = ChatRef::parse("contact", &path)?;
    render_panel(&state, &req, &who, csrf, chat, query.customer).await
}

pub async fn group_panel(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
    query: web::Query<PanelQuery>,
) -> AppResult<HttpResponse> {
    let chat = ChatRef::parse("group", &path)?;
    render_panel(&state, &req, &who, csrf, chat, query.customer).await
}

async fn render_panel(
    state: &AppState,
    req: &HttpRequest,
    who: &SidebarEmployee,
    csrf: CsrfToken,
    chat: ChatRef,
    wanted: Option<i64>,
) -> AppResult<HttpResponse> {
    let panel = sidebar::panel(&state.ctx, who, &chat, wanted).await?;
    let title = panel
        .current
        .as_ref()
        .map_or_else(|| panel.chat.name.clone(), |s| s.customer.name.clone());
    page_or_fragment(
        req,
        &title,
        &csrf.0,
        &PanelView {
            panel,
            csrf: csrf.0.clone(),
        },
    )
}

#[derive(Template)]
#[template(path = "sidebar/basic.html")]
struct BasicView {
    basic: Basic,
    chat: Option<ChatRef>,
    csrf: String,
    outcome: Option<TagOutcome>,
    notice: Option<String>,
}

impl BasicView {
    fn role(&self, c: &contact::Model) -> &'static str {
        customer_profile::role_label(c.role)
    }
    fn taxpayer(&self) -> &'static str {
        match self.basic.customer.taxpayer_type {
            customer::TaxpayerType::SmallScale => "小规模纳税人",
            customer::TaxpayerType::General => "一般纳税人",
        }
    }
}

#[derive(Template)]
#[template(path = "sidebar/service.html")]
struct ServiceView {
    info: ServiceInfo,
    chat: Option<ChatRef>,
}

impl ServiceView {
    fn days_text(&self, b: &service_status::ServiceRow) -> String {
        match b.days_left {
            Some(n) if n >= 0 => format!("还有{n}天到期"),
            Some(n) => format!("已到期{}天", -n),
            None => "—".into(),
        }
    }
    fn chat_params(&self) -> String {
        chat_params(self.chat.as_ref())
    }
}

#[derive(Template)]
#[template(path = "sidebar/followups.html")]
struct FollowUpsView {
    customer_id: i64,
    rows: Vec<follow_ups::Row>,
    csrf: String,
    today: String,
}

impl FollowUpsView {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        to_local(*at).format("%Y-%m-%d %H:%M").to_string()
    }
    fn day(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        to_local(*at).format("%Y-%m-%d").to_string()
    }
    fn kind(&self, k: &follow_up::Kind) -> &'static str {
        follow_ups::kind_label(*k)
    }
}

#[derive(Template)]
#[template(path = "sidebar/kb.html")]
struct KbView {
    customer_id: i64,
    listing: Listing,
    q: String,
    category: Option<i64>,
    chat: Option<ChatRef>,
}

impl KbView {
    fn chat_params(&self) -> String {
        chat_params(self.chat.as_ref())
    }
    fn is_category(&self, id: &i64) -> bool {
        self.category == Some(*id)
    }
    fn excerpt(&self, text: &str) -> String {
        let mut s: String = text.chars().take(60).collect();
        if text.chars().count() > 60 {
            s.push('…');
        }
        s
    }
}

#[derive(Deserialize)]
pub struct SectionQuery {
    chat_type: Option<String>,
    chat_key: Option<String>,
    q: Option<String>,
    category: Option<i64>,
}

pub async fn section(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<(i64, String)>,
    query: web::Query<SectionQuery>,
) -> AppResult<HttpResponse> {
    let (customer_id, code) = path.into_inner();
    let section = Section::parse(&code)?;
    let query = query.into_inner();
    let chat = ChatQuery {
        chat_type: query.chat_type,
        chat_key: query.chat_key,
    }
    .chat()?;
    let ctx = &state.ctx;
    match section {
        Section::Basic => {
            let basic = customer_profile::basic(ctx, &who, customer_id).await?;
            let title = basic.customer.name.clone();
            page_or_fragment(
                &req,
                &title,
                &csrf.0,
                &BasicView {
                    basic,
                    chat,
                    csrf: csrf.0.clone(),
                    outcome: None,
                    notice: None,
                },
            )
        }
        Section::Service => {
            let info = service_status::service(ctx, &who, customer_id).await?;
            let title = info.customer.name.clone();
            page_or_fragment(&req, &title, &csrf.0, &ServiceView { info, chat })
        }
        Section::FollowUps => {
            let rows = follow_ups::list(ctx, &who, customer_id).await?;
            page_or_fragment(
                &req,
                "跟进",
                &csrf.0,
                &FollowUpsView {
                    customer_id,
                    rows,
                    csrf: csrf.0.clone(),
                    today: ctx.clock.today_local().to_string(),
                },
            )
        }
        Section::Kb => {
            sidebar::customer_for(ctx, &who, customer_id, Section::Kb).await?;
            let q = query.q.unwrap_or_default();
            let listing = knowledge::list(ctx, &who, Some(&q), query.category).await?;
            page_or_fragment(
                &req,
                "知识库",
                &csrf.0,
                &KbView {
                    customer_id,
                    listing,
                    q,
                    category: query.category,
                    chat,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "sidebar/search.html")]
struct SearchView {
    q: String,
    hits: Vec<Hit>,
    chat: Option<ChatRef>,
    csrf: String,
}

impl SearchView {
    fn chat_type(&self) -> &str {
        self.chat.as_ref().map_or("", |c| c.type_code())
    }
    fn chat_key(&self) -> &str {
        self.chat.as_ref().map_or("", |c| c.key())
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    chat_type: Option<String>,
    chat_key: Option<String>,
}

/// `GET /sidebar/customers/search?q=`: customers to link, by any part of the name or short name,
/// by USCC or by a contact's phone.
pub async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let chat = ChatQuery {
        chat_type: query.chat_type,
        chat_key: query.chat_key,
    }
    .chat()?;
    let q = query.q.unwrap_or_default();
    let hits = sidebar::search(&state.ctx, &who, &q).await?;
    page_or_fragment(
        &req,
        "关联客户",
        &csrf.0,
        &SearchView {
            q,
            hits,
            chat,
            csrf: csrf.0.clone(),
        },
    )
}

/// A form whose fields may repeat (`customer_id`, `tag_id`): read pairs in order.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// A form that may carry files: multipart (the named text fields and files `file1`…`file3`,
/// empty file inputs skipped) when it has files, urlencoded otherwise.
pub fn form_with_files(
    req: &HttpRequest,
    body: &[u8],
    text: &[&str],
) -> (
    Vec<(String, String)>,
    Vec<crate::services::attachments::Upload>,
) {
    use crate::sandbox::multipart::{boundary, find_part};
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(boundary) = boundary(content_type) else {
        return (form_pairs(body), Vec::new());
    };
    let pairs = text
        .iter()
        .filter_map(|name| {
            find_part(body, &boundary, name).map(|p| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(p.data).into_owned(),
                )
            })
        })
        .collect();
    let files = (1..=crate::services::attachments::MAX_FILES)
        .filter_map(|i| find_part(body, &boundary, &format!("file{i}")))
        .filter(|p| !p.data.is_empty())
        .map(|p| (p.filename, p.data.to_vec()))
        .collect();
    (pairs, files)
}

pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn ids(pairs: &[(String, String)], name: &str) -> AppResult<Vec<i64>> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| {
            v.trim()
                .parse()
                .map_err(|_| AppError::BadRequest("编号不正确".into()))
        })
        .collect()
}

/// `POST /sidebar/links`: links the chat to the chosen customers, then shows the chat's panel.
pub async fn link(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = form_pairs(&body);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let chat_ref = ChatRef::parse(
        field(&pairs, "chat_type").unwrap_or_default(),
        field(&pairs, "chat_key").unwrap_or_default(),
    )?;
    let customer_ids = ids(&pairs, "customer_id")?;
    if customer_ids.is_empty() {
        return Err(AppError::Validation("请至少勾选一家客户".into()));
    }
    let chat = sidebar::find_chat(&state.ctx, who.firm_id, &chat_ref).await?;
    let audit_who = Who::employee(&who, client_ip(&req));
    links::link(&state.ctx, &who, &audit_who, chat.chat, &customer_ids).await?;
    if !req.headers().contains_key("hx-request") {
        return Ok(redirect(&chat_ref.path()));
    }
    let first = customer_ids.first().copied();
    render_panel(&state, &req, &who, csrf, chat_ref, first).await
}

/// `POST /sidebar/customers/{id}/contacts`: 添加联系人, then the basic section again.
pub async fn add_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = form_pairs(&body);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let customer_id = path.into_inner();
    let audit_who = Who::employee(&who, client_ip(&req));
    let chat = ChatQuery {
        chat_type: field(&pairs, "chat_type").map(str::to_string),
        chat_key: field(&pairs, "chat_key").map(str::to_string),
    }
    .chat()?;
    customer_profile::add_contact(
        &state.ctx,
        &who,
        &audit_who,
        customer_id,
        customer_profile::NewContact {
            name: field(&pairs, "name").unwrap_or_default().to_string(),
            role: field(&pairs, "role").unwrap_or_default().to_string(),
            mobile: field(&pairs, "mobile").unwrap_or_default().to_string(),
        },
    )
    .await?;
    let basic = customer_profile::basic(&state.ctx, &who, customer_id).await?;
    let title = basic.customer.name.clone();
    page_or_fragment(
        &req,
        &title,
        &csrf.0,
        &BasicView {
            basic,
            chat,
            csrf: csrf.0.clone(),
            outcome: None,
            notice: Some("联系人已添加".into()),
        },
    )
}

/// `POST /sidebar/customers/{id}/tags`: the customer's tags become the checked ones.
pub async fn set_tags(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = form_pairs(&body);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let customer_id = path.into_inner();
    let chat = ChatQuery {
        chat_type: field(&pairs, "chat_type").map(str::to_string),
        chat_key: field(&pairs, "chat_key").map(str::to_string),
    }
    .chat()?;
    let tag_ids = ids(&pairs, "tag_id")?;
    let audit_who = Who::employee(&who, client_ip(&req));
    let outcome = customer_profile::set_tags(
        &state.ctx,
        &who,
        &audit_who,
        customer_id,
        &tag_ids,
        chat.as_ref(),
    )
    .await?;
    let basic = customer_profile::basic(&state.ctx, &who, customer_id).await?;
    let title = basic.customer.name.clone();
    page_or_fragment(
        &req,
        &title,
        &csrf.0,
        &BasicView {
            basic,
            chat,
            csrf: csrf.0.clone(),
            notice: Some("标签已保存".into()),
            outcome: Some(outcome),
        },
    )
}

/// `POST /sidebar/customers/{id}/followups`: 新增跟进, then the list again.
pub async fn add_follow_up(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let (pairs, files) = form_with_files(&req, &body, &["csrf", "content", "kind", "next_date"]);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let customer_id = path.into_inner();
    let audit_who = Who::employee(&who, client_ip(&req));
    follow_ups::add(
        &state.ctx,
        &who,
        &audit_who,
        customer_id,
        follow_ups::NewFollowUp {
            content: field(&pairs, "content").unwrap_or_default().to_string(),
            kind: field(&pairs, "kind").unwrap_or_default().to_string(),
            next_date: field(&pairs, "next_date").unwrap_or_default().to_string(),
            files,
        },
    )
    .await?;
    let rows = follow_ups::list(&state.ctx, &who, customer_id).await?;
    page_or_fragment(
        &req,
        "跟进",
        &csrf.0,
        &FollowUpsView {
            customer_id,
            rows,
            csrf: csrf.0.clone(),
            today: state.ctx.clock.today_local().to_string(),
        },
    )
}

/// `GET /sidebar/attachments/{id}`: a follow-up's or a collection's file, for those who may see
/// its customer in that section. Images show inline, PDFs download.
pub async fn attachment(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (file, bytes) =
        crate::services::attachments::fetch(&state.ctx, &who, path.into_inner()).await?;
    let disposition = if file.mime.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let name: String =
        percent_encoding::utf8_percent_encode(&file.file_name, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    Ok(HttpResponse::Ok()
        .content_type(file.mime.as_str())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("{disposition}; filename*=UTF-8''{name}"),
        ))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .body(bytes))
}
