//! `/admin/audit`: the audit log (read-only, admins only), and this deployment's details.

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::entities::audit_log as log_entry;
use crate::domain::clock::to_local;
use crate::error::AppResult;
use crate::services::audit_log::{self, AuditFilter};
use crate::services::overview::{self, SystemStatus};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::csrf::CsrfToken;
use crate::web::extractors::BackOfficeEmployee;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    object_id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: u64,
}

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub before: String,
    pub after: String,
    pub ip: String,
}

fn json_text(v: &Option<serde_json::Value>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

impl From<log_entry::Model> for Entry {
    fn from(e: log_entry::Model) -> Self {
        Self {
            at: to_local(e.occurred_at)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            actor: e.actor,
            action: e.action,
            object: match e.entity_id {
                Some(id) => format!("{} #{id}", e.entity),
                None => e.entity,
            },
            before: json_text(&e.old_value),
            after: json_text(&e.new_value),
            ip: e.ip.unwrap_or_default(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    chrome: Chrome,
    entries: Vec<Entry>,
    people: Vec<(i64, String)>,
    entities: Vec<String>,
    q: AuditQuery,
    has_more: bool,
    next_query: String,
    status: SystemStatus,
    started: String,
}

impl AuditPage {
    fn person_is(&self, id: &i64) -> bool {
        self.q.person == id.to_string()
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<AuditQuery>,
) -> AppResult<AuditPage> {
    let q = query.into_inner();
    let filter = AuditFilter {
        employee_id: q.person.trim().parse().ok(),
        entity: q.object.clone(),
        entity_id: q.object_id.clone(),
        from: date(&q.from),
        to: date(&q.to),
        page: q.page,
    };
    let page = audit_log::list(&state, &me, &filter).await?;
    let status = overview::system_status(&state, &me, state.started_at).await?;
    let next_query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("person", &q.person)
        .append_pair("object", &q.object)
        .append_pair("object_id", &q.object_id)
        .append_pair("from", &q.from)
        .append_pair("to", &q.to)
        .append_pair("page", &(q.page + 1).to_string())
        .finish();
    Ok(AuditPage {
        chrome: Chrome::new(&me, "/admin/audit", csrf.0),
        entries: page.entries.into_iter().map(Entry::from).collect(),
        people: page.people,
        entities: page.entities,
        has_more: page.has_more,
        next_query,
        started: to_local(state.started_at)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        status,
        q,
    })
}
