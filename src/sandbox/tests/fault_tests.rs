//! Injected faults, latency and call statistics.

use std::time::{Duration, Instant};

use serde_json::json;

use super::builder::{CORP_ID, SECRET};
use super::{app, errcode, get, json, post_json, small_sandbox, token};
use crate::sandbox::Fault;

#[actix_web::test]
async fn errcode_fault_on_one_api() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    sb.inject(Fault::error("externalcontact/list", 45009, 2));
    assert_eq!(sb.pending_faults(), 2);
    let list = format!("/cgi-bin/externalcontact/list?access_token={t}&userid=zhangsan");
    let other = format!("/cgi-bin/user/get?access_token={t}&userid=zhangsan");
    assert_eq!(
        errcode(&json(&app, get(&other).to_request()).await),
        0,
        "other APIs unaffected"
    );
    for _ in 0..2 {
        let v = json(&app, get(&list).to_request()).await;
        assert_eq!(errcode(&v), 45009);
        assert!(v.get("external_userid").is_none());
        assert!(
            v["errmsg"]
                .as_str()
                .unwrap()
                .starts_with("api freq out of limit")
        );
    }
    assert_eq!(
        errcode(&json(&app, get(&list).to_request()).await),
        0,
        "then normal again"
    );
    assert_eq!(
        sb.calls("externalcontact/list"),
        3,
        "faulted calls count too"
    );
    assert_eq!(sb.calls("user/get"), 1);
    assert_eq!(sb.pending_faults(), 0);
}

#[actix_web::test]
async fn fault_on_every_api_includes_gettoken() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    sb.inject(Fault::everywhere(-1, 2));
    let gettoken = format!("/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}");
    let v = json(&app, get(&gettoken).to_request()).await;
    assert_eq!(errcode(&v), -1);
    assert_eq!(
        v["errmsg"].as_str().unwrap().split(',').next(),
        Some("system busy")
    );
    let v = json(
        &app,
        get("/cgi-bin/user/get?access_token=whatever").to_request(),
    )
    .await;
    assert_eq!(errcode(&v), -1, "faults come before the token check");
    let t = token!(app);
    let v = json(
        &app,
        get(&format!("/cgi-bin/user/get?access_token={t}&userid=lisi")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 0);
}

#[actix_web::test]
async fn injected_42001_really_expires_the_token() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    sb.inject(Fault::error(
        "externalcontact/get_follow_user_list",
        42001,
        1,
    ));
    let uri = |t: &str| format!("/cgi-bin/externalcontact/get_follow_user_list?access_token={t}");
    assert_eq!(
        errcode(&json(&app, get(&uri(&t)).to_request()).await),
        42001
    );
    // No fault left, yet the token stays expired on every API: a fresh gettoken is needed.
    assert_eq!(sb.pending_faults(), 0);
    assert_eq!(
        errcode(&json(&app, get(&uri(&t)).to_request()).await),
        42001
    );
    assert_eq!(
        errcode(
            &json(
                &app,
                get(&format!("/cgi-bin/user/get?access_token={t}&userid=lisi")).to_request()
            )
            .await
        ),
        42001
    );
    let fresh = token!(app);
    assert_eq!(
        errcode(&json(&app, get(&uri(&fresh)).to_request()).await),
        0
    );
}

#[actix_web::test]
async fn injected_40014_revokes_the_token() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let other = token!(app);
    sb.inject(Fault::everywhere(40014, 1));
    let uri = |t: &str| format!("/cgi-bin/user/get?access_token={t}&userid=lisi");
    assert_eq!(
        errcode(&json(&app, get(&uri(&t)).to_request()).await),
        40014
    );
    assert_eq!(
        errcode(&json(&app, get(&uri(&t)).to_request()).await),
        40014
    );
    assert_eq!(
        errcode(&json(&app, get(&uri(&other)).to_request()).await),
        0,
        "only that token"
    );
}

#[actix_web::test]
async fn token_faults_on_every_api_skip_gettoken() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    sb.inject(Fault::everywhere(42001, 1));
    // gettoken is not hit by a token error, so the client can recover...
    let t = token!(app);
    // ...and the next API call takes the fault.
    let v = json(
        &app,
        get(&format!("/cgi-bin/user/get?access_token={t}&userid=lisi")).to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 42001);
    // But naming gettoken explicitly applies any code to it.
    sb.inject(Fault::error("gettoken", 40001, 1));
    let v = json(
        &app,
        get(&format!(
            "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .to_request(),
    )
    .await;
    assert_eq!(errcode(&v), 40001);
}

#[actix_web::test]
async fn faults_are_consumed_in_order_and_can_be_cleared() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    sb.inject(Fault::error("/cgi-bin/user/get", 45009, 1));
    sb.inject(Fault::error("user/get", -1, 1));
    sb.inject(Fault::error("user/get", 48002, 0));
    let uri = format!("/cgi-bin/user/get?access_token={t}&userid=lisi");
    assert_eq!(errcode(&json(&app, get(&uri).to_request()).await), 45009);
    assert_eq!(errcode(&json(&app, get(&uri).to_request()).await), -1);
    assert_eq!(
        errcode(&json(&app, get(&uri).to_request()).await),
        0,
        "times 0 injects nothing"
    );
    sb.inject(Fault::everywhere(45033, 5));
    sb.clear_faults();
    assert_eq!(errcode(&json(&app, get(&uri).to_request()).await), 0);
}

#[actix_web::test]
async fn latency_then_normal_answer() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    sb.inject(Fault::latency(
        Some("user/get"),
        Duration::from_millis(150),
        1,
    ));
    let uri = format!("/cgi-bin/user/get?access_token={t}&userid=lisi");
    let started = Instant::now();
    let v = json(&app, get(&uri).to_request()).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(errcode(&v), 0);
    assert_eq!(v["userid"], "lisi");
    let started = Instant::now();
    json(&app, get(&uri).to_request()).await;
    assert!(started.elapsed() < Duration::from_millis(150));

    // Latency and an error together.
    sb.inject(Fault {
        api: Some("user/get".into()),
        errcode: -1,
        times: 1,
        latency: Some(Duration::from_millis(100)),
    });
    let started = Instant::now();
    let v = json(&app, get(&uri).to_request()).await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(errcode(&v), -1);
}

#[actix_web::test]
async fn faults_over_http() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let v = json(
        &app,
        post_json(
            "/_sandbox/faults",
            &json!({"api": "externalcontact/groupchat/list", "errcode": 45033, "times": 2}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(v["ok"], true);
    assert_eq!(v["pending"], 2);
    let uri = format!("/cgi-bin/externalcontact/groupchat/list?access_token={t}");
    for _ in 0..2 {
        let v = json(&app, post_json(&uri, &json!({"limit": 10})).to_request()).await;
        assert_eq!(errcode(&v), 45033);
    }
    let v = json(&app, post_json(&uri, &json!({"limit": 10})).to_request()).await;
    assert_eq!(errcode(&v), 0);

    let v = json(
        &app,
        post_json("/_sandbox/faults", &json!({"latency_ms": 50})).to_request(),
    )
    .await;
    assert_eq!(v["pending"], 1);
    let started = Instant::now();
    let v = json(
        &app,
        get(&format!("/cgi-bin/user/get?access_token={t}&userid=lisi")).to_request(),
    )
    .await;
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(errcode(&v), 0);

    json(
        &app,
        post_json("/_sandbox/faults", &json!({"errcode": -1, "times": 9})).to_request(),
    )
    .await;
    let (status, _) = super::call(
        &app,
        actix_web::test::TestRequest::delete()
            .uri("/_sandbox/faults")
            .to_request(),
    )
    .await;
    assert_eq!(status, actix_web::http::StatusCode::OK);
    assert_eq!(sb.pending_faults(), 0);
}

#[actix_web::test]
async fn stats_count_every_call_and_reset() {
    let (sb, _) = small_sandbox();
    let app = app!(sb);
    let t = token!(app);
    let _ = token!(app);
    for _ in 0..3 {
        json(
            &app,
            get(&format!(
                "/cgi-bin/externalcontact/list?access_token={t}&userid=lisi"
            ))
            .to_request(),
        )
        .await;
    }
    json(&app, get("/cgi-bin/externalcontact/list").to_request()).await;
    assert_eq!(sb.calls("gettoken"), 2);
    assert_eq!(
        sb.calls("externalcontact/list"),
        4,
        "rejected calls count too"
    );
    assert_eq!(sb.calls("user/get"), 0);
    let stats = sb.stats();
    assert_eq!(stats.len(), 2);
    let v = json(&app, get("/_sandbox/stats").to_request()).await;
    assert_eq!(v["calls"]["externalcontact/list"], 4);
    assert_eq!(v["total"], 6);
    sb.reset_stats();
    assert_eq!(sb.calls("gettoken"), 0);
    assert!(sb.stats().is_empty());
}
