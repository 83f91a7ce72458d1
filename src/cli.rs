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
