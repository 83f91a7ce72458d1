//! External contacts (customers): `externalcontact/list`, `externalcontact/get` and
//! `externalcontact/batch/get_by_user`, with the members who follow each customer.

use serde::{Deserialize, Serialize};

use super::{WecomError, cursor, invalid, lenient_i64, names, nullable, strings_or_numbers};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExternalContactListResponse {
    #[serde(deserialize_with = "nullable")]
    pub external_userid: Vec<String>,
}

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
    /// Strings; older answers sent numbers.
    #[serde(deserialize_with = "strings_or_numbers")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let d: ExternalContactDetail = serde_json::from_str(r#"{"next_cursor":""}"#).unwrap();
        assert_eq!(d.next_cursor, None);
    }

    #[test]
    fn validations() {
        assert!(validate_batch_get(&[], 10).is_err());
        assert!(validate_batch_get(&["u".into()], 101).is_err());
        assert!(validate_batch_get(&vec!["u".to_string(); 101], 10).is_err());
        assert!(validate_batch_get(&["u".into()], 100).is_ok());
    }
}
