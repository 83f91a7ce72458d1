//! What every request handler can reach.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::Clock;
use crate::secrets::SecretBox;
use crate::services::callbacks::CallbackApps;
use crate::services::inbox::InboxWriter;

pub struct AppState {
    pub settings: Settings,
    pub db: Database,
    pub clock: Arc<dyn Clock>,
    pub secrets: SecretBox,
    /// Signs cookies; never leaves the process.
    pub session_key: Vec<u8>,
    pub inbox: InboxWriter,
    pub callback_apps: CallbackApps,
    pub started_at: DateTime<Utc>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
