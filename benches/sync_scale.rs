//! Full WeCom sync and live events at scale, against the sandbox with 30 ms per API call.
//!
//! One member follows 20,000 external contacts and owns 5,000 customer groups. The release
//! `zhangfang sync` binary runs as a child process against a fresh database; the report gives its
//! wall time, peak RSS, API calls by path beside the fewest calls WeCom's page limits allow, and
//! checks that the store holds exactly what the sandbox serves. Then `zhangfang serve` runs on
//! the synced database and 1,000 changes are made in a burst through the sandbox's control
//! endpoint (`POST /_sandbox/callbacks`, which changes the sandbox's world and sends the signed
//! callback): the report gives the time until every change is applied in the store.
//!
//! Run with `cargo bench --bench sync_scale` (SQLite in a temp directory). With
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` it runs on a fresh
//! PostgreSQL database created beside that one (and dropped afterwards). Results are recorded in
//! docs/benchmarks.md.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::{StreamExt, stream};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use zhangfang::config::{DatabaseUrl, Secret, Settings};
use zhangfang::db::Database;
use zhangfang::sandbox::{
    ChatChangeType, ChatUpdateDetail, ContactChangeType, ExternalChatEvent, ExternalContactEvent,
    Fault, NewExternalContact, Sandbox, SandboxEvent, SandboxOptions,
};
use zhangfang::secrets::SecretBox;
use zhangfang::seed::{self, Profile, WecomDataset, WecomFollowInfo, WecomGroupMember};
use zhangfang::services::firms::{self, NewApp};

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CONTACTS: usize = 20_000;
const GROUPS: usize = 5_000;
const LATENCY: Duration = Duration::from_millis(30);

// WeCom's page limits.
const BATCH_GET_USERS: usize = 100;
const BATCH_GET_ROWS: usize = 100;
const GROUPCHAT_LIST_ROWS: usize = 1000;

// The event burst: how many changes of each kind (1,000 in all).
const ADDS: usize = 400;
const EDITS: usize = 300;
const DELETES: usize = 100;
const RENAMES: usize = 100;
const DISMISSALS: usize = 100;
/// Control requests in flight at once while the burst is sent.
const BURST_CONCURRENCY: usize = 32;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dataset = scaled_dataset();
    let mut expected = Expected::of(&dataset);
    let minimum = fewest_calls(&dataset);

    let rig = SandboxRig::start(dataset.clone()).await?;
    let dir = tempfile::tempdir()?;
    let store = Store::create(dir.path(), &dataset).await?;
    println!(
        "sync_scale: {} contacts followed by one member, {} groups, {} ms per API call, {}",
        CONTACTS,
        GROUPS,
        LATENCY.as_millis(),
        store.label()
    );
    println!("load average before: {}", load_average());

    // ---- Full sync ------------------------------------------------------------------------
    rig.sandbox.reset_stats();
    let started = Instant::now();
    let child = zhangfang(dir.path(), &store.url, &rig.api)
        .args(["sync", "--firm", &dataset.corp_id, "--what", "all"])
        .stdout(log_file(dir.path(), "sync.out")?)
        .stderr(log_file(dir.path(), "sync.err")?)
        .spawn()?;
    let (status, memory) = wait_measuring(child)?;
    let wall = started.elapsed();
    let load_after_sync = load_average();
    if !status.success() {
        anyhow::bail!(
            "zhangfang sync failed ({status}):\n{}",
            tail(&dir.path().join("sync.out"))
        );
    }
    let calls = rig.sandbox.stats();
    let total_calls: u64 = calls.values().sum();
    let fewest: u64 = minimum.values().sum();
    let counts = store.counts().await?;
    let info = rig.info().await?;
    expected.agree_with(&info)?;

    println!();
    println!("== full sync ==");
    println!("wall time            {:.1} s", wall.as_secs_f64());
    println!(
        "peak RSS (VmHWM)     {:.1} MB   (target < 64 MB: {})",
        mib(memory.hwm_kb),
        verdict(mib(memory.hwm_kb) < 64.0)
    );
    println!("load average after   {load_after_sync}");
    println!("API calls            path: made / fewest the page limits allow");
    let paths: std::collections::BTreeSet<&String> = calls.keys().chain(minimum.keys()).collect();
    for path in paths {
        println!(
            "  {:<42} {:>6} / {:>6}",
            path,
            calls.get(path).copied().unwrap_or(0),
            minimum.get(path).copied().unwrap_or(0)
        );
    }
    let ratio = total_calls as f64 / fewest as f64;
    println!(
        "  {:<42} {:>6} / {:>6}   ratio {:.3}× (target ≤ 1.2×: {})",
        "total",
        total_calls,
        fewest,
        ratio,
        verdict(ratio <= 1.2)
    );
    println!("store after sync     what: stored / sandbox");
    let mut all_equal = true;
    for (what, stored) in &counts {
        let want = expected.get(what);
        all_equal &= *stored == want;
        println!(
            "  {:<42} {:>6} / {:>6} {}",
            what,
            stored,
            want,
            if *stored == want { "" } else { "  MISMATCH" }
        );
    }
    if !all_equal {
        anyhow::bail!("the store does not hold what the sandbox serves");
    }

    // ---- Event burst ----------------------------------------------------------------------
    let served = Served::start(dir.path(), &store.url, &rig.api).await?;
    let callback_url = format!("{}/wecom/callback/{}", served.address, dataset.corp_id);
    let burst = burst_events(&dataset);
    let applied_before = store.inbox_done().await?;
    rig.sandbox.reset_stats();
    let load_before_burst = load_average();
    let started = Instant::now();
    let client = reqwest::Client::new();
    let control = format!("{}/_sandbox/callbacks", rig.api);
    let answers: Vec<anyhow::Result<()>> = stream::iter(burst)
        .map(|event| {
            let client = client.clone();
            let control = control.clone();
            let callback_url = callback_url.clone();
            async move {
                let resp = client
                    .post(&control)
                    .json(&serde_json::json!({ "callback_url": callback_url, "event": event }))
                    .send()
                    .await?;
                let status = resp.status();
                let body: serde_json::Value = resp.json().await?;
                if !status.is_success() || body["status"] != 200 {
                    anyhow::bail!("control endpoint answered {status}: {body}");
                }
                Ok(())
            }
        })
        .buffer_unordered(BURST_CONCURRENCY)
        .collect()
        .await;
    let delivered = started.elapsed();
    for answer in answers {
        answer?;
    }
    let total_events = (ADDS + EDITS + DELETES + RENAMES + DISMISSALS) as i64;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = store.inbox_done().await? - applied_before;
        if done >= total_events {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "only {done} of {total_events} events applied after 10 minutes:\n{}",
                served.tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let applied = started.elapsed();
    let load_after_burst = load_average();
    let event_calls = rig.sandbox.stats();
    let parked = store
        .count("SELECT COUNT(*) FROM callback_inbox WHERE status = 'failed'")
        .await?;
    let mut checks = store.burst_checks().await?;
    let info = rig.info().await?;
    for (what, key) in [
        ("external contacts in all", "external_contacts"),
        ("customer groups in all", "group_chats"),
    ] {
        let sql = match key {
            "external_contacts" => {
                "SELECT COUNT(*) FROM wecom_external_contact WHERE deleted_at IS NULL"
            }
            _ => "SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NULL",
        };
        checks.push((
            what,
            store.count(sql).await?,
            info[key].as_i64().unwrap_or(-1),
        ));
    }
    served.stop();

    println!();
    println!(
        "== event burst: {total_events} changes through POST /_sandbox/callbacks, {BURST_CONCURRENCY} at a time =="
    );
    println!("load average before  {load_before_burst}");
    println!("all acknowledged     {:.1} s", delivered.as_secs_f64());
    println!(
        "all applied          {:.1} s   ({:.0} events/s; target ≤ 60 s: {})",
        applied.as_secs_f64(),
        total_events as f64 / applied.as_secs_f64(),
        verdict(applied <= Duration::from_secs(60))
    );
    println!("load average after   {load_after_burst}");
    println!("parked events        {parked}");
    println!(
        "API calls            {}",
        event_calls
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("store after burst    change: stored / made (in all: stored / sandbox)");
    let mut burst_ok = parked == 0;
    for (what, stored, want) in &checks {
        burst_ok &= stored == want;
        println!(
            "  {:<42} {:>6} / {:>6}{}",
            what,
            stored,
            want,
            if stored == want { "" } else { "  MISMATCH" }
        );
    }
    store.close().await;
    if !burst_ok {
        anyhow::bail!("not every change of the burst reached the store");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The dataset

/// Profile S's corp, tags and members, with one follow user who has 20,000 customers and owns
/// 5,000 groups of the owner and two or three of those customers each. Deterministic.
fn scaled_dataset() -> WecomDataset {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date");
    let mut d = seed::wecom_dataset(Profile::S, seed::DEMO_SEED, as_of);
    let owner = d
        .members
        .iter()
        .find(|m| m.is_follow_user)
        .expect("profile S has a follow user")
        .userid
        .clone();
    for m in &mut d.members {
        m.is_follow_user = m.userid == owner;
    }
    let tags: Vec<String> = d
        .tag_groups
        .iter()
        .flat_map(|g| g.tags.iter().map(|t| t.id.clone()))
        .collect();
    let base = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("a time")
        .timestamp();
    let template = d
        .external_contacts
        .first()
        .expect("profile S has contacts")
        .clone();
    d.external_contacts = (0..CONTACTS)
        .map(|i| {
            let mut c = template.clone();
            c.external_userid = contact_id(i);
            c.name = format!("客户{i:05}");
            c.contact_type = 1;
            c.unionid = Some(format!("oBench{i:022}"));
            c.gender = (i % 3) as u8;
            c.follow_users = vec![WecomFollowInfo {
                userid: owner.clone(),
                remark: format!("备注{i:05}"),
                description: String::new(),
                remark_corp_name: String::new(),
                remark_mobiles: Vec::new(),
                createtime: base + i as i64 * 60,
                tag_ids: if tags.is_empty() {
                    Vec::new()
                } else {
                    vec![tags[i % tags.len()].clone()]
                },
                add_way: 1,
                state: String::new(),
                oper_userid: owner.clone(),
            }];
            c
        })
        .collect();
    let template = d.group_chats.first().expect("profile S has groups").clone();
    d.group_chats = (0..GROUPS)
        .map(|g| {
            let mut chat = template.clone();
            chat.chat_id = group_id(g);
            chat.name = format!("客户群{g:04}");
            chat.owner = owner.clone();
            chat.create_time = base + g as i64 * 600;
            chat.notice = String::new();
            chat.admin_list = Vec::new();
            let join = chat.create_time;
            let mut members = vec![WecomGroupMember {
                userid: owner.clone(),
                member_type: 1,
                unionid: None,
                name: String::new(),
                group_nickname: String::new(),
                join_time: join,
                join_scene: 1,
                invitor: None,
            }];
            for k in 0..(2 + g % 2) {
                let ci = (g * 4 + k) % CONTACTS;
                members.push(WecomGroupMember {
                    userid: contact_id(ci),
                    member_type: 2,
                    unionid: Some(format!("oBench{ci:022}")),
                    name: format!("客户{ci:05}"),
                    group_nickname: String::new(),
                    join_time: join + 60,
                    join_scene: 1,
                    invitor: Some(owner.clone()),
                });
            }
            chat.members = members;
            chat
        })
        .collect();
    d
}

fn contact_id(i: usize) -> String {
    format!("wmbench{i:025}")
}

fn group_id(g: usize) -> String {
    format!("wrbench{g:025}")
}

/// The fewest calls a full sync can make within WeCom's page limits, by API path.
fn fewest_calls(d: &WecomDataset) -> BTreeMap<String, u64> {
    let follow_users: Vec<&str> = d
        .members
        .iter()
        .filter(|m| m.is_follow_user)
        .map(|m| m.userid.as_str())
        .collect();
    // batch/get_by_user: ≤ 100 userids a request, ≤ 100 rows a page, at least one page each.
    let batch_pages: u64 = follow_users
        .chunks(BATCH_GET_USERS)
        .map(|users| {
            let rows: usize = d
                .external_contacts
                .iter()
                .flat_map(|c| c.follow_users.iter())
                .filter(|f| users.contains(&f.userid.as_str()))
                .count();
            rows.div_ceil(BATCH_GET_ROWS).max(1) as u64
        })
        .sum();
    let groups = d.group_chats.len();
    BTreeMap::from([
        ("gettoken".to_string(), 1),
        ("externalcontact/get_corp_tag_list".to_string(), 1),
        ("externalcontact/get_follow_user_list".to_string(), 1),
        ("user/get".to_string(), follow_users.len() as u64),
        ("externalcontact/batch/get_by_user".to_string(), batch_pages),
        (
            "externalcontact/groupchat/list".to_string(),
            groups.div_ceil(GROUPCHAT_LIST_ROWS).max(1) as u64,
        ),
        ("externalcontact/groupchat/get".to_string(), groups as u64),
    ])
}

/// What the store must hold after the sync: the sandbox's own numbers.
struct Expected(BTreeMap<&'static str, i64>);

impl Expected {
    fn of(d: &WecomDataset) -> Self {
        let live_contacts = d
            .external_contacts
            .iter()
            .filter(|c| !c.follow_users.is_empty())
            .count();
        let follows: usize = d
            .external_contacts
            .iter()
            .map(|c| c.follow_users.len())
            .sum();
        let group_members: usize = d.group_chats.iter().map(|g| g.members.len()).sum();
        let tags: usize = d.tag_groups.iter().map(|g| g.tags.len()).sum();
        let follow_users = d.members.iter().filter(|m| m.is_follow_user).count();
        Self(BTreeMap::from([
            ("external contacts", live_contacts as i64),
            ("follow relations", follows as i64),
            ("customer groups", d.group_chats.len() as i64),
            ("group members", group_members as i64),
            ("corp tags", tags as i64),
            ("follow-user members", follow_users as i64),
        ]))
    }

    /// Takes the sandbox's own counts of live contacts and groups (`GET /_sandbox/info`) over
    /// the dataset's, after checking that they agree.
    fn agree_with(&mut self, info: &serde_json::Value) -> anyhow::Result<()> {
        for (what, key) in [
            ("external contacts", "external_contacts"),
            ("customer groups", "group_chats"),
        ] {
            let served = info[key]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("no {key} in {info}"))?;
            anyhow::ensure!(
                served == self.get(what),
                "the sandbox serves {served} {what}, the dataset has {}",
                self.get(what)
            );
            self.0.insert(what, served);
        }
        Ok(())
    }

    fn get(&self, what: &str) -> i64 {
        self.0.get(what).copied().unwrap_or(-1)
    }
}

/// The burst: adds, remark edits and deletes of contacts, renames and dismissals of groups.
fn burst_events(d: &WecomDataset) -> Vec<SandboxEvent> {
    let owner = d
        .members
        .iter()
        .find(|m| m.is_follow_user)
        .map(|m| m.userid.clone())
        .unwrap_or_default();
    let mut events = Vec::new();
    for i in 0..ADDS {
        let mut e = ExternalContactEvent::new(
            ContactChangeType::AddExternalContact,
            &owner,
            Some(&format!("wmbenchnew{i:022}")),
        );
        e.contact = Some(NewExternalContact {
            name: Some(format!("新客户{i:04}")),
            ..Default::default()
        });
        events.push(SandboxEvent::ChangeExternalContact(e));
    }
    for i in 0..EDITS {
        let mut e = ExternalContactEvent::new(
            ContactChangeType::EditExternalContact,
            &owner,
            Some(&contact_id(i)),
        );
        e.contact = Some(NewExternalContact {
            remark: Some(format!("新备注{i:04}")),
            ..Default::default()
        });
        events.push(SandboxEvent::ChangeExternalContact(e));
    }
    for i in EDITS..EDITS + DELETES {
        events.push(SandboxEvent::ChangeExternalContact(
            ExternalContactEvent::new(
                ContactChangeType::DelExternalContact,
                &owner,
                Some(&contact_id(i)),
            ),
        ));
    }
    for g in 0..RENAMES {
        let mut e = ExternalChatEvent::new(ChatChangeType::Update, Some(&group_id(g)));
        e.update_detail = Some(ChatUpdateDetail::ChangeName);
        e.name = Some(format!("新群名{g:04}"));
        events.push(SandboxEvent::ChangeExternalChat(e));
    }
    for g in RENAMES..RENAMES + DISMISSALS {
        events.push(SandboxEvent::ChangeExternalChat(ExternalChatEvent::new(
            ChatChangeType::Dismiss,
            Some(&group_id(g)),
        )));
    }
    events
}

// ---------------------------------------------------------------------------------------------
// The sandbox, the store and the child processes

/// The sandbox served over HTTP with 30 ms on every API call.
struct SandboxRig {
    sandbox: Sandbox,
    api: String,
}

impl SandboxRig {
    /// `GET /_sandbox/info`: the sandbox's own counts of what it serves.
    async fn info(&self) -> anyhow::Result<serde_json::Value> {
        Ok(reqwest::get(format!("{}/_sandbox/info", self.api))
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    async fn start(dataset: WecomDataset) -> anyhow::Result<Self> {
        let sandbox = Sandbox::with_clock(
            dataset,
            SandboxOptions::default(),
            Arc::new(|| {
                zhangfang::domain::clock::Clock::now(&zhangfang::domain::clock::SystemClock)
            }),
        );
        sandbox.inject(Fault::latency(None, LATENCY, u32::MAX));
        let served = sandbox.clone();
        let server = HttpServer::new(move || {
            let sb = served.clone();
            App::new().configure(move |cfg| sb.configure(cfg))
        })
        .workers(2)
        .disable_signals()
        .bind("127.0.0.1:0")?;
        let api = format!("http://{}", server.addrs()[0]);
        tokio::spawn(server.run());
        Ok(Self { sandbox, api })
    }
}

/// The database the child processes use: SQLite in the temp directory, or a fresh PostgreSQL
/// database when `BENCH_DATABASE_URL` names a server.
struct Store {
    url: DatabaseUrl,
    db: Database,
    pg: Option<(String, String)>,
}

impl Store {
    async fn create(dir: &Path, dataset: &WecomDataset) -> anyhow::Result<Self> {
        let pg = match std::env::var("BENCH_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => {
                let name = format!("zf_syncbench_{}", std::process::id());
                let conn = sea_orm::Database::connect(&admin).await?;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                    .await?;
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                conn.close().await?;
                Some((admin, name))
            }
            _ => None,
        };
        let url = match &pg {
            Some((admin, name)) => {
                let mut u = url::Url::parse(admin)?;
                u.set_path(&format!("/{name}"));
                DatabaseUrl::new(u.to_string())
            }
            None => DatabaseUrl::new(format!("sqlite://{}", dir.join("bench.db").display())),
        };
        let mut settings = Settings::defaults()?;
        settings.database.url = url.clone();
        settings.security.master_key = Secret::new(MASTER_KEY);
        let db = Database::connect(&settings.database).await?;
        db.migrate().await?;
        let secrets = SecretBox::from_settings(&settings)?;
        let now = zhangfang::domain::clock::Clock::now(&zhangfang::domain::clock::SystemClock);
        let firm = firms::create_firm(db.write(), &dataset.corp_id, &dataset.corp_name, false, now)
            .await?;
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
        .await?;
        Ok(Self { url, db, pg })
    }

    fn label(&self) -> &'static str {
        match self.db.backend() {
            DbBackend::Postgres => "PostgreSQL",
            _ => "SQLite",
        }
    }

    async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        let row = self
            .db
            .read()
            .query_one_raw(Statement::from_string(self.db.backend(), sql))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no row for {sql}"))?;
        Ok(row.try_get_by_index::<i64>(0)?)
    }

    async fn counts(&self) -> anyhow::Result<Vec<(&'static str, i64)>> {
        let queries = [
            (
                "external contacts",
                "SELECT COUNT(*) FROM wecom_external_contact WHERE deleted_at IS NULL",
            ),
            (
                "follow relations",
                "SELECT COUNT(*) FROM external_follow WHERE deleted_at IS NULL",
            ),
            (
                "customer groups",
                "SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NULL",
            ),
            (
                "group members",
                "SELECT COUNT(*) FROM group_chat_member WHERE left_at IS NULL",
            ),
            (
                "corp tags",
                "SELECT COUNT(*) FROM tag WHERE wecom_tag_id IS NOT NULL",
            ),
            (
                "follow-user members",
                "SELECT COUNT(*) FROM wecom_member WHERE is_follow_user = TRUE",
            ),
        ];
        let mut out = Vec::new();
        for (what, sql) in queries {
            out.push((what, self.count(sql).await?));
        }
        Ok(out)
    }

    async fn inbox_done(&self) -> anyhow::Result<i64> {
        self.count("SELECT COUNT(*) FROM callback_inbox WHERE status IN ('done', 'failed')")
            .await
    }

    /// Each kind of change in the burst, as the store holds it, beside how many were made.
    async fn burst_checks(&self) -> anyhow::Result<Vec<(&'static str, i64, i64)>> {
        let checks = [
            (
                "contacts added",
                "SELECT COUNT(*) FROM wecom_external_contact c JOIN external_follow f \
                 ON f.external_contact_id = c.id WHERE c.name LIKE '新客户%' \
                 AND c.deleted_at IS NULL AND f.deleted_at IS NULL",
                ADDS,
            ),
            (
                "remarks edited",
                "SELECT COUNT(*) FROM external_follow WHERE remark LIKE '新备注%' \
                 AND deleted_at IS NULL",
                EDITS,
            ),
            (
                "follows deleted",
                "SELECT COUNT(*) FROM external_follow WHERE deleted_at IS NOT NULL",
                DELETES,
            ),
            (
                "groups renamed",
                "SELECT COUNT(*) FROM wecom_group_chat WHERE name LIKE '新群名%' \
                 AND dismissed_at IS NULL",
                RENAMES,
            ),
            (
                "groups dismissed",
                "SELECT COUNT(*) FROM wecom_group_chat WHERE dismissed_at IS NOT NULL",
                DISMISSALS,
            ),
        ];
        let mut out = Vec::new();
        for (what, sql, want) in checks {
            out.push((what, self.count(sql).await?, want as i64));
        }
        Ok(out)
    }

    async fn close(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.pg
            && let Ok(conn) = sea_orm::Database::connect(&admin).await
        {
            let _ = conn
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            let _ = conn.close().await;
        }
    }
}

/// The release binary with the settings every child shares.
fn zhangfang(dir: &Path, url: &DatabaseUrl, api: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zhangfang"));
    cmd.current_dir(dir)
        .env("ZHANGFANG_SERVER__DATA_DIR", dir)
        .env("ZHANGFANG_DATABASE__URL", url.expose())
        .env("ZHANGFANG_DEMO__ENABLED", "false")
        .env("ZHANGFANG_WECOM__API_BASE", api)
        .env("ZHANGFANG_SECURITY__MASTER_KEY", MASTER_KEY)
        .env("ZHANGFANG_LOG__FILTER", "info")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

fn log_file(dir: &Path, name: &str) -> std::io::Result<std::fs::File> {
    std::fs::File::create(dir.join(name))
}

fn tail(path: &PathBuf) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Peak memory of a child, in KiB.
#[derive(Default)]
struct Memory {
    hwm_kb: u64,
}

/// Waits for `child`, polling its peak resident set (`VmHWM`, with `VmRSS` as a floor) every
/// 10 ms until it exits.
fn wait_measuring(mut child: Child) -> anyhow::Result<(std::process::ExitStatus, Memory)> {
    let status_path = format!("/proc/{}/status", child.id());
    let mut memory = Memory::default();
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            for line in text.lines() {
                if let Some(rest) = line
                    .strip_prefix("VmHWM:")
                    .or_else(|| line.strip_prefix("VmRSS:"))
                {
                    let kb: u64 = rest
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse()
                        .unwrap_or(0);
                    memory.hwm_kb = memory.hwm_kb.max(kb);
                }
            }
        }
        if let Some(status) = child.try_wait()? {
            return Ok((status, memory));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `zhangfang serve` on a free port, with its background jobs (the event worker among them).
struct Served {
    child: Child,
    address: String,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    async fn start(dir: &Path, url: &DatabaseUrl, api: &str) -> anyhow::Result<Self> {
        let mut child = zhangfang(dir, url, api)
            .arg("serve")
            .env("ZHANGFANG_SERVER__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(log_file(dir, "serve.err")?)
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("zhangfang is serving")
                    && let Some(start) = line.find("http://127.0.0.1:")
                {
                    let rest = &line[start..];
                    let end = rest
                        .find(|c: char| c.is_whitespace() || c == '"')
                        .unwrap_or(rest.len());
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest[..end].to_string());
                    }
                }
                if let Ok(mut l) = lines.lock() {
                    if l.len() >= 200 {
                        l.remove(0);
                    }
                    l.push(line);
                }
            }
        });
        let address = match tokio::time::timeout(Duration::from_secs(120), rx).await {
            Ok(Ok(a)) => a,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("zhangfang serve did not start");
            }
        };
        Ok(Self {
            child,
            address,
            log,
        })
    }

    fn tail(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
