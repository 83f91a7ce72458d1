//! Background jobs: the queue, leases, retries, recurring runs, shutdown, several instances, the
//! purge jobs, and `zhangfang worker` as a process. Time moves with the app's ManualClock.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use tokio::sync::Notify;
use zhangfang::config::Settings;
use zhangfang::db::Database;
use zhangfang::db::entities::{
    background_job, callback_inbox, employee, sms_code, web_session, wecom_token_cache,
};
use zhangfang::domain::clock::{Clock, SystemClock};
use zhangfang::services::Ctx;
use zhangfang::services::firms;
use zhangfang::worker::{self, Handler, Job, JobError, NewJob, Outcome, Worker, maintenance};

use crate::helpers::{TestApp, drop_test_database, spawn_app, spawn_app_with, test_database};

const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

/// A handler that records every run it is given.
fn recorder(runs: Arc<Mutex<Vec<Job>>>) -> impl for<'a> Handler<'a> + Clone {
    move |_ctx: &Ctx, job: Job| {
        let runs = runs.clone();
        async move {
            runs.lock().unwrap().push(job);
            Ok::<(), JobError>(())
        }
    }
}

/// A handler that says it started, then never finishes (a hung job, or one cut off by a crash).
fn stuck(started: Arc<Notify>) -> impl for<'a> Handler<'a> {
    move |_ctx: &Ctx, _job: Job| {
        let started = started.clone();
        async move {
            started.notify_one();
            std::future::pending::<Result<(), JobError>>().await
        }
    }
}

/// A handler that fails on every run with the attempt number in its error.
async fn failing(_ctx: &Ctx, job: Job) -> anyhow::Result<()> {
    anyhow::bail!("the bank did not answer (attempt {})", job.attempt)
}

fn builder(app: &TestApp) -> worker::WorkerBuilder {
    Worker::builder(app.state.ctx.clone())
}

async fn enqueue(app: &TestApp, job: NewJob) -> Option<i64> {
    worker::enqueue(&app.state.ctx, job).await.unwrap()
}

async fn job_row(app: &TestApp, id: i64) -> background_job::Model {
    background_job::Entity::find_by_id(id)
        .one(app.state.db.read())
        .await
        .unwrap()
        .expect("the job row")
}

async fn create_firm(app: &TestApp, corp_id: &str) -> i64 {
    firms::create_firm(
        app.state.db.write(),
        corp_id,
        "测试代账公司",
        false,
        app.clock.now(),
    )
    .await
    .unwrap()
    .id
}

#[tokio::test]
async fn an_enqueued_job_runs_once_with_its_payload_firm_and_attempt() {
    let app = spawn_app().await;
    let firm_id = create_firm(&app, "wwjobs0001").await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let worker = builder(&app)
        .handler("send_report", recorder(runs.clone()))
        .build();
    let id = enqueue(
        &app,
        NewJob::new("send_report", json!({"period": "2026-10"})).for_firm(firm_id),
    )
    .await
    .expect("a new job");

    let ran = worker.run_until_idle().await.unwrap();
    assert_eq!(ran.len(), 1);
    assert_eq!((ran[0].id, ran[0].outcome.clone()), (id, Outcome::Done));
    let run = runs.lock().unwrap()[0].clone();
    assert_eq!(run.payload, json!({"period": "2026-10"}));
    assert_eq!((run.firm_id, run.attempt), (Some(firm_id), 1));
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Done);
    assert_eq!(row.finished_at, Some(app.clock.now()));
    assert_eq!((row.locked_by, row.lease_until), (None, None));
    assert!(worker.run_once().await.unwrap().is_none(), "done is done");
}

#[tokio::test]
async fn a_job_waits_for_its_time() {
    let app = spawn_app().await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let worker = builder(&app)
        .handler("remind", recorder(runs.clone()))
        .build();
    let at = app.clock.now() + Duration::hours(2);
    enqueue(&app, NewJob::new("remind", json!({})).run_at(at)).await;

    assert!(worker.run_until_idle().await.unwrap().is_empty());
    app.clock.advance(Duration::hours(2));
    assert_eq!(worker.run_until_idle().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_live_job_with_the_same_unique_key_is_enqueued_once() {
    let app = spawn_app().await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let worker = builder(&app)
        .handler("sync", recorder(runs.clone()))
        .build();
    let job = || NewJob::new("sync", json!({})).unique_key("firm-7");

    let first = enqueue(&app, job()).await;
    assert!(first.is_some());
    assert_eq!(enqueue(&app, job()).await, None, "a duplicate is a no-op");
    // The same key on another kind is another job.
    assert!(
        enqueue(&app, NewJob::new("other", json!({})).unique_key("firm-7"))
            .await
            .is_some()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM background_job WHERE kind = 'sync'")
            .await,
        1
    );

    let ran = worker.run_once().await.unwrap().expect("the sync job");
    assert_eq!(Some(ran.id), first);
    // Finished jobs free the key.
    assert!(enqueue(&app, job()).await.is_some());
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_an_exponential_backoff() {
    let app = spawn_app().await;
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let worker = builder(&app)
        .handler("flaky", move |_ctx: &Ctx, job: Job| {
            let calls = counter.clone();
            async move {
                *calls.lock().unwrap() += 1;
                if job.attempt < 3 {
                    return Err(JobError::retry(anyhow::anyhow!("timeout {}", job.attempt)));
                }
                Ok(())
            }
        })
        .retry_base(Duration::seconds(30))
        .build();
    let start = app.clock.now();
    let id = enqueue(&app, NewJob::new("flaky", json!({})))
        .await
        .unwrap();

    let first = worker.run_once().await.unwrap().unwrap();
    assert_eq!(
        first.outcome,
        Outcome::Retry {
            at: start + Duration::seconds(30),
            error: "timeout 1".into()
        }
    );
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Queued);
    assert_eq!(row.last_error.as_deref(), Some("timeout 1"));
    assert_eq!(row.attempts, 1);

    app.clock.advance(Duration::seconds(29));
    assert!(
        worker.run_once().await.unwrap().is_none(),
        "not before 30 s"
    );
    app.clock.advance(Duration::seconds(1));
    let second = worker.run_once().await.unwrap().unwrap();
    let doubled = app.clock.now() + Duration::seconds(60);
    assert!(matches!(second.outcome, Outcome::Retry { at, .. } if at == doubled));

    app.clock.advance(Duration::seconds(60));
    let third = worker.run_once().await.unwrap().unwrap();
    assert_eq!((third.attempt, third.outcome), (3, Outcome::Done));
    assert_eq!(*calls.lock().unwrap(), 3);
    assert_eq!(job_row(&app, id).await.status, background_job::Status::Done);
}

#[tokio::test]
async fn a_job_that_keeps_failing_ends_failed_with_its_last_error() {
    let app = spawn_app().await;
    let worker = builder(&app).handler("pay", failing).build();
    let id = enqueue(&app, NewJob::new("pay", json!({})).max_attempts(3))
        .await
        .unwrap();

    let mut outcomes = Vec::new();
    for _ in 0..3 {
        app.clock.advance(Duration::hours(7));
        outcomes.push(worker.run_once().await.unwrap().unwrap().outcome);
    }
    assert!(matches!(outcomes[0], Outcome::Retry { .. }));
    assert!(matches!(outcomes[1], Outcome::Retry { .. }));
    assert_eq!(
        outcomes[2],
        Outcome::Failed {
            error: "the bank did not answer (attempt 3)".into()
        }
    );
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Failed);
    assert_eq!(row.attempts, 3);
    assert_eq!(
        row.last_error.as_deref(),
        Some("the bank did not answer (attempt 3)")
    );
    app.clock.advance(Duration::days(1));
    assert!(
        worker.run_once().await.unwrap().is_none(),
        "failed stays failed"
    );
}

#[tokio::test]
async fn a_permanent_error_fails_the_job_without_retrying() {
    let app = spawn_app().await;
    let worker = builder(&app)
        .handler("import", |_ctx: &Ctx, job: Job| async move {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct Import {
                file: String,
            }
            job.payload_as::<Import>()?;
            Ok::<(), JobError>(())
        })
        .build();
    let id = enqueue(&app, NewJob::new("import", json!({"name": "x"})))
        .await
        .unwrap();
    let ran = worker.run_once().await.unwrap().unwrap();
    assert!(
        matches!(&ran.outcome, Outcome::Failed { error } if error.contains("payload of a `import` job does not fit")),
        "{ran:?}"
    );
    assert_eq!(job_row(&app, id).await.attempts, 1);
}

#[tokio::test]
async fn a_panicking_handler_counts_as_a_failed_attempt() {
    let app = spawn_app().await;
    let worker = builder(&app)
        .handler("explode", |_ctx: &Ctx, _job: Job| async move {
            if true {
                panic!("index out of bounds");
            }
            Ok::<(), JobError>(())
        })
        .build();
    let id = enqueue(&app, NewJob::new("explode", json!({})))
        .await
        .unwrap();
    let ran = worker.run_once().await.unwrap().unwrap();
    assert!(
        matches!(&ran.outcome, Outcome::Retry { error, .. } if error.contains("panicked: index out of bounds")),
        "{ran:?}"
    );
    assert_eq!(
        job_row(&app, id).await.status,
        background_job::Status::Queued
    );
}

#[tokio::test]
async fn a_job_kind_without_a_handler_fails_with_a_clear_error() {
    let app = spawn_app().await;
    let worker = builder(&app).build();
    let id = enqueue(&app, NewJob::new("send_fax", json!({})))
        .await
        .unwrap();

    let ran = worker.run_once().await.unwrap().unwrap();
    let error = "no handler is registered for job kind `send_fax`";
    assert_eq!(
        ran.outcome,
        Outcome::Failed {
            error: error.into()
        }
    );
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Failed);
    assert_eq!(row.last_error.as_deref(), Some(error));
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_again_when_its_lease_lapses() {
    let app = spawn_app().await;
    let started = Arc::new(Notify::new());
    let dying = builder(&app)
        .handler("sync", stuck(started.clone()))
        .lease(Duration::seconds(60))
        .build();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let survivor = builder(&app)
        .handler("sync", recorder(runs.clone()))
        .lease(Duration::seconds(60))
        .build();
    let id = enqueue(&app, NewJob::new("sync", json!({}))).await.unwrap();

    let crashing = dying.clone();
    let run = tokio::spawn(async move { crashing.run_once().await });
    started.notified().await;
    // The process "dies": no release, no more lease renewals.
    run.abort();
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Running);
    assert_eq!(row.locked_by.as_deref(), Some(dying.id()));

    app.clock.advance(Duration::seconds(59));
    assert!(
        survivor.run_once().await.unwrap().is_none(),
        "the lease still holds"
    );
    app.clock.advance(Duration::seconds(2));
    let ran = survivor.run_once().await.unwrap().expect("taken again");
    assert_eq!((ran.id, ran.attempt, ran.outcome), (id, 2, Outcome::Done));
    assert_eq!(runs.lock().unwrap().len(), 1);
    assert_eq!(job_row(&app, id).await.status, background_job::Status::Done);
}

#[tokio::test]
async fn a_job_that_always_kills_its_worker_is_given_up_after_its_attempts() {
    let app = spawn_app().await;
    let started = Arc::new(Notify::new());
    let id = enqueue(&app, NewJob::new("crash", json!({})).max_attempts(2))
        .await
        .unwrap();
    for _ in 0..2 {
        let dying = builder(&app)
            .handler("crash", stuck(started.clone()))
            .build();
        let run = tokio::spawn(async move { dying.run_once().await });
        started.notified().await;
        run.abort();
        app.clock.advance(Duration::minutes(2));
    }
    let runs = Arc::new(Mutex::new(Vec::new()));
    let next = builder(&app)
        .handler("crash", recorder(runs.clone()))
        .build();
    let ran = next.run_once().await.unwrap().unwrap();
    assert!(
        matches!(&ran.outcome, Outcome::Failed { error } if error.contains("gave up after 2 attempts")),
        "{ran:?}"
    );
    assert!(runs.lock().unwrap().is_empty(), "not run a third time");
    assert_eq!(
        job_row(&app, id).await.status,
        background_job::Status::Failed
    );
}

#[tokio::test]
async fn a_recurring_job_queues_its_next_run_and_runners_starting_together_create_one() {
    let app = spawn_app().await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let make = || {
        builder(&app)
            .handler("digest", recorder(runs.clone()))
            .recurring("digest", Duration::minutes(5))
            .build()
    };
    let (one, two) = (make(), make());
    let (a, b) = tokio::join!(one.ensure_recurring(), two.ensure_recurring());
    a.unwrap();
    b.unwrap();
    let live = "SELECT COUNT(*) FROM background_job WHERE kind = 'digest' AND status IN ('queued', 'running')";
    assert_eq!(app.count(live).await, 1);

    assert_eq!(one.run_until_idle().await.unwrap().len(), 1);
    assert_eq!(app.count(live).await, 1, "the next run is queued");
    assert!(two.run_until_idle().await.unwrap().is_empty());
    app.clock.advance(Duration::minutes(5));
    assert_eq!(two.run_until_idle().await.unwrap().len(), 1);
    one.ensure_recurring().await.unwrap();
    assert_eq!(app.count(live).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM background_job WHERE kind = 'digest' AND status = 'done'")
            .await,
        2
    );
    assert_eq!(runs.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_recurring_job_that_fails_for_good_still_queues_its_next_run() {
    let app = spawn_app().await;
    let worker = builder(&app)
        .handler("digest", failing)
        .recurring("digest", Duration::hours(1))
        .build();
    enqueue(&app, NewJob::new("digest", json!({})).max_attempts(1)).await;
    let ran = worker.run_once().await.unwrap().unwrap();
    assert!(matches!(ran.outcome, Outcome::Failed { .. }));
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM background_job WHERE kind = 'digest' AND status = 'queued'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn shutdown_hands_an_unfinished_job_back_to_the_queue() {
    let app = spawn_app().await;
    let started = Arc::new(Notify::new());
    let handle = builder(&app)
        .handler("export", stuck(started.clone()))
        .poll_interval(StdDuration::from_millis(10))
        .shutdown_grace(StdDuration::from_millis(50))
        .build()
        .spawn();
    let id = enqueue(&app, NewJob::new("export", json!({})))
        .await
        .unwrap();
    started.notified().await;
    assert_eq!(
        job_row(&app, id).await.status,
        background_job::Status::Running
    );

    handle.shutdown().await;
    let row = job_row(&app, id).await;
    assert_eq!(row.status, background_job::Status::Queued);
    assert_eq!((row.locked_by, row.lease_until), (None, None));
    assert_eq!(row.attempts, 0, "an interrupted run is not an attempt");
    // Another instance takes it at once, without waiting for a lease to lapse.
    let runs = Arc::new(Mutex::new(Vec::new()));
    let other = builder(&app)
        .handler("export", recorder(runs.clone()))
        .build();
    let ran = other.run_once().await.unwrap().expect("taken at once");
    assert_eq!((ran.attempt, ran.outcome), (1, Outcome::Done));
}

#[tokio::test]
async fn shutdown_lets_a_running_job_finish_within_the_grace_period() {
    let app = spawn_app().await;
    let started = Arc::new(Notify::new());
    let signal = started.clone();
    let handle = builder(&app)
        .handler("export", move |_ctx: &Ctx, _job: Job| {
            let started = signal.clone();
            async move {
                started.notify_one();
                tokio::time::sleep(StdDuration::from_millis(100)).await;
                Ok::<(), JobError>(())
            }
        })
        .poll_interval(StdDuration::from_millis(10))
        .shutdown_grace(StdDuration::from_secs(10))
        .build()
        .spawn();
    let id = enqueue(&app, NewJob::new("export", json!({})))
        .await
        .unwrap();
    let later = enqueue(
        &app,
        NewJob::new("export", json!({})).run_at(app.clock.now() + Duration::seconds(1)),
    )
    .await
    .unwrap();
    started.notified().await;
    app.clock.advance(Duration::seconds(1));
    handle.shutdown().await;
    assert_eq!(job_row(&app, id).await.status, background_job::Status::Done);
    assert_eq!(
        job_row(&app, later).await.status,
        background_job::Status::Queued,
        "nothing new is claimed once shutdown starts"
    );
}

#[tokio::test]
async fn two_instances_never_run_the_same_job_twice() {
    let first = spawn_app().await;
    let second = first.another_instance().await;
    const JOBS: i64 = 200;
    for i in 0..JOBS {
        enqueue(&first, NewJob::new("count", json!({ "n": i }))).await;
    }
    let runs: Arc<Mutex<Vec<i64>>> = Arc::default();
    let counting = |app: &TestApp| {
        let runs = runs.clone();
        Worker::builder(app.state.ctx.clone())
            .handler("count", move |_ctx: &Ctx, job: Job| {
                let runs = runs.clone();
                async move {
                    runs.lock().unwrap().push(job.id);
                    tokio::time::sleep(StdDuration::from_millis(2)).await;
                    Ok::<(), JobError>(())
                }
            })
            .concurrency(2)
            .poll_interval(StdDuration::from_millis(10))
            .build()
            .spawn()
    };
    let (one, two) = (counting(&first), counting(&second));

    let done = "SELECT COUNT(*) FROM background_job WHERE status = 'done'";
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
    while first.count(done).await < JOBS {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs did not finish"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    one.shutdown().await;
    two.shutdown().await;

    let runs = runs.lock().unwrap().clone();
    let distinct: HashSet<i64> = runs.iter().copied().collect();
    assert_eq!(runs.len() as i64, JOBS, "every job ran exactly once");
    assert_eq!(distinct.len() as i64, JOBS);
    assert_eq!(
        first
            .count("SELECT COUNT(*) FROM background_job WHERE status = 'done' AND attempts = 1")
            .await,
        JOBS,
        "each job was claimed once"
    );
}

#[tokio::test]
async fn serve_runs_the_recurring_purges_when_the_worker_is_enabled() {
    let app = spawn_app_with(|s| {
        s.worker.enabled = true;
        s.worker.poll_interval_ms = 10;
    })
    .await;
    let done = "SELECT COUNT(*) FROM background_job WHERE kind LIKE 'purge_%' AND status = 'done'";
    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(30);
    while app.count(done).await < 5 {
        assert!(tokio::time::Instant::now() < deadline, "purges did not run");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM background_job WHERE kind LIKE 'purge_%' AND status = 'queued'"
        )
        .await,
        5,
        "each purge has its next run queued"
    );
}

// --- The purge jobs -------------------------------------------------------------------------

/// Runs every due purge, as the recurring jobs would.
async fn run_purges(app: &TestApp) {
    let worker = worker::standard(app.state.ctx.clone()).build();
    worker.ensure_recurring().await.unwrap();
    let ran = worker.run_until_idle().await.unwrap();
    // The five purges and the WeCom events drain.
    assert_eq!(ran.len(), 6, "{ran:?}");
    assert!(ran.iter().all(|r| r.outcome == Outcome::Done), "{ran:?}");
}

/// The text values of a one-column query, sorted.
async fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        app.state.db.read(),
        sea_orm::Statement::from_string(app.backend(), sql.to_string()),
    )
    .await
    .unwrap();
    let mut texts: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    texts.sort();
    texts
}

#[tokio::test]
async fn expired_and_long_revoked_sessions_are_purged() {
    let app = spawn_app().await;
    let firm_id = create_firm(&app, "wwsessions01").await;
    let now = app.clock.now();
    let employee = employee::ActiveModel {
        firm_id: Set(firm_id),
        name: Set("王会计".into()),
        role: Set(employee::Role::Staff),
        status: Set(employee::Status::Active),
        data_scope: Set(employee::DataScope::Own),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.state.db.write())
    .await
    .unwrap();
    let session = |id: &str, expires_at: DateTime<Utc>, revoked_at: Option<DateTime<Utc>>| {
        web_session::ActiveModel {
            firm_id: Set(firm_id),
            id: Set(id.into()),
            employee_id: Set(employee.id),
            kind: Set(web_session::Kind::Sidebar),
            expires_at: Set(expires_at),
            last_seen_at: Set(now - Duration::days(1)),
            ip: Set(None),
            user_agent: Set(None),
            revoked_at: Set(revoked_at),
            created_at: Set(now - Duration::days(2)),
        }
    };
    for row in [
        session("expired", now - Duration::seconds(1), None),
        session("live", now + Duration::days(6), None),
        session(
            "revoked_2_days_ago",
            now + Duration::days(5),
            Some(now - Duration::days(2)),
        ),
        session(
            "revoked_an_hour_ago",
            now + Duration::days(5),
            Some(now - Duration::hours(1)),
        ),
    ] {
        row.insert(app.state.db.write()).await.unwrap();
    }

    run_purges(&app).await;
    assert_eq!(
        texts(&app, "SELECT id FROM web_session").await,
        ["live", "revoked_an_hour_ago"]
    );
}

#[tokio::test]
async fn sms_codes_are_purged_a_full_day_after_they_expire_in_batches() {
    let app = spawn_app().await;
    let firm_id = create_firm(&app, "wwsmscodes01").await;
    let now = app.clock.now();
    let code = |phone: &str, created_at: DateTime<Utc>| sms_code::ActiveModel {
        firm_id: Set(firm_id),
        phone: Set(phone.into()),
        purpose: Set(sms_code::Purpose::BindEmployee),
        code_hash: Set("salt$hash".into()),
        expires_at: Set(created_at + Duration::minutes(5)),
        attempts: Set(0),
        consumed_at: Set(None),
        burned_at: Set(None),
        created_at: Set(created_at),
        ..Default::default()
    };
    // More than two batches of old codes.
    let old: Vec<_> = (0..2_100)
        .map(|i| {
            code(
                "13800000000",
                now - Duration::days(3) - Duration::seconds(i),
            )
        })
        .collect();
    for chunk in old.chunks(500) {
        sms_code::Entity::insert_many(chunk.to_vec())
            .exec(app.state.db.write())
            .await
            .unwrap();
    }
    for (phone, created_at) in [
        // Expired 24 h ago but created 24 h 5 min ago: the day is over for it.
        (
            "13800000001",
            now - Duration::hours(24) - Duration::minutes(10),
        ),
        // Expired long ago but created within the last day: it still counts toward today.
        ("13800000002", now - Duration::hours(23)),
        ("13800000003", now - Duration::minutes(1)),
    ] {
        code(phone, created_at)
            .insert(app.state.db.write())
            .await
            .unwrap();
    }

    run_purges(&app).await;
    assert_eq!(
        texts(&app, "SELECT phone FROM sms_code").await,
        ["13800000002", "13800000003"]
    );
}

#[tokio::test]
async fn wecom_tokens_are_purged_only_when_expired_and_not_being_refreshed() {
    let app = spawn_app().await;
    let now = app.clock.now();
    let mut rows = Vec::new();
    for (corp, label) in [
        ("wwtokens0001", "expired"),
        ("wwtokens0002", "valid"),
        ("wwtokens0003", "expired_but_leased"),
        ("wwtokens0004", "expired_lease_lapsed"),
        ("wwtokens0005", "just_inserted_by_a_lease"),
        ("wwtokens0006", "invalidated"),
    ] {
        let firm = app.add_firm(corp, "Token1", KEY).await;
        let hour_ago = now - Duration::hours(1);
        let (expires_at, lock_until, updated_at) = match label {
            "expired" => (
                Some(now - Duration::minutes(1)),
                None,
                now - Duration::hours(2),
            ),
            "valid" => (Some(now + Duration::hours(1)), None, hour_ago),
            "expired_but_leased" => (
                Some(now - Duration::minutes(1)),
                Some(now + Duration::seconds(10)),
                now - Duration::hours(2),
            ),
            "expired_lease_lapsed" => (
                Some(now - Duration::minutes(1)),
                Some(now - Duration::seconds(10)),
                now - Duration::hours(2),
            ),
            "just_inserted_by_a_lease" => (None, None, now),
            _ => (None, None, hour_ago),
        };
        rows.push((firm.firm_id, label));
        wecom_token_cache::ActiveModel {
            firm_id: Set(firm.firm_id),
            app_id: Set(firm.app_id),
            kind: Set(wecom_token_cache::Kind::AccessToken),
            value_enc: Set(expires_at.map(|_| "sealed".to_string())),
            expires_at: Set(expires_at),
            refreshed_at: Set(None),
            lock_owner: Set(lock_until.map(|_| "other-instance".to_string())),
            lock_until: Set(lock_until),
            updated_at: Set(updated_at),
        }
        .insert(app.state.db.write())
        .await
        .unwrap();
    }

    run_purges(&app).await;
    let kept: Vec<i64> = wecom_token_cache::Entity::find()
        .all(app.state.db.read())
        .await
        .unwrap()
        .iter()
        .map(|r| r.firm_id)
        .collect();
    let mut kept_labels: Vec<&str> = rows
        .iter()
        .filter(|(firm, _)| kept.contains(firm))
        .map(|(_, label)| *label)
        .collect();
    kept_labels.sort_unstable();
    assert_eq!(
        kept_labels,
        ["expired_but_leased", "just_inserted_by_a_lease", "valid"]
    );
}

#[tokio::test]
async fn processed_callbacks_are_purged_after_the_retention_period() {
    let app = spawn_app_with(|s| s.worker.inbox_retention_days = 10).await;
    let firm = app.add_firm("wwinbox00001", "Token1", KEY).await;
    let now = app.clock.now();
    for (key, status, received_days_ago, processed_days_ago) in [
        (
            "done_11_days_ago",
            callback_inbox::Status::Done,
            11,
            Some(11),
        ),
        ("done_9_days_ago", callback_inbox::Status::Done, 40, Some(9)),
        ("failed_long_ago", callback_inbox::Status::Failed, 60, None),
        (
            "pending_long_ago",
            callback_inbox::Status::Pending,
            60,
            None,
        ),
    ] {
        callback_inbox::ActiveModel {
            firm_id: Set(firm.firm_id),
            app_id: Set(firm.app_id),
            dedupe_key: Set(key.into()),
            received_at: Set(now - Duration::days(received_days_ago)),
            msg_type: Set("event".into()),
            event: Set("change_external_contact".into()),
            change_type: Set("add_external_contact".into()),
            payload: Set("<xml/>".into()),
            status: Set(status),
            attempts: Set(1),
            lease_until: Set(None),
            processed_at: Set(processed_days_ago.map(|d| now - Duration::days(d))),
            last_error: Set(None),
            ..Default::default()
        }
        .insert(app.state.db.write())
        .await
        .unwrap();
    }

    run_purges(&app).await;
    assert_eq!(
        texts(&app, "SELECT dedupe_key FROM callback_inbox").await,
        ["done_9_days_ago", "failed_long_ago", "pending_long_ago"]
    );
}

/// The purge's DELETE holds SQLite's write lock (every callback's commit waits for it), so each
/// batch must find its rows by time, not walk the done rows that are still kept.
#[tokio::test]
async fn the_inbox_purge_reads_only_rows_past_retention() {
    let app = spawn_app().await;
    let sql =
        zhangfang::services::maintenance::purge_callback_inbox_sql(sea_orm::DbBackend::Sqlite);
    let Some(plan) = app.sqlite_plan(&sql, vec![app.clock.now().into()]).await else {
        return;
    };
    let reads: Vec<&String> = plan
        .iter()
        .filter(|d| d.starts_with("SEARCH") || d.starts_with("SCAN"))
        .collect();
    assert!(!reads.is_empty(), "{plan:#?}");
    for read in reads {
        assert!(
            read.contains("USING INTEGER PRIMARY KEY")
                || read.contains("ix_callback_inbox_done_processed_at (processed_at<?)"),
            "a purge step reads more than the rows past retention: {read}\n{plan:#?}"
        );
    }
}

#[tokio::test]
async fn api_idempotency_keys_are_purged_after_a_day() {
    let app = spawn_app().await;
    let firm = app.add_firm("wwidem000001", "Token1", KEY).await;
    let now = app.clock.now();
    let api_key = zhangfang::services::api_keys::create(
        &app.state.ctx,
        &zhangfang::services::audit::Who::system(firm.firm_id, "test"),
        "nightly",
        "all",
    )
    .await
    .unwrap();
    for (key, hours_ago) in [("old", 25), ("fresh", 23)] {
        zhangfang::db::entities::api_idempotency::ActiveModel {
            firm_id: Set(firm.firm_id),
            api_key_id: Set(api_key.id),
            idem_key: Set(key.into()),
            request_hash: Set("h".into()),
            status: Set(201),
            response_body: Set("{}".into()),
            created_at: Set(now - Duration::hours(hours_ago)),
        }
        .insert(app.state.db.write())
        .await
        .unwrap();
    }
    run_purges(&app).await;
    assert_eq!(
        texts(&app, "SELECT idem_key FROM api_idempotency").await,
        ["fresh"]
    );
}

// --- `zhangfang worker` as a process ----------------------------------------------------------

#[tokio::test]
async fn the_worker_command_runs_a_queued_purge_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = test_database(dir.path()).await;
    let mut settings = Settings::defaults().unwrap().database;
    settings.url = url.clone();
    let db = Database::connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    // The process runs on the wall clock.
    let now = SystemClock.now();
    let firm = firms::create_firm(db.write(), "wwworker0001", "进程测试", false, now)
        .await
        .unwrap();
    for (phone, created_at) in [
        ("13900000001", now - Duration::days(3)),
        ("13900000002", now),
    ] {
        sms_code::ActiveModel {
            firm_id: Set(firm.id),
            phone: Set(phone.into()),
            purpose: Set(sms_code::Purpose::BindEmployee),
            code_hash: Set("salt$hash".into()),
            expires_at: Set(created_at + Duration::minutes(5)),
            attempts: Set(0),
            created_at: Set(created_at),
            ..Default::default()
        }
        .insert(db.write())
        .await
        .unwrap();
    }
    let job = worker::enqueue_on(
        db.write(),
        now,
        NewJob::new(maintenance::PURGE_SMS_CODES, json!({})),
    )
    .await
    .unwrap()
    .unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_zhangfang"))
        .arg("worker")
        .current_dir(dir.path())
        .env("ZHANGFANG_SERVER__DATA_DIR", dir.path())
        .env("ZHANGFANG_DATABASE__URL", url.expose())
        .env("ZHANGFANG_DEMO__ENABLED", "false")
        .env("ZHANGFANG_WORKER__POLL_INTERVAL_MS", "20")
        .env("ZHANGFANG_LOG__FILTER", "info")
        .env_remove("RUST_LOG")
        .env_remove("ZHANGFANG_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start zhangfang worker");
    let stdout = child.stdout.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let lines = log.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });

    let deadline = tokio::time::Instant::now() + StdDuration::from_secs(60);
    loop {
        let row = background_job::Entity::find_by_id(job)
            .one(db.read())
            .await
            .unwrap()
            .unwrap();
        if row.status == background_job::Status::Done {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job did not run: {:?}",
            log.lock().unwrap()
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let phones: Vec<String> = sms_code::Entity::find()
        .all(db.read())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.phone)
        .collect();
    assert_eq!(phones, ["13900000002"]);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    reader.join().unwrap();
    let log = log.lock().unwrap().join("\n");
    assert!(
        exit.success(),
        "a clean exit after SIGTERM: {exit:?}\n{log}"
    );
    assert!(log.contains("zhangfang worker is running"), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert_eq!(
        sea_orm::ConnectionTrait::query_one_raw(
            db.read(),
            sea_orm::Statement::from_string(
                db.backend(),
                "SELECT COUNT(*) FROM background_job WHERE status = 'running'"
            )
        )
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap(),
        0,
        "no job is left holding a lease"
    );
    db.close().await;
    drop_test_database(pg);
}

#[tokio::test]
async fn sign_in_round_trips_are_purged_a_day_after_they_expire() {
    let app = spawn_app().await;
    let firm_id = create_firm(&app, "wwoauthstate1").await;
    let now = app.clock.now();
    for (id, expires_at) in [
        ("expired_two_days_ago", now - Duration::days(2)),
        ("expired_an_hour_ago", now - Duration::hours(1)),
        ("live", now + Duration::minutes(5)),
    ] {
        sea_orm::ConnectionTrait::execute_raw(
            app.state.db.write(),
            zhangfang::db::statement(
                app.backend(),
                "INSERT INTO oauth_state (id, firm_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
                [
                    id.into(),
                    firm_id.into(),
                    expires_at.into(),
                    (expires_at - Duration::minutes(10)).into(),
                ],
            ),
        )
        .await
        .unwrap();
    }
    run_purges(&app).await;
    assert_eq!(
        texts(&app, "SELECT id FROM oauth_state").await,
        ["expired_an_hour_ago", "live"]
    );
}

/// A handler that holds the write connection (on SQLite the only one) across several lease
/// renewals: the renewals must wait for it, not stop it from finishing.
#[tokio::test]
async fn a_job_holding_the_write_connection_across_its_heartbeats_finishes() {
    let app = spawn_app().await;
    let holder = |ctx: &Ctx, _job: Job| {
        let db = ctx.db.clone();
        async move {
            let txn = db.begin_write().await.map_err(anyhow::Error::from)?;
            tokio::time::sleep(StdDuration::from_millis(500)).await;
            txn.commit().await.map_err(anyhow::Error::from)?;
            Ok::<(), JobError>(())
        }
    };
    let runner = builder(&app)
        .handler("hold", holder)
        .lease(Duration::milliseconds(300))
        .build();
    let id = enqueue(&app, NewJob::new("hold", json!({}))).await.unwrap();
    let ran = tokio::time::timeout(StdDuration::from_secs(30), runner.run_once())
        .await
        .expect("the job and its lease renewal waited for each other")
        .unwrap()
        .expect("the job ran");
    assert_eq!((ran.id, ran.outcome), (id, Outcome::Done));
    assert_eq!(job_row(&app, id).await.status, background_job::Status::Done);
}
