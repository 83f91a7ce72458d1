//! The real binary as a separate process: acknowledged callbacks survive `kill -9`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use zhangfang::config::Settings;
use zhangfang::db::Database;

use crate::helpers::{KillOnDrop, drop_test_database, test_database};
use crate::wecom_fixtures::{external_contact_event, seal_event, vector};

struct Served {
    child: KillOnDrop,
    address: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// Starts the real binary on a free port with the V5b app configured, and waits until it serves.
async fn serve(dir: &std::path::Path, url: &zhangfang::config::DatabaseUrl) -> Served {
    serve_with_token(dir, url, &vector("V5b").token).await
}

async fn serve_with_token(
    dir: &std::path::Path,
    url: &zhangfang::config::DatabaseUrl,
    token: &str,
) -> Served {
    let v = vector("V5b");
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhangfang"))
        .arg("serve")
        .current_dir(dir)
        .env("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:0")
        .env("ZHANGFANG_SERVER__DATA_DIR", dir)
        .env("ZHANGFANG_DATABASE__URL", url.expose())
        .env("ZHANGFANG_DEMO__ENABLED", "false")
        .env("ZHANGFANG_WECOM__CORP_ID", &v.rid)
        .env("ZHANGFANG_WECOM__AGENT_ID", "1000002")
        .env("ZHANGFANG_WECOM__TOKEN", token)
        .env("ZHANGFANG_WECOM__ENCODING_AES_KEY", &v.key)
        .env("ZHANGFANG_LOG__FILTER", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map(KillOnDrop)
        .expect("start zhangfang");
    let stdout = child.stdout.take().unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("zhangfang is serving")
                && let Some(start) = line.find("http://127.0.0.1:")
            {
                let rest = &line[start..];
                let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
                if let Some(tx) = tx.take() {
                    let _ = tx.send(rest[..end].to_string());
                }
            }
            lines.lock().unwrap().push(line);
        }
    });
    let address = tokio::time::timeout(Duration::from_secs(60), rx)
        .await
        .expect("started in time")
        .expect("serving line");
    Served {
        child,
        address,
        log,
    }
}

/// The real process checks callback timestamps against the wall clock.
fn now_timestamp() -> String {
    use zhangfang::domain::clock::{Clock, SystemClock};
    SystemClock.now().timestamp().to_string()
}

async fn post_events(address: &str, range: std::ops::Range<i64>) {
    let v = vector("V5b");
    let client = reqwest::Client::new();
    for i in range {
        let event = external_contact_event(&v.rid, &format!("wmKILL{i:03}"), 1_764_000_000 + i);
        let sealed = seal_event(
            &v.token,
            &v.key,
            &v.rid,
            &event,
            &now_timestamp(),
            &i.to_string(),
        );
        let resp = client
            .post(format!(
                "{address}/wecom/callback/{}?{}",
                v.rid, sealed.query
            ))
            .body(sealed.body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
}

async fn stored_events(url: zhangfang::config::DatabaseUrl) -> i64 {
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = url;
    let db = Database::connect(&settings).await.unwrap();
    let stored = db
        .read()
        .query_one_raw(Statement::from_string(
            db.backend(),
            "SELECT COUNT(*) FROM callback_inbox",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    db.close().await;
    stored
}

#[tokio::test]
async fn acknowledged_events_survive_a_killed_process() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut served = serve(dir.path(), &url).await;
    post_events(&served.address, 0..50).await;
    served.child.kill().expect("SIGKILL");
    let _ = served.child.wait();
    assert_eq!(
        stored_events(url).await,
        50,
        "every acknowledged event is on disk"
    );
    drop_test_database(pg);
}

#[tokio::test]
async fn sigterm_stops_the_service_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut served = serve(dir.path(), &url).await;
    post_events(&served.address, 0..10).await;
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || {
        let exit = served.child.wait();
        (exit, served)
    })
    .await
    .unwrap();
    let (exit, served) = (exit.0.unwrap(), exit.1);
    assert!(exit.success(), "a clean exit after SIGTERM: {exit:?}");
    let log = served.log.lock().unwrap().join("\n");
    assert!(log.contains("stopped"), "{log}");
    assert_eq!(stored_events(url).await, 10);
    drop_test_database(pg);
}

#[tokio::test]
async fn a_restart_with_a_changed_wecom_section_keeps_the_database_and_logs_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut first = serve(dir.path(), &url).await;
    first.child.kill().unwrap();
    let _ = first.child.wait();

    let mut second = serve_with_token(dir.path(), &url, "ChangedToken123").await;
    // The stored token still verifies callbacks: the database is the truth.
    post_events(&second.address, 0..1).await;
    second.child.kill().unwrap();
    let _ = second.child.wait();
    let log = second.log.lock().unwrap().join("\n");
    assert!(log.contains("differs from the stored app"), "{log}");
    assert!(
        log.contains("key=\"token\"") || log.contains("key=token"),
        "{log}"
    );
    assert!(
        !log.contains("ChangedToken123"),
        "secrets never reach the log"
    );
    drop_test_database(pg);
}

#[tokio::test]
async fn a_request_in_flight_when_sigterm_arrives_is_answered_and_stored() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut served = serve(dir.path(), &url).await;
    let v = vector("V5b");
    let sealed = seal_event(
        &v.token,
        &v.key,
        &v.rid,
        &external_contact_event(&v.rid, "wmINFLIGHT", 1_764_000_001),
        &now_timestamp(),
        "inflight",
    );
    let authority = served.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST /wecom/callback/{}?{} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: text/xml\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        v.rid,
        sealed.query,
        sealed.body.len()
    );
    let (first, rest) = sealed.body.split_at(sealed.body.len() / 2);
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    // Half the body is on the wire: the request is in flight when the service is told to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut answer))
        .await
        .expect("answered before the shutdown deadline")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let exit = tokio::task::spawn_blocking(move || {
        let exit = served.child.wait();
        (exit, served)
    })
    .await
    .unwrap();
    assert!(exit.0.unwrap().success());
    assert_eq!(stored_events(url).await, 1);
    drop_test_database(pg);
}
