//! `/admin/sends` (沟通记录): what the sidebar sent into chats — the firm's for admins, their own
//! for staff — filtered by employee, customer, scene and Beijing date.

use reqwest::StatusCode;

use crate::admin_employees::office;
use crate::helpers::{TestApp, spawn_app};

#[allow(clippy::too_many_arguments)]
async fn sent(
    app: &TestApp,
    firm_id: i64,
    employee_id: i64,
    customer_id: i64,
    scene: &str,
    group: bool,
    content: &str,
    at: &str,
) {
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::Utc);
    app.execute(
        "INSERT INTO message_log (firm_id, employee_id, customer_id, scene, target_type, target_id, \
         msg_type, content, client_result, sent_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, 'text', ?, 'ok', ?, ?)",
        vec![
            firm_id.into(),
            employee_id.into(),
            customer_id.into(),
            scene.into(),
            if group { "group_chat" } else { "external_user" }.into(),
            if group { "wrGROUP" } else { "wmUSER" }.into(),
            content.into(),
            at.into(),
            at.into(),
        ],
    )
    .await;
}

#[tokio::test]
async fn admins_read_every_send_of_the_firm_and_staff_their_own() {
    let app = spawn_app().await;
    let o = office(&app, "wwsends1").await;
    let other = office(&app, "wwsends2").await;
    let firm = o.firm.firm_id;
    let jia = app.add_customer(firm, "甲公司").await;
    let yi = app.add_customer(firm, "乙公司").await;
    let theirs = app.add_customer(other.firm.firm_id, "别家公司").await;
    sent(
        &app,
        firm,
        o.staff_id,
        jia,
        "dunning",
        false,
        "请尽快支付服务费",
        "2026-11-20T02:00:00Z",
    )
    .await;
    sent(
        &app,
        firm,
        o.admin_id,
        yi,
        "expiry",
        true,
        "服务即将到期",
        "2026-11-25T17:00:00Z",
    )
    .await;
    sent(
        &app,
        other.firm.firm_id,
        other.staff_id,
        theirs,
        "kb",
        false,
        "别家的消息",
        "2026-11-21T02:00:00Z",
    )
    .await;

    let admin = app.signed_in_back_office("wwsends1-admin").await;
    let page = admin.get("/admin/sends").await.text().await.unwrap();
    assert!(
        page.contains("沟通记录") && page.contains("共 2 条"),
        "{page}"
    );
    assert!(page.contains("请尽快支付服务费") && page.contains("服务即将到期"));
    assert!(!page.contains("别家的消息"), "another firm's sends");
    assert!(page.contains("催款提醒") && page.contains("到期提醒"));
    // Newest first, in Beijing time (17:00 UTC is 01:00 the next day).
    assert!(page.find("2026-11-26 01:00").unwrap() < page.find("2026-11-20 10:00").unwrap());

    let by_staff = admin
        .get(&format!("/admin/sends?employee={}", o.staff_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(by_staff.contains("共 1 条") && by_staff.contains("请尽快支付服务费"));
    let by_customer = admin
        .get("/admin/sends?customer=%E4%B9%99")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_customer.contains("共 1 条") && by_customer.contains("服务即将到期"));
    let by_scene = admin
        .get("/admin/sends?scene=dunning")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_scene.contains("共 1 条") && by_scene.contains("甲公司"));
    let by_day = admin
        .get("/admin/sends?from=2026-11-26&to=2026-11-26")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        by_day.contains("共 1 条") && by_day.contains("服务即将到期"),
        "the Beijing day"
    );
    for bad in [
        "from=2026-13-01",
        "scene=spam",
        "employee=x",
        "from=2026-11-27&to=2026-11-26",
    ] {
        let resp = admin.get(&format!("/admin/sends?{bad}")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // Staff: their own only, whatever employee they ask for.
    let staff = app.signed_in_back_office("wwsends1-staff").await;
    let page = staff
        .get(&format!("/admin/sends?employee={}", o.admin_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("共 1 条") && page.contains("请尽快支付服务费"),
        "{page}"
    );
    assert!(!page.contains("服务即将到期"));
    assert!(
        !page.contains("name=\"employee\""),
        "no employee filter for staff"
    );
}
