//! Background jobs, backed by the `background_job` table and safe with many instances.
//!
//! - **Enqueue** with [`enqueue`] (or [`enqueue_on`] inside a transaction): a kind, a JSON
//!   payload, an optional firm, a time to run after and an optional unique key; while a job with
//!   the same kind and key is queued or running, enqueuing another is a no-op.
//! - **Claim** with a lease: a runner marks one due job `running` with `lease_until` and its own
//!   name in `locked_by`, in one conditional UPDATE (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on
//!   SQLite the single writer makes it atomic), and renews the lease while the handler runs. When
//!   a process dies, its leases lapse and other runners take the jobs again.
//! - **Retry** with exponential backoff (`[worker] retry_base_seconds`, doubled per attempt) up to
//!   the job's `max_attempts`; then the job is `failed` and keeps its `last_error`. A kind without
//!   a handler fails at once with a clear error.
//! - **Recurring** kinds keep exactly one live job: each run queues the next, and a starting runner
//!   queues the first when none is live (the unique key makes concurrent starts create one).
//! - **Shutdown**: stop claiming, give running jobs a grace period, then hand unfinished ones back
//!   (`queued` again, due at once) so another instance takes them without waiting for a lease.
//!
//! A later job kind registers a handler on the builder that `serve` and `worker` use, in
//! [`standard`]:
//!
//! ```ignore
//! async fn sync_contacts(ctx: &Ctx, job: Job) -> Result<(), JobError> {
//!     let firm_id = job.firm_id.ok_or_else(|| JobError::permanent(anyhow!("no firm")))?;
//!     services::sync::contacts(ctx, firm_id).await?;
//!     Ok(())
//! }
//! builder.handler("sync_contacts", sync_contacts)
//! // and wherever the work arises:
//! worker::enqueue(&ctx, NewJob::new("sync_contacts", json!({})).for_firm(id).unique_key(id.to_string())).await?;
//! ```
//!
//! Handlers must be idempotent: a run cut short by a crash is run again.

mod job;
pub mod maintenance;
mod queue;
mod runner;
pub mod standalone;

pub use job::{DEFAULT_MAX_ATTEMPTS, Job, JobError, NewJob};
pub use queue::{RECURRING_KEY, enqueue_on};
pub use runner::{Handler, Outcome, Ran, Worker, WorkerBuilder, WorkerHandle};

use sea_orm::DbErr;

use crate::services::Ctx;

/// Queues `job` now (see [`NewJob`]). Returns its id, or `None` when a live job of the same kind
/// has the same unique key.
pub async fn enqueue(ctx: &Ctx, job: NewJob) -> Result<Option<i64>, DbErr> {
    enqueue_on(ctx.db.write(), ctx.now(), job).await
}

/// The runner with every job kind this release knows: what `serve` and `worker` run.
pub fn standard(ctx: Ctx) -> WorkerBuilder {
    use crate::services::{wecom_events, wecom_sync};
    maintenance::register(Worker::builder(ctx))
        .handler(wecom_sync::JOB_KIND, wecom_sync::run_job)
        .handler(wecom_events::JOB_KIND, wecom_events::run_job)
        .recurring(wecom_events::JOB_KIND, wecom_events::EVERY)
}
