//! `GET /healthz`: is this instance able to serve? Load balancers and operators poll it.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

pub async fn check(state: web::Data<AppState>) -> HttpResponse {
    let backend = if state.db.is_sqlite() {
        "sqlite"
    } else {
        "postgres"
    };
    let (ok, pending, error) = match state.db.ping().await {
        Ok(()) => match state.db.pending_migrations().await {
            Ok(pending) => (true, Some(pending.len()), None),
            Err(e) => (false, None, Some(e.to_string())),
        },
        Err(e) => (false, None, Some(e.to_string())),
    };
    if let Some(e) = &error {
        tracing::warn!(error = %e, "health check: database unavailable");
    }
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "version": env!("CARGO_PKG_VERSION"),
        "database": {
            "backend": backend,
            "ok": ok,
            "pending_migrations": pending,
        },
        "started_at": state.started_at.to_rfc3339(),
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
