//! Test harness: every test gets the real application on a random port with its own database —
//! a temp SQLite file, or a fresh PostgreSQL database cloned from a migrated template when
//! `TEST_DATABASE_URL` is set.

use std::sync::Arc;

use actix_web::web::Data;
use chrono::{TimeZone, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use zhangfang::config::{DatabaseUrl, Secret, Settings};
use zhangfang::domain::clock::{Clock, ManualClock};
use zhangfang::services::firms::{self, NewApp};
use zhangfang::sms::{SmsError, SmsSender};
use zhangfang::startup::{AppOptions, Application};
use zhangfang::state::AppState;

pub struct TestApp {
    pub address: String,
    pub state: Data<AppState>,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub sms: RecordingSms,
    _data_dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
}

/// Keeps the texts the app "sent", so tests can read the codes.
#[derive(Clone, Default)]
pub struct RecordingSms {
    sent: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl RecordingSms {
    /// The last code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, c)| c.clone())
    }

    pub fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
}

#[async_trait::async_trait]
impl SmsSender for RecordingSms {
    async fn send_code(
        &self,
        phone: &str,
        code: &str,
        _valid_minutes: u32,
    ) -> Result<(), SmsError> {
        self.sent
            .lock()
            .unwrap()
            .push((phone.to_string(), code.to_string()));
        Ok(())
    }
}

/// A WeCom corp and app registered in a test database.
#[derive(Clone, Debug)]
pub struct TestFirm {
    pub firm_id: i64,
    pub app_id: i64,
    pub corp_id: String,
    pub agent_id: String,
    pub token: String,
    pub key: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::defaults().expect("defaults");
    // Bound here so the port, and with it public_url, is known before the app is built.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("address").port();
    settings.server.listen = format!("127.0.0.1:{port}");
    settings.server.public_url = format!("http://127.0.0.1:{port}");
    settings.server.workers = 1;
    settings.server.data_dir = data_dir.path().to_path_buf();
    settings.demo.enabled = false;
    // Published test vectors carry their 2014 timestamps; tests of the freshness window turn it
    // back on.
    settings.wecom.callback_max_skew_seconds = 0;
    // Tests drive background jobs themselves (`Worker::run_once`), unless they ask otherwise.
    settings.worker.enabled = false;
    settings.security.master_key = Secret::new("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    settings.security.secret_key = Secret::new("c2Vzc2lvbi1rZXktZm9yLXRlc3RzLW9ubHktMzItYnl0ZXM=");
    let (url, pg_database) = test_database(data_dir.path()).await;
    settings.database.url = url;
    customize(&mut settings);
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap());
    let sms = RecordingSms::default();
    let app = Application::build_with(
        settings,
        AppOptions {
            clock: Arc::new(clock.clone()) as Arc<dyn Clock>,
            sms: Some(Arc::new(sms.clone())),
            listener: Some(listener),
        },
    )
    .await
    .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        state,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        clock,
        sms,
        _data_dir: data_dir,
        pg_database,
    }
}

/// A migrated database for one test: a SQLite file under `dir`, or a PostgreSQL database cloned
/// from the migrated template when `TEST_DATABASE_URL` is set (returned so it can be dropped).
pub async fn test_database(dir: &std::path::Path) -> (DatabaseUrl, Option<(String, String)>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = pg::fresh_database(&admin_url).await;
            let url = DatabaseUrl::new(pg::url_for(&admin_url, &name));
            (url, Some((admin_url, name)))
        }
        _ => {
            let file = dir.join("test.db");
            (
                DatabaseUrl::new(format!("sqlite://{}", file.display())),
                None,
            )
        }
    }
}

/// Drops a test's PostgreSQL database before returning, so none is left behind when the test
/// binary exits. Runs on its own thread: it may be called from inside the test's runtime.
pub fn drop_test_database(pg_database: Option<(String, String)>) {
    if let Some((admin, name)) = pg_database {
        let _ = std::thread::spawn(move || pg::drop_database(&admin, &name)).join();
    }
}

impl TestApp {
    /// Another instance of the application on the same database (and the same clock), as a
    /// second server behind a load balancer would be.
    pub async fn another_instance(&self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = (*self.state.settings).clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("address").port();
        settings.server.listen = format!("127.0.0.1:{port}");
        settings.server.public_url = format!("http://127.0.0.1:{port}");
        let app = Application::build_with(
            settings,
            AppOptions {
                clock: Arc::new(self.clock.clone()) as Arc<dyn Clock>,
                sms: Some(Arc::new(self.sms.clone())),
                listener: Some(listener),
            },
        )
        .await
        .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            state,
            client: self.client.clone(),
            clock: self.clock.clone(),
            sms: self.sms.clone(),
            _data_dir: data_dir,
            // The first instance owns the database.
            pg_database: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Registers a firm with one self-built app (agent 1000002 unless told otherwise).
    pub async fn add_firm(&self, corp_id: &str, token: &str, key: &str) -> TestFirm {
        self.add_firm_with_agent(corp_id, "1000002", token, key)
            .await
    }

    /// Writes the sidebar's noted last contexts now instead of at the next tick.
    pub async fn flush_context_hints(&self) {
        self.state
            .ctx
            .context_hints
            .flush(&self.state.db)
            .await
            .unwrap();
    }

    pub async fn add_firm_with_agent(
        &self,
        corp_id: &str,
        agent_id: &str,
        token: &str,
        key: &str,
    ) -> TestFirm {
        let db = &self.state.db;
        let now = self.clock.now();
        let firm = match firms::find_by_corp_id(db.read(), corp_id).await.unwrap() {
            Some(f) => f,
            None => firms::create_firm(
                db.write(),
                corp_id,
                &format!("测试公司 {corp_id}"),
                false,
                now,
            )
            .await
            .expect("firm"),
        };
        let app = firms::add_app(
            db.write(),
            &self.state.secrets,
            firm.id,
            NewApp {
                agent_id: agent_id.into(),
                name: "测试应用".into(),
                kind: zhangfang::db::entities::wecom_app::Kind::SelfBuilt,
                suite_id: None,
                secret: Some(Secret::new("test-secret")),
                token: Secret::new(token),
                encoding_aes_key: Secret::new(key),
                is_primary: agent_id == "1000002",
            },
            now,
        )
        .await
        .expect("app");
        self.state.apps.invalidate(firm.id);
        self.state.apps.forget_unknown(corp_id);
        TestFirm {
            firm_id: firm.id,
            app_id: app.id,
            corp_id: corp_id.into(),
            agent_id: agent_id.into(),
            token: token.into(),
            key: key.into(),
        }
    }

    /// A single number from SQL, for assertions.
    pub async fn count(&self, sql: &str) -> i64 {
        let backend = self.state.db.backend();
        let row = self
            .state
            .db
            .read()
            .query_one_raw(Statement::from_string(backend, sql.to_string()))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }

    pub fn backend(&self) -> DbBackend {
        self.state.db.backend()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `WITH (FORCE)` ends the app's own connections; CI also sweeps anything left over.
        drop_test_database(self.pg_database.take());
    }
}

mod pg {
    use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
    use sea_orm_migration::MigratorTrait;
    use zhangfang::db::migration::Migrator;

    const TEMPLATE_LOCK: i64 = 0x7a66_7465_6d70;

    pub fn url_for(admin_url: &str, database: &str) -> String {
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{database}"));
        url.to_string()
    }

    /// Name of the template for the current set of migrations.
    fn template_name() -> String {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let digest = sha2_hex(&names.join(","));
        format!("zf_template_{}", &digest[..12])
    }

    fn sha2_hex(text: &str) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    pub async fn fresh_database(admin_url: &str) -> String {
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        let exec = |sql: String| Statement::from_string(DbBackend::Postgres, sql);
        let template = template_name();
        admin
            .execute_raw(exec(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})")))
            .await
            .unwrap();
        let exists = admin
            .query_one_raw(exec(format!(
                "SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"
            )))
            .await
            .unwrap()
            .is_some();
        if !exists {
            let building = format!("{template}_building");
            admin
                .execute_raw(exec(format!("DROP DATABASE IF EXISTS {building}")))
                .await
                .unwrap();
            admin
                .execute_raw(exec(format!("CREATE DATABASE {building}")))
                .await
                .unwrap();
            let conn = Database::connect(url_for(admin_url, &building))
                .await
                .unwrap();
            Migrator::up(&conn, None).await.expect("migrate template");
            conn.close().await.unwrap();
            admin
                .execute_raw(exec(format!(
                    "ALTER DATABASE {building} RENAME TO {template}"
                )))
                .await
                .unwrap();
        }
        admin
            .execute_raw(exec(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})")))
            .await
            .unwrap();
        let name = format!("zf_test_{}", uuid::Uuid::new_v4().simple());
        let mut attempts = 0;
        loop {
            match admin
                .execute_raw(exec(format!("CREATE DATABASE {name} TEMPLATE {template}")))
                .await
            {
                Ok(_) => break,
                // Another test may be cloning the same template at this instant.
                Err(e) if attempts < 50 && e.to_string().contains("being accessed") => {
                    attempts += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
                Err(e) => panic!("creating {name}: {e}"),
            }
        }
        admin.close().await.unwrap();
        name
    }

    pub fn drop_database(admin_url: &str, name: &str) {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            if let Ok(admin) = Database::connect(admin_url).await {
                let _ = admin
                    .execute_raw(Statement::from_string(
                        DbBackend::Postgres,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    ))
                    .await;
                let _ = admin.close().await;
            }
        });
    }
}

/// A single text value from SQL, for assertions.
pub async fn string_value(app: &TestApp, sql: &str) -> String {
    let row = app
        .state
        .db
        .read()
        .query_one_raw(Statement::from_string(app.backend(), sql.to_string()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<String>(0).expect("a string")
}

impl TestApp {
    pub fn clock_now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }
}

/// A child process that is killed when the test ends, passed or failed, so no server outlives
/// its test.
pub struct KillOnDrop(pub std::process::Child);

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A browser signed in as one employee: it keeps its cookies (the session, the CSRF cookie) and
/// asks for HTML, as WeCom's webview does.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    /// The session cookie as `name=value`.
    pub cookie: String,
}

impl Browser {
    pub fn new(base: &str, session_cookie: &str) -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url: url::Url = base.parse().expect("base URL");
        jar.add_cookie_str(&format!("{session_cookie}; Path=/"), &url);
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(jar)
                .build()
                .expect("client"),
            base: base.to_string(),
            cookie: session_cookie.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A page load.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .send()
            .await
            .expect("request")
    }

    /// What the sidebar shell asks for: the fragment only.
    pub async fn fragment(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html")
            .header("hx-request", "true")
            .send()
            .await
            .expect("request")
    }

    /// Loads `page` and returns the CSRF token its forms carry (the page also sets the cookie
    /// the token belongs to).
    pub async fn csrf_token(&self, page: &str) -> String {
        let html = self.get(page).await.text().await.expect("page");
        csrf_in(&html).unwrap_or_else(|| panic!("no CSRF token on {page}"))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .form(form)
            .send()
            .await
            .expect("request")
    }
}

/// The CSRF token in a page: a `csrf` form field or the shell's `csrf-token` meta tag.
pub fn csrf_in(html: &str) -> Option<String> {
    ["name=\"csrf\" value=\"", "name=\"csrf-token\" content=\""]
        .iter()
        .find_map(|marker| html.split(marker).nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
}

/// An employee to create with [`TestApp::add_employee`].
pub struct NewEmployee<'a> {
    pub name: &'a str,
    pub mobile: Option<&'a str>,
    pub userid: Option<&'a str>,
    pub role: zhangfang::db::entities::employee::Role,
    pub permissions: &'a [&'a str],
}

impl Default for NewEmployee<'_> {
    fn default() -> Self {
        Self {
            name: "测试员工",
            mobile: None,
            userid: None,
            role: zhangfang::db::entities::employee::Role::Staff,
            permissions: &[],
        }
    }
}

impl TestApp {
    /// An active employee of `firm_id` with the given role and permission codes; returns its id.
    pub async fn add_employee(&self, firm_id: i64, e: NewEmployee<'_>) -> i64 {
        use sea_orm::{ActiveModelTrait, Set};
        use zhangfang::db::entities::{employee, employee_permission};
        let now = self.clock.now();
        let admin = !matches!(e.role, employee::Role::Staff);
        let row = employee::ActiveModel {
            firm_id: Set(firm_id),
            name: Set(e.name.to_string()),
            mobile: Set(e.mobile.map(str::to_string)),
            wecom_userid: Set(e.userid.map(str::to_string)),
            role: Set(e.role),
            department_ids: Set(None),
            status: Set(employee::Status::Active),
            data_scope: Set(if admin {
                employee::DataScope::All
            } else {
                employee::DataScope::Own
            }),
            bound_at: Set(e.userid.map(|_| now)),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        }
        .insert(self.state.db.write())
        .await
        .expect("employee");
        for code in e.permissions {
            employee_permission::ActiveModel {
                firm_id: Set(firm_id),
                employee_id: Set(row.id),
                perm_code: Set(code.to_string()),
                created_at: Set(now),
            }
            .insert(self.state.db.write())
            .await
            .expect("permission");
        }
        row.id
    }

    /// A customer of `firm_id` with the schema's defaults (small-scale, quarterly VAT, serving).
    pub async fn add_customer(&self, firm_id: i64, name: &str) -> i64 {
        let now = self.clock.now();
        let stmt = zhangfang::db::statement(
            self.backend(),
            "INSERT INTO customer (firm_id, name, taxpayer_type, vat_period, created_at, updated_at) \
             VALUES (?, ?, 'small_scale', 'quarter', ?, ?)",
            [firm_id.into(), name.into(), now.into(), now.into()],
        );
        self.state
            .db
            .write()
            .execute_raw(stmt)
            .await
            .expect("customer");
        self.count(&format!(
            "SELECT MAX(id) FROM customer WHERE firm_id = {firm_id}"
        ))
        .await
    }

    /// A browser with a sidebar session for the employee bound to WeCom member `userid`.
    pub async fn signed_in(&self, userid: &str) -> Browser {
        self.session_for(userid, zhangfang::db::entities::web_session::Kind::Sidebar)
            .await
    }

    /// A browser with a back-office session for the employee bound to `userid`.
    pub async fn signed_in_back_office(&self, userid: &str) -> Browser {
        self.session_for(userid, zhangfang::db::entities::web_session::Kind::Admin)
            .await
    }

    async fn session_for(
        &self,
        userid: &str,
        kind: zhangfang::db::entities::web_session::Kind,
    ) -> Browser {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use zhangfang::db::entities::employee;
        let found = employee::Entity::find()
            .filter(employee::Column::WecomUserid.eq(userid))
            .filter(employee::Column::DeletedAt.is_null())
            .one(self.state.db.read())
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no employee is bound to {userid}"));
        let token = zhangfang::services::sessions::create(
            self.state.db.write(),
            found.firm_id,
            found.id,
            kind,
            None,
            None,
            self.clock.now(),
        )
        .await
        .expect("session");
        let cookie = zhangfang::services::sessions::cookie_name(kind);
        Browser::new(&self.address, &format!("{cookie}={token}"))
    }

    /// Posts `event` (decrypted XML) to the firm's callback URL, signed and encrypted with its
    /// keys as WeCom would.
    pub async fn post_callback(&self, firm: &TestFirm, event: &str) -> reqwest::Response {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = self.clock.now().timestamp().to_string();
        use zhangfang::wecom::crypto::{CallbackCrypto, envelope_xml, random_prefix};
        let crypto = CallbackCrypto::new(&firm.token, &firm.key, &firm.corp_id).expect("keys");
        let sealed = crypto
            .seal(event, &timestamp, &nonce, random_prefix())
            .expect("seal");
        self.client
            .post(self.url(&format!(
                "/wecom/callback/{}?msg_signature={}&timestamp={timestamp}&nonce={nonce}",
                firm.corp_id, sealed.msg_signature
            )))
            .header("content-type", "text/xml")
            .body(envelope_xml(&firm.corp_id, &sealed.encrypt, &firm.agent_id))
            .send()
            .await
            .expect("request")
    }
}

impl TestApp {
    /// SQLite's query plan for `sql` (`?` placeholders bound to `values`): the `detail` of each
    /// step, in order. `None` on PostgreSQL, whose plans depend on its statistics.
    pub async fn sqlite_plan(&self, sql: &str, values: Vec<sea_orm::Value>) -> Option<Vec<String>> {
        let db = &self.state.db;
        if db.backend() != DbBackend::Sqlite {
            return None;
        }
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let rows = db
            .read()
            .query_all_raw(zhangfang::db::statement(
                DbBackend::Sqlite,
                &explain,
                values,
            ))
            .await
            .expect("query plan");
        Some(
            rows.iter()
                .map(|row| row.try_get::<String>("", "detail").expect("detail"))
                .collect(),
        )
    }

    /// Runs one writing SQL statement (`?` placeholders), for setting up a state directly.
    pub async fn execute(&self, sql: &str, values: Vec<sea_orm::Value>) {
        use sea_orm::ConnectionTrait;
        let db = &self.state.db;
        db.write()
            .execute_raw(zhangfang::db::statement(db.backend(), sql, values))
            .await
            .expect("statement");
    }

    /// The request [`TestApp::post_callback`] sends, to be sent later (for example from a spawned
    /// task, to have several in flight at once).
    pub fn callback_request(&self, firm: &TestFirm, event: &str) -> reqwest::RequestBuilder {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = self.clock.now().timestamp().to_string();
        use zhangfang::wecom::crypto::{CallbackCrypto, envelope_xml, random_prefix};
        let crypto = CallbackCrypto::new(&firm.token, &firm.key, &firm.corp_id).expect("keys");
        let sealed = crypto
            .seal(event, &timestamp, &nonce, random_prefix())
            .expect("seal");
        self.client
            .post(self.url(&format!(
                "/wecom/callback/{}?msg_signature={}&timestamp={timestamp}&nonce={nonce}",
                firm.corp_id, sealed.msg_signature
            )))
            .header("content-type", "text/xml")
            .body(envelope_xml(&firm.corp_id, &sealed.encrypt, &firm.agent_id))
    }

    /// The signed-in employee bound to `userid`, as a service sees it (sidebar session).
    pub async fn current_employee(
        &self,
        userid: &str,
    ) -> zhangfang::services::sessions::CurrentEmployee {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use zhangfang::db::entities::{employee, web_session};
        let found = employee::Entity::find()
            .filter(employee::Column::WecomUserid.eq(userid))
            .filter(employee::Column::DeletedAt.is_null())
            .one(self.state.db.read())
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no employee is bound to {userid}"));
        let token = zhangfang::services::sessions::create(
            self.state.db.write(),
            found.firm_id,
            found.id,
            web_session::Kind::Sidebar,
            None,
            None,
            self.clock.now(),
        )
        .await
        .expect("session");
        zhangfang::services::sessions::authenticate(
            &self.state.ctx,
            &token,
            web_session::Kind::Sidebar,
            self.clock.now(),
        )
        .await
        .expect("authenticate")
        .expect("a live session")
    }

    /// A receivable of a customer (`period_from`..`period_to`, `amount_fen`, due on `due`);
    /// returns its id.
    pub async fn add_receivable(
        &self,
        firm_id: i64,
        customer_id: i64,
        period_from: &str,
        period_to: &str,
        amount_fen: i64,
        due: &str,
    ) -> i64 {
        let now = self.clock.now();
        let due = chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d").expect("due date");
        let stmt = zhangfang::db::statement(
            self.backend(),
            "INSERT INTO receivable (firm_id, customer_id, period_from, period_to, amount_fen, \
             due_date, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                firm_id.into(),
                customer_id.into(),
                period_from.into(),
                period_to.into(),
                amount_fen.into(),
                due.into(),
                now.into(),
                now.into(),
            ],
        );
        self.state
            .db
            .write()
            .execute_raw(stmt)
            .await
            .expect("receivable");
        self.count(&format!(
            "SELECT MAX(id) FROM receivable WHERE firm_id = {firm_id}"
        ))
        .await
    }
}
