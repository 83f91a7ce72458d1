//! Files sent as WeCom temporary media: the original is kept, its media_id reused while it has
//! more than the margin left of its three days, and uploaded again after.

use actix_web::{App, HttpServer};
use chrono::{Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use zhangfang::config::Secret;
use zhangfang::db::entities::media_file::Kind;
use zhangfang::sandbox::{Sandbox, SandboxOptions};
use zhangfang::seed::{self, Profile};
use zhangfang::services::firms::{self, NewApp};
use zhangfang::services::media::{self, NewFile};

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_media_id_is_reused_until_it_nears_three_days_then_uploaded_again() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, seed::DEMO_SEED, as_of);
    let sandbox = Sandbox::new(dataset.clone(), SandboxOptions::default());
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    tokio::spawn(server.run());
    let app = spawn_app_with(|s| s.wecom.api_base = format!("http://{address}")).await;
    let firm = firms::create_firm(
        app.state.db.write(),
        &dataset.corp_id,
        &dataset.corp_name,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    firms::add_app(
        app.state.db.write(),
        &app.state.secrets,
        firm.id,
        NewApp {
            agent_id: dataset.app.agent_id.clone(),
            name: dataset.app.name.clone(),
            kind: zhangfang::db::entities::wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(Secret::new(dataset.app.secret.clone())),
            token: Secret::new(dataset.app.token.clone()),
            encoding_aes_key: Secret::new(dataset.app.encoding_aes_key.clone()),
            is_primary: true,
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    let png = zhangfang::render::receipt::render(&zhangfang::render::receipt::ReceiptData {
        firm_name: "鑫犇财税".into(),
        receipt_no: "SJ-2026-000001".into(),
        payer: "淼燚公司".into(),
        amount_figures: "¥1.00".into(),
        amount_cn: "人民币壹元整".into(),
        ..Default::default()
    })
    .unwrap()
    .png;
    let keep = |bytes: Vec<u8>| {
        let app = &app;
        async move {
            media::store(
                app.state.db.write(),
                firm.id,
                NewFile {
                    ref_key: "receipt:1:valid",
                    kind: Kind::Image,
                    filename: "收据SJ-2026-000001.png",
                    content_type: "image/png",
                    bytes: &bytes,
                },
                app.clock_now(),
            )
            .await
            .unwrap()
        }
    };
    keep(png.clone()).await;
    let uploads = || sandbox.calls("media/upload");
    let first = media::media_id(&app.state, firm.id, "receipt:1:valid")
        .await
        .unwrap();
    assert_eq!(uploads(), 1);
    let kept = sandbox.media(&first).expect("the sandbox has the upload");
    assert_eq!(kept.kind, "image");
    // Reused while more than the margin is left.
    app.clock.advance(Duration::hours(65));
    assert_eq!(
        media::media_id(&app.state, firm.id, "receipt:1:valid")
            .await
            .unwrap(),
        first
    );
    assert_eq!(uploads(), 1);
    // Uploaded again from the kept original after.
    app.clock.advance(Duration::hours(2));
    let second = media::media_id(&app.state, firm.id, "receipt:1:valid")
        .await
        .unwrap();
    assert_ne!(second, first);
    assert_eq!(uploads(), 2);
    // The same bytes stored again keep the id; new bytes need a new upload.
    keep(png.clone()).await;
    assert_eq!(
        media::media_id(&app.state, firm.id, "receipt:1:valid")
            .await
            .unwrap(),
        second
    );
    let mut other = png.clone();
    other.extend_from_slice(b"\0");
    keep(other).await;
    let third = media::media_id(&app.state, firm.id, "receipt:1:valid")
        .await
        .unwrap();
    assert_ne!(third, second);
    assert_eq!(uploads(), 3);
    // Another firm's key is not found.
    assert!(
        media::media_id(&app.state, firm.id + 1000, "receipt:1:valid")
            .await
            .is_err()
    );
}

/// 发送收据 from the page: the receipt image goes up once and its media id comes back; the
/// endpoint needs the CSRF header and the billing permission.
#[tokio::test]
async fn a_receipt_is_uploaded_as_temporary_media_for_the_chat() {
    use zhangfang::db::entities::employee::Role;
    use zhangfang::domain::money::Money;
    use zhangfang::services::payments::{self, Allocation, NewPayment};
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, seed::DEMO_SEED, as_of);
    let sandbox = Sandbox::new(dataset.clone(), SandboxOptions::default());
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    tokio::spawn(server.run());
    let app = spawn_app_with(|s| s.wecom.api_base = format!("http://{address}")).await;
    let firm = firms::create_firm(
        app.state.db.write(),
        &dataset.corp_id,
        &dataset.corp_name,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    firms::add_app(
        app.state.db.write(),
        &app.state.secrets,
        firm.id,
        NewApp {
            agent_id: dataset.app.agent_id.clone(),
            name: dataset.app.name.clone(),
            kind: zhangfang::db::entities::wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(Secret::new(dataset.app.secret.clone())),
            token: Secret::new(dataset.app.token.clone()),
            encoding_aes_key: Secret::new(dataset.app.encoding_aes_key.clone()),
            is_primary: true,
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    for (userid, perms) in [
        ("cashier", &["billing", "billing_confirm", "collection"][..]),
        ("plain", &["basic"][..]),
    ] {
        app.add_employee(
            firm.id,
            crate::helpers::NewEmployee {
                name: userid,
                userid: Some(userid),
                role: Role::Staff,
                permissions: perms,
                ..Default::default()
            },
        )
        .await;
    }
    let customer_id = app.add_customer(firm.id, "鑫犇淼燚有限公司").await;
    app.state
        .db
        .write()
        .execute_unprepared("UPDATE employee SET data_scope = 'all'")
        .await
        .unwrap();
    app.add_receivable(
        firm.id,
        customer_id,
        "2026-01",
        "2026-03",
        90000,
        "2026-01-15",
    )
    .await;
    let me = app.current_employee("cashier").await;
    let done = payments::confirm(
        &app.state,
        &me,
        None,
        NewPayment {
            customer_id,
            amount: Money::from_yuan(900),
            method: zhangfang::db::entities::payment::Method::Transfer,
            paid_on: as_of,
            payer: None,
            note: None,
            allocation: Allocation::OldestFirst,
        },
    )
    .await
    .unwrap();
    let page = format!("/sidebar/customers/{customer_id}/billing");
    let browser = app.signed_in("cashier").await;
    let token = browser.csrf_token(&page).await;
    let url = browser.url(&format!("{page}/receipts/{}/media", done.receipt_id));
    let without = browser.client.post(&url).send().await.unwrap();
    assert_eq!(without.status(), 403);
    let r = browser
        .client
        .post(&url)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let media_id = body["media_id"].as_str().unwrap().to_string();
    let uploaded = sandbox.media(&media_id).expect("uploaded");
    assert!(uploaded.bytes.starts_with(b"\x89PNG"));
    assert_eq!(body["filename"], "收据SJ-2026-000001.png");
    // Asked again, the same id.
    let again: serde_json::Value = browser
        .client
        .post(&url)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["media_id"], media_id.as_str());
    assert_eq!(sandbox.calls("media/upload"), 1);

    // 分享 a collection detail the same way.
    let collection_id = zhangfang::services::collection::record(
        &app.state,
        &me,
        None,
        zhangfang::services::collection::NewCollection {
            customer_id,
            period: zhangfang::domain::period::Period::parse("2026-10").unwrap(),
            lines: vec![zhangfang::services::collection::Line {
                doc_type: "银行回单".into(),
                count: 3,
                amount_fen: 0,
            }],
            note: None,
            complete: true,
            files: Vec::new(),
        },
    )
    .await
    .unwrap();
    let url = browser.url(&format!(
        "/sidebar/customers/{customer_id}/collection/{collection_id}/media"
    ));
    let body: serde_json::Value = browser
        .client
        .post(&url)
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shared = sandbox
        .media(body["media_id"].as_str().unwrap())
        .expect("uploaded");
    assert_eq!(shared.kind, "image");
    assert_eq!(sandbox.calls("media/upload"), 2);
    let plain = app.signed_in("plain").await;
    let plain_token = plain.csrf_token("/sidebar").await;
    let refused = plain
        .client
        .post(plain.url(&format!("{page}/receipts/{}/media", done.receipt_id)))
        .header("x-csrf-token", &plain_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}
