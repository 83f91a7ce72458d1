//! Members: auth/getuserinfo, user/get and externalcontact/get_follow_user_list.

use actix_web::HttpResponse;
use serde::Serialize;

use super::Query;
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::random_string;

#[derive(Serialize)]
struct UserInfoReply {
    userid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in: Option<i64>,
}

/// auth/getuserinfo: codes are single use and live five minutes (40029 otherwise).
pub(super) fn getuserinfo(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let code = query
        .get("code")
        .ok_or_else(|| ApiError::new(codes::MISSING_OAUTH_CODE))?;
    let now = sandbox.now();
    let rec = sandbox.runtime().codes.remove(code);
    let rec = rec
        .filter(|r| now < r.expires_at)
        .ok_or_else(|| ApiError::new(codes::INVALID_OAUTH_CODE))?;
    Ok(ok(UserInfoReply {
        userid: rec.userid,
        user_ticket: rec.private_info.then(|| random_string(64)),
        expires_in: rec.private_info.then_some(1800),
    }))
}

#[derive(Serialize)]
struct UserReply<'a> {
    userid: &'a str,
    name: &'a str,
    department: &'a [u32],
    order: Vec<u32>,
    position: &'a str,
    /// WeCom sends the gender as a string.
    gender: String,
    avatar: &'a str,
    thumb_avatar: String,
    telephone: &'a str,
    alias: &'a str,
    status: u8,
    main_department: u32,
    is_leader_in_dept: Vec<u8>,
    direct_leader: Vec<String>,
}

/// user/get without mobile or email, as WeCom answers apps created after 2022-06-20.
pub(super) fn user_get(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let userid = query
        .get("userid")
        .ok_or_else(|| ApiError::new(codes::MISSING_USERID))?;
    let corp = sandbox.corp();
    let m = corp
        .member(userid)
        .ok_or_else(|| ApiError::new(codes::USERID_NOT_FOUND))?;
    Ok(ok(UserReply {
        userid: &m.userid,
        name: &m.name,
        department: &m.department_ids,
        order: vec![0; m.department_ids.len()],
        position: &m.position,
        gender: m.gender.to_string(),
        avatar: &m.avatar,
        thumb_avatar: thumb(&m.avatar),
        telephone: "",
        alias: "",
        status: m.status,
        main_department: m.main_department,
        is_leader_in_dept: vec![0; m.department_ids.len()],
        direct_leader: Vec::new(),
    }))
}

/// WeCom's thumbnail is the avatar URL with size 100 instead of 0.
fn thumb(avatar: &str) -> String {
    match avatar.strip_suffix("/0") {
        Some(stem) => format!("{stem}/100"),
        None => avatar.to_string(),
    }
}

#[derive(Serialize)]
struct FollowUserListReply {
    follow_user: Vec<String>,
}

pub(super) fn follow_user_list(sandbox: &Sandbox) -> Result<HttpResponse, ApiError> {
    let corp = sandbox.corp();
    let follow_user = corp
        .members
        .iter()
        .filter(|m| m.is_follow_user)
        .map(|m| m.userid.clone())
        .collect();
    Ok(ok(FollowUserListReply { follow_user }))
}

// ---------------------------------------------------------------------------------------------
