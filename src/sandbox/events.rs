//! Callback events (客户联系 change events) and what they do to the sandbox's data.
//!
//! An event is applied before it is sent, because in WeCom the change has happened when the app
//! hears of it: an app that fetches the new contact or group while handling the callback must
//! find it. The XML is built the way WeCom builds a self-built app's event: one line, strings in
//! CDATA, numbers bare, `FromUserName` "sys".

use serde::{Deserialize, Serialize};

use super::Sandbox;
use super::errors::SandboxError;
use super::state::{Corp, random_string};
use crate::seed::{
    WecomExternalContact, WecomFollowInfo, WecomGroupChat, WecomGroupMember, WecomTag,
    WecomTagGroup,
};
use crate::wecom::xml::{push_cdata_element, push_text_element};

/// An event WeCom sends to the app's callback URL. JSON (for `POST /_sandbox/callbacks`):
/// `{"event": "change_external_contact", "change_type": "add_external_contact", "userid": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
// Events are built one at a time by tests and developers; boxing the contact variant would only
// make them clumsier to write.
#[allow(clippy::large_enum_variant)]
pub enum SandboxEvent {
    ChangeExternalContact(ExternalContactEvent),
    ChangeExternalChat(ExternalChatEvent),
    ChangeExternalTag(ExternalTagEvent),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactChangeType {
    /// A member added a customer (creates the contact or the follow when new).
    AddExternalContact,
    /// A member edited the customer's remark, description or mobiles.
    EditExternalContact,
    /// A customer added a member who has 免验证 on (treated like an add).
    AddHalfExternalContact,
    /// The member deleted the customer (the follow disappears from the API).
    DelExternalContact,
    /// The customer deleted the member (WeCom keeps the follow; no data change).
    DelFollowUser,
    /// A customer transfer failed (no data change).
    TransferFail,
}

impl ContactChangeType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AddExternalContact => "add_external_contact",
            Self::EditExternalContact => "edit_external_contact",
            Self::AddHalfExternalContact => "add_half_external_contact",
            Self::DelExternalContact => "del_external_contact",
            Self::DelFollowUser => "del_follow_user",
            Self::TransferFail => "transfer_fail",
        }
    }
}

/// `Event=change_external_contact`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalContactEvent {
    pub change_type: ContactChangeType,
    /// The member (`UserID`).
    pub userid: String,
    /// `ExternalUserID`; for an add, `None` creates a contact with a fresh id.
    #[serde(default)]
    pub external_userid: Option<String>,
    /// The 联系我 `state` the customer came through.
    #[serde(default)]
    pub state: Option<String>,
    /// `WelcomeCode` for adds; a random one when `None`.
    #[serde(default)]
    pub welcome_code: Option<String>,
    /// transfer_fail: customer_refused (default) or customer_limit_exceed.
    #[serde(default)]
    pub fail_reason: Option<String>,
    /// Details of a new contact (add) or the changed remark fields (edit).
    #[serde(default)]
    pub contact: Option<NewExternalContact>,
    /// `CreateTime`; the sandbox clock when `None`.
    #[serde(default)]
    pub create_time: Option<i64>,
}

impl ExternalContactEvent {
    /// An event with only the ids set.
    #[must_use]
    pub fn new(
        change_type: ContactChangeType,
        userid: &str,
        external_userid: Option<&str>,
    ) -> Self {
        Self {
            change_type,
            userid: userid.to_string(),
            external_userid: external_userid.map(str::to_string),
            state: None,
            welcome_code: None,
            fail_reason: None,
            contact: None,
            create_time: None,
        }
    }
}

/// The data a new external contact gets (add) or the remark fields that change (edit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExternalContact {
    #[serde(default)]
    pub name: Option<String>,
    /// 1 WeChat user (default), 2 WeCom user.
    #[serde(default)]
    pub contact_type: Option<u8>,
    #[serde(default)]
    pub gender: Option<u8>,
    #[serde(default)]
    pub corp_name: Option<String>,
    #[serde(default)]
    pub corp_full_name: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub remark_corp_name: Option<String>,
    #[serde(default)]
    pub remark_mobiles: Option<Vec<String>>,
    #[serde(default)]
    pub tag_ids: Option<Vec<String>>,
    /// How the member added the customer (1 QR code by default).
    #[serde(default)]
    pub add_way: Option<i32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatChangeType {
    Create,
    Update,
    Dismiss,
}

impl ChatChangeType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Dismiss => "dismiss",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatUpdateDetail {
    AddMember,
    DelMember,
    ChangeOwner,
    ChangeName,
    ChangeNotice,
}

impl ChatUpdateDetail {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AddMember => "add_member",
            Self::DelMember => "del_member",
            Self::ChangeOwner => "change_owner",
            Self::ChangeName => "change_name",
            Self::ChangeNotice => "change_notice",
        }
    }
}

/// `Event=change_external_chat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalChatEvent {
    pub change_type: ChatChangeType,
    /// `ChatId`; for create, `None` makes a fresh id.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// Required for update.
    #[serde(default)]
    pub update_detail: Option<ChatUpdateDetail>,
    /// add_member: 1 invited directly (default), 2 invitation link, 3 QR code.
    #[serde(default)]
    pub join_scene: Option<u8>,
    /// del_member: 0 left by themselves (default), 1 removed.
    #[serde(default)]
    pub quit_scene: Option<u8>,
    /// add_member/del_member: the userids or external_userids (`MemChangeList`); create: the
    /// first members besides the owner.
    #[serde(default)]
    pub members: Vec<String>,
    /// create (default: the first member configured for 客户联系) and change_owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// create and change_name.
    #[serde(default)]
    pub name: Option<String>,
    /// create and change_notice.
    #[serde(default)]
    pub notice: Option<String>,
    #[serde(default)]
    pub create_time: Option<i64>,
}

impl ExternalChatEvent {
    #[must_use]
    pub fn new(change_type: ChatChangeType, chat_id: Option<&str>) -> Self {
        Self {
            change_type,
            chat_id: chat_id.map(str::to_string),
            update_detail: None,
            join_scene: None,
            quit_scene: None,
            members: Vec::new(),
            owner: None,
            name: None,
            notice: None,
            create_time: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagChangeType {
    Create,
    Update,
    Delete,
    Shuffle,
}

impl TagChangeType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Shuffle => "shuffle",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TagType {
    Tag,
    TagGroup,
}

impl TagType {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tag => "tag",
            Self::TagGroup => "tag_group",
        }
    }
}

/// `Event=change_external_tag`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalTagEvent {
    pub change_type: TagChangeType,
    pub tag_type: TagType,
    /// `Id`; for create, `None` makes a fresh id; for shuffle it may be absent (all groups).
    #[serde(default)]
    pub id: Option<String>,
    /// create (required) and update (the new name).
    #[serde(default)]
    pub name: Option<String>,
    /// The group a created tag goes into.
    #[serde(default)]
    pub group_id: Option<String>,
    /// The tags a created tag group starts with.
    #[serde(default)]
    pub tag_names: Vec<String>,
    /// `StrategyId` of rule-group tags.
    #[serde(default)]
    pub strategy_id: Option<u64>,
    #[serde(default)]
    pub create_time: Option<i64>,
}

impl ExternalTagEvent {
    #[must_use]
    pub fn new(change_type: TagChangeType, tag_type: TagType, id: Option<&str>) -> Self {
        Self {
            change_type,
            tag_type,
            id: id.map(str::to_string),
            name: None,
            group_id: None,
            tag_names: Vec::new(),
            strategy_id: None,
            create_time: None,
        }
    }
}

fn invalid(message: impl Into<String>) -> SandboxError {
    SandboxError::InvalidEvent(message.into())
}

/// The common head of every event, up to and including `Event`.
fn head(corp_id: &str, create_time: i64, event: &str) -> String {
    let mut xml = String::with_capacity(512);
    xml.push_str("<xml>");
    push_cdata_element(&mut xml, "ToUserName", corp_id);
    push_cdata_element(&mut xml, "FromUserName", "sys");
    push_text_element(&mut xml, "CreateTime", &create_time.to_string());
    push_cdata_element(&mut xml, "MsgType", "event");
    push_cdata_element(&mut xml, "Event", event);
    xml
}

/// A member list as `<MemChangeList><Item>…</Item></MemChangeList>`.
fn push_member_list(xml: &mut String, members: &[String]) {
    xml.push_str("<MemChangeList>");
    for m in members {
        push_cdata_element(xml, "Item", m);
    }
    xml.push_str("</MemChangeList>");
}

fn check_name(name: &str, what: &str) -> Result<String, SandboxError> {
    let trimmed = name.trim();
    let n = trimmed.chars().count();
    if n == 0 || n > 30 {
        return Err(invalid(format!("{what}需要 1 到 30 个字")));
    }
    Ok(trimmed.to_string())
}

impl Sandbox {
    /// Applies `event` to the data and returns its plaintext XML.
    pub(crate) fn apply_event(&self, event: SandboxEvent) -> Result<String, SandboxError> {
        let now = self.now().timestamp();
        let mut corp = self.corp_mut();
        match event {
            SandboxEvent::ChangeExternalContact(e) => apply_contact(&mut corp, e, now),
            SandboxEvent::ChangeExternalChat(e) => apply_chat(&mut corp, e, now),
            SandboxEvent::ChangeExternalTag(e) => apply_tag(&mut corp, e, now),
        }
    }
}

fn apply_contact(
    corp: &mut Corp,
    e: ExternalContactEvent,
    now: i64,
) -> Result<String, SandboxError> {
    let create_time = e.create_time.unwrap_or(now);
    if corp.member(&e.userid).is_none() {
        return Err(invalid(format!("成员 {} 不存在", e.userid)));
    }
    let details = e.contact.clone().unwrap_or_default();
    if let Some(tags) = &details.tag_ids
        && let Some(bad) = tags.iter().find(|t| corp.tag(t).is_none())
    {
        return Err(invalid(format!("标签 {bad} 不存在")));
    }
    let mut welcome_code = None;
    let mut fail_reason = None;
    let external_userid = match e.change_type {
        ContactChangeType::AddExternalContact | ContactChangeType::AddHalfExternalContact => {
            let id = match e.external_userid.as_deref().filter(|s| !s.is_empty()) {
                Some(id) => id.to_string(),
                None => corp.fresh_id("wm"),
            };
            add_follow(corp, &e, &details, &id, create_time);
            welcome_code = Some(e.welcome_code.clone().unwrap_or_else(|| random_string(43)));
            id
        }
        ContactChangeType::EditExternalContact => {
            let id = required_follow_id(corp, &e)?;
            if let Some(follow) = corp.contact_mut(&id).and_then(|c| c.follow_mut(&e.userid)) {
                let info = &mut follow.info;
                if let Some(v) = details.remark {
                    info.remark = v;
                }
                if let Some(v) = details.description {
                    info.description = v;
                }
                if let Some(v) = details.remark_corp_name {
                    info.remark_corp_name = v;
                }
                if let Some(v) = details.remark_mobiles {
                    info.remark_mobiles = v;
                }
                if let Some(v) = details.tag_ids {
                    info.tag_ids = v;
                }
            }
            id
        }
        ContactChangeType::DelExternalContact => {
            let id = required_follow_id(corp, &e)?;
            if let Some(follow) = corp.contact_mut(&id).and_then(|c| c.follow_mut(&e.userid)) {
                follow.active = false;
            }
            id
        }
        ContactChangeType::DelFollowUser => required_follow_id(corp, &e)?,
        ContactChangeType::TransferFail => {
            let reason = e
                .fail_reason
                .clone()
                .unwrap_or_else(|| "customer_refused".into());
            if !matches!(
                reason.as_str(),
                "customer_refused" | "customer_limit_exceed"
            ) {
                return Err(invalid(
                    "fail_reason 只能是 customer_refused 或 customer_limit_exceed",
                ));
            }
            fail_reason = Some(reason);
            required_follow_id(corp, &e)?
        }
    };

    let mut xml = head(&corp.corp_id, create_time, "change_external_contact");
    push_cdata_element(&mut xml, "ChangeType", e.change_type.as_str());
    if let Some(reason) = &fail_reason {
        push_cdata_element(&mut xml, "FailReason", reason);
    }
    push_cdata_element(&mut xml, "UserID", &e.userid);
    push_cdata_element(&mut xml, "ExternalUserID", &external_userid);
    if let Some(state) = e.state.as_deref().filter(|s| !s.is_empty())
        && welcome_code.is_some()
    {
        push_cdata_element(&mut xml, "State", state);
    }
    if let Some(code) = &welcome_code {
        push_cdata_element(&mut xml, "WelcomeCode", code);
    }
    xml.push_str("</xml>");
    Ok(xml)
}

/// The event's external_userid, which must name an active follow of its member.
fn required_follow_id(corp: &mut Corp, e: &ExternalContactEvent) -> Result<String, SandboxError> {
    let id = e
        .external_userid
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("需要 external_userid"))?;
    if corp
        .contact_mut(&id)
        .and_then(|c| c.follow_mut(&e.userid))
        .is_none()
    {
        return Err(invalid(format!("成员 {} 没有客户 {id}", e.userid)));
    }
    Ok(id)
}

/// Creates the contact and/or the follow of an add event (re-adding revives a deleted follow).
fn add_follow(
    corp: &mut Corp,
    e: &ExternalContactEvent,
    d: &NewExternalContact,
    external_userid: &str,
    create_time: i64,
) {
    let contact_type = d.contact_type.filter(|t| matches!(t, 1 | 2)).unwrap_or(1);
    let ci = match corp.contact_index(external_userid) {
        Some(ci) => ci,
        None => corp.insert_contact(WecomExternalContact {
            external_userid: external_userid.to_string(),
            name: d.name.clone().unwrap_or_else(|| "新客户".to_string()),
            contact_type,
            corp_name: d.corp_name.clone().filter(|_| contact_type == 2),
            corp_full_name: d.corp_full_name.clone().filter(|_| contact_type == 2),
            position: d.position.clone().filter(|_| contact_type == 2),
            unionid: (contact_type == 1).then(|| format!("o{}", random_string(27))),
            avatar: d
                .avatar
                .clone()
                .unwrap_or_else(|| format!("http://wx.qlogo.cn/mmhead/{}/0", random_string(40))),
            gender: d.gender.filter(|g| *g <= 2).unwrap_or(0),
            follow_users: Vec::new(),
        }),
    };
    if let Some(rec) = corp.contacts.get_mut(ci)
        && let Some(f) = rec.follows.iter_mut().find(|f| f.info.userid == e.userid)
    {
        // Re-adding a customer the member had deleted revives the same follow, as WeCom does.
        f.active = true;
        f.info.createtime = create_time;
        if let Some(state) = &e.state {
            f.info.state.clone_from(state);
        }
        return;
    }
    let add_way = d.add_way.unwrap_or(1);
    corp.push_follow(
        ci,
        WecomFollowInfo {
            userid: e.userid.clone(),
            remark: d.remark.clone().unwrap_or_default(),
            description: d.description.clone().unwrap_or_default(),
            remark_corp_name: d.remark_corp_name.clone().unwrap_or_default(),
            remark_mobiles: d.remark_mobiles.clone().unwrap_or_default(),
            createtime: create_time,
            tag_ids: d.tag_ids.clone().unwrap_or_default(),
            add_way,
            state: e.state.clone().unwrap_or_default(),
            // The customer acted for QR codes, name cards and groups; the member otherwise.
            oper_userid: if matches!(add_way, 1 | 3 | 4) {
                external_userid.to_string()
            } else {
                e.userid.clone()
            },
        },
    );
}

/// A group member entry for `id` (a member's userid or an external_userid).
fn group_member(
    corp: &Corp,
    id: &str,
    join_time: i64,
    scene: u8,
    invitor: Option<&str>,
) -> WecomGroupMember {
    if let Some(m) = corp.member(id) {
        return WecomGroupMember {
            userid: id.to_string(),
            member_type: 1,
            unionid: None,
            name: m.name.clone(),
            group_nickname: String::new(),
            join_time,
            join_scene: scene,
            invitor: invitor.map(str::to_string),
        };
    }
    let contact = corp.contact(id).map(|c| &c.contact);
    WecomGroupMember {
        userid: id.to_string(),
        member_type: 2,
        unionid: contact.and_then(|c| c.unionid.clone()),
        name: contact.map_or_else(|| "微信用户".to_string(), |c| c.name.clone()),
        group_nickname: String::new(),
        join_time,
        join_scene: scene,
        invitor: invitor.map(str::to_string),
    }
}

fn apply_chat(corp: &mut Corp, e: ExternalChatEvent, now: i64) -> Result<String, SandboxError> {
    let create_time = e.create_time.unwrap_or(now);
    let mut tail = String::new();
    let chat_id = match e.change_type {
        ChatChangeType::Create => {
            let chat_id = match e.chat_id.as_deref().filter(|s| !s.is_empty()) {
                Some(id) if corp.group_id_taken(id) => {
                    return Err(invalid(format!("客户群 id {id} 已被使用")));
                }
                Some(id) => id.to_string(),
                None => corp.fresh_id("wr"),
            };
            let owner = match e.owner.as_deref() {
                Some(o) => o.to_string(),
                None => corp
                    .members
                    .iter()
                    .find(|m| m.is_follow_user)
                    .or(corp.members.first())
                    .map(|m| m.userid.clone())
                    .ok_or_else(|| invalid("企业没有成员，无法建群"))?,
            };
            if corp.member(&owner).is_none() {
                return Err(invalid(format!("群主 {owner} 不是企业成员")));
            }
            let scene = e.join_scene.unwrap_or(1);
            let mut members = vec![group_member(corp, &owner, create_time, 1, None)];
            for id in &e.members {
                if id.is_empty() || members.iter().any(|m| &m.userid == id) {
                    continue;
                }
                let invitor = (scene == 1).then_some(owner.as_str());
                members.push(group_member(corp, id, create_time, scene, invitor));
            }
            corp.insert_group(WecomGroupChat {
                chat_id: chat_id.clone(),
                name: e.name.clone().unwrap_or_else(|| "新建客户群".to_string()),
                owner,
                create_time,
                notice: e.notice.clone().unwrap_or_default(),
                members,
                admin_list: Vec::new(),
            });
            chat_id
        }
        ChatChangeType::Update => {
            let chat_id = e
                .chat_id
                .clone()
                .filter(|id| corp.group(id).is_some())
                .ok_or_else(|| invalid("需要已存在的 chat_id"))?;
            let detail = e
                .update_detail
                .ok_or_else(|| invalid("update 事件需要 update_detail"))?;
            push_cdata_element(&mut tail, "UpdateDetail", detail.as_str());
            match detail {
                ChatUpdateDetail::AddMember | ChatUpdateDetail::DelMember => {
                    update_members(corp, &e, &chat_id, detail, create_time, &mut tail)?;
                }
                ChatUpdateDetail::ChangeOwner => {
                    let owner = e
                        .owner
                        .clone()
                        .filter(|o| corp.member(o).is_some())
                        .ok_or_else(|| invalid("change_owner 需要企业成员 owner"))?;
                    let newcomer = group_member(corp, &owner, create_time, 1, None);
                    if let Some(g) = corp.group_mut(&chat_id)
                        && !g.chat.members.iter().any(|m| m.userid == owner)
                    {
                        g.chat.members.push(newcomer);
                    }
                    corp.change_owner(&chat_id, &owner);
                }
                ChatUpdateDetail::ChangeName => {
                    let name = e
                        .name
                        .clone()
                        .ok_or_else(|| invalid("change_name 需要 name"))?;
                    if let Some(g) = corp.group_mut(&chat_id) {
                        g.chat.name = name;
                    }
                }
                ChatUpdateDetail::ChangeNotice => {
                    let notice = e
                        .notice
                        .clone()
                        .ok_or_else(|| invalid("change_notice 需要 notice"))?;
                    if let Some(g) = corp.group_mut(&chat_id) {
                        g.chat.notice = notice;
                    }
                }
            }
            chat_id
        }
        ChatChangeType::Dismiss => {
            let chat_id = e
                .chat_id
                .clone()
                .filter(|id| corp.group(id).is_some())
                .ok_or_else(|| invalid("需要已存在的 chat_id"))?;
            if let Some(g) = corp.group_mut(&chat_id) {
                g.dismissed = true;
            }
            chat_id
        }
    };
    let mut xml = head(&corp.corp_id, create_time, "change_external_chat");
    push_cdata_element(&mut xml, "ChatId", &chat_id);
    push_cdata_element(&mut xml, "ChangeType", e.change_type.as_str());
    xml.push_str(&tail);
    xml.push_str("</xml>");
    Ok(xml)
}

/// add_member / del_member: changes the list and writes JoinScene or QuitScene, MemChangeCnt,
/// MemChangeList and the member versions.
fn update_members(
    corp: &mut Corp,
    e: &ExternalChatEvent,
    chat_id: &str,
    detail: ChatUpdateDetail,
    at: i64,
    tail: &mut String,
) -> Result<(), SandboxError> {
    let ids: Vec<String> = e
        .members
        .iter()
        .filter(|m| !m.is_empty())
        .cloned()
        .collect();
    if ids.is_empty() {
        return Err(invalid("add_member/del_member 需要 members"));
    }
    let (owner, last_ver) = corp
        .group(chat_id)
        .map(|g| (g.chat.owner.clone(), g.member_version()))
        .ok_or_else(|| invalid("客户群不存在"))?;
    let adding = detail == ChatUpdateDetail::AddMember;
    let scene = e.join_scene.unwrap_or(1);
    let newcomers: Vec<WecomGroupMember> = if adding {
        ids.iter()
            .map(|id| {
                let invitor = (scene == 1).then_some(owner.as_str());
                group_member(corp, id, at, scene, invitor)
            })
            .collect()
    } else {
        if ids.contains(&owner) {
            return Err(invalid("群主不能被移出群，请先 change_owner"));
        }
        Vec::new()
    };
    let cur_ver = {
        let g = corp
            .group_mut(chat_id)
            .ok_or_else(|| invalid("客户群不存在"))?;
        if adding {
            for m in newcomers {
                if !g.chat.members.iter().any(|x| x.userid == m.userid) {
                    g.chat.members.push(m);
                }
            }
        } else {
            g.chat.members.retain(|m| !ids.contains(&m.userid));
            g.chat.admin_list.retain(|a| !ids.contains(a));
        }
        g.member_version()
    };
    if adding {
        push_text_element(tail, "JoinScene", &scene.to_string());
    } else {
        push_text_element(tail, "QuitScene", &e.quit_scene.unwrap_or(0).to_string());
    }
    push_text_element(tail, "MemChangeCnt", &ids.len().to_string());
    push_member_list(tail, &ids);
    push_cdata_element(tail, "LastMemVer", &last_ver);
    push_cdata_element(tail, "CurMemVer", &cur_ver);
    Ok(())
}

fn apply_tag(corp: &mut Corp, e: ExternalTagEvent, now: i64) -> Result<String, SandboxError> {
    let create_time = e.create_time.unwrap_or(now);
    let id = match (e.change_type, e.tag_type) {
        (TagChangeType::Create, TagType::Tag) => {
            let gi = e
                .group_id
                .as_deref()
                .and_then(|g| corp.tag_group_index(g))
                .ok_or_else(|| invalid("创建标签需要已存在的 group_id"))?;
            let name = check_name(e.name.as_deref().unwrap_or_default(), "标签名")?;
            if corp
                .tag_groups
                .get(gi)
                .is_some_and(|g| g.tags.iter().any(|t| !t.deleted && t.tag.name == name))
            {
                return Err(invalid(format!("标签 {name} 已存在")));
            }
            let id = fresh_or_given(corp, e.id.as_deref(), "et")?;
            corp.push_tag(
                gi,
                WecomTag {
                    id: id.clone(),
                    name,
                    create_time,
                    order: 0,
                },
            );
            id
        }
        (TagChangeType::Create, TagType::TagGroup) => {
            let name = check_name(e.name.as_deref().unwrap_or_default(), "标签组名")?;
            if corp.tag_group_by_name(&name).is_some() {
                return Err(invalid(format!("标签组 {name} 已存在")));
            }
            let id = fresh_or_given(corp, e.id.as_deref(), "et")?;
            let gi = corp.insert_tag_group(WecomTagGroup {
                group_id: id.clone(),
                group_name: name,
                create_time,
                order: 0,
                tags: Vec::new(),
            });
            for tag_name in &e.tag_names {
                let tag_name = check_name(tag_name, "标签名")?;
                let tag_id = corp.fresh_id("et");
                corp.push_tag(
                    gi,
                    WecomTag {
                        id: tag_id,
                        name: tag_name,
                        create_time,
                        order: 0,
                    },
                );
            }
            id
        }
        (TagChangeType::Update, kind) => {
            let id = e.id.clone().unwrap_or_default();
            let name = e
                .name
                .as_deref()
                .map(|n| check_name(n, "名称"))
                .transpose()?;
            match kind {
                TagType::Tag => {
                    let (gi, ti) = corp
                        .tag_position(&id)
                        .ok_or_else(|| invalid(format!("标签 {id} 不存在")))?;
                    if let Some(name) = name
                        && let Some(t) =
                            corp.tag_groups.get_mut(gi).and_then(|g| g.tags.get_mut(ti))
                    {
                        t.tag.name = name;
                    }
                }
                TagType::TagGroup => {
                    let gi = corp
                        .tag_group_index(&id)
                        .ok_or_else(|| invalid(format!("标签组 {id} 不存在")))?;
                    if let Some(name) = name
                        && let Some(g) = corp.tag_groups.get_mut(gi)
                    {
                        g.group_name = name;
                    }
                }
            }
            id
        }
        (TagChangeType::Delete, kind) => {
            let id = e.id.clone().unwrap_or_default();
            let removed: Vec<String> = match kind {
                TagType::Tag => {
                    let (gi, ti) = corp
                        .tag_position(&id)
                        .ok_or_else(|| invalid(format!("标签 {id} 不存在")))?;
                    if let Some(t) = corp.tag_groups.get_mut(gi).and_then(|g| g.tags.get_mut(ti)) {
                        t.deleted = true;
                    }
                    vec![id.clone()]
                }
                TagType::TagGroup => {
                    let gi = corp
                        .tag_group_index(&id)
                        .ok_or_else(|| invalid(format!("标签组 {id} 不存在")))?;
                    let mut removed = Vec::new();
                    if let Some(g) = corp.tag_groups.get_mut(gi) {
                        g.deleted = true;
                        for t in &mut g.tags {
                            if !t.deleted {
                                t.deleted = true;
                                removed.push(t.tag.id.clone());
                            }
                        }
                    }
                    removed
                }
            };
            corp.strip_tags(&removed);
            id
        }
        (TagChangeType::Shuffle, _) => e.id.clone().unwrap_or_default(),
    };
    let mut xml = head(&corp.corp_id, create_time, "change_external_tag");
    push_cdata_element(&mut xml, "Id", &id);
    push_cdata_element(&mut xml, "TagType", e.tag_type.as_str());
    push_cdata_element(&mut xml, "ChangeType", e.change_type.as_str());
    if let Some(s) = e.strategy_id {
        push_text_element(&mut xml, "StrategyId", &s.to_string());
    }
    xml.push_str("</xml>");
    Ok(xml)
}

/// The id an event asked for (must be unused) or a fresh one.
fn fresh_or_given(corp: &Corp, given: Option<&str>, prefix: &str) -> Result<String, SandboxError> {
    match given.filter(|s| !s.is_empty()) {
        Some(id) if corp.is_tag_id(id) => Err(invalid(format!("id {id} 已被使用"))),
        Some(id) => Ok(id.to_string()),
        None => Ok(corp.fresh_id(prefix)),
    }
}
