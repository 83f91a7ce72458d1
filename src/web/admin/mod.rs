//! The back office under `/admin`: one layout, server-rendered pages for admins (and for staff,
//! who see their own contacts, groups and customers).

pub mod api_keys;
pub mod audit;
pub mod calendar;
pub mod common;
pub mod employees;
pub mod home;
pub mod import;
pub mod kb;
pub mod login;
pub mod send_log;
pub mod templates;
pub mod wecom;
pub mod wecom_links;
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
        .route("/login/wecom", web::get().to(login::wecom_begin))
        .route(
            "/login/wecom/callback",
            web::get().to(login::wecom_callback),
        )
        .route("/templates", web::get().to(templates::list))
        .route("/templates/{scene}", web::post().to(templates::save))
        .route(
            "/templates/{scene}/preview",
            web::post().to(templates::preview),
        )
        .route("/receipt-seal", web::post().to(templates::seal_upload))
        .route(
            "/receipt-seal/remove",
            web::post().to(templates::seal_remove),
        )
        .route("/receipt-seal.png", web::get().to(templates::seal_png))
        .route("/employees", web::get().to(employees::list))
        .route("/employees", web::post().to(employees::create))
        .route("/employees/{id}", web::get().to(employees::show))
        .route("/employees/{id}", web::post().to(employees::update))
        .route(
            "/employees/{id}/status",
            web::post().to(employees::set_status),
        )
        .route("/employees/{id}/remove", web::post().to(employees::remove))
        .route(
            "/employees/{id}/hand-over",
            web::post().to(employees::hand_over),
        )
        .route("/employees/{id}/bind", web::post().to(employees::bind))
        .route("/employees/{id}/unbind", web::post().to(employees::unbind))
        .route("/kb", web::get().to(kb::list))
        .route("/kb/categories", web::get().to(kb::categories))
        .route("/kb/categories", web::post().to(kb::add_category))
        .route("/kb/categories/{id}", web::post().to(kb::rename_category))
        .route(
            "/kb/categories/{id}/move",
            web::post().to(kb::move_category),
        )
        .route(
            "/kb/categories/{id}/delete",
            web::post().to(kb::delete_category),
        )
        .route("/kb/articles", web::post().to(kb::create_article))
        .route("/kb/articles/{id}", web::get().to(kb::article))
        .route("/kb/articles/{id}", web::post().to(kb::update_article))
        .route(
            "/kb/articles/{id}/delete",
            web::post().to(kb::delete_article),
        )
        .route("/kb/articles/{id}/audit", web::post().to(kb::audit_article))
        .route("/kb/bulk", web::post().to(kb::bulk))
        .route("/kb/template.xlsx", web::get().to(kb::template))
        .route("/kb/export.xlsx", web::get().to(kb::export))
        .route("/kb/import", web::get().to(kb::import_form))
        .route("/kb/import", web::post().to(kb::import))
        .route("/audit", web::get().to(audit::show))
        .route("/sends", web::get().to(send_log::show))
        .route("/wecom", web::get().to(wecom::show))
        .route("/wecom/corp", web::post().to(wecom::save_corp))
        .route("/wecom/app", web::post().to(wecom::save_app))
        .route("/wecom/test", web::post().to(wecom::test))
        .route("/wecom/verify", web::post().to(wecom::upload_verify))
        .route("/calendar", web::get().to(calendar::show))
        .route("/calendar/deadline", web::post().to(calendar::set_deadline))
        .route("/calendar/day", web::post().to(calendar::set_day))
        .route("/wecom/sync", web::get().to(wecom_sync::show))
        .route("/wecom/sync", web::post().to(wecom_sync::start))
        .route(
            "/wecom/events/{id}/retry",
            web::post().to(wecom_sync::retry),
        )
        .route("/api-keys", web::get().to(api_keys::list))
        .route("/api-keys", web::post().to(api_keys::create))
        .route("/api-keys/{id}/revoke", web::post().to(api_keys::revoke));
    cfg.route("/wecom/contacts", web::get().to(wecom_links::contacts))
        .route("/wecom/contacts/{id}", web::get().to(wecom_links::contact))
        .route(
            "/wecom/contacts/{id}/link",
            web::post().to(wecom_links::link_contact),
        )
        .route(
            "/wecom/contacts/{id}/unlink",
            web::post().to(wecom_links::unlink_contact),
        )
        .route("/wecom/groups", web::get().to(wecom_links::groups))
        .route("/wecom/groups/{id}", web::get().to(wecom_links::group))
        .route(
            "/wecom/groups/{id}/link",
            web::post().to(wecom_links::link_group),
        )
        .route(
            "/wecom/groups/{id}/unlink",
            web::post().to(wecom_links::unlink_group),
        )
        .route("/customers/links", web::get().to(wecom_links::customers))
        .route("/customers/assign", web::post().to(wecom_links::assign))
        .route("/wecom/members", web::get().to(wecom_links::members))
        .route("/wecom/members/bind", web::post().to(wecom_links::bind))
        .route("/wecom/members/unbind", web::post().to(wecom_links::unbind));
    cfg.route("/import", web::get().to(import::form))
        .route("/import", web::post().to(import::upload))
        .route("/import/templates/{kind}", web::get().to(import::template))
        .route("/import/runs/{id}", web::get().to(import::show_run))
        .route("/import/runs/{id}/confirm", web::post().to(import::confirm));
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
        href: "/admin/employees",
        label: "员工与权限",
        admin_only: true,
    },
    NavItem {
        href: "/admin/kb",
        label: "知识库",
        admin_only: false,
    },
    NavItem {
        href: "/admin/sends",
        label: "沟通记录",
        admin_only: false,
    },
    NavItem {
        href: "/admin/audit",
        label: "操作日志",
        admin_only: true,
    },
    NavItem {
        href: "/admin/wecom",
        label: "企业微信设置",
        admin_only: true,
    },
    NavItem {
        href: "/admin/calendar",
        label: "征期日历",
        admin_only: true,
    },
    NavItem {
        href: "/admin/templates",
        label: "消息模板",
        admin_only: true,
    },
    NavItem {
        href: "/admin/wecom/sync",
        label: "企业微信同步",
        admin_only: true,
    },
    NavItem {
        href: "/admin/wecom/contacts",
        label: "我的微信联系人",
        admin_only: false,
    },
    NavItem {
        href: "/admin/wecom/groups",
        label: "我的微信群",
        admin_only: false,
    },
    NavItem {
        href: "/admin/customers/links",
        label: "已关联客户",
        admin_only: false,
    },
    NavItem {
        href: "/admin/wecom/members",
        label: "匹配员工",
        admin_only: true,
    },
    NavItem {
        href: "/admin/api-keys",
        label: "API 密钥",
        admin_only: true,
    },
    NavItem {
        href: "/admin/import",
        label: "导入数据",
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
