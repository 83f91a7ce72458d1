//! The sandbox corp's data with the indexes the API needs, and the runtime state of a session:
//! tokens, OAuth codes, tickets, uploads, sent messages, faults and call counts.
//!
//! Everything is indexed once at construction (profile L has 10,000 external contacts and 4,500
//! groups), so every API call is a map lookup plus the page it returns. Nothing is ever removed
//! from the ordered vectors: deletions are flags, so paging cursors (positions in those vectors)
//! stay valid while callbacks change the data.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng as _;
use sha2::{Digest as _, Sha256};

use crate::seed::{
    WecomAppData, WecomDataset, WecomDepartment, WecomExternalContact, WecomFollowInfo,
    WecomGroupChat, WecomMember, WecomTag, WecomTagGroup,
};

/// `t + d`, saturating instead of panicking at chrono's limits (a test clock may sit anywhere).
pub(crate) fn later(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating.
pub(crate) fn earlier(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Characters of WeCom's generated ids and secrets.
const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// A random string of `len` characters of [A-Za-z0-9_-].
pub(crate) fn random_string(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..ID_CHARS.len());
            char::from(ID_CHARS.get(i).copied().unwrap_or(b'A'))
        })
        .collect()
}

/// A random id like WeCom's: `prefix` followed by random characters, `total` long.
pub(crate) fn random_id(prefix: &str, total: usize) -> String {
    format!(
        "{prefix}{}",
        random_string(total.saturating_sub(prefix.len()))
    )
}

/// A random decimal string (nonces, message ids).
pub(crate) fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|i| {
            // No leading zero, so the value reads as a number.
            let d = if i == 0 {
                rng.random_range(1..10u8)
            } else {
                rng.random_range(0..10u8)
            };
            char::from(b'0' + d)
        })
        .collect()
}

/// One member's follow of an external contact.
#[derive(Clone, Debug)]
pub(crate) struct FollowRec {
    pub info: WecomFollowInfo,
    /// False once the member deleted the contact (del_external_contact).
    pub active: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct ContactRec {
    /// The contact's own fields; its `follow_users` is left empty, see `follows`.
    pub contact: WecomExternalContact,
    pub follows: Vec<FollowRec>,
}

impl ContactRec {
    pub fn has_active_follow(&self) -> bool {
        self.follows.iter().any(|f| f.active)
    }

    pub fn follow_mut(&mut self, userid: &str) -> Option<&mut FollowRec> {
        self.follows
            .iter_mut()
            .find(|f| f.active && f.info.userid == userid)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct GroupRec {
    pub chat: WecomGroupChat,
    /// 0 normal, 1 owner left (离职待继承), 2 inheriting, 3 inherited.
    pub status: u8,
    /// Dismissed groups vanish from the API, as in WeCom.
    pub dismissed: bool,
}

impl GroupRec {
    /// WeCom's `member_version`: changes whenever the member list does.
    pub fn member_version(&self) -> String {
        let mut ids: Vec<&str> = self
            .chat
            .members
            .iter()
            .map(|m| m.userid.as_str())
            .collect();
        ids.sort_unstable();
        let mut hasher = Sha256::new();
        for id in ids {
            hasher.update(id.as_bytes());
            hasher.update([0u8]);
        }
        let digest = hasher.finalize();
        hex::encode(digest.get(..16).unwrap_or_default())
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TagRec {
    pub tag: WecomTag,
    pub deleted: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct TagGroupRec {
    pub group_id: String,
    pub group_name: String,
    pub create_time: i64,
    pub order: u32,
    pub deleted: bool,
    pub tags: Vec<TagRec>,
}

/// Where a follow lives: contact index and follow index inside it.
pub(crate) type FollowRef = (u32, u32);

/// The corp's data with its indexes.
#[derive(Debug)]
pub(crate) struct Corp {
    pub corp_id: String,
    pub corp_name: String,
    pub corp_short_name: String,
    pub app: WecomAppData,
    pub departments: Vec<WecomDepartment>,
    pub members: Vec<WecomMember>,
    member_idx: HashMap<String, usize>,
    pub contacts: Vec<ContactRec>,
    contact_idx: HashMap<String, usize>,
    /// Member userid → their follows, in the order they were added (the paging order).
    pub member_follows: HashMap<String, Vec<FollowRef>>,
    pub groups: Vec<GroupRec>,
    group_idx: HashMap<String, usize>,
    /// Owner userid → indexes of the groups they own, ascending.
    pub owner_groups: HashMap<String, Vec<u32>>,
    pub tag_groups: Vec<TagGroupRec>,
    tag_group_idx: HashMap<String, usize>,
    tag_idx: HashMap<String, (usize, usize)>,
}

/// Positions are u32 in cursors; the sandbox never holds more than that.
fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Corp {
    pub fn from_dataset(dataset: WecomDataset) -> Self {
        let WecomDataset {
            corp_id,
            corp_name,
            corp_short_name,
            app,
            departments,
            members,
            external_contacts,
            group_chats,
            tag_groups,
        } = dataset;
        let mut corp = Self {
            corp_id,
            corp_name,
            corp_short_name,
            app,
            departments,
            member_idx: HashMap::with_capacity(members.len()),
            members: Vec::with_capacity(members.len()),
            contact_idx: HashMap::with_capacity(external_contacts.len()),
            contacts: Vec::with_capacity(external_contacts.len()),
            member_follows: HashMap::new(),
            group_idx: HashMap::with_capacity(group_chats.len()),
            groups: Vec::with_capacity(group_chats.len()),
            owner_groups: HashMap::new(),
            tag_group_idx: HashMap::new(),
            tag_groups: Vec::with_capacity(tag_groups.len()),
            tag_idx: HashMap::new(),
        };
        for member in members {
            corp.add_member(member);
        }
        for mut contact in external_contacts {
            let follows = std::mem::take(&mut contact.follow_users);
            let ci = corp.insert_contact(contact);
            for info in follows {
                corp.push_follow(ci, info);
            }
        }
        for chat in group_chats {
            corp.insert_group(chat);
        }
        for group in tag_groups {
            corp.insert_tag_group(group);
        }
        corp
    }

    fn add_member(&mut self, member: WecomMember) {
        // A duplicate userid in a hand-made dataset keeps the first, like a unique index.
        if self.member_idx.contains_key(&member.userid) {
            return;
        }
        self.member_idx
            .insert(member.userid.clone(), self.members.len());
        self.members.push(member);
    }

    pub fn member(&self, userid: &str) -> Option<&WecomMember> {
        self.member_idx
            .get(userid)
            .and_then(|&i| self.members.get(i))
    }

    // ---- external contacts ----

    /// Inserts a contact (without follows) and returns its index; an existing id returns the
    /// existing index unchanged.
    pub fn insert_contact(&mut self, mut contact: WecomExternalContact) -> usize {
        if let Some(&i) = self.contact_idx.get(&contact.external_userid) {
            return i;
        }
        contact.follow_users.clear();
        let i = self.contacts.len();
        self.contact_idx.insert(contact.external_userid.clone(), i);
        self.contacts.push(ContactRec {
            contact,
            follows: Vec::new(),
        });
        i
    }

    /// Appends a follow to contact `ci` and indexes it under its member.
    pub fn push_follow(&mut self, ci: usize, info: WecomFollowInfo) {
        let Some(rec) = self.contacts.get_mut(ci) else {
            return;
        };
        let fi = rec.follows.len();
        self.member_follows
            .entry(info.userid.clone())
            .or_default()
            .push((pos(ci), pos(fi)));
        rec.follows.push(FollowRec { info, active: true });
    }

    pub fn contact_index(&self, external_userid: &str) -> Option<usize> {
        self.contact_idx.get(external_userid).copied()
    }

    pub fn contact(&self, external_userid: &str) -> Option<&ContactRec> {
        self.contact_index(external_userid)
            .and_then(|i| self.contacts.get(i))
    }

    pub fn contact_mut(&mut self, external_userid: &str) -> Option<&mut ContactRec> {
        self.contact_index(external_userid)
            .and_then(|i| self.contacts.get_mut(i))
    }

    /// The active follow at `r`, with its contact.
    pub fn follow_at(&self, r: FollowRef) -> Option<(&ContactRec, &FollowRec)> {
        let c = self.contacts.get(r.0 as usize)?;
        let f = c.follows.get(r.1 as usize)?;
        f.active.then_some((c, f))
    }

    // ---- group chats ----

    pub fn insert_group(&mut self, chat: WecomGroupChat) -> usize {
        if let Some(&i) = self.group_idx.get(&chat.chat_id) {
            return i;
        }
        let i = self.groups.len();
        self.group_idx.insert(chat.chat_id.clone(), i);
        self.owner_groups
            .entry(chat.owner.clone())
            .or_default()
            .push(pos(i));
        self.groups.push(GroupRec {
            chat,
            status: 0,
            dismissed: false,
        });
        i
    }

    /// Whether any group, dismissed ones included, has this id.
    pub fn group_id_taken(&self, chat_id: &str) -> bool {
        self.group_idx.contains_key(chat_id)
    }

    /// A live (not dismissed) group.
    pub fn group(&self, chat_id: &str) -> Option<&GroupRec> {
        self.group_idx
            .get(chat_id)
            .and_then(|&i| self.groups.get(i))
            .filter(|g| !g.dismissed)
    }

    pub fn group_mut(&mut self, chat_id: &str) -> Option<&mut GroupRec> {
        self.group_idx
            .get(chat_id)
            .and_then(|&i| self.groups.get_mut(i))
            .filter(|g| !g.dismissed)
    }

    /// Moves a group to a new owner, keeping the owner index right.
    pub fn change_owner(&mut self, chat_id: &str, new_owner: &str) {
        let Some(&gi) = self.group_idx.get(chat_id) else {
            return;
        };
        let Some(group) = self.groups.get_mut(gi) else {
            return;
        };
        let old = std::mem::replace(&mut group.chat.owner, new_owner.to_string());
        if let Some(list) = self.owner_groups.get_mut(&old) {
            list.retain(|&g| g as usize != gi);
        }
        let list = self.owner_groups.entry(new_owner.to_string()).or_default();
        // Keep ascending order so paging by owner stays stable.
        let at = list.partition_point(|&g| (g as usize) < gi);
        list.insert(at, pos(gi));
    }

    // ---- corp tags ----

    pub fn insert_tag_group(&mut self, group: WecomTagGroup) -> usize {
        let gi = self.tag_groups.len();
        self.tag_group_idx.insert(group.group_id.clone(), gi);
        let mut rec = TagGroupRec {
            group_id: group.group_id,
            group_name: group.group_name,
            create_time: group.create_time,
            order: group.order,
            deleted: false,
            tags: Vec::with_capacity(group.tags.len()),
        };
        for tag in group.tags {
            self.tag_idx.insert(tag.id.clone(), (gi, rec.tags.len()));
            rec.tags.push(TagRec {
                tag,
                deleted: false,
            });
        }
        self.tag_groups.push(rec);
        gi
    }

    /// Adds a tag to group `gi` and returns it.
    pub fn push_tag(&mut self, gi: usize, tag: WecomTag) -> Option<WecomTag> {
        let group = self.tag_groups.get_mut(gi)?;
        self.tag_idx.insert(tag.id.clone(), (gi, group.tags.len()));
        group.tags.push(TagRec {
            tag: tag.clone(),
            deleted: false,
        });
        Some(tag)
    }

    /// Index of a live tag group by id.
    pub fn tag_group_index(&self, group_id: &str) -> Option<usize> {
        self.tag_group_idx
            .get(group_id)
            .copied()
            .filter(|&gi| self.tag_groups.get(gi).is_some_and(|g| !g.deleted))
    }

    /// Index of a live tag group by name.
    pub fn tag_group_by_name(&self, name: &str) -> Option<usize> {
        self.tag_groups
            .iter()
            .position(|g| !g.deleted && g.group_name == name)
    }

    /// A live tag and its group.
    pub fn tag(&self, tag_id: &str) -> Option<(&TagGroupRec, &TagRec)> {
        let &(gi, ti) = self.tag_idx.get(tag_id)?;
        let group = self.tag_groups.get(gi)?;
        let tag = group.tags.get(ti)?;
        (!group.deleted && !tag.deleted).then_some((group, tag))
    }

    pub fn tag_position(&self, tag_id: &str) -> Option<(usize, usize)> {
        self.tag(tag_id)?;
        self.tag_idx.get(tag_id).copied()
    }

    pub fn is_tag_id(&self, id: &str) -> bool {
        self.tag_idx.contains_key(id) || self.tag_group_idx.contains_key(id)
    }

    /// Number of live tags (WeCom allows 3000 per corp).
    pub fn live_tag_count(&self) -> usize {
        self.tag_groups
            .iter()
            .filter(|g| !g.deleted)
            .map(|g| g.tags.iter().filter(|t| !t.deleted).count())
            .sum()
    }

    /// Removes deleted tags from every follow, as WeCom does when a tag is deleted.
    pub fn strip_tags(&mut self, removed: &[String]) {
        if removed.is_empty() {
            return;
        }
        for contact in &mut self.contacts {
            for follow in &mut contact.follows {
                follow.info.tag_ids.retain(|t| !removed.contains(t));
            }
        }
    }

    /// A fresh id with `prefix` that no contact, group or tag uses yet.
    pub fn fresh_id(&self, prefix: &str) -> String {
        loop {
            let id = random_id(prefix, 32);
            if !self.contact_idx.contains_key(&id)
                && !self.group_idx.contains_key(&id)
                && !self.is_tag_id(&id)
            {
                return id;
            }
        }
    }
}

/// An issued access token.
#[derive(Clone, Debug)]
pub(crate) struct TokenRec {
    pub expires_at: DateTime<Utc>,
}

/// An issued OAuth / web-login code.
#[derive(Clone, Debug)]
pub(crate) struct CodeRec {
    pub userid: String,
    pub expires_at: DateTime<Utc>,
    /// snsapi_privateinfo also yields a user_ticket.
    pub private_info: bool,
}

/// JS-SDK ticket fetches of the last hour (for WeCom's hourly limits).
#[derive(Clone, Debug, Default)]
pub(crate) struct TicketState {
    pub fetches: VecDeque<DateTime<Utc>>,
}

/// A temporary media upload (kept 3 days, like WeCom).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedMedia {
    pub media_id: String,
    /// image, voice, video or file.
    pub kind: String,
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// An app message accepted by message/send.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SentMessage {
    pub msgid: String,
    pub agentid: String,
    pub msgtype: String,
    /// The valid recipients, in request order.
    pub touser: Vec<String>,
    /// The request body as sent.
    pub body: serde_json::Value,
    pub sent_at: DateTime<Utc>,
}

/// A message the sidebar put into a chat through the JS-SDK's `sendChatMessage`; in demo mode
/// the page's bridge reports it here, so the demo shows what a customer would have received.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    /// `contact` or `group`.
    pub chat_type: String,
    /// The external_userid or chat_id.
    pub chat_key: String,
    pub msgtype: String,
    pub content: String,
    #[serde(default = "epoch")]
    pub sent_at: DateTime<Utc>,
}

fn epoch() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// A pending injected fault.
#[derive(Clone, Debug)]
pub(crate) struct ActiveFault {
    pub api: Option<String>,
    pub errcode: i32,
    pub remaining: u32,
    pub latency: Option<std::time::Duration>,
}

/// Everything a session changes besides the corp data.
#[derive(Debug, Default)]
pub(crate) struct Runtime {
    pub tokens: HashMap<String, TokenRec>,
    pub codes: HashMap<String, CodeRec>,
    pub jsapi_ticket: TicketState,
    pub agent_ticket: TicketState,
    pub media: HashMap<String, UploadedMedia>,
    pub messages: Vec<SentMessage>,
    /// Texts the demo sidebar put into chats (its stand-in for `sendChatMessage`).
    pub chat_messages: Vec<ChatMessage>,
    pub faults: Vec<ActiveFault>,
    pub stats: BTreeMap<String, u64>,
}
