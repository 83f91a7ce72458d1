//! `/wecom/callback/{corp_id}[/{agent_id}]`: the URL a firm configures in its WeCom app.
//!
//! GET answers URL verification with the decrypted echostr as plain text and nothing else.
//! POST answers HTTP 200 with an empty body once the event is committed to the inbox, which is
//! WeCom's acknowledgement for self-built apps. Errors are JSON `{"errcode", "errmsg"}`.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use crate::error::AppResult;
use crate::services::callbacks::{
    self, CallbackQuery, CallbackRefusal, MAX_BODY_BYTES, RefusalKind,
};
use crate::state::AppState;

pub async fn verify(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    answer_verification(&state, &path, None, &req).await
}

pub async fn verify_agent(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let (corp_id, agent_id) = path.into_inner();
    answer_verification(&state, &corp_id, Some(&agent_id), &req).await
}

pub async fn receive(
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    accept_event(&state, &path, None, &req, body).await
}

pub async fn receive_agent(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let (corp_id, agent_id) = path.into_inner();
    accept_event(&state, &corp_id, Some(&agent_id), &req, body).await
}

async fn answer_verification(
    state: &AppState,
    corp_id: &str,
    agent_id: Option<&str>,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let query = CallbackQuery::parse(req.query_string())?;
    query.check_fresh(state.now(), state.settings.wecom.callback_max_skew_seconds)?;
    let app = callbacks::resolve(&state.apps, corp_id, agent_id).await?;
    let echo = callbacks::verify_url(&app, &query)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(echo))
}

async fn accept_event(
    state: &AppState,
    corp_id: &str,
    agent_id: Option<&str>,
    req: &HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let query = CallbackQuery::parse(req.query_string())?;
    query.check_fresh(state.now(), state.settings.wecom.callback_max_skew_seconds)?;
    // WeCom waits 5 s for the whole answer; a body still trickling in after that is not WeCom.
    let body = tokio::time::timeout(BODY_TIMEOUT, read_limited(req, payload))
        .await
        .map_err(|_| {
            CallbackRefusal::new(
                RefusalKind::TooSlow,
                -40002,
                "request body arrived too slowly",
            )
        })??;
    let app = callbacks::resolve(&state.apps, corp_id, agent_id).await?;
    let row = callbacks::open_event(&app, &query, &body, state.now())?;
    callbacks::store(&state.inbox, row).await?;
    Ok(HttpResponse::Ok().finish())
}

/// The longest a callback body may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] before buffering it.
async fn read_limited(req: &HttpRequest, mut payload: web::Payload) -> AppResult<web::BytesMut> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(CallbackRefusal::too_large().into());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(MAX_BODY_BYTES));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            CallbackRefusal::new(RefusalKind::Malformed, -40002, format!("reading body: {e}"))
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(CallbackRefusal::too_large().into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
