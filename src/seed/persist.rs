//! Writes a generated world into the database: the WeCom mirror exactly as the data set has it,
//! the firm's staff and customers, the knowledge base, then every customer's books, streamed one
//! customer at a time so memory stays flat whatever the profile.
//!
//! Rows that other rows point at get explicit ids taken from the table's next free id (the
//! caller holds the write lock, see [`reserve_ids`]); leaf rows let the database number them.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

use super::bookkeeping_data::{BookContext, Calendar, customer_books};
use super::dates::{add_minutes, before};
use super::invoices::counterparties;
use super::kb;
use super::progress::Progress;
use super::rng::{STREAM_KB, stream};
use super::roster::StaffRole;
use super::wecom_data::{
    TAG_GROUP_INDUSTRY, TAG_GROUP_LEVEL, TAG_GROUP_SOURCE, TAG_GROUP_STATUS, TAG_GROUP_TAXPAYER,
    TAXPAYER_TAGS,
};
use super::world::World;
use super::writer::{Table, Writer, v};
use crate::domain::money::Money;
use crate::domain::receipt::ReceiptNo;

macro_rules! table {
    ($ident:ident, $name:literal, [$($col:literal),* $(,)?], json [$($json:literal),* $(,)?]) => {
        table!($ident, $name, [$($col),*], json [$($json),*], after []);
    };
    ($ident:ident, $name:literal, [$($col:literal),* $(,)?], json [$($json:literal),* $(,)?], after [$($after:literal),* $(,)?]) => {
        pub(crate) static $ident: Table = Table {
            name: $name,
            columns: &[$($col),*],
            json: &[$($json),*],
            after: &[$($after),*],
        };
    };
}

table!(
    WECOM_MEMBER,
    "wecom_member",
    [
        "firm_id",
        "userid",
        "name",
        "alias",
        "position",
        "department_ids",
        "avatar",
        "status",
        "is_follow_user",
        "synced_at",
        "created_at",
        "updated_at"
    ],
    json["department_ids"]
);
table!(
    EMPLOYEE,
    "employee",
    [
        "id",
        "firm_id",
        "name",
        "mobile",
        "wecom_userid",
        "role",
        "department_ids",
        "status",
        "data_scope",
        "bound_at",
        "created_at",
        "updated_at"
    ],
    json["department_ids"]
);
table!(EMPLOYEE_PERMISSION, "employee_permission", ["firm_id", "employee_id", "perm_code", "created_at"], json []);
table!(TAG_GROUP, "tag_group", ["id", "firm_id", "name", "wecom_group_id", "sort", "created_at", "updated_at"], json []);
table!(TAG, "tag", ["id", "firm_id", "group_id", "name", "wecom_tag_id", "sort", "created_at", "updated_at"], json []);
table!(CUSTOMER, "customer", ["id", "firm_id", "name", "short_name", "uscc", "taxpayer_type", "vat_period", "cit_period", "is_small_micro", "city_tax_level", "accounting_standard", "industry", "legal_rep", "region", "address", "service_status", "service_start", "account_manager_id", "bookkeeper_id", "note", "created_at", "updated_at"], json []);
table!(CUSTOMER_STAFF, "customer_staff", ["firm_id", "customer_id", "employee_id", "role", "created_at"], json []);
table!(CUSTOMER_TAG, "customer_tag", ["firm_id", "customer_id", "tag_id", "created_at"], json []);
table!(EXTERNAL_CONTACT, "wecom_external_contact", ["id", "firm_id", "external_userid", "name", "contact_type", "gender", "corp_name", "corp_full_name", "unionid", "avatar", "position", "synced_at", "created_at", "updated_at"], json []);
table!(EXTERNAL_FOLLOW, "external_follow", ["firm_id", "external_contact_id", "userid", "remark", "description", "remark_corp_name", "remark_mobiles", "add_way", "state", "add_time", "tag_ids", "created_at", "updated_at"], json ["remark_mobiles", "tag_ids"]);
table!(CONTACT, "contact", ["id", "firm_id", "customer_id", "name", "role", "mobile", "is_primary", "external_contact_id", "note", "created_at", "updated_at"], json []);
table!(CUSTOMER_EXTERNAL_LINK, "customer_external_link", ["firm_id", "customer_id", "external_contact_id", "contact_id", "created_by", "created_at"], json []);
table!(GROUP_CHAT, "wecom_group_chat", ["id", "firm_id", "chat_id", "name", "owner_userid", "notice", "member_count", "create_time", "status", "synced_at", "created_at", "updated_at"], json []);
table!(GROUP_CHAT_MEMBER, "group_chat_member", ["firm_id", "group_chat_id", "member_id", "member_type", "unionid", "name", "group_nickname", "join_time", "join_scene", "invitor_userid", "created_at", "updated_at"], json []);
table!(CUSTOMER_GROUP_LINK, "customer_group_link", ["firm_id", "customer_id", "group_chat_id", "created_by", "created_at"], json []);
table!(KB_CATEGORY, "kb_category", ["id", "firm_id", "parent_id", "name", "sort", "created_at", "updated_at"], json []);
table!(KB_ARTICLE, "kb_article", ["firm_id", "category_id", "title", "content", "keywords", "audit_status", "audited_by", "audited_at", "created_by", "created_at", "updated_at"], json []);
table!(SERVICE_CONTRACT, "service_contract", ["id", "firm_id", "customer_id", "contract_no", "service_type", "start_period", "end_period", "fee_per_month_fen", "billing_cycle", "total_fen", "status", "renewed_from_id", "signed_on", "created_by", "note", "created_at", "updated_at"], json []);
table!(SERVICE_PERIOD, "service_period", ["firm_id", "customer_id", "period", "contract_id", "collection_status", "collection_completed_by", "collection_completed_at", "has_missing_invoices", "bookkeeping_status", "report_status", "created_at", "updated_at"], json [], after ["service_contract"]);
table!(RECEIVABLE, "receivable", ["id", "firm_id", "customer_id", "contract_id", "fee_item", "period_from", "period_to", "amount_fen", "paid_fen", "due_date", "status", "created_at", "updated_at"], json [], after ["service_contract"]);
table!(PAYMENT, "payment", ["id", "firm_id", "customer_id", "amount_fen", "method", "paid_at", "payer", "note", "confirmed_by", "confirmed_at", "created_at", "updated_at"], json []);
table!(PAYMENT_ALLOCATION, "payment_allocation", ["firm_id", "payment_id", "receivable_id", "amount_fen", "created_at"], json [], after ["service_contract", "receivable", "payment"]);
table!(RECEIPT, "receipt", ["firm_id", "receipt_no", "payment_id", "customer_id", "payer", "item", "period_from", "period_to", "amount_fen", "amount_cn", "payee", "handler_id", "issued_at", "status", "created_at", "updated_at"], json [], after ["payment"]);
table!(RECEIPT_COUNTER, "receipt_counter", ["firm_id", "year", "last_value", "updated_at"], json []);
table!(
    DUNNING,
    "dunning",
    [
        "firm_id",
        "customer_id",
        "receivable_ids",
        "period_from",
        "period_to",
        "amount_fen",
        "target_type",
        "target_id",
        "sent_by",
        "sent_at",
        "message",
        "created_at"
    ],
    json["receivable_ids"]
);
table!(
    INVOICE_COLLECTION,
    "invoice_collection",
    [
        "firm_id",
        "customer_id",
        "period",
        "received_at",
        "received_by",
        "lines",
        "total_count",
        "total_fen",
        "note",
        "created_at",
        "updated_at"
    ],
    json["lines"]
);
table!(MISSING_INVOICE, "missing_invoice", ["firm_id", "customer_id", "period", "doc_type", "description", "expected_fen", "marked_by", "marked_at", "resolved_at", "resolved_by", "created_at", "updated_at"], json []);
table!(INVOICE, "invoice", ["firm_id", "customer_id", "period", "direction", "kind", "code", "number", "issue_date", "counterparty_name", "counterparty_uscc", "amount_fen", "rate_bp", "tax_fen", "total_fen", "status", "deductible", "use_confirmed_at", "created_at", "updated_at"], json []);
table!(TAX_FILING, "tax_filing", ["firm_id", "customer_id", "period_from", "period_to", "tax_type", "due_date", "due_provisional", "status", "payable_fen", "paid_fen", "filed_at", "filed_by", "notified_at", "note", "created_at", "updated_at"], json []);
table!(
    FINANCIAL_REPORT,
    "financial_report",
    [
        "firm_id",
        "customer_id",
        "period",
        "report_type",
        "standard",
        "lines",
        "generated_at",
        "sent_at",
        "created_at",
        "updated_at"
    ],
    json["lines"]
);
table!(FOLLOW_UP, "follow_up", ["firm_id", "customer_id", "employee_id", "kind", "content", "next_at", "created_at", "updated_at"], json []);

/// Every table the seeder writes, in foreign-key order (also the order of the progress lines).
pub(crate) static TABLES: [&Table; 31] = [
    &WECOM_MEMBER,
    &EMPLOYEE,
    &EMPLOYEE_PERMISSION,
    &TAG_GROUP,
    &TAG,
    &CUSTOMER,
    &CUSTOMER_STAFF,
    &CUSTOMER_TAG,
    &EXTERNAL_CONTACT,
    &EXTERNAL_FOLLOW,
    &CONTACT,
    &CUSTOMER_EXTERNAL_LINK,
    &GROUP_CHAT,
    &GROUP_CHAT_MEMBER,
    &CUSTOMER_GROUP_LINK,
    &KB_CATEGORY,
    &KB_ARTICLE,
    &SERVICE_CONTRACT,
    &SERVICE_PERIOD,
    &RECEIVABLE,
    &PAYMENT,
    &PAYMENT_ALLOCATION,
    &DUNNING,
    &INVOICE_COLLECTION,
    &MISSING_INVOICE,
    &INVOICE,
    &TAX_FILING,
    &FINANCIAL_REPORT,
    &FOLLOW_UP,
    &RECEIPT,
    &RECEIPT_COUNTER,
];

/// Tables whose ids the seeder chooses.
const EXPLICIT_IDS: [&str; 11] = [
    "employee",
    "customer",
    "tag_group",
    "tag",
    "wecom_external_contact",
    "contact",
    "wecom_group_chat",
    "service_contract",
    "receivable",
    "payment",
    "kb_category",
];

/// The first id to use in each explicit-id table. On PostgreSQL the tables are locked against
/// concurrent inserts first and the identity sequences are moved past the ids afterwards
/// ([`release_ids`]); on SQLite the write transaction (`BEGIN IMMEDIATE`) already excludes
/// every other writer.
pub(crate) async fn reserve_ids(
    txn: &DatabaseTransaction,
    backend: DbBackend,
) -> Result<HashMap<&'static str, i64>, DbErr> {
    if backend == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
            EXPLICIT_IDS.join(", ")
        ))
        .await?;
    }
    let mut first = HashMap::new();
    for table in EXPLICIT_IDS {
        let sql = match backend {
            DbBackend::Postgres => format!(
                "SELECT GREATEST(nextval(pg_get_serial_sequence('{table}', 'id')), \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}))"
            ),
            _ => format!("SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"),
        };
        let row = txn
            .query_one_raw(Statement::from_string(backend, sql))
            .await?
            .ok_or_else(|| DbErr::Custom(format!("no next id for {table}")))?;
        first.insert(table, row.try_get_by_index::<i64>(0)?);
    }
    Ok(first)
}

/// Moves PostgreSQL identity sequences past the ids the seeder used.
async fn release_ids(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    next: &HashMap<&'static str, i64>,
) -> Result<(), DbErr> {
    if backend != DbBackend::Postgres {
        return Ok(());
    }
    for (table, next_id) in next {
        txn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), {})",
            (next_id - 1).max(1)
        ))
        .await?;
    }
    Ok(())
}

fn from_unix(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

struct ReceiptDraft {
    issued_at: DateTime<Utc>,
    payment_id: i64,
    customer_id: i64,
    payer: String,
    item: String,
    period_from: String,
    period_to: String,
    amount: i64,
    handler_id: i64,
}

pub(crate) async fn write_world(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    firm_id: i64,
    world: &World,
    calendar: &Calendar,
    progress: Progress,
) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let mut next = reserve_ids(txn, backend).await?;
    let base = |next: &HashMap<&'static str, i64>, t: &str| next.get(t).copied().unwrap_or(1);
    let employee_base = base(&next, "employee");
    let customer_base = base(&next, "customer");
    let tag_group_base = base(&next, "tag_group");
    let tag_base = base(&next, "tag");
    let external_base = base(&next, "wecom_external_contact");
    let contact_base = base(&next, "contact");
    let group_base = base(&next, "wecom_group_chat");
    let kb_base = base(&next, "kb_category");
    let mut contract_id = base(&next, "service_contract");
    let mut receivable_id = base(&next, "receivable");
    let mut payment_id = base(&next, "payment");

    let roster = &world.roster;
    let wecom = &world.wecom;
    let firm = &roster.firm;
    let cut = roster.cutoff;
    let emp = |i: usize| employee_base + i as i64;
    let firm_v = || v::id(firm_id);
    let synced = before(add_minutes(firm.created_at, 30), cut);
    let mut w = Writer::new(txn, backend, &TABLES, progress);

    // WeCom members and employees.
    for m in &wecom.members {
        let departments = serde_json::to_string(&m.department_ids).unwrap_or_else(|_| "[]".into());
        w.push(
            &WECOM_MEMBER,
            [
                firm_v(),
                v::text(&m.userid),
                v::text(&m.name),
                v::opt_text(None::<String>),
                v::text(&m.position),
                v::json(departments.clone()),
                v::text(&m.avatar),
                v::int(i32::from(m.status)),
                v::boolean(m.is_follow_user),
                v::ts(synced),
                v::ts(synced),
                v::ts(synced),
            ],
        );
    }
    for (i, s) in roster.staff.iter().enumerate() {
        let role = match s.role {
            StaffRole::Owner => "super_admin",
            StaffRole::Admin => "admin",
            _ => "staff",
        };
        w.push(
            &EMPLOYEE,
            [
                v::id(emp(i)),
                firm_v(),
                v::text(&s.name.full),
                v::text(&s.mobile),
                v::opt_text(s.bound.then(|| s.userid.clone())),
                v::text(role),
                v::json(serde_json::to_string(&s.department_ids).unwrap_or_else(|_| "[]".into())),
                v::text("active"),
                v::text(if role == "staff" { "own" } else { "all" }),
                v::opt_ts(s.bound_at),
                v::ts(s.created_at),
                v::ts(s.bound_at.unwrap_or(s.created_at)),
            ],
        );
        for perm in &s.permissions {
            w.push(
                &EMPLOYEE_PERMISSION,
                [firm_v(), v::id(emp(i)), v::text(*perm), v::ts(s.created_at)],
            );
        }
    }

    // Corp tags, mirrored with their WeCom ids.
    let mut tag_ids: HashMap<(&str, &str), i64> = HashMap::new();
    let mut tag_n = 0i64;
    for (g, group) in wecom.tag_groups.iter().enumerate() {
        let group_id = tag_group_base + g as i64;
        let at = from_unix(group.create_time).max(synced).min(cut);
        w.push(
            &TAG_GROUP,
            [
                v::id(group_id),
                firm_v(),
                v::text(&group.group_name),
                v::text(&group.group_id),
                v::int(g as i32 + 1),
                v::ts(at),
                v::ts(at),
            ],
        );
        for (t, tag) in group.tags.iter().enumerate() {
            let id = tag_base + tag_n;
            tag_n += 1;
            tag_ids.insert((group.group_name.as_str(), tag.name.as_str()), id);
            w.push(
                &TAG,
                [
                    v::id(id),
                    firm_v(),
                    v::id(group_id),
                    v::text(&tag.name),
                    v::text(&tag.id),
                    v::int(t as i32 + 1),
                    v::ts(at),
                    v::ts(at),
                ],
            );
        }
    }

    // Customers, their staff and tags.
    for (c, cust) in roster.customers.iter().enumerate() {
        let id = customer_base + c as i64;
        w.push(
            &CUSTOMER,
            [
                v::id(id),
                firm_v(),
                v::text(&cust.name),
                v::text(&cust.short_name),
                v::text(&cust.uscc),
                v::text(if cust.general {
                    "general"
                } else {
                    "small_scale"
                }),
                v::text(if cust.vat_quarterly {
                    "quarter"
                } else {
                    "month"
                }),
                v::text(if cust.cit_monthly { "month" } else { "quarter" }),
                v::boolean(cust.small_micro),
                v::int(cust.city_tax_level),
                v::text("small_enterprise"),
                v::text(cust.industry.label),
                v::text(&cust.legal_rep),
                v::text(cust.region()),
                v::text(&cust.address),
                v::text(cust.state.code()),
                v::text(cust.service_start.first_day().to_string()),
                v::id(emp(cust.am)),
                v::id(emp(cust.bk)),
                v::opt_text(cust.note.clone()),
                v::ts(cust.created_at),
                v::ts(cust.created_at),
            ],
        );
        let mut staff = vec![(cust.am, "account_manager"), (cust.bk, "bookkeeper")];
        if let Some(r) = cust.reviewer {
            staff.push((r, "reviewer"));
        }
        if let Some(f) = cust.field_agent {
            staff.push((f, "field_agent"));
        }
        for (e, role) in staff {
            w.push(
                &CUSTOMER_STAFF,
                [
                    firm_v(),
                    v::id(id),
                    v::id(emp(e)),
                    v::text(role),
                    v::ts(cust.created_at),
                ],
            );
        }
        let tags = [
            (TAG_GROUP_LEVEL, super::roster::LEVEL_TAGS[cust.level]),
            (TAG_GROUP_TAXPAYER, TAXPAYER_TAGS[usize::from(cust.general)]),
            (TAG_GROUP_STATUS, cust.state.tag_name()),
            (TAG_GROUP_INDUSTRY, cust.industry.label),
            (TAG_GROUP_SOURCE, cust.source),
        ];
        for key in tags {
            if let Some(&tag) = tag_ids.get(&key) {
                w.push(
                    &CUSTOMER_TAG,
                    [firm_v(), v::id(id), v::id(tag), v::ts(cust.created_at)],
                );
            }
        }
    }

    // External contacts and follow infos, exactly as in the WeCom data set.
    let userid_index: HashMap<&str, usize> = roster
        .staff
        .iter()
        .enumerate()
        .map(|(i, s)| (s.userid.as_str(), i))
        .collect();
    let mut external_created = Vec::with_capacity(wecom.external_contacts.len());
    for (e, ext) in wecom.external_contacts.iter().enumerate() {
        let first_added = ext
            .follow_users
            .iter()
            .map(|f| f.createtime)
            .min()
            .map(from_unix)
            .unwrap_or(synced);
        let created = first_added.max(synced).min(cut);
        external_created.push(created);
        w.push(
            &EXTERNAL_CONTACT,
            [
                v::id(external_base + e as i64),
                firm_v(),
                v::text(&ext.external_userid),
                v::text(&ext.name),
                v::int(i32::from(ext.contact_type)),
                v::int(i32::from(ext.gender)),
                v::opt_text(ext.corp_name.clone()),
                v::opt_text(ext.corp_full_name.clone()),
                v::opt_text(ext.unionid.clone()),
                v::text(&ext.avatar),
                v::opt_text(ext.position.clone()),
                v::ts(created),
                v::ts(created),
                v::ts(created),
            ],
        );
        for f in &ext.follow_users {
            let added = from_unix(f.createtime);
            let at = added.max(synced).min(cut);
            w.push(
                &EXTERNAL_FOLLOW,
                [
                    firm_v(),
                    v::id(external_base + e as i64),
                    v::text(&f.userid),
                    v::text(&f.remark),
                    v::text(&f.description),
                    v::text(&f.remark_corp_name),
                    v::json(
                        serde_json::to_string(&f.remark_mobiles).unwrap_or_else(|_| "[]".into()),
                    ),
                    v::int(f.add_way),
                    v::text(&f.state),
                    v::ts(added),
                    v::json(serde_json::to_string(&f.tag_ids).unwrap_or_else(|_| "[]".into())),
                    v::ts(at),
                    v::ts(at),
                ],
            );
        }
    }

    // Contacts and their links to external contacts.
    for (k, contact) in roster.contacts.iter().enumerate() {
        let cust = &roster.customers[contact.customer];
        let person = &roster.people[contact.person];
        let external = world.external_of_contact(k);
        let created = cust.created_at;
        w.push(
            &CONTACT,
            [
                v::id(contact_base + k as i64),
                firm_v(),
                v::id(customer_base + contact.customer as i64),
                v::text(&person.name.full),
                v::text(contact.role.code()),
                v::text(&person.mobile),
                v::boolean(contact.is_primary),
                v::opt_big(external.map(|e| external_base + e as i64)),
                v::opt_text(None::<String>),
                v::ts(created),
                v::ts(created),
            ],
        );
        if let Some(e) = external {
            let at = created.max(external_created[e]).min(cut);
            w.push(
                &CUSTOMER_EXTERNAL_LINK,
                [
                    firm_v(),
                    v::id(customer_base + contact.customer as i64),
                    v::id(external_base + e as i64),
                    v::id(contact_base + k as i64),
                    v::id(emp(cust.am)),
                    v::ts(at),
                ],
            );
        }
    }

    // Customer group chats with their members, and which customers each serves.
    for (g, chat) in wecom.group_chats.iter().enumerate() {
        let id = group_base + g as i64;
        let created = from_unix(chat.create_time);
        let at = created.max(synced).min(cut);
        w.push(
            &GROUP_CHAT,
            [
                v::id(id),
                firm_v(),
                v::text(&chat.chat_id),
                v::text(&chat.name),
                v::text(&chat.owner),
                v::opt_text((!chat.notice.is_empty()).then(|| chat.notice.clone())),
                v::int(chat.members.len() as i32),
                v::ts(created),
                v::int(0),
                v::ts(at),
                v::ts(at),
                v::ts(at),
            ],
        );
        for m in &chat.members {
            let joined = from_unix(m.join_time);
            let row_at = joined.max(synced).min(cut);
            w.push(
                &GROUP_CHAT_MEMBER,
                [
                    firm_v(),
                    v::id(id),
                    v::text(&m.userid),
                    v::int(i32::from(m.member_type)),
                    v::opt_text(m.unionid.clone()),
                    v::text(&m.name),
                    v::opt_text((!m.group_nickname.is_empty()).then(|| m.group_nickname.clone())),
                    v::ts(joined),
                    v::int(i32::from(m.join_scene)),
                    v::opt_text(m.invitor.clone()),
                    v::ts(row_at),
                    v::ts(row_at),
                ],
            );
        }
        for &c in &world.links.group_customers[g] {
            let owner = userid_index.get(chat.owner.as_str()).copied();
            w.push(
                &CUSTOMER_GROUP_LINK,
                [
                    firm_v(),
                    v::id(customer_base + c as i64),
                    v::id(id),
                    v::opt_big(owner.map(emp)),
                    v::ts(at.max(roster.customers[c].created_at).min(cut)),
                ],
            );
        }
    }

    // Knowledge base.
    let subs = kb::subcategories();
    let mut kb_rng = stream(world.seed, roster.profile, STREAM_KB);
    let kb_at = add_minutes(firm.created_at, 24 * 60);
    for (p, (parent, _)) in kb::CATEGORIES.iter().enumerate() {
        w.push(
            &KB_CATEGORY,
            [
                v::id(kb_base + p as i64),
                firm_v(),
                v::opt_big(None),
                v::text(*parent),
                v::int(p as i32 + 1),
                v::ts(kb_at),
                v::ts(kb_at),
            ],
        );
    }
    let top = kb::CATEGORIES.len() as i64;
    for (s, (parent, _, name)) in subs.iter().enumerate() {
        w.push(
            &KB_CATEGORY,
            [
                v::id(kb_base + top + s as i64),
                firm_v(),
                v::opt_big(Some(kb_base + *parent as i64)),
                v::text(*name),
                v::int(s as i32 + 1),
                v::ts(kb_at),
                v::ts(kb_at),
            ],
        );
    }
    let curators: Vec<usize> = roster
        .staff
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            matches!(s.role, StaffRole::Owner | StaffRole::Admin)
                || s.permissions.contains(&"kb_manage")
        })
        .map(|(i, _)| i)
        .collect();
    let sizes = super::sizes::Sizes::of(roster.profile);
    let articles = kb::articles(&mut kb_rng, sizes.kb_articles, firm.city.short, kb_at, cut);
    for (i, a) in articles.iter().enumerate() {
        let author = curators[i % curators.len().max(1)];
        w.push(
            &KB_ARTICLE,
            [
                firm_v(),
                v::id(kb_base + top + a.category as i64),
                v::text(&a.title),
                v::text(&a.content),
                v::text(&a.keywords),
                v::text(if a.approved { "approved" } else { "draft" }),
                v::opt_big(a.approved.then(|| emp(0))),
                v::opt_ts(a.audited_at),
                v::id(emp(author)),
                v::ts(a.created_at),
                v::ts(a.audited_at.unwrap_or(a.created_at)),
            ],
        );
    }
    // Customers, employees and the WeCom mirror are parents of everything below.
    w.flush_all().await?;

    // Every customer's books, one customer at a time.
    let parties = counterparties(world.seed, roster.profile, firm.city);
    let ctx = BookContext {
        world,
        calendar,
        parties: &parties,
    };
    let mut receipts: Vec<ReceiptDraft> = Vec::new();
    for (c, cust) in roster.customers.iter().enumerate() {
        let books = customer_books(&ctx, c);
        let customer_id = v::id(customer_base + c as i64);
        let cid = customer_base + c as i64;
        let first_contract = contract_id;
        for (k, contract) in books.billing.contracts.iter().enumerate() {
            w.push(
                &SERVICE_CONTRACT,
                [
                    v::id(first_contract + k as i64),
                    firm_v(),
                    customer_id.clone(),
                    v::text(&contract.no),
                    v::text("bookkeeping"),
                    v::text(contract.start.to_string()),
                    v::text(contract.end.to_string()),
                    v::big(contract.fee),
                    v::text(contract.cycle),
                    v::big(contract.total),
                    v::text(contract.status),
                    v::opt_big(contract.renewed_from.map(|r| first_contract + r as i64)),
                    v::date(contract.signed_on),
                    v::id(emp(cust.am)),
                    v::opt_text(contract.note.clone()),
                    v::ts(contract.created_at),
                    v::ts(contract.updated_at),
                ],
            );
        }
        contract_id += books.billing.contracts.len() as i64;
        for p in &books.periods {
            w.push(
                &SERVICE_PERIOD,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(p.period.to_string()),
                    v::opt_big(p.contract.map(|k| first_contract + k as i64)),
                    v::text(p.collection_status),
                    v::opt_big(p.completed_by.map(emp)),
                    v::opt_ts(p.completed_at),
                    v::boolean(p.has_missing),
                    v::text(p.bookkeeping_status),
                    v::text(p.report_status),
                    v::ts(p.created_at),
                    v::ts(p.updated_at),
                ],
            );
        }
        let first_receivable = receivable_id;
        for r in &books.billing.receivables {
            w.push(
                &RECEIVABLE,
                [
                    v::id(receivable_id),
                    firm_v(),
                    customer_id.clone(),
                    v::opt_big(Some(first_contract + r.contract as i64)),
                    v::text("代理记账服务费"),
                    v::text(r.period.to_string()),
                    v::text(r.period.to_string()),
                    v::big(r.amount),
                    v::big(r.paid),
                    v::date(r.due_date),
                    v::text(r.status),
                    v::ts(r.created_at),
                    v::ts(r.updated_at),
                ],
            );
            receivable_id += 1;
        }
        for p in &books.billing.payments {
            w.push(
                &PAYMENT,
                [
                    v::id(payment_id),
                    firm_v(),
                    customer_id.clone(),
                    v::big(p.amount),
                    v::text(p.method),
                    v::ts(p.paid_at),
                    v::text(&p.payer),
                    v::opt_text(p.note.clone()),
                    v::id(emp(cust.am)),
                    v::ts(p.confirmed_at),
                    v::ts(p.confirmed_at),
                    v::ts(p.confirmed_at),
                ],
            );
            for (r, amount) in &p.allocations {
                w.push(
                    &PAYMENT_ALLOCATION,
                    [
                        firm_v(),
                        v::id(payment_id),
                        v::id(first_receivable + *r as i64),
                        v::big(*amount),
                        v::ts(p.confirmed_at),
                    ],
                );
            }
            receipts.push(ReceiptDraft {
                issued_at: p.issued_at,
                payment_id,
                customer_id: cid,
                payer: cust.name.clone(),
                item: p.receipt_item.clone(),
                period_from: p.period_from.to_string(),
                period_to: p.period_to.to_string(),
                amount: p.amount,
                handler_id: emp(cust.am),
            });
            payment_id += 1;
        }
        for d in &books.dunnings {
            let ids: Vec<i64> = d
                .receivables
                .iter()
                .map(|&r| first_receivable + r as i64)
                .collect();
            w.push(
                &DUNNING,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::json(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())),
                    v::text(d.period_from.to_string()),
                    v::text(d.period_to.to_string()),
                    v::big(d.amount),
                    v::text(d.target_type),
                    v::text(&d.target_id),
                    v::id(emp(d.sent_by)),
                    v::ts(d.sent_at),
                    v::text(&d.message),
                    v::ts(d.sent_at),
                ],
            );
        }
        for col in &books.collections {
            w.push(
                &INVOICE_COLLECTION,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(col.period.to_string()),
                    v::ts(col.received_at),
                    v::id(emp(col.received_by)),
                    v::json(col.lines.clone()),
                    v::int(col.total_count),
                    v::big(col.total_fen),
                    v::opt_text(col.note.clone()),
                    v::ts(col.received_at),
                    v::ts(col.received_at),
                ],
            );
        }
        for m in &books.missing {
            w.push(
                &MISSING_INVOICE,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(m.period.to_string()),
                    v::text(m.doc_type),
                    v::text(&m.description),
                    v::big(m.expected_fen),
                    v::id(emp(m.marked_by)),
                    v::ts(m.marked_at),
                    v::opt_ts(m.resolved_at),
                    v::opt_big(m.resolved_at.map(|_| emp(m.marked_by))),
                    v::ts(m.marked_at),
                    v::ts(m.resolved_at.unwrap_or(m.marked_at)),
                ],
            );
        }
        for i in &books.invoices {
            w.push(
                &INVOICE,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(i.period.to_string()),
                    v::text(i.direction.code()),
                    v::text(i.kind),
                    v::text(&i.code),
                    v::text(&i.number),
                    v::date(i.issue_date),
                    v::text(&i.counterparty_name),
                    v::opt_text(i.counterparty_uscc.clone()),
                    v::big(i.amount),
                    v::int(i.rate_bp as i32),
                    v::big(i.tax),
                    v::big(i.total),
                    v::text(i.status.code()),
                    v::boolean(i.deductible),
                    v::opt_ts(i.use_confirmed_at),
                    v::ts(i.created_at),
                    v::ts(i.use_confirmed_at.unwrap_or(i.created_at).max(i.created_at)),
                ],
            );
        }
        for f in &books.filings {
            w.push(
                &TAX_FILING,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(f.period_from.to_string()),
                    v::text(f.period_to.to_string()),
                    v::text(f.tax_type),
                    v::date(f.due.date),
                    v::boolean(f.due.provisional),
                    v::text(f.status),
                    v::big(f.payable),
                    v::big(f.paid),
                    v::opt_ts(f.filed_at),
                    v::opt_big(f.filed_by.map(emp)),
                    v::opt_ts(f.notified_at),
                    v::opt_text(f.note.clone()),
                    v::ts(f.created_at),
                    v::ts(f.updated_at),
                ],
            );
        }
        for r in &books.reports {
            w.push(
                &FINANCIAL_REPORT,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::text(r.period.to_string()),
                    v::text(r.report_type),
                    v::text("small_enterprise"),
                    v::json(r.lines.clone()),
                    v::ts(r.generated_at),
                    v::opt_ts(r.sent_at),
                    v::ts(r.generated_at),
                    v::ts(r.sent_at.unwrap_or(r.generated_at)),
                ],
            );
        }
        for f in &books.follow_ups {
            w.push(
                &FOLLOW_UP,
                [
                    firm_v(),
                    customer_id.clone(),
                    v::opt_big(Some(emp(f.employee))),
                    v::text(f.kind),
                    v::text(&f.content),
                    v::opt_ts(f.next_at),
                    v::ts(f.created_at),
                    v::ts(f.created_at),
                ],
            );
        }
        w.flush_ready().await?;
    }

    // Receipts are numbered per year in the order they were issued, as the app would have.
    receipts.sort_by_key(|r| (r.issued_at, r.payment_id));
    let mut counters: Vec<(i32, u32, DateTime<Utc>)> = Vec::new();
    for r in &receipts {
        let year = crate::domain::clock::to_local(r.issued_at).year();
        let seq = match counters.iter_mut().find(|(y, _, _)| *y == year) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 = r.issued_at;
                entry.1
            }
            None => {
                counters.push((year, 1, r.issued_at));
                1
            }
        };
        let number = ReceiptNo::new(year, seq)
            .map(|n| n.to_string())
            .map_err(|e| DbErr::Custom(format!("receipt number: {e}")))?;
        let amount_cn = Money::from_fen(r.amount)
            .to_chinese_upper_with_prefix()
            .map_err(|e| DbErr::Custom(format!("receipt amount: {e}")))?;
        w.push(
            &RECEIPT,
            [
                firm_v(),
                v::text(number),
                v::id(r.payment_id),
                v::id(r.customer_id),
                v::text(&r.payer),
                v::text(&r.item),
                v::text(&r.period_from),
                v::text(&r.period_to),
                v::big(r.amount),
                v::text(amount_cn),
                v::text(&firm.name),
                v::id(r.handler_id),
                v::ts(r.issued_at),
                v::text("valid"),
                v::ts(r.issued_at),
                v::ts(r.issued_at),
            ],
        );
    }
    for (year, last, at) in &counters {
        w.push(
            &RECEIPT_COUNTER,
            [
                firm_v(),
                v::int(*year),
                v::big(i64::from(*last)),
                v::ts(*at),
            ],
        );
    }
    let counts = w.finish().await?;

    next.insert("employee", employee_base + roster.staff.len() as i64);
    next.insert("customer", customer_base + roster.customers.len() as i64);
    next.insert("tag_group", tag_group_base + wecom.tag_groups.len() as i64);
    next.insert("tag", tag_base + tag_n);
    next.insert(
        "wecom_external_contact",
        external_base + wecom.external_contacts.len() as i64,
    );
    next.insert("contact", contact_base + roster.contacts.len() as i64);
    next.insert(
        "wecom_group_chat",
        group_base + wecom.group_chats.len() as i64,
    );
    next.insert("service_contract", contract_id);
    next.insert("receivable", receivable_id);
    next.insert("payment", payment_id);
    next.insert("kb_category", kb_base + top + subs.len() as i64);
    release_ids(txn, backend, &next).await?;
    Ok(counts)
}
