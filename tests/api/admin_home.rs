//! `/admin`: the firm at a glance for admins, with small charts; staff see their rights only.

use crate::admin_employees::office;
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_home_page_shows_the_firms_figures_to_admins_only() {
    let app = spawn_app().await;
    let o = office(&app, "wwhome1").await;
    let other = office(&app, "wwhome2").await;
    for name in ["甲公司", "乙公司", "丙公司"] {
        app.add_customer(o.firm.firm_id, name).await;
    }
    app.add_customer(other.firm.firm_id, "别家客户").await;
    let now = app.clock_now();
    let customer = app
        .count(&format!(
            "SELECT MIN(id) FROM customer WHERE firm_id = {}",
            o.firm.firm_id
        ))
        .await;
    sea_orm::ConnectionTrait::execute_raw(
        app.state.db.write(),
        zhangfang::db::statement(
            app.backend(),
            "UPDATE customer SET account_manager_id = ? WHERE id = ?",
            [o.admin_id.into(), customer.into()],
        ),
    )
    .await
    .unwrap();
    sea_orm::ConnectionTrait::execute_raw(
        app.state.db.write(),
        zhangfang::db::statement(
            app.backend(),
            "INSERT INTO receivable (firm_id, customer_id, fee_item, period_from, period_to, amount_fen, paid_fen, due_date, status, created_at, updated_at) \
             VALUES (?, ?, 'bookkeeping', '2026-10', '2026-10', 30000, 10000, '2026-11-01', 'partial', ?, ?)",
            [o.firm.firm_id.into(), customer.into(), now.into(), now.into()],
        ),
    )
    .await
    .unwrap();
    let admin = app.signed_in_back_office("wwhome1-admin").await;
    let page = admin.get("/admin").await.text().await.unwrap();
    assert!(
        page.contains("id=\"fig-customers\"><a href=\"/admin/customers/links?linked=all\">3<"),
        "{page}"
    );
    // Each bar leads to the customers it counts.
    let serving = "/admin/customers/links?linked=all&#38;status=serving";
    assert!(page.contains(&format!("<a href=\"{serving}\">")), "{page}");
    let list = admin
        .get(&serving.replace("&#38;", "&"))
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("服务中"), "{list}");
    assert!(page.contains("id=\"fig-arrears\">200.00<"));
    assert!(page.contains("<svg class=\"chart\""));
    assert!(page.contains("管理员") && page.contains("200.00"));
    let staff = app.signed_in_back_office("wwhome1-staff").await;
    let page = staff.get("/admin").await.text().await.unwrap();
    assert!(!page.contains("id=\"dashboard\""));
}

#[tokio::test]
async fn the_home_page_lists_the_employees_customers_with_something_to_do() {
    let app = crate::helpers::spawn_app().await;
    let o = office(&app, "wwhomework").await;
    let other = office(&app, "wwhomework2").await;
    let firm = o.firm.firm_id;
    let now = app.clock_now();
    let owing = app.add_customer(firm, "欠费公司").await;
    let missing = app.add_customer(firm, "缺票公司").await;
    let quiet = app.add_customer(firm, "无事公司").await;
    let not_mine = app.add_customer(firm, "同事的公司").await;
    let theirs = app.add_customer(other.firm.firm_id, "别家欠费公司").await;
    for (firm_id, customer, employee) in [
        (firm, owing, o.staff_id),
        (firm, missing, o.staff_id),
        (firm, quiet, o.staff_id),
        (firm, not_mine, o.admin_id),
        (other.firm.firm_id, theirs, other.staff_id),
    ] {
        app.execute(
            "INSERT INTO customer_staff (firm_id, customer_id, employee_id, role, created_at) \
             VALUES (?, ?, ?, 'account_manager', ?)",
            vec![firm_id.into(), customer.into(), employee.into(), now.into()],
        )
        .await;
    }
    for (firm_id, customer) in [
        (firm, owing),
        (firm, not_mine),
        (other.firm.firm_id, theirs),
    ] {
        app.add_receivable(firm_id, customer, "2026-01", "2026-03", 90000, "2026-01-15")
            .await;
    }
    app.execute(
        "INSERT INTO missing_invoice (firm_id, customer_id, period, doc_type, marked_at, created_at, updated_at) \
         VALUES (?, ?, '2026-10', '银行回单', ?, ?, ?)",
        vec![firm.into(), missing.into(), now.into(), now.into(), now.into()],
    )
    .await;

    let staff = app.signed_in_back_office("wwhomework-staff").await;
    let page = staff.get("/admin").await.text().await.unwrap();
    let list = page
        .split("id=\"work-list\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("the work list: {page}"));
    assert!(list.contains("您负责的 3 家客户中，2 家有待办"), "{list}");
    assert!(
        list.contains("欠费公司") && list.contains("<strong>900.00</strong>"),
        "{list}"
    );
    assert!(list.contains("缺票公司") && list.contains("1 项"));
    assert!(!list.contains("无事公司"), "nothing to do");
    assert!(!list.contains("同事的公司") && !list.contains("别家欠费公司"));
    assert!(
        list.find("欠费公司").unwrap() < list.find("缺票公司").unwrap(),
        "the largest arrears first"
    );
    // A service that has ended is a renewal to ask for while the customer is served, not after.
    app.execute(
        "INSERT INTO service_contract (firm_id, customer_id, contract_no, service_type, start_period, end_period, \
         fee_per_month_fen, billing_cycle, total_fen, status, created_at, updated_at) \
         VALUES (?, ?, 'HT-1', 'bookkeeping', '2025-01', '2025-12', 20000, 'quarter', 240000, 'expired', ?, ?)",
        vec![firm.into(), quiet.into(), now.into(), now.into()],
    )
    .await;
    let page = staff.get("/admin").await.text().await.unwrap();
    assert!(
        page.contains("无事公司") && page.contains("已到期"),
        "{page}"
    );
    app.execute(
        "UPDATE customer SET service_status = 'lost' WHERE id = ?",
        vec![quiet.into()],
    )
    .await;
    let page = staff.get("/admin").await.text().await.unwrap();
    assert!(!page.contains("无事公司"), "a lost customer's old service");
    // Someone who serves nobody sees no list.
    let boss = app.signed_in_back_office("wwhomework-boss").await;
    let page = boss.get("/admin").await.text().await.unwrap();
    assert!(!page.contains("id=\"work-list\""));
}
