//! Who is asking: the signed-in employee behind a sidebar or back-office request, as extractors
//! every handler takes.
//!
//! Without a usable session, a page request is sent to sign-in and comes back to the page; a
//! fragment request (`HX-Request: true`, what the shell sends) or a JSON request gets 401 with a
//! JSON body naming the sign-in URL, never a redirect into HTML it cannot show.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::db::entities::web_session;
use crate::error::AppError;
use crate::services::sessions::{self, CurrentEmployee};
use crate::state::AppState;

/// A signed-in employee in the WeCom sidebar.
#[derive(Clone, Debug)]
pub struct SidebarEmployee(pub CurrentEmployee);

/// A signed-in employee in the back office (admins and staff; pages check role and permission).
#[derive(Clone, Debug)]
pub struct BackOfficeEmployee(pub CurrentEmployee);

impl Deref for SidebarEmployee {
    type Target = CurrentEmployee;
    fn deref(&self) -> &CurrentEmployee {
        &self.0
    }
}

impl Deref for BackOfficeEmployee {
    type Target = CurrentEmployee;
    fn deref(&self) -> &CurrentEmployee {
        &self.0
    }
}

/// Where each kind of session signs in.
pub const SIDEBAR_SIGNIN: &str = "/sidebar/signin";
pub const BACK_OFFICE_SIGNIN: &str = "/admin/login";

impl FromRequest for SidebarEmployee {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            signed_in(&req, web_session::Kind::Sidebar, SIDEBAR_SIGNIN)
                .await
                .map(Self)
        })
    }
}

impl FromRequest for BackOfficeEmployee {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            signed_in(&req, web_session::Kind::Admin, BACK_OFFICE_SIGNIN)
                .await
                .map(Self)
        })
    }
}

/// The session's employee, if the request carries a good session of this kind.
pub async fn current(
    state: &AppState,
    req: &HttpRequest,
    kind: web_session::Kind,
) -> Result<Option<CurrentEmployee>, AppError> {
    let Some(token) = crate::web::cookies::get(state, req, sessions::cookie_name(kind)) else {
        return Ok(None);
    };
    sessions::authenticate(&state.ctx, &token, kind, state.now()).await
}

async fn signed_in(
    req: &HttpRequest,
    kind: web_session::Kind,
    signin_path: &str,
) -> Result<CurrentEmployee, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    match current(state, req, kind).await? {
        Some(employee) => Ok(employee),
        None => Err(signin_required(req, signin_path)),
    }
}

/// The refusal for a request without a session: a redirect for pages, 401 for everything else.
pub fn signin_required(req: &HttpRequest, signin_path: &str) -> AppError {
    let back = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let signin_url = format!("{signin_path}?next={}", encode(back));
    AppError::SignInRequired {
        signin_url,
        page: is_page_request(req),
    }
}

/// A top-level page load: a GET from a browser that wants HTML and is not the shell's fragment
/// loader.
pub fn is_page_request(req: &HttpRequest) -> bool {
    let fragment = req.headers().contains_key("hx-request");
    let wants_html = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    req.method() == actix_web::http::Method::GET && wants_html && !fragment
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_browser_page_load_is_redirected_but_a_fragment_gets_401() {
        let page = TestRequest::get()
            .uri("/sidebar/customers/7/basic?x=1")
            .insert_header((ACCEPT, "text/html,application/xhtml+xml"))
            .to_http_request();
        match signin_required(&page, SIDEBAR_SIGNIN) {
            AppError::SignInRequired { signin_url, page } => {
                assert!(page);
                assert_eq!(
                    signin_url,
                    "/sidebar/signin?next=%2Fsidebar%2Fcustomers%2F7%2Fbasic%3Fx%3D1"
                );
            }
            other => panic!("{other:?}"),
        }
        let fragment = TestRequest::get()
            .uri("/sidebar/customers/7/basic")
            .insert_header((ACCEPT, "text/html"))
            .insert_header(("HX-Request", "true"))
            .to_http_request();
        assert!(!is_page_request(&fragment));
        let json = TestRequest::get()
            .uri("/sidebar/customers/search?q=a")
            .insert_header((ACCEPT, "application/json"))
            .to_http_request();
        assert!(!is_page_request(&json));
        let post = TestRequest::post()
            .uri("/sidebar/links")
            .insert_header((ACCEPT, "text/html"))
            .to_http_request();
        assert!(!is_page_request(&post));
    }
}
