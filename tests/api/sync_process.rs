//! `zhangfang sync` as a real process against the sandbox: killed with SIGKILL midway, started
//! again, it takes the dead run's lease over, resumes, and ends with the sandbox's exact counts.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer};
use chrono::NaiveDate;
use zhangfang::config::{Secret, Settings};
use zhangfang::db::Database;
use zhangfang::sandbox::{Fault, Sandbox, SandboxOptions};
use zhangfang::secrets::SecretBox;
use zhangfang::seed::{self, Profile};
use zhangfang::services::firms::{self, NewApp};

use crate::helpers::{KillOnDrop, drop_test_database, test_database};

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn sync_command(
    dir: &std::path::Path,
    url: &zhangfang::config::DatabaseUrl,
    api: &str,
    corp: &str,
    log: &str,
) -> KillOnDrop {
    let log = std::fs::File::create(dir.join(log)).expect("create the sync log");
    Command::new(env!("CARGO_BIN_EXE_zhangfang"))
        .args(["sync", "--firm", corp, "--what", "all"])
        .current_dir(dir)
        .env("ZHANGFANG_SERVER__DATA_DIR", dir)
        .env("ZHANGFANG_DATABASE__URL", url.expose())
        .env("ZHANGFANG_DEMO__ENABLED", "false")
        .env("ZHANGFANG_WECOM__API_BASE", api)
        .env("ZHANGFANG_SECURITY__MASTER_KEY", MASTER_KEY)
        .env("ZHANGFANG_WORKER__LEASE_SECONDS", "5")
        .env("ZHANGFANG_WORKER__POLL_INTERVAL_MS", "100")
        .env("ZHANGFANG_LOG__FILTER", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map(KillOnDrop)
        .expect("start zhangfang sync")
}

/// The last lines of a log file, for a failure message.
fn tail(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Lines of the child's stdout, as they come.
fn lines(child: &mut KillOnDrop) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_midway_resumes_in_a_new_process_with_the_sandbox_counts() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let dataset = seed::wecom_dataset(Profile::S, seed::DEMO_SEED, as_of);
    let sandbox = Sandbox::with_clock(
        dataset.clone(),
        SandboxOptions::default(),
        Arc::new(|| zhangfang::domain::clock::Clock::now(&zhangfang::domain::clock::SystemClock)),
    );
    // 100 ms per call, so the sync is still running when it is killed.
    sandbox.inject(Fault::latency(None, Duration::from_millis(100), 1_000_000));
    let served = sandbox.clone();
    let server = HttpServer::new(move || {
        let sb = served.clone();
        App::new().configure(move |cfg| sb.configure(cfg))
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .unwrap();
    let api = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());

    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut settings = Settings::defaults().unwrap();
    settings.database.url = url.clone();
    settings.security.master_key = Secret::new(MASTER_KEY);
    let db = Database::connect(&settings.database).await.unwrap();
    db.migrate().await.unwrap();
    let secrets = SecretBox::from_settings(&settings).unwrap();
    let now = zhangfang::domain::clock::Clock::now(&zhangfang::domain::clock::SystemClock);
    let firm = firms::create_firm(db.write(), &dataset.corp_id, &dataset.corp_name, false, now)
        .await
        .unwrap();
    firms::add_app(
        db.write(),
        &secrets,
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
        now,
    )
    .await
    .unwrap();

    // First process: killed once the groups are under way.
    let mut first = sync_command(dir.path(), &url, &api, &dataset.corp_id, "first.log");
    let out = lines(&mut first);
    let mut seen = Vec::new();
    // Generous: with the whole suite running beside it on two cores, tags, members and contacts
    // at 100 ms a call can take minutes before the groups start.
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no groups progress; printed:\n{}\nlogged:\n{}",
            seen.join("\n"),
            tail(&dir.path().join("first.log"))
        );
        match out.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.contains("groups running") && !line.contains(" 0/") => break,
            Ok(line) => seen.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(e) => panic!(
                "the sync ended early: {e}; logged:\n{}",
                tail(&dir.path().join("first.log"))
            ),
        }
    }
    first.kill().unwrap();
    first.wait().unwrap();

    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let row = db
                .read()
                .query_one_raw(sea_orm::Statement::from_string(db.backend(), sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    use sea_orm::ConnectionTrait;
    let follows_expected: i64 = dataset
        .external_contacts
        .iter()
        .map(|c| c.follow_users.len() as i64)
        .sum();
    let groups_then = count("SELECT COUNT(*) FROM wecom_group_chat").await;
    assert!(
        groups_then > 0 && groups_then < dataset.group_chats.len() as i64,
        "killed midway: {groups_then}"
    );

    // Second process: takes the run over after the lease lapses and finishes it.
    let mut second = sync_command(dir.path(), &url, &api, &dataset.corp_id, "second.log");
    let out = lines(&mut second);
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let status = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the resumed sync did not finish; logged:\n{}",
            tail(&dir.path().join("second.log"))
        );
        while out.try_recv().is_ok() {}
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        status.success(),
        "{status:?}; logged:\n{}",
        tail(&dir.path().join("second.log"))
    );

    let contacts_expected = dataset
        .external_contacts
        .iter()
        .filter(|c| !c.follow_users.is_empty())
        .count() as i64;
    assert_eq!(
        count("SELECT COUNT(*) FROM wecom_external_contact WHERE deleted_at IS NULL").await,
        contacts_expected
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM external_follow WHERE deleted_at IS NULL").await,
        follows_expected
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NULL").await,
        dataset.group_chats.len() as i64
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM group_chat_member WHERE left_at IS NULL").await,
        dataset
            .group_chats
            .iter()
            .map(|g| g.members.len() as i64)
            .sum::<i64>()
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sync_job WHERE kind = 'groups'").await,
        1,
        "the killed run was resumed, not started again"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sync_job").await,
        4,
        "tags, members and contacts, finished before the kill, were not run again"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM sync_job WHERE status <> 'done'").await,
        0
    );
    db.close().await;
    drop_test_database(pg);
}
