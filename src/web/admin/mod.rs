//! The back office under `/admin`: one layout, server-rendered pages for admins (and for staff,
//! who see their own contacts, groups and customers).

pub mod home;
pub mod login;
pub mod wecom_sync;

use actix_web::web;

use crate::services::sessions::CurrentEmployee;
use crate::web::labels::Label;

/// The back office's URL map, mounted under `/admin`: each page module adds its own routes here.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home::show))
        .route("/login", web::get().to(login::form))
        .route("/login", web::post().to(login::submit))
        .route("/logout", web::post().to(login::logout))
        .route("/wecom/sync", web::get().to(wecom_sync::show))
        .route("/wecom/sync", web::post().to(wecom_sync::start))
        .route(
            "/wecom/events/{id}/retry",
            web::post().to(wecom_sync::retry),
        );
}

/// One entry of the back office's navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// Shown to admins only.
    pub admin_only: bool,
}

/// Every back-office page, in the order the navigation lists them.
pub const NAV: &[NavItem] = &[
    NavItem {
        href: "/admin",
        label: "首页",
        admin_only: false,
    },
    NavItem {
        href: "/admin/wecom/sync",
        label: "企业微信同步",
        admin_only: true,
    },
];

/// What the back-office layout needs on every page: who is signed in, where they are, and the
/// CSRF token for the sign-out form.
pub struct Chrome {
    pub me: CurrentEmployee,
    pub current: &'static str,
    pub csrf: String,
}

impl Chrome {
    pub fn new(me: &CurrentEmployee, current: &'static str, csrf: String) -> Self {
        Self {
            me: me.clone(),
            current,
            csrf,
        }
    }

    pub fn nav(&self) -> impl Iterator<Item = &'static NavItem> + '_ {
        NAV.iter()
            .filter(|item| !item.admin_only || self.me.is_admin())
    }

    pub fn role(&self) -> &'static str {
        self.me.role.label()
    }
}
