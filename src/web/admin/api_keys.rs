//! `/admin/api-keys`: the firm's keys for the REST API (admins only). A new key is shown once,
//! on the answer to the form that created it; afterwards only its prefix is ever shown.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};

use crate::db::entities::api_key;
use crate::domain::api_scopes::Resource;
use crate::error::{AppError, AppResult};
use crate::services::api_keys;
use crate::services::audit::Who;
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{field, ip, see_other};
use crate::web::csrf::CsrfToken;
use crate::web::extractors::BackOfficeEmployee;

/// One key as the list shows it.
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: String,
    pub last_used_at: String,
    pub revoked_at: Option<String>,
}

/// One resource's line of the scope picker.
pub struct ScopeChoice {
    pub name: &'static str,
    pub label: &'static str,
    pub chosen: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/api_keys.html")]
pub struct ApiKeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    choices: Vec<ScopeChoice>,
    all_chosen: bool,
    name: String,
    /// The key just created, shown this once.
    created: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

fn when(at: DateTime<Utc>) -> String {
    crate::domain::clock::to_local(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// `customers:write,invoices:read` as people read it: 客户（读写）、发票（只读）.
fn scopes_label(scopes: &str) -> String {
    if scopes.split(',').any(|s| s.trim() == "all") {
        return "全部资源（读写）".into();
    }
    scopes
        .split(',')
        .filter_map(|part| {
            let (name, access) = part.trim().split_once(':')?;
            let resource = Resource::ALL.into_iter().find(|r| r.name() == name)?;
            let access = if access == "write" {
                "读写"
            } else {
                "只读"
            };
            Some(format!("{}（{access}）", resource.label()))
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn row(k: api_key::Model) -> KeyRow {
    KeyRow {
        id: k.id,
        scopes: scopes_label(&k.scopes),
        created_at: when(k.created_at),
        last_used_at: k
            .last_used_at
            .map(when)
            .unwrap_or_else(|| "从未使用".into()),
        revoked_at: k.revoked_at.map(when),
        name: k.name,
        prefix: k.prefix,
    }
}

fn choices(chosen: &[(String, String)]) -> Vec<ScopeChoice> {
    Resource::ALL
        .into_iter()
        .map(|r| ScopeChoice {
            name: r.name(),
            label: r.label(),
            chosen: match chosen
                .iter()
                .find(|(n, _)| n == r.name())
                .map(|(_, a)| a.as_str())
            {
                Some("write") => "write",
                Some("read") => "read",
                _ => "",
            },
        })
        .collect()
}

async fn page(
    state: &AppState,
    me: &BackOfficeEmployee,
    csrf: String,
    chosen: &[(String, String)],
) -> AppResult<ApiKeysPage> {
    let keys = api_keys::list(&state.ctx, me.firm_id)
        .await?
        .into_iter()
        .map(row)
        .collect();
    Ok(ApiKeysPage {
        chrome: Chrome::new(me, "/admin/api-keys", csrf),
        keys,
        choices: choices(chosen),
        all_chosen: false,
        name: String::new(),
        created: None,
        notice: None,
        error: None,
    })
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    revoked: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<ApiKeysPage> {
    me.require_admin()?;
    let mut page = page(&state, &me, csrf.0, &[]).await?;
    page.notice = query
        .revoked
        .as_ref()
        .map(|name| format!("密钥「{name}」已停用，使用它的请求将被拒绝"));
    Ok(page)
}

/// `POST /admin/api-keys`: `name`, `all=1` or `scope.RESOURCE=read|write` per resource.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    crate::web::csrf::check_token(&req, &field(&body, "csrf"))?;
    let name = field(&body, "name");
    let all = field(&body, "all") == "1";
    let chosen: Vec<(String, String)> = Resource::ALL
        .into_iter()
        .map(|r| {
            (
                r.name().to_string(),
                field(&body, &format!("scope.{}", r.name())),
            )
        })
        .filter(|(_, a)| a == "read" || a == "write")
        .collect();
    let scopes = if all {
        "all".to_string()
    } else {
        chosen
            .iter()
            .map(|(n, a)| format!("{n}:{a}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let who = Who::employee(&me, ip(&req));
    let outcome = if scopes.is_empty() {
        Err(AppError::Validation(
            "请至少为一种资源选择只读或读写，或选择全部资源".into(),
        ))
    } else {
        api_keys::create(&state.ctx, &who, &name, &scopes).await
    };
    let mut view = page(&state, &me, csrf.0, &chosen).await?;
    let status = match outcome {
        Ok(created) => {
            view.created = Some((name.trim().to_string(), created.key));
            actix_web::http::StatusCode::OK
        }
        Err(AppError::Validation(message)) => {
            view.error = Some(message);
            view.name = name;
            view.all_chosen = all;
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    // The answer holds a secret: no cache may keep it.
    Ok(view
        .customize()
        .with_status(status)
        .insert_header(("cache-control", "no-store"))
        .respond_to(&req)
        .map_into_boxed_body())
}

pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    crate::web::csrf::check_token(&req, &field(&body, "csrf"))?;
    let id = path.into_inner();
    let who = Who::employee(&me, ip(&req));
    api_keys::revoke(&state.ctx, &who, id).await?;
    let name = api_keys::list(&state.ctx, me.firm_id)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .map(|k| k.name)
        .unwrap_or_default();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("revoked", &name)
        .finish();
    Ok(see_other(format!("/admin/api-keys?{query}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_as_people_say_them() {
        assert_eq!(scopes_label("all"), "全部资源（读写）");
        assert_eq!(
            scopes_label("customers:write,invoices:read"),
            "客户（读写）、发票（只读）"
        );
    }
}
