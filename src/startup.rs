//! Building and running the application, the same way for `main` and for tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, dev::Server, web::Data};
use anyhow::Context;

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::{Clock, SystemClock};
use crate::secrets::{SecretBox, load_or_create_key};
use crate::services::inbox::InboxWriter;
use crate::services::{Ctx, WecomEndpoints, firms};
use crate::state::AppState;

/// What tests (and embedders) may swap: the clock, the SMS sender, and an already bound listener
/// (so a test knows its port, and with it `public_url`, before the app is built).
pub struct AppOptions {
    pub clock: Arc<dyn Clock>,
    pub sms: Option<Arc<dyn crate::sms::SmsSender>>,
    pub listener: Option<TcpListener>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            sms: None,
            listener: None,
        }
    }
}

/// Seeding a large demo firm allocates a few hundred MB that are free again once it is written;
/// glibc keeps freed heap for reuse unless asked to return it, which a long-running service
/// serving a fraction of that should do.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages back to the kernel; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The default `[wecom] api_base`; demo mode replaces it with the in-app sandbox.
const PRODUCTION_API_BASE: &str = "https://qyapi.weixin.qq.com";

/// Why demo mode must not start here, if it must not: demo data and the sandbox (which lets anyone
/// pick any member and sign in) belong to a machine where nothing real is configured.
async fn demo_blocker(settings: &Settings, db: &Database) -> anyhow::Result<Option<String>> {
    if !settings.public_url_is_loopback() {
        return Ok(Some(format!(
            "server.public_url {} is not a loopback address",
            settings.server.public_url
        )));
    }
    if !settings.wecom.corp_id.is_empty() {
        return Ok(Some("the [wecom] section configures a real app".into()));
    }
    if firms::count_real(db.read())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        > 0
    {
        return Ok(Some("the database holds a real firm".into()));
    }
    Ok(None)
}

pub struct Application {
    port: u16,
    server: Server,
    state: Data<AppState>,
    inbox_task: tokio::task::JoinHandle<()>,
    hints_task: tokio::task::JoinHandle<()>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, AppOptions::default()).await
    }

    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Self::build_with(
            settings,
            AppOptions {
                clock,
                ..AppOptions::default()
            },
        )
        .await
    }

    /// Connects, migrates, registers configured firms, seeds the demo when enabled, and binds the
    /// listener. The server starts serving when [`Application::run_until_stopped`] is awaited.
    pub async fn build_with(mut settings: Settings, options: AppOptions) -> anyhow::Result<Self> {
        let AppOptions {
            clock,
            sms,
            listener,
        } = options;
        let listen = match &listener {
            Some(l) => l.local_addr()?,
            None => settings.listen_addr()?,
        };
        if settings.demo.enabled && !listen.ip().is_loopback() {
            anyhow::bail!(
                "demo mode serves only on a loopback address, but server.listen is {listen}; \
                 set [demo] enabled = false (ZHANGFANG_DEMO__ENABLED=false) to serve real firms"
            );
        }
        let db = Database::connect(&settings.database)
            .await
            .with_context(|| format!("connecting to {}", settings.database.url))?;
        db.migrate().await.context("migrating the database")?;
        if settings.demo.enabled
            && let Some(reason) = demo_blocker(&settings, &db).await?
        {
            tracing::warn!("demo mode stays off: {reason}");
            settings.demo.enabled = false;
        }
        if sms.is_none()
            && settings.sms.provider == crate::config::SmsProvider::Log
            && !settings.public_url_is_loopback()
        {
            anyhow::bail!(
                "[sms] provider = \"log\" writes verification codes to the log, which a real \
                 deployment (public_url {}) must not do: configure provider = \"tencent\" with \
                 its secret_id, secret_key, sdk_app_id, sign_name and template_id",
                settings.server.public_url
            );
        }

        let session_key = load_or_create_key(
            &settings.security.secret_key,
            &settings.server.data_dir,
            "secret_key",
            32,
            1024,
        )?;
        let secrets = SecretBox::from_settings(&settings)?;

        firms::bootstrap_from_config(&db, &secrets, &settings.wecom, clock.now())
            .await
            .map_err(|e| anyhow::anyhow!("registering the [wecom] app: {e}"))?;
        for warning in settings.warnings() {
            tracing::warn!("{warning}");
        }
        if !settings.demo.enabled && firms::count_real(db.read()).await? == 0 {
            tracing::warn!(
                "no firm is configured: WeCom callbacks and sign-in will find nobody; set the \
                 [wecom] section or create a firm with `zhangfang firm create`"
            );
        }
        if settings.demo.enabled {
            crate::seed::ensure_demo(&db, &secrets, clock.as_ref(), settings.demo.profile)
                .await
                .context("seeding the demo firm")?;
            db.release_cached_statements()
                .await
                .context("releasing the seed's prepared statements")?;
            give_back_freed_memory();
        }

        let listener = match listener {
            Some(l) => l,
            None => TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?,
        };
        let port = listener.local_addr()?.port();
        // Demo mode plays WeCom itself unless the config points at another WeCom (a standalone
        // sandbox, say).
        let sandbox = if settings.demo.enabled && settings.wecom.api_base == PRODUCTION_API_BASE {
            let sandbox_clock = clock.clone();
            let listen_host = format!("{}:{port}", listen.ip());
            let public = url::Url::parse(settings.public_base())?;
            let public_host = format!(
                "{}:{}",
                public.host_str().unwrap_or_default(),
                public.port_or_known_default().unwrap_or(port)
            );
            let host = crate::sandbox::demo::DemoHost {
                callback_targets: vec![
                    format!("http://{listen_host}/wecom/callback/"),
                    format!("{}/wecom/callback/", settings.public_base()),
                ],
                hosts: vec![listen_host, public_host],
            };
            crate::sandbox::demo::for_demo_firm(
                &db,
                Arc::new(move || sandbox_clock.now()),
                host,
                &crate::seed::demo_corp_id(settings.demo.profile),
            )
            .await?
        } else {
            None
        };
        // Building the sandbox's corp regenerates the seed's roster, which is dropped again.
        if sandbox.is_some() {
            give_back_freed_memory();
        }
        let wecom_endpoints = match &sandbox {
            Some(_) => {
                let public = format!(
                    "{}{}",
                    settings.public_base(),
                    crate::sandbox::demo::BASE_PATH
                );
                WecomEndpoints {
                    api_base: format!(
                        "http://{}:{port}{}",
                        listen.ip(),
                        crate::sandbox::demo::BASE_PATH
                    ),
                    oauth_base: public.clone(),
                    login_base: public,
                }
            }
            None => WecomEndpoints::from_settings(&settings),
        };
        let mut sms =
            sms.unwrap_or_else(|| crate::sms::from_settings(&settings.sms, clock.clone()));
        let demo_tools = match &sandbox {
            Some(sandbox) => {
                let outbox = Arc::new(crate::sms::outbox::Outbox::new(sms, clock.clone()));
                sms = outbox.clone();
                Some(crate::web::demo::DemoTools {
                    sandbox: sandbox.clone(),
                    outbox,
                })
            }
            None => None,
        };
        let ctx = Ctx::build(
            settings,
            db.clone(),
            clock.clone(),
            secrets,
            wecom_endpoints,
            sms,
        )?;

        let (inbox, inbox_task) = InboxWriter::spawn(
            db,
            clock.clone(),
            crate::services::inbox::WriterOptions {
                commit_timeout: Duration::from_millis(
                    ctx.settings.wecom.callback_commit_timeout_ms.max(1),
                ),
                queue_depth: ctx.settings.wecom.callback_queue_depth.max(1),
            },
        )
        .context("cannot start the callback inbox's writer thread")?;
        let hints_task = tokio::spawn(crate::services::context_hints::flush_loop(
            ctx.context_hints.clone(),
            ctx.db.clone(),
        ));
        let state = Data::new(AppState {
            started_at: clock.now(),
            ctx,
            session_key: session_key.clone(),
            inbox,
            demo_tools,
            signin_limits: Default::default(),
            api_limits: Default::default(),
            csrf: crate::web::csrf::CsrfKeys::new(&session_key),
        });

        let workers = match state.settings.server.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let app_state = state.clone();
        let in_app_sandbox = sandbox.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .configure(|cfg| {
                    if let Some(sandbox) = &in_app_sandbox {
                        sandbox.configure(cfg);
                    }
                    crate::web::routes(cfg);
                })
                .wrap(crate::web::error_pages::middleware())
                .wrap(crate::web::security_headers())
                .wrap(actix_web::middleware::from_fn(crate::web::request_log))
        })
        .workers(workers)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        tracing::info!(
            address = %format!("http://{}:{port}", listen.ip()),
            public_url = %state.settings.server.public_url,
            database = %state.settings.database.url,
            demo = state.settings.demo.enabled,
            wecom = %state.endpoints.api_base,
            "zhangfang is serving"
        );
        Ok(Self {
            port,
            server,
            state,
            inbox_task,
            hints_task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Data<AppState> {
        self.state.clone()
    }

    /// Serves (and runs background jobs when `[worker] enabled`) until SIGINT/SIGTERM, then
    /// finishes in-flight requests, stops the jobs, drains the inbox writer and checkpoints the
    /// database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            state,
            inbox_task,
            hints_task,
            ..
        } = self;
        let worker = state
            .settings
            .worker
            .enabled
            .then(|| crate::worker::standard(state.ctx.clone()).build().spawn());
        let served = server.await;
        // After the HTTP server: a request still in flight may have queued a job.
        if let Some(worker) = worker {
            worker.shutdown().await;
        }
        let db = state.db.clone();
        hints_task.abort();
        if let Err(e) = state.ctx.context_hints.flush(&db).await {
            tracing::warn!(error = %e, "the sidebar's last contexts were not written");
        }
        // The writer stops once the last sender (inside the state) is gone.
        drop(state);
        if tokio::time::timeout(Duration::from_secs(10), inbox_task)
            .await
            .is_err()
        {
            tracing::warn!("inbox writer did not drain within 10 s");
        }
        db.close().await;
        tracing::info!("stopped");
        served
    }
}
