//! The sandbox inside the app in demo mode: it plays the demo firm's corp, from the same seed the
//! demo firm was written with, so the sandbox and the database agree on every id.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::{Clock, Sandbox, SandboxOptions};
use crate::db::Database;
use crate::db::entities::firm;
use crate::seed::{self, Profile};

/// Where the in-app sandbox is mounted.
pub const BASE_PATH: &str = "/sandbox";

/// The seed parameters the seeder records in `firm.settings`.
#[derive(Deserialize)]
struct Recorded {
    seed: SeedParams,
}

#[derive(Deserialize)]
struct SeedParams {
    profile: String,
    seed: u64,
    as_of: chrono::NaiveDate,
}

/// Where the in-app sandbox may send people and events: this instance only.
pub struct DemoHost {
    /// `host:port` of every address this instance answers on (listen and public_url).
    pub hosts: Vec<String>,
    /// This instance's callback URL prefixes.
    pub callback_targets: Vec<String>,
}

/// A sandbox for the demo firm, or None when there is no demo firm (or it was not seeded here).
pub async fn for_demo_firm(
    db: &Database,
    clock: Clock,
    host: DemoHost,
    corp_id: &str,
) -> anyhow::Result<Option<Sandbox>> {
    let Some(demo) = firm::Entity::find()
        .filter(firm::Column::CorpId.eq(corp_id))
        .one(db.read())
        .await?
    else {
        return Ok(None);
    };
    let Some(recorded) = demo
        .settings
        .and_then(|s| serde_json::from_value::<Recorded>(s).ok())
    else {
        tracing::warn!("the demo firm records no seed; the in-app WeCom sandbox is off");
        return Ok(None);
    };
    let profile: Profile = recorded
        .seed
        .profile
        .parse()
        .map_err(|e: String| anyhow::anyhow!(e))?;
    let dataset = seed::wecom_dataset(profile, recorded.seed.seed, recorded.seed.as_of);
    let options = SandboxOptions {
        base_path: BASE_PATH.to_string(),
        trusted_redirect_hosts: host.hosts,
        callback_targets: host.callback_targets,
        ..SandboxOptions::default()
    };
    Ok(Some(Sandbox::with_clock(dataset, options, clock)))
}
