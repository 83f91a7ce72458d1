//! `GET /healthz`: is this instance able to serve? Load balancers and operators poll it.
//!
//! 200 with `"status": "ok"` when the database answers and the inbox writer is idle or
//! committing normally (a fresh instance that has committed nothing is healthy); 503 with another
//! status when the database does not answer within [`PING_TIMEOUT`], or the inbox writer's last
//! commit attempt failed (`inbox_failing`), has run longer than the commit timeout
//! (`inbox_stalled`) or the writer is not running (`inbox_stopped`).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::services::inbox::WriterState;
use crate::state::AppState;

/// A database that does not answer a ping within this time counts as down; the check itself
/// must answer well within a load balancer's timeout.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    let backend = if state.db.is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    let probe = async {
        state.db.ping().await?;
        state.db.pending_migrations().await
    };
    let (db_ok, pending, error) = match tokio::time::timeout(PING_TIMEOUT, probe).await {
        Ok(Ok(pending)) => (true, Some(pending.len()), None),
        Ok(Err(e)) => (false, None, Some(e.to_string())),
        Err(_) => (false, None, Some("no answer within 2 s".to_string())),
    };
    if let Some(e) = &error {
        tracing::warn!(error = %e, "health check: database unavailable");
    }
    let inbox = state.inbox.status();
    // The writer's own state says more than a ping that timed out behind its stalled commit.
    let status = match inbox.state {
        WriterState::Ok if db_ok => "ok",
        WriterState::Ok => "unavailable",
        WriterState::Stalled => "inbox_stalled",
        WriterState::Failing => "inbox_failing",
        WriterState::Stopped => "inbox_stopped",
    };
    if inbox.state != WriterState::Ok {
        tracing::warn!(state = ?inbox.state, restarts = inbox.restarts, "health check: inbox writer unhealthy");
    }
    let body = json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "database": {
            "backend": backend,
            "ok": db_ok,
            "pending_migrations": pending,
        },
        "inbox": {
            "writer": inbox.state,
            "running": inbox.running,
            "restarts": inbox.restarts,
            "last_commit_at": inbox.last_commit_at.map(|t| t.to_rfc3339()),
            "last_failure_at": inbox.last_failure_at.map(|t| t.to_rfc3339()),
            "queued": inbox.queued,
            "committing_for_ms": inbox.committing_for_ms,
            "rows_retried_alone": inbox.rows_retried_alone,
        },
        "started_at": state.started_at.to_rfc3339(),
    });
    if status == "ok" {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
