//! The runner: a registry of handlers by kind, the claim loop, leases and shutdown.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sea_orm::DbErr;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::job::{Job, JobError, NewJob};
use super::queue::{self, Claim, RECURRING_KEY};
use crate::db::entities::background_job;
use crate::services::Ctx;

/// Backoff never grows past this, however many attempts a job is allowed.
const MAX_BACKOFF: Duration = Duration::hours(6);
/// After the grace period, how long running jobs get to hand their leases back.
const RELEASE_BOUND: StdDuration = StdDuration::from_secs(5);

/// What [`WorkerBuilder::handler`] accepts: an `async fn(&Ctx, Job) -> Result<(), E>` where `E` is
/// [`JobError`], `anyhow::Error` or any error type; or a closure `|ctx: &Ctx, job: Job| async
/// move { … }` whose future does not borrow `ctx` (clone what it needs).
pub trait Handler<'a>: Send + Sync + 'static {
    type Error: Into<JobError>;
    type Future: Future<Output = Result<(), Self::Error>> + Send + 'a;
    fn call(&self, ctx: &'a Ctx, job: Job) -> Self::Future;
}

impl<'a, F, Fut, E> Handler<'a> for F
where
    F: Fn(&'a Ctx, Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'a,
    E: Into<JobError>,
{
    type Error = E;
    type Future = Fut;
    fn call(&self, ctx: &'a Ctx, job: Job) -> Fut {
        self(ctx, job)
    }
}

/// A handler with its types erased, so handlers of every shape live in one map.
trait DynHandler: Send + Sync {
    fn run<'a>(&'a self, ctx: &'a Ctx, job: Job) -> BoxFuture<'a, Result<(), JobError>>;
}

impl<H> DynHandler for H
where
    H: for<'a> Handler<'a>,
{
    fn run<'a>(&'a self, ctx: &'a Ctx, job: Job) -> BoxFuture<'a, Result<(), JobError>> {
        let future = self.call(ctx, job);
        Box::pin(async move { future.await.map_err(Into::into) })
    }
}

/// How a runner paces itself; defaults come from `[worker]`.
#[derive(Clone, Debug)]
struct Options {
    concurrency: usize,
    poll_interval: StdDuration,
    lease: Duration,
    retry_base: Duration,
    shutdown_grace: StdDuration,
}

/// Collects handlers and recurring kinds: `Worker::builder(ctx).handler("kind", f).recurring("kind",
/// every).build()`.
pub struct WorkerBuilder {
    ctx: Ctx,
    handlers: HashMap<String, Arc<dyn DynHandler>>,
    recurring: BTreeMap<String, Duration>,
    options: Options,
}

impl WorkerBuilder {
    /// Runs jobs of `kind` with `handler`. Registering a kind again replaces its handler.
    pub fn handler<H>(mut self, kind: &str, handler: H) -> Self
    where
        H: for<'a> Handler<'a>,
    {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }

    /// Keeps one live job of `kind` at all times: when a run finishes (or fails for good), the
    /// next is queued `every` later, and a starting runner queues the first if none is live.
    pub fn recurring(mut self, kind: &str, every: Duration) -> Self {
        self.recurring.insert(kind.to_string(), every);
        self
    }

    /// Jobs this runner runs at the same time (at least 1).
    pub fn concurrency(mut self, jobs: usize) -> Self {
        self.options.concurrency = jobs.max(1);
        self
    }

    pub fn poll_interval(mut self, every: StdDuration) -> Self {
        self.options.poll_interval = every;
        self
    }

    pub fn lease(mut self, lease: Duration) -> Self {
        self.options.lease = lease;
        self
    }

    pub fn retry_base(mut self, delay: Duration) -> Self {
        self.options.retry_base = delay;
        self
    }

    pub fn shutdown_grace(mut self, grace: StdDuration) -> Self {
        self.options.shutdown_grace = grace;
        self
    }

    pub fn build(self) -> Worker {
        for kind in self.recurring.keys() {
            if !self.handlers.contains_key(kind) {
                tracing::error!(kind = %kind, "a recurring job kind has no handler; its runs will fail");
            }
        }
        Worker {
            inner: Arc::new(Inner {
                id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
                ctx: self.ctx,
                handlers: self.handlers,
                recurring: self.recurring,
                options: self.options,
            }),
        }
    }
}

/// Runs background jobs with a [`Ctx`]. Cheap to clone; clones share one identity.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    /// Names this runner in `locked_by`: unique per runner, so leases never mix up.
    id: String,
    ctx: Ctx,
    handlers: HashMap<String, Arc<dyn DynHandler>>,
    recurring: BTreeMap<String, Duration>,
    options: Options,
}

/// One run, as [`Worker::run_once`] reports it.
#[derive(Clone, Debug)]
pub struct Ran {
    pub id: i64,
    pub kind: String,
    pub attempt: i32,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Failed; queued again for `at`.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Failed for good.
    Failed {
        error: String,
    },
    /// Interrupted by shutdown and handed back to the queue.
    Released,
    /// Another runner took the job after this runner's lease lapsed; this run was abandoned.
    LeaseLost,
}

/// Why a running job stopped before its handler finished.
enum Interrupted {
    Shutdown,
    LeaseLost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Running,
    /// Claim nothing more; let running jobs finish.
    Draining,
    /// Hand running jobs back now.
    Releasing,
}

impl Worker {
    pub fn builder(ctx: Ctx) -> WorkerBuilder {
        let settings = &ctx.settings.worker;
        let options = Options {
            concurrency: settings.concurrency.max(1),
            poll_interval: StdDuration::from_millis(settings.poll_interval_ms.max(1)),
            lease: seconds(settings.lease_seconds),
            retry_base: seconds(settings.retry_base_seconds),
            shutdown_grace: StdDuration::from_secs(settings.shutdown_grace_seconds),
        };
        WorkerBuilder {
            ctx,
            handlers: HashMap::new(),
            recurring: BTreeMap::new(),
            options,
        }
    }

    /// The name this runner writes into `locked_by`.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Queues the first run of every recurring kind that has no live job. Runners starting
    /// together create one between them: the unique key turns the other inserts into no-ops.
    pub async fn ensure_recurring(&self) -> Result<(), DbErr> {
        self.inner.ensure_recurring().await
    }

    /// Claims one due job and runs it to the end. `None` when nothing is due.
    pub async fn run_once(&self) -> Result<Option<Ran>, DbErr> {
        let Some(row) = self.inner.claim().await? else {
            return Ok(None);
        };
        // Kept alive for the whole run: nothing here ever asks the job to stop.
        let (_phase, never) = watch::channel(Phase::Running);
        self.inner.execute(row, never).await.map(Some)
    }

    /// Runs due jobs one after another until none is due (tests move the clock in between).
    pub async fn run_until_idle(&self) -> Result<Vec<Ran>, DbErr> {
        let mut ran = Vec::new();
        while let Some(one) = self.run_once().await? {
            ran.push(one);
        }
        Ok(ran)
    }

    /// Starts the claim loop on the runtime. Stop it with [`WorkerHandle::shutdown`]; dropping
    /// the handle stops it too, handing running jobs back at once.
    pub fn spawn(self) -> WorkerHandle {
        let (phase, watching) = watch::channel(Phase::Running);
        let grace = self.inner.options.shutdown_grace;
        let inner = self.inner.clone();
        let task = tokio::spawn(async move { inner.run_loop(watching).await });
        tracing::info!(worker = %self.inner.id, concurrency = self.inner.options.concurrency, kinds = ?self.inner.kinds(), "background jobs are running");
        WorkerHandle { phase, task, grace }
    }
}

/// A running claim loop.
pub struct WorkerHandle {
    phase: watch::Sender<Phase>,
    task: JoinHandle<()>,
    grace: StdDuration,
}

impl WorkerHandle {
    /// Stops claiming, gives running jobs the grace period (`[worker] shutdown_grace_seconds`)
    /// to finish, then hands the unfinished ones back to the queue so another runner takes them
    /// at once.
    pub async fn shutdown(mut self) {
        let _ = self.phase.send(Phase::Draining);
        if tokio::time::timeout(self.grace, &mut self.task)
            .await
            .is_ok()
        {
            return;
        }
        tracing::info!("running jobs did not finish within the grace period; handing them back");
        let _ = self.phase.send(Phase::Releasing);
        if tokio::time::timeout(RELEASE_BOUND, &mut self.task)
            .await
            .is_err()
        {
            tracing::warn!("jobs were not handed back in time; their leases will lapse instead");
            self.task.abort();
        }
    }
}

impl Inner {
    fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        kinds.sort_unstable();
        kinds
    }

    async fn claim(&self) -> Result<Option<background_job::Model>, DbErr> {
        let ctx = &self.ctx;
        let now = ctx.now();
        if !queue::any_due(&ctx.db, now).await? {
            return Ok(None);
        }
        queue::claim(&ctx.db, &self.id, now, now + self.options.lease).await
    }

    async fn run_loop(self: Arc<Self>, mut phase: watch::Receiver<Phase>) {
        let mut recurring_queued = false;
        let mut running = JoinSet::new();
        loop {
            if *phase.borrow() != Phase::Running {
                break;
            }
            // Until it works once: a database that is down at start-up must not cost the
            // recurring jobs for the life of the process.
            if !recurring_queued {
                match self.ensure_recurring().await {
                    Ok(()) => recurring_queued = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "queueing the recurring jobs failed; trying again")
                    }
                }
            }
            while running.len() < self.options.concurrency {
                match self.claim().await {
                    Ok(Some(row)) => {
                        let inner = self.clone();
                        let stop = phase.clone();
                        running.spawn(async move {
                            if let Err(e) = inner.execute(row, stop).await {
                                tracing::error!(error = %e, "recording a job's outcome failed; its lease will lapse and it runs again");
                            }
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "looking for due jobs failed");
                        break;
                    }
                }
            }
            tokio::select! {
                changed = phase.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(_) = running.join_next(), if !running.is_empty() => {}
                () = tokio::time::sleep(self.options.poll_interval) => {}
            }
        }
        // Running jobs watch the phase themselves and hand their jobs back when asked.
        while running.join_next().await.is_some() {}
        tracing::info!(worker = %self.id, "background jobs stopped");
    }

    async fn ensure_recurring(&self) -> Result<(), DbErr> {
        let ctx = &self.ctx;
        for kind in self.recurring.keys() {
            let first = recurring_job(kind, ctx.now());
            if queue::enqueue_on(ctx.db.write(), ctx.now(), first)
                .await?
                .is_some()
            {
                tracing::debug!(kind = %kind, "queued the first run of a recurring job");
            }
        }
        Ok(())
    }

    /// Runs a claimed job and records how it went.
    async fn execute(
        &self,
        row: background_job::Model,
        stop: watch::Receiver<Phase>,
    ) -> Result<Ran, DbErr> {
        let ctx = &self.ctx;
        let claim = Claim {
            id: row.id,
            worker: self.id.clone(),
            attempt: row.attempts,
        };
        let job = Job {
            id: row.id,
            kind: row.kind,
            firm_id: row.firm_id,
            payload: row.payload,
            attempt: row.attempts,
            max_attempts: row.max_attempts,
        };
        let result = if job.attempt > job.max_attempts {
            // Earlier runs all stopped without a word (their leases lapsed): most likely the job
            // takes its process down, so it is not run again.
            Err(JobError::permanent(anyhow::anyhow!(
                "gave up after {} attempts: the last run did not finish before its lease ran out (did its process stop?)",
                job.max_attempts
            )))
        } else if let Some(handler) = self.handlers.get(&job.kind).cloned() {
            match self.run_leased(handler, &claim, job.clone(), stop).await {
                Ok(result) => result,
                Err(Interrupted::Shutdown) => {
                    queue::release(&ctx.db, &claim, ctx.now()).await?;
                    tracing::info!(job = job.id, kind = %job.kind, "handed an unfinished job back to the queue");
                    return Ok(ran(&job, Outcome::Released));
                }
                Err(Interrupted::LeaseLost) => {
                    tracing::warn!(job = job.id, kind = %job.kind, "another worker took this job after our lease lapsed; abandoned our run");
                    return Ok(ran(&job, Outcome::LeaseLost));
                }
            }
        } else {
            Err(JobError::permanent(anyhow::anyhow!(
                "no handler is registered for job kind `{}`",
                job.kind
            )))
        };
        let now = ctx.now();
        let next = self
            .recurring
            .get(&job.kind)
            .map(|every| recurring_job(&job.kind, now + *every));
        let outcome = match result {
            Ok(()) => {
                queue::complete(&ctx.db, &claim, now, next).await?;
                tracing::debug!(job = job.id, kind = %job.kind, "job done");
                Outcome::Done
            }
            Err(e) if e.is_permanent() || job.is_last_attempt() => {
                let error = e.to_string();
                queue::fail(&ctx.db, &claim, now, &error, next).await?;
                tracing::error!(job = job.id, kind = %job.kind, attempt = job.attempt, error = %error, "job failed for good");
                Outcome::Failed { error }
            }
            Err(e) => {
                let error = e.to_string();
                let at = now + self.backoff(job.attempt);
                queue::retry(&ctx.db, &claim, now, at, &error).await?;
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, retry_at = %at, error = %error, "job failed; it will be retried");
                Outcome::Retry { at, error }
            }
        };
        Ok(ran(&job, outcome))
    }

    /// Runs the handler while renewing the lease, until it finishes or the runner asks for the
    /// job back. A panicking handler counts as a failed attempt.
    async fn run_leased(
        &self,
        handler: Arc<dyn DynHandler>,
        claim: &Claim,
        job: Job,
        mut stop: watch::Receiver<Phase>,
    ) -> Result<Result<(), JobError>, Interrupted> {
        let ctx = &self.ctx;
        let work = AssertUnwindSafe(handler.run(ctx, job)).catch_unwind();
        tokio::pin!(work);
        let every = (self.options.lease / 3)
            .to_std()
            .unwrap_or(StdDuration::from_secs(1))
            .max(StdDuration::from_millis(100));
        // The heartbeat is its own future, polled beside the handler: renewing must never wait
        // with the handler unpolled, or a handler holding the only SQLite write connection and
        // the renewal waiting for that connection would wait for each other for good.
        let heartbeat = async {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let now = ctx.now();
                match queue::renew(&ctx.db, claim, now, now + self.options.lease).await {
                    Ok(true) => {}
                    Ok(false) => return Interrupted::LeaseLost,
                    Err(e) => {
                        tracing::warn!(job = claim.id, error = %e, "renewing a job's lease failed")
                    }
                }
            }
        };
        tokio::pin!(heartbeat);
        tokio::select! {
            finished = &mut work => {
                Ok(finished.unwrap_or_else(|panic| {
                    Err(JobError::retry(anyhow::anyhow!("the handler panicked: {}", panic_message(panic.as_ref()))))
                }))
            }
            lost = &mut heartbeat => Err(lost),
            // A dropped handle means the runner is gone: hand the job back as well.
            () = stop.wait_for(|p| *p == Phase::Releasing).map(drop) => Err(Interrupted::Shutdown),
        }
    }

    /// `retry_base`, doubled for each attempt after the first, at most [`MAX_BACKOFF`].
    fn backoff(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        self.options
            .retry_base
            .checked_mul(1 << doublings)
            .map_or(MAX_BACKOFF, |d| d.min(MAX_BACKOFF))
    }
}

fn recurring_job(kind: &str, run_at: DateTime<Utc>) -> NewJob {
    NewJob::new(kind, serde_json::json!({}))
        .unique_key(RECURRING_KEY)
        .run_at(run_at)
}

fn ran(job: &Job, outcome: Outcome) -> Ran {
    Ran {
        id: job.id,
        kind: job.kind.clone(),
        attempt: job.attempt,
        outcome,
    }
}

fn seconds(n: u64) -> Duration {
    i64::try_from(n)
        .ok()
        .and_then(Duration::try_seconds)
        .unwrap_or(Duration::days(365))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
