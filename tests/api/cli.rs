//! The `zhangfang` commands as an operator runs them: migrate, seed, sandbox.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{drop_test_database, test_database};

fn zhangfang(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zhangfang"));
    command
        .current_dir(dir)
        .env("ZHANGFANG_LOG__FILTER", "warn")
        .env_remove("RUST_LOG")
        .env_remove("ZHANGFANG_CONFIG");
    command
}

#[tokio::test]
async fn migrate_and_seed_use_the_config_file_named_by_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let config = dir.path().join("zhangfang.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndata_dir = \"{}\"\n[database]\nurl = \"{}\"\n",
            dir.path().join("data").display(),
            url.expose()
        ),
    )
    .unwrap();
    let migrate = zhangfang(dir.path())
        .arg("migrate")
        .env("ZHANGFANG_CONFIG", &config)
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let seed = |extra: &[&str]| {
        zhangfang(dir.path())
            .args([
                "seed",
                "--profile",
                "demo",
                "--seed",
                "7",
                "--as-of",
                "2026-11-26",
            ])
            .args(extra)
            .env("ZHANGFANG_CONFIG", &config)
            .output()
            .unwrap()
    };
    let first = seed(&[]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("seeded") && stdout.contains("profile demo, seed 7"),
        "{stdout}"
    );
    // The same firm again is refused with a reason, and the exit status says so.
    let again = seed(&[]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    // A typo in the config file stops the command before it touches anything.
    std::fs::write(&config, "[server]\nlisten_adress = \"x\"\n").unwrap();
    let typo = seed(&[]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("server.listen_adress"));
    drop_test_database(pg);
}

#[tokio::test]
async fn the_sandbox_command_serves_a_stand_in_wecom() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    std::fs::write(
        &file,
        r#"{"profile": "demo", "seed": 7, "as_of": "2026-11-26", "token_lifetime_seconds": 600}"#,
    )
    .unwrap();
    let mut child = zhangfang(dir.path())
        .args(["sandbox", "--listen", "127.0.0.1:0", "--seed"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .map(crate::helpers::KillOnDrop)
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        let mut lines = Vec::new();
        // Keep reading to the end, so the sandbox never writes into a closed pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("login_base");
            lines.push(line);
            if done && let Some(tx) = tx.take() {
                let _ = tx.send(lines.clone());
            }
        }
    });
    let banner = tokio::time::timeout(Duration::from_secs(30), rx)
        .await
        .expect("the banner in time")
        .unwrap();
    let value = |key: &str| {
        banner
            .iter()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split('=').nth(1))
            .map(|v| {
                v.trim()
                    .trim_matches('"')
                    .split('（')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .unwrap_or_else(|| panic!("{key} in {banner:?}"))
    };
    let base = value("api_base");
    let dataset = zhangfang::seed::wecom_dataset(
        zhangfang::seed::Profile::Demo,
        7,
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
    );
    assert_eq!(value("corp_id"), dataset.corp_id);
    let token: serde_json::Value = reqwest::get(format!(
        "{base}/cgi-bin/gettoken?corpid={}&corpsecret={}",
        dataset.corp_id, dataset.app.secret
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(token["errcode"], 0);
    assert_eq!(token["expires_in"], 600, "the file's token lifetime");
    let wrong: serde_json::Value = reqwest::get(format!(
        "{base}/cgi-bin/gettoken?corpid={}&corpsecret=wrong",
        dataset.corp_id
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(wrong["errcode"], 40001);
    child.kill().unwrap();
    let _ = child.wait();
}
