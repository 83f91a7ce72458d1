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
//!
//! One file per API family; everything public is re-exported here, so callers
//! name a type as `wecom::api::<Type>` whichever file it lives in.

mod contacts;
mod groups;
mod media;
mod members;
mod messages;
mod oauth;
mod tags;
mod tokens;

use async_trait::async_trait;
use serde::{Deserialize, Deserializer};

use super::errors::WecomError;

pub use contacts::{
    BATCH_GET_MAX_LIMIT, BATCH_GET_MAX_USERS, BatchExternalContactItem, BatchExternalContacts,
    BatchFailInfo, ExternalContact, ExternalContactDetail, FollowUser, FollowUserTag,
    validate_batch_get,
};
pub(crate) use contacts::{BatchGetByUserBody, ExternalContactListResponse};
pub use groups::{
    GROUP_CHAT_LIST_MAX_LIMIT, GroupChat, GroupChatAdmin, GroupChatList, GroupChatListRequest,
    GroupChatMember, GroupChatStatus, Invitor, OwnerFilter,
};
pub(crate) use groups::{GroupChatGetBody, GroupChatResponse};
pub use media::{MEDIA_MIN_BYTES, MediaKind, UploadedMedia, validate_upload};
pub(crate) use members::FollowUserListResponse;
pub use members::User;
pub use messages::{AppMessage, MAX_TOUSER, SendMessageResult, TEXT_MAX_BYTES, TextContent};
pub use oauth::OAuthIdentity;
pub use tags::{AddCorpTagRequest, CorpTag, MarkTagRequest, NewTag, RemarkRequest, TagGroup};
pub(crate) use tags::{AddCorpTagResponse, GetCorpTagListBody, GetCorpTagListResponse};
pub use tokens::{AccessToken, Ticket};

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
/// A list of strings that WeCom sometimes sends as numbers (old `remark_mobiles`); null → empty.
fn strings_or_numbers<'de, D>(d: D) -> Result<Vec<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<Vec<StrOrNum>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|v| match v {
            StrOrNum::Str(s) => s,
            StrOrNum::Int(i) => i.to_string(),
            StrOrNum::Float(f) => f.to_string(),
        })
        .collect())
}

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
