//! `/admin/audit`: the audit log, filtered, read-only, admins only, one firm's entries.

use crate::admin_employees::office;
use crate::helpers::{Browser, spawn_app};

async fn post(b: &Browser, page: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token(page).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

#[tokio::test]
async fn the_audit_log_lists_the_firms_writes_with_filters() {
    let app = spawn_app().await;
    let o = office(&app, "wwaud1").await;
    office(&app, "wwaud2").await;
    let admin = app.signed_in_back_office("wwaud1-admin").await;
    let edit = format!("/admin/employees/{}", o.staff_id);
    let resp = post(
        &admin,
        &edit,
        &edit,
        &[
            ("name", "小王改名"),
            ("mobile", "13700000003"),
            ("role", "staff"),
        ],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let other = app.signed_in_back_office("wwaud2-admin").await;
    let resp = post(
        &other,
        "/admin/kb/categories",
        "/admin/kb/categories",
        &[("name", "别家的分类")],
    )
    .await;
    assert_eq!(resp.status(), 303);

    let page = admin.get("/admin/audit").await.text().await.unwrap();
    assert!(page.contains("employee.update") && page.contains("小王改名"));
    assert!(
        !page.contains("别家的分类"),
        "another firm's entries stay hidden"
    );
    assert!(page.contains("id=\"deployment\""));
    let by_object = admin
        .get(&format!(
            "/admin/audit?object=employee&object_id={}",
            o.staff_id
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_object.contains("employee.update"));
    let by_person = admin
        .get(&format!("/admin/audit?person={}", o.super_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!by_person.contains("employee.update"));
    let by_date = admin
        .get("/admin/audit?from=2026-11-27&to=2026-12-31")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !by_date.contains("employee.update"),
        "the clock is on 2026-11-26"
    );
    let today = admin
        .get("/admin/audit?from=2026-11-26&to=2026-11-26")
        .await
        .text()
        .await
        .unwrap();
    assert!(today.contains("employee.update"));

    let staff = app.signed_in_back_office("wwaud1-staff").await;
    assert_eq!(staff.get("/admin/audit").await.status(), 403);
    let visitor = Browser::new(&app.address, "zf_nothing=1");
    assert!(visitor.get("/admin/audit").await.status().is_redirection());
    // Read-only: there is nothing to post to.
    let resp = post(&admin, "/admin/audit", "/admin/audit", &[]).await;
    assert!(resp.status().is_client_error());
}
