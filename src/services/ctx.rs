//! The service context: everything a use case may reach, and nothing of the web layer.
//!
//! Handlers get it from the web state; background jobs and CLI commands build their own with
//! [`Ctx::build`], so the same service functions run in a request, a worker or a terminal.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::Clock;
use crate::secrets::SecretBox;
use crate::services::token_store::DbTokenStore;
use crate::services::wecom_apps::WecomApps;
use crate::sms::SmsSender;
use crate::wecom::client::WecomClient;
use crate::wecom::http_api::HttpWecomApi;
use crate::wecom::token_cache::TokenCache;

/// Where WeCom lives for this process: the real one, or the sandbox in demo mode.
#[derive(Clone, Debug)]
pub struct WecomEndpoints {
    /// Server-to-server API (`/cgi-bin/...`).
    pub api_base: String,
    /// The OAuth authorize page browsers are sent to.
    pub oauth_base: String,
    /// The web-login (QR code) page of the back office.
    pub login_base: String,
}

impl WecomEndpoints {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            api_base: settings.wecom.api_base.clone(),
            oauth_base: settings.wecom.oauth_base.clone(),
            login_base: settings.wecom.login_base.clone(),
        }
    }
}

/// Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct Ctx {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    /// The firm's WeCom apps (callback keys and API credentials), cached.
    pub apps: Arc<WecomApps>,
    /// Calls WeCom as one of those apps.
    pub wecom: Arc<WecomClient>,
    pub endpoints: WecomEndpoints,
    pub sms: Arc<dyn SmsSender>,
    /// Where attachments are kept.
    pub media: Arc<dyn crate::services::media_store::MediaStore>,
    /// The sidebar's last contexts noted by this process and not yet written.
    pub context_hints: Arc<crate::services::context_hints::ContextHints>,
    /// The filing calendar as last read (see [`crate::services::calendar::CALENDAR_TTL`]).
    pub calendar: Arc<crate::services::calendar::CalendarCache>,
    /// Sessions read in the last few seconds (see [`crate::services::session_cache::TTL`]).
    pub sessions: Arc<crate::services::session_cache::SessionCache>,
}

impl Ctx {
    /// Wires the WeCom client (shared token cache in the database) around an open database.
    pub fn build(
        settings: Settings,
        db: Database,
        clock: Arc<dyn Clock>,
        secrets: SecretBox,
        endpoints: WecomEndpoints,
        sms: Arc<dyn SmsSender>,
    ) -> anyhow::Result<Self> {
        let base = url::Url::parse(&endpoints.api_base)
            .map_err(|e| anyhow::anyhow!("[wecom] api_base is not a URL: {e}"))?;
        let api = HttpWecomApi::new(base).map_err(|e| anyhow::anyhow!("WeCom client: {e}"))?;
        let token_clock = clock.clone();
        let tokens = TokenCache::new(
            Arc::new(api),
            Arc::new(DbTokenStore::new(db.clone(), secrets.clone())),
            Arc::new(move || token_clock.now()),
            format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
        );
        let serve_demo = settings.demo.enabled;
        let media = crate::services::media_store::from_settings(&settings)?;
        Ok(Self {
            settings: Arc::new(settings),
            apps: Arc::new(WecomApps::new(
                db.clone(),
                secrets.clone(),
                clock.clone(),
                serve_demo,
            )),
            wecom: Arc::new(WecomClient::new(tokens)),
            db,
            clock,
            secrets,
            endpoints,
            sms,
            media,
            context_hints: Default::default(),
            calendar: Default::default(),
            sessions: Default::default(),
        })
    }

    /// The context for a process without the web layer (a worker, a CLI command): SMS from the
    /// settings, WeCom at `[wecom] api_base` (the in-app demo sandbox exists only inside `serve`).
    pub fn standalone(
        settings: Settings,
        db: Database,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let secrets = SecretBox::from_settings(&settings)?;
        let sms = crate::sms::from_settings(&settings.sms, clock.clone());
        let endpoints = WecomEndpoints::from_settings(&settings);
        Self::build(settings, db, clock, secrets, endpoints, sms)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn demo(&self) -> bool {
        self.settings.demo.enabled
    }
}
