//! What the demo's sandbox page shows about the demo firm: which WeCom member is bound to which
//! employee, so a newcomer knows the phone number to bind with.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::db::entities::{employee, firm};
use crate::error::{AppError, AppResult};
use crate::services::Ctx;

/// The demo firm's admin phone and password, shown on the home and sign-in pages in demo mode.
pub async fn admin_credentials(ctx: &Ctx) -> AppResult<Option<(String, String)>> {
    if !ctx.demo() {
        return Ok(None);
    }
    let Some(firm) = crate::services::firms::find_by_corp_id(
        ctx.db.read(),
        &crate::seed::demo_corp_id(ctx.settings.demo.profile),
    )
    .await?
    else {
        return Ok(None);
    };
    let admin = firm
        .settings
        .as_ref()
        .filter(|_| firm.is_demo)
        .and_then(|s| s.get("demo_admin"));
    let text = |key: &str| {
        admin
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Ok(text("phone").zip(text("password")))
}

/// An employee of the demo firm as the binding flow sees them.
pub struct DemoEmployee {
    pub name: String,
    pub mobile: Option<String>,
    pub wecom_userid: Option<String>,
    pub active: bool,
}

/// The demo firm with this corp id and its employees; refused outside demo mode and for any firm
/// that is not a demo firm.
pub async fn employees(ctx: &Ctx, corp_id: &str) -> AppResult<(firm::Model, Vec<DemoEmployee>)> {
    let not_found = || AppError::NotFound("演示企业不存在".into());
    if !ctx.demo() {
        return Err(not_found());
    }
    let firm = crate::services::firms::find_by_corp_id(ctx.db.read(), corp_id)
        .await?
        .filter(|f| f.is_demo)
        .ok_or_else(not_found)?;
    let rows = employee::Entity::find()
        .filter(employee::Column::FirmId.eq(firm.id))
        .filter(employee::Column::DeletedAt.is_null())
        .all(ctx.db.read())
        .await?;
    let employees = rows
        .into_iter()
        .map(|e| DemoEmployee {
            name: e.name,
            mobile: e.mobile,
            wecom_userid: e.wecom_userid,
            active: e.status == employee::Status::Active,
        })
        .collect();
    Ok((firm, employees))
}
