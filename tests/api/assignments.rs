//! Who serves a customer: admins assign 客户经理, 主办会计 and the other duties from the customer
//! list (ticked rows or the whole filtered list), hand one employee's customers to another before
//! they leave, and the REST API and the spreadsheet import name the two main duties. What staff
//! with their own data scope see follows the assignment.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::json;

use crate::admin_employees::{Office, office, post};
use crate::helpers::{Browser, TestApp, spawn_app};

const LIST: &str = "/admin/customers/links?linked=all";

async fn staff_rows(app: &TestApp, firm_id: i64, employee_id: i64) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM customer_staff WHERE firm_id = {firm_id} AND employee_id = {employee_id}"
    ))
    .await
}

async fn manager_of(app: &TestApp, customer_id: i64) -> i64 {
    app.count(&format!(
        "SELECT COALESCE(account_manager_id, 0) FROM customer WHERE id = {customer_id}"
    ))
    .await
}

async fn bookkeeper_of(app: &TestApp, customer_id: i64) -> i64 {
    app.count(&format!(
        "SELECT COALESCE(bookkeeper_id, 0) FROM customer WHERE id = {customer_id}"
    ))
    .await
}

async fn assign(b: &Browser, form: &[(&str, &str)]) -> reqwest::Response {
    post(b, LIST, "/admin/customers/assign", form).await
}

/// The customers a staff member's back office lists.
async fn listed(b: &Browser) -> String {
    let resp = b.get(LIST).await;
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

struct Firm {
    o: Office,
    jia: i64,
    yi: i64,
    bing: i64,
}

async fn firm(app: &TestApp, corp: &str) -> Firm {
    let o = office(app, corp).await;
    let jia = app.add_customer(o.firm.firm_id, "甲公司").await;
    let yi = app.add_customer(o.firm.firm_id, "乙公司").await;
    let bing = app.add_customer(o.firm.firm_id, "丙公司").await;
    Firm { o, jia, yi, bing }
}

#[tokio::test]
async fn an_admin_assigns_ticked_customers_and_the_staff_member_then_sees_them() {
    let app = spawn_app().await;
    let f = firm(&app, "wwassign1").await;
    let admin = app.signed_in_back_office("wwassign1-admin").await;
    let staff = app.signed_in_back_office("wwassign1-staff").await;
    assert!(!listed(&staff).await.contains("甲公司"));

    let page = listed(&admin).await;
    assert!(page.contains("id=\"assign\""), "{page}");
    assert!(page.contains("未分配"));
    let (jia, yi, staff_id) = (
        f.jia.to_string(),
        f.yi.to_string(),
        f.o.staff_id.to_string(),
    );
    let resp = assign(
        &admin,
        &[
            ("customer", &jia),
            ("customer", &yi),
            ("duty", "account_manager"),
            ("employee", &staff_id),
            ("scope", "selected"),
            ("linked", "all"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        back.starts_with("/admin/customers/links?linked=all&"),
        "{back}"
    );
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(page.contains("已更新 2 家客户的客户经理"), "{page}");
    assert_eq!(manager_of(&app, f.jia).await, f.o.staff_id);
    assert_eq!(manager_of(&app, f.yi).await, f.o.staff_id);
    assert_eq!(manager_of(&app, f.bing).await, 0);
    assert_eq!(staff_rows(&app, f.o.firm.firm_id, f.o.staff_id).await, 2);

    let seen = listed(&staff).await;
    assert!(seen.contains("甲公司") && seen.contains("乙公司"), "{seen}");
    assert!(!seen.contains("丙公司"));
    assert!(!seen.contains("id=\"assign\""), "staff get no assign form");

    // The same again changes nothing; 取消分配 takes 甲 away from the staff member.
    let resp = assign(
        &admin,
        &[
            ("customer", &jia),
            ("duty", "account_manager"),
            ("employee", &staff_id),
        ],
    )
    .await;
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("assigned=0")
    );
    let resp = assign(
        &admin,
        &[
            ("customer", &jia),
            ("duty", "account_manager"),
            ("employee", ""),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(manager_of(&app, f.jia).await, 0);
    assert_eq!(staff_rows(&app, f.o.firm.firm_id, f.o.staff_id).await, 1);
    assert!(!listed(&staff).await.contains("甲公司"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.assign'")
            .await,
        3
    );

    // Nothing ticked: a Chinese message, nothing changed.
    let resp = assign(
        &admin,
        &[("duty", "account_manager"), ("employee", &staff_id)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("请先勾选要分配的客户"));
}

#[tokio::test]
async fn the_whole_filtered_list_is_assigned_at_once() {
    let app = spawn_app().await;
    let f = firm(&app, "wwassign2").await;
    let admin = app.signed_in_back_office("wwassign2-admin").await;
    let admin_id = f.o.admin_id.to_string();
    // 甲 already has a 客户经理: the filter 未分配 leaves it out.
    assign(
        &admin,
        &[
            ("customer", &f.jia.to_string()),
            ("duty", "account_manager"),
            ("employee", &admin_id),
        ],
    )
    .await;
    let page = admin
        .get("/admin/customers/links?linked=all&manager=none")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("共 2 家客户"), "{page}");
    let staff_id = f.o.staff_id.to_string();
    let resp = assign(
        &admin,
        &[
            ("manager", "none"),
            ("linked", "all"),
            ("scope", "all"),
            ("duty", "bookkeeper"),
            ("employee", &staff_id),
            // A ticked row outside the filter does not count when the whole list is chosen.
            ("customer", &f.jia.to_string()),
        ],
    )
    .await;
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        back.contains("manager=none") && back.contains("assigned=2"),
        "{back}"
    );
    assert_eq!(bookkeeper_of(&app, f.yi).await, f.o.staff_id);
    assert_eq!(bookkeeper_of(&app, f.bing).await, f.o.staff_id);
    assert_eq!(bookkeeper_of(&app, f.jia).await, 0);
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(page.contains("已更新 2 家客户的主办会计"), "{page}");
    assert!(
        page.contains("<td class=\"nowrap\">小王</td>"),
        "the 主办会计 column"
    );
}

#[tokio::test]
async fn staff_cannot_assign_and_another_firms_ids_are_not_found() {
    let app = spawn_app().await;
    let a = firm(&app, "wwassign3a").await;
    let b = firm(&app, "wwassign3b").await;
    let admin = app.signed_in_back_office("wwassign3a-admin").await;
    let staff = app.signed_in_back_office("wwassign3a-staff").await;
    let staff_id = a.o.staff_id.to_string();

    let resp = assign(
        &staff,
        &[
            ("customer", &a.jia.to_string()),
            ("duty", "account_manager"),
            ("employee", &staff_id),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Another firm's customer, alone or among the firm's own: nothing changes.
    let resp = assign(
        &admin,
        &[
            ("customer", &a.jia.to_string()),
            ("customer", &b.jia.to_string()),
            ("duty", "account_manager"),
            ("employee", &staff_id),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Another firm's employee as the holder.
    let resp = assign(
        &admin,
        &[
            ("customer", &a.jia.to_string()),
            ("duty", "account_manager"),
            ("employee", &b.o.staff_id.to_string()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Another firm's employee handed over, or handed to.
    let resp = post(
        &admin,
        &format!("/admin/employees/{}", a.o.staff_id),
        &format!("/admin/employees/{}/hand-over", b.o.staff_id),
        &[("to", &a.o.admin_id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = post(
        &admin,
        &format!("/admin/employees/{}", a.o.staff_id),
        &format!("/admin/employees/{}/hand-over", a.o.staff_id),
        &[("to", &b.o.admin_id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A disabled employee takes no customers.
    app.execute(
        "UPDATE employee SET status = 'disabled' WHERE id = ?",
        vec![a.o.super_id.into()],
    )
    .await;
    let resp = assign(
        &admin,
        &[
            ("customer", &a.jia.to_string()),
            ("duty", "account_manager"),
            ("employee", &a.o.super_id.to_string()),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("已停用"));
    // Without a CSRF token.
    let resp = staff
        .post_form(
            "/admin/customers/assign",
            &[
                ("customer", &a.jia.to_string()),
                ("duty", "account_manager"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer_staff").await,
        0,
        "no assignment was written"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM customer WHERE account_manager_id IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn a_leaving_employee_hands_every_duty_over_and_can_then_be_removed() {
    let app = spawn_app().await;
    let f = firm(&app, "wwassign4").await;
    let firm_id = f.o.firm.firm_id;
    let admin = app.signed_in_back_office("wwassign4-admin").await;
    let staff_id = f.o.staff_id.to_string();
    for (customer, duty) in [(f.jia, "account_manager"), (f.yi, "bookkeeper")] {
        assign(
            &admin,
            &[
                ("customer", &customer.to_string()),
                ("duty", duty),
                ("employee", &staff_id),
            ],
        )
        .await;
    }
    // Both the staff member and the admin are 外勤 of 丙 already.
    for who in [f.o.staff_id, f.o.admin_id] {
        app.execute(
            "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) \
             VALUES (?, ?, ?, 'field_agent', ?)",
            vec![
                firm_id.into(),
                f.bing.into(),
                who.into(),
                app.clock_now().into(),
            ],
        )
        .await;
    }
    let page_path = format!("/admin/employees/{}", f.o.staff_id);
    let page = admin.get(&page_path).await.text().await.unwrap();
    assert!(page.contains("负责 <strong>3</strong> 家客户"), "{page}");
    assert!(
        page.contains("客户经理 1 家，主办会计 1 家，外勤 1 家"),
        "{page}"
    );
    assert!(page.contains(&format!(
        "manager={}\">查看作为客户经理的客户",
        f.o.staff_id
    )));

    let resp = post(&admin, &page_path, &format!("{page_path}/remove"), &[]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        resp.text().await.unwrap().contains("仍负责 3 家客户"),
        "removal waits for the handover"
    );

    let resp = post(
        &admin,
        &page_path,
        &format!("{page_path}/hand-over"),
        &[("to", &f.o.admin_id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(back, format!("{page_path}?handed=3"));
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(page.contains("已交接 3 家客户"), "{page}");
    assert!(page.contains("没有负责的客户"));
    assert_eq!(manager_of(&app, f.jia).await, f.o.admin_id);
    assert_eq!(bookkeeper_of(&app, f.yi).await, f.o.admin_id);
    assert_eq!(staff_rows(&app, firm_id, f.o.staff_id).await, 0);
    assert_eq!(staff_rows(&app, firm_id, f.o.admin_id).await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'employee.hand_over'")
            .await,
        1
    );

    // To oneself: refused.
    let admin_page = format!("/admin/employees/{}", f.o.admin_id);
    let resp = post(
        &admin,
        &admin_page,
        &format!("{admin_page}/hand-over"),
        &[("to", &f.o.admin_id.to_string())],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let resp = post(&admin, &page_path, &format!("{page_path}/remove"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_api_and_the_import_name_the_account_manager_and_bookkeeper() {
    let app = spawn_app().await;
    let f = firm(&app, "wwassign5").await;
    let firm_id = f.o.firm.firm_id;
    let key = crate::rest_api::key_for(&app, firm_id, "customers:write").await;

    // By mobile number and by name.
    let (status, body) = crate::rest_api::post(
        &app,
        &key,
        "/api/v1/customers",
        json!({ "external_id": "KH1", "name": "丁公司", "account_manager": "13700000003", "bookkeeper": "管理员" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["account_manager_id"], f.o.staff_id);
    assert_eq!(body["bookkeeper_id"], f.o.admin_id);
    assert_eq!(staff_rows(&app, firm_id, f.o.staff_id).await, 1);
    assert_eq!(staff_rows(&app, firm_id, f.o.admin_id).await, 1);

    // Left out: kept. An empty text: removed.
    let (status, body) = crate::rest_api::post(
        &app,
        &key,
        "/api/v1/customers",
        json!({ "external_id": "KH1", "name": "丁公司", "bookkeeper": "" }),
    )
    .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(body["account_manager_id"], f.o.staff_id);
    assert_eq!(body["bookkeeper_id"], serde_json::Value::Null);
    assert_eq!(staff_rows(&app, firm_id, f.o.admin_id).await, 0);

    // Nobody by that name, or another firm's employee's mobile number.
    let other = office(&app, "wwassign5b").await;
    for who in ["王五", "13700000003 ", "13700000009"] {
        let (status, body) = crate::rest_api::post(
            &app,
            &key,
            "/api/v1/customers",
            json!({ "external_id": "KH2", "name": "戊公司", "account_manager": who }),
        )
        .await;
        if who.trim() == "13700000003" {
            assert_eq!(
                status,
                StatusCode::CREATED,
                "a trimmed mobile is found: {body}"
            );
            continue;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["details"][0]["field"], "account_manager", "{body}");
    }
    let _ = other;

    // The import's 客户经理 and 主办会计 columns.
    let admin = app.signed_in_back_office("wwassign5-admin").await;
    let csv =
        "客户编号,客户名称,客户经理,主办会计\nKH3,己公司,小王,13700000002\nKH4,庚公司,没有这人,\n";
    let html = crate::import::import(&admin, "customers", "run", "c.csv", csv.into()).await;
    assert!(
        html.contains("没有名为或手机号为「没有这人」的员工"),
        "{html}"
    );
    let csv = "客户编号,客户名称,客户经理,主办会计\nKH3,己公司,小王,13700000002\nKH4,庚公司,,\n";
    let html = crate::import::import(&admin, "customers", "run", "c.csv", csv.into()).await;
    assert_eq!(crate::import::counts(&html), (2, 0, 0, 0), "{html}");
    let ji = app
        .count(&format!(
            "SELECT id FROM customer WHERE firm_id = {firm_id} AND external_id = 'KH3'"
        ))
        .await;
    assert_eq!(manager_of(&app, ji).await, f.o.staff_id);
    assert_eq!(bookkeeper_of(&app, ji).await, f.o.admin_id);
    let staff = app.signed_in_back_office("wwassign5-staff").await;
    assert!(listed(&staff).await.contains("己公司"));
}
