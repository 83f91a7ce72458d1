//! Customer group chats: `externalcontact/groupchat/list` and `externalcontact/groupchat/get`.

use serde::{Deserialize, Serialize};

use super::{WecomError, cursor, invalid, lenient_i64, names, nullable};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validations() {
        assert!(GroupChatListRequest::default().validate().is_ok());
        let bad = GroupChatListRequest {
            limit: 0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
