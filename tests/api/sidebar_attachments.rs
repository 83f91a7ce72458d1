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
async fn every_follow_up_of_the_list_shows_its_own_files_whatever_their_number() {
    let w = world().await;
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    // Three follow-ups with files and one without: the list asks for the files of four
    // records, which is not a power of two.
    for files in [
        vec![("一月.pdf", b"%PDF-1.4 a".to_vec())],
        vec![],
        vec![
            ("二月.pdf", b"%PDF-1.4 b".to_vec()),
            ("二月附表.pdf", b"%PDF-1.4 c".to_vec()),
        ],
        vec![("三月.pdf", b"%PDF-1.4 d".to_vec())],
    ] {
        let r = post(&staff, w.jia, &token, files).await;
        assert_eq!(r.status(), 200);
    }
    let r = staff
        .fragment(&format!("/sidebar/customers/{}/followups", w.jia))
        .await;
    let html = r.text().await.unwrap();
    for name in ["一月.pdf", "二月.pdf", "二月附表.pdf", "三月.pdf"] {
        assert_eq!(html.matches(name).count(), 1, "{name} once: {html}");
    }
    assert_eq!(
        html.matches("张三").count(),
        4,
        "each by its writer's name: {html}"
    );
    // Newest first, each file under its own follow-up.
    let at = |name: &str| html.find(name).unwrap();
    assert!(at("三月.pdf") < at("二月.pdf") && at("二月附表.pdf") < at("一月.pdf"));
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

/// 新增收票 with the documents' photos and scans, as the section's form sends it.
async fn post_collection(
    b: &Browser,
    customer_id: i64,
    token: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new()
        .text("csrf", token.to_string())
        .text("period", "2026-10")
        .text("count_1", "4")
        .text("amount_1", "1200.50");
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        form = form.part(
            format!("file{}", i + 1),
            Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    b.client
        .post(b.url(&format!("/sidebar/customers/{customer_id}/collection")))
        .header("hx-request", "true")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_collection_keeps_its_photos_and_scans_and_shows_them_to_the_team_only() {
    use zhangfang::db::entities::employee::Role;
    let w = world().await;
    let new = |name: &'static str, userid: &'static str| crate::helpers::NewEmployee {
        name,
        userid: Some(userid),
        role: Role::Staff,
        permissions: &["basic", "collection"],
        ..Default::default()
    };
    let collector = w
        .app
        .add_employee(w.firm_id, new("收票员", "collector"))
        .await;
    w.app
        .add_employee(w.firm_id, new("别组收票员", "collector2"))
        .await;
    crate::sidebar_customers::serve(&w.app, w.firm_id, w.jia, collector).await;
    let b = w.app.signed_in("collector").await;
    let token = b.csrf_token("/sidebar").await;
    let r = post_collection(
        &b,
        w.jia,
        &token,
        vec![
            ("../../发票.png", PNG.to_vec()),
            ("回单.pdf", b"%PDF-1.4 slip".to_vec()),
        ],
    )
    .await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let html = b.fragment(&location).await.text().await.unwrap();
    assert!(html.contains("收票已保存"), "{html}");
    let png_id = w
        .app
        .count("SELECT id FROM attachment WHERE owner_type = 'invoice_collection' AND mime = 'image/png'")
        .await;
    let pdf_id = w
        .app
        .count("SELECT id FROM attachment WHERE owner_type = 'invoice_collection' AND mime = 'application/pdf'")
        .await;
    assert!(
        html.contains(&format!(
            "<img src=\"/sidebar/attachments/{png_id}\" alt=\"发票.png\""
        )) && html.contains("class=\"thumb\""),
        "the photo is shown as a thumbnail under its name only: {html}"
    );
    assert!(
        html.contains(&format!("href=\"/sidebar/attachments/{pdf_id}\""))
            && html.contains("回单.pdf"),
        "{html}"
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM attachment WHERE storage_key LIKE '%发票%' OR file_name LIKE '%/%'")
            .await,
        0
    );
    assert_eq!(
        w.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'collection.record'")
            .await,
        1
    );
    let r = b.get(&format!("/sidebar/attachments/{png_id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = b.get(&format!("/sidebar/attachments/{pdf_id}")).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // Typed by content and size, refused before anything is recorded.
    let r = post_collection(&b, w.jia, &token, vec![("x.pdf", b"<html>".to_vec())]).await;
    assert_eq!(r.status(), 422);
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let r = post_collection(&b, w.jia, &token, vec![("big.png", big)]).await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        w.app.count("SELECT COUNT(*) FROM invoice_collection").await,
        1
    );

    // A collector outside the customer's team 403, someone without 收票 403 (the follow-up team
    // member 张三), another firm 404.
    let outsider = w.app.signed_in("collector2").await;
    assert_eq!(
        outsider
            .fragment(&format!("/sidebar/attachments/{png_id}"))
            .await
            .status(),
        403
    );
    let staff = w.app.signed_in("staff").await;
    assert_eq!(
        staff
            .fragment(&format!("/sidebar/attachments/{png_id}"))
            .await
            .status(),
        403
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
                role: Role::Admin,
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

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn files_of_a_record_whose_transaction_fails_are_deleted_again() {
    use sea_orm::ConnectionTrait;
    let data_dir = tempfile::tempdir().unwrap();
    let data_path = data_dir.path().to_path_buf();
    let w = crate::sidebar_customers::world_with(move |s| s.server.data_dir = data_path).await;
    let media = data_dir.path().join("media");
    // A constraint only the database knows: one attachment per firm. The files are stored before
    // the transaction; the second row fails inside it.
    w.app
        .state
        .db
        .write()
        .execute_unprepared("CREATE UNIQUE INDEX ux_test_one_attachment ON attachment (firm_id)")
        .await
        .unwrap();
    let staff = w.app.signed_in("staff").await;
    let token = staff.csrf_token("/sidebar").await;
    let r = post(
        &staff,
        w.jia,
        &token,
        vec![
            ("发票.png", PNG.to_vec()),
            ("合同.pdf", b"%PDF-1.4 lost".to_vec()),
        ],
    )
    .await;
    assert!(!r.status().is_success(), "{}", r.status());
    assert_eq!(w.app.count("SELECT COUNT(*) FROM follow_up").await, 0);
    assert_eq!(w.app.count("SELECT COUNT(*) FROM attachment").await, 0);
    assert_eq!(files_under(&media), Vec::<std::path::PathBuf>::new());

    // The same for a collection; and a record that is saved keeps its file.
    let collector = w
        .app
        .add_employee(
            w.firm_id,
            crate::helpers::NewEmployee {
                name: "收票员",
                userid: Some("collector"),
                role: zhangfang::db::entities::employee::Role::Staff,
                permissions: &["basic", "collection"],
                ..Default::default()
            },
        )
        .await;
    crate::sidebar_customers::serve(&w.app, w.firm_id, w.jia, collector).await;
    let b = w.app.signed_in("collector").await;
    let token = b.csrf_token("/sidebar").await;
    let r = post_collection(
        &b,
        w.jia,
        &token,
        vec![
            ("发票.png", PNG.to_vec()),
            ("回单.pdf", b"%PDF-1.4 lost".to_vec()),
        ],
    )
    .await;
    assert!(!r.status().is_success(), "{}", r.status());
    assert_eq!(
        w.app.count("SELECT COUNT(*) FROM invoice_collection").await,
        0
    );
    assert_eq!(files_under(&media), Vec::<std::path::PathBuf>::new());
    let r = post_collection(&b, w.jia, &token, vec![("发票.png", PNG.to_vec())]).await;
    assert_eq!(r.status(), 302);
    let kept = files_under(&media);
    assert_eq!(kept.len(), 1);
    assert_eq!(std::fs::read(&kept[0]).unwrap(), PNG);
}
