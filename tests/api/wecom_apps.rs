//! The registry of firms' WeCom apps: one cache for callback keys and API credentials.

use chrono::Duration;
use sea_orm::ConnectionTrait;

use crate::helpers::spawn_app;

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

#[tokio::test]
async fn a_change_on_one_instance_reaches_the_others_within_ten_seconds() {
    let first = spawn_app().await;
    let firm = first
        .add_firm("wwregistry00001", "RegistryToken", KEY)
        .await;
    let second = first.another_instance().await;
    let agent = |apps: std::sync::Arc<zhangfang::services::wecom_apps::FirmApps>| {
        apps.app(None).map(|a| a.agent_id.clone())
    };
    let seen = second.state.apps.by_firm(firm.firm_id).await.unwrap();
    assert_eq!(agent(seen), Some("1000002".to_string()));
    // An admin on the first instance changes the app.
    first
        .state
        .db
        .write()
        .execute_raw(zhangfang::db::statement(
            first.backend(),
            "UPDATE wecom_app SET agent_id = '1000009' WHERE id = ?",
            [firm.app_id.into()],
        ))
        .await
        .unwrap();
    first.state.apps.invalidate(firm.firm_id);
    let here = first.state.apps.by_firm(firm.firm_id).await.unwrap();
    assert_eq!(
        agent(here),
        Some("1000009".to_string()),
        "at once where it was made"
    );
    let there = second.state.apps.by_firm(firm.firm_id).await.unwrap();
    assert_eq!(
        agent(there),
        Some("1000002".to_string()),
        "cached a moment longer"
    );
    first.clock.advance(Duration::seconds(11));
    let there = second.state.apps.by_firm(firm.firm_id).await.unwrap();
    assert_eq!(
        agent(there),
        Some("1000009".to_string()),
        "within ten seconds"
    );
}

#[tokio::test]
async fn probing_many_unknown_corps_never_evicts_a_real_firm() {
    let app = spawn_app().await;
    app.add_firm("wwregistry00002", "RegistryToken", KEY).await;
    assert!(
        app.state
            .apps
            .by_corp("wwregistry00002")
            .await
            .unwrap()
            .is_some()
    );
    for i in 0..12_000 {
        let unknown = format!("wwprobe{i:08}");
        assert!(app.state.apps.by_corp(&unknown).await.unwrap().is_none());
    }
    // Were the real firm evicted, this lookup would go to the database and find it gone.
    app.state
        .db
        .write()
        .execute_raw(zhangfang::db::statement(
            app.backend(),
            "UPDATE firm SET status = 'suspended' WHERE corp_id = ?",
            ["wwregistry00002".into()],
        ))
        .await
        .unwrap();
    assert!(
        app.state
            .apps
            .by_corp("wwregistry00002")
            .await
            .unwrap()
            .is_some(),
        "still served from the cache within its TTL"
    );
}
