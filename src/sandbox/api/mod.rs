//! The `/cgi-bin` server API: one dispatcher counts the call, applies injected faults, checks
//! the access token and hands over to the API's handler.
//!
//! Every answer is HTTP 200 with `{"errcode","errmsg"}` like WeCom. Queries are parsed leniently
//! and bodies are read as raw bytes and parsed here, so garbage input becomes a WeCom error
//! (40058 for bad JSON, as WeCom answers it) and never an actix error page or a panic. A POST
//! API called with GET has no body and gets 40058, which is what WeCom does too.

mod contacts;
mod follow_info;
mod groups;
mod media;
mod messages;
mod tags;
mod tokens;
mod users;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use super::Sandbox;
use super::errors::{self as codes, ApiError};

/// WeCom keeps temporary media for three days.
pub(crate) const MEDIA_LIFETIME: TimeDelta = TimeDelta::days(3);
/// JSON bodies of the APIs served here are small; 1 MiB is far beyond any legitimate one.
const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// Every API the sandbox serves, by path below `/cgi-bin/`.
pub(crate) const APIS: &[&str] = &[
    "gettoken",
    "get_jsapi_ticket",
    "ticket/get",
    "auth/getuserinfo",
    "user/get",
    "externalcontact/get_follow_user_list",
    "externalcontact/list",
    "externalcontact/get",
    "externalcontact/batch/get_by_user",
    "externalcontact/groupchat/list",
    "externalcontact/groupchat/get",
    "externalcontact/get_corp_tag_list",
    "externalcontact/add_corp_tag",
    "externalcontact/mark_tag",
    "externalcontact/remark",
    "media/upload",
    "media/get",
    "message/send",
];

/// "/cgi-bin/externalcontact/list/" → "externalcontact/list".
pub(crate) fn normalize_api(api: &str) -> String {
    let trimmed = api.trim().trim_matches('/');
    trimmed
        .strip_prefix("cgi-bin/")
        .unwrap_or(trimmed)
        .trim_matches('/')
        .to_string()
}

/// A parsed query string (first value wins, like most servers).
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    pub(crate) fn parse(raw: &str) -> Self {
        let mut map = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(map)
    }

    /// The value, `None` when absent or empty.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Why a body could not be read.
pub(crate) enum BodyError {
    TooLarge,
    Broken,
}

/// Reads the whole body, refusing more than `limit` bytes.
pub(crate) async fn read_body(
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, BodyError> {
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if buf.len().saturating_add(chunk.len()) > limit {
            return Err(BodyError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Parses a JSON request body the way WeCom judges it: missing or malformed → 40058.
fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid("request body is empty, POST a JSON body"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(&format!("Warning: wrong json format. {e}")))
}

/// The `/cgi-bin/{api}` handler.
pub(crate) async fn dispatch(
    req: HttpRequest,
    payload: web::Payload,
    sandbox: web::Data<Sandbox>,
) -> HttpResponse {
    let api = normalize_api(req.match_info().get("api").unwrap_or_default());
    if !APIS.contains(&api.as_str()) {
        // Unknown paths are not WeCom APIs the sandbox imitates; say so plainly.
        return HttpResponse::NotFound().json(ApiError::with_hint(
            codes::NOT_AUTHORISED,
            &format!("the sandbox does not implement /cgi-bin/{api}"),
        ));
    }
    let sandbox = sandbox.get_ref();
    sandbox.count_call(&api);
    let query = Query::parse(req.query_string());
    let token = query.get("access_token").map(str::to_string);

    if let Some(fault) = sandbox.take_fault(&api) {
        if let Some(latency) = fault.latency {
            tokio::time::sleep(latency).await;
        }
        if fault.errcode != 0 {
            sandbox.fault_side_effects(fault.errcode, token.as_deref());
            return ApiError::new(fault.errcode).to_response();
        }
    }

    let result = if api == "gettoken" {
        tokens::gettoken(sandbox, &query)
    } else {
        match sandbox.check_token(token.as_deref()) {
            Err(e) => Err(e),
            Ok(()) => route(sandbox, &api, &req, &query, payload).await,
        }
    };
    result.unwrap_or_else(|e| e.to_response())
}

async fn route(
    sandbox: &Sandbox,
    api: &str,
    req: &HttpRequest,
    query: &Query,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    match api {
        "get_jsapi_ticket" => tokens::ticket(sandbox, false),
        "ticket/get" => match query.get("type") {
            Some("agent_config") => tokens::ticket(sandbox, true),
            _ => Err(ApiError::with_hint(
                codes::INVALID_TICKET_TYPE,
                "type must be agent_config",
            )),
        },
        "auth/getuserinfo" => users::getuserinfo(sandbox, query),
        "user/get" => users::user_get(sandbox, query),
        "externalcontact/get_follow_user_list" => users::follow_user_list(sandbox),
        "externalcontact/list" => contacts::contact_list(sandbox, query),
        "externalcontact/get" => contacts::contact_get(sandbox, query),
        "media/get" => media::media_get(sandbox, query),
        "media/upload" => media::media_upload(sandbox, req, query, payload).await,
        _ => {
            let body = match read_body(payload, JSON_BODY_LIMIT).await {
                Ok(b) => b,
                Err(BodyError::TooLarge) => {
                    return Err(ApiError::invalid("request body too large"));
                }
                Err(BodyError::Broken) => return Err(ApiError::new(codes::SYSTEM_BUSY)),
            };
            match api {
                "externalcontact/batch/get_by_user" => contacts::batch_get_by_user(sandbox, &body),
                "externalcontact/groupchat/list" => groups::groupchat_list(sandbox, &body),
                "externalcontact/groupchat/get" => groups::groupchat_get(sandbox, &body),
                "externalcontact/get_corp_tag_list" => tags::get_corp_tag_list(sandbox, &body),
                "externalcontact/add_corp_tag" => tags::add_corp_tag(sandbox, &body),
                "externalcontact/mark_tag" => follow_info::mark_tag(sandbox, &body),
                "externalcontact/remark" => follow_info::remark(sandbox, &body),
                "message/send" => messages::message_send(sandbox, &body),
                _ => Err(ApiError::new(codes::NOT_AUTHORISED)),
            }
        }
    }
}

/// A position as stored in cursors; the sandbox never holds more than u32::MAX of anything.
fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
