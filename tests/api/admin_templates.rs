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

/// A red ring with a transparent middle: what a seal exported as PNG looks like.
fn seal_png() -> Vec<u8> {
    use resvg::tiny_skia::{Paint, PathBuilder, Pixmap, Stroke, Transform};
    let mut ring = Pixmap::new(120, 120).unwrap();
    let mut paint = Paint::default();
    paint.set_color_rgba8(220, 0, 0, 255);
    let circle = PathBuilder::from_circle(60.0, 60.0, 52.0).unwrap();
    let stroke = Stroke {
        width: 10.0,
        ..Default::default()
    };
    ring.stroke_path(&circle, &paint, &stroke, Transform::identity(), None);
    ring.encode_png().unwrap()
}

async fn upload_seal(
    b: &crate::helpers::Browser,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    use reqwest::multipart::{Form, Part};
    let form = Form::new()
        .text("csrf", token.to_string())
        .part("seal", Part::bytes(bytes).file_name(name.to_string()));
    b.client
        .post(b.url("/admin/receipt-seal"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn red_pixels(png: &[u8], area: zhangfang::render::Rect, scale: f32) -> usize {
    let p = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
    let mut n = 0;
    for y in (area.y * scale) as u32..((area.y + area.height) * scale) as u32 {
        for x in (area.x * scale) as u32..((area.x + area.width) * scale) as u32 {
            if let Some(c) = p.pixel(x, y)
                && c.red() > 150
                && c.green() < 100
                && c.blue() < 100
            {
                n += 1;
            }
        }
    }
    n
}

#[tokio::test]
async fn an_admin_puts_the_firms_seal_on_its_receipts_and_takes_it_off_again() {
    use zhangfang::domain::money::Money;
    use zhangfang::render::receipt;
    use zhangfang::services::payments::{self, Allocation, NewPayment};
    let w = world().await;
    w.app
        .add_receivable(w.firm_id, w.jia, "2026-01", "2026-03", 90000, "2026-01-15")
        .await;
    let me = w.app.current_employee("boss").await;
    let done = payments::confirm(
        &w.app.state,
        &me,
        None,
        NewPayment {
            customer_id: w.jia,
            amount: Money::from_yuan(900),
            method: zhangfang::db::entities::payment::Method::Transfer,
            paid_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            payer: None,
            note: None,
            allocation: Allocation::OldestFirst,
        },
    )
    .await
    .unwrap();
    let sidebar = w.app.signed_in("boss").await;
    let receipt_url = format!(
        "/sidebar/customers/{}/billing/receipts/{}.png",
        w.jia, done.receipt_id
    );
    let plain = sidebar.get(&receipt_url).await.bytes().await.unwrap();
    let data = payments::receipt_data(&w.app.state, &me, done.receipt_id)
        .await
        .unwrap();
    assert!(data.seal_png.is_none());

    let admin = w.app.signed_in_back_office("boss").await;
    let (status, html) = text(admin.get("/admin/templates").await).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("收据设置") && html.contains("尚未上传印章"),
        "{html}"
    );
    let token = admin.csrf_token("/admin/templates").await;

    // Refused: without the token, not a PNG, too large.
    let r = upload_seal(&admin, "", "seal.png", seal_png()).await;
    assert_eq!(r.status(), 403);
    let r = upload_seal(
        &admin,
        &token,
        "seal.png",
        b"\xFF\xD8\xFF\xE0 jpeg".to_vec(),
    )
    .await;
    let (status, html) = text(r).await;
    assert_eq!(status, 422);
    assert!(html.contains("印章图片应为PNG格式"), "{html}");
    let mut big = seal_png();
    big.resize(2 * 1024 * 1024, 0);
    assert_eq!(
        upload_seal(&admin, &token, "big.png", big).await.status(),
        413
    );
    // Staff do not set the firm's seal.
    let staff = w.app.signed_in_back_office("staff").await;
    let staff_token = staff.csrf_token("/admin").await;
    let r = upload_seal(&staff, &staff_token, "seal.png", seal_png()).await;
    assert_eq!(r.status(), 403);
    assert_eq!(staff.get("/admin/receipt-seal.png").await.status(), 403);

    let r = upload_seal(&admin, &token, "../seal.png", seal_png()).await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("seal=saved")
    );
    let (_, html) = text(admin.get("/admin/templates?seal=saved").await).await;
    assert!(html.contains("收据印章已保存") && html.contains("/admin/receipt-seal.png"));
    let shown = admin.get("/admin/receipt-seal.png").await;
    assert_eq!(shown.headers()["content-type"], "image/png");
    assert_eq!(shown.bytes().await.unwrap().as_ref(), seal_png().as_slice());
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'receipt_seal.save'")
            .await,
        1
    );

    // The receipt now carries it where the seal goes, and not before.
    let data = payments::receipt_data(&w.app.state, &me, done.receipt_id)
        .await
        .unwrap();
    assert_eq!(data.seal_png.as_deref(), Some(seal_png().as_slice()));
    let area = receipt::render(&data).unwrap().seal_area.unwrap();
    let sealed = sidebar.get(&receipt_url).await.bytes().await.unwrap();
    assert!(red_pixels(&sealed, area, receipt::SCALE) > 1000);
    assert_eq!(red_pixels(&plain, area, receipt::SCALE), 0);

    // Another firm's admin has no seal of ours.
    let other = w
        .app
        .count("SELECT firm_id FROM customer WHERE name = '别家公司'")
        .await;
    w.app
        .add_employee(
            other,
            crate::helpers::NewEmployee {
                name: "别家",
                userid: Some("otherboss"),
                role: zhangfang::db::entities::employee::Role::Admin,
                ..Default::default()
            },
        )
        .await;
    let other_admin = w.app.signed_in_back_office("otherboss").await;
    assert_eq!(
        other_admin.get("/admin/receipt-seal.png").await.status(),
        404
    );

    // Removed: receipts are drawn without it again.
    let r = admin
        .post_form("/admin/receipt-seal/remove", &[("csrf", &token)])
        .await;
    assert_eq!(r.status(), 303);
    let unsealed = sidebar.get(&receipt_url).await.bytes().await.unwrap();
    assert_eq!(red_pixels(&unsealed, area, receipt::SCALE), 0);
    assert_eq!(admin.get("/admin/receipt-seal.png").await.status(), 404);
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'receipt_seal.remove'")
            .await,
        1
    );
}
