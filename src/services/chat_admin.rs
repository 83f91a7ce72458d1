//! The back office's WeCom pages (manual 四(二)(三) and 六): 我的微信联系人, 我的微信群, 已关联客户
//! and 匹配员工.
//!
//! Staff see the external contacts they follow (their bound WeCom member is a live follower) and
//! the customer groups they own or are a member of; admins see the whole firm's. Contacts WeCom
//! says are gone and dismissed groups are not listed (their links stay for the record). Linking
//! and unlinking go through [`crate::services::links`], the same functions the sidebar uses, which
//! audit every change; binding members to employees goes through
//! [`crate::services::employee_admin`]. Every query is filtered by the caller's firm.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::entities::{
    customer, customer_external_link, customer_group_link, customer_tag, employee, external_follow,
    group_chat_member, tag, tag_group, wecom_external_contact, wecom_group_chat, wecom_member,
};
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::audit::Who;
use crate::services::links::{self, Chat};
use crate::services::sessions::CurrentEmployee;
use crate::services::{Ctx, access};

/// Rows on one page of a list.
pub const PER_PAGE: u64 = 20;
/// At most this many customers are linked in one request.
pub const MAX_LINK: usize = 50;
/// Longest accepted search text, in characters.
pub const MAX_QUERY_CHARS: usize = 60;

/// Linked or not, for the filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linked {
    Yes,
    No,
}

impl Linked {
    /// `linked` / `unlinked`; empty means either; anything else is refused in Chinese.
    pub fn parse(code: &str) -> AppResult<Option<Self>> {
        match code.trim() {
            "" | "all" => Ok(None),
            "linked" => Ok(Some(Self::Yes)),
            "unlinked" => Ok(Some(Self::No)),
            _ => Err(AppError::Validation(
                "关联状态只能是“已关联”或“未关联”".into(),
            )),
        }
    }
}

/// The filters of 我的微信联系人 and 我的微信群.
#[derive(Clone, Debug, Default)]
pub struct ChatFilter {
    /// Searched in names, remarks and corp names.
    pub q: String,
    pub linked: Option<Linked>,
    /// A WeCom member's userid (admins only: staff always see their own).
    pub member: String,
    /// A corp tag (`tag.id` of a tag synced from WeCom).
    pub tag: Option<i64>,
    /// 1-based.
    pub page: u64,
}

/// The filters of 已关联客户.
#[derive(Clone, Debug, Default)]
pub struct CustomerFilter {
    pub q: String,
    pub manager: Option<Manager>,
    pub tag: Option<i64>,
    pub status: Option<customer::ServiceStatus>,
    pub linked: Option<Linked>,
    /// 1-based.
    pub page: u64,
}

/// The 客户经理 filter: one employee, or customers without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manager {
    Is(i64),
    Nobody,
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    /// 1-based.
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}

impl<T> Paged<T> {
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }
}

/// An id and a name, for chips and options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub id: i64,
    pub name: String,
}

/// One external contact on 我的微信联系人.
#[derive(Clone, Debug)]
pub struct ContactRow {
    pub contact: wecom_external_contact::Model,
    /// The remarks its followers gave it (the caller's own first).
    pub remark: String,
    /// The members who follow it, by name.
    pub followers: Vec<String>,
    /// Its corp tags, by name.
    pub tags: Vec<String>,
    pub customers: Vec<Named>,
}

impl ContactRow {
    /// `@微信` for personal WeChat, `@企业名` for a WeCom user of another corp.
    pub fn kind(&self) -> String {
        match (&self.contact.contact_type, &self.contact.corp_name) {
            (2, Some(corp)) if !corp.is_empty() => format!("@{corp}"),
            (2, _) => "@企业微信".into(),
            _ => "@微信".into(),
        }
    }
}

/// One customer group on 我的微信群.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub group: wecom_group_chat::Model,
    pub owner: String,
    pub customers: Vec<Named>,
}

impl GroupRow {
    pub fn name(&self) -> &str {
        if self.group.name.is_empty() {
            "未命名客户群"
        } else {
            &self.group.name
        }
    }
}

/// One customer on 已关联客户.
#[derive(Clone, Debug)]
pub struct CustomerRow {
    pub customer: customer::Model,
    pub manager: String,
    pub bookkeeper: String,
    pub tags: Vec<String>,
    pub contacts: Vec<Named>,
    pub groups: Vec<Named>,
}

impl CustomerRow {
    pub fn status(&self) -> &'static str {
        status_label(self.customer.service_status)
    }
}

pub fn status_label(s: customer::ServiceStatus) -> &'static str {
    match s {
        customer::ServiceStatus::Serving => "服务中",
        customer::ServiceStatus::Paused => "暂停服务",
        customer::ServiceStatus::Expired => "已到期",
        customer::ServiceStatus::Lost => "已流失",
    }
}

/// Service statuses with their codes, for the filter.
pub const STATUSES: [(&str, customer::ServiceStatus); 4] = [
    ("serving", customer::ServiceStatus::Serving),
    ("paused", customer::ServiceStatus::Paused),
    ("expired", customer::ServiceStatus::Expired),
    ("lost", customer::ServiceStatus::Lost),
];

/// A service status from its code; empty means any.
pub fn parse_status(code: &str) -> AppResult<Option<customer::ServiceStatus>> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| Some(*s))
        .ok_or_else(|| AppError::Validation("服务状态不正确".into()))
}

/// What the filters offer: the firm's WeCom members, corp tags, account managers and customer tags.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// (userid, name); empty for staff, who see only their own.
    pub members: Vec<(String, String)>,
    pub wecom_tags: Vec<Named>,
    pub managers: Vec<Named>,
    /// Admins only: the active employees customers may be assigned to.
    pub assignable: Vec<Named>,
    pub customer_tags: Vec<Named>,
}

/// A contact or group with its linked customers, for the 设置关联 page.
#[derive(Clone, Debug)]
pub struct ContactDetail {
    pub row: ContactRow,
    /// Each live follow: (member name, remark, description).
    pub follows: Vec<(String, String, String)>,
}

#[derive(Clone, Debug)]
pub struct GroupDetail {
    pub row: GroupRow,
    /// Members still in the group: (name, 成员 / 客户).
    pub members: Vec<(String, &'static str)>,
}

/// A customer found for linking.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub detail: String,
    pub linked: bool,
}

/// A WeCom member beside the employee bound to it, on 匹配员工.
#[derive(Clone, Debug)]
pub struct MemberRow {
    pub member: wecom_member::Model,
    pub employee: Option<employee::Model>,
}

impl MemberRow {
    pub fn status(&self) -> &'static str {
        match self.member.status {
            1 => "已激活",
            2 => "已禁用",
            4 => "未激活",
            5 => "已退出企业",
            _ => "未知",
        }
    }
}

pub struct MembersPage {
    pub rows: Vec<MemberRow>,
    /// Active employees bound to no member, for the bind form.
    pub unbound_employees: Vec<employee::Model>,
    /// Employees bound to a userid our copy of WeCom does not hold.
    pub stray: Vec<employee::Model>,
}

pub fn clean_query(q: &str) -> AppResult<String> {
    let q = q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::Validation(format!(
            "搜索内容太长，最多{MAX_QUERY_CHARS}个字"
        )));
    }
    Ok(q.to_string())
}

/// The member whose chats the caller sees: `None` for admins (everyone's), the bound userid for
/// staff (empty when unbound, which matches nothing).
fn own_userid(me: &CurrentEmployee) -> Option<String> {
    if me.is_admin() {
        None
    } else {
        Some(me.wecom_userid.clone().unwrap_or_default())
    }
}

fn t(name: &'static str) -> Alias {
    Alias::new(name)
}

/// The ids of external contacts with a live follow matching the caller's scope, the member filter
/// and the tag filter.
fn followed_contacts(
    me: &CurrentEmployee,
    member: Option<&str>,
    wecom_tag: Option<&str>,
) -> sea_orm::sea_query::SelectStatement {
    let mut cond = Condition::all()
        .add(external_follow::Column::FirmId.eq(me.firm_id))
        .add(external_follow::Column::DeletedAt.is_null());
    if let Some(own) = own_userid(me) {
        cond = cond.add(external_follow::Column::Userid.eq(own));
    }
    if let Some(member) = member {
        cond = cond.add(external_follow::Column::Userid.eq(member));
    }
    if let Some(tag_id) = wecom_tag {
        cond = cond.add(
            Expr::expr(Func::cast_as(
                Expr::col((external_follow::Entity, external_follow::Column::TagIds)),
                t("TEXT"),
            ))
            .like(crate::db::contains_like(&format!("\"{tag_id}\""))),
        );
    }
    Query::select()
        .column(external_follow::Column::ExternalContactId)
        .from(external_follow::Entity)
        .cond_where(cond)
        .to_owned()
}

/// The `wecom_tag_id` of one of the firm's corp tags.
async fn wecom_tag_id(ctx: &Ctx, firm_id: i64, tag_id: i64) -> AppResult<String> {
    tag::Entity::find_by_id(tag_id)
        .filter(tag::Column::FirmId.eq(firm_id))
        .filter(tag::Column::DeletedAt.is_null())
        .one(ctx.db.read())
        .await?
        .and_then(|t| t.wecom_tag_id)
        .ok_or_else(|| AppError::Validation("所选标签不存在，请刷新页面后重试".into()))
}

pub fn page_of(page: u64) -> u64 {
    Ord::max(page, 1)
}

/// 我的微信联系人: the contacts the caller may see, filtered, a page at a time, by name.
pub async fn contacts(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &ChatFilter,
) -> AppResult<Paged<ContactRow>> {
    let q = clean_query(&filter.q)?;
    let member = Some(filter.member.trim()).filter(|m| !m.is_empty());
    let wecom_tag = match filter.tag {
        Some(id) => Some(wecom_tag_id(ctx, me.firm_id, id).await?),
        None => None,
    };
    let mut query = wecom_external_contact::Entity::find()
        .filter(wecom_external_contact::Column::FirmId.eq(me.firm_id))
        .filter(wecom_external_contact::Column::DeletedAt.is_null())
        .filter(
            wecom_external_contact::Column::Id.in_subquery(followed_contacts(
                me,
                member,
                wecom_tag.as_deref(),
            )),
        );
    if !q.is_empty() {
        let mut remarks = Condition::all()
            .add(external_follow::Column::FirmId.eq(me.firm_id))
            .add(external_follow::Column::DeletedAt.is_null())
            .add(crate::db::any_contains(
                [
                    external_follow::Column::Remark,
                    external_follow::Column::RemarkCorpName,
                    external_follow::Column::Description,
                ],
                &q,
            ));
        if let Some(own) = own_userid(me) {
            remarks = remarks.add(external_follow::Column::Userid.eq(own));
        }
        let remarked = Query::select()
            .column(external_follow::Column::ExternalContactId)
            .from(external_follow::Entity)
            .cond_where(remarks)
            .to_owned();
        query = query.filter(
            crate::db::any_contains(
                [
                    wecom_external_contact::Column::Name,
                    wecom_external_contact::Column::CorpName,
                    wecom_external_contact::Column::CorpFullName,
                ],
                &q,
            )
            .add(wecom_external_contact::Column::Id.in_subquery(remarked)),
        );
    }
    if let Some(linked) = filter.linked {
        let links = Query::select()
            .column(customer_external_link::Column::ExternalContactId)
            .from(customer_external_link::Entity)
            .and_where(customer_external_link::Column::FirmId.eq(me.firm_id))
            .to_owned();
        query = query.filter(match linked {
            Linked::Yes => wecom_external_contact::Column::Id.in_subquery(links),
            Linked::No => wecom_external_contact::Column::Id.not_in_subquery(links),
        });
    }
    let paginator = query
        .order_by_asc(wecom_external_contact::Column::Name)
        .order_by_asc(wecom_external_contact::Column::Id)
        .paginate(ctx.db.read(), PER_PAGE);
    let counts = paginator.num_items_and_pages().await?;
    let page = page_of(filter.page);
    let found = paginator.fetch_page(page - 1).await?;
    let rows = contact_rows(ctx, me, found).await?;
    Ok(Paged {
        rows,
        page,
        pages: Ord::max(counts.number_of_pages, 1),
        total: counts.number_of_items,
    })
}

async fn member_names(
    ctx: &Ctx,
    firm_id: i64,
    userids: impl IntoIterator<Item = String>,
) -> AppResult<HashMap<String, String>> {
    let userids: BTreeSet<String> = userids.into_iter().collect();
    if userids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(wecom_member::Entity::find()
        .filter(wecom_member::Column::FirmId.eq(firm_id))
        .filter(wecom_member::Column::Userid.is_in(userids))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|m| (m.userid, m.name))
        .collect())
}

/// Customers by id (live ones), by name.
async fn customer_names(
    ctx: &Ctx,
    firm_id: i64,
    ids: impl IntoIterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(customer::Entity::find()
        .filter(customer::Column::FirmId.eq(firm_id))
        .filter(customer::Column::DeletedAt.is_null())
        .filter(customer::Column::Id.is_in(ids))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

fn named(pairs: Vec<(i64, i64)>, names: &HashMap<i64, String>) -> HashMap<i64, Vec<Named>> {
    let mut out: HashMap<i64, Vec<Named>> = HashMap::new();
    for (owner, id) in pairs {
        if let Some(name) = names.get(&id) {
            out.entry(owner).or_default().push(Named {
                id,
                name: name.clone(),
            });
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    out
}

fn tag_list(value: &Option<serde_json::Value>) -> Vec<String> {
    value
        .as_ref()
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn contact_rows(
    ctx: &Ctx,
    me: &CurrentEmployee,
    found: Vec<wecom_external_contact::Model>,
) -> AppResult<Vec<ContactRow>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
    let follows = external_follow::Entity::find()
        .filter(external_follow::Column::FirmId.eq(me.firm_id))
        .filter(external_follow::Column::ExternalContactId.is_in(ids.clone()))
        .filter(external_follow::Column::DeletedAt.is_null())
        .order_by_asc(external_follow::Column::Id)
        .all(ctx.db.read())
        .await?;
    let names = member_names(ctx, me.firm_id, follows.iter().map(|f| f.userid.clone())).await?;
    let tag_ids: BTreeSet<String> = follows.iter().flat_map(|f| tag_list(&f.tag_ids)).collect();
    let tag_names: HashMap<String, String> = if tag_ids.is_empty() {
        HashMap::new()
    } else {
        tag::Entity::find()
            .filter(tag::Column::FirmId.eq(me.firm_id))
            .filter(tag::Column::DeletedAt.is_null())
            .filter(tag::Column::WecomTagId.is_in(tag_ids))
            .all(ctx.db.read())
            .await?
            .into_iter()
            .filter_map(|t| t.wecom_tag_id.map(|w| (w, t.name)))
            .collect()
    };
    let links: Vec<(i64, i64)> = customer_external_link::Entity::find()
        .filter(customer_external_link::Column::FirmId.eq(me.firm_id))
        .filter(customer_external_link::Column::ExternalContactId.is_in(ids))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|l| (l.external_contact_id, l.customer_id))
        .collect();
    let customers = customer_names(ctx, me.firm_id, links.iter().map(|(_, c)| *c)).await?;
    let mut linked = named(links, &customers);
    let own = me.wecom_userid.clone().unwrap_or_default();
    let mut by_contact: HashMap<i64, Vec<&external_follow::Model>> = HashMap::new();
    for f in &follows {
        by_contact.entry(f.external_contact_id).or_default().push(f);
    }
    Ok(found
        .into_iter()
        .map(|contact| {
            let mut mine = by_contact.remove(&contact.id).unwrap_or_default();
            mine.sort_by_key(|f| f.userid != own);
            let mut remarks: Vec<String> = Vec::new();
            let mut tags: Vec<String> = Vec::new();
            for f in &mine {
                if let Some(r) = f.remark.as_deref().filter(|r| !r.is_empty())
                    && !remarks.iter().any(|x| x == r)
                {
                    remarks.push(r.to_string());
                }
                for id in tag_list(&f.tag_ids) {
                    if let Some(name) = tag_names.get(&id)
                        && !tags.contains(name)
                    {
                        tags.push(name.clone());
                    }
                }
            }
            ContactRow {
                remark: remarks.join("、"),
                followers: mine
                    .iter()
                    .map(|f| names.get(&f.userid).cloned().unwrap_or(f.userid.clone()))
                    .collect(),
                tags,
                customers: linked.remove(&contact.id).unwrap_or_default(),
                contact,
            }
        })
        .collect())
}

/// The groups the caller may see: the firm's live groups, and for staff those they own or are in.
fn visible_groups(me: &CurrentEmployee, member: Option<&str>) -> Condition {
    let mut cond = Condition::all()
        .add(wecom_group_chat::Column::FirmId.eq(me.firm_id))
        .add(wecom_group_chat::Column::DismissedAt.is_null());
    let owned_or_in = |userid: String| {
        let in_group = Query::select()
            .column(group_chat_member::Column::GroupChatId)
            .from(group_chat_member::Entity)
            .cond_where(
                Condition::all()
                    .add(group_chat_member::Column::FirmId.eq(me.firm_id))
                    .add(group_chat_member::Column::MemberId.eq(userid.clone()))
                    .add(group_chat_member::Column::MemberType.eq(1))
                    .add(group_chat_member::Column::LeftAt.is_null()),
            )
            .to_owned();
        Condition::any()
            .add(wecom_group_chat::Column::OwnerUserid.eq(userid))
            .add(wecom_group_chat::Column::Id.in_subquery(in_group))
    };
    if let Some(own) = own_userid(me) {
        cond = cond.add(owned_or_in(own));
    }
    if let Some(member) = member {
        cond = cond.add(owned_or_in(member.to_string()));
    }
    cond
}

/// 我的微信群: the customer groups the caller may see, filtered, a page at a time, by name. The
/// tag filter keeps groups with a customer (external member) who carries the tag.
pub async fn groups(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &ChatFilter,
) -> AppResult<Paged<GroupRow>> {
    let q = clean_query(&filter.q)?;
    let member = Some(filter.member.trim()).filter(|m| !m.is_empty());
    let mut query = wecom_group_chat::Entity::find().filter(visible_groups(me, member));
    if let Some(id) = filter.tag {
        let wecom_tag = wecom_tag_id(ctx, me.firm_id, id).await?;
        let tagged_follow = Query::select()
            .column(external_follow::Column::ExternalContactId)
            .from(external_follow::Entity)
            .cond_where(
                Condition::all()
                    .add(external_follow::Column::FirmId.eq(me.firm_id))
                    .add(external_follow::Column::DeletedAt.is_null())
                    .add(
                        Expr::expr(Func::cast_as(
                            Expr::col((external_follow::Entity, external_follow::Column::TagIds)),
                            t("TEXT"),
                        ))
                        .like(crate::db::contains_like(&format!("\"{wecom_tag}\""))),
                    ),
            )
            .to_owned();
        let tagged_userids = Query::select()
            .column(wecom_external_contact::Column::ExternalUserid)
            .from(wecom_external_contact::Entity)
            .cond_where(
                Condition::all()
                    .add(wecom_external_contact::Column::FirmId.eq(me.firm_id))
                    .add(wecom_external_contact::Column::Id.in_subquery(tagged_follow)),
            )
            .to_owned();
        let groups_with_tagged = Query::select()
            .column(group_chat_member::Column::GroupChatId)
            .from(group_chat_member::Entity)
            .cond_where(
                Condition::all()
                    .add(group_chat_member::Column::FirmId.eq(me.firm_id))
                    .add(group_chat_member::Column::MemberType.eq(2))
                    .add(group_chat_member::Column::LeftAt.is_null())
                    .add(group_chat_member::Column::MemberId.in_subquery(tagged_userids)),
            )
            .to_owned();
        query = query.filter(wecom_group_chat::Column::Id.in_subquery(groups_with_tagged));
    }
    if !q.is_empty() {
        let owners = Query::select()
            .column(wecom_member::Column::Userid)
            .from(wecom_member::Entity)
            .cond_where(
                Condition::all()
                    .add(wecom_member::Column::FirmId.eq(me.firm_id))
                    .add(Expr::col(wecom_member::Column::Name).like(crate::db::contains_like(&q))),
            )
            .to_owned();
        query = query.filter(
            crate::db::any_contains(
                [
                    wecom_group_chat::Column::Name,
                    wecom_group_chat::Column::Notice,
                ],
                &q,
            )
            .add(wecom_group_chat::Column::OwnerUserid.in_subquery(owners)),
        );
    }
    if let Some(linked) = filter.linked {
        let links = Query::select()
            .column(customer_group_link::Column::GroupChatId)
            .from(customer_group_link::Entity)
            .and_where(customer_group_link::Column::FirmId.eq(me.firm_id))
            .to_owned();
        query = query.filter(match linked {
            Linked::Yes => wecom_group_chat::Column::Id.in_subquery(links),
            Linked::No => wecom_group_chat::Column::Id.not_in_subquery(links),
        });
    }
    let paginator = query
        .order_by_asc(wecom_group_chat::Column::Name)
        .order_by_asc(wecom_group_chat::Column::Id)
        .paginate(ctx.db.read(), PER_PAGE);
    let counts = paginator.num_items_and_pages().await?;
    let page = page_of(filter.page);
    let found = paginator.fetch_page(page - 1).await?;
    let rows = group_rows(ctx, me.firm_id, found).await?;
    Ok(Paged {
        rows,
        page,
        pages: Ord::max(counts.number_of_pages, 1),
        total: counts.number_of_items,
    })
}

async fn group_rows(
    ctx: &Ctx,
    firm_id: i64,
    found: Vec<wecom_group_chat::Model>,
) -> AppResult<Vec<GroupRow>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = found.iter().map(|g| g.id).collect();
    let owners = member_names(
        ctx,
        firm_id,
        found.iter().filter_map(|g| g.owner_userid.clone()),
    )
    .await?;
    let links: Vec<(i64, i64)> = customer_group_link::Entity::find()
        .filter(customer_group_link::Column::FirmId.eq(firm_id))
        .filter(customer_group_link::Column::GroupChatId.is_in(ids))
        .all(ctx.db.read())
        .await?
        .into_iter()
        .map(|l| (l.group_chat_id, l.customer_id))
        .collect();
    let customers = customer_names(ctx, firm_id, links.iter().map(|(_, c)| *c)).await?;
    let mut linked = named(links, &customers);
    Ok(found
        .into_iter()
        .map(|group| GroupRow {
            owner: group
                .owner_userid
                .as_ref()
                .map(|u| owners.get(u).cloned().unwrap_or(u.clone()))
                .unwrap_or_default(),
            customers: linked.remove(&group.id).unwrap_or_default(),
            group,
        })
        .collect())
}

/// The contact if the caller may see it: 404 when it is not the firm's live contact, 403 for
/// staff who do not follow it.
async fn visible_contact(
    ctx: &Ctx,
    me: &CurrentEmployee,
    id: i64,
) -> AppResult<wecom_external_contact::Model> {
    let found = wecom_external_contact::Entity::find_by_id(id)
        .filter(wecom_external_contact::Column::FirmId.eq(me.firm_id))
        .filter(wecom_external_contact::Column::DeletedAt.is_null())
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("微信联系人不存在或已被删除".into()))?;
    if own_userid(me).is_some() {
        let follows = wecom_external_contact::Entity::find_by_id(id)
            .filter(
                wecom_external_contact::Column::Id.in_subquery(followed_contacts(me, None, None)),
            )
            .one(ctx.db.read())
            .await?;
        if follows.is_none() {
            return Err(AppError::Forbidden(
                "您没有添加该微信联系人，不能查看或设置关联".into(),
            ));
        }
    }
    Ok(found)
}

/// The group if the caller may see it: 404 when it is not the firm's live group, 403 for staff
/// who neither own it nor are in it.
async fn visible_group(
    ctx: &Ctx,
    me: &CurrentEmployee,
    id: i64,
) -> AppResult<wecom_group_chat::Model> {
    let found = wecom_group_chat::Entity::find_by_id(id)
        .filter(wecom_group_chat::Column::FirmId.eq(me.firm_id))
        .filter(wecom_group_chat::Column::DismissedAt.is_null())
        .one(ctx.db.read())
        .await?
        .ok_or_else(|| AppError::NotFound("客户群不存在或已解散".into()))?;
    if own_userid(me).is_some()
        && wecom_group_chat::Entity::find_by_id(id)
            .filter(visible_groups(me, None))
            .one(ctx.db.read())
            .await?
            .is_none()
    {
        return Err(AppError::Forbidden(
            "您不是该客户群的群主或成员，不能查看或设置关联".into(),
        ));
    }
    Ok(found)
}

/// The 设置关联 page of one contact.
pub async fn contact(ctx: &Ctx, me: &CurrentEmployee, id: i64) -> AppResult<ContactDetail> {
    let found = visible_contact(ctx, me, id).await?;
    let follows = external_follow::Entity::find()
        .filter(external_follow::Column::FirmId.eq(me.firm_id))
        .filter(external_follow::Column::ExternalContactId.eq(id))
        .filter(external_follow::Column::DeletedAt.is_null())
        .order_by_asc(external_follow::Column::Id)
        .all(ctx.db.read())
        .await?;
    let names = member_names(ctx, me.firm_id, follows.iter().map(|f| f.userid.clone())).await?;
    let follows = follows
        .into_iter()
        .map(|f| {
            (
                names.get(&f.userid).cloned().unwrap_or(f.userid.clone()),
                f.remark.unwrap_or_default(),
                f.description.unwrap_or_default(),
            )
        })
        .collect();
    let row = contact_rows(ctx, me, vec![found])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("微信联系人不存在或已被删除".into()))?;
    Ok(ContactDetail { row, follows })
}

/// The 设置关联 page of one group.
pub async fn group(ctx: &Ctx, me: &CurrentEmployee, id: i64) -> AppResult<GroupDetail> {
    let found = visible_group(ctx, me, id).await?;
    let members = group_chat_member::Entity::find()
        .filter(group_chat_member::Column::FirmId.eq(me.firm_id))
        .filter(group_chat_member::Column::GroupChatId.eq(id))
        .filter(group_chat_member::Column::LeftAt.is_null())
        .order_by_asc(group_chat_member::Column::MemberType)
        .order_by_asc(group_chat_member::Column::Id)
        .limit(500)
        .all(ctx.db.read())
        .await?;
    let staff = member_names(
        ctx,
        me.firm_id,
        members
            .iter()
            .filter(|m| m.member_type == 1)
            .map(|m| m.member_id.clone()),
    )
    .await?;
    let members = members
        .into_iter()
        .map(|m| {
            let name = m
                .group_nickname
                .clone()
                .filter(|n| !n.is_empty())
                .or(m.name.clone().filter(|n| !n.is_empty()))
                .or_else(|| staff.get(&m.member_id).cloned())
                .unwrap_or(m.member_id.clone());
            (
                name,
                if m.member_type == 1 {
                    "成员"
                } else {
                    "客户"
                },
            )
        })
        .collect();
    let row = group_rows(ctx, me.firm_id, vec![found])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::NotFound("客户群不存在或已解散".into()))?;
    Ok(GroupDetail { row, members })
}

/// Customers the caller may see whose name, short name or USCC contains `q`, marked when already
/// linked to the chat; the linked ones first when there is no search.
pub async fn candidates(
    ctx: &Ctx,
    me: &CurrentEmployee,
    q: &str,
    linked: &[Named],
) -> AppResult<Vec<Candidate>> {
    let q = clean_query(q)?;
    let mut query = customer::Entity::find().filter(access::visible_customers(me));
    if q.is_empty() {
        // Before a search: the customers no chat is linked to yet, the likeliest to need one.
        query = query.filter(linked_condition(me.firm_id, Linked::No));
    } else {
        query = query.filter(links::customer_named(&q));
    }
    let found = query
        .order_by_asc(customer::Column::Name)
        .order_by_asc(customer::Column::Id)
        .limit(PER_PAGE)
        .all(ctx.db.read())
        .await?;
    Ok(found
        .into_iter()
        .map(|c| Candidate {
            linked: linked.iter().any(|l| l.id == c.id),
            detail: [c.short_name.clone(), c.uscc.clone()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
            id: c.id,
            name: c.name,
        })
        .collect())
}

async fn check_chat(ctx: &Ctx, me: &CurrentEmployee, chat: Chat) -> AppResult<()> {
    match chat {
        Chat::Contact(id) => visible_contact(ctx, me, id).await.map(|_| ()),
        Chat::Group(id) => visible_group(ctx, me, id).await.map(|_| ()),
    }
}

/// Links a contact or group the caller may see to more customers the caller may see.
pub async fn link(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    chat: Chat,
    customer_ids: &[i64],
) -> AppResult<()> {
    me.require(Permission::Basic)?;
    if customer_ids.is_empty() {
        return Err(AppError::Validation("请至少勾选一家客户".into()));
    }
    if customer_ids.len() > MAX_LINK {
        return Err(AppError::Validation(format!(
            "一次最多关联{MAX_LINK}家客户"
        )));
    }
    check_chat(ctx, me, chat).await?;
    for id in customer_ids {
        access::customer(ctx, me, *id).await?;
    }
    links::link(ctx, me, &Who::employee(me, ip), chat, customer_ids).await
}

/// Removes one customer from a contact's or group's links.
pub async fn unlink(
    ctx: &Ctx,
    me: &CurrentEmployee,
    ip: Option<String>,
    chat: Chat,
    customer_id: i64,
) -> AppResult<()> {
    me.require(Permission::Basic)?;
    check_chat(ctx, me, chat).await?;
    let linked = links::customers_of(ctx, me.firm_id, chat).await?;
    if !linked.iter().any(|c| c.id == customer_id) {
        return Err(AppError::NotFound("该聊天未关联此客户".into()));
    }
    links::unlink(ctx, me, &Who::employee(me, ip), chat, customer_id).await
}

/// The customers the caller may see that `filter` keeps (its page aside).
fn customer_query(
    me: &CurrentEmployee,
    filter: &CustomerFilter,
) -> AppResult<sea_orm::Select<customer::Entity>> {
    let q = clean_query(&filter.q)?;
    let mut query = customer::Entity::find().filter(access::visible_customers(me));
    if !q.is_empty() {
        query = query.filter(crate::db::any_contains(
            [
                (customer::Entity, customer::Column::Name),
                (customer::Entity, customer::Column::ShortName),
            ],
            &q,
        ));
    }
    match filter.manager {
        Some(Manager::Is(id)) => query = query.filter(customer::Column::AccountManagerId.eq(id)),
        Some(Manager::Nobody) => query = query.filter(customer::Column::AccountManagerId.is_null()),
        None => {}
    }
    if let Some(status) = filter.status {
        query = query.filter(customer::Column::ServiceStatus.eq(status));
    }
    if let Some(tag_id) = filter.tag {
        let tagged = Query::select()
            .column(customer_tag::Column::CustomerId)
            .from(customer_tag::Entity)
            .cond_where(
                Condition::all()
                    .add(customer_tag::Column::FirmId.eq(me.firm_id))
                    .add(customer_tag::Column::TagId.eq(tag_id)),
            )
            .to_owned();
        query = query.filter(customer::Column::Id.in_subquery(tagged));
    }
    if let Some(linked) = filter.linked {
        query = query.filter(linked_condition(me.firm_id, linked));
    }
    Ok(query)
}

/// Customers linked to some contact or group of the firm (or to none).
fn linked_condition(firm_id: i64, linked: Linked) -> Condition {
    let by_contact = Query::select()
        .column(customer_external_link::Column::CustomerId)
        .from(customer_external_link::Entity)
        .and_where(customer_external_link::Column::FirmId.eq(firm_id))
        .to_owned();
    let by_group = Query::select()
        .column(customer_group_link::Column::CustomerId)
        .from(customer_group_link::Entity)
        .and_where(customer_group_link::Column::FirmId.eq(firm_id))
        .to_owned();
    match linked {
        Linked::Yes => Condition::any()
            .add(customer::Column::Id.in_subquery(by_contact))
            .add(customer::Column::Id.in_subquery(by_group)),
        Linked::No => Condition::all()
            .add(customer::Column::Id.not_in_subquery(by_contact))
            .add(customer::Column::Id.not_in_subquery(by_group)),
    }
}

/// The ids of every customer `filter` keeps, on all its pages: what 分配 applies to when the
/// admin picks the whole filtered list.
pub async fn customer_ids(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &CustomerFilter,
) -> AppResult<Vec<i64>> {
    Ok(customer_query(me, filter)?
        .select_only()
        .column(customer::Column::Id)
        .into_tuple()
        .all(ctx.db.read())
        .await?)
}

/// 已关联客户: the customers the caller may see with their linked contacts and groups.
pub async fn customers(
    ctx: &Ctx,
    me: &CurrentEmployee,
    filter: &CustomerFilter,
) -> AppResult<Paged<CustomerRow>> {
    let query = customer_query(me, filter)?;
    let paginator = query
        .order_by_asc(customer::Column::Name)
        .order_by_asc(customer::Column::Id)
        .paginate(ctx.db.read(), PER_PAGE);
    let counts = paginator.num_items_and_pages().await?;
    let page = page_of(filter.page);
    let found = paginator.fetch_page(page - 1).await?;
    let rows = customer_rows(ctx, me.firm_id, found).await?;
    Ok(Paged {
        rows,
        page,
        pages: Ord::max(counts.number_of_pages, 1),
        total: counts.number_of_items,
    })
}

async fn customer_rows(
    ctx: &Ctx,
    firm_id: i64,
    found: Vec<customer::Model>,
) -> AppResult<Vec<CustomerRow>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let db = ctx.db.read();
    let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
    let managers: HashMap<i64, String> = {
        let wanted: BTreeSet<i64> = found
            .iter()
            .flat_map(|c| [c.account_manager_id, c.bookkeeper_id])
            .flatten()
            .collect();
        if wanted.is_empty() {
            HashMap::new()
        } else {
            employee::Entity::find()
                .filter(employee::Column::FirmId.eq(firm_id))
                .filter(employee::Column::Id.is_in(wanted))
                .all(db)
                .await?
                .into_iter()
                .map(|e| (e.id, e.name))
                .collect()
        }
    };
    let tag_rows = customer_tag::Entity::find()
        .filter(customer_tag::Column::FirmId.eq(firm_id))
        .filter(customer_tag::Column::CustomerId.is_in(ids.clone()))
        .all(db)
        .await?;
    let tag_names: HashMap<i64, String> = {
        let wanted: BTreeSet<i64> = tag_rows.iter().map(|t| t.tag_id).collect();
        if wanted.is_empty() {
            HashMap::new()
        } else {
            tag::Entity::find()
                .filter(tag::Column::FirmId.eq(firm_id))
                .filter(tag::Column::DeletedAt.is_null())
                .filter(tag::Column::Id.is_in(wanted))
                .all(db)
                .await?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect()
        }
    };
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in tag_rows {
        if let Some(name) = tag_names.get(&row.tag_id) {
            tags.entry(row.customer_id).or_default().push(name.clone());
        }
    }
    let contact_links = customer_external_link::Entity::find()
        .filter(customer_external_link::Column::FirmId.eq(firm_id))
        .filter(customer_external_link::Column::CustomerId.is_in(ids.clone()))
        .all(db)
        .await?;
    let contact_names: HashMap<i64, String> = {
        let wanted: BTreeSet<i64> = contact_links
            .iter()
            .map(|l| l.external_contact_id)
            .collect();
        if wanted.is_empty() {
            HashMap::new()
        } else {
            wecom_external_contact::Entity::find()
                .filter(wecom_external_contact::Column::FirmId.eq(firm_id))
                .filter(wecom_external_contact::Column::Id.is_in(wanted))
                .all(db)
                .await?
                .into_iter()
                .map(|c| {
                    let name = if c.deleted_at.is_some() {
                        format!("{}（已删除）", c.name)
                    } else {
                        c.name
                    };
                    (c.id, name)
                })
                .collect()
        }
    };
    let group_links = customer_group_link::Entity::find()
        .filter(customer_group_link::Column::FirmId.eq(firm_id))
        .filter(customer_group_link::Column::CustomerId.is_in(ids))
        .all(db)
        .await?;
    let group_names: HashMap<i64, String> = {
        let wanted: BTreeSet<i64> = group_links.iter().map(|l| l.group_chat_id).collect();
        if wanted.is_empty() {
            HashMap::new()
        } else {
            wecom_group_chat::Entity::find()
                .filter(wecom_group_chat::Column::FirmId.eq(firm_id))
                .filter(wecom_group_chat::Column::Id.is_in(wanted))
                .all(db)
                .await?
                .into_iter()
                .map(|g| {
                    let base = if g.name.is_empty() {
                        "未命名客户群".to_string()
                    } else {
                        g.name
                    };
                    let name = if g.dismissed_at.is_some() {
                        format!("{base}（已解散）")
                    } else {
                        base
                    };
                    (g.id, name)
                })
                .collect()
        }
    };
    let mut contacts = named(
        contact_links
            .into_iter()
            .map(|l| (l.customer_id, l.external_contact_id))
            .collect(),
        &contact_names,
    );
    let mut groups = named(
        group_links
            .into_iter()
            .map(|l| (l.customer_id, l.group_chat_id))
            .collect(),
        &group_names,
    );
    Ok(found
        .into_iter()
        .map(|c| CustomerRow {
            manager: c
                .account_manager_id
                .and_then(|id| managers.get(&id).cloned())
                .unwrap_or_default(),
            bookkeeper: c
                .bookkeeper_id
                .and_then(|id| managers.get(&id).cloned())
                .unwrap_or_default(),
            tags: tags.remove(&c.id).unwrap_or_default(),
            contacts: contacts.remove(&c.id).unwrap_or_default(),
            groups: groups.remove(&c.id).unwrap_or_default(),
            customer: c,
        })
        .collect())
}

/// What the filters of these pages offer the caller.
pub async fn options(ctx: &Ctx, me: &CurrentEmployee) -> AppResult<Options> {
    let db = ctx.db.read();
    let members = if me.is_admin() {
        wecom_member::Entity::find()
            .filter(wecom_member::Column::FirmId.eq(me.firm_id))
            .order_by_asc(wecom_member::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.userid, m.name))
            .collect()
    } else {
        Vec::new()
    };
    let groups: BTreeMap<i64, String> = tag_group::Entity::find()
        .filter(tag_group::Column::FirmId.eq(me.firm_id))
        .filter(tag_group::Column::DeletedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let tags = tag::Entity::find()
        .filter(tag::Column::FirmId.eq(me.firm_id))
        .filter(tag::Column::DeletedAt.is_null())
        .order_by_asc(tag::Column::GroupId)
        .order_by_asc(tag::Column::Sort)
        .order_by_asc(tag::Column::Id)
        .all(db)
        .await?;
    let label = |t: &tag::Model| match groups.get(&t.group_id) {
        Some(g) => format!("{g} · {}", t.name),
        None => t.name.clone(),
    };
    let wecom_tags = tags
        .iter()
        .filter(|t| t.wecom_tag_id.is_some())
        .map(|t| Named {
            id: t.id,
            name: label(t),
        })
        .collect();
    let customer_tags = tags
        .iter()
        .map(|t| Named {
            id: t.id,
            name: label(t),
        })
        .collect();
    let employees = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(me.firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .order_by_asc(employee::Column::Name)
        .all(db)
        .await?;
    let assignable = if me.is_admin() {
        employees
            .iter()
            .filter(|e| e.status == employee::Status::Active)
            .map(|e| Named {
                id: e.id,
                name: e.name.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let managers = employees
        .into_iter()
        .map(|e| Named {
            id: e.id,
            name: e.name,
        })
        .collect();
    Ok(Options {
        members,
        wecom_tags,
        managers,
        assignable,
        customer_tags,
    })
}

/// 匹配员工 (admins only): the firm's WeCom members beside the employees bound to them.
pub async fn members(ctx: &Ctx, me: &CurrentEmployee, q: &str) -> AppResult<MembersPage> {
    me.require_admin()?;
    let q = clean_query(q)?;
    let db = ctx.db.read();
    let mut query =
        wecom_member::Entity::find().filter(wecom_member::Column::FirmId.eq(me.firm_id));
    if !q.is_empty() {
        query = query.filter(crate::db::any_contains(
            [wecom_member::Column::Name, wecom_member::Column::Userid],
            &q,
        ));
    }
    let members = query
        .order_by_asc(wecom_member::Column::Name)
        .order_by_asc(wecom_member::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    let employees = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(me.firm_id))
        .filter(employee::Column::DeletedAt.is_null())
        .order_by_asc(employee::Column::Name)
        .all(db)
        .await?;
    let all_userids: BTreeSet<String> = wecom_member::Entity::find()
        .filter(wecom_member::Column::FirmId.eq(me.firm_id))
        .select_only()
        .column(wecom_member::Column::Userid)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut by_userid: HashMap<String, employee::Model> = HashMap::new();
    let mut unbound_employees = Vec::new();
    let mut stray = Vec::new();
    for e in employees {
        match e.wecom_userid.clone() {
            Some(u) => {
                if !all_userids.contains(&u) {
                    stray.push(e.clone());
                }
                by_userid.insert(u, e);
            }
            None if e.status == employee::Status::Active => unbound_employees.push(e),
            None => {}
        }
    }
    let rows = members
        .into_iter()
        .map(|m| MemberRow {
            employee: by_userid.get(&m.userid).cloned(),
            member: m,
        })
        .collect();
    Ok(MembersPage {
        rows,
        unbound_employees,
        stray,
    })
}

/// Checks that `userid` is one of the firm's WeCom members before an admin binds it.
pub async fn member_exists(ctx: &Ctx, me: &CurrentEmployee, userid: &str) -> AppResult<()> {
    me.require_admin()?;
    let userid = userid.trim();
    if userid.is_empty() {
        return Err(AppError::Validation("请选择企业微信成员".into()));
    }
    wecom_member::Entity::find()
        .filter(wecom_member::Column::FirmId.eq(me.firm_id))
        .filter(wecom_member::Column::Userid.eq(userid))
        .one(ctx.db.read())
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::NotFound("企业微信成员不存在，请先同步".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_or_are_refused_in_chinese() {
        assert_eq!(Linked::parse("").unwrap(), None);
        assert_eq!(Linked::parse("linked").unwrap(), Some(Linked::Yes));
        assert_eq!(Linked::parse("unlinked").unwrap(), Some(Linked::No));
        assert!(matches!(Linked::parse("x"), Err(AppError::Validation(m)) if m.contains("关联")));
        assert_eq!(
            parse_status("paused").unwrap(),
            Some(customer::ServiceStatus::Paused)
        );
        assert!(parse_status("nope").is_err());
        assert!(clean_query(&"字".repeat(61)).is_err());
    }
}
