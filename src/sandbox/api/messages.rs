//! App messages: message/send.

use std::collections::HashSet;

use actix_web::HttpResponse;
use serde::Serialize;

use super::parse_json;
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::{SentMessage, random_string};

/// Sent messages kept for inspection at most (the oldest are dropped beyond it).
const MESSAGES_CAP: usize = 10_000;

#[derive(Serialize)]
struct SendReply {
    invaliduser: String,
    invalidparty: String,
    invalidtag: String,
    unlicenseduser: String,
    msgid: String,
    response_code: String,
}

#[derive(Serialize)]
struct SendFailure {
    errcode: i32,
    errmsg: String,
    invaliduser: String,
    invalidparty: String,
    invalidtag: String,
}

/// A `"a|b"` list, trimmed, without empties or duplicates.
fn split_ids(v: Option<&serde_json::Value>) -> Vec<String> {
    let Some(serde_json::Value::String(s)) = v else {
        return Vec::new();
    };
    let mut seen = HashSet::new();
    s.split('|')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .filter(|x| seen.insert(x.to_string()))
        .map(str::to_string)
        .collect()
}

/// The message's content must be valid for its msgtype.
fn check_content(
    sandbox: &Sandbox,
    msg: &serde_json::Value,
    msgtype: &str,
) -> Result<(), ApiError> {
    let section = msg.get(msgtype);
    let field = |name: &str| {
        section
            .and_then(|s| s.get(name))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
    };
    match msgtype {
        "text" | "markdown" => {
            let content = field("content");
            if content.is_empty() {
                return Err(ApiError::new(codes::EMPTY_TEXT_CONTENT));
            }
            if content.len() > 2048 {
                return Err(ApiError::with_hint(
                    codes::CONTENT_TOO_LARGE,
                    "content exceeds 2048 bytes",
                ));
            }
        }
        "image" | "voice" | "video" | "file" => {
            let media_id = field("media_id");
            if !sandbox.has_media(media_id, None) {
                return Err(ApiError::new(codes::INVALID_MEDIA_ID));
            }
        }
        "textcard" => {
            for name in ["title", "description", "url"] {
                if field(name).is_empty() {
                    return Err(ApiError::invalid(&format!("textcard.{name}")));
                }
            }
        }
        "news" | "mpnews" => {
            let n = section
                .and_then(|s| s.get("articles"))
                .and_then(serde_json::Value::as_array)
                .map_or(0, Vec::len);
            if !(1..=8).contains(&n) {
                return Err(ApiError::invalid("articles must hold 1 to 8 items"));
            }
        }
        "miniprogram_notice" | "template_card" => {
            if section.is_none() {
                return Err(ApiError::invalid(msgtype));
            }
        }
        _ => return Err(ApiError::new(codes::INVALID_MSGTYPE)),
    }
    Ok(())
}

/// message/send: the agentid must be the token's app (301002); recipients that are not members
/// come back in invaliduser, and when none is valid the answer is 81013.
pub(super) fn message_send(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let msg: serde_json::Value = parse_json(body)?;
    if !msg.is_object() {
        return Err(ApiError::invalid("the body must be a JSON object"));
    }
    let agentid = match msg.get("agentid") {
        None | Some(serde_json::Value::Null) => return Err(ApiError::new(codes::MISSING_AGENTID)),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(ApiError::new(codes::INVALID_AGENTID)),
    };
    if agentid.is_empty() || !agentid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::new(codes::INVALID_AGENTID));
    }
    if agentid != sandbox.corp().app.agent_id {
        return Err(ApiError::new(codes::AGENT_MISMATCH));
    }
    let msgtype = msg
        .get("msgtype")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    check_content(sandbox, &msg, &msgtype)?;

    let users = split_ids(msg.get("touser"));
    let parties = split_ids(msg.get("toparty"));
    let tags = split_ids(msg.get("totag"));
    if users.len() > 1000 || parties.len() > 100 || tags.len() > 100 {
        return Err(ApiError::invalid(
            "at most 1000 users, 100 parties and 100 tags",
        ));
    }
    let (valid, invalid_users, invalid_parties) = {
        let corp = sandbox.corp();
        let mut valid: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        let mut invalid_users = Vec::new();
        for u in &users {
            if u == "@all" {
                for m in &corp.members {
                    if seen.insert(m.userid.clone()) {
                        valid.push(m.userid.clone());
                    }
                }
            } else if corp.member(u).is_some() {
                if seen.insert(u.clone()) {
                    valid.push(u.clone());
                }
            } else {
                invalid_users.push(u.clone());
            }
        }
        let mut invalid_parties = Vec::new();
        for p in &parties {
            let Some(id) = p
                .parse::<u32>()
                .ok()
                .filter(|id| corp.departments.iter().any(|d| d.id == *id))
            else {
                invalid_parties.push(p.clone());
                continue;
            };
            for m in corp
                .members
                .iter()
                .filter(|m| m.department_ids.contains(&id))
            {
                if seen.insert(m.userid.clone()) {
                    valid.push(m.userid.clone());
                }
            }
        }
        (valid, invalid_users, invalid_parties)
    };
    // The sandbox has no member tags, so every tag is invalid.
    let invalidtag = tags.join("|");
    if valid.is_empty() {
        let e = ApiError::new(codes::ALL_RECIPIENTS_INVALID);
        return Ok(HttpResponse::Ok().json(SendFailure {
            errcode: e.errcode,
            errmsg: e.errmsg,
            invaliduser: invalid_users.join("|"),
            invalidparty: invalid_parties.join("|"),
            invalidtag,
        }));
    }
    let msgid = random_string(40);
    let sent = SentMessage {
        msgid: msgid.clone(),
        agentid,
        msgtype,
        touser: valid,
        body: msg,
        sent_at: sandbox.now(),
    };
    {
        let mut rt = sandbox.runtime();
        if rt.messages.len() >= MESSAGES_CAP {
            let excess = rt.messages.len() + 1 - MESSAGES_CAP;
            rt.messages.drain(..excess);
        }
        rt.messages.push(sent);
    }
    Ok(ok(SendReply {
        invaliduser: invalid_users.join("|"),
        invalidparty: invalid_parties.join("|"),
        invalidtag,
        unlicenseduser: String::new(),
        msgid,
        response_code: String::new(),
    }))
}
