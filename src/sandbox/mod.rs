//! The WeCom (企业微信) sandbox: a faithful simulator of the part of WeCom that Zhangfang uses.
//!
//! Real WeCom is unreachable from development and CI machines, so the sandbox plays it: the
//! `/cgi-bin` server API with WeCom's JSON shapes and error codes (tokens, tickets, OAuth codes,
//! members, external contacts, customer groups, corp tags, media, app messages), the OAuth and
//! web-login pages (a member picker instead of a QR code) and encrypted callbacks sent to an
//! app exactly as WeCom would send them. Demo mode mounts it inside the app (base path
//! `/sandbox`), developers run it standalone ([`run_standalone`]), and tests drive it directly:
//! they move its clock, inject faults and latency, and read call counts and sent messages.
//!
//! The data comes from a [`WecomDataset`] (the same one the seeder writes into the database, so
//! ids agree on both sides) and is indexed at construction, so profile L (10,000 external
//! contacts, 4,500 groups) pages as fast as the demo firm.

mod api;
mod control;
mod cursor;
pub mod demo;
mod errors;
mod events;
mod file;
mod multipart;
mod oauth;
mod state;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use chrono::{DateTime, Utc};

use crate::seed::WecomDataset;

pub use control::{Delivery, Fault};
pub use errors::{ApiError, SandboxError};
pub use events::{
    ChatChangeType, ChatUpdateDetail, ContactChangeType, ExternalChatEvent, ExternalContactEvent,
    ExternalTagEvent, NewExternalContact, SandboxEvent, TagChangeType, TagType,
};
pub use file::{SandboxFile, SandboxFileError};
pub use state::{ChatMessage, SentMessage, UploadedMedia};

use state::{Corp, Runtime};

/// The sandbox's notion of "now"; tests pass a closure over a value they control.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How the sandbox behaves; [`Default`] is what WeCom does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxOptions {
    /// Lifetime of an access token (`expires_in`); WeCom's is 7200 s.
    pub token_lifetime: Duration,
    /// Hosts accepted in OAuth `redirect_uri` (WeCom's 可信域名, `host` or `host:port`); empty
    /// accepts any host.
    pub trusted_redirect_hosts: Vec<String>,
    /// URL prefix the routes are mounted under: "/sandbox" inside the app, "" standalone.
    pub base_path: String,
    /// Where callbacks may be delivered: URL prefixes such as
    /// `http://127.0.0.1:8080/wecom/callback/`. Empty: loopback addresses only. The sandbox
    /// must never be a relay that posts to any address someone names.
    pub callback_targets: Vec<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(7200),
            trusted_redirect_hosts: Vec::new(),
            base_path: String::new(),
            callback_targets: Vec::new(),
        }
    }
}

/// The credentials of the sandbox corp's app, as a developer configures them in Zhangfang.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SandboxCredentials {
    pub corp_id: String,
    pub corp_name: String,
    pub corp_short_name: String,
    pub agent_id: String,
    pub app_name: String,
    pub secret: String,
    /// Callback Token.
    pub token: String,
    /// Callback EncodingAESKey.
    pub encoding_aes_key: String,
}

/// A running WeCom simulator. Cheap to clone: clones share the same corp and session.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    corp: RwLock<Corp>,
    runtime: Mutex<Runtime>,
    options: SandboxOptions,
    clock: Clock,
    /// Built on first use: only callbacks need an HTTP client.
    http: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Sandbox {
    // Secrets stay out of logs; the corp id is enough to tell sandboxes apart.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("corp_id", &self.corp().corp_id)
            .field("base_path", &self.inner.options.base_path)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A sandbox serving `dataset` on the wall clock.
    #[must_use]
    pub fn new(dataset: WecomDataset, options: SandboxOptions) -> Self {
        Self::with_clock(
            dataset,
            options,
            Arc::new(|| crate::domain::clock::Clock::now(&crate::domain::clock::SystemClock)),
        )
    }

    /// A sandbox whose token, code, ticket and media lifetimes follow `clock`.
    #[must_use]
    pub fn with_clock(dataset: WecomDataset, mut options: SandboxOptions, clock: Clock) -> Self {
        options.base_path = normalize_base(&options.base_path);
        Self {
            inner: Arc::new(Inner {
                corp: RwLock::new(Corp::from_dataset(dataset)),
                runtime: Mutex::new(Runtime::default()),
                options,
                clock,
                http: OnceLock::new(),
            }),
        }
    }

    /// The options in force (base path normalised: "" or "/x" without a trailing slash).
    #[must_use]
    pub fn options(&self) -> &SandboxOptions {
        &self.inner.options
    }

    /// The sandbox's current time.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// The corp and app credentials a developer needs to point Zhangfang at this sandbox.
    #[must_use]
    pub fn credentials(&self) -> SandboxCredentials {
        let corp = self.corp();
        SandboxCredentials {
            corp_id: corp.corp_id.clone(),
            corp_name: corp.corp_name.clone(),
            corp_short_name: corp.corp_short_name.clone(),
            agent_id: corp.app.agent_id.clone(),
            app_name: corp.app.name.clone(),
            secret: corp.app.secret.clone(),
            token: corp.app.token.clone(),
            encoding_aes_key: corp.app.encoding_aes_key.clone(),
        }
    }

    /// Mounts every route under the base path: `/cgi-bin/…` (the API), `/connect/oauth2/…`
    /// (OAuth), `/wwlogin/sso/…` (web login) and `/_sandbox/…` (faults, stats, messages,
    /// callbacks). Use as `App::new().configure(|cfg| sandbox.configure(cfg))`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let data = web::Data::new(self.clone());
        let base = self.inner.options.base_path.clone();
        cfg.service(
            web::scope(&format!("{base}/cgi-bin"))
                .app_data(data.clone())
                .route("/{api:.*}", web::to(api::dispatch)),
        )
        .service(
            web::scope(&format!("{base}/connect/oauth2"))
                .app_data(data.clone())
                .route("/authorize", web::get().to(oauth::authorize_page))
                .route("/authorize/pick", web::get().to(oauth::authorize_pick)),
        )
        .service(
            web::scope(&format!("{base}/wwlogin/sso"))
                .app_data(data.clone())
                .route("/login", web::get().to(oauth::login_page))
                .route("/login/pick", web::get().to(oauth::login_pick)),
        )
        .service(
            web::scope(&format!("{base}/_sandbox"))
                .app_data(data)
                .route("/info", web::get().to(control::info))
                .route("/faults", web::post().to(control::post_fault))
                .route("/faults", web::delete().to(control::delete_faults))
                .route("/stats", web::get().to(control::get_stats))
                .route("/stats", web::delete().to(control::delete_stats))
                .route("/messages", web::get().to(control::get_messages))
                .route("/chat-messages", web::get().to(control::get_chat_messages))
                .route("/chat-messages", web::post().to(control::post_chat_message))
                .route("/callbacks", web::post().to(control::post_callback)),
        );
    }

    /// Calls of one API since the last reset, e.g. `calls("gettoken")` or
    /// `calls("externalcontact/list")` (a leading `/cgi-bin/` is ignored).
    #[must_use]
    pub fn calls(&self, api: &str) -> u64 {
        let key = api::normalize_api(api);
        self.runtime().stats.get(&key).copied().unwrap_or(0)
    }

    /// Calls per API since the last reset.
    #[must_use]
    pub fn stats(&self) -> BTreeMap<String, u64> {
        self.runtime().stats.clone()
    }

    /// Forgets all call counts.
    pub fn reset_stats(&self) {
        self.runtime().stats.clear();
    }

    /// App messages accepted by message/send, oldest first.
    #[must_use]
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.runtime().messages.clone()
    }

    /// Texts put into chats by the demo sidebar, oldest first (at most the last 500).
    #[must_use]
    pub fn chat_messages(&self) -> Vec<state::ChatMessage> {
        self.runtime().chat_messages.clone()
    }

    /// Records a text the demo sidebar put into a chat.
    pub fn record_chat_message(&self, mut message: state::ChatMessage) {
        message.sent_at = self.now();
        let mut rt = self.runtime();
        if rt.chat_messages.len() >= 500 {
            rt.chat_messages.remove(0);
        }
        rt.chat_messages.push(message);
    }

    /// An upload that is still kept (WeCom keeps temporary media for 3 days).
    #[must_use]
    pub fn media(&self, media_id: &str) -> Option<UploadedMedia> {
        let now = self.now();
        self.runtime()
            .media
            .get(media_id)
            .filter(|m| now < state::later(m.created_at, api::MEDIA_LIFETIME))
            .cloned()
    }

    /// Whether an upload is still kept (and of `kind`, when given), without copying it.
    pub(crate) fn has_media(&self, media_id: &str, kind: Option<&str>) -> bool {
        let now = self.now();
        self.runtime().media.get(media_id).is_some_and(|m| {
            now < state::later(m.created_at, api::MEDIA_LIFETIME)
                && kind.is_none_or(|k| m.kind == k)
        })
    }

    /// The corp's members as the sandbox holds them now.
    #[must_use]
    pub fn members(&self) -> Vec<crate::seed::WecomMember> {
        self.corp().members.clone()
    }

    /// Issues an OAuth code for a member without going through the picker page (for tests of
    /// the app's login); `None` for an unknown userid.
    #[must_use]
    pub fn issue_code(&self, userid: &str) -> Option<String> {
        self.corp().member(userid)?;
        Some(oauth::issue_code(self, userid, false))
    }

    fn corp(&self) -> RwLockReadGuard<'_, Corp> {
        // A panic elsewhere must not take the sandbox down with it: the data stays usable.
        self.inner
            .corp
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn corp_mut(&self) -> RwLockWriteGuard<'_, Corp> {
        self.inner
            .corp
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn runtime(&self) -> MutexGuard<'_, Runtime> {
        self.inner
            .runtime
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// "" stays ""; "sandbox/" becomes "/sandbox".
fn normalize_base(base: &str) -> String {
    let trimmed = base.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}

/// Serves the sandbox alone at base "" on `listen` until the server stops (Ctrl-C), after
/// printing what a developer needs to configure an app against it. Run it from the binary's
/// `#[actix_web::main]` (any tokio runtime works).
///
/// # Errors
/// When `listen` cannot be bound.
pub async fn run_standalone(
    listen: SocketAddr,
    dataset: WecomDataset,
    mut options: SandboxOptions,
) -> std::io::Result<()> {
    options.base_path = String::new();
    let sandbox = Sandbox::new(dataset, options);
    let server = {
        let sandbox = sandbox.clone();
        HttpServer::new(move || {
            let sandbox = sandbox.clone();
            App::new().configure(move |cfg| sandbox.configure(cfg))
        })
        .workers(2)
        .bind(listen)?
    };
    let addrs: Vec<SocketAddr> = server.addrs();
    let shown = addrs.first().copied().unwrap_or(listen);
    // A closed stdout must not stop the sandbox, so the banner is best effort.
    let _ = writeln!(std::io::stdout(), "{}", standalone_banner(&sandbox, shown));
    server.run().await
}

/// What `run_standalone` prints: the endpoints and credentials to configure an app with.
#[must_use]
pub fn standalone_banner(sandbox: &Sandbox, addr: SocketAddr) -> String {
    let c = sandbox.credentials();
    let base = format!("http://{addr}");
    format!(
        "企业微信沙箱已启动：{base}\n\
         \n\
         企业：{corp_name}\n\
         corp_id          = {corp_id}\n\
         agent_id         = {agent_id}（{app_name}）\n\
         secret           = {secret}\n\
         token            = {token}\n\
         encoding_aes_key = {key}\n\
         \n\
         在账房配置中使用：\n\
         api_base   = \"{base}\"\n\
         oauth_base = \"{base}\"\n\
         login_base = \"{base}\"\n\
         \n\
         调试接口：{base}/_sandbox/info、{base}/_sandbox/stats、{base}/_sandbox/messages",
        corp_name = c.corp_name,
        corp_id = c.corp_id,
        agent_id = c.agent_id,
        app_name = c.app_name,
        secret = c.secret,
        token = c.token,
        key = c.encoding_aes_key,
    )
}
