//! Corp tags: externalcontact/get_corp_tag_list and add_corp_tag.

use std::collections::HashSet;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::parse_json;
use crate::sandbox::Sandbox;
use crate::sandbox::errors::{self as codes, ApiError, ok};
use crate::sandbox::state::TagGroupRec;
use crate::seed::{WecomTag, WecomTagGroup};

#[derive(Deserialize)]
struct TagListRequest {
    #[serde(default)]
    tag_id: Vec<String>,
    #[serde(default)]
    group_id: Vec<String>,
}

#[derive(Serialize)]
struct TagJson<'a> {
    id: &'a str,
    name: &'a str,
    create_time: i64,
    order: u32,
    deleted: bool,
}

#[derive(Serialize)]
struct TagGroupJson<'a> {
    group_id: &'a str,
    group_name: &'a str,
    create_time: i64,
    order: u32,
    deleted: bool,
    tag: Vec<TagJson<'a>>,
}

#[derive(Serialize)]
struct TagListReply<'a> {
    tag_group: Vec<TagGroupJson<'a>>,
}

/// externalcontact/get_corp_tag_list: group_id wins over tag_id when both are given (WeCom's
/// rule); larger `order` first, for groups and for tags.
pub(super) fn get_corp_tag_list(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    // An empty body asks for everything, as WeCom allows.
    let req: TagListRequest = if body.iter().all(u8::is_ascii_whitespace) {
        TagListRequest {
            tag_id: Vec::new(),
            group_id: Vec::new(),
        }
    } else {
        parse_json(body)?
    };
    let corp = sandbox.corp();
    let by_group: HashSet<&str> = req.group_id.iter().map(String::as_str).collect();
    let by_tag: HashSet<&str> = req.tag_id.iter().map(String::as_str).collect();
    let mut groups: Vec<&TagGroupRec> = corp.tag_groups.iter().filter(|g| !g.deleted).collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.order));
    let mut out = Vec::new();
    for g in groups {
        if !by_group.is_empty() && !by_group.contains(g.group_id.as_str()) {
            continue;
        }
        let mut tags: Vec<_> = g
            .tags
            .iter()
            .filter(|t| !t.deleted)
            .filter(|t| {
                !by_group.is_empty() || by_tag.is_empty() || by_tag.contains(t.tag.id.as_str())
            })
            .collect();
        if tags.is_empty() && by_group.is_empty() && !by_tag.is_empty() {
            continue;
        }
        tags.sort_by_key(|t| std::cmp::Reverse(t.tag.order));
        out.push(TagGroupJson {
            group_id: &g.group_id,
            group_name: &g.group_name,
            create_time: g.create_time,
            order: g.order,
            deleted: false,
            tag: tags
                .into_iter()
                .map(|t| TagJson {
                    id: &t.tag.id,
                    name: &t.tag.name,
                    create_time: t.tag.create_time,
                    order: t.tag.order,
                    deleted: false,
                })
                .collect(),
        });
    }
    Ok(ok(TagListReply { tag_group: out }))
}

#[derive(Deserialize)]
struct NewTagRequest {
    #[serde(default)]
    name: String,
    #[serde(default)]
    order: Option<u32>,
}

#[derive(Deserialize)]
struct AddCorpTagRequest {
    #[serde(default)]
    group_id: Option<String>,
    #[serde(default)]
    group_name: Option<String>,
    #[serde(default)]
    order: Option<u32>,
    #[serde(default)]
    tag: Vec<NewTagRequest>,
}

#[derive(Serialize)]
struct NewTagGroupJson {
    group_id: String,
    group_name: String,
    create_time: i64,
    order: u32,
    /// WeCom names the list `tag`; the dataset type calls it `tags`.
    tag: Vec<WecomTag>,
}

#[derive(Serialize)]
struct AddCorpTagReply {
    tag_group: NewTagGroupJson,
}

/// Tag and group names: 1 to 30 characters (40072 otherwise).
fn check_tag_name(name: &str) -> Result<(), ApiError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 30 {
        return Err(ApiError::with_hint(codes::INVALID_TAG_NAME_LENGTH, name));
    }
    Ok(())
}

/// externalcontact/add_corp_tag: adds to the group named by group_id (40068 if unknown) or by
/// an existing group_name, else creates the group. Answers only the new tags.
pub(super) fn add_corp_tag(sandbox: &Sandbox, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let req: AddCorpTagRequest = parse_json(body)?;
    if req.tag.is_empty() {
        return Err(ApiError::invalid("tag must not be empty"));
    }
    for t in &req.tag {
        check_tag_name(&t.name)?;
    }
    let mut names = HashSet::new();
    for t in &req.tag {
        if !names.insert(t.name.trim()) {
            return Err(ApiError::with_hint(codes::TAG_NAME_EXISTS, &t.name));
        }
    }
    let now = sandbox.now().timestamp();
    let mut corp = sandbox.corp_mut();
    if corp.live_tag_count().saturating_add(req.tag.len()) > 3000 {
        return Err(ApiError::new(codes::TOO_MANY_CORP_TAGS));
    }
    let group_id = req.group_id.as_deref().filter(|g| !g.is_empty());
    let group_name = req
        .group_name
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty());
    let existing = match (group_id, group_name) {
        (Some(id), _) => Some(
            corp.tag_group_index(id)
                .ok_or_else(|| ApiError::with_hint(codes::INVALID_TAG_ID, id))?,
        ),
        (None, Some(name)) => {
            check_tag_name(name)?;
            corp.tag_group_by_name(name)
        }
        (None, None) => return Err(ApiError::invalid("group_id or group_name is required")),
    };
    if let Some(gi) = existing
        && let Some(g) = corp.tag_groups.get(gi)
        && let Some(dup) = req.tag.iter().find(|t| {
            g.tags
                .iter()
                .any(|x| !x.deleted && x.tag.name == t.name.trim())
        })
    {
        return Err(ApiError::with_hint(codes::TAG_NAME_EXISTS, &dup.name));
    }
    let gi = match existing {
        Some(gi) => gi,
        None => {
            let id = corp.fresh_id("et");
            corp.insert_tag_group(WecomTagGroup {
                group_id: id,
                group_name: group_name.unwrap_or_default().to_string(),
                create_time: now,
                order: req.order.unwrap_or(0),
                tags: Vec::new(),
            })
        }
    };
    let mut added = Vec::with_capacity(req.tag.len());
    for t in &req.tag {
        let id = corp.fresh_id("et");
        if let Some(tag) = corp.push_tag(
            gi,
            WecomTag {
                id,
                name: t.name.trim().to_string(),
                create_time: now,
                order: t.order.unwrap_or(0),
            },
        ) {
            added.push(tag);
        }
    }
    let g = corp
        .tag_groups
        .get(gi)
        .ok_or_else(|| ApiError::new(codes::SYSTEM_BUSY))?;
    Ok(ok(AddCorpTagReply {
        tag_group: NewTagGroupJson {
            group_id: g.group_id.clone(),
            group_name: g.group_name.clone(),
            create_time: g.create_time,
            order: g.order,
            tag: added,
        },
    }))
}
