//! Commands that set a deployment up from a terminal: firms, back-office accounts, API keys.

use std::io::BufRead;

use crate::db::entities::employee::Role;
use crate::services::audit::Who;
use crate::services::employees::{self, NewBackOfficeAccount};
use crate::services::{Ctx, firms, passwords};

/// `zhangfang firm create`: a firm (one WeCom corp) with no app yet.
pub async fn create_firm(ctx: &Ctx, corp_id: &str, name: &str) -> anyhow::Result<String> {
    if firms::find_by_corp_id(ctx.db.read(), corp_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_some()
    {
        anyhow::bail!("a firm with corp id {corp_id} already exists");
    }
    let firm = firms::create_firm(ctx.db.write(), corp_id, name, false, ctx.now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!(
        "created firm {} ({}), id {}\n\
         next: zhangfang admin create --firm {} --phone … --name …, then sign in at {}/admin/login \
         and set up its WeCom app",
        firm.name,
        firm.corp_id,
        firm.id,
        firm.corp_id,
        ctx.settings.public_base()
    ))
}

/// `zhangfang admin create`: an employee who can sign in to the back office. The password is the
/// first line of `stdin`, or generated and printed once when that is empty.
pub async fn create_admin(
    ctx: &Ctx,
    corp_id: &str,
    phone: &str,
    name: &str,
    role: Role,
    stdin: impl BufRead,
) -> anyhow::Result<String> {
    let firm = firms::find_by_corp_id(ctx.db.read(), corp_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("no firm has corp id {corp_id}"))?;
    let given = stdin
        .lines()
        .next()
        .transpose()?
        .map(|line| line.trim_end_matches(['\r', '\n']).to_string())
        .filter(|line| !line.is_empty());
    let (password, generated) = match given {
        Some(p) => (p, false),
        None => (passwords::generate(), true),
    };
    let (employee, created) = employees::set_up_back_office_account(
        ctx,
        &Who::system(firm.id, "cli"),
        NewBackOfficeAccount {
            firm_id: firm.id,
            phone,
            name,
            role,
            password: &password,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = format!(
        "{} {} ({}) of {} can sign in at {}/admin/login with phone {}",
        if created { "created" } else { "updated" },
        employee.name,
        role_code(role),
        firm.name,
        ctx.settings.public_base(),
        employee.mobile.as_deref().unwrap_or_default()
    );
    if generated {
        out.push_str(&format!("\npassword (shown once): {password}"));
    }
    Ok(out)
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::SuperAdmin => "super_admin",
        Role::Admin => "admin",
        Role::Staff => "staff",
    }
}

/// `zhangfang api-key create`: a key for the firm's REST API; its text is the last line.
pub async fn create_api_key(
    ctx: &Ctx,
    corp_id: &str,
    name: &str,
    scopes: &str,
) -> anyhow::Result<String> {
    let firm = firms::find_by_corp_id(ctx.db.read(), corp_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("no firm with corp id {corp_id}"))?;
    let created =
        crate::services::api_keys::create(ctx, &Who::system(firm.id, "cli"), name, scopes)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(format!(
        "created API key {} ({}…) for {}; it is shown only now:\n{}",
        created.id, created.prefix, firm.name, created.key
    ))
}

/// `zhangfang sync`: queues a full WeCom sync for one firm (or every firm with a WeCom app) and
/// runs background jobs in this process until those syncs have finished, printing progress to
/// `out` every `every`. A sync already queued or running (in a service, or in a process that
/// died — its lease lapses and this process takes the job over) is watched instead of doubled.
/// Fails when a sync failed for good.
pub async fn sync(
    ctx: &Ctx,
    corp_id: Option<&str>,
    what: crate::services::wecom_sync::What,
    every: std::time::Duration,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<()> {
    use crate::db::entities::{background_job, firm, wecom_app};
    use crate::services::wecom_sync;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let firms: Vec<firm::Model> = match corp_id {
        Some(corp) => vec![
            firms::find_by_corp_id(ctx.db.read(), corp)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .ok_or_else(|| anyhow::anyhow!("no firm has corp id {corp}"))?,
        ],
        None => {
            let with_apps: std::collections::BTreeSet<i64> = wecom_app::Entity::find()
                .all(ctx.db.read())
                .await?
                .into_iter()
                .map(|a| a.firm_id)
                .collect();
            firm::Entity::find()
                .filter(firm::Column::Id.is_in(with_apps))
                .all(ctx.db.read())
                .await?
        }
    };
    if firms.is_empty() {
        anyhow::bail!("no firm with a WeCom app to sync");
    }
    for f in &firms {
        match wecom_sync::start(ctx, f.id, what, None).await? {
            Some(_) => writeln!(out, "{} ({}): sync queued", f.name, f.corp_id)?,
            None => writeln!(
                out,
                "{} ({}): a sync is already queued or running; following it",
                f.name, f.corp_id
            )?,
        }
    }
    let worker = crate::worker::standard(ctx.clone()).build().spawn();
    let ids: Vec<i64> = firms.iter().map(|f| f.id).collect();
    let mut last = String::new();
    let result = loop {
        let mut report = String::new();
        for f in &firms {
            for p in wecom_sync::progress(ctx, f.id).await? {
                report.push_str(&format!("{}: {}\n", f.corp_id, p.line()));
            }
        }
        if report != last {
            write!(out, "{report}")?;
            out.flush()?;
            last = report;
        }
        let live = background_job::Entity::find()
            .filter(background_job::Column::Kind.eq(wecom_sync::JOB_KIND))
            .filter(background_job::Column::FirmId.is_in(ids.clone()))
            .filter(background_job::Column::Status.is_in([
                background_job::Status::Queued,
                background_job::Status::Running,
            ]))
            .all(ctx.db.read())
            .await?;
        if live.is_empty() {
            let mut failed = Vec::new();
            for f in &firms {
                if let Some((status, error)) = wecom_sync::live_job(ctx, f.id).await?
                    && status == "failed"
                {
                    failed.push(format!(
                        "{}: {}",
                        f.corp_id,
                        error.unwrap_or_else(|| "failed".into())
                    ));
                }
            }
            break if failed.is_empty() {
                Ok(())
            } else {
                Err(anyhow::anyhow!("sync failed: {}", failed.join("; ")))
            };
        }
        tokio::time::sleep(every).await;
    };
    worker.shutdown().await;
    if result.is_ok() {
        writeln!(out, "sync finished")?;
    }
    result
}

/// `zhangfang import`: a spreadsheet of one kind into a firm, in one transaction; with
/// `dry_run`, only what would happen. Prints progress to `progress_out` for large files and the
/// report to `out`; fails when any row is refused (then nothing is saved).
pub async fn import(
    ctx: &Ctx,
    corp_id: &str,
    kind: &str,
    file: &std::path::Path,
    dry_run: bool,
    out: &mut (dyn std::io::Write + Send),
    progress_out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<()> {
    use crate::services::data_import::{self, Kind, Progress};
    let kind = Kind::parse(kind).ok_or_else(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.code()).collect();
        anyhow::anyhow!("--kind must be one of {}", kinds.join(", "))
    })?;
    let firm = firms::find_by_corp_id(ctx.db.read(), corp_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("no firm has corp id {corp_id}"))?;
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let progress = Progress::default();
    let who = Who::system(firm.id, "import");
    let run = data_import::import_file(ctx, &who, kind, bytes, dry_run, &progress);
    tokio::pin!(run);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    tick.tick().await;
    let report = loop {
        tokio::select! {
            result = &mut run => break result.map_err(|e| anyhow::anyhow!("{}", e.public_message()))?,
            _ = tick.tick() => {
                writeln!(progress_out, "{}/{} ({}%)", progress.done(), progress.total(), progress.percent())?;
            }
        }
    };
    writeln!(out, "{} ({})", firm.name, firm.corp_id)?;
    writeln!(
        out,
        "{}{}",
        if dry_run {
            "试导入（未保存）"
        } else {
            "导入"
        },
        report.summary()
    )?;
    for (label, rows) in [
        ("新建", &report.created_rows),
        ("更新", &report.updated_rows),
        ("无变化", &report.unchanged_rows),
        ("拒绝", &report.refused_rows),
    ] {
        if !rows.is_empty() {
            writeln!(out, "{label}：第 {} 行", rows.label())?;
        }
    }
    for line in report.lines.iter().filter(|l| !l.message.is_empty()) {
        writeln!(
            out,
            "{} {}{}：{}",
            line.rows_label(),
            line.action.label(),
            if line.external_id.is_empty() {
                String::new()
            } else {
                format!(" {}", line.external_id)
            },
            line.message
        )?;
    }
    if report.refused
        > report
            .lines
            .iter()
            .filter(|l| !l.message.is_empty())
            .count()
    {
        writeln!(out, "（另有拒绝的行未列出）")?;
    }
    if report.refused > 0 {
        writeln!(
            out,
            "文件中有 {} 条记录被拒绝，未保存任何内容",
            report.refused
        )?;
        anyhow::bail!("{} rows refused; nothing was saved", report.refused);
    }
    writeln!(
        out,
        "{}",
        if report.saved {
            "已保存"
        } else {
            "试导入：没有错误，未保存"
        }
    )?;
    Ok(())
}
