//! The WeCom callback endpoint, byte for byte against Tencent's samples, and its refusals.

use aes::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::NoPadding};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::helpers::{TestApp, TestFirm, spawn_app};
use crate::wecom_fixtures::*;

async fn app_with_vector(id: &str) -> (TestApp, CallbackVector, TestFirm) {
    let app = spawn_app().await;
    let v = vector(id);
    let firm = app.add_firm(&v.rid, &v.token, &v.key).await;
    (app, v, firm)
}

async fn post_raw(app: &TestApp, path: &str, query: &str, body: String) -> reqwest::Response {
    app.client
        .post(app.url(&format!("{path}?{query}")))
        .header("content-type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn post_vector(app: &TestApp, v: &CallbackVector) -> reqwest::Response {
    let query = format!(
        "msg_signature={}&timestamp={}&nonce={}",
        v.sig, v.ts, v.nonce
    );
    post_raw(
        app,
        &format!("/wecom/callback/{}", v.rid),
        &query,
        envelope(&v.rid, &v.enc, "1000002"),
    )
    .await
}

async fn get_vector(app: &TestApp, v: &CallbackVector, echostr_param: &str) -> reqwest::Response {
    app.get(&format!(
        "/wecom/callback/{}?msg_signature={}&timestamp={}&nonce={}&echostr={echostr_param}",
        v.rid, v.sig, v.ts, v.nonce
    ))
    .await
}

async fn errcode(resp: reqwest::Response) -> i64 {
    let body: Value = resp.json().await.expect("JSON error body");
    body["errcode"].as_i64().expect("errcode")
}

async fn inbox_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM callback_inbox").await
}

#[tokio::test]
async fn every_published_get_vector_verifies_the_url_over_http() {
    let app = spawn_app().await;
    for v in callback_vectors().into_iter().filter(is_get) {
        app.add_firm(&v.rid, &v.token, &v.key).await;
        let resp = get_vector(&app, &v, &encode(&v.enc)).await;
        assert_eq!(resp.status(), 200, "{}", v.id);
        assert_eq!(
            resp.headers()["content-type"],
            "text/plain; charset=utf-8",
            "{}",
            v.id
        );
        let body = resp.bytes().await.unwrap();
        let expected = match &v.expect {
            Some(text) => text.clone(),
            // V5a publishes no plaintext: it must equal what the key decrypts to.
            None => {
                zhangfang::wecom::crypto::AesKey::from_encoding_aes_key(&v.key)
                    .unwrap()
                    .decrypt(&v.enc)
                    .unwrap()
                    .msg
            }
        };
        assert_eq!(
            body.as_ref(),
            expected.as_bytes(),
            "{}: exact bytes, no newline",
            v.id
        );
    }
}

#[tokio::test]
async fn every_published_post_vector_is_stored_and_acknowledged_with_an_empty_200() {
    let app = spawn_app().await;
    for v in callback_vectors().into_iter().filter(|v| !is_get(v)) {
        let firm = app.add_firm(&v.rid, &v.token, &v.key).await;
        let resp = post_vector(&app, &v).await;
        assert_eq!(resp.status(), 200, "{}", v.id);
        assert!(
            resp.bytes().await.unwrap().is_empty(),
            "{}: empty ack",
            v.id
        );
        // Read back through a different connection: the ack came after the commit.
        let stored = app
            .count(&format!(
                "SELECT COUNT(*) FROM callback_inbox WHERE firm_id = {} AND app_id = {} AND msg_type = 'text'",
                firm.firm_id, firm.app_id
            ))
            .await;
        assert_eq!(stored, 1, "{}", v.id);
        let payload = crate::helpers::string_value(
            &app,
            &format!(
                "SELECT payload FROM callback_inbox WHERE firm_id = {}",
                firm.firm_id
            ),
        )
        .await;
        assert_eq!(Some(payload), v.expect.clone(), "{}", v.id);
    }
}

#[tokio::test]
async fn a_replayed_delivery_is_acknowledged_but_stored_once() {
    let (app, v, _) = app_with_vector("V1b").await;
    for _ in 0..3 {
        assert_eq!(post_vector(&app, &v).await.status(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 1);
}

#[tokio::test]
async fn a_retry_reencrypted_with_new_nonce_and_prefix_is_still_deduplicated() {
    let app = spawn_app().await;
    let v = vector("V5b");
    app.add_firm(&v.rid, &v.token, &v.key).await;
    let event = external_contact_event(&v.rid, "wmEXTERNAL01", 1_764_000_000);
    for nonce in ["111", "222", "333"] {
        let sealed = seal_event(&v.token, &v.key, &v.rid, &event, "1764000000", nonce);
        let resp = post_raw(
            &app,
            &format!("/wecom/callback/{}", v.rid),
            &sealed.query,
            sealed.body,
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 1);
    let kind = crate::helpers::string_value(
        &app,
        "SELECT event || '/' || change_type FROM callback_inbox",
    )
    .await;
    assert_eq!(kind, "change_external_contact/add_external_contact");
}

#[tokio::test]
async fn distinct_events_in_the_same_second_from_sys_are_all_kept() {
    let app = spawn_app().await;
    let v = vector("V5b");
    app.add_firm(&v.rid, &v.token, &v.key).await;
    for external in ["wmA", "wmB", "wmC"] {
        let event = external_contact_event(&v.rid, external, 1_764_000_000);
        let sealed = seal_event(&v.token, &v.key, &v.rid, &event, "1764000000", "42");
        let resp = post_raw(
            &app,
            &format!("/wecom/callback/{}", v.rid),
            &sealed.query,
            sealed.body,
        )
        .await;
        assert_eq!(resp.status(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 3);
}

#[tokio::test]
async fn wrong_signature_is_refused_with_40001_and_nothing_is_stored() {
    let (app, mut v, _) = app_with_vector("V1b").await;
    v.sig = "0".repeat(40);
    let resp = post_vector(&app, &v).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(errcode(resp).await, -40001);
    assert_eq!(inbox_rows(&app).await, 0);
}

#[tokio::test]
async fn wrong_nonce_fails_the_signature() {
    let (app, mut v, _) = app_with_vector("V2b").await;
    v.nonce = "1372623150".into();
    let resp = post_vector(&app, &v).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(errcode(resp).await, -40001);
}

#[tokio::test]
async fn echostr_decoded_twice_turns_plus_into_space_and_fails_the_signature() {
    let (app, v, _) = app_with_vector("V1a").await;
    assert!(v.enc.contains('+'), "the vector exercises '+'");
    // What a second decoding does: '+' read as a space.
    let twice = encode(&v.enc).replace("%2B", "%20");
    let resp = get_vector(&app, &v, &twice).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(errcode(resp).await, -40001);
    // Decoded exactly once, '+' may even arrive unescaped and still verifies.
    let raw_plus = encode(&v.enc).replace("%2B", "+");
    assert_eq!(get_vector(&app, &v, &raw_plus).await.status(), 200);
}

#[tokio::test]
async fn wrong_receive_id_is_refused_with_40005() {
    let app = spawn_app().await;
    let v = vector("V1b");
    // Same token and key, but the URL belongs to another corp than the ciphertext names.
    app.add_firm("wwanothercorp00001", &v.token, &v.key).await;
    let query = format!(
        "msg_signature={}&timestamp={}&nonce={}",
        v.sig, v.ts, v.nonce
    );
    let resp = post_raw(
        &app,
        "/wecom/callback/wwanothercorp00001",
        &query,
        envelope(&v.rid, &v.enc, "1000002"),
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(errcode(resp).await, -40005);
    assert_eq!(inbox_rows(&app).await, 0);
}

fn signed_query(token: &str, encrypt: &str) -> String {
    let sig = zhangfang::wecom::crypto::signature(token, "1700000000", "777", encrypt);
    format!("msg_signature={sig}&timestamp=1700000000&nonce=777")
}

#[tokio::test]
async fn undecryptable_ciphertext_is_refused_with_40007() {
    let (app, v, _) = app_with_vector("V1b").await;
    for encrypt in ["not-base64!!", "QUJD", "QUJDREVGR0g=", ""] {
        let resp = post_raw(
            &app,
            &format!("/wecom/callback/{}", v.rid),
            &signed_query(&v.token, encrypt),
            envelope(&v.rid, encrypt, "1000002"),
        )
        .await;
        assert_eq!(resp.status(), 400, "{encrypt}");
        assert_eq!(errcode(resp).await, -40007, "{encrypt}");
    }
    assert_eq!(inbox_rows(&app).await, 0);
}

/// AES-encrypts raw bytes (already a multiple of 16) with the vector's key, no padding added.
fn encrypt_raw(key: &str, plain: &[u8]) -> String {
    let key = zhangfang::wecom::crypto::AesKey::from_encoding_aes_key(key).unwrap();
    let raw = STANDARD
        .decode(format!("{}=", key.to_encoding_aes_key()))
        .unwrap();
    let mut buf = plain.to_vec();
    let len = buf.len();
    cbc::Encryptor::<aes::Aes256>::new_from_slices(&raw, &raw[..16])
        .unwrap()
        .encrypt_padded::<NoPadding>(&mut buf, len)
        .unwrap();
    STANDARD.encode(buf)
}

#[tokio::test]
async fn bad_padding_or_length_is_refused_with_40008() {
    let (app, v, _) = app_with_vector("V1b").await;
    let mut zero_pad = vec![b'x'; 32];
    zero_pad[31] = 0;
    let mut lying_length = vec![b'r'; 16];
    lying_length.extend_from_slice(&1000u32.to_be_bytes());
    lying_length.extend_from_slice(&[b'y'; 12]);
    lying_length.extend_from_slice(&[32u8; 32]);
    for plain in [zero_pad, lying_length] {
        let encrypt = encrypt_raw(&v.key, &plain);
        let resp = post_raw(
            &app,
            &format!("/wecom/callback/{}", v.rid),
            &signed_query(&v.token, &encrypt),
            envelope(&v.rid, &encrypt, "1000002"),
        )
        .await;
        assert_eq!(resp.status(), 400);
        assert_eq!(errcode(resp).await, -40008);
    }
    assert_eq!(inbox_rows(&app).await, 0);
}

#[tokio::test]
async fn malformed_xml_is_refused_with_40002() {
    let (app, v, _) = app_with_vector("V1b").await;
    let query = format!(
        "msg_signature={}&timestamp={}&nonce={}",
        v.sig, v.ts, v.nonce
    );
    for body in [
        "",
        "not xml",
        "<xml><ToUserName>x</ToUserName></xml>",
        "<xml><Encrypt>",
    ] {
        let resp = post_raw(
            &app,
            &format!("/wecom/callback/{}", v.rid),
            &query,
            body.into(),
        )
        .await;
        assert_eq!(resp.status(), 400, "{body:?}");
        assert_eq!(errcode(resp).await, -40002, "{body:?}");
    }
    // A correctly sealed message whose plaintext is not XML is refused too.
    let sealed = seal_event(&v.token, &v.key, &v.rid, "plain text, not xml", "1", "2");
    let resp = post_raw(
        &app,
        &format!("/wecom/callback/{}", v.rid),
        &sealed.query,
        sealed.body,
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(errcode(resp).await, -40002);
    assert_eq!(inbox_rows(&app).await, 0);
}

#[tokio::test]
async fn unknown_corp_or_agent_is_404() {
    let (app, v, _) = app_with_vector("V1b").await;
    let query = format!(
        "msg_signature={}&timestamp={}&nonce={}",
        v.sig, v.ts, v.nonce
    );
    let resp = post_raw(
        &app,
        "/wecom/callback/wwnosuchcorp",
        &query,
        envelope(&v.rid, &v.enc, "1"),
    )
    .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(errcode(resp).await, 40013);
    let resp = post_raw(
        &app,
        &format!("/wecom/callback/{}/9999999", v.rid),
        &query,
        envelope(&v.rid, &v.enc, "1"),
    )
    .await;
    assert_eq!(resp.status(), 404);
    assert_eq!(errcode(resp).await, 40056);
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused_with_413() {
    let (app, v, _) = app_with_vector("V1b").await;
    let query = format!(
        "msg_signature={}&timestamp={}&nonce={}",
        v.sig, v.ts, v.nonce
    );
    let big = format!("<xml><Encrypt>{}</Encrypt></xml>", "A".repeat(70 * 1024));
    let resp = post_raw(&app, &format!("/wecom/callback/{}", v.rid), &query, big).await;
    assert_eq!(resp.status(), 413);
    // Streamed without a Content-Length, the limit still holds.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..40).map(|_| Ok(vec![b'A'; 4096])).collect();
    let resp = app
        .client
        .post(app.url(&format!("/wecom/callback/{}?{query}", v.rid)))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(inbox_rows(&app).await, 0);
}

#[tokio::test]
async fn missing_signature_parameters_are_refused() {
    let (app, v, _) = app_with_vector("V1a").await;
    let resp = app
        .get(&format!(
            "/wecom/callback/{}?echostr={}",
            v.rid,
            encode(&v.enc)
        ))
        .await;
    assert_eq!(resp.status(), 401);
    assert_eq!(errcode(resp).await, -40001);
}

#[tokio::test]
async fn an_agent_path_addresses_that_app_with_its_own_keys() {
    let app = spawn_app().await;
    let first = vector("V5b");
    let second = vector("V1b");
    app.add_firm(&first.rid, &first.token, &first.key).await;
    // A second app of the same corp, with other credentials.
    let other = app
        .add_firm_with_agent(&first.rid, "1000005", &second.token, &second.key)
        .await;
    let event = external_contact_event(&first.rid, "wmAGENT", 1_764_000_001);
    let sealed = seal_event(
        &second.token,
        &second.key,
        &first.rid,
        &event,
        "1764000001",
        "9",
    );
    let on_default = post_raw(
        &app,
        &format!("/wecom/callback/{}", first.rid),
        &sealed.query,
        sealed.body.clone(),
    )
    .await;
    assert_eq!(
        on_default.status(),
        401,
        "the primary app's token does not match"
    );
    let on_agent = post_raw(
        &app,
        &format!("/wecom/callback/{}/1000005", first.rid),
        &sealed.query,
        sealed.body,
    )
    .await;
    assert_eq!(on_agent.status(), 200);
    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM callback_inbox WHERE app_id = {}",
            other.app_id
        ))
        .await;
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn concurrent_deliveries_are_each_committed_before_their_ack() {
    let app = spawn_app().await;
    let v = vector("V5b");
    app.add_firm(&v.rid, &v.token, &v.key).await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = app.url(&format!("/wecom/callback/{}", v.rid));
        let event =
            external_contact_event(&v.rid, &format!("wmCONCURRENT{i:04}"), 1_764_000_000 + i);
        let sealed = seal_event(
            &v.token,
            &v.key,
            &v.rid,
            &event,
            "1764000000",
            &i.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{url}?{}", sealed.query))
                .body(sealed.body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 200);
}

#[tokio::test]
async fn callback_errors_are_json_even_for_browsers() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/wecom/callback/wwnosuch?msg_signature=a&timestamp=1&nonce=2&echostr=x"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json")
    );
}
