//! Corp tags and what a member writes on a customer: `externalcontact/get_corp_tag_list`,
//! `add_corp_tag`, `mark_tag` and `remark`.

use serde::{Deserialize, Serialize};

use super::{WecomError, invalid, lenient_i64, names, nullable, require_non_empty};

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

#[cfg(test)]
mod tests {
    use super::*;

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

        assert!(AddCorpTagRequest::default().validate().is_err());
    }
}
