//! The shared access-token and ticket cache against a WeCom stand-in that counts calls (wiremock),
//! on the test's real database (SQLite, or PostgreSQL with TEST_DATABASE_URL).

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zhangfang::config::Settings;
use zhangfang::db::Database;
use zhangfang::domain::clock::Clock;
use zhangfang::services::token_store::DbTokenStore;
use zhangfang::wecom::http_api::HttpWecomApi;
use zhangfang::wecom::token_cache::{
    AppCredentials, StoredToken, TokenCache, TokenKey, TokenKind, TokenStore,
};

use crate::helpers::{TestApp, TestFirm, spawn_app};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

struct Setup {
    app: TestApp,
    firm: TestFirm,
    wecom: MockServer,
    creds: AppCredentials,
}

async fn setup() -> Setup {
    let app = spawn_app().await;
    let firm = app.add_firm("wwtokencache0001", "Token1", KEY).await;
    let wecom = MockServer::start().await;
    Setup {
        app,
        firm,
        wecom,
        creds: AppCredentials {
            corp_id: "wwtokencache0001".into(),
            secret: "test-secret".into(),
        },
    }
}

fn cache_on(db: &Database, s: &Setup, holder: &str) -> Arc<TokenCache> {
    let api = HttpWecomApi::new(url::Url::parse(&s.wecom.uri()).unwrap()).unwrap();
    let clock = s.app.clock.clone();
    Arc::new(TokenCache::new(
        Arc::new(api),
        Arc::new(DbTokenStore::new(db.clone(), s.app.state.secrets.clone())),
        Arc::new(move || clock.now()),
        holder.to_string(),
    ))
}

fn gettoken(token: &str, delay_ms: u64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}),
        )
        .set_delay(Duration::from_millis(delay_ms))
}

fn key(s: &Setup, kind: TokenKind) -> TokenKey {
    TokenKey {
        tenant: s.firm.firm_id,
        app: s.firm.app_id,
        kind,
    }
}

async fn store_token(s: &Setup, value: &str, expires_in: ChronoDuration) {
    let store = DbTokenStore::new(s.app.state.db.clone(), s.app.state.secrets.clone());
    let k = key(s, TokenKind::AccessToken);
    let now = s.app.clock.now();
    assert!(
        store
            .try_lease(k, "seeder", now, now + ChronoDuration::seconds(5))
            .await
            .unwrap()
    );
    store
        .save(
            k,
            "seeder",
            &StoredToken {
                value: value.into(),
                expires_at: now + expires_in,
            },
            now,
        )
        .await
        .unwrap();
}

async fn concurrent_tokens(caches: &[Arc<TokenCache>], per_cache: usize, s: &Setup) -> Vec<String> {
    let mut tasks = Vec::new();
    for cache in caches {
        for _ in 0..per_cache {
            let cache = cache.clone();
            let (tenant, app, creds) = (s.firm.firm_id, s.firm.app_id, s.creds.clone());
            tasks.push(tokio::spawn(async move {
                cache.access_token(tenant, app, &creds).await
            }));
        }
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().expect("a token"));
    }
    tokens
}

#[tokio::test]
async fn two_hundred_concurrent_calls_with_an_expired_token_make_one_gettoken_call() {
    let s = setup().await;
    store_token(&s, "EXPIRED", ChronoDuration::seconds(-10)).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .and(query_param("corpid", "wwtokencache0001"))
        .respond_with(gettoken("FRESH", 80))
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    let tokens = concurrent_tokens(&[cache], 200, &s).await;
    assert!(tokens.iter().all(|t| t == "FRESH"));
}

#[tokio::test]
async fn two_instances_on_one_database_fetch_at_most_once_per_expiry() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("FIRST", 80))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s.wecom)
        .await;
    // A second instance: its own pools on the same database, its own in-process state.
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = s.app.state.settings.database.url.clone();
    let other_db = Database::connect(&settings).await.unwrap();
    let a = cache_on(&s.app.state.db, &s, "instance-a");
    let b = cache_on(&other_db, &s, "instance-b");
    let tokens = concurrent_tokens(&[a.clone(), b.clone()], 100, &s).await;
    assert!(tokens.iter().all(|t| t == "FIRST"));

    // After the token expires, again exactly one of the two instances fetches.
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("SECOND", 80))
        .expect(1)
        .mount(&s.wecom)
        .await;
    s.app.clock.advance(ChronoDuration::seconds(7200));
    let tokens = concurrent_tokens(&[a, b], 100, &s).await;
    assert!(tokens.iter().all(|t| t == "SECOND"), "{:?}", &tokens[..3]);
    other_db.close().await;
}

#[tokio::test]
async fn a_token_invalidated_early_is_replaced_once_and_the_call_succeeds() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("REVOKED", 0))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    assert_eq!(
        cache
            .access_token(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .unwrap(),
        "REVOKED"
    );
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("REPLACEMENT", 0))
        .expect(1)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/externalcontact/get_follow_user_list"))
        .and(query_param("access_token", "REVOKED"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40014, "errmsg": "invalid access_token"})),
        )
        .expect(1)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/externalcontact/get_follow_user_list"))
        .and(query_param("access_token", "REPLACEMENT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "follow_user": ["zhangsan", "lisi"]}),
        ))
        .expect(1)
        .mount(&s.wecom)
        .await;
    let api = cache.api().clone();
    let users = cache
        .with_access_token(s.firm.firm_id, s.firm.app_id, &s.creds, |token| {
            let api = api.clone();
            async move { api.get_follow_user_list(&token).await }
        })
        .await
        .expect("the retry succeeds");
    assert_eq!(users, vec!["zhangsan".to_string(), "lisi".to_string()]);
}

#[tokio::test]
async fn a_call_failing_twice_with_an_invalid_token_is_retried_only_once() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("ANY", 0))
        .expect(2)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/externalcontact/get_follow_user_list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 42001, "errmsg": "access_token expired"})),
        )
        .expect(2)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    let api = cache.api().clone();
    let result = cache
        .with_access_token(s.firm.firm_id, s.firm.app_id, &s.creds, |token| {
            let api = api.clone();
            async move { api.get_follow_user_list(&token).await }
        })
        .await;
    let err = result.expect_err("still failing after one retry");
    assert_eq!(err.wecom().and_then(|e| e.errcode()), Some(42001));
}

#[tokio::test]
async fn a_wrong_secret_is_never_retried_in_a_loop() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40001, "errmsg": "invalid credential"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    for _ in 0..5 {
        let err = cache
            .access_token(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .expect_err("bad secret");
        let wecom = err.wecom().expect("a WeCom error");
        assert_eq!(wecom.errcode(), Some(40001));
        assert!(wecom.admin_hint().is_some_and(|h| h.contains("Secret")));
    }
    // After the backoff window one more attempt is allowed.
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("FIXED", 0))
        .expect(1)
        .mount(&s.wecom)
        .await;
    s.app.clock.advance(ChronoDuration::seconds(61));
    assert_eq!(
        cache
            .access_token(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .unwrap(),
        "FIXED"
    );
}

#[tokio::test]
async fn a_busy_wecom_is_retried_with_backoff() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": -1, "errmsg": "system busy"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("AFTER_BUSY", 0))
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    assert_eq!(
        cache
            .access_token(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .unwrap(),
        "AFTER_BUSY"
    );
}

#[tokio::test]
async fn near_expiry_one_caller_refreshes_while_the_others_keep_the_current_token() {
    let s = setup().await;
    store_token(&s, "CURRENT", ChronoDuration::seconds(120)).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("NEXT", 100))
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    let tokens = concurrent_tokens(std::slice::from_ref(&cache), 50, &s).await;
    assert!(tokens.iter().all(|t| t == "CURRENT" || t == "NEXT"));
    assert!(
        tokens.iter().any(|t| t == "CURRENT"),
        "nobody waited for the refresh"
    );
    assert_eq!(
        cache
            .access_token(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .unwrap(),
        "NEXT"
    );
}

#[tokio::test]
async fn both_js_sdk_tickets_are_fetched_once_and_reused() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("TOKEN", 0))
        .expect(1)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/get_jsapi_ticket"))
        .and(query_param("access_token", "TOKEN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "ticket": "CORP_TICKET", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&s.wecom)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/ticket/get"))
        .and(query_param("type", "agent_config"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"errcode": 0, "errmsg": "ok", "ticket": "AGENT_TICKET", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&s.wecom)
        .await;
    let cache = cache_on(&s.app.state.db, &s, "instance-a");
    for _ in 0..20 {
        assert_eq!(
            cache
                .jsapi_ticket(s.firm.firm_id, s.firm.app_id, &s.creds)
                .await
                .unwrap(),
            "CORP_TICKET"
        );
        assert_eq!(
            cache
                .agent_ticket(s.firm.firm_id, s.firm.app_id, &s.creds)
                .await
                .unwrap(),
            "AGENT_TICKET"
        );
    }
    // A fresh instance finds both in the database and asks WeCom for nothing.
    let other = cache_on(&s.app.state.db, &s, "instance-b");
    assert_eq!(
        other
            .agent_ticket(s.firm.firm_id, s.firm.app_id, &s.creds)
            .await
            .unwrap(),
        "AGENT_TICKET"
    );
}

#[tokio::test]
async fn invalidation_never_deletes_a_newer_token() {
    let s = setup().await;
    store_token(&s, "NEWER", ChronoDuration::seconds(3600)).await;
    let store = DbTokenStore::new(s.app.state.db.clone(), s.app.state.secrets.clone());
    let k = key(&s, TokenKind::AccessToken);
    assert!(!store.invalidate(k, "OLDER").await.unwrap());
    assert_eq!(store.load(k).await.unwrap().unwrap().value, "NEWER");
    assert!(store.invalidate(k, "NEWER").await.unwrap());
    assert!(store.load(k).await.unwrap().is_none());
}

#[tokio::test]
async fn tokens_are_stored_sealed_not_in_plain_text() {
    let s = setup().await;
    store_token(&s, "PLAINTEXT-TOKEN-VALUE", ChronoDuration::seconds(3600)).await;
    let sealed =
        crate::helpers::string_value(&s.app, "SELECT value_enc FROM wecom_token_cache").await;
    assert!(sealed.starts_with("v1:"));
    assert!(!sealed.contains("PLAINTEXT"));
}

#[tokio::test]
async fn a_lease_left_by_a_crashed_holder_lapses_and_another_instance_fetches() {
    let s = setup().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(gettoken("AFTER_CRASH", 0))
        .expect(1)
        .mount(&s.wecom)
        .await;
    // An instance took the refresh lease and died before saving anything.
    let store = DbTokenStore::new(s.app.state.db.clone(), s.app.state.secrets.clone());
    let now = s.app.clock.now();
    assert!(
        store
            .try_lease(
                key(&s, TokenKind::AccessToken),
                "crashed-instance",
                now,
                now + ChronoDuration::seconds(15),
            )
            .await
            .unwrap()
    );
    let cache = cache_on(&s.app.state.db, &s, "survivor");
    let creds = s.creds.clone();
    let (tenant, app) = (s.firm.firm_id, s.firm.app_id);
    let waiting = tokio::spawn(async move { cache.access_token(tenant, app, &creds).await });
    // While the dead holder's lease runs, the survivor waits instead of fetching.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!waiting.is_finished(), "a live lease is respected");
    assert_eq!(s.wecom.received_requests().await.unwrap().len(), 0);
    // Once it has lapsed, the survivor takes the lease and fetches exactly once.
    s.app.clock.advance(ChronoDuration::seconds(16));
    let token = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the lapsed lease is taken over")
        .unwrap()
        .unwrap();
    assert_eq!(token, "AFTER_CRASH");
}
