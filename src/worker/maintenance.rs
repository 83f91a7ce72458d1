//! Recurring housekeeping jobs: purge expired sessions, SMS codes, WeCom tokens, old callbacks
//! and API idempotency keys past their day. The queries live in [`crate::services::maintenance`].

use chrono::Duration;

use super::{Job, WorkerBuilder};
use crate::services::{Ctx, maintenance};

pub const PURGE_SESSIONS: &str = "purge_sessions";
pub const PURGE_SMS_CODES: &str = "purge_sms_codes";
pub const PURGE_WECOM_TOKENS: &str = "purge_wecom_tokens";
pub const PURGE_CALLBACK_INBOX: &str = "purge_callback_inbox";
pub const PURGE_API_IDEMPOTENCY: &str = "purge_api_idempotency";

/// Short purges run every few minutes; the inbox, which only grows by days, hourly.
const OFTEN: Duration = Duration::minutes(10);
const HOURLY: Duration = Duration::hours(1);

pub fn register(builder: WorkerBuilder) -> WorkerBuilder {
    builder
        .handler(PURGE_SESSIONS, purge_sessions)
        .recurring(PURGE_SESSIONS, OFTEN)
        .handler(PURGE_SMS_CODES, purge_sms_codes)
        .recurring(PURGE_SMS_CODES, OFTEN)
        .handler(PURGE_WECOM_TOKENS, purge_wecom_tokens)
        .recurring(PURGE_WECOM_TOKENS, OFTEN)
        .handler(PURGE_CALLBACK_INBOX, purge_callback_inbox)
        .recurring(PURGE_CALLBACK_INBOX, HOURLY)
        .handler(PURGE_API_IDEMPOTENCY, purge_api_idempotency)
        .recurring(PURGE_API_IDEMPOTENCY, HOURLY)
}

async fn purge_sessions(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    report("sessions", maintenance::purge_web_sessions(ctx).await?);
    report(
        "sign-in round trips",
        maintenance::purge_oauth_states(ctx).await?,
    );
    Ok(())
}

async fn purge_sms_codes(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    report("SMS codes", maintenance::purge_sms_codes(ctx).await?);
    Ok(())
}

async fn purge_wecom_tokens(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    report("WeCom tokens", maintenance::purge_wecom_tokens(ctx).await?);
    Ok(())
}

async fn purge_callback_inbox(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    report(
        "processed callbacks",
        maintenance::purge_callback_inbox(ctx).await?,
    );
    Ok(())
}

async fn purge_api_idempotency(ctx: &Ctx, _job: Job) -> anyhow::Result<()> {
    report(
        "API idempotency keys",
        maintenance::purge_api_idempotency(ctx).await?,
    );
    Ok(())
}

fn report(what: &str, deleted: u64) {
    if deleted > 0 {
        tracing::info!(deleted, "purged {what}");
    }
}
