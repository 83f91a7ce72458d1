//! Customer groups: externalcontact/groupchat/list and groupchat/get.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::{parse_json, pos};
use crate::sandbox::Sandbox;
use crate::sandbox::cursor::{self, CursorKind};
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::GroupRec;

#[derive(Deserialize, Default)]
struct OwnerFilter {
    #[serde(default)]
    userid_list: Vec<String>,
}

#[derive(Deserialize)]
struct GroupChatListRequest {
    #[serde(default)]
    status_filter: Option<i64>,
    #[serde(default)]
    owner_filter: Option<OwnerFilter>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Serialize)]
struct GroupChatStatusJson<'a> {
    chat_id: &'a str,
    status: u8,
}

#[derive(Serialize)]
struct GroupChatListReply<'a> {
    group_chat_list: Vec<GroupChatStatusJson<'a>>,
    next_cursor: String,
}

/// externalcontact/groupchat/list in creation order, optionally by status and owner.
pub(super) fn groupchat_list(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: GroupChatListRequest = parse_json(body)?;
    let limit = match req.limit {
        Some(l @ 1..=1000) => l as usize,
        _ => return Err(ApiError::invalid("limit must be 1 to 1000")),
    };
    let status = match req.status_filter {
        None | Some(0) => None,
        Some(s @ 1..=3) => Some(s as u8),
        Some(_) => return Err(ApiError::invalid("status_filter must be 0 to 3")),
    };
    let owners = req.owner_filter.unwrap_or_default().userid_list;
    if owners.len() > 100 {
        return Err(ApiError::invalid(
            "owner_filter.userid_list holds at most 100 userids",
        ));
    }
    let mut owners_sorted: Vec<&str> = owners.iter().map(String::as_str).collect();
    owners_sorted.sort_unstable();
    owners_sorted.dedup();
    let status_part = status.map(|s| s.to_string()).unwrap_or_default();
    let fp = cursor::fingerprint(
        std::iter::once(status_part.as_str()).chain(owners_sorted.iter().copied()),
    );
    let (start, _) = cursor::decode(
        req.cursor.as_deref().unwrap_or_default(),
        CursorKind::GroupChatList,
        fp,
    )?;
    let corp = sandbox.corp();
    let matches = |g: &GroupRec| !g.dismissed && status.is_none_or(|s| g.status == s);

    let mut list = Vec::with_capacity(limit.min(1000));
    let mut next = None;
    if owners_sorted.is_empty() {
        for (gi, g) in corp.groups.iter().enumerate().skip(start as usize) {
            if !matches(g) {
                continue;
            }
            if list.len() == limit {
                next = Some(gi);
                break;
            }
            list.push(GroupChatStatusJson {
                chat_id: &g.chat.chat_id,
                status: g.status,
            });
        }
    } else {
        // Only the owners' groups are candidates: merge their (ascending) index lists.
        let mut candidates: Vec<u32> = owners_sorted
            .iter()
            .filter_map(|o| corp.owner_groups.get(*o))
            .flat_map(|l| l.iter().copied().filter(|&g| g >= start))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for gi in candidates {
            let Some(g) = corp.groups.get(gi as usize) else {
                continue;
            };
            if !matches(g) {
                continue;
            }
            if list.len() == limit {
                next = Some(gi as usize);
                break;
            }
            list.push(GroupChatStatusJson {
                chat_id: &g.chat.chat_id,
                status: g.status,
            });
        }
    }
    let next_cursor = next
        .map(|gi| cursor::encode(CursorKind::GroupChatList, fp, pos(gi), 0))
        .unwrap_or_default();
    Ok(ok(GroupChatListReply {
        group_chat_list: list,
        next_cursor,
    }))
}

#[derive(Deserialize)]
struct GroupChatGetRequest {
    #[serde(default)]
    chat_id: String,
    #[serde(default)]
    need_name: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct UseridJson<'a> {
    userid: &'a str,
}

#[derive(Serialize)]
struct GroupMemberJson<'a> {
    userid: &'a str,
    #[serde(rename = "type")]
    member_type: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<&'a str>,
    join_time: i64,
    join_scene: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitor: Option<UseridJson<'a>>,
    group_nickname: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct GroupChatJson<'a> {
    chat_id: &'a str,
    name: &'a str,
    owner: &'a str,
    create_time: i64,
    notice: &'a str,
    member_list: Vec<GroupMemberJson<'a>>,
    admin_list: Vec<UseridJson<'a>>,
    member_version: String,
}

#[derive(Serialize)]
struct GroupChatGetReply<'a> {
    group_chat: GroupChatJson<'a>,
}

/// `1`, `"1"` and `true` all mean yes (clients differ in how they send flags).
fn flag(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_i64() == Some(1),
        Some(serde_json::Value::String(s)) => s == "1",
        Some(serde_json::Value::Bool(b)) => *b,
        _ => false,
    }
}

/// externalcontact/groupchat/get: member names only with need_name=1; unknown chats 90501.
pub(super) fn groupchat_get(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: GroupChatGetRequest = parse_json(body)?;
    if req.chat_id.is_empty() {
        return Err(ApiError::invalid("chat_id"));
    }
    let need_name = flag(req.need_name.as_ref());
    let corp = sandbox.corp();
    let g = corp
        .group(&req.chat_id)
        .ok_or_else(|| ApiError::new(codes::NOT_CUSTOMER_GROUP))?;
    let c = &g.chat;
    Ok(ok(GroupChatGetReply {
        group_chat: GroupChatJson {
            chat_id: &c.chat_id,
            name: &c.name,
            owner: &c.owner,
            create_time: c.create_time,
            notice: &c.notice,
            member_list: c
                .members
                .iter()
                .map(|m| GroupMemberJson {
                    userid: &m.userid,
                    member_type: m.member_type,
                    unionid: m.unionid.as_deref(),
                    join_time: m.join_time,
                    join_scene: m.join_scene,
                    invitor: m.invitor.as_deref().map(|u| UseridJson { userid: u }),
                    group_nickname: &m.group_nickname,
                    name: need_name.then_some(m.name.as_str()),
                })
                .collect(),
            admin_list: c
                .admin_list
                .iter()
                .map(|u| UseridJson { userid: u })
                .collect(),
            member_version: g.member_version(),
        },
    }))
}

// ---------------------------------------------------------------------------------------------
