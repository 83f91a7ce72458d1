//! `/sidebar/bind`: a WeCom member not yet bound proves the phone number of an employee record
//! with an SMS code, once. Mistakes are shown on the form, which keeps what was typed.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use super::{client_ip, random_text, redirect, user_agent};
use crate::error::{AppError, AppResult};
use crate::services::{employees, sessions, signin, sms_codes};
use crate::state::AppState;
use crate::web::cookies;

const BIND_COOKIE: &str = "zf_bind";
const BIND_COOKIE_SECONDS: i64 = 1800;

/// A member WeCom has identified who still has to bind an employee.
#[derive(Serialize, Deserialize)]
struct PendingBinding {
    firm_id: i64,
    userid: String,
    csrf: String,
    expires: i64,
}

/// Remembers, in a signed cookie, the member who is about to bind.
pub(super) fn start_binding(
    state: &AppState,
    response: &mut HttpResponse,
    firm_id: i64,
    userid: String,
) -> AppResult<()> {
    let binding = PendingBinding {
        firm_id,
        userid,
        csrf: random_text(32),
        expires: state.now().timestamp() + BIND_COOKIE_SECONDS,
    };
    cookies::set_signed(state, response, BIND_COOKIE, &binding, BIND_COOKIE_SECONDS)
}

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/bind.html")]
struct BindPage<'a> {
    userid: &'a str,
    csrf: &'a str,
    phone: &'a str,
    notice: Option<String>,
    error: Option<String>,
    demo_code: Option<String>,
    /// The demo firm in demo mode: the form links to the sandbox's front desk, which lists the
    /// members' phones and every code sent (a code shown once is stored only as a hash).
    demo_front_desk: bool,
    /// Seconds until another code may be asked for (drives the button's countdown).
    resend_in: i64,
}

impl<'a> BindPage<'a> {
    fn new(binding: &'a PendingBinding, phone: &'a str) -> Self {
        Self {
            userid: &binding.userid,
            csrf: &binding.csrf,
            phone,
            notice: None,
            error: None,
            demo_code: None,
            demo_front_desk: false,
            resend_in: 0,
        }
    }

    async fn in_demo(mut self, state: &AppState, firm_id: i64) -> AppResult<Self> {
        self.demo_front_desk = signin::shows_demo_codes(state, firm_id).await?;
        Ok(self)
    }

    /// The code button's countdown as the sending limits stand for `phone`: after a refusal the
    /// form would otherwise offer a new code at once that the server then refuses.
    async fn with_resend_wait(mut self, state: &AppState, phone: &str) -> Self {
        if let Ok(phone) = employees::normalize_mobile(phone) {
            self.resend_in = sms_codes::resend_wait(&state.db, &phone, state.now())
                .await
                .unwrap_or(0);
        }
        self
    }

    /// The form again, with the refusal on it and 422 as its status.
    fn refused(mut self, req: &HttpRequest, e: &AppError) -> HttpResponse {
        self.error = Some(e.public_message());
        self.customize()
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .respond_to(req)
            .map_into_boxed_body()
    }
}

fn pending_binding(state: &AppState, req: &HttpRequest) -> AppResult<PendingBinding> {
    cookies::get_signed::<PendingBinding>(state, req, BIND_COOKIE)
        .filter(|b| b.expires >= state.now().timestamp())
        .ok_or_else(|| AppError::BadRequest("绑定已超时，请关闭后重新打开侧边栏".into()))
}

/// `GET /sidebar/bind`: the one-time binding form.
pub async fn form(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    Ok(BindPage::new(&binding, "")
        .in_demo(&state, binding.firm_id)
        .await?
        .respond_to(&req)
        .map_into_boxed_body())
}

#[derive(Deserialize)]
pub struct BindForm {
    phone: String,
    #[serde(default)]
    code: String,
    csrf: String,
}

fn check_csrf(binding: &PendingBinding, form: &BindForm) -> AppResult<()> {
    let same = subtle::ConstantTimeEq::ct_eq(binding.csrf.as_bytes(), form.csrf.as_bytes());
    if bool::from(same) {
        Ok(())
    } else {
        Err(AppError::Forbidden("页面已过期，请刷新后重试".into()))
    }
}

/// A refusal the person can fix on the same form, rather than an error page.
fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::Conflict(_)
            | AppError::TooManyRequests(_)
            | AppError::Forbidden(_)
            | AppError::Unavailable(_)
    )
}

/// `POST /sidebar/bind/code`: send the SMS code.
pub async fn send_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<BindForm>,
) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    check_csrf(&binding, &form)?;
    let ip = client_ip(&req);
    let result = signin::send_binding_code(
        &state,
        binding.firm_id,
        &binding.userid,
        &form.phone,
        ip.as_deref(),
    )
    .await;
    let mut page = BindPage::new(&binding, &form.phone)
        .in_demo(&state, binding.firm_id)
        .await?;
    match result {
        Ok(sent) => {
            page.notice = Some(format!(
                "如该手机号是管理员为您登记的号码，验证码已发送至 {}，5分钟内有效",
                crate::sms::mask_phone(&sent.phone)
            ));
            page.demo_code = sent.shown_code;
            page.resend_in = crate::services::sms_codes::RESEND_AFTER_SECONDS;
            Ok(page.respond_to(&req).map_into_boxed_body())
        }
        Err(e) if is_form_error(&e) => Ok(page
            .with_resend_wait(&state, &form.phone)
            .await
            .refused(&req, &e)),
        Err(e) => Err(e),
    }
}

/// `POST /sidebar/bind`: check the code, bind, sign in.
pub async fn bind(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<BindForm>,
) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    check_csrf(&binding, &form)?;
    let result = signin::complete_binding(
        &state,
        binding.firm_id,
        &binding.userid,
        &form.phone,
        &form.code,
        client_ip(&req),
        user_agent(&req),
    )
    .await;
    match result {
        Ok(token) => {
            let mut response = redirect("/sidebar");
            cookies::set(
                &state,
                &mut response,
                sessions::COOKIE,
                token,
                sessions::IDLE_LIFETIME.num_seconds(),
            )?;
            cookies::clear(&state, &mut response, BIND_COOKIE)?;
            Ok(response)
        }
        Err(e) if is_form_error(&e) => Ok(BindPage::new(&binding, &form.phone)
            .in_demo(&state, binding.firm_id)
            .await?
            .with_resend_wait(&state, &form.phone)
            .await
            .refused(&req, &e)),
        Err(e) => Err(e),
    }
}
