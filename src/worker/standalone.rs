//! `zhangfang worker`: background jobs without HTTP, for instances that only run jobs.

use std::sync::Arc;

use anyhow::Context;

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::SystemClock;
use crate::services::Ctx;

/// Connects, migrates, runs every registered job until SIGTERM or SIGINT, then stops gracefully.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database)
        .await
        .with_context(|| format!("connecting to {}", settings.database.url))?;
    db.migrate().await.context("migrating the database")?;
    let database = settings.database.url.redacted();
    let ctx = Ctx::standalone(settings, db.clone(), Arc::new(SystemClock))?;
    let worker = super::standard(ctx).build().spawn();
    tracing::info!(%database, "zhangfang worker is running");
    shutdown_signal()
        .await
        .context("listening for shutdown signals")?;
    tracing::info!("stopping: running jobs get the grace period to finish");
    worker.shutdown().await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
