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
    }))
}

#[derive(Serialize)]
struct UserReply<'a> {
    userid: &'a str,
    name: &'a str,
    department: &'a [u32],
    order: Vec<u32>,
    position: &'a str,
    telephone: &'a str,
    alias: &'a str,
    status: u8,
    main_department: u32,
    is_leader_in_dept: Vec<u8>,
    direct_leader: Vec<String>,
    extattr: ExtAttr,
    external_position: &'a str,
    external_profile: ExternalProfile<'a>,
}

#[derive(Serialize)]
struct ExtAttr {
    attrs: Vec<Attr>,
}

/// One custom field; WeCom sends `text` for type 0 and `web` for type 1.
#[derive(Serialize)]
struct Attr {
    #[serde(rename = "type")]
    kind: u8,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<AttrText>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web: Option<AttrWeb>,
}

#[derive(Serialize)]
struct AttrText {
    value: String,
}

#[derive(Serialize)]
struct AttrWeb {
    url: String,
    title: String,
}

#[derive(Serialize)]
struct ExternalProfile<'a> {
    external_corp_name: &'a str,
    wechat_channels: WechatChannels,
    external_attr: Vec<Attr>,
}

#[derive(Serialize)]
struct WechatChannels {
    nickname: String,
    status: u8,
}

/// user/get as WeCom answers self-built apps created after 2022-06-20: no mobile, email,
/// biz_mail, avatar, thumb_avatar, gender, qr_code or address.
pub(super) fn user_get(sandbox: &Sandbox, query: &Query) -> Result<HttpResponse, ApiError> {
    let userid = query
        .get("userid")
        .ok_or_else(|| ApiError::new(codes::MISSING_USERID))?;
    let corp = sandbox.corp();
    let m = corp
        .member(userid)
        .ok_or_else(|| ApiError::new(codes::USERID_NOT_FOUND))?;
    let department_text = Attr {
        kind: 0,
        name: "工号".to_string(),
        text: Some(AttrText {
            value: m.userid.clone(),
        }),
        web: None,
    };
    let web = |name: &str| Attr {
        kind: 1,
        name: name.to_string(),
        text: None,
        web: Some(AttrWeb {
            url: format!("https://work.weixin.qq.com/u/{}", m.userid),
            title: m.name.clone(),
        }),
    };
    Ok(ok(UserReply {
        userid: &m.userid,
        name: &m.name,
        department: &m.department_ids,
        order: vec![0; m.department_ids.len()],
        position: &m.position,
        telephone: "",
        alias: "",
        status: m.status,
        main_department: m.main_department,
        is_leader_in_dept: vec![0; m.department_ids.len()],
        direct_leader: Vec::new(),
        extattr: ExtAttr {
            attrs: vec![department_text, web("名片")],
        },
        external_position: &m.position,
        external_profile: ExternalProfile {
            external_corp_name: &corp.corp_short_name,
            wechat_channels: WechatChannels {
                nickname: String::new(),
                status: 0,
            },
            external_attr: vec![web("官网")],
        },
    }))
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
