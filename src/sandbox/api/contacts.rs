//! External contacts: externalcontact/list, get and batch/get_by_user.

use std::collections::HashSet;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::{Query, parse_json, pos};
use crate::sandbox::Sandbox;
use crate::sandbox::cursor::{self, CursorKind};
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::{ContactRec, Corp, FollowRec};

/// externalcontact/get pages follow_user at 500.
const FOLLOW_PAGE: usize = 500;

/// A plausible external_userid: "wm"/"wo" and up to 64 characters of [A-Za-z0-9_-]. Anything
/// else is "malformed" (40096) rather than "unknown" (84061).
pub(super) fn well_formed_external_userid(id: &str) -> bool {
    (id.starts_with("wm") || id.starts_with("wo"))
        && (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The member named by `userid` in an external-contact API: 41009 missing, 40003 unknown.
pub(super) fn known_member<'a>(corp: &Corp, userid: Option<&'a str>) -> Result<&'a str, ApiError> {
    let userid = userid
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::new(codes::MISSING_USERID))?;
    if corp.member(userid).is_none() {
        return Err(ApiError::with_hint(codes::INVALID_USERID, userid));
    }
    Ok(userid)
}

#[derive(Serialize)]
struct ContactListReply {
    external_userid: Vec<String>,
}

/// externalcontact/list: a member without customers answers 84061, as WeCom does.
pub(super) fn contact_list(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let corp = sandbox.corp();
    let userid = known_member(&corp, query.get("userid"))?;
    let mut seen = HashSet::new();
    let external_userid: Vec<String> = corp
        .member_follows
        .get(userid)
        .into_iter()
        .flatten()
        .filter_map(|&r| corp.follow_at(r))
        .map(|(c, _)| c.contact.external_userid.clone())
        .filter(|id| seen.insert(id.clone()))
        .collect();
    if external_userid.is_empty() {
        return Err(ApiError::new(codes::NO_EXTERNAL_CONTACT));
    }
    Ok(ok(ContactListReply { external_userid }))
}

#[derive(Serialize)]
struct ContactJson<'a> {
    external_userid: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    contact_type: u8,
    avatar: &'a str,
    gender: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    unionid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    corp_full_name: Option<&'a str>,
}

fn contact_json(rec: &ContactRec) -> ContactJson<'_> {
    let c = &rec.contact;
    ContactJson {
        external_userid: &c.external_userid,
        name: &c.name,
        contact_type: c.contact_type,
        avatar: &c.avatar,
        gender: c.gender,
        unionid: c.unionid.as_deref(),
        position: c.position.as_deref(),
        corp_name: c.corp_name.as_deref(),
        corp_full_name: c.corp_full_name.as_deref(),
    }
}

#[derive(Serialize)]
struct FollowTagJson<'a> {
    group_name: &'a str,
    tag_name: &'a str,
    tag_id: &'a str,
    /// 1 corp tag (the only kind the sandbox has).
    #[serde(rename = "type")]
    tag_type: u8,
}

#[derive(Serialize)]
struct FollowUserJson<'a> {
    userid: &'a str,
    remark: &'a str,
    description: &'a str,
    createtime: i64,
    tags: Vec<FollowTagJson<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    remark_corp_name: &'a str,
    remark_mobiles: &'a [String],
    oper_userid: &'a str,
    add_way: i32,
    #[serde(skip_serializing_if = "str::is_empty")]
    state: &'a str,
}

fn follow_user_json<'a>(corp: &'a Corp, f: &'a FollowRec) -> FollowUserJson<'a> {
    let i = &f.info;
    FollowUserJson {
        userid: &i.userid,
        remark: &i.remark,
        description: &i.description,
        createtime: i.createtime,
        tags: i
            .tag_ids
            .iter()
            .filter_map(|id| corp.tag(id))
            .map(|(g, t)| FollowTagJson {
                group_name: &g.group_name,
                tag_name: &t.tag.name,
                tag_id: &t.tag.id,
                tag_type: 1,
            })
            .collect(),
        remark_corp_name: &i.remark_corp_name,
        remark_mobiles: &i.remark_mobiles,
        oper_userid: &i.oper_userid,
        add_way: i.add_way,
        state: &i.state,
    }
}

#[derive(Serialize)]
struct ContactGetReply<'a> {
    external_contact: ContactJson<'a>,
    follow_user: Vec<FollowUserJson<'a>>,
    next_cursor: String,
}

/// externalcontact/get: follow_user is paged at 500 with a real cursor.
pub(super) fn contact_get(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let id = query.get("external_userid").unwrap_or_default();
    if !well_formed_external_userid(id) {
        return Err(ApiError::new(codes::INVALID_EXTERNAL_USERID));
    }
    let corp = sandbox.corp();
    let rec = corp
        .contact(id)
        .filter(|c| c.has_active_follow())
        .ok_or_else(|| ApiError::new(codes::NO_EXTERNAL_CONTACT))?;
    let fp = cursor::fingerprint([id]);
    let (start, _) = cursor::decode(
        query.get("cursor").unwrap_or_default(),
        CursorKind::ExternalContactGet,
        fp,
    )?;
    let mut follow_user = Vec::new();
    let mut next = None;
    for (i, f) in rec.follows.iter().enumerate().skip(start as usize) {
        if !f.active {
            continue;
        }
        if follow_user.len() == FOLLOW_PAGE {
            next = Some(i);
            break;
        }
        follow_user.push(follow_user_json(&corp, f));
    }
    let next_cursor = next
        .map(|i| cursor::encode(CursorKind::ExternalContactGet, fp, pos(i), 0))
        .unwrap_or_default();
    Ok(ok(ContactGetReply {
        external_contact: contact_json(rec),
        follow_user,
        next_cursor,
    }))
}

#[derive(Deserialize)]
struct BatchGetByUserRequest {
    #[serde(default)]
    userid_list: Vec<String>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Serialize)]
struct FollowInfoJson<'a> {
    userid: &'a str,
    remark: &'a str,
    description: &'a str,
    createtime: i64,
    tag_id: Vec<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    remark_corp_name: &'a str,
    remark_mobiles: &'a [String],
    oper_userid: &'a str,
    add_way: i32,
    #[serde(skip_serializing_if = "str::is_empty")]
    state: &'a str,
}

#[derive(Serialize)]
struct BatchItem<'a> {
    external_contact: ContactJson<'a>,
    follow_info: FollowInfoJson<'a>,
}

#[derive(Serialize)]
struct BatchReply<'a> {
    external_contact_list: Vec<BatchItem<'a>>,
    next_cursor: String,
}

/// externalcontact/batch/get_by_user: one item per (member, contact) follow, members in request
/// order and each member's follows in the order they were added.
pub(super) fn batch_get_by_user(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: BatchGetByUserRequest = parse_json(body)?;
    if req.userid_list.is_empty() || req.userid_list.len() > 100 {
        return Err(ApiError::invalid("userid_list must hold 1 to 100 userids"));
    }
    let limit = match req.limit {
        None => 50,
        Some(l @ 1..=100) => l as usize,
        Some(_) => return Err(ApiError::invalid("limit must be 1 to 100")),
    };
    let corp = sandbox.corp();
    // Duplicates would make the walk return the same follows twice; WeCom answers each once.
    let mut seen = HashSet::new();
    let users: Vec<&str> = req
        .userid_list
        .iter()
        .map(String::as_str)
        .filter(|u| seen.insert(*u))
        .collect();
    for u in &users {
        known_member(&corp, Some(u))?;
    }
    let fp = cursor::fingerprint(users.iter().copied());
    let (start_user, start_follow) = cursor::decode(
        req.cursor.as_deref().unwrap_or_default(),
        CursorKind::BatchGetByUser,
        fp,
    )?;
    let mut items = Vec::with_capacity(limit);
    let mut next = None;
    'users: for (ui, u) in users.iter().enumerate().skip(start_user as usize) {
        let refs = corp
            .member_follows
            .get(*u)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let from = if ui == start_user as usize {
            start_follow as usize
        } else {
            0
        };
        for (fi, &r) in refs.iter().enumerate().skip(from) {
            let Some((c, f)) = corp.follow_at(r) else {
                continue;
            };
            if items.len() == limit {
                next = Some((ui, fi));
                break 'users;
            }
            let i = &f.info;
            items.push(BatchItem {
                external_contact: contact_json(c),
                follow_info: FollowInfoJson {
                    userid: &i.userid,
                    remark: &i.remark,
                    description: &i.description,
                    createtime: i.createtime,
                    tag_id: i
                        .tag_ids
                        .iter()
                        .filter(|t| corp.tag(t).is_some())
                        .map(String::as_str)
                        .collect(),
                    remark_corp_name: &i.remark_corp_name,
                    remark_mobiles: &i.remark_mobiles,
                    oper_userid: &i.oper_userid,
                    add_way: i.add_way,
                    state: &i.state,
                },
            });
        }
    }
    let next_cursor = next
        .map(|(u, f)| cursor::encode(CursorKind::BatchGetByUser, fp, pos(u), pos(f)))
        .unwrap_or_default();
    Ok(ok(BatchReply {
        external_contact_list: items,
        next_cursor,
    }))
}

// ---------------------------------------------------------------------------------------------
