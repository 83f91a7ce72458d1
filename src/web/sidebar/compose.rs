//! `GET /sidebar/customers/{id}/compose/{scene}` (the composed text, editable, with who already
//! sent this scene) and `POST /sidebar/sends` (logs a send after `sendChatMessage` succeeded).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::customers::{ChatQuery, field, form_pairs};
use super::{client_ip, page_or_fragment};
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};
use crate::services::audit::Who;
use crate::services::sends::{self, AlreadySent, ComposeInput, Composed};
use crate::services::sidebar::ChatRef;
use crate::state::AppState;
use crate::web::csrf::CsrfToken;
use crate::web::extractors::SidebarEmployee;

#[derive(Template)]
#[template(path = "sidebar/compose.html")]
struct ComposeView {
    composed: Composed,
    chat: Option<ChatRef>,
    csrf: String,
}

impl ComposeView {
    fn article(&self) -> String {
        self.composed
            .article_id
            .map_or_else(String::new, |id| id.to_string())
    }
}

#[derive(Deserialize)]
pub struct ComposeQuery {
    chat_type: Option<String>,
    chat_key: Option<String>,
    article: Option<i64>,
    period: Option<String>,
}

pub async fn compose(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<(i64, String)>,
    query: web::Query<ComposeQuery>,
) -> AppResult<HttpResponse> {
    let (customer_id, scene) = path.into_inner();
    let query = query.into_inner();
    let chat = ChatQuery {
        chat_type: query.chat_type,
        chat_key: query.chat_key,
    }
    .chat()?;
    let composed = sends::compose(
        &state.ctx,
        &who,
        customer_id,
        &scene,
        ComposeInput {
            article_id: query.article,
            period: query
                .period
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(Period::parse)
                .transpose()
                .map_err(|_| AppError::BadRequest("税款所属期应写作YYYY-MM".into()))?,
        },
    )
    .await?;
    let title = composed.scene.label();
    page_or_fragment(
        &req,
        title,
        &csrf.0,
        &ComposeView {
            composed,
            chat,
            csrf: csrf.0.clone(),
        },
    )
}

#[derive(Template)]
#[template(path = "sidebar/sent.html")]
struct SentView {
    sent: AlreadySent,
}

/// `POST /sidebar/sends`: customer_id, chat_type, chat_key, scene, msgtype, content
/// (article_id for the knowledge base).
pub async fn record(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let pairs = form_pairs(&body);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let number = |name: &str| -> AppResult<Option<i64>> {
        match field(&pairs, name).map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| AppError::BadRequest("编号不正确".into())),
        }
    };
    let customer_id =
        number("customer_id")?.ok_or_else(|| AppError::BadRequest("缺少客户".into()))?;
    let chat = ChatRef::parse(
        field(&pairs, "chat_type").unwrap_or_default(),
        field(&pairs, "chat_key").unwrap_or_default(),
    )?;
    let audit_who = Who::employee(&who, client_ip(&req));
    let sent = sends::record(
        &state.ctx,
        &who,
        &audit_who,
        sends::NewSend {
            customer_id,
            chat,
            scene: field(&pairs, "scene").unwrap_or_default().to_string(),
            msgtype: field(&pairs, "msgtype").unwrap_or("text").to_string(),
            content: field(&pairs, "content").unwrap_or_default().to_string(),
            article_id: number("article_id")?,
        },
    )
    .await?;
    page_or_fragment(&req, "已发送", &csrf.0, &SentView { sent })
}
