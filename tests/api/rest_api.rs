//! The REST API under /api/v1: keys and scopes, upserts by the firm's own ids, cursors, batches,
//! idempotency, what zhangfang owns, the changes feed and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::{Value, json};
use zhangfang::domain::clock::Clock;
use zhangfang::services::api_keys;
use zhangfang::services::audit::Who;

use crate::helpers::{TestApp, spawn_app};

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

async fn key(app: &TestApp, firm_id: i64, scopes: &str) -> String {
    api_keys::create(
        &app.state.ctx,
        &Who::system(firm_id, "test"),
        "nightly",
        scopes,
    )
    .await
    .expect("key")
    .key
}

pub async fn firm_with_key(app: &TestApp, corp_id: &str, scopes: &str) -> (i64, String) {
    let firm = app.add_firm(corp_id, "tok", KEY).await;
    (firm.firm_id, key(app, firm.firm_id, scopes).await)
}

pub async fn call(
    app: &TestApp,
    method: reqwest::Method,
    key: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    call(app, reqwest::Method::POST, key, path, Some(body)).await
}

async fn get(app: &TestApp, key: &str, path: &str) -> (StatusCode, Value) {
    call(app, reqwest::Method::GET, key, path, None).await
}

fn customer(ext: &str, name: &str) -> Value {
    json!({ "external_id": ext, "name": name })
}

#[tokio::test]
async fn a_customer_is_upserted_by_the_firms_own_id_with_documented_defaults() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapi1", "all").await;

    let (status, created) = post(
        &app,
        &key,
        "/api/v1/customers",
        customer("C-1", "杭州鑫犇科技有限公司"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["taxpayer_type"], "small_scale");
    assert_eq!(created["vat_period"], "quarter");
    assert_eq!(created["service_status"], "serving");
    assert_eq!(created["external_id"], "C-1");

    // The same push again changes nothing; a changed name updates the same row.
    let (status, again) = post(
        &app,
        &key,
        "/api/v1/customers",
        customer("C-1", "杭州鑫犇科技有限公司"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], created["id"]);
    assert_eq!(
        again["updated_at"], created["updated_at"],
        "unchanged rows are not rewritten"
    );
    let (status, renamed) = post(
        &app,
        &key,
        "/api/v1/customers",
        customer("C-1", "杭州鑫犇信息科技有限公司"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renamed["id"], created["id"]);
    assert_eq!(renamed["name"], "杭州鑫犇信息科技有限公司");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id} AND external_id = 'C-1'"
        ))
        .await,
        1
    );
    // Every write is in the audit log, attributed to the key.
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM audit_log WHERE firm_id = {firm_id} AND entity = 'customer' AND actor = 'api:nightly'")).await,
        2
    );

    let id = created["id"].as_i64().unwrap();
    let (status, one) = get(&app, &key, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["name"], "杭州鑫犇信息科技有限公司");
}

#[tokio::test]
async fn bad_input_is_refused_field_by_field() {
    let app = spawn_app().await;
    let (_, key) = firm_with_key(&app, "wwapi2", "all").await;
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/customers",
        json!({ "external_id": "C-2", "name": " ", "uscc": "91330100MA2B3C4D5", "city_tax_level": 3 }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "validation_failed");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"uscc") && fields.contains(&"city_tax_level"),
        "{body}"
    );

    // An unknown field is a typo, not something to drop silently.
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/customers",
        json!({ "external_id": "C-3", "name": "甲", "nmae": "乙" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["details"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nmae"),
        "{body}"
    );

    // Malformed JSON says where.
    let res = app
        .client
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{\"external_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // An invoice whose total is not amount + tax.
    post(&app, &key, "/api/v1/customers", customer("C-4", "丙公司")).await;
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/invoices",
        json!({
            "external_id": "INV-1", "customer_external_id": "C-4", "direction": "out",
            "kind": "ordinary_digital", "number": "26332000000012345678", "issue_date": "2026-10-15",
            "counterparty_name": "丁公司", "amount_fen": 10000, "rate_bp": 100, "tax_fen": 100,
            "total_fen": 10200
        }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"][0]["field"], "total_fen");
}

#[tokio::test]
async fn keys_are_scoped_to_their_firm_and_their_rights() {
    let app = spawn_app().await;
    let (_, key_a) = firm_with_key(&app, "wwapia", "all").await;
    let (firm_b, key_b) = firm_with_key(&app, "wwapib", "all").await;
    let (_, created) = post(&app, &key_a, "/api/v1/customers", customer("A-1", "甲公司")).await;
    let id = created["id"].as_i64().unwrap();

    // Firm B sees nothing of firm A, and cannot touch its row by id.
    let (status, page) = get(&app, &key_b, "/api/v1/customers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"].as_array().unwrap().len(), 0);
    let (status, _) = get(&app, &key_b, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        reqwest::Method::PUT,
        &key_b,
        &format!("/api/v1/customers/{id}"),
        Some(customer("B-1", "乙")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &key_b,
        &format!("/api/v1/customers/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The same external id in firm B is firm B's own row.
    let (status, b_row) = post(&app, &key_b, "/api/v1/customers", customer("A-1", "乙公司")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(b_row["id"], created["id"]);
    // A contact cannot be attached to firm A's customer from firm B.
    let (status, body) = post(
        &app,
        &key_b,
        "/api/v1/contacts",
        json!({ "external_id": "P-1", "customer_id": id, "name": "张三" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, a_row) = get(&app, &key_a, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(a_row["name"], "甲公司");

    // A read-only key reads but cannot write.
    let reader = key(&app, firm_b, "customers:read").await;
    let (status, _) = get(&app, &reader, "/api/v1/customers").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(&app, &reader, "/api/v1/customers", customer("B-2", "丙")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = get(&app, &reader, "/api/v1/invoices").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // No key, a wrong key and a revoked key are all 401 with a Bearer challenge.
    let res = app
        .client
        .get(app.url("/api/v1/customers"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let (status, _) = get(&app, "zf_live_not-a-key", "/api/v1/customers").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let key_id = app
        .count(&format!(
            "SELECT MAX(id) FROM api_key WHERE firm_id = {firm_b}"
        ))
        .await;
    api_keys::revoke(&app.state.ctx, &Who::system(firm_b, "test"), key_id)
        .await
        .unwrap();
    let (status, _) = get(&app, &reader, "/api/v1/customers").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn lists_page_with_a_stable_cursor_and_filter_by_customer_period_and_time() {
    let app = spawn_app().await;
    let (_, key) = firm_with_key(&app, "wwapi3", "all").await;
    for i in 0..5 {
        post(
            &app,
            &key,
            "/api/v1/customers",
            customer(&format!("C-{i}"), &format!("公司{i}")),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/customers?limit=2".to_string();
    loop {
        let (status, page) = get(&app, &key, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for row in page["data"].as_array().unwrap() {
            seen.push(row["external_id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/customers?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["C-0", "C-1", "C-2", "C-3", "C-4"]);

    let invoice = |ext: &str, cust: &str, date: &str| {
        json!({
            "external_id": ext, "customer_external_id": cust, "direction": "in", "kind": "special_digital",
            "number": ext, "issue_date": date, "counterparty_name": "供应商",
            "amount_fen": 100000, "rate_bp": 1300, "tax_fen": 13000, "total_fen": 113000
        })
    };
    post(
        &app,
        &key,
        "/api/v1/invoices",
        invoice("I-1", "C-1", "2026-09-03"),
    )
    .await;
    post(
        &app,
        &key,
        "/api/v1/invoices",
        invoice("I-2", "C-1", "2026-10-03"),
    )
    .await;
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/invoices",
        invoice("I-3", "C-2", "2026-10-05"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["period"], "2026-10");
    assert_eq!(body["deductible"], true);
    let (_, page) = get(
        &app,
        &key,
        "/api/v1/invoices?customer_external_id=C-1&period=2026-10",
    )
    .await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["I-2"]);

    app.clock.advance(chrono::Duration::minutes(5));
    let since = app
        .clock
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    post(
        &app,
        &key,
        "/api/v1/customers",
        customer("C-3", "公司三（改名）"),
    )
    .await;
    let (_, page) = get(
        &app,
        &key,
        &format!(
            "/api/v1/customers?updated_since={}",
            since.replace('+', "%2B")
        ),
    )
    .await;
    let ids: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["C-3"]);

    let (status, body) = get(&app, &key, "/api/v1/customers?period=2026-10").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = get(&app, &key, "/api/v1/customers?cursor=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_and_names_every_bad_row() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapi4", "all").await;
    let rows: Vec<Value> = (0..10)
        .map(|i| {
            if i == 3 || i == 7 {
                json!({ "external_id": format!("C-{i}"), "name": "" })
            } else {
                customer(&format!("C-{i}"), &format!("公司{i}"))
            }
        })
        .collect();
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/customers:batch",
        json!({ "rows": rows }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let bad: Vec<i64> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["row"].as_i64().unwrap())
        .collect();
    assert_eq!(bad, [3, 7]);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await,
        0
    );

    let rows: Vec<Value> = (0..10)
        .map(|i| customer(&format!("C-{i}"), &format!("公司{i}")))
        .collect();
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/customers:batch",
        json!({ "rows": rows }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 10);
    assert_eq!(body["rows"][0]["outcome"], "created");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await,
        10
    );

    // A duplicate external id within one batch is a row error too.
    let rows = vec![customer("D-1", "甲"), customer("D-1", "乙")];
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/customers:batch",
        json!({ "rows": rows }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"][0]["row"], 1);
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_answer_byte_for_byte() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapi5", "all").await;
    let send = |body: Value, idem: &'static str| {
        let app = &app;
        let key = key.clone();
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/customers"))
                .bearer_auth(key)
                .header("Idempotency-Key", idem)
                .json(&body)
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let first = send(customer("C-1", "甲公司"), "push-2026-11-26").await;
    assert_eq!(first.0, StatusCode::CREATED);
    app.clock.advance(chrono::Duration::minutes(1));
    let second = send(customer("C-1", "甲公司"), "push-2026-11-26").await;
    assert_eq!(second, first, "the same status and body, byte for byte");
    let other = send(customer("C-1", "乙公司"), "push-2026-11-26").await;
    assert_eq!(other.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE firm_id = {firm_id} AND entity = 'customer'"
        ))
        .await,
        1,
        "the replay did not write again"
    );
}

#[tokio::test]
async fn a_push_never_overwrites_what_was_paid_in_zhangfang() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapi6", "all").await;
    post(&app, &key, "/api/v1/customers", customer("C-1", "甲公司")).await;
    let receivable = json!({
        "external_id": "R-1", "customer_external_id": "C-1", "fee_item": "代理记账费",
        "period_from": "2026-10", "period_to": "2026-12", "amount_fen": 90000, "due_date": "2026-10-15"
    });
    let (status, row) = post(&app, &key, "/api/v1/receivables", receivable.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["status"], "open");
    let id = row["id"].as_i64().unwrap();
    // A payment of 600 yuan confirmed in zhangfang.
    app.execute(
        "UPDATE receivable SET paid_fen = 60000, status = 'partial' WHERE id = ?",
        vec![id.into()],
    )
    .await;

    let mut smaller = receivable.clone();
    smaller["amount_fen"] = json!(50000);
    let (status, body) = post(&app, &key, "/api/v1/receivables", smaller).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "owned_by_zhangfang");
    assert_eq!(body["details"][0]["field"], "amount_fen");
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &key,
        &format!("/api/v1/receivables/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A larger amount keeps what was paid, and the status follows.
    let mut larger = receivable.clone();
    larger["amount_fen"] = json!(120000);
    let (status, body) = post(&app, &key, "/api/v1/receivables", larger).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["paid_fen"], 60000);
    assert_eq!(body["status"], "partial");
    assert!(firm_id > 0);
}

#[tokio::test]
async fn the_changes_feed_lists_every_write_in_order_within_the_keys_scopes() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapi7", "all").await;
    post(&app, &key, "/api/v1/customers", customer("C-1", "甲公司")).await;
    post(
        &app,
        &key,
        "/api/v1/contacts",
        json!({ "external_id": "P-1", "customer_external_id": "C-1", "name": "王会计", "role": "finance", "mobile": "13800000001" }),
    )
    .await;
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &key,
        "/api/v1/contacts/1",
        None,
    )
    .await;
    assert!(status == StatusCode::NO_CONTENT || status == StatusCode::NOT_FOUND);
    // Rows only settle after two seconds.
    let (_, page) = get(&app, &key, "/api/v1/changes").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 0, "{page}");
    assert_eq!(page["next_cursor"], "0");
    app.clock.advance(chrono::Duration::seconds(3));

    let (status, page) = get(&app, &key, "/api/v1/changes?limit=1").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"][0]["entity"], "customer");
    assert_eq!(page["data"][0]["action"], "api.create");
    assert_eq!(page["data"][0]["data"]["name"], "甲公司");
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, rest) = get(&app, &key, &format!("/api/v1/changes?cursor={cursor}")).await;
    let entities: Vec<&str> = rest["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["entity"].as_str().unwrap())
        .collect();
    assert_eq!(entities[0], "contact");

    // A key that reads only customers sees only customers' changes.
    let reader = key_for(&app, firm_id, "customers:read").await;
    app.clock.advance(chrono::Duration::seconds(3));
    let (_, page) = get(&app, &reader, "/api/v1/changes").await;
    assert!(
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["entity"] == "customer"),
        "{page}"
    );
}

pub async fn key_for(app: &TestApp, firm_id: i64, scopes: &str) -> String {
    key(app, firm_id, scopes).await
}

#[tokio::test]
async fn a_key_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let (_, key) = firm_with_key(&app, "wwapi8", "customers:read").await;
    let mut throttled = None;
    for _ in 0..200 {
        let res = app
            .client
            .get(app.url("/api/v1/customers"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(res);
            break;
        }
    }
    let res = throttled.expect("the burst of 100 runs out within 200 quick requests");
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_the_api_serves() {
    let app = spawn_app().await;
    let (_, key) = firm_with_key(&app, "wwapi9", "all").await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for resource in [
        "customers",
        "contacts",
        "contracts",
        "receivables",
        "invoices",
        "collections",
        "filings",
        "statements",
        "tags",
    ] {
        assert!(
            paths.contains_key(&format!("/api/v1/{resource}")),
            "{resource}"
        );
        assert!(
            paths.contains_key(&format!("/api/v1/{resource}:batch")),
            "{resource}"
        );
        assert!(
            paths.contains_key(&format!("/api/v1/{resource}/{{id}}")),
            "{resource}"
        );
    }
    assert!(paths.contains_key("/api/v1/changes"));
    // Every documented operation is served: none falls through to the unknown-path answer.
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let url = path.replace("{id}", "999999");
            let res = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&url))
                .bearer_auth(&key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let body = res.text().await.unwrap();
            assert!(
                !body.contains("没有这个 API 路径"),
                "{method} {path} is documented but not served"
            );
        }
    }
    // And an undocumented path is not served.
    let res = app
        .client
        .get(app.url("/api/v1/nothing"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("没有这个 API 路径"));

    let docs = app.get("/api/v1/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/api/v1/customers") && html.contains("external_id"));
}

#[tokio::test]
async fn a_pushed_payment_is_allocated_like_a_confirmation_and_then_settled() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapipay", "all").await;
    post(&app, &key, "/api/v1/customers", customer("C-1", "甲公司")).await;
    post(&app, &key, "/api/v1/customers", customer("C-2", "乙公司")).await;
    for (ext, customer, from, to, due) in [
        ("R-1", "C-1", "2026-07", "2026-09", "2026-07-15"),
        ("R-2", "C-1", "2026-10", "2026-12", "2026-10-15"),
        ("R-9", "C-2", "2026-10", "2026-12", "2026-10-15"),
    ] {
        let (status, body) = post(
            &app,
            &key,
            "/api/v1/receivables",
            json!({
                "external_id": ext, "customer_external_id": customer, "fee_item": "代理记账费",
                "period_from": from, "period_to": to, "amount_fen": 90000, "due_date": due
            }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let paid = |ext: &'static str| {
        let app = &app;
        let key = &key;
        async move {
            let (_, page) = get(app, key, &format!("/api/v1/receivables?external_id={ext}")).await;
            (
                page["data"][0]["paid_fen"].as_i64().unwrap(),
                page["data"][0]["status"].as_str().unwrap().to_string(),
            )
        }
    };
    let payment = json!({
        "external_id": "P-1", "customer_external_id": "C-1", "amount_fen": 100000,
        "method": "wechat", "paid_on": "2026-11-20", "payer": "张三"
    });

    // Oldest due first, as a confirmation in the sidebar does.
    let (status, row) = post(&app, &key, "/api/v1/payments", payment.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["method"], "wechat");
    assert_eq!(paid("R-1").await, (90000, "paid".into()));
    assert_eq!(paid("R-2").await, (10000, "partial".into()));

    // The nightly push again allocates nothing twice.
    let (status, again) = post(&app, &key, "/api/v1/payments", payment.clone()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["updated_at"], row["updated_at"]);
    assert_eq!(paid("R-2").await, (10000, "partial".into()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payment_allocation").await,
        2
    );

    // A note may change; the amount, once allocated, may not.
    let mut noted = payment.clone();
    noted["note"] = json!("十一月服务费");
    let (status, body) = post(&app, &key, "/api/v1/payments", noted).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["note"], "十一月服务费");
    let mut more = payment.clone();
    more["amount_fen"] = json!(120000);
    let (status, body) = post(&app, &key, "/api/v1/payments", more).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["details"][0]["field"], "amount_fen");

    // Chosen allocations; more than is open, another customer's receivable, a future day.
    let (status, body) = post(
        &app,
        &key,
        "/api/v1/payments",
        json!({
            "external_id": "P-2", "customer_external_id": "C-1", "amount_fen": 80000,
            "paid_on": "2026-11-21",
            "allocations": [{"receivable_external_id": "R-2", "amount_fen": 80000}]
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["method"], "transfer", "the default method");
    assert_eq!(paid("R-2").await, (90000, "paid".into()));
    for (bad, field) in [
        (
            json!({"external_id": "P-3", "customer_external_id": "C-1", "amount_fen": 1,
                   "paid_on": "2026-11-21"}),
            "allocations",
        ),
        (
            json!({"external_id": "P-4", "customer_external_id": "C-1", "amount_fen": 100,
                   "paid_on": "2026-11-21",
                   "allocations": [{"receivable_external_id": "R-9", "amount_fen": 100}]}),
            "allocations[0]",
        ),
        (
            json!({"external_id": "P-5", "customer_external_id": "C-2", "amount_fen": 100,
                   "paid_on": "2099-01-01"}),
            "paid_on",
        ),
    ] {
        let (status, body) = post(&app, &key, "/api/v1/payments", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["details"][0]["field"], field, "{body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payment").await, 2);
    assert_eq!(paid("R-9").await, (0, "open".into()));

    // Payments are reversed in zhangfang, not deleted through the API.
    let id = row["id"].as_i64().unwrap();
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &key,
        &format!("/api/v1/payments/{id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A payment confirmed in zhangfang is not the bookkeeping system's to change.
    let c1 = app
        .count("SELECT id FROM customer WHERE external_id = 'C-1'")
        .await;
    app.execute(
        "INSERT INTO payment (firm_id, customer_id, amount_fen, method, paid_at, created_at, updated_at) \
         VALUES (?, ?, 500, 'cash', ?, ?, ?)",
        vec![
            firm_id.into(),
            c1.into(),
            app.clock.now().into(),
            app.clock.now().into(),
            app.clock.now().into(),
        ],
    )
    .await;
    let ours = app.count("SELECT MAX(id) FROM payment").await;
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &key,
        &format!("/api/v1/payments/{ours}"),
        Some(
            json!({"external_id": "P-9", "customer_external_id": "C-1", "amount_fen": 500,
                    "paid_on": "2026-11-21"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Another firm sees none of it; a read-only key cannot push.
    let (other_firm, other_key) = firm_with_key(&app, "wwapipay2", "payments:read").await;
    assert!(other_firm != firm_id);
    let (status, _) = get(&app, &other_key, &format!("/api/v1/payments/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = get(&app, &other_key, "/api/v1/payments").await;
    assert_eq!(page["data"], json!([]));
    let (status, _) = post(&app, &other_key, "/api/v1/payments", payment).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn missing_invoices_are_pushed_under_the_collections_scope_and_stay_resolved() {
    let app = spawn_app().await;
    let (firm_id, key) = firm_with_key(&app, "wwapimiss", "collections:write").await;
    let customers_key = key_for(&app, firm_id, "customers:write").await;
    post(
        &app,
        &customers_key,
        "/api/v1/customers",
        customer("C-1", "甲公司"),
    )
    .await;
    let mark = json!({
        "external_id": "M-1", "customer_external_id": "C-1", "period": "2026-10",
        "doc_type": "进项发票", "description": "10月房租发票", "expected_fen": 300000
    });
    let (status, row) = post(&app, &key, "/api/v1/missing-invoices", mark.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{row}");
    assert_eq!(row["resolved_at"], Value::Null);
    let (status, again) = post(&app, &key, "/api/v1/missing-invoices", mark.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["updated_at"], row["updated_at"], "unchanged");
    let (_, page) = get(&app, &key, "/api/v1/missing-invoices?period=2026-10").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");

    let (status, body) = post(
        &app,
        &key,
        "/api/v1/missing-invoices",
        json!({"external_id": "M-2", "customer_external_id": "C-1", "period": "2026-13",
               "doc_type": "", "expected_fen": -1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["period", "doc_type", "expected_fen"], "{body}");

    // Resolved in zhangfang (a collection completed): a push cannot reopen it.
    let clerk = app
        .add_employee(firm_id, crate::helpers::NewEmployee::default())
        .await;
    let id = row["id"].as_i64().unwrap();
    app.execute(
        "UPDATE missing_invoice SET resolved_at = ?, resolved_by = ? WHERE id = ?",
        vec![app.clock.now().into(), clerk.into(), id.into()],
    )
    .await;
    let (status, body) = post(&app, &key, "/api/v1/missing-invoices", mark.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let mut resolved = mark.clone();
    resolved["resolved"] = json!(true);
    let (status, body) = post(&app, &key, "/api/v1/missing-invoices", resolved).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The scope is collections'; another firm sees nothing.
    let (status, _) = post(&app, &customers_key, "/api/v1/missing-invoices", mark).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, other_key) = firm_with_key(&app, "wwapimiss2", "all").await;
    let (status, _) = get(&app, &other_key, &format!("/api/v1/missing-invoices/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
