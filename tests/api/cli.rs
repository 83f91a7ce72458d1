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

/// Runs `zhangfang ARGS` against `url` with `stdin`, returning (success, stdout, stderr).
fn run_with_stdin(
    dir: &std::path::Path,
    url: &zhangfang::config::DatabaseUrl,
    args: &[&str],
    stdin: &str,
) -> (bool, String, String) {
    use std::io::Write;
    let mut child = zhangfang(dir)
        .args(args)
        .env("ZHANGFANG_DATABASE__URL", url.expose())
        .env("ZHANGFANG_SERVER__DATA_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test]
async fn a_firm_and_its_admins_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let (ok, out, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "firm",
            "create",
            "--corp-id",
            "wwclifirm000001",
            "--name",
            "顺达财税",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("wwclifirm000001"), "{out}");
    // The password is the first line of stdin.
    let (ok, out, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "admin",
            "create",
            "--firm",
            "wwclifirm000001",
            "--phone",
            "13700000011",
            "--name",
            "周老板",
            "--role",
            "super_admin",
        ],
        "chosen-password-1\n",
    );
    assert!(ok, "{out}{err}");
    assert!(
        !out.contains("chosen-password-1"),
        "a chosen password is never printed"
    );
    // Empty stdin: a password is generated and printed once, as the last line.
    let (ok, out, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "admin",
            "create",
            "--firm",
            "wwclifirm000001",
            "--phone",
            "13700000012",
            "--name",
            "吴会计",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let generated = out
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("password (shown once): "))
        .expect("the generated password")
        .to_string();
    assert_eq!(generated.len(), 16);
    // A firm that already has a super admin gets another admin; an unknown firm is an error.
    let (ok, _, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "admin",
            "create",
            "--firm",
            "wwnosuchfirm0001",
            "--phone",
            "13700000013",
            "--name",
            "某人",
        ],
        "password-123\n",
    );
    assert!(!ok);
    assert!(err.contains("no firm"), "{err}");

    // Both can sign in to the back office of a service on that database.
    let app = crate::helpers::spawn_app_with({
        let url = url.clone();
        move |s| s.database.url = url
    })
    .await;
    for (phone, password) in [
        ("13700000011", "chosen-password-1"),
        ("13700000012", generated.as_str()),
    ] {
        let b = crate::helpers::Browser::new(&app.address, "zf_nothing=1");
        let csrf = b.csrf_token("/admin/login").await;
        let resp = b
            .post_form(
                "/admin/login",
                &[("phone", phone), ("password", password), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(resp.status(), 303, "{phone}");
    }
    drop(app);
    drop_test_database(pg);
}

#[tokio::test]
async fn an_api_key_is_created_from_the_command_line_and_shown_once_as_the_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let (ok, out, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "firm",
            "create",
            "--corp-id",
            "wwclikey000001",
            "--name",
            "顺达财税",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "api-key",
            "create",
            "--firm",
            "wwclikey000001",
            "--name",
            "nightly",
            "--scopes",
            "customers:write,invoices:read",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let key = out.lines().last().unwrap_or_default().trim().to_string();
    assert!(key.starts_with("zf_") && key.len() > 30, "{out}");
    // Bad scopes and unknown firms are refused with the reason.
    let (ok, _, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "api-key",
            "create",
            "--firm",
            "wwclikey000001",
            "--name",
            "x",
            "--scopes",
            "customers:delete",
        ],
        "",
    );
    assert!(!ok && err.contains("customers:delete"), "{err}");
    let (ok, _, err) = run_with_stdin(
        dir.path(),
        &url,
        &[
            "api-key",
            "create",
            "--firm",
            "wwnosuch000001",
            "--name",
            "x",
            "--scopes",
            "all",
        ],
        "",
    );
    assert!(!ok && err.contains("wwnosuch000001"), "{err}");

    // The key works against a service on that database, within its scopes.
    let app = crate::helpers::spawn_app_with({
        let url = url.clone();
        move |s| s.database.url = url
    })
    .await;
    let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&key).send();
    assert_eq!(get("/api/v1/customers").await.unwrap().status(), 200);
    assert_eq!(get("/api/v1/invoices").await.unwrap().status(), 200);
    assert_eq!(get("/api/v1/payments").await.unwrap().status(), 403);
    drop(app);
    drop_test_database(pg);
}
