//! The demo firm's keys follow from a public seed: outside demo mode it must not exist for us.

use chrono::NaiveDate;
use zhangfang::seed::{self, DEMO_CORP_ID, DEMO_SEED, Profile, SeedOptions};

use crate::helpers::spawn_app;
use crate::wecom_fixtures::{external_contact_event, seal_event};

#[tokio::test]
async fn a_seeded_demo_firm_is_not_served_outside_demo_mode() {
    let app = spawn_app().await;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    seed::run(
        &app.state.db,
        &app.state.secrets,
        SeedOptions {
            profile: Profile::Demo,
            seed: DEMO_SEED,
            as_of,
            progress: false,
        },
    )
    .await
    .unwrap();
    let dataset = seed::wecom_dataset(Profile::Demo, DEMO_SEED, as_of);

    // A callback correctly signed with the public demo keys finds no such corp.
    let sealed = seal_event(
        &dataset.app.token,
        &dataset.app.encoding_aes_key,
        DEMO_CORP_ID,
        &external_contact_event(DEMO_CORP_ID, "wmDEMO", 1_764_000_000),
        "1764122400",
        "nonce1",
    );
    let resp = app
        .client
        .post(app.url(&format!("/wecom/callback/{DEMO_CORP_ID}?{}", sealed.query)))
        .body(sealed.body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["errcode"], 40013);
    assert_eq!(app.count("SELECT COUNT(*) FROM callback_inbox").await, 0);

    // Sign-in for the demo corp is refused as unknown.
    let resp = app.get(&format!("/sidebar?corp_id={DEMO_CORP_ID}")).await;
    assert_eq!(resp.status(), 404);

    // A session of a demo employee (left over from demo mode) opens nothing.
    let employee_id = app
        .count("SELECT MIN(id) FROM employee WHERE wecom_userid IS NOT NULL")
        .await;
    let firm_id = app.count("SELECT id FROM firm WHERE is_demo = TRUE").await;
    let token = zhangfang::services::sessions::create(
        app.state.db.write(),
        firm_id,
        employee_id,
        zhangfang::db::entities::web_session::Kind::Sidebar,
        None,
        None,
        app.clock_now(),
    )
    .await
    .unwrap();
    let resp = app
        .client
        .get(app.url("/sidebar"))
        .header("cookie", format!("zf_session={token}"))
        .send()
        .await
        .unwrap();
    assert_ne!(resp.status(), 200);
}
