//! What every request handler can reach.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::Clock;
use crate::secrets::SecretBox;
use crate::services::callbacks::CallbackApps;
use crate::services::inbox::InboxWriter;
use crate::services::wecom_client::WecomClients;
use crate::sms::SmsSender;

pub struct AppState {
    pub settings: Settings,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    /// Signs cookies; never leaves the process.
    pub session_key: Vec<u8>,
    pub inbox: InboxWriter,
    pub callback_apps: CallbackApps,
    pub wecom: WecomClients,
    /// Where WeCom lives for this process: the real one, or the sandbox in demo mode.
    pub wecom_endpoints: WecomEndpoints,
    pub sms: Arc<dyn SmsSender>,
    pub started_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct WecomEndpoints {
    /// Server-to-server API (`/cgi-bin/...`).
    pub api_base: String,
    /// The OAuth authorize page browsers are sent to.
    pub oauth_base: String,
    /// The web-login (QR code) page of the back office.
    pub login_base: String,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn wecom_oauth_base(&self) -> &str {
        &self.wecom_endpoints.oauth_base
    }
}
