//! `/admin/employees`: employees, roles, permissions, data scope and WeCom binding.

use reqwest::header::LOCATION;
use zhangfang::db::entities::employee::Role;
use zhangfang::db::entities::web_session::Kind;

use crate::helpers::{Browser, NewEmployee, TestApp, TestFirm, spawn_app};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

pub struct Office {
    pub firm: TestFirm,
    pub super_id: i64,
    pub admin_id: i64,
    pub staff_id: i64,
}

/// A firm with a super admin (`boss`), an admin (`admin`) and a staff member (`staff`).
pub async fn office(app: &TestApp, corp: &str) -> Office {
    let firm = app.add_firm(corp, "Token", KEY).await;
    let super_id = app
        .add_employee(
            firm.firm_id,
            NewEmployee {
                name: "老板",
                mobile: Some("13700000001"),
                userid: Some(&format!("{corp}-boss")),
                role: Role::SuperAdmin,
                ..NewEmployee::default()
            },
        )
        .await;
    let admin_id = app
        .add_employee(
            firm.firm_id,
            NewEmployee {
                name: "管理员",
                mobile: Some("13700000002"),
                userid: Some(&format!("{corp}-admin")),
                role: Role::Admin,
                ..NewEmployee::default()
            },
        )
        .await;
    let staff_id = app
        .add_employee(
            firm.firm_id,
            NewEmployee {
                name: "小王",
                mobile: Some("13700000003"),
                userid: Some(&format!("{corp}-staff")),
                role: Role::Staff,
                permissions: &["basic"],
            },
        )
        .await;
    Office {
        firm,
        super_id,
        admin_id,
        staff_id,
    }
}

pub async fn post(b: &Browser, page: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token(page).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

#[tokio::test]
async fn employees_page_asks_for_sign_in_and_refuses_staff() {
    let app = spawn_app().await;
    let o = office(&app, "wwemp1").await;
    let visitor = Browser::new(&app.address, "zf_nothing=1");
    let resp = visitor.get("/admin/employees").await;
    assert!(resp.status().is_redirection());
    let to = resp.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/admin/login?next=%2Fadmin%2Femployees"),
        "{to}"
    );

    let staff = app.signed_in_back_office("wwemp1-staff").await;
    let refused = staff.get("/admin/employees").await;
    assert_eq!(refused.status(), 403);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("没有权限") && page.contains("<a href=\"/admin\">返回管理后台</a>"),
        "a signed-in staff member is led back into the back office, not to the server's page: {page}"
    );
    assert_eq!(
        staff
            .get(&format!("/admin/employees/{}", o.admin_id))
            .await
            .status(),
        403
    );
    let resp = post(
        &staff,
        "/admin",
        &format!("/admin/employees/{}", o.staff_id),
        &[
            ("name", "小王"),
            ("mobile", "13700000003"),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND role = 'staff'",
            o.staff_id
        ))
        .await,
        1
    );
    // A sidebar session does not open the back office.
    let sidebar = app.signed_in("wwemp1-admin").await;
    assert_ne!(sidebar.get("/admin/employees").await.status(), 200);
}

#[tokio::test]
async fn an_admin_adds_an_employee_with_rights_and_it_is_audited() {
    let app = spawn_app().await;
    let o = office(&app, "wwemp2").await;
    let admin = app.signed_in_back_office("wwemp2-admin").await;
    let page = admin.get("/admin/employees").await.text().await.unwrap();
    assert!(page.contains("小王") && page.contains("管理员"));
    assert!(
        !page.contains("value=\"super_admin\""),
        "an admin cannot make super admins"
    );
    let resp = post(
        &admin,
        "/admin/employees",
        "/admin/employees",
        &[
            ("name", "李会计"),
            ("mobile", "138 0000 0009"),
            ("role", "staff"),
            ("data_scope", "all"),
            ("perm_billing", "on"),
            ("perm_billing_confirm", "on"),
            ("perm_kb_manage", "on"),
            ("password", "long-enough-1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let id = app
        .count("SELECT id FROM employee WHERE mobile = '13800000009'")
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {id} AND firm_id = {} AND data_scope = 'all' AND password_hash IS NOT NULL",
            o.firm.firm_id
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee_permission WHERE employee_id = {id}"
        ))
        .await,
        3
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'employee.create' AND entity_id = '{id}'"
        ))
        .await,
        1
    );
    let edit = admin
        .get(&format!("/admin/employees/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("name=\"perm_billing_confirm\" checked"));
    assert!(!edit.contains("name=\"perm_invoice\" checked"));

    // The same phone twice is refused.
    let resp = post(
        &admin,
        "/admin/employees",
        "/admin/employees",
        &[
            ("name", "重复"),
            ("mobile", "13800000009"),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 409);
    // An admin cannot create a super admin.
    let resp = post(
        &admin,
        "/admin/employees",
        "/admin/employees",
        &[
            ("name", "新老板"),
            ("mobile", "13800000010"),
            ("role", "super_admin"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 403);
    // Without the CSRF token nothing is written.
    let resp = admin
        .post_form(
            "/admin/employees",
            &[
                ("name", "无令牌"),
                ("mobile", "13800000011"),
                ("role", "staff"),
            ],
        )
        .await;
    assert!(resp.status().is_client_error());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employee WHERE mobile = '13800000011'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_permission_change_applies_at_once_here_and_within_the_session_ttl_on_every_instance() {
    let app = spawn_app().await;
    let o = office(&app, "wwemp3").await;
    let other = app.another_instance().await;
    let admin = app.signed_in_back_office("wwemp3-admin").await;
    let sidebar = app.signed_in("wwemp3-staff").await;
    let token = sidebar.cookie.split_once('=').unwrap().1.to_string();
    let staff_office = app.signed_in_back_office("wwemp3-staff").await;
    let session_on = |instance: &TestApp| {
        let (ctx, token, now) = (instance.state.ctx.clone(), token.clone(), app.clock_now());
        async move {
            zhangfang::services::sessions::authenticate(&ctx, &token, Kind::Sidebar, now)
                .await
                .unwrap()
                .expect("session")
        }
    };
    let session = || session_on(&other);
    // The other instance trusts what it read for a few seconds; the admin's instance forgets
    // at once what the admin changed.
    let ttl = || {
        app.clock
            .advance(zhangfang::services::session_cache::TTL + chrono::Duration::seconds(1))
    };
    use zhangfang::domain::permissions::Permission;
    assert!(!session().await.can(Permission::Billing));
    let home = Browser::new(&other.address, &staff_office.cookie);
    assert!(
        !home
            .get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("收款")
    );

    let edit = format!("/admin/employees/{}", o.staff_id);
    let resp = post(
        &admin,
        &edit,
        &edit,
        &[
            ("name", "小王"),
            ("mobile", "13700000003"),
            ("role", "staff"),
            ("data_scope", "own"),
            ("perm_basic", "on"),
            ("perm_billing", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert!(session_on(&app).await.can(Permission::Billing));
    assert!(!session().await.can(Permission::Billing));
    ttl();
    let now = session().await;
    assert!(now.can(Permission::Billing) && now.can(Permission::Basic));
    assert!(!now.can(Permission::BillingConfirm));
    assert!(
        home.get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("收款")
    );

    let resp = post(
        &admin,
        &edit,
        &edit,
        &[
            ("name", "小王"),
            ("mobile", "13700000003"),
            ("role", "staff"),
            ("data_scope", "all"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert!(!session_on(&app).await.can(Permission::Billing));
    ttl();
    let now = session().await;
    assert!(!now.can(Permission::Billing) && !now.can(Permission::Basic));
    assert!(now.sees_all_customers());
    assert!(
        !home
            .get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("收款")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'employee.update' AND entity_id = '{}'",
            o.staff_id
        ))
        .await,
        2
    );
}

#[tokio::test]
async fn another_firm_cannot_read_or_change_an_employee_by_id() {
    let app = spawn_app().await;
    let mine = office(&app, "wwemp4a").await;
    office(&app, "wwemp4b").await;
    let stranger = app.signed_in_back_office("wwemp4b-boss").await;
    let path = format!("/admin/employees/{}", mine.staff_id);
    assert_eq!(stranger.get(&path).await.status(), 404);
    for (suffix, form) in [
        (
            "",
            vec![
                ("name", "改名"),
                ("mobile", "13700000003"),
                ("role", "admin"),
            ],
        ),
        ("/status", vec![("active", "0")]),
        ("/remove", vec![]),
        ("/unbind", vec![]),
        ("/bind", vec![("userid", "intruder")]),
    ] {
        let resp = post(&stranger, "/admin", &format!("{path}{suffix}"), &form).await;
        assert_eq!(resp.status(), 404, "{suffix}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND name = '小王' AND status = 'active' \
             AND deleted_at IS NULL AND wecom_userid = 'wwemp4a-staff'",
            mine.staff_id
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn the_last_super_admin_cannot_be_removed_disabled_or_demoted() {
    let app = spawn_app().await;
    let o = office(&app, "wwemp5").await;
    let boss = app.signed_in_back_office("wwemp5-boss").await;
    let admin = app.signed_in_back_office("wwemp5-admin").await;
    let boss_page = format!("/admin/employees/{}", o.super_id);
    // An admin may not touch the super admin at all.
    let resp = post(&admin, &boss_page, &format!("{boss_page}/remove"), &[]).await;
    assert_eq!(resp.status(), 403);
    // The super admin cannot remove or demote themself, the only one.
    let resp = post(&boss, &boss_page, &format!("{boss_page}/remove"), &[]).await;
    assert_eq!(resp.status(), 409);
    let resp = post(
        &boss,
        &boss_page,
        &boss_page,
        &[
            ("name", "老板"),
            ("mobile", "13700000001"),
            ("role", "admin"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("唯一的超级管理员"));
    // With a second super admin, the first can be removed by the second.
    let admin_page = format!("/admin/employees/{}", o.admin_id);
    let resp = post(
        &boss,
        &admin_page,
        &admin_page,
        &[
            ("name", "管理员"),
            ("mobile", "13700000002"),
            ("role", "super_admin"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let second = app.signed_in_back_office("wwemp5-admin").await;
    let resp = post(&second, &boss_page, &format!("{boss_page}/remove"), &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND deleted_at IS NOT NULL",
            o.super_id
        ))
        .await,
        1
    );
    // The removed super admin's session is over.
    assert_ne!(boss.get("/admin").await.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'employee.remove'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_admin_binds_and_unbinds_a_member_and_disables_an_employee() {
    let app = spawn_app().await;
    let o = office(&app, "wwemp6").await;
    let admin = app.signed_in_back_office("wwemp6-admin").await;
    let staff_sidebar = app.signed_in("wwemp6-staff").await;
    let page = format!("/admin/employees/{}", o.staff_id);
    let resp = post(&admin, &page, &format!("{page}/unbind"), &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND wecom_userid IS NULL",
            o.staff_id
        ))
        .await,
        1
    );
    // Unbinding ends the member's sidebar session.
    assert!(
        staff_sidebar
            .get("/sidebar")
            .await
            .status()
            .is_redirection()
    );
    let resp = post(
        &admin,
        &page,
        &format!("{page}/bind"),
        &[("userid", "wwemp6-admin")],
    )
    .await;
    assert_eq!(resp.status(), 409, "a member binds one employee only");
    let resp = post(
        &admin,
        &page,
        &format!("{page}/bind"),
        &[("userid", "new-member")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM employee WHERE id = {} AND wecom_userid = 'new-member'",
            o.staff_id
        ))
        .await,
        1
    );
    let resp = post(&admin, &page, &format!("{page}/status"), &[("active", "0")]).await;
    assert_eq!(resp.status(), 303);
    let resp = post(
        &admin,
        &format!("/admin/employees/{}", o.admin_id),
        &format!("/admin/employees/{}/status", o.admin_id),
        &[("active", "0")],
    )
    .await;
    assert_eq!(resp.status(), 409, "nobody disables themself");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('employee.bind', 'employee.unbind', 'employee.disable')"
        )
        .await,
        3
    );
}
