//! Deterministic demo and benchmark data (`zhangfang seed --profile demo|S|M|L`).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::config::Settings;
use crate::db::Database;
use crate::domain::clock::Clock;
use crate::secrets::{SecretBox, load_or_create_key};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Demo,
    S,
    M,
    L,
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(Self::Demo),
            "s" => Ok(Self::S),
            "m" => Ok(Self::M),
            "l" => Ok(Self::L),
            _ => Err(format!("unknown profile `{s}` (demo, S, M or L)")),
        }
    }
}

pub struct SeedOptions {
    pub profile: Profile,
    pub seed: u64,
    pub as_of: NaiveDate,
    pub progress: bool,
}

pub struct SeedReport {
    pub corp_id: String,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seeded firm {}", self.corp_id)
    }
}

pub fn secret_box_for(settings: &Settings) -> anyhow::Result<SecretBox> {
    let key = load_or_create_key(
        &settings.security.master_key,
        &settings.server.data_dir,
        "master_key",
        32,
        32,
    )?;
    Ok(SecretBox::new(&key)?)
}

pub async fn run(
    _db: &Database,
    _secrets: &SecretBox,
    _options: SeedOptions,
) -> anyhow::Result<SeedReport> {
    anyhow::bail!("seeding is being written")
}

pub async fn ensure_demo(
    _db: &Database,
    _secrets: &SecretBox,
    _clock: &dyn Clock,
) -> anyhow::Result<()> {
    Ok(())
}
