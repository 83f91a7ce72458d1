//! `/admin/templates`: the firm's message templates, their live preview and the refusal of
//! unknown placeholders; the sidebar composes with what was saved.

use crate::sidebar_customers::world;

async fn text(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn an_admin_edits_a_template_which_the_sidebar_then_uses() {
    let w = world().await;
    let admin = w.app.signed_in_back_office("boss").await;
    let (status, html) = text(admin.get("/admin/templates").await).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("到期提醒") && html.contains("默认文案") && html.contains("{service_end}")
    );
    assert!(
        html.contains("href=\"/admin/templates\""),
        "listed in the navigation"
    );
    let token = admin.csrf_token("/admin/templates").await;

    // The live preview fills example values, and refuses what the scene does not know.
    let r = admin
        .post_form(
            "/admin/templates/expiry/preview",
            &[
                ("csrf", &token),
                ("body", "{customer_name}的服务{service_end}到期"),
            ],
        )
        .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("上海示例贸易有限公司的服务2026-12-31到期"),
        "{html}"
    );
    let r = admin
        .post_form(
            "/admin/templates/expiry/preview",
            &[
                ("csrf", &token),
                ("body", "{customer_name}请付{receipt_no}"),
            ],
        )
        .await;
    let (_, html) = text(r).await;
    assert!(
        html.contains("不认识的占位符") && html.contains("{receipt_no}"),
        "{html}"
    );

    let r = admin
        .post_form(
            "/admin/templates/expiry",
            &[
                ("csrf", &token),
                ("body", "{customer_name}请付{receipt_no}"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        w.app.count("SELECT COUNT(*) FROM message_template").await,
        0
    );
    let r = admin
        .post_form(
            "/admin/templates/expiry",
            &[
                ("csrf", &token),
                (
                    "body",
                    "尊敬的{customer_name}：服务{service_end}到期，请续约。",
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'message_template.save'")
            .await,
        1
    );
    let (_, html) = text(admin.get("/admin/templates?saved=expiry").await).await;
    assert!(html.contains("模板已保存") && html.contains("已自定义"));

    let now = w.app.clock_now();
    crate::sidebar_customers::exec(
        &w.app,
        "INSERT INTO service_contract (firm_id, customer_id, contract_no, service_type, start_period, end_period, fee_per_month_fen, billing_cycle, total_fen, status, created_at, updated_at) \
         VALUES (?, ?, 'HT-1', 'bookkeeping', '2026-01', '2026-12', 30000, 'quarter', 360000, 'active', ?, ?)",
        vec![w.firm_id.into(), w.jia.into(), now.into(), now.into()],
    )
    .await;
    let staff = w.app.signed_in("staff").await;
    let (_, html) = text(
        staff
            .fragment(&format!("/sidebar/customers/{}/compose/expiry", w.jia))
            .await,
    )
    .await;
    assert!(
        html.contains("尊敬的上海甲乙贸易有限公司：服务2026-12-31到期"),
        "{html}"
    );

    // Back to the default.
    let r = admin
        .post_form(
            "/admin/templates/expiry",
            &[("csrf", &token), ("body", ""), ("reset", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, html) = text(
        staff
            .fragment(&format!("/sidebar/customers/{}/compose/expiry", w.jia))
            .await,
    )
    .await;
    assert!(html.contains("的代理记账服务将于"), "{html}");
    assert_eq!(
        admin
            .post_form(
                "/admin/templates/nosuch",
                &[("csrf", &token), ("body", "x")]
            )
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn templates_are_for_admins_signed_in_with_a_token_and_stay_in_their_firm() {
    let w = world().await;
    let anon = crate::helpers::Browser::new(&w.app.address, "zf_admin=nothing");
    let r = anon.get("/admin/templates").await;
    assert_eq!(r.status(), 302);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login")
    );
    let staff = w.app.signed_in_back_office("staff").await;
    assert_eq!(staff.get("/admin/templates").await.status(), 403);
    let token = staff.csrf_token("/admin").await;
    assert_eq!(
        staff
            .post_form(
                "/admin/templates/expiry",
                &[("csrf", &token), ("body", "x")]
            )
            .await
            .status(),
        403
    );
    let admin = w.app.signed_in_back_office("boss").await;
    assert_eq!(
        admin
            .post_form("/admin/templates/expiry", &[("body", "x")])
            .await
            .status(),
        403,
        "no token"
    );
    let token = admin.csrf_token("/admin/templates").await;
    admin
        .post_form(
            "/admin/templates/dunning",
            &[("csrf", &token), ("body", "请付款{amount}")],
        )
        .await;
    // Another firm still composes with our default.
    let other_admin = w
        .app
        .add_employee(
            w.app
                .count("SELECT firm_id FROM customer WHERE name = '别家公司'")
                .await,
            crate::helpers::NewEmployee {
                name: "别家管理员",
                userid: Some("otherboss"),
                role: zhangfang::db::entities::employee::Role::Admin,
                ..Default::default()
            },
        )
        .await;
    assert!(other_admin > 0);
    let other = w.app.signed_in_back_office("otherboss").await;
    let (_, html) = text(other.get("/admin/templates").await).await;
    assert!(!html.contains("请付款{amount}"));
}
