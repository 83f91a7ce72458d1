//! Composing what the sidebar sends into a chat, and the send log.
//!
//! `compose` fills the firm's template for a scene from the customer's data; the page lets the
//! person edit it and puts it into the chat with `sendChatMessage`; `record` then logs who sent
//! what to which chat for which customer. Before the same scene is sent again, the composer says
//! who already did and when ("张三 2 天前已在群内发送到期提醒").

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::db::entities::{
    contact, customer, employee, invoice_collection, kb_article_use, message_log, payment, receipt,
    service_contract, tax_filing,
};
use crate::domain::billing::arrears_as_of;
use crate::domain::clock::to_local;
use crate::domain::message_templates::{
    COMMON, EXPIRED_BODY, INVOICING_GENERAL_BODY, Scene, placeholders_in, render,
};
use crate::domain::money::Money;
use crate::domain::period::Period;
use crate::domain::permissions::Permission;
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Object, Who};
use crate::services::sessions::CurrentEmployee;
use crate::services::sidebar::{self, ChatRef};
use crate::services::{Ctx, access, knowledge, message_templates, service_status};

/// The section permission a scene's sends need.
pub fn permission(scene: Scene) -> Permission {
    match scene {
        Scene::Expiry | Scene::MissingInvoices => Permission::Service,
        Scene::Dunning | Scene::Receipt => Permission::Billing,
        Scene::Collection => Permission::Collection,
        Scene::FilingDone => Permission::Filing,
        Scene::Invoicing => Permission::Invoice,
        Scene::Report => Permission::Report,
        Scene::Kb => Permission::KbView,
    }
}

fn parse_scene(code: &str) -> AppResult<Scene> {
    Scene::parse(code).ok_or_else(|| AppError::NotFound("没有这种发送场景".into()))
}

/// The last send of a scene to a customer, as the composer shows it.
#[derive(Clone, Debug)]
pub struct AlreadySent {
    pub by: String,
    pub at: DateTime<Utc>,
    pub in_group: bool,
    pub text: String,
}

/// "2 天前" style: how long ago, in Chinese.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let d = now - at;
    if d < Duration::minutes(1) {
        "刚刚".into()
    } else if d < Duration::hours(1) {
        format!("{} 分钟前", d.num_minutes())
    } else if d < Duration::days(1) {
        format!("{} 小时前", d.num_hours())
    } else {
        format!("{} 天前", d.num_days())
    }
}

/// Who last sent this scene to the customer, and when.
pub async fn already_sent(
    ctx: &Ctx,
    firm_id: i64,
    customer_id: i64,
    scene: Scene,
) -> AppResult<Option<AlreadySent>> {
    let Some(last) = message_log::Entity::find()
        .filter(message_log::Column::FirmId.eq(firm_id))
        .filter(message_log::Column::CustomerId.eq(customer_id))
        .filter(message_log::Column::Scene.eq(scene.code()))
        .order_by_desc(message_log::Column::SentAt)
        .order_by_desc(message_log::Column::Id)
        .one(ctx.db.read())
        .await?
    else {
        return Ok(None);
    };
    let by = match last.employee_id {
        Some(id) => employee::Entity::find_by_id(id)
            .filter(employee::Column::FirmId.eq(firm_id))
            .one(ctx.db.read())
            .await?
            .map_or_else(|| "同事".to_string(), |e| e.name),
        None => "系统".into(),
    };
    let in_group = last.target_type == message_log::TargetType::GroupChat;
    let text = format!(
        "{by} {}已在{}发送{}",
        ago(ctx.now(), last.sent_at),
        if in_group { "群内" } else { "单聊中" },
        scene.label()
    );
    Ok(Some(AlreadySent {
        by,
        at: last.sent_at,
        in_group,
        text,
    }))
}

/// The composed text for a scene.
#[derive(Clone, Debug)]
pub struct Composed {
    pub scene: Scene,
    pub customer: customer::Model,
    pub text: String,
    pub already: Option<AlreadySent>,
    pub article_id: Option<i64>,
}

/// Extra inputs of a compose request.
#[derive(Clone, Debug, Default)]
pub struct ComposeInput {
    pub article_id: Option<i64>,
    /// The tax period (`period_to`) a filing notice is about; the latest filed one when `None`.
    pub period: Option<Period>,
}

fn cycle_label(c: service_contract::BillingCycle) -> (&'static str, i64) {
    match c {
        service_contract::BillingCycle::Month => ("月", 1),
        service_contract::BillingCycle::Quarter => ("季", 3),
        service_contract::BillingCycle::HalfYear => ("半年", 6),
        service_contract::BillingCycle::Year => ("年", 12),
    }
}

/// Why a scene cannot be composed for a customer without its data.
fn no_data(scene: Scene) -> &'static str {
    match scene {
        Scene::Expiry => "该客户没有记账服务合同，无法生成到期提醒",
        Scene::MissingInvoices => "该客户没有待补的缺票",
        Scene::Dunning => "该客户没有到期未收的款项",
        Scene::Receipt => "该客户还没有收款记录",
        Scene::Collection => "该客户还没有收票记录",
        Scene::FilingDone => "该客户还没有已申报的税种",
        Scene::Invoicing => "本期无法估算增值税",
        Scene::Report => "该客户还没有利润表",
        Scene::Kb => "请选择要发送的知识",
    }
}

fn money_values(values: &mut HashMap<&'static str, String>, amount: Money) {
    values.insert("amount", amount.to_string());
    if let Ok(cn) = amount.to_chinese_upper() {
        values.insert("amount_cn", cn);
    }
}

/// Composes the scene's message for a customer `who` may see and send to.
pub async fn compose(
    ctx: &Ctx,
    who: &CurrentEmployee,
    customer_id: i64,
    scene_code: &str,
    input: ComposeInput,
) -> AppResult<Composed> {
    let scene = parse_scene(scene_code)?;
    who.require(permission(scene))?;
    let customer = access::customer(ctx, who, customer_id).await?;
    let today = ctx.clock.today_local();
    let mut values: HashMap<&'static str, String> = HashMap::new();
    values.insert("customer_name", customer.name.clone());
    values.insert("firm_name", who.firm_name.clone());
    values.insert("staff_name", who.name.clone());
    values.insert("period", Period::of_date(today).to_string());
    let primary = contact::Entity::find()
        .filter(contact::Column::FirmId.eq(who.firm_id))
        .filter(contact::Column::CustomerId.eq(customer.id))
        .filter(contact::Column::DeletedAt.is_null())
        .order_by_desc(contact::Column::IsPrimary)
        .order_by_asc(contact::Column::Id)
        .one(ctx.db.read())
        .await?;
    values.insert("contact_name", primary.map_or_else(String::new, |c| c.name));
    if let Some(me) = employee::Entity::find_by_id(who.employee_id)
        .filter(employee::Column::FirmId.eq(who.firm_id))
        .one(ctx.db.read())
        .await?
        && let Some(m) = me.mobile
    {
        values.insert("staff_phone", m);
    }
    let mut body = message_templates::for_scene(ctx, who.firm_id, scene).await?;
    let mut article_id = None;
    match scene {
        Scene::Expiry => {
            if let Some(c) = sidebar::bookkeeping_contract(ctx, who.firm_id, customer.id).await? {
                let end = sidebar::contract_end(&c);
                let (cycle, months) = cycle_label(c.billing_cycle);
                values.insert("billing_cycle", cycle.into());
                money_values(&mut values, Money::from_fen(c.fee_per_month_fen * months));
                if let Ok(p) = Period::parse(&c.end_period) {
                    values.insert("next_period", p.next().to_string());
                    if let Some(end) = end
                        && end < today
                    {
                        let last = Period::of_date(today);
                        values.insert(
                            "overdue_periods",
                            if p.next() == last {
                                last.to_string()
                            } else {
                                format!("{}至{}", p.next(), last)
                            },
                        );
                        if !body.custom {
                            body.body = EXPIRED_BODY.to_string();
                        }
                    }
                }
                if let Some(end) = end {
                    values.insert("service_end", end.to_string());
                    values.insert("renew_deadline", end.to_string());
                    values.insert(
                        "days_left",
                        std::cmp::max((end - today).num_days(), 0).to_string(),
                    );
                }
            }
        }
        Scene::MissingInvoices => {
            let missing = service_status::missing(ctx, who.firm_id, customer.id).await?;
            if missing.is_empty() {
                return Err(AppError::Validation(no_data(scene).into()));
            }
            if let Some(first) = missing.first() {
                values.insert("period", first.period.clone());
            }
            let lines: Vec<String> = missing
                .iter()
                .map(|m| match m.expected {
                    Some(e) => format!("{} {} 约¥{}", m.period, m.doc_type, e),
                    None => format!("{} {}", m.period, m.doc_type),
                })
                .collect();
            values.insert("count", missing.len().to_string());
            values.insert("missing_items", lines.join("\n"));
            values.insert("due_date", (today + Duration::days(5)).to_string());
        }
        Scene::Dunning => {
            let owed = sidebar::owed(ctx, who.firm_id, customer.id).await?;
            let due: Vec<_> = owed
                .iter()
                .filter(|(o, _)| o.due_date <= today && o.open().is_positive())
                .collect();
            let only: Vec<_> = due.iter().map(|(o, _)| *o).collect();
            money_values(&mut values, arrears_as_of(&only, today));
            if let Some(from) = only.iter().map(|o| o.period_from).min() {
                values.insert("period_from", from.to_string());
            }
            if let Some(to) = only.iter().map(|o| o.period_to).max() {
                values.insert("period_to", to.to_string());
            }
            values.insert(
                "fee_item",
                due.first()
                    .map_or_else(|| "代理记账服务费".to_string(), |(_, f)| f.clone()),
            );
            values.insert("due_date", (today + Duration::days(7)).to_string());
            values.insert("pay_account", format!("{}对公账户", who.firm_name));
        }
        Scene::Receipt => {
            who.require(Permission::Billing)?;
            if let Some(p) = payment::Entity::find()
                .filter(payment::Column::FirmId.eq(who.firm_id))
                .filter(payment::Column::CustomerId.eq(customer.id))
                .filter(payment::Column::DeletedAt.is_null())
                .filter(payment::Column::ReversedAt.is_null())
                .order_by_desc(payment::Column::PaidAt)
                .order_by_desc(payment::Column::Id)
                .one(ctx.db.read())
                .await?
            {
                money_values(&mut values, Money::from_fen(p.amount_fen));
                values.insert(
                    "pay_method",
                    crate::services::payments::method_label(p.method).into(),
                );
                values.insert(
                    "paid_at",
                    to_local(p.paid_at).format("%Y-%m-%d").to_string(),
                );
                // The receipt says what the payment settled; a payment recorded in the
                // bookkeeping system (pushed through the API) has none here.
                let r = receipt::Entity::find()
                    .filter(receipt::Column::FirmId.eq(who.firm_id))
                    .filter(receipt::Column::PaymentId.eq(p.id))
                    .filter(receipt::Column::Status.eq(receipt::Status::Valid))
                    .one(ctx.db.read())
                    .await?
                    .ok_or_else(|| {
                        AppError::Validation(
                            "最近一笔收款是记账系统登记的，账房没有它的收据".into(),
                        )
                    })?;
                {
                    values.insert("fee_item", r.item.clone());
                    values.insert("receipt_no", r.receipt_no.clone());
                    if let (Some(from), Some(to)) = (&r.period_from, &r.period_to) {
                        values.insert("period_from", from.clone());
                        values.insert("period_to", to.clone());
                    }
                }
            }
        }
        Scene::FilingDone => {
            let filed = tax_filing::Entity::find()
                .filter(tax_filing::Column::FirmId.eq(who.firm_id))
                .filter(tax_filing::Column::CustomerId.eq(customer.id))
                .filter(
                    tax_filing::Column::Status
                        .is_in([tax_filing::Status::Filed, tax_filing::Status::Paid]),
                )
                .order_by_desc(tax_filing::Column::PeriodTo)
                .all(ctx.db.read())
                .await?;
            // The period the 报税 section shows, or else the latest one filed.
            let chosen = match input.period {
                Some(p) => filed.iter().find(|f| f.period_to == p.to_string()),
                None => filed.first(),
            };
            if let Some(chosen) = chosen {
                let period = chosen.period_to.clone();
                let rows: Vec<_> = filed.iter().filter(|f| f.period_to == period).collect();
                let total: Money = rows.iter().map(|f| Money::from_fen(f.payable_fen)).sum();
                let shown = Period::parse(&period).map_or(period.clone(), Period::to_chinese);
                values.insert("period", shown);
                if let Some(at) = rows.iter().filter_map(|f| f.filed_at).max() {
                    values.insert("filed_at", to_local(at).format("%Y-%m-%d").to_string());
                }
                // The statements are filed with the returns but are no tax to report.
                let lines: Vec<String> = rows
                    .iter()
                    .filter(|f| f.tax_type != tax_filing::TaxType::FinReport)
                    .map(|f| {
                        format!(
                            "{}：¥{}",
                            tax_name(f.tax_type),
                            Money::from_fen(f.payable_fen)
                        )
                    })
                    .collect();
                values.insert("tax_lines", lines.join("\n"));
                values.insert("total_tax", total.to_string());
                values.insert(
                    "pay_line",
                    if total.is_positive() {
                        "税款将从三方协议账户扣缴，请保证余额充足。".into()
                    } else {
                        "本期无需缴纳税款。".into()
                    },
                );
            }
        }
        Scene::Kb => {
            let id = input
                .article_id
                .ok_or_else(|| AppError::BadRequest("请选择要发送的知识".into()))?;
            let article = knowledge::article(ctx, who, id).await?;
            article_id = Some(article.id);
            // The article's own placeholders are filled from the customer too.
            let filled = render(&article.content, &values);
            values.insert("article_title", article.title);
            values.insert("article_content", filled);
        }
        Scene::Collection => {
            let latest = invoice_collection::Entity::find()
                .filter(invoice_collection::Column::FirmId.eq(who.firm_id))
                .filter(invoice_collection::Column::CustomerId.eq(customer.id))
                .filter(invoice_collection::Column::DeletedAt.is_null())
                .order_by_desc(invoice_collection::Column::ReceivedAt)
                .order_by_desc(invoice_collection::Column::Id)
                .one(ctx.db.read())
                .await?
                .ok_or_else(|| AppError::Validation("该客户还没有收票记录".into()))?;
            let detail = crate::services::collection::detail(ctx, who, latest.id).await?;
            let lines: Vec<String> = detail
                .lines
                .iter()
                .map(|l| {
                    if l.amount.is_empty() {
                        format!("{} {}张", l.kind, l.count)
                    } else {
                        format!("{} {}张 {}", l.kind, l.count, l.amount)
                    }
                })
                .collect();
            values.insert("period", detail.period);
            values.insert("lines", lines.join("\n"));
            values.insert("count", detail.total_count.to_string());
            money_values(&mut values, Money::from_fen(latest.total_fen));
            values.insert("received_at", detail.received_at);
            values.insert("status_line", detail.status_line);
        }
        Scene::Invoicing => {
            let period = Period::of_date(today);
            let view = crate::services::invoices::view(ctx, who, customer.id, period).await?;
            values.insert("as_of", to_local(ctx.now()).format("%m月%d日").to_string());
            match view.estimate {
                crate::services::invoices::Estimate::General(e) => {
                    values.insert("period_unit", "月".into());
                    values.insert("output_tax", e.output_tax.to_string());
                    values.insert("input_tax", e.input_tax.to_string());
                    values.insert("prior_credit", e.prior_credit.to_string());
                    values.insert("vat_est", e.payable.to_string());
                    if !body.custom {
                        body.body = INVOICING_GENERAL_BODY.to_string();
                    }
                }
                crate::services::invoices::Estimate::SmallScale(e) => {
                    let quarterly = customer.vat_period == customer::VatPeriod::Quarter;
                    values.insert("period_unit", if quarterly { "季度" } else { "月" }.into());
                    values.insert("sales", e.sales_total.to_string());
                    values.insert("threshold", e.threshold.to_string());
                    values.insert("gap", e.gap_to_threshold.to_string());
                    values.insert("vat_est", e.payable.to_string());
                    values.insert(
                        "threshold_line",
                        if e.exempt {
                            format!("尚差¥{}", e.gap_to_threshold)
                        } else {
                            "已达到起征点，全部销售额按征收率计税".to_string()
                        },
                    );
                }
                crate::services::invoices::Estimate::Unavailable(reason) => {
                    return Err(AppError::Validation(format!("本期无法估算：{reason}")));
                }
            }
        }
        Scene::Report => {
            let view = crate::services::reports::view(ctx, who, customer.id, None).await?;
            if !view.imbalances.is_empty() {
                return Err(AppError::Validation(
                    "报表数据不平衡，请先核对再发送".into(),
                ));
            }
            let income = view
                .statements
                .income
                .as_ref()
                .ok_or_else(|| AppError::Validation("该客户还没有利润表".into()))?;
            let v = |n: u32| Money::from_fen(income.row(n).map_or(0, |l| l.col1)).to_string();
            values.insert(
                "period",
                Period::parse(&view.period)
                    .map(|p| p.to_chinese())
                    .unwrap_or(view.period.clone()),
            );
            values.insert("revenue", v(1));
            values.insert("profit_total", v(30));
            values.insert("net_profit", v(32));
        }
    }
    // A scene whose data the customer lacks (no contract, nothing due, nothing filed) is refused
    // with the reason, never composed with holes in it.
    if scene != Scene::Kb {
        let known: Vec<&str> = COMMON
            .iter()
            .chain(scene.placeholders().iter())
            .copied()
            .collect();
        let unfilled = placeholders_in(&body.body)
            .into_iter()
            .any(|p| known.contains(&p.as_str()) && !values.contains_key(p.as_str()));
        if unfilled {
            return Err(AppError::Validation(no_data(scene).into()));
        }
    }
    let text = render(&body.body, &values);
    Ok(Composed {
        already: already_sent(ctx, who.firm_id, customer.id, scene).await?,
        scene,
        customer,
        text,
        article_id,
    })
}

fn tax_name(t: tax_filing::TaxType) -> &'static str {
    match t {
        tax_filing::TaxType::VatSurcharge => "增值税及附加税费",
        tax_filing::TaxType::CitPrepay => "企业所得税(预缴)",
        tax_filing::TaxType::IitWithhold => "个人所得税(代扣)",
        tax_filing::TaxType::Stamp => "印花税",
        tax_filing::TaxType::FinReport => "财务报表",
        tax_filing::TaxType::CitAnnual => "企业所得税年报",
        tax_filing::TaxType::Other => "其他",
    }
}

/// A send to record, after `sendChatMessage` succeeded.
#[derive(Clone, Debug)]
pub struct NewSend {
    pub customer_id: i64,
    pub chat: ChatRef,
    pub scene: String,
    pub msgtype: String,
    pub content: String,
    pub article_id: Option<i64>,
}

/// Logs a send (and counts an article's use); returns the notice the composer now shows.
pub async fn record(
    ctx: &Ctx,
    me: &CurrentEmployee,
    who: &Who,
    input: NewSend,
) -> AppResult<AlreadySent> {
    let scene = parse_scene(&input.scene)?;
    me.require(permission(scene))?;
    let customer = access::customer(ctx, me, input.customer_id).await?;
    sidebar::find_chat(ctx, me.firm_id, &input.chat).await?;
    let msg_type = match input.msgtype.as_str() {
        "text" | "" => message_log::MsgType::Text,
        "image" => message_log::MsgType::Image,
        "file" => message_log::MsgType::File,
        "news" => message_log::MsgType::News,
        _ => return Err(AppError::Validation("消息类型不正确".into())),
    };
    let content = input.content.trim().to_string();
    if content.is_empty() || content.chars().count() > 4000 {
        return Err(AppError::Validation(
            "发送内容不能为空，且不超过4000字".into(),
        ));
    }
    if let Some(id) = input.article_id {
        knowledge::article(ctx, me, id).await?;
    }
    let now = ctx.now();
    let txn = ctx.db.begin_write().await?;
    let row = message_log::ActiveModel {
        firm_id: Set(me.firm_id),
        employee_id: Set(Some(me.employee_id)),
        customer_id: Set(Some(customer.id)),
        scene: Set(scene.code().to_string()),
        target_type: Set(if input.chat.is_group() {
            message_log::TargetType::GroupChat
        } else {
            message_log::TargetType::ExternalUser
        }),
        target_id: Set(input.chat.key().to_string()),
        msg_type: Set(msg_type),
        content: Set(content),
        attachment_id: Set(None),
        client_result: Set(Some("ok".into())),
        sent_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(article_id) = input.article_id {
        kb_article_use::Entity::insert(kb_article_use::ActiveModel {
            firm_id: Set(me.firm_id),
            article_id: Set(article_id),
            uses: Set(1),
            last_used_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                kb_article_use::Column::FirmId,
                kb_article_use::Column::ArticleId,
            ])
            .value(
                kb_article_use::Column::Uses,
                Expr::col((kb_article_use::Entity, kb_article_use::Column::Uses)).add(1),
            )
            .update_column(kb_article_use::Column::LastUsedAt)
            .to_owned(),
        )
        .exec(&txn)
        .await?;
    }
    audit::record_in(
        &txn,
        now,
        who,
        "message.send",
        Object::new("message_log", row.id),
        None,
        Some(json!({
            "customer_id": customer.id,
            "scene": scene.code(),
            "chat_type": input.chat.type_code(),
            "chat": input.chat.key(),
            "article_id": input.article_id,
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(AlreadySent {
        by: me.name.clone(),
        at: now,
        in_group: input.chat.is_group(),
        text: format!(
            "已发送。{} 刚刚已在{}发送{}",
            me.name,
            if input.chat.is_group() {
                "群内"
            } else {
                "单聊中"
            },
            scene.label()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ago_reads_in_minutes_hours_and_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(ago(now, now), "刚刚");
        assert_eq!(ago(now, now - Duration::minutes(5)), "5 分钟前");
        assert_eq!(ago(now, now - Duration::hours(3)), "3 小时前");
        assert_eq!(ago(now, now - Duration::days(2)), "2 天前");
    }
}
