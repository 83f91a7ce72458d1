//! Deterministic demo and benchmark data (`zhangfang seed --profile demo|S|M|L`).
//!
//! The same (profile, seed, as_of) always gives the same firm: its WeCom corp (members, external
//! contacts, group chats, corp tags — see [`wecom_dataset`], which the WeCom sandbox serves
//! without a database), its staff and customers, and twelve months of books before `as_of` plus
//! the month in progress. Sizes follow bookkeeping.md §7.
//!
//! Layout: [`names`] (pools of names, industries, regions), [`roster`] (firm, staff, customers,
//! contacts), [`wecom_data`] (the WeCom side), [`bookkeeping_data`] with [`invoices`],
//! [`billing`] and [`statements`] (one customer's books), [`kb`] (knowledge base), [`persist`]
//! and [`writer`] (bulk inserts), [`progress`] (terminal output).

mod billing;
mod bookkeeping_data;
mod dates;
mod invoices;
mod kb;
mod names;
mod persist;
mod progress;
mod rng;
mod roster;
mod sizes;
mod statements;
mod texts;
mod wecom_data;
mod world;
mod writer;

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::config::Secret;
use crate::db::Database;
use crate::db::entities::{firm, wecom_app};
use crate::domain::clock::Clock;
use crate::secrets::SecretBox;
use crate::services::firms::{self, NewApp};

pub use roster::DEMO_CORP_ID;
pub use wecom_data::{
    WecomAppData, WecomDataset, WecomDepartment, WecomExternalContact, WecomFollowInfo,
    WecomGroupChat, WecomGroupMember, WecomMember, WecomTag, WecomTagGroup, wecom_dataset,
};

/// The seed `ensure_demo` uses, so every demo installation shows the same firm.
pub const DEMO_SEED: u64 = 20_261_126;

/// A data size (bookkeeping.md §7). The serde names are those `--profile` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Profile {
    #[serde(rename = "demo", alias = "Demo", alias = "DEMO")]
    Demo,
    #[serde(rename = "S", alias = "s")]
    S,
    #[serde(rename = "M", alias = "m")]
    M,
    #[serde(rename = "L", alias = "l")]
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

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Demo => "demo",
            Profile::S => "S",
            Profile::M => "M",
            Profile::L => "L",
        })
    }
}

pub struct SeedOptions {
    pub profile: Profile,
    pub seed: u64,
    pub as_of: NaiveDate,
    pub progress: bool,
}

/// What a seed run wrote.
#[derive(Clone, Debug)]
pub struct SeedReport {
    pub corp_id: String,
    pub firm_id: i64,
    pub firm_name: String,
    pub profile: Profile,
    pub seed: u64,
    pub as_of: NaiveDate,
    /// Rows written per table, in write order.
    pub rows: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
}

impl SeedReport {
    pub fn rows_in(&self, table: &str) -> u64 {
        self.rows
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }

    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "seeded {} ({}, profile {}, seed {}, as of {}): {} rows in {:.1} s",
            self.firm_name,
            self.corp_id,
            self.profile,
            self.seed,
            self.as_of,
            self.total_rows(),
            self.elapsed.as_secs_f64()
        )?;
        let key = [
            "customer",
            "employee",
            "contact",
            "wecom_external_contact",
            "wecom_group_chat",
            "invoice",
            "tax_filing",
            "financial_report",
            "receivable",
            "receipt",
            "follow_up",
            "kb_article",
        ];
        let parts: Vec<String> = key
            .iter()
            .map(|t| format!("{t} {}", self.rows_in(t)))
            .collect();
        write!(f, "  {}", parts.join(" · "))
    }
}

/// The WeCom corp id a profile and seed seed into.
pub fn corp_id_for(profile: Profile, seed: u64) -> String {
    roster::corp_id(profile, seed)
}

async fn firm_exists(conn: &impl ConnectionTrait, corp_id: &str) -> anyhow::Result<bool> {
    Ok(firm::Entity::find()
        .filter(firm::Column::CorpId.eq(corp_id))
        .one(conn)
        .await?
        .is_some())
}

/// Seeds one profile's firm. Refuses when that firm (its corp id) already exists.
pub async fn run(
    db: &Database,
    secrets: &SecretBox,
    options: SeedOptions,
) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let corp_id = corp_id_for(options.profile, options.seed);
    if firm_exists(db.read(), &corp_id).await? {
        anyhow::bail!(
            "firm {corp_id} (profile {}, seed {}) already exists in this database; \
             seed another profile or seed, or start from an empty database",
            options.profile,
            options.seed
        );
    }
    let world = world::World::build(options.profile, options.seed, options.as_of);
    let stored = crate::services::calendar::load(db)
        .await
        .map_err(|e| anyhow::anyhow!("reading the filing calendar: {e}"))?;
    let calendar = bookkeeping_data::Calendar {
        holidays: stored.holidays,
        official: stored.official,
    };
    let progress = progress::Progress::new(options.progress);

    let txn = db.begin_write().await?;
    // Checked again under the write lock: another run may have won the race.
    if firm_exists(&txn, &corp_id).await? {
        anyhow::bail!("firm {corp_id} already exists in this database");
    }
    let roster = &world.roster;
    // Every seeded firm is a demo firm, whatever its size: its keys follow from the seed and are
    // public, so it is served only in demo mode.
    let firm_row = firms::create_firm(
        &txn,
        &corp_id,
        &roster.firm.name,
        true,
        roster.firm.created_at,
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the firm: {e}"))?;
    // The seed parameters let the in-app WeCom sandbox regenerate exactly this corp.
    let recorded = serde_json::json!({
        "seed": {
            "profile": options.profile.to_string(),
            "seed": options.seed,
            "as_of": options.as_of.to_string(),
        }
    });
    firm::Entity::update_many()
        .col_expr(
            firm::Column::Uscc,
            sea_orm::sea_query::Expr::value(roster.firm.uscc.clone()),
        )
        .col_expr(
            firm::Column::Settings,
            sea_orm::sea_query::Expr::value(recorded),
        )
        .filter(firm::Column::Id.eq(firm_row.id))
        .exec(&txn)
        .await?;
    let app = &world.wecom.app;
    firms::add_app(
        &txn,
        secrets,
        firm_row.id,
        NewApp {
            agent_id: app.agent_id.clone(),
            name: app.name.clone(),
            kind: wecom_app::Kind::SelfBuilt,
            suite_id: None,
            secret: Some(Secret::new(app.secret.clone())),
            token: Secret::new(app.token.clone()),
            encoding_aes_key: Secret::new(app.encoding_aes_key.clone()),
            is_primary: true,
        },
        roster.firm.created_at,
    )
    .await
    .map_err(|e| anyhow::anyhow!("registering the app: {e}"))?;

    let rows = persist::write_world(&txn, db.backend(), firm_row.id, &world, &calendar, progress)
        .await
        .context("writing seed rows")?;
    give_owner_a_password(&txn, firm_row.id).await?;
    txn.commit().await?;
    if db.is_sqlite() {
        db.checkpoint().await?;
    }
    db.refresh_statistics().await?;
    let mut all_rows = vec![("firm", 1), ("wecom_app", 1)];
    all_rows.extend(rows);
    Ok(SeedReport {
        corp_id,
        firm_id: firm_row.id,
        firm_name: roster.firm.name.clone(),
        profile: options.profile,
        seed: options.seed,
        as_of: options.as_of,
        rows: all_rows,
        elapsed: started.elapsed(),
    })
}

/// The seeded firm's owner (its super admin) gets a back-office password, recorded in plain text
/// in `firm.settings.demo_admin`: a seeded firm is a demo firm, served only in demo mode, whose
/// home and sign-in pages show it so anyone trying the demo can sign in.
async fn give_owner_a_password(txn: &impl ConnectionTrait, firm_id: i64) -> anyhow::Result<()> {
    use crate::db::entities::employee;
    use sea_orm::{ActiveModelTrait, IntoActiveModel, QueryOrder, Set};
    let Some(owner) = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm_id))
        .filter(employee::Column::Role.eq(employee::Role::SuperAdmin))
        .order_by_asc(employee::Column::Id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let password = crate::services::passwords::generate();
    let hash = crate::services::passwords::hash(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let phone = owner.mobile.clone().unwrap_or_default();
    let mut active = owner.into_active_model();
    active.password_hash = Set(Some(hash));
    active.update(txn).await?;
    let firm = firm::Entity::find_by_id(firm_id)
        .one(txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the firm just created is gone"))?;
    let mut settings = firm
        .settings
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    settings["demo_admin"] = serde_json::json!({ "phone": phone, "password": password });
    let mut active = firm.into_active_model();
    active.settings = Set(Some(settings));
    active.update(txn).await?;
    Ok(())
}

/// The corp id of the demo firm of `[demo] profile`.
pub fn demo_corp_id(profile: Profile) -> String {
    corp_id_for(profile, DEMO_SEED)
}

/// Seeds the demo firm of `profile` (seed [`DEMO_SEED`], data up to today) unless it already
/// exists.
pub async fn ensure_demo(
    db: &Database,
    secrets: &SecretBox,
    clock: &dyn Clock,
    profile: Profile,
) -> anyhow::Result<()> {
    let corp_id = demo_corp_id(profile);
    if firm_exists(db.read(), &corp_id).await? {
        return Ok(());
    }
    let as_of = clock.today_local();
    match run(
        db,
        secrets,
        SeedOptions {
            profile,
            seed: DEMO_SEED,
            as_of,
            progress: false,
        },
    )
    .await
    {
        Ok(report) => {
            tracing::info!(
                corp_id = %report.corp_id,
                rows = report.total_rows(),
                elapsed_ms = report.elapsed.as_millis() as u64,
                "seeded the demo firm"
            );
            Ok(())
        }
        // Another instance seeding at the same moment is fine.
        Err(_) if firm_exists(db.read(), &corp_id).await? => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_case_insensitively() {
        assert_eq!("demo".parse::<Profile>(), Ok(Profile::Demo));
        assert_eq!("s".parse::<Profile>(), Ok(Profile::S));
        assert_eq!("L".parse::<Profile>(), Ok(Profile::L));
        assert!("xl".parse::<Profile>().is_err());
    }

    #[test]
    fn corp_ids_depend_on_profile_and_seed_except_for_the_demo() {
        assert_eq!(corp_id_for(Profile::Demo, 1), DEMO_CORP_ID);
        assert_eq!(corp_id_for(Profile::Demo, 2), DEMO_CORP_ID);
        let s1 = corp_id_for(Profile::S, 1);
        assert!(s1.starts_with("wwseeds") && s1.len() == 18, "{s1}");
        assert_ne!(s1, corp_id_for(Profile::S, 2));
        assert_ne!(s1, corp_id_for(Profile::M, 1));
        assert!(crate::services::firms::validate_corp_id(&s1).is_ok());
    }
}
