//! Callbacks carry a signed timestamp; one far from our clock is an old request replayed (or a
//! badly wrong clock) and is refused before anything is stored.

use crate::helpers::{TestApp, spawn_app_with};
use crate::wecom_fixtures::{external_contact_event, seal_event};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP: &str = "wwfreshness00001";

async fn app() -> TestApp {
    spawn_app_with(|s| s.wecom.callback_max_skew_seconds = 1800).await
}

async fn post_at(app: &TestApp, timestamp: &str, nonce: &str) -> reqwest::Response {
    let sealed = seal_event(
        "FreshToken",
        KEY,
        CORP,
        &external_contact_event(CORP, &format!("wm{nonce}"), 1_764_000_000),
        timestamp,
        nonce,
    );
    app.client
        .post(app.url(&format!("/wecom/callback/{CORP}?{}", sealed.query)))
        .body(sealed.body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_callback_from_another_time_is_refused_and_not_stored() {
    let app = app().await;
    app.add_firm(CORP, "FreshToken", KEY).await;
    let now = app.clock_now().timestamp();
    let fresh = post_at(&app, &now.to_string(), "fresh").await;
    assert_eq!(fresh.status(), 200);
    let skewed = post_at(&app, &(now - 1700).to_string(), "skewed").await;
    assert_eq!(skewed.status(), 200, "29 minutes late is within the window");
    for (ts, nonce) in [
        ("1000000000".to_string(), "y2001"),
        ("4102444800".to_string(), "y2100"),
        ((now - 1801).to_string(), "late"),
        ("not-a-number".to_string(), "nan"),
    ] {
        let resp = post_at(&app, &ts, nonce).await;
        assert_eq!(resp.status(), 400, "{ts}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["errcode"], -40001, "WeCom's error shape for {ts}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM callback_inbox").await, 2);
}

#[tokio::test]
async fn a_body_trickling_in_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = app().await;
    app.add_firm(CORP, "FreshToken", KEY).await;
    let now = app.clock_now().timestamp();
    let authority = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST /wecom/callback/{CORP}?msg_signature=x&timestamp={now}&nonce=n HTTP/1.1\r\n\
         Host: {authority}\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // One byte a second: a connection held open for nothing.
    let reader = tokio::spawn(async move {
        let mut answer = String::new();
        let mut buf = [0u8; 512];
        loop {
            let n = tokio::time::timeout(
                std::time::Duration::from_millis(1100),
                stream.read(&mut buf),
            )
            .await;
            match n {
                Ok(Ok(0)) | Ok(Err(_)) => return answer,
                Ok(Ok(n)) => answer.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {
                    if stream.write_all(b"<").await.is_err() {
                        return answer;
                    }
                }
            }
        }
    });
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), reader)
        .await
        .expect("the server gave up on the body")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
