//! What every request handler can reach: the service context plus what only the web layer needs.

use std::ops::Deref;

use chrono::{DateTime, Utc};

use crate::services::Ctx;
use crate::services::inbox::InboxWriter;
use crate::web::csrf::CsrfKeys;
use crate::web::demo::DemoTools;
use crate::web::limits::{ApiLimits, SigninLimits};

pub struct AppState {
    pub ctx: Ctx,
    /// Signs cookies; never leaves the process.
    pub session_key: Vec<u8>,
    pub inbox: InboxWriter,
    pub started_at: DateTime<Utc>,
    /// Demo mode's sandbox and SMS outbox, for the demo's own pages.
    pub demo_tools: Option<DemoTools>,
    pub signin_limits: SigninLimits,
    pub api_limits: ApiLimits,
    pub csrf: CsrfKeys,
}

/// Handlers read the context's fields (`state.db`, `state.clock`) directly.
impl Deref for AppState {
    type Target = Ctx;

    fn deref(&self) -> &Ctx {
        &self.ctx
    }
}
