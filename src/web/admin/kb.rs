//! `/admin/kb`: the knowledge base — categories, articles, audit, XLSX import and export.
//! Everyone signed in may read; managing needs 管理知识库, approving 审核知识库.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::import::MAX_BYTES;
use crate::services::kb_admin::{
    self, ArticleFilter, ArticleInput, ArticleView, CategoryNode, ImportReport, PLACEHOLDERS,
};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{field, ip, read_upload, repeated, see_other};
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf, check_form};
use crate::web::extractors::BackOfficeEmployee;

const HERE: &str = "/admin/kb";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    category: Option<i64>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    /// After a bulk action: which, how many changed and how many were left.
    #[serde(default)]
    bulk: String,
    #[serde(default)]
    done: usize,
    #[serde(default)]
    skipped: usize,
}

impl ListQuery {
    fn filter(&self) -> ArticleFilter {
        ArticleFilter {
            category_id: self.category,
            q: self.q.clone(),
            approved: match self.status.as_str() {
                "approved" => Some(true),
                "draft" => Some(false),
                _ => None,
            },
        }
    }

    fn bulk_notice(&self) -> Option<String> {
        let action = kb_admin::Bulk::parse(&self.bulk).ok()?;
        let mut text = format!("已{} {} 条知识。", action.label(), self.done);
        if self.skipped > 0 {
            text.push_str(&match action {
                kb_admin::Bulk::Delete => {
                    format!("{} 条已审核的知识未删除，请先取消审核。", self.skipped)
                }
                kb_admin::Bulk::Approve => format!("{} 条原本就已审核。", self.skipped),
                kb_admin::Bulk::Unapprove => format!("{} 条原本就未审核。", self.skipped),
            });
        }
        Some(text)
    }

    /// The filter as a query string, for the way back after a bulk action.
    fn filter_query(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if let Some(c) = self.category {
            s.append_pair("category", &c.to_string());
        }
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if !self.status.is_empty() {
            s.append_pair("status", &self.status);
        }
        s.finish()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/kb.html")]
pub struct ListPage {
    chrome: Chrome,
    tree: Vec<CategoryNode>,
    articles: Vec<ArticleView>,
    category: Option<i64>,
    q: String,
    status: String,
    manage: bool,
    audit: bool,
    notice: Option<String>,
    /// The filter as a query string, which the bulk form carries back.
    back: String,
    placeholders: &'static [(&'static str, &'static str)],
}

impl ListPage {
    fn bulk(&self) -> bool {
        self.manage || self.audit
    }

    fn selected(&self, id: &i64) -> bool {
        self.category == Some(*id)
    }
}

pub async fn list(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<ListPage> {
    let q = query.into_inner();
    let filter = q.filter();
    let tree = kb_admin::categories(&state, &me).await?;
    let articles = kb_admin::articles(&state, &me, &filter).await?;
    Ok(ListPage {
        manage: me.can(Permission::KbManage),
        audit: me.can(Permission::KbAudit),
        notice: q.bulk_notice(),
        back: q.filter_query(),
        chrome: Chrome::new(&me, HERE, csrf.0),
        tree,
        articles,
        category: q.category,
        q: q.q,
        status: q.status,
        placeholders: PLACEHOLDERS,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/kb_categories.html")]
pub struct CategoriesPage {
    chrome: Chrome,
    tree: Vec<CategoryNode>,
}

pub async fn categories(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
) -> AppResult<CategoriesPage> {
    me.require(Permission::KbManage)?;
    let tree = kb_admin::categories(&state, &me).await?;
    Ok(CategoriesPage {
        chrome: Chrome::new(&me, HERE, csrf.0),
        tree,
    })
}

#[derive(Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    direction: String,
}

impl WithCsrf for CategoryForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

const CATEGORIES: &str = "/admin/kb/categories";

pub async fn add_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    let parent = form.parent_id.trim().parse::<i64>().ok();
    kb_admin::add_category(&state, &me, ip(&req), parent, &form.name).await?;
    Ok(see_other(CATEGORIES))
}

pub async fn rename_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    kb_admin::rename_category(&state, &me, ip(&req), path.into_inner(), &form.name).await?;
    Ok(see_other(CATEGORIES))
}

pub async fn move_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    let up = form.direction != "down";
    kb_admin::move_category(&state, &me, ip(&req), path.into_inner(), up).await?;
    Ok(see_other(CATEGORIES))
}

pub async fn delete_category(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    _form: CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    kb_admin::delete_category(&state, &me, ip(&req), path.into_inner()).await?;
    Ok(see_other(CATEGORIES))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/kb_article.html")]
pub struct ArticlePage {
    chrome: Chrome,
    a: ArticleView,
    tree: Vec<CategoryNode>,
    manage: bool,
    audit: bool,
    placeholders: &'static [(&'static str, &'static str)],
}

impl ArticlePage {
    fn in_category(&self, id: &i64) -> bool {
        self.a.article.category_id == *id
    }
}

pub async fn article(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
) -> AppResult<ArticlePage> {
    let a = kb_admin::article(&state, &me, path.into_inner()).await?;
    let tree = kb_admin::categories(&state, &me).await?;
    Ok(ArticlePage {
        manage: me.can(Permission::KbManage),
        audit: me.can(Permission::KbAudit),
        chrome: Chrome::new(&me, HERE, csrf.0),
        a,
        tree,
        placeholders: PLACEHOLDERS,
    })
}

#[derive(Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    approve: String,
}

impl WithCsrf for ArticleForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl ArticleForm {
    fn input(&self) -> ArticleInput {
        ArticleInput {
            category_id: self.category_id.trim().parse().unwrap_or_default(),
            title: self.title.clone(),
            content: self.content.clone(),
            keywords: self.keywords.clone(),
        }
    }
}

pub async fn create_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let id = kb_admin::create_article(&state, &me, ip(&req), form.input()).await?;
    Ok(see_other(format!("/admin/kb/articles/{id}")))
}

pub async fn update_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    kb_admin::update_article(&state, &me, ip(&req), id, form.input()).await?;
    Ok(see_other(format!("/admin/kb/articles/{id}")))
}

/// `POST /admin/kb/bulk`: 审核, 取消审核 or 删除 for the ticked articles; back to the same list.
pub async fn bulk(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    check_form(&req, Some(field(&body, "csrf").as_str()))?;
    let action = kb_admin::Bulk::parse(&field(&body, "action"))?;
    let ids = repeated(&body, "article")
        .iter()
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| AppError::NotFound("所选知识不存在或已删除".into()))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let done = kb_admin::bulk(&state, &me, ip(&req), &ids, action).await?;
    let back = field(&body, "back");
    let mut to = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(back.as_bytes()) {
        if matches!(k.as_ref(), "category" | "q" | "status") {
            to.append_pair(&k, &v);
        }
    }
    to.append_pair("bulk", action.code())
        .append_pair("done", &done.done.to_string())
        .append_pair("skipped", &done.skipped.to_string());
    Ok(see_other(format!("{HERE}?{}", to.finish())))
}

pub async fn delete_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    _form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    kb_admin::delete_article(&state, &me, ip(&req), path.into_inner()).await?;
    Ok(see_other(HERE))
}

pub async fn audit_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    path: web::Path<i64>,
    form: CsrfForm<ArticleForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    kb_admin::set_approved(&state, &me, ip(&req), id, form.approve == "1").await?;
    Ok(see_other(format!("/admin/kb/articles/{id}")))
}

fn download(name_ascii: &str, name_cn: &str, bytes: Vec<u8>) -> HttpResponse {
    let encoded: String = url::form_urlencoded::byte_serialize(name_cn.as_bytes()).collect();
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, XLSX))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name_ascii}\"; filename*=UTF-8''{encoded}"),
        ))
        .body(bytes)
}

pub async fn template(me: BackOfficeEmployee) -> AppResult<HttpResponse> {
    me.require(Permission::KbView)?;
    Ok(download(
        "kb-template.xlsx",
        "知识库导入模板.xlsx",
        kb_admin::template_xlsx()?,
    ))
}

/// `GET /admin/kb/export.xlsx[?category=&status=&q=]`: the list as filtered, in the import
/// template's shape plus its audit state.
pub async fn export(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let bytes = kb_admin::export_xlsx(&state, &me, &query.filter()).await?;
    Ok(download("kb-export.xlsx", "知识库.xlsx", bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/kb_import.html")]
pub struct ImportPage {
    chrome: Chrome,
    report: Option<ImportReport>,
    error: Option<String>,
}

pub async fn import_form(me: BackOfficeEmployee, csrf: CsrfToken) -> AppResult<ImportPage> {
    me.require(Permission::KbManage)?;
    Ok(ImportPage {
        chrome: Chrome::new(&me, HERE, csrf.0),
        report: None,
        error: None,
    })
}

pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let upload = read_upload(&req, payload, MAX_BYTES + 64 * 1024).await?;
    let mut page = ImportPage {
        chrome: Chrome::new(&me, HERE, csrf.0),
        report: None,
        error: None,
    };
    let status = match kb_admin::import(&state, &me, ip(&req), &upload.file).await {
        Ok(report) => {
            let status = if report.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            page.report = Some(report);
            status
        }
        Err(e @ crate::error::AppError::Validation(_)) => {
            page.error = Some(e.public_message());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    Ok(page
        .customize()
        .with_status(status)
        .respond_to(&req)
        .map_into_boxed_body())
}
