//! The customer sections of part 2, each a page that also works opened on its own:
//! `/sidebar/customers/{id}/billing` (收款), `collection` (收票), `filings` (报税), `reports`
//! (报表) and `invoices` (发票), with the receipt and collection images and the statement
//! workbook as downloads. Every handler calls the section's service, which checks the permission
//! and the customer's visibility.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use super::customers::{ChatQuery, chat_params, field, form_with_files};
use super::{client_ip, redirect};
use crate::domain::clock::today_local;
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::sidebar::ChatRef;
use crate::services::{collection, filings, invoices, payments, reports};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, CsrfHeader, CsrfToken, WithCsrf, check_form};
use crate::web::extractors::SidebarEmployee;
use crate::web::form_fields;

fn period_param(p: Option<&str>) -> AppResult<Option<Period>> {
    match p.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(p) => Period::parse(p)
            .map(Some)
            .map_err(|_| AppError::Validation("期间格式应为 YYYY-MM".into())),
    }
}

fn download(content_type: &str, filename: &str, bytes: Vec<u8>) -> HttpResponse {
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, content_type.to_string()))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}"),
        ))
        .body(bytes)
}

/// A part-2 page knows the chat the panel opened it for (`?chat_type=&chat_key=`), so its send
/// controls put things into that chat and its forms and links keep it.
trait InChat {
    fn chat(&self) -> Option<&ChatRef>;

    /// `?chat_type=…&chat_key=…`, or nothing outside a chat.
    fn q(&self) -> String {
        match self.chat() {
            Some(c) => format!("?{}", chat_params(Some(c))),
            None => String::new(),
        }
    }
}

macro_rules! in_chat {
    ($($page:ty),*) => {$(
        impl InChat for $page {
            fn chat(&self) -> Option<&ChatRef> {
                self.chat.as_ref()
            }
        }
    )*};
}

in_chat!(
    BillingPage,
    CollectionPage,
    FilingsPage,
    ReportsPage,
    InvoicesPage
);

/// Where a write sends the browser back to, keeping the chat.
fn back_to(path: String, chat: Option<&ChatRef>, extra: Option<(&str, &str)>) -> String {
    let mut query: Vec<String> = Vec::new();
    if let Some((k, v)) = extra {
        let v: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        query.push(format!("{k}={v}"));
    }
    if chat.is_some() {
        query.push(chat_params(chat));
    }
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

// ---------------------------------------------------------------------------
// 收款
// ---------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/sections/billing.html", blocks = ["content"])]
struct BillingPage {
    arrears: payments::Arrears,
    history: Vec<payments::PaymentLine>,
    can_confirm: bool,
    is_admin: bool,
    me_id: i64,
    csrf: String,
    today: NaiveDate,
    notice: Option<String>,
    error: Option<String>,
    dunning: Option<payments::DunningDraft>,
    chat: Option<ChatRef>,
    /// The receipt just issued, offered for sending at once.
    issued: Option<(i64, String)>,
}

impl BillingPage {
    /// Whether the dunning form ticks this receivable: as last chosen, or else the overdue ones
    /// (every open one when nothing is overdue yet).
    fn dun_ticked(&self, r: &payments::ReceivableLine) -> bool {
        match &self.dunning {
            Some(d) => d.receivable_ids.contains(&r.id),
            None => r.overdue || !self.arrears.overdue.is_positive(),
        }
    }

    fn status_label(&self, s: &crate::db::entities::receivable::Status) -> &'static str {
        use crate::db::entities::receivable::Status;
        match s {
            Status::Open => "未收",
            Status::Partial => "部分收款",
            Status::Paid => "已收清",
            Status::Void => "作废",
        }
    }

    /// Whether this employee may reverse the payment now (the service checks again).
    fn may_reverse(&self, p: &payments::PaymentLine) -> bool {
        p.reversed_at.is_none()
            && (self.is_admin || (self.can_confirm && p.confirmed_by == Some(self.me_id)))
    }

    fn local(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        crate::domain::clock::to_local(*at)
            .format("%Y-%m-%d")
            .to_string()
    }
}

#[derive(Deserialize, Default)]
pub struct BillingQuery {
    done: Option<String>,
    reversed: Option<String>,
}

/// After a write that changes the panel's summary (arrears, missing invoices), the answer asks
/// the panel to refresh it.
fn refresh_summary(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-trigger"),
        actix_web::http::header::HeaderValue::from_static("zf-summary"),
    );
    response
}

async fn billing_page(
    state: &AppState,
    who: &SidebarEmployee,
    customer_id: i64,
    csrf: String,
    chat: Option<ChatRef>,
) -> AppResult<BillingPage> {
    let (arrears, history) = payments::overview(state, who, customer_id).await?;
    Ok(BillingPage {
        arrears,
        history,
        can_confirm: who.can(Permission::BillingConfirm),
        is_admin: who.is_admin(),
        me_id: who.employee_id,
        csrf,
        today: today_local(state.now()),
        notice: None,
        error: None,
        dunning: None,
        chat,
        issued: None,
    })
}

fn refused(mut page: BillingPage, req: &HttpRequest, e: &AppError) -> HttpResponse {
    page.error = Some(e.public_message());
    respond(
        req,
        StatusCode::UNPROCESSABLE_ENTITY,
        || page.render(),
        || page.as_content().render(),
    )
}

/// Like the generic sections: the whole page when opened directly, only the section's content
/// when the panel's tabs load it (`HX-Request`).
fn respond(
    req: &HttpRequest,
    status: StatusCode,
    whole: impl FnOnce() -> askama::Result<String>,
    content: impl FnOnce() -> askama::Result<String>,
) -> HttpResponse {
    let html = if req.headers().contains_key("hx-request") {
        content()
    } else {
        whole()
    };
    match html {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => AppError::internal(e).error_response(),
    }
}

pub async fn billing(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    query: web::Query<BillingQuery>,
    chat: web::Query<ChatQuery>,
) -> AppResult<HttpResponse> {
    let mut page = billing_page(&state, &who, path.into_inner(), csrf.0, chat.chat()?).await?;
    if let Some(no) = query.done.as_deref() {
        page.notice = Some(format!("已确认收款，收据号 {no}"));
        page.issued = page
            .history
            .iter()
            .find(|p| p.receipt_no.as_deref() == Some(no))
            .and_then(|p| p.receipt_id)
            .map(|id| (id, no.to_string()));
    }
    if query.reversed.is_some() {
        page.notice = Some("已撤销收款，收据已作废".into());
    }
    let response = respond(
        &req,
        StatusCode::OK,
        || page.render(),
        || page.as_content().render(),
    );
    Ok(if query.done.is_some() || query.reversed.is_some() {
        refresh_summary(response)
    } else {
        response
    })
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    csrf: String,
    amount: String,
    method: String,
    paid_on: String,
    #[serde(default)]
    payer: String,
    #[serde(default)]
    note: String,
    /// `alloc_{receivable id}` = amount, when the manager chose.
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl WithCsrf for ConfirmForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn parse_confirm(customer_id: i64, f: &ConfirmForm) -> AppResult<payments::NewPayment> {
    let money =
        |s: &str| Money::parse(s).map_err(|_| AppError::Validation(format!("金额“{s}”格式不正确")));
    let mut chosen = Vec::new();
    for (key, value) in &f.rest {
        if let Some(id) = key.strip_prefix("alloc_")
            && !value.trim().is_empty()
        {
            let id: i64 = id
                .parse()
                .map_err(|_| AppError::Validation("应收款编号不正确".into()))?;
            chosen.push((id, money(value)?));
        }
    }
    chosen.sort_by_key(|(id, _)| *id);
    Ok(payments::NewPayment {
        customer_id,
        amount: money(&f.amount)?,
        method: payments::parse_method(&f.method)?,
        paid_on: NaiveDate::parse_from_str(f.paid_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::Validation("请填写收款日期".into()))?,
        payer: Some(f.payer.clone()),
        note: Some(f.note.clone()),
        allocation: if chosen.is_empty() {
            payments::Allocation::OldestFirst
        } else {
            payments::Allocation::AsChosen(chosen)
        },
    })
}

pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    chat: web::Query<ChatQuery>,
    form: CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    let customer_id = path.into_inner();
    let chat = chat.chat()?;
    let result = match parse_confirm(customer_id, &form) {
        Ok(input) => payments::confirm(&state, &who, client_ip(&req), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(done) => Ok(redirect(&back_to(
            format!("/sidebar/customers/{customer_id}/billing"),
            chat.as_ref(),
            Some(("done", &done.receipt_no)),
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let page = billing_page(&state, &who, customer_id, csrf.0, chat).await?;
            Ok(refused(page, &req, &e))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

impl WithCsrf for ReverseForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn reverse(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<(i64, i64)>,
    chat: web::Query<ChatQuery>,
    form: CsrfForm<ReverseForm>,
) -> AppResult<HttpResponse> {
    let (customer_id, payment_id) = path.into_inner();
    let chat = chat.chat()?;
    match payments::reverse(&state, &who, client_ip(&req), payment_id, &form.reason).await {
        Ok(()) => Ok(redirect(&back_to(
            format!("/sidebar/customers/{customer_id}/billing"),
            chat.as_ref(),
            Some(("reversed", "1")),
        ))),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let page = billing_page(&state, &who, customer_id, csrf.0, chat).await?;
            Ok(refused(page, &req, &e))
        }
        Err(e) => Err(e),
    }
}

/// 修改 the periods, the ticked receivables and the amount to dun: checked against what is open,
/// then shown with its text. The form lists the open receivables as `receivable` checkboxes and
/// says so with `picked=1`; the periods may be left empty to follow the ticked ones.
pub async fn dunning(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    chat: web::Query<ChatQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    check_form(&req, Some(form_fields::field(&body, "csrf").as_str()))?;
    let customer_id = path.into_inner();
    let mut page = billing_page(&state, &who, customer_id, csrf.0, chat.chat()?).await?;
    let request = (|| -> AppResult<payments::DunningRequest> {
        let period = |name: &str| match form_fields::field(&body, name).trim() {
            "" => Ok(None),
            s => Period::parse(s)
                .map(Some)
                .map_err(|_| AppError::Validation("期间格式应为 YYYY-MM".into())),
        };
        let amount = match form_fields::field(&body, "amount").trim() {
            "" => None,
            a => Some(
                Money::parse(a).map_err(|_| AppError::Validation("催款金额格式不正确".into()))?,
            ),
        };
        let receivable_ids = if form_fields::field(&body, "picked") == "1" {
            Some(
                form_fields::repeated(&body, "receivable")
                    .iter()
                    .map(|v| {
                        v.trim()
                            .parse::<i64>()
                            .map_err(|_| AppError::Validation("所选的应收款不正确".into()))
                    })
                    .collect::<AppResult<Vec<_>>>()?,
            )
        } else {
            None
        };
        Ok(payments::DunningRequest {
            customer_id,
            period_from: period("period_from")?,
            period_to: period("period_to")?,
            receivable_ids,
            amount,
        })
    })();
    let draft = match request {
        Ok(r) => payments::dunning_draft(&state, &who, r).await,
        Err(e) => Err(e),
    };
    match draft {
        Ok(d) => {
            page.dunning = Some(d);
            Ok(respond(
                &req,
                StatusCode::OK,
                || page.render(),
                || page.as_content().render(),
            ))
        }
        Err(e @ AppError::Validation(_)) => Ok(refused(page, &req, &e)),
        Err(e) => Err(e),
    }
}

pub async fn receipt_png(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (customer_id, receipt_id) = path.into_inner();
    let (rec, _, _) = payments::receipt_for(&state, &who, receipt_id).await?;
    if rec.customer_id != customer_id {
        return Err(AppError::NotFound("收据不存在".into()));
    }
    let (filename, png) = payments::receipt_image(&state, &who, receipt_id).await?;
    Ok(download("image/png", &filename, png))
}

#[derive(serde::Serialize)]
struct MediaReply {
    media_id: String,
    filename: String,
}

/// A kept file's WeCom media id (uploaded again only when the last one is about to lapse), for
/// the chat bridge to send.
async fn media_reply(
    state: &AppState,
    firm_id: i64,
    key: &str,
    filename: String,
) -> AppResult<HttpResponse> {
    let media_id = crate::services::media::media_id(state, firm_id, key).await?;
    Ok(HttpResponse::Ok().json(MediaReply { media_id, filename }))
}

/// 发送收据: the receipt image as WeCom temporary media, for the chat bridge to send
/// (`sendChatMessage` with `msgtype: image`). Reuses a media id that is still fresh.
pub async fn receipt_media(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    _csrf: CsrfHeader,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (customer_id, receipt_id) = path.into_inner();
    let (rec, _, _) = payments::receipt_for(&state, &who, receipt_id).await?;
    if rec.customer_id != customer_id {
        return Err(AppError::NotFound("收据不存在".into()));
    }
    let (filename, _) = payments::receipt_image(&state, &who, receipt_id).await?;
    let key = payments::receipt_media_key(&rec);
    media_reply(&state, who.firm_id, &key, filename).await
}

// ---------------------------------------------------------------------------
// 收票
// ---------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/sections/collection.html", blocks = ["content"])]
struct CollectionPage {
    customer_id: i64,
    periods: Vec<collection::PeriodView>,
    kinds: [&'static str; 7],
    current: String,
    csrf: String,
    error: Option<String>,
    notice: Option<String>,
    chat: Option<ChatRef>,
}

async fn collection_page(
    state: &AppState,
    who: &SidebarEmployee,
    customer_id: i64,
    csrf: String,
    chat: Option<ChatRef>,
) -> AppResult<CollectionPage> {
    let current = Period::of_date(today_local(state.now())).prev();
    let periods = collection::overview(state, who, customer_id, current.next()).await?;
    Ok(CollectionPage {
        customer_id,
        periods,
        kinds: collection::DOC_KINDS,
        current: current.to_string(),
        csrf,
        error: None,
        notice: None,
        chat,
    })
}

pub async fn collection_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    chat: web::Query<ChatQuery>,
    saved: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let mut page = collection_page(&state, &who, path.into_inner(), csrf.0, chat.chat()?).await?;
    if saved.saved.is_some() {
        page.notice = Some("收票已保存".into());
    }
    let response = respond(
        &req,
        StatusCode::OK,
        || page.render(),
        || page.as_content().render(),
    );
    Ok(if saved.saved.is_some() {
        refresh_summary(response)
    } else {
        response
    })
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// The text fields of the 新增收票 form: `count_{i}` and `amount_{i}` per kind in
/// [`collection::DOC_KINDS`] order besides the period, note and 保存并标记完成.
fn collection_fields() -> Vec<String> {
    let mut names: Vec<String> = ["csrf", "period", "note", "complete"]
        .into_iter()
        .map(String::from)
        .collect();
    for i in 0..collection::DOC_KINDS.len() {
        names.push(format!("count_{i}"));
        names.push(format!("amount_{i}"));
    }
    names
}

fn parse_collection(
    customer_id: i64,
    pairs: &[(String, String)],
    files: Vec<crate::services::attachments::Upload>,
) -> AppResult<collection::NewCollection> {
    let value = |name: &str| field(pairs, name).map(str::trim).filter(|s| !s.is_empty());
    let mut lines = Vec::new();
    for (i, kind) in collection::DOC_KINDS.iter().enumerate() {
        let count = value(&format!("count_{i}"));
        let amount = value(&format!("amount_{i}"));
        if count.is_none() && amount.is_none() {
            continue;
        }
        let count: i64 = count
            .unwrap_or("0")
            .parse()
            .map_err(|_| AppError::Validation(format!("{kind}的张数应为整数")))?;
        let amount = match amount {
            Some(a) => Money::parse(a)
                .map_err(|_| AppError::Validation(format!("{kind}的金额格式不正确")))?
                .fen(),
            None => 0,
        };
        lines.push(collection::Line {
            doc_type: (*kind).to_string(),
            count,
            amount_fen: amount,
        });
    }
    Ok(collection::NewCollection {
        customer_id,
        period: Period::parse(value("period").unwrap_or(""))
            .map_err(|_| AppError::Validation("期间格式应为 YYYY-MM".into()))?,
        lines,
        note: Some(field(pairs, "note").unwrap_or_default().to_string()),
        complete: value("complete").is_some(),
        files,
    })
}

/// 新增收票: 保存 or 保存并标记完成, with the documents' photos and scans when given (a form with
/// files comes as multipart, one without as urlencoded).
pub async fn collection_record(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    csrf: CsrfToken,
    path: web::Path<i64>,
    chat: web::Query<ChatQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let names = collection_fields();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (pairs, files) = form_with_files(&req, &body, &names);
    crate::web::csrf::check_form(&req, field(&pairs, "csrf"))?;
    let customer_id = path.into_inner();
    let chat = chat.chat()?;
    let result = match parse_collection(customer_id, &pairs, files) {
        Ok(input) => collection::record(&state, &who, client_ip(&req), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(redirect(&back_to(
            format!("/sidebar/customers/{customer_id}/collection"),
            chat.as_ref(),
            Some(("saved", "1")),
        ))),
        Err(e @ AppError::Validation(_)) => {
            let mut page = collection_page(&state, &who, customer_id, csrf.0, chat).await?;
            page.error = Some(e.public_message());
            Ok(respond(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                || page.render(),
                || page.as_content().render(),
            ))
        }
        Err(e) => Err(e),
    }
}

/// Renders and keeps the collection-detail image; returns its key, file name and bytes.
async fn collection_image(
    state: &AppState,
    who: &SidebarEmployee,
    customer_id: i64,
    collection_id: i64,
) -> AppResult<(String, String, Vec<u8>)> {
    crate::services::access::customer(state, who, customer_id).await?;
    let data = collection::detail(state, who, collection_id).await?;
    let image = crate::render::collection::render(&data)?;
    let filename = format!("{}{}收票明细.png", data.customer_name, data.period);
    let key = format!("collection:{collection_id}");
    crate::services::media::store(
        state.db.write(),
        who.firm_id,
        crate::services::media::NewFile {
            ref_key: &key,
            kind: crate::db::entities::media_file::Kind::Image,
            filename: &filename,
            content_type: "image/png",
            bytes: &image.png,
        },
        state.now(),
    )
    .await?;
    Ok((key, filename, image.png))
}

/// 分享: the collection detail as WeCom temporary media for the chat bridge.
pub async fn collection_media(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    _csrf: CsrfHeader,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (customer_id, collection_id) = path.into_inner();
    let (key, filename, _) = collection_image(&state, &who, customer_id, collection_id).await?;
    media_reply(&state, who.firm_id, &key, filename).await
}

pub async fn collection_png(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (customer_id, collection_id) = path.into_inner();
    let (_, filename, png) = collection_image(&state, &who, customer_id, collection_id).await?;
    Ok(download("image/png", &filename, png))
}

// ---------------------------------------------------------------------------
// 报税, 报表, 发票
// ---------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    period: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/sections/filings.html", blocks = ["content"])]
struct FilingsPage {
    customer_id: i64,
    view: filings::FilingsView,
    chat: Option<ChatRef>,
}

pub async fn filings_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    path: web::Path<i64>,
    query: web::Query<PeriodQuery>,
    chat: web::Query<ChatQuery>,
) -> AppResult<HttpResponse> {
    let customer_id = path.into_inner();
    let period = period_param(query.period.as_deref())?;
    let view = filings::view(&state, &who, customer_id, period).await?;
    let page = FilingsPage {
        customer_id,
        view,
        chat: chat.chat()?,
    };
    Ok(respond(
        &req,
        StatusCode::OK,
        || page.render(),
        || page.as_content().render(),
    ))
}

/// Fen as yuan for the statement tables ("" for zero, as printed statements leave it blank).
fn yuan(fen: &i64) -> String {
    if *fen == 0 {
        String::new()
    } else {
        Money::from_fen(*fen).to_string()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/sections/reports.html", blocks = ["content"])]
struct ReportsPage {
    customer_id: i64,
    view: reports::ReportsView,
    chat: Option<ChatRef>,
}

pub async fn reports_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    path: web::Path<i64>,
    query: web::Query<PeriodQuery>,
    chat: web::Query<ChatQuery>,
) -> AppResult<HttpResponse> {
    let customer_id = path.into_inner();
    let period = period_param(query.period.as_deref())?;
    let view = reports::view(&state, &who, customer_id, period).await?;
    let page = ReportsPage {
        customer_id,
        view,
        chat: chat.chat()?,
    };
    Ok(respond(
        &req,
        StatusCode::OK,
        || page.render(),
        || page.as_content().render(),
    ))
}

/// The customer and the period of a report route; the period is required.
fn report_path(path: web::Path<(i64, String)>) -> AppResult<(i64, Period)> {
    let (customer_id, period) = path.into_inner();
    let period =
        period_param(Some(&period))?.ok_or_else(|| AppError::Validation("请选择期间".into()))?;
    Ok((customer_id, period))
}

/// Keeps a generated file under its key and answers its WeCom media id for the chat bridge.
async fn keep_and_reply(
    state: &AppState,
    firm_id: i64,
    file: crate::services::media::NewFile<'_>,
) -> AppResult<HttpResponse> {
    crate::services::media::store(state.db.write(), firm_id, file, state.now()).await?;
    media_reply(state, firm_id, file.ref_key, file.filename.to_string()).await
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn reports_xlsx(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (customer_id, period) = report_path(path)?;
    let (filename, bytes) = reports::workbook(&state, &who, customer_id, period).await?;
    Ok(download(XLSX, &filename, bytes))
}

/// 发送报表: the period's workbook, kept and uploaded as WeCom temporary media (a file) for the
/// chat bridge. Refused, like the download, when the statements do not balance.
pub async fn reports_media(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    _csrf: CsrfHeader,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (customer_id, period) = report_path(path)?;
    let (filename, bytes) = reports::workbook(&state, &who, customer_id, period).await?;
    let key = format!("report:{customer_id}:{period}");
    let file = crate::services::media::NewFile {
        ref_key: &key,
        kind: crate::db::entities::media_file::Kind::File,
        filename: &filename,
        content_type: XLSX,
        bytes: &bytes,
    };
    keep_and_reply(&state, who.firm_id, file).await
}

/// The period's statements as one tall PNG, to download or open.
pub async fn reports_png(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (customer_id, period) = report_path(path)?;
    let (filename, png) = reports::image(&state, &who, customer_id, period).await?;
    Ok(download("image/png", &filename, png))
}

/// 发送报表图片: the period's statements as an image, kept and uploaded as WeCom temporary media
/// for the chat bridge; refused like the workbook when they do not balance.
pub async fn reports_image_media(
    state: web::Data<AppState>,
    who: SidebarEmployee,
    _csrf: CsrfHeader,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let (customer_id, period) = report_path(path)?;
    let (filename, png) = reports::image(&state, &who, customer_id, period).await?;
    let key = format!("report-image:{customer_id}:{period}");
    let file = crate::services::media::NewFile {
        ref_key: &key,
        kind: crate::db::entities::media_file::Kind::Image,
        filename: &filename,
        content_type: "image/png",
        bytes: &png,
    };
    keep_and_reply(&state, who.firm_id, file).await
}

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/sections/invoices.html", blocks = ["content"])]
struct InvoicesPage {
    customer_id: i64,
    view: invoices::InvoicesView,
    chat: Option<ChatRef>,
    /// 开票数据提醒 speaks of this month, so it is offered on this month's page only.
    is_current: bool,
}

impl InvoicesPage {
    fn rate(&self, bp: &i32) -> String {
        if bp % 100 == 0 {
            format!("{}%", bp / 100)
        } else {
            format!("{:.1}%", f64::from(*bp) / 100.0)
        }
    }
    fn void(&self, s: &crate::db::entities::invoice::Status) -> bool {
        *s == crate::db::entities::invoice::Status::Void
    }
    fn red(&self, s: &crate::db::entities::invoice::Status) -> bool {
        *s == crate::db::entities::invoice::Status::Red
    }
}

pub async fn invoices_view(
    state: web::Data<AppState>,
    req: HttpRequest,
    who: SidebarEmployee,
    path: web::Path<i64>,
    query: web::Query<PeriodQuery>,
    chat: web::Query<ChatQuery>,
) -> AppResult<HttpResponse> {
    let customer_id = path.into_inner();
    let this_month = Period::of_date(today_local(state.now()));
    let period = period_param(query.period.as_deref())?.unwrap_or(this_month);
    let view = invoices::view(&state, &who, customer_id, period).await?;
    let page = InvoicesPage {
        customer_id,
        view,
        chat: chat.chat()?,
        is_current: period == this_month,
    };
    Ok(respond(
        &req,
        StatusCode::OK,
        || page.render(),
        || page.as_content().render(),
    ))
}
