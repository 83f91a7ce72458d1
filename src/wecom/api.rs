//! Typed WeCom server API: request/response shapes and the `WecomApi` trait.
//!
//! Field names are WeCom's own (snake_case as on the wire). Responses use
//! `#[serde(default)]` generously because WeCom omits fields freely (e.g. no
//! `mobile` for apps created after 2022-06-20, no `position` for WeChat
//! customers) and a missing optional field must not fail a whole sync.
//!
//! Every method takes the `access_token` explicitly: caching, single-flight
//! refresh and invalidate-and-retry-once live in the token layer, which can
//! then wrap any `WecomApi` (the HTTP one or a test double).

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Deserializer, Serialize};

use super::errors::WecomError;

/// API names used in errors and logs. They are the path below `/cgi-bin/`,
/// which identifies the call without ever carrying a secret.
pub mod names {
    pub const GET_TOKEN: &str = "gettoken";
    pub const GET_JSAPI_TICKET: &str = "get_jsapi_ticket";
    pub const GET_AGENT_CONFIG_TICKET: &str = "ticket/get";
    pub const AUTH_GET_USER_INFO: &str = "auth/getuserinfo";
    pub const USER_GET: &str = "user/get";
    pub const GET_FOLLOW_USER_LIST: &str = "externalcontact/get_follow_user_list";
    pub const EXTERNAL_CONTACT_LIST: &str = "externalcontact/list";
    pub const EXTERNAL_CONTACT_GET: &str = "externalcontact/get";
    pub const EXTERNAL_CONTACT_BATCH_GET: &str = "externalcontact/batch/get_by_user";
    pub const GROUP_CHAT_LIST: &str = "externalcontact/groupchat/list";
    pub const GROUP_CHAT_GET: &str = "externalcontact/groupchat/get";
    pub const GET_CORP_TAG_LIST: &str = "externalcontact/get_corp_tag_list";
    pub const ADD_CORP_TAG: &str = "externalcontact/add_corp_tag";
    pub const MARK_TAG: &str = "externalcontact/mark_tag";
    pub const REMARK: &str = "externalcontact/remark";
    pub const MEDIA_UPLOAD: &str = "media/upload";
    pub const MESSAGE_SEND: &str = "message/send";
}

// ---------------------------------------------------------------------------
// Lenient deserialisation helpers
// ---------------------------------------------------------------------------

/// `null` → `T::default()`; plain `#[serde(default)]` only covers absence.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Int(i64),
    Float(f64),
}

/// Some WeCom fields are documented as strings but sent as numbers or the
/// other way round (`created_at: "1380000000"`, user `gender: "1"`).
fn opt_string_or_number<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<StrOrNum>::deserialize(d)? {
        None => None,
        Some(StrOrNum::Str(s)) => Some(s),
        Some(StrOrNum::Int(i)) => Some(i.to_string()),
        Some(StrOrNum::Float(f)) => Some(f.to_string()),
    })
}

/// Integer that may arrive as a decimal string; unparsable/absent → 0.
fn lenient_i64<'de, D>(d: D) -> Result<i64, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<StrOrNum>::deserialize(d)? {
        None => 0,
        Some(StrOrNum::Int(i)) => i,
        Some(StrOrNum::Str(s)) => s.trim().parse().unwrap_or(0),
        // Float timestamps do not occur in practice; truncation is fine.
        Some(StrOrNum::Float(f)) => f as i64,
    })
}

/// WeCom signals "no more pages" with an absent or empty `next_cursor`;
/// `None` makes pagination loops (`while let Some(c) = next`) natural.
fn cursor<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.is_empty()))
}

fn invalid(api: &'static str, message: impl Into<String>) -> WecomError {
    WecomError::InvalidRequest {
        api,
        message: message.into(),
    }
}

/// Rejects empty identifiers locally: WeCom would answer with a generic
/// errcode after spending quota, and an empty id is always a caller bug.
pub fn require_non_empty(api: &'static str, field: &str, value: &str) -> Result<(), WecomError> {
    if value.trim().is_empty() {
        Err(invalid(api, format!("{field} must not be empty")))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Tokens and tickets
// ---------------------------------------------------------------------------

/// `gettoken` result. Debug is redacted: tokens must never reach logs.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    /// Seconds; normally 7200.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: i64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// JS-SDK ticket (corp `jsapi_ticket` or app `agent_config` ticket).
/// Debug is redacted: a ticket lets anyone sign JS-SDK configs for the corp.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Ticket {
    pub ticket: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: i64,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("ticket", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// OAuth
// ---------------------------------------------------------------------------

/// Who opened the page, from `auth/getuserinfo`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "OAuthIdentityRaw")]
pub enum OAuthIdentity {
    /// A member of the corp. `user_ticket` is only returned for
    /// `snsapi_privateinfo` and is a credential (Debug redacts it).
    Member {
        userid: String,
        user_ticket: Option<String>,
    },
    /// Someone outside the corp; `external_userid` only when they are a
    /// customer of the corp.
    NonMember {
        openid: String,
        external_userid: Option<String>,
    },
}

impl OAuthIdentity {
    pub fn userid(&self) -> Option<&str> {
        match self {
            Self::Member { userid, .. } => Some(userid),
            Self::NonMember { .. } => None,
        }
    }
}

impl fmt::Debug for OAuthIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member {
                userid,
                user_ticket,
            } => f
                .debug_struct("Member")
                .field("userid", userid)
                .field("user_ticket", &user_ticket.as_ref().map(|_| "<redacted>"))
                .finish(),
            Self::NonMember {
                openid,
                external_userid,
            } => f
                .debug_struct("NonMember")
                .field("openid", openid)
                .field("external_userid", external_userid)
                .finish(),
        }
    }
}

/// Wire shape. The capitalised aliases are the old `user/getuserinfo`
/// spelling, accepted so a sandbox replaying old fixtures still works.
#[derive(Deserialize)]
struct OAuthIdentityRaw {
    #[serde(default, alias = "UserId")]
    userid: Option<String>,
    #[serde(default)]
    user_ticket: Option<String>,
    #[serde(default, alias = "OpenId")]
    openid: Option<String>,
    #[serde(default)]
    external_userid: Option<String>,
}

impl TryFrom<OAuthIdentityRaw> for OAuthIdentity {
    type Error = &'static str;

    fn try_from(raw: OAuthIdentityRaw) -> Result<Self, Self::Error> {
        let non_empty = |s: Option<String>| s.filter(|v| !v.is_empty());
        if let Some(userid) = non_empty(raw.userid) {
            Ok(Self::Member {
                userid,
                user_ticket: non_empty(raw.user_ticket),
            })
        } else if let Some(openid) = non_empty(raw.openid) {
            Ok(Self::NonMember {
                openid,
                external_userid: non_empty(raw.external_userid),
            })
        } else {
            Err("response has neither userid nor openid")
        }
    }
}

// ---------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------

/// `user/get`. Apps created after 2022-06-20 get no mobile/email/avatar etc.
/// from this API, so almost everything is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct User {
    pub userid: String,
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub department: Vec<i64>,
    #[serde(deserialize_with = "nullable")]
    pub order: Vec<i64>,
    pub position: Option<String>,
    pub mobile: Option<String>,
    /// "0" unknown, "1" male, "2" female (a string in `user/get`).
    #[serde(deserialize_with = "opt_string_or_number")]
    pub gender: Option<String>,
    pub email: Option<String>,
    pub biz_mail: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub is_leader_in_dept: Vec<i64>,
    #[serde(deserialize_with = "nullable")]
    pub direct_leader: Vec<String>,
    pub avatar: Option<String>,
    pub thumb_avatar: Option<String>,
    pub telephone: Option<String>,
    pub alias: Option<String>,
    pub address: Option<String>,
    pub open_userid: Option<String>,
    pub main_department: Option<i64>,
    /// 1 active, 2 disabled, 4 not activated, 5 left the corp.
    pub status: Option<i64>,
    pub qr_code: Option<String>,
    pub external_position: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FollowUserListResponse {
    #[serde(deserialize_with = "nullable")]
    pub follow_user: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExternalContactListResponse {
    #[serde(deserialize_with = "nullable")]
    pub external_userid: Vec<String>,
}

// ---------------------------------------------------------------------------
// External contacts (customers)
// ---------------------------------------------------------------------------

/// The customer side of `externalcontact/get` and `batch/get_by_user`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ExternalContact {
    pub external_userid: String,
    pub name: String,
    pub position: Option<String>,
    pub avatar: Option<String>,
    pub corp_name: Option<String>,
    pub corp_full_name: Option<String>,
    /// 1 WeChat user, 2 WeCom user.
    #[serde(rename = "type")]
    pub contact_type: i32,
    /// 0 unknown, 1 male, 2 female.
    pub gender: i32,
    pub unionid: Option<String>,
    /// Free-form `external_attr` / `external_corp_name` / `wechat_channels`
    /// structure; kept raw because the sidebar only displays it.
    pub external_profile: Option<serde_json::Value>,
}

/// Tag as embedded in `externalcontact/get`'s `follow_user[].tags`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FollowUserTag {
    pub group_name: String,
    pub tag_name: String,
    /// Absent for personal tags (type 2).
    pub tag_id: Option<String>,
    /// 1 corp tag, 2 personal tag, 3 rule-group tag.
    #[serde(rename = "type")]
    pub tag_type: i32,
}

/// One member's relationship with a customer: `follow_user[]` in
/// `externalcontact/get` and `follow_info` in `batch/get_by_user`. The two
/// differ only in tags (`tags` objects vs. a `tag_id` list), so one struct
/// with both keeps callers simple.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FollowUser {
    pub userid: String,
    pub remark: String,
    pub description: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub createtime: i64,
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<FollowUserTag>,
    #[serde(deserialize_with = "nullable")]
    pub tag_id: Vec<String>,
    pub remark_corp_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub remark_mobiles: Vec<String>,
    pub oper_userid: Option<String>,
    pub add_way: i32,
    /// The `state` of the contact-me QR code the customer came through.
    pub state: Option<String>,
}

/// `externalcontact/get`. `follow_user` is paged at 500 per call.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ExternalContactDetail {
    pub external_contact: ExternalContact,
    #[serde(deserialize_with = "nullable")]
    pub follow_user: Vec<FollowUser>,
    #[serde(deserialize_with = "cursor")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct BatchGetByUserBody<'a> {
    pub userid_list: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<&'a str>,
    pub limit: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BatchExternalContactItem {
    pub external_contact: ExternalContact,
    pub follow_info: FollowUser,
}

/// Members of `userid_list` for whom nothing could be returned.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BatchFailInfo {
    #[serde(deserialize_with = "nullable")]
    pub unlicensed_userid_list: Vec<String>,
}

/// `externalcontact/batch/get_by_user`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct BatchExternalContacts {
    #[serde(deserialize_with = "nullable")]
    pub external_contact_list: Vec<BatchExternalContactItem>,
    #[serde(deserialize_with = "cursor")]
    pub next_cursor: Option<String>,
    pub fail_info: Option<BatchFailInfo>,
}

pub const BATCH_GET_MAX_USERS: usize = 100;
pub const BATCH_GET_MAX_LIMIT: u32 = 100;

/// Checks `batch/get_by_user` arguments against WeCom's documented bounds.
pub fn validate_batch_get(userid_list: &[String], limit: u32) -> Result<(), WecomError> {
    let api = names::EXTERNAL_CONTACT_BATCH_GET;
    if userid_list.is_empty() || userid_list.len() > BATCH_GET_MAX_USERS {
        return Err(invalid(api, "userid_list must hold 1..=100 userids"));
    }
    if userid_list.iter().any(|u| u.trim().is_empty()) {
        return Err(invalid(api, "userid_list contains an empty userid"));
    }
    if !(1..=BATCH_GET_MAX_LIMIT).contains(&limit) {
        return Err(invalid(api, "limit must be in 1..=100"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Customer groups
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OwnerFilter {
    pub userid_list: Vec<String>,
}

/// `externalcontact/groupchat/list` request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupChatListRequest {
    /// 0 all (default), 1 owner left (待继承), 2 inheriting, 3 inherited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_filter: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_filter: Option<OwnerFilter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// 1..=1000.
    pub limit: u32,
}

impl Default for GroupChatListRequest {
    /// The maximum page size: a full sync then needs the fewest calls.
    fn default() -> Self {
        Self {
            status_filter: None,
            owner_filter: None,
            cursor: None,
            limit: GROUP_CHAT_LIST_MAX_LIMIT,
        }
    }
}

pub const GROUP_CHAT_LIST_MAX_LIMIT: u32 = 1000;

impl GroupChatListRequest {
    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::GROUP_CHAT_LIST;
        if !(1..=GROUP_CHAT_LIST_MAX_LIMIT).contains(&self.limit) {
            return Err(invalid(api, "limit must be in 1..=1000"));
        }
        if self.status_filter.is_some_and(|s| s > 3) {
            return Err(invalid(api, "status_filter must be 0..=3"));
        }
        if let Some(owner) = &self.owner_filter
            && owner.userid_list.len() > 100
        {
            return Err(invalid(
                api,
                "owner_filter.userid_list holds at most 100 userids",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupChatStatus {
    pub chat_id: String,
    /// 0 normal, 1 owner left, 2 inheriting, 3 inherited.
    pub status: i32,
}

/// `externalcontact/groupchat/list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupChatList {
    #[serde(deserialize_with = "nullable")]
    pub group_chat_list: Vec<GroupChatStatus>,
    #[serde(deserialize_with = "cursor")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct GroupChatGetBody<'a> {
    pub chat_id: &'a str,
    pub need_name: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Invitor {
    pub userid: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupChatMember {
    /// Member userid or external_userid, depending on `member_type`.
    pub userid: String,
    /// 1 corp member, 2 external contact.
    #[serde(rename = "type")]
    pub member_type: i32,
    pub unionid: Option<String>,
    #[serde(deserialize_with = "lenient_i64")]
    pub join_time: i64,
    /// 1 invited directly, 2 via invite link, 3 via QR code.
    pub join_scene: i32,
    pub invitor: Option<Invitor>,
    pub group_nickname: Option<String>,
    /// Only with `need_name = 1`.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupChatAdmin {
    pub userid: String,
}

/// `externalcontact/groupchat/get` → `group_chat`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupChat {
    pub chat_id: String,
    pub name: String,
    pub owner: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub create_time: i64,
    pub notice: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub member_list: Vec<GroupChatMember>,
    #[serde(deserialize_with = "nullable")]
    pub admin_list: Vec<GroupChatAdmin>,
    /// Changes whenever membership changes; lets a sync skip unchanged groups.
    pub member_version: Option<String>,
}

/// `group_chat` is required: an ok answer without it is a protocol error,
/// not an empty group.
#[derive(Debug, Deserialize)]
pub(crate) struct GroupChatResponse {
    pub group_chat: GroupChat,
}

// ---------------------------------------------------------------------------
// Corp tags
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CorpTag {
    pub id: String,
    pub name: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub create_time: i64,
    #[serde(deserialize_with = "lenient_i64")]
    pub order: i64,
    pub deleted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TagGroup {
    pub group_id: String,
    pub group_name: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub create_time: i64,
    #[serde(deserialize_with = "lenient_i64")]
    pub order: i64,
    pub deleted: bool,
    #[serde(deserialize_with = "nullable")]
    pub tag: Vec<CorpTag>,
}

/// Empty filters are omitted: `{}` asks WeCom for every tag group.
#[derive(Debug, Serialize)]
pub(crate) struct GetCorpTagListBody<'a> {
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub tag_id: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub group_id: &'a [String],
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GetCorpTagListResponse {
    #[serde(deserialize_with = "nullable")]
    pub tag_group: Vec<TagGroup>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddCorpTagResponse {
    pub tag_group: TagGroup,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewTag {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<u32>,
}

/// `externalcontact/add_corp_tag`. With `group_id` the tags go into that
/// group (WeCom then ignores `group_name`/`order`); with only `group_name` a
/// group of that name is created or reused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AddCorpTagRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<u32>,
    pub tag: Vec<NewTag>,
    /// Required only when the token belongs to a different app than the one
    /// that should own the tags (e.g. the 客户联系 system app).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agentid: Option<i64>,
}

impl AddCorpTagRequest {
    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::ADD_CORP_TAG;
        let has = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !has(&self.group_id) && !has(&self.group_name) {
            return Err(invalid(api, "either group_id or group_name is required"));
        }
        if self.tag.is_empty() {
            return Err(invalid(api, "tag must not be empty"));
        }
        if self.tag.iter().any(|t| t.name.trim().is_empty()) {
            return Err(invalid(api, "tag names must not be empty"));
        }
        Ok(())
    }
}

/// `externalcontact/mark_tag`. Empty lists are omitted on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MarkTagRequest {
    pub userid: String,
    pub external_userid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add_tag: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove_tag: Vec<String>,
}

impl MarkTagRequest {
    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::MARK_TAG;
        require_non_empty(api, "userid", &self.userid)?;
        require_non_empty(api, "external_userid", &self.external_userid)?;
        if self.add_tag.is_empty() && self.remove_tag.is_empty() {
            return Err(invalid(
                api,
                "add_tag and remove_tag must not both be empty",
            ));
        }
        Ok(())
    }
}

/// `externalcontact/remark`. `None` fields are left unchanged by WeCom;
/// `remark_mobiles: Some(vec!["".into()])` clears all remark mobiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemarkRequest {
    pub userid: String,
    pub external_userid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark_company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark_mobiles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark_pic_mediaid: Option<String>,
}

impl RemarkRequest {
    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::REMARK;
        require_non_empty(api, "userid", &self.userid)?;
        require_non_empty(api, "external_userid", &self.external_userid)?;
        if self.remark.is_none()
            && self.description.is_none()
            && self.remark_company.is_none()
            && self.remark_mobiles.is_none()
            && self.remark_pic_mediaid.is_none()
        {
            return Err(invalid(api, "at least one remark field must be set"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    File,
    Voice,
    Video,
}

impl MediaKind {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::File => "file",
            Self::Voice => "voice",
            Self::Video => "video",
        }
    }

    /// Documented size cap; checked locally so an oversized receipt image
    /// fails fast instead of after a 20 MB upload.
    pub fn max_bytes(self) -> usize {
        const MB: usize = 1024 * 1024;
        match self {
            Self::Image | Self::Video => 10 * MB,
            Self::Voice => 2 * MB,
            Self::File => 20 * MB,
        }
    }
}

/// WeCom rejects files of 5 bytes or less ("所有文件size必须大于5个字节").
pub const MEDIA_MIN_BYTES: usize = 6;

pub fn validate_upload(kind: MediaKind, filename: &str, len: usize) -> Result<(), WecomError> {
    let api = names::MEDIA_UPLOAD;
    require_non_empty(api, "filename", filename)?;
    if len < MEDIA_MIN_BYTES {
        return Err(invalid(api, "media must be larger than 5 bytes"));
    }
    if len > kind.max_bytes() {
        return Err(invalid(
            api,
            format!(
                "media exceeds the {} limit of {} bytes",
                kind.as_str(),
                kind.max_bytes()
            ),
        ));
    }
    Ok(())
}

/// `media/upload`. The `media_id` is valid for 3 days only: callers keep the
/// original and re-upload when `created_at` is older than ~3 days − margin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UploadedMedia {
    #[serde(rename = "type")]
    pub media_type: String,
    pub media_id: String,
    /// Unix seconds; WeCom sends it as a string.
    #[serde(deserialize_with = "lenient_i64")]
    pub created_at: i64,
}

// ---------------------------------------------------------------------------
// App messages
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TextContent {
    pub content: String,
}

/// `message/send` body (text messages; other msgtypes can be added as
/// further optional payload fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppMessage {
    /// `"userid1|userid2"` (≤ 1000) or `"@all"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toparty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totag: Option<String>,
    pub msgtype: String,
    pub agentid: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextContent>,
    /// 1 = confidential (no forwarding, watermark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_id_trans: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_duplicate_check: Option<u8>,
    /// Seconds, ≤ 4 h, WeCom default 1800.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_check_interval: Option<u32>,
}

pub const TEXT_MAX_BYTES: usize = 2048;
pub const MAX_TOUSER: usize = 1000;

impl AppMessage {
    /// A plain text message to members.
    pub fn text_to_users(agentid: i64, userids: &[String], content: impl Into<String>) -> Self {
        Self {
            touser: Some(userids.join("|")),
            msgtype: "text".to_owned(),
            agentid,
            text: Some(TextContent {
                content: content.into(),
            }),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::MESSAGE_SEND;
        let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !set(&self.touser) && !set(&self.toparty) && !set(&self.totag) {
            return Err(invalid(api, "one of touser, toparty, totag is required"));
        }
        if let Some(touser) = &self.touser
            && touser.split('|').count() > MAX_TOUSER
        {
            return Err(invalid(api, "touser holds at most 1000 userids"));
        }
        require_non_empty(api, "msgtype", &self.msgtype)?;
        if self.msgtype == "text" {
            match &self.text {
                None => return Err(invalid(api, "msgtype text needs text.content")),
                Some(t) if t.content.is_empty() => {
                    return Err(invalid(api, "text.content must not be empty"));
                }
                Some(t) if t.content.len() > TEXT_MAX_BYTES => {
                    return Err(invalid(api, "text.content exceeds 2048 bytes"));
                }
                Some(_) => {}
            }
        }
        if self.duplicate_check_interval.is_some_and(|s| s > 4 * 3600) {
            return Err(invalid(api, "duplicate_check_interval must be ≤ 14400 s"));
        }
        Ok(())
    }
}

/// `message/send`. A partly failed send is still errcode 0 with the bad
/// recipients listed here (`"a|b"`); only "all invalid" is 81013.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SendMessageResult {
    pub invaliduser: String,
    pub invalidparty: String,
    pub invalidtag: String,
    pub unlicenseduser: String,
    pub msgid: String,
    /// Only for template-card messages; needed to update the card later.
    pub response_code: String,
}

impl SendMessageResult {
    /// Every recipient that did not get the message, split out of the
    /// `|`-joined lists.
    pub fn failed_users(&self) -> Vec<&str> {
        self.invaliduser
            .split('|')
            .chain(self.unlicenseduser.split('|'))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

// ---------------------------------------------------------------------------
// The trait
// ---------------------------------------------------------------------------

/// Unit result for write APIs whose only answer is errcode/errmsg.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Ack {}

/// The WeCom server API. Implementations must not retry on token errors:
/// that is the token layer's decision (it knows which token was used).
#[async_trait]
pub trait WecomApi: Send + Sync {
    /// GET /cgi-bin/gettoken?corpid&corpsecret
    async fn get_token(&self, corp_id: &str, secret: &str) -> Result<AccessToken, WecomError>;

    /// GET /cgi-bin/get_jsapi_ticket — corp ticket for `wx.config`.
    async fn get_jsapi_ticket(&self, access_token: &str) -> Result<Ticket, WecomError>;

    /// GET /cgi-bin/ticket/get?type=agent_config — app ticket for `wx.agentConfig`.
    async fn get_agent_config_ticket(&self, access_token: &str) -> Result<Ticket, WecomError>;

    /// GET /cgi-bin/auth/getuserinfo?code — OAuth code → identity. Codes are
    /// single-use: never call twice with the same code.
    async fn auth_get_user_info(
        &self,
        access_token: &str,
        code: &str,
    ) -> Result<OAuthIdentity, WecomError>;

    /// GET /cgi-bin/user/get?userid
    async fn get_user(&self, access_token: &str, userid: &str) -> Result<User, WecomError>;

    /// GET /cgi-bin/externalcontact/get_follow_user_list
    async fn get_follow_user_list(&self, access_token: &str) -> Result<Vec<String>, WecomError>;

    /// GET /cgi-bin/externalcontact/list?userid — errcode 84061 (member has
    /// no customers) is returned as an empty list.
    async fn list_external_contacts(
        &self,
        access_token: &str,
        userid: &str,
    ) -> Result<Vec<String>, WecomError>;

    /// GET /cgi-bin/externalcontact/get?external_userid[&cursor]
    async fn get_external_contact(
        &self,
        access_token: &str,
        external_userid: &str,
        cursor: Option<&str>,
    ) -> Result<ExternalContactDetail, WecomError>;

    /// POST /cgi-bin/externalcontact/batch/get_by_user
    /// `{userid_list (1..=100), cursor?, limit (1..=100)}`
    async fn batch_get_external_contacts(
        &self,
        access_token: &str,
        userid_list: &[String],
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<BatchExternalContacts, WecomError>;

    /// POST /cgi-bin/externalcontact/groupchat/list
    async fn list_group_chats(
        &self,
        access_token: &str,
        request: &GroupChatListRequest,
    ) -> Result<GroupChatList, WecomError>;

    /// POST /cgi-bin/externalcontact/groupchat/get `{chat_id, need_name: 0|1}`
    async fn get_group_chat(
        &self,
        access_token: &str,
        chat_id: &str,
        need_name: bool,
    ) -> Result<GroupChat, WecomError>;

    /// POST /cgi-bin/externalcontact/get_corp_tag_list `{tag_id?, group_id?}`;
    /// both empty = all groups.
    async fn get_corp_tag_list(
        &self,
        access_token: &str,
        tag_ids: &[String],
        group_ids: &[String],
    ) -> Result<Vec<TagGroup>, WecomError>;

    /// POST /cgi-bin/externalcontact/add_corp_tag
    async fn add_corp_tag(
        &self,
        access_token: &str,
        request: &AddCorpTagRequest,
    ) -> Result<TagGroup, WecomError>;

    /// POST /cgi-bin/externalcontact/mark_tag (validated locally first).
    async fn mark_tag(
        &self,
        access_token: &str,
        request: &MarkTagRequest,
    ) -> Result<(), WecomError>;

    /// POST /cgi-bin/externalcontact/remark (validated locally first).
    async fn remark_external_contact(
        &self,
        access_token: &str,
        request: &RemarkRequest,
    ) -> Result<(), WecomError>;

    /// POST /cgi-bin/media/upload?type= — multipart field `media`.
    async fn upload_media(
        &self,
        access_token: &str,
        kind: MediaKind,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedMedia, WecomError>;

    /// POST /cgi-bin/message/send
    async fn send_message(
        &self,
        access_token: &str,
        message: &AppMessage,
    ) -> Result<SendMessageResult, WecomError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_member_and_non_member() {
        let m: OAuthIdentity = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","user_ticket":"T"}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            OAuthIdentity::Member {
                userid: "zhangsan".into(),
                user_ticket: Some("T".into())
            }
        );
        assert!(!format!("{m:?}").contains("\"T\""));
        let n: OAuthIdentity =
            serde_json::from_str(r#"{"openid":"o1","external_userid":"wm1"}"#).unwrap();
        assert_eq!(
            n,
            OAuthIdentity::NonMember {
                openid: "o1".into(),
                external_userid: Some("wm1".into())
            }
        );
        let legacy: OAuthIdentity = serde_json::from_str(r#"{"UserId":"lisi"}"#).unwrap();
        assert_eq!(legacy.userid(), Some("lisi"));
        assert!(serde_json::from_str::<OAuthIdentity>(r#"{"errcode":0}"#).is_err());
    }

    #[test]
    fn tokens_are_redacted_in_debug() {
        let t: AccessToken =
            serde_json::from_str(r#"{"access_token":"SECRET-TOKEN","expires_in":7200}"#).unwrap();
        assert!(!format!("{t:?}").contains("SECRET-TOKEN"));
        let k: Ticket =
            serde_json::from_str(r#"{"ticket":"TICKETVAL","expires_in":"7200"}"#).unwrap();
        assert_eq!(k.expires_in, 7200);
        assert!(!format!("{k:?}").contains("TICKETVAL"));
    }

    #[test]
    fn lenient_fields() {
        let m: UploadedMedia =
            serde_json::from_str(r#"{"type":"image","media_id":"m","created_at":"1380000000"}"#)
                .unwrap();
        assert_eq!(m.created_at, 1380000000);
        let m: UploadedMedia =
            serde_json::from_str(r#"{"type":"image","media_id":"m","created_at":1380000000}"#)
                .unwrap();
        assert_eq!(m.created_at, 1380000000);
        let u: User =
            serde_json::from_str(r#"{"userid":"a","gender":1,"department":null}"#).unwrap();
        assert_eq!(u.gender.as_deref(), Some("1"));
        assert!(u.department.is_empty());
        let d: ExternalContactDetail = serde_json::from_str(r#"{"next_cursor":""}"#).unwrap();
        assert_eq!(d.next_cursor, None);
    }

    #[test]
    fn validations() {
        let mut mark = MarkTagRequest {
            userid: "u".into(),
            external_userid: "e".into(),
            ..Default::default()
        };
        assert!(mark.validate().is_err());
        mark.remove_tag.push("t".into());
        assert!(mark.validate().is_ok());

        let remark = RemarkRequest {
            userid: "u".into(),
            external_userid: "e".into(),
            ..Default::default()
        };
        assert!(remark.validate().is_err());

        assert!(GroupChatListRequest::default().validate().is_ok());
        let bad = GroupChatListRequest {
            limit: 0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());

        assert!(validate_batch_get(&[], 10).is_err());
        assert!(validate_batch_get(&["u".into()], 101).is_err());
        assert!(validate_batch_get(&vec!["u".to_string(); 101], 10).is_err());
        assert!(validate_batch_get(&["u".into()], 100).is_ok());

        assert!(AddCorpTagRequest::default().validate().is_err());

        let msg = AppMessage::text_to_users(1000002, &["a".into(), "b".into()], "hi");
        assert_eq!(msg.touser.as_deref(), Some("a|b"));
        assert!(msg.validate().is_ok());
        let long = AppMessage::text_to_users(1, &["a".into()], "x".repeat(2049));
        assert!(long.validate().is_err());

        assert!(validate_upload(MediaKind::Image, "a.png", 5).is_err());
        assert!(validate_upload(MediaKind::Image, "a.png", 6).is_ok());
        assert!(validate_upload(MediaKind::Voice, "a.amr", 3 * 1024 * 1024).is_err());
    }

    #[test]
    fn failed_users_split() {
        let r = SendMessageResult {
            invaliduser: "a|b".into(),
            unlicenseduser: "c".into(),
            ..Default::default()
        };
        assert_eq!(r.failed_users(), vec!["a", "b", "c"]);
    }
}
