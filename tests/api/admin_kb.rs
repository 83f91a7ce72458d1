//! `/admin/kb`: categories, articles, audit, XLSX import with per-row errors, export.

use reqwest::header::LOCATION;
use zhangfang::db::entities::employee::Role;

use crate::admin_employees::office;
use crate::helpers::{Browser, NewEmployee, TestApp, csrf_in, spawn_app};

async fn post(b: &Browser, page: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let csrf = b.csrf_token(page).await;
    let mut fields = form.to_vec();
    fields.push(("csrf", &csrf));
    b.post_form(path, &fields).await
}

async fn add_category(app: &TestApp, b: &Browser, parent: Option<i64>, name: &str) -> i64 {
    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
    let resp = post(
        b,
        "/admin/kb/categories",
        "/admin/kb/categories",
        &[("parent_id", &parent), ("name", name)],
    )
    .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    app.count(&format!(
        "SELECT MAX(id) FROM kb_category WHERE name = '{name}'"
    ))
    .await
}

async fn add_article(b: &Browser, category: i64, title: &str, content: &str) -> reqwest::Response {
    post(
        b,
        "/admin/kb",
        "/admin/kb/articles",
        &[
            ("category_id", &category.to_string()),
            ("title", title),
            ("content", content),
            ("keywords", "发票， 报税"),
        ],
    )
    .await
}

fn article_id(resp: &reqwest::Response) -> i64 {
    resp.headers()[LOCATION]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn upload(b: &Browser, bytes: Vec<u8>, name: &str, with_csrf: bool) -> reqwest::Response {
    let html = b.get("/admin/kb/import").await.text().await.unwrap();
    let csrf = csrf_in(&html).unwrap();
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    if with_csrf {
        form = form.text("csrf", csrf);
    }
    b.client
        .post(b.url("/admin/kb/import"))
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn categories_are_two_levels_and_one_in_use_is_not_deleted() {
    let app = spawn_app().await;
    office(&app, "wwkb1").await;
    let admin = app.signed_in_back_office("wwkb1-admin").await;
    let tax = add_category(&app, &admin, None, "税务").await;
    let vat = add_category(&app, &admin, Some(tax), "增值税").await;
    let service = add_category(&app, &admin, None, "服务").await;
    // No third level.
    let resp = post(
        &admin,
        "/admin/kb/categories",
        "/admin/kb/categories",
        &[("parent_id", &vat.to_string()), ("name", "三级")],
    )
    .await;
    assert_eq!(resp.status(), 422);
    // Reorder: 服务 moves above 税务.
    let resp = post(
        &admin,
        "/admin/kb/categories",
        &format!("/admin/kb/categories/{service}/move"),
        &[("direction", "up")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let page = admin
        .get("/admin/kb/categories")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.find("value=\"服务\"").unwrap() < page.find("value=\"税务\"").unwrap());
    // Rename.
    let resp = post(
        &admin,
        "/admin/kb/categories",
        &format!("/admin/kb/categories/{service}"),
        &[("name", "服务规范")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    // In use: an article, or a child category.
    let resp = add_article(&admin, vat, "小规模免税", "季度30万以内免税").await;
    assert_eq!(resp.status(), 303);
    for id in [vat, tax] {
        let resp = post(
            &admin,
            "/admin/kb/categories",
            &format!("/admin/kb/categories/{id}/delete"),
            &[],
        )
        .await;
        assert_eq!(resp.status(), 409);
        assert!(resp.text().await.unwrap().contains("不能删除"));
    }
    let resp = post(
        &admin,
        "/admin/kb/categories",
        &format!("/admin/kb/categories/{service}/delete"),
        &[],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'kb_category'")
            .await,
        6
    );
}

#[tokio::test]
async fn articles_are_audited_and_an_approved_one_is_not_changed_or_deleted() {
    let app = spawn_app().await;
    let o = office(&app, "wwkb2").await;
    let admin = app.signed_in_back_office("wwkb2-admin").await;
    let cat = add_category(&app, &admin, None, "常见问题").await;
    let resp = add_article(
        &admin,
        cat,
        "交票时间",
        "{customer_name}您好，请在每月5日前交票",
    )
    .await;
    assert_eq!(resp.status(), 303);
    let id = article_id(&resp);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM kb_article WHERE id = {id} AND keywords = '发票,报税' AND audit_status = 'draft'"
        ))
        .await,
        1
    );
    // An unknown placeholder is refused.
    let resp = add_article(&admin, cat, "金额", "您的欠费是{arrears_total}").await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("arrears_total"));
    // Staff without rights read but do not write.
    let staff = app.signed_in_back_office("wwkb2-staff").await;
    let page = staff.get("/admin/kb").await.text().await.unwrap();
    assert!(page.contains("交票时间") && !page.contains("id=\"new-article\""));
    assert_eq!(add_article(&staff, cat, "x", "y").await.status(), 403);
    let path = format!("/admin/kb/articles/{id}");
    let resp = post(
        &staff,
        "/admin/kb",
        &format!("{path}/audit"),
        &[("approve", "1")],
    )
    .await;
    assert_eq!(resp.status(), 403);
    // An auditor (staff with the right) approves.
    app.add_employee(
        o.firm.firm_id,
        NewEmployee {
            name: "审核员",
            userid: Some("wwkb2-auditor"),
            role: Role::Staff,
            permissions: &["kb_audit"],
            ..NewEmployee::default()
        },
    )
    .await;
    let auditor = app.signed_in_back_office("wwkb2-auditor").await;
    let resp = post(
        &auditor,
        &path,
        &format!("{path}/audit"),
        &[("approve", "1")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    for (suffix, form) in [
        (
            "",
            vec![
                ("category_id", cat.to_string()),
                ("title", "改".to_string()),
                ("content", "改".to_string()),
            ],
        ),
        ("/delete", vec![]),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = post(&admin, &path, &format!("{path}{suffix}"), &form).await;
        assert_eq!(resp.status(), 409, "{suffix}");
    }
    let resp = post(&admin, &path, &format!("{path}/audit"), &[("approve", "0")]).await;
    assert_eq!(resp.status(), 303);
    let resp = post(&admin, &path, &format!("{path}/delete"), &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM kb_article WHERE id = {id} AND deleted_at IS NOT NULL"
        ))
        .await,
        1
    );
    let actions = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN \
             ('kb_article.create', 'kb_article.approve', 'kb_article.unapprove', 'kb_article.delete')",
        )
        .await;
    assert_eq!(actions, 4);
    // Without a CSRF token nothing is written.
    let resp = admin
        .post_form(
            "/admin/kb/articles",
            &[
                ("category_id", &cat.to_string()),
                ("title", "无令牌"),
                ("content", "x"),
            ],
        )
        .await;
    assert!(resp.status().is_client_error());
}

#[tokio::test]
async fn another_firm_cannot_read_or_change_knowledge_by_id() {
    let app = spawn_app().await;
    office(&app, "wwkb3a").await;
    office(&app, "wwkb3b").await;
    let mine = app.signed_in_back_office("wwkb3a-admin").await;
    let cat = add_category(&app, &mine, None, "内部").await;
    let id = article_id(&add_article(&mine, cat, "机密", "只给本公司").await);
    let other = app.signed_in_back_office("wwkb3b-admin").await;
    let path = format!("/admin/kb/articles/{id}");
    assert_eq!(other.get(&path).await.status(), 404);
    assert!(
        !other
            .get("/admin/kb")
            .await
            .text()
            .await
            .unwrap()
            .contains("机密")
    );
    for (p, form) in [
        (
            path.clone(),
            vec![
                ("category_id", cat.to_string()),
                ("title", "x".into()),
                ("content", "y".into()),
            ],
        ),
        (format!("{path}/delete"), vec![]),
        (format!("{path}/audit"), vec![("approve", "1".into())]),
        (
            format!("/admin/kb/categories/{cat}"),
            vec![("name", "改".into())],
        ),
        (format!("/admin/kb/categories/{cat}/delete"), vec![]),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(
            post(&other, "/admin/kb", &p, &form).await.status(),
            404,
            "{p}"
        );
    }
    // Its own article cannot be put into our category either.
    let own = add_category(&app, &other, None, "他们的").await;
    let _ = own;
    let resp = add_article(&other, cat, "偷放", "内容").await;
    assert_eq!(resp.status(), 404);
    // Signed out: sign in first.
    let visitor = Browser::new(&app.address, "zf_nothing=1");
    assert!(visitor.get("/admin/kb").await.status().is_redirection());
}

#[tokio::test]
async fn an_import_with_bad_rows_saves_nothing_and_a_good_one_saves_all() {
    let app = spawn_app().await;
    office(&app, "wwkb4").await;
    let admin = app.signed_in_back_office("wwkb4-admin").await;
    // The template downloads as XLSX and imports its own example rows.
    let resp = admin.get("/admin/kb/template.xlsx").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let template = resp.bytes().await.unwrap().to_vec();

    let bad = zhangfang::services::import::write_xlsx(
        "知识库",
        &["一级分类", "二级分类", "标题 ", "内容", "关键词"],
        &[
            vec![
                "税务".into(),
                "个税".into(),
                "好的一行".into(),
                "内容".into(),
                "".into(),
            ],
            vec![
                "税务".into(),
                "".into(),
                "".into(),
                "没有标题".into(),
                "".into(),
            ],
            vec![
                "".into(),
                "".into(),
                "没有分类".into(),
                "内容".into(),
                "".into(),
            ],
            vec![
                "税务".into(),
                "".into(),
                "占位符".into(),
                "{no_such}".into(),
                "".into(),
            ],
        ],
    )
    .unwrap();
    let resp = upload(&admin, bad, "kb.xlsx", true).await;
    assert_eq!(resp.status(), 422);
    let page = resp.text().await.unwrap();
    for row in ["第 3 行", "第 4 行", "第 5 行"] {
        assert!(page.contains(row), "{row} in {page}");
    }
    assert!(!page.contains("第 2 行"));
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_article").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_category").await, 0);

    // Without the CSRF token the upload is refused.
    let resp = upload(&admin, template.clone(), "kb.xlsx", false).await;
    assert!(resp.status().is_client_error());
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_article").await, 0);

    let resp = upload(&admin, template, "kb.xlsx", true).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("已导入 2 条知识"));
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_article").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_category").await, 3);

    // A GBK CSV with full-width headers, into the existing categories.
    let (gbk, _, _) = encoding_rs::GBK
        .encode("一级分类,二级分类,标题,内容,关键字\n税务,增值税,专票抵扣,认证后抵扣,抵扣\n");
    let resp = upload(&admin, gbk.into_owned(), "kb.csv", true).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_article").await, 3);
    assert_eq!(app.count("SELECT COUNT(*) FROM kb_category").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'kb_article.import'")
            .await,
        2
    );

    // The export has the template's columns and reads back through the same engine.
    let resp = admin.get("/admin/kb/export.xlsx").await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let sheet = zhangfang::services::import::read(&bytes).unwrap();
    assert_eq!(sheet.rows.len(), 3);
    assert_eq!(
        &sheet.headers[..5],
        &["一级分类", "二级分类", "标题", "内容", "关键词"]
    );
    // Staff without 管理知识库 cannot import.
    let staff = app.signed_in_back_office("wwkb4-staff").await;
    assert_eq!(staff.get("/admin/kb/import").await.status(), 403);
}

#[tokio::test]
async fn ticked_articles_are_approved_unapproved_and_deleted_at_once() {
    let app = spawn_app().await;
    let o = office(&app, "wwkb5").await;
    let other = office(&app, "wwkb5b").await;
    let admin = app.signed_in_back_office("wwkb5-admin").await;
    let cat = add_category(&app, &admin, None, "常见问题").await;
    let mut ids = Vec::new();
    for title in ["甲问", "乙问", "丙问"] {
        ids.push(article_id(&add_article(&admin, cat, title, "答").await).to_string());
    }
    let other_admin = app.signed_in_back_office("wwkb5b-admin").await;
    let other_cat = add_category(&app, &other_admin, None, "别家").await;
    let foreign = article_id(&add_article(&other_admin, other_cat, "别家问", "答").await);
    let _ = other;

    let page = admin
        .get("/admin/kb?status=draft")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"kb-bulk\""), "{page}");
    let bulk = |b: &'static str, picked: Vec<String>, back: &'static str| {
        let admin = &admin;
        async move {
            let mut form: Vec<(&str, &str)> =
                picked.iter().map(|id| ("article", id.as_str())).collect();
            form.push(("action", b));
            form.push(("back", back));
            post(admin, "/admin/kb", "/admin/kb/bulk", &form).await
        }
    };
    // 审核 two of three; the list keeps its filter.
    let resp = bulk("approve", ids[..2].to_vec(), "status=draft").await;
    assert_eq!(resp.status(), 303);
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    assert_eq!(back, "/admin/kb?status=draft&bulk=approve&done=2&skipped=0");
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(page.contains("已审核 2 条知识。"), "{page}");
    assert!(
        page.contains("丙问") && !page.contains("甲问"),
        "still the drafts only"
    );
    // 导出 follows the list's filter.
    assert!(
        page.contains("href=\"/admin/kb/export.xlsx?status=draft\""),
        "{page}"
    );
    let bytes = admin
        .get("/admin/kb/export.xlsx?status=draft")
        .await
        .bytes()
        .await
        .unwrap();
    let sheet = zhangfang::services::import::read(&bytes).unwrap();
    assert_eq!(sheet.rows.len(), 1, "only the draft");
    assert!(sheet.rows[0].1.iter().any(|c| c == "丙问"));
    let approved =
        "SELECT COUNT(*) FROM kb_article WHERE audit_status = 'approved' AND deleted_at IS NULL";
    assert_eq!(app.count(approved).await, 2);
    // Again: nothing changes, and the notice says they were approved already.
    let resp = bulk("approve", ids[..2].to_vec(), "").await;
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(
        page.contains("已审核 0 条知识。2 条原本就已审核。"),
        "{page}"
    );
    assert_eq!(app.count(approved).await, 2);

    // 删除 all three: the approved two stay, and the page says so.
    let resp = bulk("delete", ids.clone(), "").await;
    let back = resp.headers()[LOCATION].to_str().unwrap().to_string();
    let page = admin.get(&back).await.text().await.unwrap();
    assert!(
        page.contains("已删除 1 条知识。2 条已审核的知识未删除"),
        "{page}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kb_article WHERE deleted_at IS NULL AND firm_id = (SELECT firm_id FROM kb_article WHERE title = '甲问')")
            .await,
        2
    );

    // 取消审核, then they can go.
    let resp = bulk("unapprove", ids[..2].to_vec(), "").await;
    assert!(
        resp.headers()[LOCATION]
            .to_str()
            .unwrap()
            .contains("done=2")
    );
    assert_eq!(app.count(approved).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('kb_article.approve', 'kb_article.unapprove', 'kb_article.delete')")
            .await,
        5
    );

    // Another firm's article, a deleted one, nothing ticked, an unknown action: nothing changes.
    let resp = bulk("approve", vec![ids[0].clone(), foreign.to_string()], "").await;
    assert_eq!(resp.status(), 404);
    let resp = bulk("approve", vec![ids[2].clone()], "").await;
    assert_eq!(resp.status(), 404);
    assert_eq!(bulk("approve", vec![], "").await.status(), 422);
    assert_eq!(
        bulk("publish", vec![ids[0].clone()], "").await.status(),
        422
    );
    assert_eq!(app.count(approved).await, 0);

    // Staff without the rights: no form, and 403.
    let staff = app.signed_in_back_office("wwkb5-staff").await;
    let page = staff.get("/admin/kb").await.text().await.unwrap();
    assert!(!page.contains("id=\"kb-bulk\""));
    let csrf = staff.csrf_token("/admin/kb").await;
    let resp = staff
        .post_form(
            "/admin/kb/bulk",
            &[("article", &ids[0]), ("action", "approve"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(resp.status(), 403);
    // An auditor approves but does not delete.
    app.add_employee(
        o.firm.firm_id,
        NewEmployee {
            name: "审核员",
            userid: Some("wwkb5-auditor"),
            role: Role::Staff,
            permissions: &["kb_audit"],
            ..NewEmployee::default()
        },
    )
    .await;
    let auditor = app.signed_in_back_office("wwkb5-auditor").await;
    let page = auditor.get("/admin/kb").await.text().await.unwrap();
    assert!(page.contains("value=\"approve\"") && !page.contains("value=\"delete\""));
    let resp = post(
        &auditor,
        "/admin/kb",
        "/admin/kb/bulk",
        &[("article", &ids[0]), ("action", "delete")],
    )
    .await;
    assert_eq!(resp.status(), 403);
    let resp = post(
        &auditor,
        "/admin/kb",
        "/admin/kb/bulk",
        &[("article", &ids[0]), ("action", "approve")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(app.count(approved).await, 1);
}
