//! The back office's WeCom pages: `/admin/wecom/contacts` (我的微信联系人), `/admin/wecom/groups`
//! (我的微信群), `/admin/customers/links` (已关联客户, where admins also assign customers to
//! employees) and `/admin/wecom/members` (匹配员工, admins only). Staff see their own contacts and
//! groups; the services decide.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::domain::clock::to_local;
use crate::error::{AppError, AppResult};
use crate::services::chat_admin::{
    self, Candidate, ChatFilter, ContactDetail, ContactRow, CustomerFilter, CustomerRow,
    GroupDetail, GroupRow, Linked, Manager, MembersPage, Options, Paged,
};
use crate::services::links::Chat;
use crate::services::{assignments, employee_admin};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{field, ip, repeated, see_other};
use crate::web::csrf::{CsrfToken, check_form};
use crate::web::extractors::BackOfficeEmployee;

const CONTACTS: &str = "/admin/wecom/contacts";
const GROUPS: &str = "/admin/wecom/groups";
const CUSTOMERS: &str = "/admin/customers/links";
const MEMBERS: &str = "/admin/wecom/members";

/// The list pages' query string, every field as typed (parsed with Chinese messages).
#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    linked: String,
    #[serde(default)]
    member: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    manager: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    saved: String,
    /// After 分配: how many customers changed, and the duty.
    #[serde(default)]
    assigned: String,
    #[serde(default)]
    duty: String,
}

fn optional_id(value: &str, what: &str) -> AppResult<Option<i64>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(Some)
        .ok_or_else(|| AppError::Validation(format!("{what}不正确")))
}

fn page_number(value: &str) -> AppResult<u64> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(1);
    }
    value
        .parse::<u64>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .ok_or_else(|| AppError::Validation("页码不正确".into()))
}

/// An id from the URL; anything else is "not found" in Chinese.
fn path_id(value: &str) -> AppResult<i64> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::NotFound("编号不正确，找不到该记录".into()))
}

impl ListQuery {
    fn chat_filter(&self) -> AppResult<ChatFilter> {
        Ok(ChatFilter {
            q: self.q.clone(),
            linked: Linked::parse(&self.linked)?,
            member: self.member.trim().to_string(),
            tag: optional_id(&self.tag, "标签")?,
            page: page_number(&self.page)?,
        })
    }

    fn customer_filter(&self) -> AppResult<CustomerFilter> {
        Ok(CustomerFilter {
            q: self.q.clone(),
            manager: match self.manager.trim() {
                "none" => Some(Manager::Nobody),
                other => optional_id(other, "客户经理")?.map(Manager::Is),
            },
            tag: optional_id(&self.tag, "标签")?,
            status: chat_admin::parse_status(&self.status)?,
            linked: Linked::parse(if self.linked.is_empty() {
                "linked"
            } else {
                &self.linked
            })?,
            page: page_number(&self.page)?,
        })
    }

    /// This query with another page, for the pager's links.
    pub fn with_page(&self, page: u64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("linked", &self.linked),
            ("member", &self.member),
            ("tag", &self.tag),
            ("manager", &self.manager),
            ("status", &self.status),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &page.to_string());
        s.finish()
    }

    fn linked_is(&self, code: &str) -> bool {
        self.linked == code
    }
    fn member_is(&self, userid: &str) -> bool {
        self.member == userid
    }
    fn tag_is(&self, id: &i64) -> bool {
        self.tag.trim() == id.to_string()
    }
    fn manager_is(&self, id: &i64) -> bool {
        self.manager.trim() == id.to_string()
    }
    fn no_manager(&self) -> bool {
        self.manager.trim() == "none"
    }

    /// The filter's fields as a form carries them (the 分配 form repeats the list's filter).
    fn filter_fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("q", &self.q),
            ("linked", &self.linked),
            ("tag", &self.tag),
            ("manager", &self.manager),
            ("status", &self.status),
            ("page", &self.page),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// What 分配 just did, for the notice above the list.
    fn assigned_notice(&self) -> Option<String> {
        let n: usize = self.assigned.parse().ok()?;
        let duty = assignments::parse_duty(&self.duty).ok()?;
        Some(if n == 0 {
            format!(
                "所选客户的{}已是所选员工，没有变化。",
                assignments::duty_label(duty)
            )
        } else {
            format!("已更新 {n} 家客户的{}。", assignments::duty_label(duty))
        })
    }
    fn status_is(&self, code: &str) -> bool {
        self.status == code
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom_contacts.html")]
pub struct ContactsPage {
    chrome: Chrome,
    q: ListQuery,
    list: Paged<ContactRow>,
    options: Options,
    unbound: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom_groups.html")]
pub struct GroupsPage {
    chrome: Chrome,
    q: ListQuery,
    list: Paged<GroupRow>,
    options: Options,
    unbound: bool,
}

/// 设置关联 for one contact or group.
#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom_chat_links.html")]
pub struct ChatLinksPage {
    chrome: Chrome,
    /// `contacts` or `groups`.
    kind: &'static str,
    id: i64,
    title: String,
    subtitle: String,
    facts: Vec<(String, String)>,
    linked: Vec<chat_admin::Named>,
    q: String,
    candidates: Vec<Candidate>,
    notice: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/customer_links.html")]
pub struct CustomersPage {
    chrome: Chrome,
    q: ListQuery,
    list: Paged<CustomerRow>,
    options: Options,
    statuses: Vec<(&'static str, &'static str)>,
    duties: Vec<(&'static str, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom_members.html")]
pub struct MembersView {
    chrome: Chrome,
    q: String,
    page: MembersPage,
    notice: &'static str,
}

fn notice(saved: &str) -> &'static str {
    match saved {
        "linked" => "已关联。",
        "unlinked" => "已取消关联。",
        "bound" => "已绑定。",
        "unbound" => "已取消关联，该员工需重新绑定后才能使用侧边栏。",
        _ => "",
    }
}

fn unbound(me: &BackOfficeEmployee) -> bool {
    !me.is_admin() && me.wecom_userid.is_none()
}

pub async fn contacts(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<ContactsPage> {
    let q = query.into_inner();
    let list = chat_admin::contacts(&state.ctx, &me, &q.chat_filter()?).await?;
    let options = chat_admin::options(&state.ctx, &me).await?;
    Ok(ContactsPage {
        unbound: unbound(&me),
        chrome: Chrome::new(&me, CONTACTS, csrf.0),
        q,
        list,
        options,
    })
}

pub async fn groups(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<GroupsPage> {
    let q = query.into_inner();
    let list = chat_admin::groups(&state.ctx, &me, &q.chat_filter()?).await?;
    let options = chat_admin::options(&state.ctx, &me).await?;
    Ok(GroupsPage {
        unbound: unbound(&me),
        chrome: Chrome::new(&me, GROUPS, csrf.0),
        q,
        list,
        options,
    })
}

fn local_time(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|t| to_local(t).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub async fn contact(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<ChatLinksPage> {
    let id = path_id(&path)?;
    let ContactDetail { row, follows } = chat_admin::contact(&state.ctx, &me, id).await?;
    let candidates = chat_admin::candidates(&state.ctx, &me, &query.q, &row.customers).await?;
    let mut facts = vec![
        ("类型".to_string(), row.kind()),
        ("标签".to_string(), row.tags.join("、")),
    ];
    if let Some(corp) = row.contact.corp_full_name.clone().filter(|c| !c.is_empty()) {
        facts.push(("企业全称".into(), corp));
    }
    for (name, remark, description) in follows {
        let mut text = if remark.is_empty() {
            "（无备注）".to_string()
        } else {
            format!("备注：{remark}")
        };
        if !description.is_empty() {
            text.push_str(&format!("；描述：{description}"));
        }
        facts.push((format!("跟进成员 {name}"), text));
    }
    Ok(ChatLinksPage {
        chrome: Chrome::new(&me, CONTACTS, csrf.0),
        kind: "contacts",
        id,
        title: row.contact.name.clone(),
        subtitle: row.remark.clone(),
        facts,
        linked: row.customers,
        q: query.q.clone(),
        candidates,
        notice: notice(&query.saved),
    })
}

pub async fn group(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> AppResult<ChatLinksPage> {
    let id = path_id(&path)?;
    let GroupDetail { row, members } = chat_admin::group(&state.ctx, &me, id).await?;
    let candidates = chat_admin::candidates(&state.ctx, &me, &query.q, &row.customers).await?;
    let shown: Vec<String> = members
        .iter()
        .take(30)
        .map(|(name, kind)| format!("{name}（{kind}）"))
        .collect();
    let mut people = shown.join("、");
    if members.len() > shown.len() {
        people.push_str(&format!(" 等{}人", members.len()));
    }
    let facts = vec![
        ("群主".to_string(), row.owner.clone()),
        ("人数".to_string(), row.group.member_count.to_string()),
        ("创建时间".to_string(), local_time(row.group.create_time)),
        ("群成员".to_string(), people),
    ];
    Ok(ChatLinksPage {
        chrome: Chrome::new(&me, GROUPS, csrf.0),
        kind: "groups",
        id,
        title: row.name().to_string(),
        subtitle: row.group.notice.clone().unwrap_or_default(),
        facts,
        linked: row.customers,
        q: query.q.clone(),
        candidates,
        notice: notice(&query.saved),
    })
}

fn customer_ids(body: &[u8]) -> AppResult<Vec<i64>> {
    repeated(body, "customer_id")
        .iter()
        .map(|v| path_id(v).map_err(|_| AppError::Validation("客户编号不正确".into())))
        .collect()
}

async fn change(
    state: &AppState,
    req: &HttpRequest,
    me: &BackOfficeEmployee,
    chat: Chat,
    back: String,
    body: &[u8],
    linking: bool,
) -> AppResult<HttpResponse> {
    check_form(req, Some(field(body, "csrf").as_str()))?;
    if linking {
        let ids = customer_ids(body)?;
        chat_admin::link(&state.ctx, me, ip(req), chat, &ids).await?;
        Ok(see_other(format!("{back}?saved=linked")))
    } else {
        let id = path_id(&field(body, "customer_id"))
            .map_err(|_| AppError::Validation("客户编号不正确".into()))?;
        chat_admin::unlink(&state.ctx, me, ip(req), chat, id).await?;
        Ok(see_other(format!("{back}?saved=unlinked")))
    }
}

pub async fn link_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = path_id(&path)?;
    let back = format!("{CONTACTS}/{id}");
    change(&state, &req, &me, Chat::Contact(id), back, &body, true).await
}

pub async fn unlink_contact(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = path_id(&path)?;
    let back = format!("{CONTACTS}/{id}");
    change(&state, &req, &me, Chat::Contact(id), back, &body, false).await
}

pub async fn link_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = path_id(&path)?;
    let back = format!("{GROUPS}/{id}");
    change(&state, &req, &me, Chat::Group(id), back, &body, true).await
}

pub async fn unlink_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = path_id(&path)?;
    let back = format!("{GROUPS}/{id}");
    change(&state, &req, &me, Chat::Group(id), back, &body, false).await
}

pub async fn customers(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<CustomersPage> {
    let q = query.into_inner();
    let list = chat_admin::customers(&state.ctx, &me, &q.customer_filter()?).await?;
    let options = chat_admin::options(&state.ctx, &me).await?;
    Ok(CustomersPage {
        chrome: Chrome::new(&me, CUSTOMERS, csrf.0),
        q,
        list,
        options,
        statuses: chat_admin::STATUSES
            .iter()
            .map(|(code, s)| (*code, chat_admin::status_label(*s)))
            .collect(),
        duties: assignments::DUTIES
            .iter()
            .map(|d| (assignments::duty_code(*d), assignments::duty_label(*d)))
            .collect(),
    })
}

/// `POST /admin/customers/assign`: makes one employee (or nobody) the chosen duty of the ticked
/// customers, or of every customer the list's filter keeps (`scope=all`); back to the same list.
pub async fn assign(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    check_form(&req, Some(field(&body, "csrf").as_str()))?;
    me.require_admin()?;
    let q = ListQuery {
        q: field(&body, "q"),
        linked: field(&body, "linked"),
        tag: field(&body, "tag"),
        manager: field(&body, "manager"),
        status: field(&body, "status"),
        page: field(&body, "page"),
        ..Default::default()
    };
    let duty = assignments::parse_duty(&field(&body, "duty"))?;
    let holder = optional_id(&field(&body, "employee"), "员工")?;
    let ids: Vec<i64> = if field(&body, "scope") == "all" {
        let mut filter = q.customer_filter()?;
        filter.page = 1;
        chat_admin::customer_ids(&state.ctx, &me, &filter).await?
    } else {
        repeated(&body, "customer")
            .iter()
            .map(|v| optional_id(v, "客户"))
            .collect::<AppResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect()
    };
    let done = assignments::assign(&state.ctx, &me, ip(&req), &ids, duty, holder).await?;
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in q.filter_fields() {
        if !v.is_empty() {
            back.append_pair(k, v);
        }
    }
    back.append_pair("assigned", &done.changed.to_string());
    back.append_pair("duty", assignments::duty_code(duty));
    Ok(see_other(format!("{CUSTOMERS}?{}", back.finish())))
}

pub async fn members(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<MembersView> {
    let page = chat_admin::members(&state.ctx, &me, &query.q).await?;
    Ok(MembersView {
        chrome: Chrome::new(&me, MEMBERS, csrf.0),
        q: query.q.clone(),
        page,
        notice: notice(&query.saved),
    })
}

/// `POST /admin/wecom/members/bind`: binds the member `userid` to employee `employee_id`.
pub async fn bind(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    check_form(&req, Some(field(&body, "csrf").as_str()))?;
    let userid = field(&body, "userid");
    let employee_id = optional_id(&field(&body, "employee_id"), "员工")?
        .ok_or_else(|| AppError::Validation("请选择要绑定的员工".into()))?;
    chat_admin::member_exists(&state.ctx, &me, &userid).await?;
    employee_admin::bind(&state.ctx, &me, ip(&req), employee_id, &userid).await?;
    Ok(see_other(format!("{MEMBERS}?saved=bound")))
}

/// `POST /admin/wecom/members/unbind`: cancels employee `employee_id`'s binding.
pub async fn unbind(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    check_form(&req, Some(field(&body, "csrf").as_str()))?;
    let employee_id = optional_id(&field(&body, "employee_id"), "员工")?
        .ok_or_else(|| AppError::Validation("请选择要取消关联的员工".into()))?;
    employee_admin::unbind(&state.ctx, &me, ip(&req), employee_id).await?;
    Ok(see_other(format!("{MEMBERS}?saved=unbound")))
}
