//! The callback inbox during a database outage: bounded waits, a full queue, failed and stalled
//! commits, one bad row in a group, a dead writer, and what `/healthz` says meanwhile. Faults are
//! injected through the database (a held write lock, triggers), never through a flag in the app.

use std::time::Duration;

use sea_orm::sqlx::{self, Connection};
use serde_json::Value;

use crate::helpers::{TestApp, TestFirm, spawn_app_with};
use crate::wecom_fixtures::external_contact_event;

const KEY: &str = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt";

async fn app_with(commit_timeout_ms: u64, queue_depth: usize) -> (TestApp, TestFirm) {
    let app = spawn_app_with(|s| {
        s.wecom.callback_commit_timeout_ms = commit_timeout_ms;
        s.wecom.callback_queue_depth = queue_depth;
    })
    .await;
    let firm = app.add_firm("wwoutagecorp0001", "outagetoken", KEY).await;
    (app, firm)
}

fn event(n: u32) -> String {
    external_contact_event(
        "wwoutagecorp0001",
        &format!("wmOUTAGE{n:05}"),
        1_764_000_000,
    )
}

async fn inbox_rows(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM callback_inbox").await
}

async fn health(app: &TestApp) -> (u16, Value) {
    let resp = app.get("/healthz").await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// A connection of another process holding the database's write lock (SQLite) or a lock on the
/// inbox table that blocks inserts (PostgreSQL) until released.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn hold(app: &TestApp) -> Self {
        let url = app.state.settings.database.url.expose().to_string();
        if app.state.db.is_sqlite() {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap();
            Self::Sqlite(conn)
        } else {
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
            sqlx::query("LOCK TABLE callback_inbox IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap();
            Self::Postgres(conn)
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
            Self::Postgres(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
        }
    }
}

/// Triggers that make inserts into the inbox fail: every row with a non-constraint error, or
/// only rows whose payload contains `POISON` with a constraint error.
#[derive(Clone, Copy)]
enum Fault {
    EveryRow,
    PoisonedRows,
}

async fn inject(app: &TestApp, fault: Fault) {
    let sqlite = app.state.db.is_sqlite();
    let sql: &[&str] = match (fault, sqlite) {
        // A runtime error (SQLITE_ERROR "integer overflow") while the row is written.
        (Fault::EveryRow, true) => &[
            "CREATE TRIGGER inbox_fault BEFORE INSERT ON callback_inbox \
             BEGIN SELECT abs(-9223372036854775808); END",
        ],
        (Fault::PoisonedRows, true) => &[
            "CREATE TRIGGER inbox_fault BEFORE INSERT ON callback_inbox \
             WHEN NEW.payload LIKE '%POISON%' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
        ],
        (Fault::EveryRow, false) => &[
            "CREATE FUNCTION inbox_fault() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
            "CREATE TRIGGER inbox_fault BEFORE INSERT ON callback_inbox \
             FOR EACH ROW EXECUTE FUNCTION inbox_fault()",
        ],
        (Fault::PoisonedRows, false) => &[
            "CREATE FUNCTION inbox_fault() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.payload LIKE '%POISON%' THEN \
             RAISE EXCEPTION 'poisoned row' USING ERRCODE = 'check_violation'; END IF; \
             RETURN NEW; END $$",
            "CREATE TRIGGER inbox_fault BEFORE INSERT ON callback_inbox \
             FOR EACH ROW EXECUTE FUNCTION inbox_fault()",
        ],
    };
    for statement in sql {
        execute(app, statement).await;
    }
}

async fn heal(app: &TestApp) {
    if app.state.db.is_sqlite() {
        execute(app, "DROP TRIGGER inbox_fault").await;
    } else {
        execute(app, "DROP TRIGGER inbox_fault ON callback_inbox").await;
        execute(app, "DROP FUNCTION inbox_fault()").await;
    }
}

async fn execute(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .write()
        .execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Waits (bounded) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("timed out waiting until {what}");
}

fn post(app: &TestApp, firm: &TestFirm, event: String) -> tokio::task::JoinHandle<u16> {
    let request = app.callback_request(firm, &event);
    tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
}

/// Blocks the writer on a first request, queues `events` behind it, then releases the database:
/// the queued events go to the database as one group. Returns their answers.
async fn as_one_group(app: &TestApp, firm: &TestFirm, events: Vec<String>) -> (u16, Vec<u16>) {
    let blocker = Blocker::hold(app).await;
    let plug = post(app, firm, event(99_999));
    until("the writer waits for the lock", || {
        app.state.inbox.status().committing_for_ms.is_some()
    })
    .await;
    let n = events.len();
    let group: Vec<_> = events.into_iter().map(|e| post(app, firm, e)).collect();
    until("the group is queued", || {
        app.state.inbox.status().queued == n
    })
    .await;
    blocker.release().await;
    let plug = plug.await.unwrap();
    let mut answers = Vec::new();
    for task in group {
        answers.push(task.await.unwrap());
    }
    (plug, answers)
}

#[tokio::test]
async fn a_stalled_commit_answers_503_within_the_bound_and_healthz_turns_red() {
    let (app, firm) = app_with(300, 1024).await;
    assert_eq!(health(&app).await.0, 200, "fresh and idle is healthy");
    let blocker = Blocker::hold(&app).await;
    // Without a bound the request would wait for the lock (the busy timeout, or for ever).
    let answer = app.post_callback(&firm, &event(1)).await;
    assert_eq!(answer.status(), 503, "not committed, so not acknowledged");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errcode"], -1, "WeCom's system-busy shape");
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "inbox_stalled");
    assert_eq!(body["inbox"]["writer"], "stalled");
    blocker.release().await;
    // After the outage the retry is stored and acknowledged, and health recovers.
    assert_eq!(app.post_callback(&firm, &event(1)).await.status(), 200);
    assert_eq!(inbox_rows(&app).await, 1);
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert!(body["inbox"]["last_commit_at"].is_string());
}

#[tokio::test]
async fn a_full_queue_answers_503_at_once() {
    let (app, firm) = app_with(60_000, 2).await;
    let blocker = Blocker::hold(&app).await;
    let first = post(&app, &firm, event(1));
    until("the writer waits for the lock", || {
        app.state.inbox.status().committing_for_ms.is_some()
    })
    .await;
    let queued: Vec<_> = (2..4).map(|n| post(&app, &firm, event(n))).collect();
    until("the queue is full", || app.state.inbox.status().queued == 2).await;
    let overflow = app.post_callback(&firm, &event(4)).await;
    assert_eq!(overflow.status(), 503);
    // Answered while the others still wait: it did not queue behind them.
    assert!(!first.is_finished());
    assert!(queued.iter().all(|t| !t.is_finished()));
    blocker.release().await;
    assert_eq!(first.await.unwrap(), 200);
    for task in queued {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 3, "the refused one is not stored");
}

#[tokio::test]
async fn a_failed_commit_answers_5xx_fails_the_whole_group_and_stores_nothing() {
    let (app, firm) = app_with(30_000, 1024).await;
    app.post_callback(&firm, &event(0)).await;
    inject(&app, Fault::EveryRow).await;
    let answer = app.post_callback(&firm, &event(1)).await;
    assert!(answer.status().is_server_error(), "{}", answer.status());
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "inbox_failing");
    assert!(body["inbox"]["last_failure_at"].is_string());

    let (plug, answers) = as_one_group(&app, &firm, (2..6).map(event).collect()).await;
    assert!(plug >= 500);
    assert!(answers.iter().all(|s| *s >= 500), "{answers:?}");
    assert_eq!(
        app.state.inbox.status().rows_retried_alone,
        0,
        "a failure that is not a constraint is not retried row by row"
    );
    assert_eq!(
        inbox_rows(&app).await,
        1,
        "nothing acknowledged that is not stored"
    );

    heal(&app).await;
    assert_eq!(app.post_callback(&firm, &event(1)).await.status(), 200);
    assert_eq!(inbox_rows(&app).await, 2);
    assert_eq!(health(&app).await.0, 200);
}

#[tokio::test]
async fn one_bad_row_in_a_group_fails_alone() {
    let (app, firm) = app_with(30_000, 1024).await;
    inject(&app, Fault::PoisonedRows).await;
    let mut events: Vec<String> = (1..6).map(event).collect();
    events.insert(2, event(6).replace("zhangsan", "POISON"));
    let (plug, answers) = as_one_group(&app, &firm, events).await;
    assert_eq!(plug, 200);
    assert_eq!(answers[2], 500, "{answers:?}");
    for (i, status) in answers.iter().enumerate().filter(|(i, _)| *i != 2) {
        assert_eq!(*status, 200, "row {i}: {answers:?}");
    }
    assert_eq!(inbox_rows(&app).await, 6, "the plug and the five good rows");
    assert_eq!(
        app.state.inbox.status().rows_retried_alone,
        6,
        "the group was retried row by row"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM callback_inbox WHERE payload LIKE '%POISON%'")
            .await,
        0
    );
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "one bad row is not an outage: {body}");
}

#[tokio::test]
async fn a_dead_writer_is_restarted_and_counted() {
    let (app, firm) = app_with(3000, 1024).await;
    assert_eq!(app.post_callback(&firm, &event(1)).await.status(), 200);
    app.state.inbox.abort_writer_task();
    until("the writer was restarted", || {
        let s = app.state.inbox.status();
        s.restarts == 1 && s.running
    })
    .await;
    assert_eq!(app.post_callback(&firm, &event(2)).await.status(), 200);
    assert_eq!(inbox_rows(&app).await, 2);
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inbox"]["restarts"], 1);
    assert_eq!(body["inbox"]["running"], true);
}

#[tokio::test]
async fn the_ack_comes_only_after_the_commit() {
    let (app, firm) = app_with(30_000, 1024).await;
    let blocker = Blocker::hold(&app).await;
    let answer = post(&app, &firm, event(1));
    until("the writer waits for the lock", || {
        app.state.inbox.status().committing_for_ms.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!answer.is_finished(), "acknowledged before the commit");
    assert_eq!(inbox_rows(&app).await, 0);
    blocker.release().await;
    assert_eq!(answer.await.unwrap(), 200);
    assert_eq!(inbox_rows(&app).await, 1, "stored when acknowledged");
}

#[tokio::test]
async fn identical_events_arriving_concurrently_store_one_row() {
    let (app, firm) = app_with(3000, 1024).await;
    // Each delivery is encrypted afresh (new nonce and random prefix), as WeCom's retries are.
    let tasks: Vec<_> = (0..20).map(|_| post(&app, &firm, event(7))).collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(inbox_rows(&app).await, 1);
}

#[tokio::test]
async fn the_same_event_for_two_firms_stores_two_rows() {
    let (app, firm) = app_with(3000, 1024).await;
    let other = app.add_firm("wwoutagecorp0002", "othertoken", KEY).await;
    let same = event(8);
    let (a, b) = (post(&app, &firm, same.clone()), post(&app, &other, same));
    assert_eq!(a.await.unwrap(), 200);
    assert_eq!(b.await.unwrap(), 200);
    assert_eq!(inbox_rows(&app).await, 2);
    for f in [&firm, &other] {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM callback_inbox WHERE firm_id = {}",
                f.firm_id
            ))
            .await;
        assert_eq!(n, 1);
    }
}

/// The inbox writer keeps a PostgreSQL connection of its own: when the server drops it, the
/// callback in hand gets a 5xx (WeCom retries it) and the next one is stored on a new connection.
#[tokio::test]
async fn a_writer_connection_the_server_dropped_is_replaced() {
    let (app, firm) = app_with(3000, 1024).await;
    if app.state.db.is_sqlite() {
        return;
    }
    assert_eq!(app.post_callback(&firm, &event(1)).await.status(), 200);
    let url = app.state.settings.database.url.expose().to_string();
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    // Only the writer's: its last statement was the inbox insert (pooled connections that the
    // server drops fail their next statement once, whoever uses them).
    let dropped: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND query LIKE 'INSERT INTO callback_inbox%'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(dropped, vec![(true,)], "the writer's own backend");
    // The first callback after the drop may meet the dead connection; WeCom would retry it.
    let mut answers = Vec::new();
    for _ in 0..3 {
        let status = app.post_callback(&firm, &event(2)).await.status().as_u16();
        answers.push(status);
        if status == 200 {
            break;
        }
        assert!(status >= 500, "{answers:?}");
    }
    assert_eq!(answers.last(), Some(&200), "{answers:?}");
    assert_eq!(inbox_rows(&app).await, 2);
    assert_eq!(app.post_callback(&firm, &event(3)).await.status(), 200);
    assert_eq!(inbox_rows(&app).await, 3);
}

/// Two instances on one PostgreSQL can lock the same retried events in opposite orders: one
/// holds `k2` and wants `k1`, the other holds `k1` and wants `k2`. PostgreSQL aborts one of them
/// after `deadlock_timeout`; when that is our writer's group, the group is tried again and
/// acknowledged once the other side has committed, instead of answering 503.
#[tokio::test]
async fn a_group_that_loses_a_deadlock_to_another_instance_is_tried_again() {
    let (app, firm) = app_with(5000, 1024).await;
    if app.state.db.is_sqlite() {
        return;
    }
    // The same events through another firm give their dedupe keys, and rows to copy.
    let other = app.add_firm("wwoutagecorp0003", "othertoken", KEY).await;
    let events: Vec<String> = (20..23).map(event).collect();
    for e in &events {
        assert_eq!(app.post_callback(&other, e).await.status(), 200);
    }
    let url = app.state.settings.database.url.expose().to_string();
    let mut stats = sqlx::PgConnection::connect(&url).await.unwrap();
    let keys: Vec<(String,)> =
        sqlx::query_as("SELECT dedupe_key FROM callback_inbox WHERE firm_id = $1 ORDER BY id")
            .bind(other.firm_id)
            .fetch_all(&mut stats)
            .await
            .unwrap();
    let key = |i: usize| keys[i].0.clone();

    // The other instance: a transaction holding k2, and k0 in a savepoint.
    let mut rival = sqlx::PgConnection::connect(&url).await.unwrap();
    let copy = "INSERT INTO callback_inbox (firm_id, app_id, dedupe_key, received_at, payload) \
                SELECT $1, $2, dedupe_key, received_at, payload FROM callback_inbox \
                WHERE firm_id = $3 AND dedupe_key = $4";
    for sql in ["SET deadlock_timeout = '10s'", "BEGIN"] {
        sqlx::query(sql).execute(&mut rival).await.unwrap();
    }
    for (k, then) in [(key(2), "SAVEPOINT s"), (key(0), "SELECT 1")] {
        sqlx::query(copy)
            .bind(firm.firm_id)
            .bind(firm.app_id)
            .bind(other.firm_id)
            .bind(k)
            .execute(&mut rival)
            .await
            .unwrap();
        sqlx::query(then).execute(&mut rival).await.unwrap();
    }

    // Our writer waits on k0 while e1 and e2 queue behind it as one group.
    let plug = post(&app, &firm, events[0].clone());
    until("the writer waits on k0", || {
        app.state.inbox.status().committing_for_ms.is_some()
    })
    .await;
    let first = post(&app, &firm, events[1].clone());
    until("e1 is queued", || app.state.inbox.status().queued == 1).await;
    let second = post(&app, &firm, events[2].clone());
    until("e2 is queued", || app.state.inbox.status().queued == 2).await;
    sqlx::query("ROLLBACK TO SAVEPOINT s")
        .execute(&mut rival)
        .await
        .unwrap();
    assert_eq!(plug.await.unwrap(), 200);

    // The group [e1, e2] takes k1, then waits on the rival's k2.
    let waiting = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO callback_inbox%'";
    let mut tries = 0;
    while sqlx::query_scalar::<_, i64>(waiting)
        .fetch_one(&mut stats)
        .await
        .unwrap()
        == 0
    {
        tries += 1;
        assert!(tries < 1000, "the writer never waited on k2");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()";
    let before: i64 = sqlx::query_scalar(deadlocks)
        .fetch_one(&mut stats)
        .await
        .unwrap();
    // The rival now wants k1: a deadlock, which PostgreSQL breaks by aborting our writer's
    // group (its deadlock_timeout, 1 s, runs out first).
    sqlx::query(copy)
        .bind(firm.firm_id)
        .bind(firm.app_id)
        .bind(other.firm_id)
        .bind(key(1))
        .execute(&mut rival)
        .await
        .expect("the writer's group, not the rival, is the deadlock's victim");
    sqlx::query("COMMIT").execute(&mut rival).await.unwrap();

    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(second.await.unwrap(), 200);
    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM callback_inbox WHERE firm_id = {}",
            firm.firm_id
        ))
        .await;
    assert_eq!(stored, 3);
    let mut after = before;
    for _ in 0..200 {
        sqlx::query("SELECT pg_stat_clear_snapshot()")
            .execute(&mut stats)
            .await
            .unwrap();
        after = sqlx::query_scalar(deadlocks)
            .fetch_one(&mut stats)
            .await
            .unwrap();
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        after > before,
        "PostgreSQL counted a deadlock ({before} → {after})"
    );
}
