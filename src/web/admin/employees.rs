//! `/admin/employees`: employees, their roles, sidebar and knowledge-base rights, data scope and
//! WeCom binding (admins only).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::entities::{employee, wecom_member};
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::assignments::{self, Served};
use crate::services::employee_admin::{self, EmployeeInput, EmployeeView, GRANTABLE};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{ip, see_other};
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;
use crate::web::labels::Label;

const HERE: &str = "/admin/employees";

#[derive(Template, WebTemplate)]
#[template(path = "admin/employees.html")]
pub struct ListPage {
    chrome: Chrome,
    employees: Vec<EmployeeView>,
    grantable: &'static [Permission],
    may_make_super: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/employee.html")]
pub struct EditPage {
    chrome: Chrome,
    e: EmployeeView,
    grantable: &'static [Permission],
    members: Vec<wecom_member::Model>,
    may_make_super: bool,
    saved: bool,
    /// After 交接: how many customers were handed over.
    handed: Option<usize>,
    served: Served,
    /// The active employees who may take this one's customers.
    successors: Vec<(i64, String)>,
}

impl EditPage {
    fn role_is(&self, code: &str) -> bool {
        role_code(self.e.employee.role) == code
    }
    fn scope_all(&self) -> bool {
        self.e.employee.data_scope == employee::DataScope::All
    }
    fn active(&self) -> bool {
        self.e.employee.status == employee::Status::Active
    }
}

fn role_code(role: employee::Role) -> &'static str {
    match role {
        employee::Role::SuperAdmin => "super_admin",
        employee::Role::Admin => "admin",
        employee::Role::Staff => "staff",
    }
}

pub async fn list(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
) -> AppResult<ListPage> {
    let employees = employee_admin::list(&state, &me).await?;
    Ok(ListPage {
        may_make_super: me.role == employee::Role::SuperAdmin,
        chrome: Chrome::new(&me, HERE, csrf.0),
        employees,
        grantable: &GRANTABLE,
    })
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
    handed: Option<usize>,
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    query: web::Query<Saved>,
) -> AppResult<EditPage> {
    let e = employee_admin::get(&state, &me, path.into_inner()).await?;
    let members = employee_admin::unbound_members(&state, &me).await?;
    let served = assignments::served(&state.ctx, &me, e.employee.id).await?;
    let successors = employee_admin::list(&state, &me)
        .await?
        .into_iter()
        .filter(|v| v.employee.id != e.employee.id && v.employee.status == employee::Status::Active)
        .map(|v| (v.employee.id, v.employee.name))
        .collect();
    Ok(EditPage {
        handed: query.handed,
        served,
        successors,
        may_make_super: me.role == employee::Role::SuperAdmin,
        chrome: Chrome::new(&me, HERE, csrf.0),
        e,
        grantable: &GRANTABLE,
        members,
        saved: query.saved.is_some(),
    })
}

/// The add and edit forms: permission checkboxes are named `perm_<code>`.
#[derive(Deserialize)]
pub struct EmployeeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    data_scope: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl WithCsrf for EmployeeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl EmployeeForm {
    fn input(&self) -> EmployeeInput {
        EmployeeInput::from_codes(
            &self.name,
            &self.mobile,
            &self.role,
            &self.data_scope,
            self.rest.keys().filter_map(|k| k.strip_prefix("perm_")),
            &self.password,
        )
    }
}

pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<EmployeeForm>,
) -> AppResult<HttpResponse> {
    let id = employee_admin::create(&state, &me, ip(&req), form.input()).await?;
    Ok(see_other(format!("{HERE}/{id}?saved=1")))
}

pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<EmployeeForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    employee_admin::update(&state, &me, ip(&req), id, form.input()).await?;
    Ok(see_other(format!("{HERE}/{id}?saved=1")))
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    userid: String,
}

impl WithCsrf for ActionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn set_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    employee_admin::set_active(&state, &me, ip(&req), id, form.active == "1").await?;
    Ok(see_other(format!("{HERE}/{id}?saved=1")))
}

pub async fn remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    _form: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    employee_admin::remove(&state, &me, ip(&req), path.into_inner()).await?;
    Ok(see_other(HERE))
}

#[derive(Deserialize)]
pub struct HandOverForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for HandOverForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/employees/{id}/hand-over`: 交接, every customer this employee serves passes to
/// the employee `to`.
pub async fn hand_over(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<HandOverForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let to = form
        .to
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::Validation("请选择接手客户的员工".into()))?;
    let n = assignments::hand_over(&state.ctx, &me, ip(&req), id, to).await?;
    Ok(see_other(format!("{HERE}/{id}?handed={n}")))
}

pub async fn bind(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    employee_admin::bind(&state, &me, ip(&req), id, &form.userid).await?;
    Ok(see_other(format!("{HERE}/{id}?saved=1")))
}

pub async fn unbind(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    _form: CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    employee_admin::unbind(&state, &me, ip(&req), id).await?;
    Ok(see_other(format!("{HERE}/{id}?saved=1")))
}
