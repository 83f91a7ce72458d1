//! What a handler receives, what it may answer, and what a caller enqueues.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

/// One run of a job, as its handler sees it.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// The firm the job works for; `None` for jobs about the whole installation (purges).
    pub firm_id: Option<i64>,
    pub payload: serde_json::Value,
    /// 1 for the first run, 2 for the first retry, …
    pub attempt: i32,
    pub max_attempts: i32,
}

impl Job {
    /// The payload as `T`. A payload that does not fit will never fit, so that error is permanent.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.payload.clone()).map_err(|e| {
            JobError::permanent(anyhow::anyhow!(
                "the payload of a `{}` job does not fit: {e}",
                self.kind
            ))
        })
    }

    /// True when a failure now fails the job for good.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }
}

/// Why a run did not succeed. Any error converts into one with `?` (it is then retried with
/// backoff); [`JobError::permanent`] fails the job at once.
///
/// It deliberately does not implement `std::error::Error`: that is what lets every error type
/// (and `anyhow::Error`) convert into it.
pub struct JobError {
    error: anyhow::Error,
    permanent: bool,
}

impl JobError {
    /// Retried with backoff until the job's attempts are used up.
    pub fn retry(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            permanent: false,
        }
    }

    /// Fails the job now: retrying cannot help (a malformed payload, a firm that is gone).
    pub fn permanent(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            permanent: true,
        }
    }

    pub fn is_permanent(&self) -> bool {
        self.permanent
    }

    pub fn into_inner(self) -> anyhow::Error {
        self.error
    }
}

impl<E: Into<anyhow::Error>> From<E> for JobError {
    fn from(error: E) -> Self {
        Self::retry(error)
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl fmt::Debug for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobError")
            .field("error", &format_args!("{:#}", self.error))
            .field("permanent", &self.permanent)
            .finish()
    }
}

/// A job to enqueue: `NewJob::new("kind", json!({…})).for_firm(id).unique_key("…")`.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub(crate) kind: String,
    pub(crate) payload: serde_json::Value,
    pub(crate) firm_id: Option<i64>,
    pub(crate) run_at: Option<DateTime<Utc>>,
    pub(crate) unique_key: Option<String>,
    pub(crate) max_attempts: i32,
}

/// Attempts a job gets unless told otherwise (the column's default too).
pub const DEFAULT_MAX_ATTEMPTS: i32 = 5;

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            firm_id: None,
            run_at: None,
            unique_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn for_firm(mut self, firm_id: i64) -> Self {
        self.firm_id = Some(firm_id);
        self
    }

    /// Not before `at` (default: as soon as a worker is free).
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// While a job of the same kind with this key is queued or running, enqueuing another is a
    /// no-op. Once it has finished, the key is free again.
    pub fn unique_key(mut self, key: impl Into<String>) -> Self {
        self.unique_key = Some(key.into());
        self
    }

    /// Runs allowed before the job is failed for good (at least 1).
    pub fn max_attempts(mut self, attempts: i32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }
}
