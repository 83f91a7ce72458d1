//! Edits of a member's follow of a contact: externalcontact/mark_tag and remark.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::contacts::{known_member, well_formed_external_userid};
use super::parse_json;
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::{Corp, FollowRec};

#[derive(Deserialize)]
struct MarkTagRequest {
    #[serde(default)]
    userid: Option<String>,
    #[serde(default)]
    external_userid: Option<String>,
    #[serde(default)]
    add_tag: Vec<String>,
    #[serde(default)]
    remove_tag: Vec<String>,
}

/// The follow the request names: 41009/40003 for the member, 40096/84061 for the contact.
fn follow_of<'c>(
    corp: &'c mut Corp,
    userid: Option<&str>,
    external_userid: Option<&str>,
) -> Result<&'c mut FollowRec, ApiError> {
    let userid = known_member(corp, userid)?.to_string();
    let ext = external_userid.unwrap_or_default();
    if !well_formed_external_userid(ext) {
        return Err(ApiError::new(codes::INVALID_EXTERNAL_USERID));
    }
    corp.contact_mut(ext)
        .and_then(|c| c.follow_mut(&userid))
        .ok_or_else(|| ApiError::new(codes::NO_EXTERNAL_CONTACT))
}

/// externalcontact/mark_tag: both lists empty → 40058; an unknown tag → 40068.
pub(super) fn mark_tag(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: MarkTagRequest = parse_json(body)?;
    let mut corp = sandbox.corp_mut();
    // Checked before the tags so a bad member or contact is reported first, as WeCom does.
    follow_of(
        &mut corp,
        req.userid.as_deref(),
        req.external_userid.as_deref(),
    )?;
    if req.add_tag.is_empty() && req.remove_tag.is_empty() {
        return Err(ApiError::invalid(
            "add_tag and remove_tag cannot both be empty",
        ));
    }
    if let Some(bad) = req
        .add_tag
        .iter()
        .chain(&req.remove_tag)
        .find(|t| corp.tag(t).is_none())
    {
        return Err(ApiError::with_hint(codes::INVALID_TAG_ID, bad));
    }
    let follow = follow_of(
        &mut corp,
        req.userid.as_deref(),
        req.external_userid.as_deref(),
    )?;
    let tags = &mut follow.info.tag_ids;
    for t in &req.add_tag {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    tags.retain(|t| !req.remove_tag.contains(t));
    Ok(ok(Empty {}))
}

#[derive(Serialize)]
struct Empty {}

#[derive(Deserialize)]
struct RemarkRequest {
    #[serde(default)]
    userid: Option<String>,
    #[serde(default)]
    external_userid: Option<String>,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    remark_company: Option<String>,
    #[serde(default)]
    remark_mobiles: Option<Vec<String>>,
    #[serde(default)]
    remark_pic_mediaid: Option<String>,
}

/// externalcontact/remark: absent fields stay as they are; remark ≤ 20, description ≤ 150 and
/// remark_company ≤ 20 characters (40058 beyond); remark_mobiles replaces the list ([""]
/// clears it). remark_company applies only to WeChat contacts, as WeCom documents.
pub(super) fn remark(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: RemarkRequest = parse_json(body)?;
    let too_long =
        |v: &Option<String>, max: usize| v.as_ref().is_some_and(|s| s.chars().count() > max);
    if req.remark.is_none()
        && req.description.is_none()
        && req.remark_company.is_none()
        && req.remark_mobiles.is_none()
        && req.remark_pic_mediaid.is_none()
    {
        return Err(ApiError::invalid("nothing to change"));
    }
    if too_long(&req.remark, 20) {
        return Err(ApiError::invalid("remark is longer than 20 characters"));
    }
    if too_long(&req.description, 150) {
        return Err(ApiError::invalid(
            "description is longer than 150 characters",
        ));
    }
    if too_long(&req.remark_company, 20) {
        return Err(ApiError::invalid(
            "remark_company is longer than 20 characters",
        ));
    }
    if let Some(media_id) = req.remark_pic_mediaid.as_deref().filter(|m| !m.is_empty())
        && !sandbox.has_media(media_id, Some("image"))
    {
        return Err(ApiError::new(codes::INVALID_MEDIA_ID));
    }
    let mut corp = sandbox.corp_mut();
    let userid = req.userid.as_deref();
    let ext = req.external_userid.as_deref();
    follow_of(&mut corp, userid, ext)?;
    let is_wechat = ext
        .and_then(|e| corp.contact(e))
        .is_some_and(|c| c.contact.contact_type == 1);
    let follow = follow_of(&mut corp, userid, ext)?;
    let info = &mut follow.info;
    if let Some(r) = req.remark {
        info.remark = r;
    }
    if let Some(d) = req.description {
        info.description = d;
    }
    if let Some(c) = req.remark_company
        && is_wechat
    {
        info.remark_corp_name = c;
    }
    if let Some(m) = req.remark_mobiles {
        info.remark_mobiles = m.into_iter().filter(|s| !s.is_empty()).collect();
    }
    Ok(ok(Empty {}))
}

// ---------------------------------------------------------------------------------------------
