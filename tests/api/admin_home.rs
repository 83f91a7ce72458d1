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
