//! Corp members: `user/get`, and `externalcontact/get_follow_user_list` (the members who may
//! have customers).

use serde::Deserialize;

use super::{nullable, opt_string_or_number};

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
    /// Custom fields (`attrs[]` of text, web or mini-program entries); kept raw for display.
    pub extattr: Option<serde_json::Value>,
    /// The public business card: `external_corp_name`, `wechat_channels`, `external_attr`.
    pub external_profile: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FollowUserListResponse {
    #[serde(deserialize_with = "nullable")]
    pub follow_user: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_fields() {
        let u: User =
            serde_json::from_str(r#"{"userid":"a","gender":1,"department":null}"#).unwrap();
        assert_eq!(u.gender.as_deref(), Some("1"));
        assert!(u.department.is_empty());
    }
}
