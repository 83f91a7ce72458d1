//! Follow-up attachments: images and PDFs up to 10 MB, typed by content, stored under our own
//! keys, downloadable by those who may see the customer's follow-ups.

use reqwest::multipart::{Form, Part};

use crate::helpers::Browser;
use crate::sidebar_customers::world;

pub const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
];

pub async fn post(
    b: &Browser,
    customer_id: i64,
    token: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("csrf", token.to_string())
        .text("content", "客户发来了发票照片")
        .text("kind", "chat");
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        form = form.part(
            format!("file{}", i + 1),
            Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    b.client
        .post(b.url(&format!("/sidebar/customers/{customer_id}/followups")))
        .header("hx-request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_follow_up_keeps_its_image_and_pdf_and_shows_them_to_the_team_only() {
    let w = world().await;
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    let r = post(
        &staff,
        w.jia,
        &token,
        vec![
            ("../../evil.png", PNG.to_vec()),
            ("合同.pdf", b"%PDF-1.4 test".to_vec()),
        ],
    )
    .await;
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("class=\"thumb\"") && html.contains("合同.pdf"),
        "{html}"
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM attachment WHERE owner_type = 'follow_up'")
            .await,
        2
    );
    assert_eq!(w.app.count("SELECT COUNT(*) FROM attachment WHERE storage_key LIKE '%evil%' OR file_name LIKE '%/%'").await, 0);
    let png_id = w
        .app
        .count("SELECT id FROM attachment WHERE mime = 'image/png'")
        .await;
    let pdf_id = w
        .app
        .count("SELECT id FROM attachment WHERE mime = 'application/pdf'")
        .await;
    let r = staff.get(&format!("/sidebar/attachments/{png_id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = staff.get(&format!("/sidebar/attachments/{pdf_id}")).await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // Refused: a page dressed as an image, more than 10 MB.
    let r = post(
        &staff,
        w.jia,
        &token,
        vec![("x.png", b"<html><script>".to_vec())],
    )
    .await;
    assert_eq!(r.status(), 422);
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = post(&staff, w.jia, &token, vec![("big.png", big)]).await;
    assert_eq!(r.status(), 413);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM follow_up").await, 1);

    // Outside the team 403, signed out 401, another firm 404.
    let outsider = w.app.signed_in("outsider").await;
    assert_eq!(
        outsider
            .fragment(&format!("/sidebar/attachments/{png_id}"))
            .await
            .status(),
        403
    );
    let anon = Browser::new(&w.app.address, "zf_session=nothing");
    assert_eq!(
        anon.fragment(&format!("/sidebar/attachments/{png_id}"))
            .await
            .status(),
        401
    );
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
    let other_boss = w.app.signed_in("otherboss").await;
    assert_eq!(
        other_boss
            .fragment(&format!("/sidebar/attachments/{png_id}"))
            .await
            .status(),
        404
    );
}
