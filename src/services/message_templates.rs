//! The firm's message templates: one per scene (the firm's own, else our default wording), and
//! the back office's edits, which refuse placeholders the scene does not know.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::entities::message_template;
use crate::domain::message_templates::{Scene, unknown_placeholders};
use crate::error::{AppError, AppResult};
use crate::services::Ctx;
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;

/// The name a firm's own template of a scene is stored under.
pub const FIRM_TEMPLATE_NAME: &str = "默认";

/// A scene's template as used now.
#[derive(Clone, Debug)]
pub struct Template {
    pub scene: Scene,
    pub body: String,
    /// The firm wrote it (otherwise it is our default).
    pub custom: bool,
}

/// The firm's template for a scene: its default one, else any of its own, else ours.
pub async fn for_scene(ctx: &Ctx, firm_id: i64, scene: Scene) -> AppResult<Template> {
    let own = message_template::Entity::find()
        .filter(message_template::Column::FirmId.eq(firm_id))
        .filter(message_template::Column::Scene.eq(scene.code()))
        .filter(message_template::Column::DeletedAt.is_null())
        .order_by_desc(message_template::Column::IsDefault)
        .order_by_asc(message_template::Column::Id)
        .one(ctx.db.read())
        .await?;
    Ok(match own {
        Some(t) => Template {
            scene,
            body: t.body,
            custom: true,
        },
        None => Template {
            scene,
            body: scene.default_body().to_string(),
            custom: false,
        },
    })
}

/// Every scene's template, in scene order (the back office's list).
pub async fn all(ctx: &Ctx, who: &CurrentEmployee) -> AppResult<Vec<Template>> {
    who.require_admin()?;
    let mut out = Vec::with_capacity(Scene::ALL.len());
    for scene in Scene::ALL {
        out.push(for_scene(ctx, who.firm_id, scene).await?);
    }
    Ok(out)
}

/// Checks a body for a scene: not empty, not too long, only known placeholders.
pub fn check(scene: Scene, body: &str) -> AppResult<()> {
    if body.trim().is_empty() || body.chars().count() > 2000 {
        return Err(AppError::Validation(
            "模板内容不能为空，且不超过2000字".into(),
        ));
    }
    let unknown = unknown_placeholders(scene, body);
    if !unknown.is_empty() {
        let list: Vec<String> = unknown.iter().map(|u| format!("{{{u}}}")).collect();
        return Err(AppError::Validation(format!(
            "模板中有本场景不认识的占位符：{}",
            list.join("、")
        )));
    }
    Ok(())
}

/// Saves the firm's template for a scene (admins only); `None` goes back to our default.
pub async fn save(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    scene: Scene,
    body: Option<&str>,
) -> AppResult<()> {
    me.require_admin()?;
    if let Some(body) = body {
        check(scene, body)?;
    }
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let existing = message_template::Entity::find()
        .filter(message_template::Column::FirmId.eq(me.firm_id))
        .filter(message_template::Column::Scene.eq(scene.code()))
        .filter(message_template::Column::DeletedAt.is_null())
        .all(&txn)
        .await?;
    let before = existing.iter().find(|t| t.is_default).or(existing.first());
    let before_body = before.map(|t| t.body.clone());
    let id = match (before, body) {
        (Some(t), Some(body)) => {
            let mut row: message_template::ActiveModel = t.clone().into();
            row.body = Set(body.to_string());
            row.is_default = Set(true);
            row.updated_at = Set(now);
            row.update(&txn).await?.id
        }
        (None, Some(body)) => {
            message_template::ActiveModel {
                firm_id: Set(me.firm_id),
                scene: Set(scene.code().to_string()),
                name: Set(FIRM_TEMPLATE_NAME.to_string()),
                body: Set(body.to_string()),
                is_default: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                deleted_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
        (Some(_), None) => {
            for t in &existing {
                let mut row: message_template::ActiveModel = t.clone().into();
                row.deleted_at = Set(Some(now));
                row.updated_at = Set(now);
                row.update(&txn).await?;
            }
            existing.first().map_or(0, |t| t.id)
        }
        (None, None) => {
            txn.commit().await?;
            return Ok(());
        }
    };
    audit::record_in(
        &txn,
        now,
        who,
        "message_template.save",
        Object::new("message_template", id),
        Some(json!({ "scene": scene.code(), "body": before_body })),
        Some(json!({ "scene": scene.code(), "body": body })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Example values for the back office's live preview.
fn sample(name: &str) -> Option<&'static str> {
    Some(match name {
        "customer_name" => "上海示例贸易有限公司",
        "contact_name" => "王总",
        "period" => "2026-11",
        "firm_name" => "账房财税",
        "staff_name" => "张三",
        "staff_phone" => "13800000000",
        "amount" => "1,500.00",
        "amount_cn" => "壹仟伍佰元整",
        "service_end" => "2026-12-31",
        "days_left" => "35",
        "next_period" => "2027-01",
        "renew_deadline" => "2026-12-31",
        "billing_cycle" => "季",
        "overdue_periods" => "2027-01至2027-02",
        "missing_items" => "2026-10 进项发票 约¥3,000.00\n2026-10 银行回单",
        "due_date" => "2026-12-05",
        "count" => "2",
        "period_from" => "2026-07",
        "period_to" => "2026-12",
        "fee_item" => "代理记账服务费",
        "pay_account" => "账房财税对公账户",
        "pay_method" => "转账",
        "paid_at" => "2026-11-20",
        "receipt_no" => "SJ-2026-000123",
        "article_title" => "小规模纳税人增值税起征点",
        "article_content" => "季度销售额不超过30万元免征增值税。",
        _ => return None,
    })
}

/// The body rendered with example values, or the reason it cannot be saved.
pub fn preview(scene: Scene, body: &str) -> AppResult<String> {
    check(scene, body)?;
    let names = crate::domain::message_templates::placeholders_in(body);
    let values: std::collections::HashMap<&str, String> = names
        .iter()
        .filter_map(|p| sample(p).map(|v| (p.as_str(), v.to_string())))
        .collect();
    Ok(crate::domain::message_templates::render(body, &values))
}
