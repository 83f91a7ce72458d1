//! The `zhangfang` command: serve (default), worker, migrate, seed, sandbox.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use zhangfang::config::Settings;
use zhangfang::db::Database;
use zhangfang::domain::clock::{Clock, SystemClock};
use zhangfang::seed::{self, Profile, SeedOptions};
use zhangfang::startup::Application;

#[derive(Parser)]
#[command(
    name = "zhangfang",
    version,
    about = "账房: WeCom sidebar backend for bookkeeping firms"
)]
struct Cli {
    /// Configuration file laid over the built-in defaults.
    #[arg(long, global = true, env = "ZHANGFANG_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP (the default command), with background jobs unless `[worker] enabled = false`.
    Serve,
    /// Run background jobs only, without HTTP (beside web instances started with
    /// `[worker] enabled = false`).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run the WeCom sandbox on its own (a stand-in WeCom for development).
    Sandbox {
        /// Address to serve the sandbox on.
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: std::net::SocketAddr,
        /// Sandbox description (JSON): {"profile", "seed", "as_of", "token_lifetime_seconds",
        /// "trusted_redirect_hosts"}. Default: the demo firm as of today.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
    },
    /// Firms (one WeCom corp each).
    Firm {
        #[command(subcommand)]
        action: FirmAction,
    },
    /// Employees who can sign in to the back office.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Keys for the REST API (`/api/v1`).
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    /// Sync firms' WeCom (members, external contacts, customer groups, corp tags) into our store
    /// in this process, printing progress; safe beside a running service, and takes over a sync
    /// whose process died. Exits when done.
    Sync {
        /// The firm's corp id (default: every firm with a WeCom app).
        #[arg(long)]
        firm: Option<String>,
        /// contacts, groups, tags, members or all.
        #[arg(long, default_value = "all")]
        what: String,
    },
    /// Import a spreadsheet (XLSX, or CSV in UTF-8 or GBK) of one kind of bookkeeping data into
    /// a firm, all or nothing; prints what was created, updated or refused, row by row, and
    /// exits non-zero when any row is refused (then nothing is saved).
    Import {
        /// The firm's corp id.
        #[arg(long)]
        firm: String,
        /// customers, contacts, contracts, receivables, invoices, collections, filings,
        /// statements, tags, payments or missing_invoices.
        #[arg(long)]
        kind: String,
        /// Only check the file and show what would happen; save nothing.
        #[arg(long)]
        dry_run: bool,
        file: PathBuf,
    },
    /// Write deterministic demo or benchmark data into the configured database.
    Seed {
        /// demo, S, M or L (sizes in docs/benchmarks.md).
        #[arg(long, default_value = "demo")]
        profile: Profile,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 20_261_126)]
        seed: u64,
        /// Data covers the 12 periods before this date (default: today, Beijing time).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum FirmAction {
    /// Create a firm; set up its WeCom app afterwards in the back office.
    Create {
        /// The corp id (企业ID) from the WeCom admin console.
        #[arg(long)]
        corp_id: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create a back-office account (or give an existing employee with that phone a password
    /// and role). The password is the first line of stdin, or generated and printed once.
    Create {
        /// The firm's corp id.
        #[arg(long)]
        firm: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "admin")]
        role: RoleArg,
    },
}

#[derive(Subcommand)]
enum ApiKeyAction {
    /// Create a key; prints it once, as the last line.
    Create {
        /// The firm's corp id.
        #[arg(long)]
        firm: String,
        #[arg(long)]
        name: String,
        /// `all`, or a comma list such as `customers:write,invoices:read`.
        #[arg(long)]
        scopes: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
enum RoleArg {
    SuperAdmin,
    Admin,
    Staff,
}

impl From<RoleArg> for zhangfang::db::entities::employee::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::SuperAdmin => Self::SuperAdmin,
            RoleArg::Admin => Self::Admin,
            RoleArg::Staff => Self::Staff,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zhangfang: {e}");
            return ExitCode::from(2);
        }
    };
    zhangfang::telemetry::init(&settings.log.filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zhangfang: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Worker => zhangfang::worker::standalone::run(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Firm { action } => firm_command(settings, action).await,
            Command::Admin { action } => admin_command(settings, action).await,
            Command::ApiKey { action } => api_key_command(settings, action).await,
            Command::Sandbox { listen, seed } => run_sandbox(listen, seed).await,
            Command::Sync { firm, what } => sync_command(settings, firm, what).await,
            Command::Import {
                firm,
                kind,
                dry_run,
                file,
            } => import_command(settings, firm, kind, file, dry_run).await,
            Command::Seed {
                profile,
                seed,
                as_of,
            } => run_seed(settings, profile, seed, as_of).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("zhangfang: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await.context("serving HTTP")
}

/// A migrated database and a context for a one-shot command.
async fn command_context(
    settings: Settings,
) -> anyhow::Result<(Database, zhangfang::services::Ctx)> {
    let db = Database::connect(&settings.database).await?;
    db.migrate().await.context("migrating")?;
    let ctx = zhangfang::services::Ctx::standalone(
        settings,
        db.clone(),
        std::sync::Arc::new(SystemClock),
    )?;
    Ok((db, ctx))
}

async fn sync_command(
    settings: Settings,
    firm: Option<String>,
    what: String,
) -> anyhow::Result<()> {
    let what = zhangfang::services::wecom_sync::What::parse(&what)
        .ok_or_else(|| anyhow::anyhow!("--what must be contacts, groups, tags, members or all"))?;
    let (db, ctx) = command_context(settings).await?;
    let mut out = std::io::stdout();
    let result = zhangfang::cli::sync(
        &ctx,
        firm.as_deref(),
        what,
        std::time::Duration::from_secs(1),
        &mut out,
    )
    .await;
    db.close().await;
    result
}

async fn import_command(
    settings: Settings,
    firm: String,
    kind: String,
    file: PathBuf,
    dry_run: bool,
) -> anyhow::Result<()> {
    let (db, ctx) = command_context(settings).await?;
    let result = zhangfang::cli::import(
        &ctx,
        &firm,
        &kind,
        &file,
        dry_run,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    )
    .await;
    db.close().await;
    result
}

async fn firm_command(settings: Settings, action: FirmAction) -> anyhow::Result<()> {
    let (db, ctx) = command_context(settings).await?;
    let result = match action {
        FirmAction::Create { corp_id, name } => {
            zhangfang::cli::create_firm(&ctx, &corp_id, &name).await
        }
    };
    db.close().await;
    println!("{}", result?);
    Ok(())
}

async fn admin_command(settings: Settings, action: AdminAction) -> anyhow::Result<()> {
    let (db, ctx) = command_context(settings).await?;
    let result = match action {
        AdminAction::Create {
            firm,
            phone,
            name,
            role,
        } => {
            let stdin = std::io::stdin();
            if std::io::IsTerminal::is_terminal(&stdin) {
                eprint!("password (empty: generate one): ");
            }
            zhangfang::cli::create_admin(&ctx, &firm, &phone, &name, role.into(), stdin.lock())
                .await
        }
    };
    db.close().await;
    println!("{}", result?);
    Ok(())
}

async fn api_key_command(settings: Settings, action: ApiKeyAction) -> anyhow::Result<()> {
    let (db, ctx) = command_context(settings).await?;
    let result = match action {
        ApiKeyAction::Create { firm, name, scopes } => {
            zhangfang::cli::create_api_key(&ctx, &firm, &name, &scopes).await
        }
    };
    db.close().await;
    println!("{}", result?);
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database).await?;
    db.migrate().await.context("migrating")?;
    tracing::info!(database = %settings.database.url, "database is up to date");
    db.close().await;
    Ok(())
}

async fn run_sandbox(listen: std::net::SocketAddr, file: Option<PathBuf>) -> anyhow::Result<()> {
    use zhangfang::sandbox::{SandboxFile, SandboxOptions, run_standalone};
    let (profile, seed_value, as_of, options) = match file {
        Some(path) => {
            let file = SandboxFile::load(&path)?;
            (file.profile, file.seed, file.as_of, file.options(""))
        }
        None => (
            Profile::Demo,
            seed::DEMO_SEED,
            SystemClock.today_local(),
            SandboxOptions::default(),
        ),
    };
    let dataset = seed::wecom_dataset(profile, seed_value, as_of);
    run_standalone(listen, dataset, options)
        .await
        .context("serving the sandbox")
}

async fn run_seed(
    settings: Settings,
    profile: Profile,
    seed_value: u64,
    as_of: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database).await?;
    db.migrate().await.context("migrating")?;
    let secrets = zhangfang::secrets::SecretBox::from_settings(&settings)?;
    let as_of = as_of.unwrap_or_else(|| SystemClock.today_local());
    let report = seed::run(
        &db,
        &secrets,
        SeedOptions {
            profile,
            seed: seed_value,
            as_of,
            progress: true,
        },
    )
    .await?;
    println!("{report}");
    db.close().await;
    Ok(())
}
