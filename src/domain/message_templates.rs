//! Message templates: the scenes the sidebar sends from, their default wording
//! (bookkeeping.md §4), the placeholders each scene knows, and rendering.
//!
//! A placeholder is `{name}` with a lowercase ASCII name. Rendering replaces the placeholders it
//! has values for and leaves the others as written, so the person sending sees what is missing
//! and can fill it in; saving a template refuses placeholders the scene does not know.

use std::collections::HashMap;

/// Where a message is sent from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scene {
    Expiry,
    MissingInvoices,
    Dunning,
    Receipt,
    Collection,
    FilingDone,
    Invoicing,
    Report,
    Kb,
}

/// Placeholders every scene knows.
pub const COMMON: &[&str] = &[
    "customer_name",
    "contact_name",
    "period",
    "firm_name",
    "staff_name",
    "staff_phone",
    "amount",
    "amount_cn",
];

impl Scene {
    pub const ALL: [Scene; 9] = [
        Self::Expiry,
        Self::MissingInvoices,
        Self::Dunning,
        Self::Receipt,
        Self::Collection,
        Self::FilingDone,
        Self::Invoicing,
        Self::Report,
        Self::Kb,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Expiry => "expiry",
            Self::MissingInvoices => "missing_invoices",
            Self::Dunning => "dunning",
            Self::Receipt => "receipt",
            Self::Collection => "collection",
            Self::FilingDone => "filing_done",
            Self::Invoicing => "invoicing",
            Self::Report => "report",
            Self::Kb => "kb",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Expiry => "到期提醒",
            Self::MissingInvoices => "缺票提醒",
            Self::Dunning => "催款提醒",
            Self::Receipt => "收款确认",
            Self::Collection => "收票明细",
            Self::FilingDone => "报税完成通知",
            Self::Invoicing => "开票资料提醒",
            Self::Report => "报表发送",
            Self::Kb => "知识库",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The placeholders this scene knows besides [`COMMON`].
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::Expiry => &[
                "service_end",
                "days_left",
                "next_period",
                "renew_deadline",
                "billing_cycle",
                "overdue_periods",
            ],
            Self::MissingInvoices => &["missing_items", "due_date", "count"],
            Self::Dunning => &[
                "period_from",
                "period_to",
                "fee_item",
                "due_date",
                "pay_account",
            ],
            Self::Receipt => &[
                "fee_item",
                "pay_method",
                "paid_at",
                "period_from",
                "period_to",
                "receipt_no",
            ],
            Self::Collection => &["lines", "count", "received_at", "status_line"],
            Self::FilingDone => &[
                "filed_at",
                "tax_lines",
                "total_tax",
                "pay_line",
                "debit_date",
            ],
            Self::Invoicing => &[
                "as_of",
                "output_tax",
                "input_tax",
                "prior_credit",
                "vat_est",
                "period_unit",
                "sales",
                "threshold",
                "threshold_line",
                "gap",
            ],
            Self::Report => &["revenue", "profit_total", "net_profit"],
            Self::Kb => &["article_title", "article_content"],
        }
    }

    pub fn knows(self, name: &str) -> bool {
        COMMON.contains(&name) || self.placeholders().contains(&name)
    }

    /// Our default wording (bookkeeping.md §4).
    pub fn default_body(self) -> &'static str {
        match self {
            Self::Expiry => {
                "{contact_name}您好！贵司「{customer_name}」的代理记账服务将于{service_end}到期（还有{days_left}天）。为保证{next_period}起记账报税不中断，请在{renew_deadline}前办理续约，续约费用¥{amount}/{billing_cycle}。有疑问随时找我。——{firm_name} {staff_name}"
            }
            Self::MissingInvoices => {
                "{contact_name}您好！整理「{customer_name}」{period}账务时，以下票据尚未收到：\n{missing_items}\n请于{due_date}前拍照发我或寄到公司，以免影响本期申报和成本列支。谢谢！"
            }
            Self::Dunning => {
                "{contact_name}您好！温馨提示：「{customer_name}」{period_from}至{period_to}的{fee_item}尚有¥{amount}（{amount_cn}）未结清，请于{due_date}前支付至{pay_account}。如已付款请忽略并告诉我核对，谢谢！"
            }
            Self::Receipt => {
                "{contact_name}您好！已收到「{customer_name}」支付的{fee_item}¥{amount}（{pay_method}，{paid_at}），对应服务期间{period_from}至{period_to}。收据号{receipt_no}，电子收据见下图。感谢支持！"
            }
            Self::Collection => {
                "「{customer_name}」{period}票据交接明细\n{lines}\n合计{count}张，金额¥{amount}；交接日期{received_at}，经办人{staff_name}。\n{status_line}"
            }
            Self::FilingDone => {
                "{contact_name}您好！「{customer_name}」税款所属期{period}的申报已于{filed_at}完成：\n{tax_lines}\n合计应缴¥{total_tax}。{pay_line}"
            }
            Self::Invoicing => {
                "截至{as_of}，「{customer_name}」本{period_unit}不含税销售额¥{sales}，起征点¥{threshold}，{threshold_line}，预计增值税¥{vat_est}（估算）。需开票请提前把开票资料发我。"
            }
            Self::Report => {
                "「{customer_name}」{period}财务报表已出具（见附件）：营业收入¥{revenue}，利润总额¥{profit_total}，净利润¥{net_profit}。如需解读请联系我。"
            }
            Self::Kb => "{article_content}",
        }
    }
}

/// The expired variant of the expiry reminder.
pub const EXPIRED_BODY: &str = "{contact_name}您好！贵司「{customer_name}」的代理记账服务已于{service_end}到期，目前{overdue_periods}的账务暂缓处理，请尽快续约以免逾期申报产生罚款。——{firm_name} {staff_name}";

/// The invoicing reminder for a general taxpayer, whose VAT is output less input, not a
/// threshold.
pub const INVOICING_GENERAL_BODY: &str = "截至{as_of}，「{customer_name}」本月销项税额¥{output_tax}，可抵扣进项税额¥{input_tax}，上期留抵¥{prior_credit}，预计应纳增值税¥{vat_est}（估算，以申报为准）。本月如有采购请索取增值税专用发票，需开票请把购买方名称、税号、品名、金额发我。";

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// The placeholders a text uses, in order of first use.
pub fn placeholders_in(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if end > 0 && after[..end].chars().all(is_name_char) => {
                let name = after[..end].to_string();
                if !out.contains(&name) {
                    out.push(name);
                }
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

/// The placeholders of `body` the scene does not know.
pub fn unknown_placeholders(scene: Scene, body: &str) -> Vec<String> {
    placeholders_in(body)
        .into_iter()
        .filter(|p| !scene.knows(p))
        .collect()
}

/// Replaces each `{name}` that has a value; leaves the others as written.
pub fn render(body: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if end > 0 && after[..end].chars().all(is_name_char) => {
                match values.get(&after[..end]) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(&after[..=end]);
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_fills_known_values_and_keeps_the_rest_visible() {
        let mut v = HashMap::new();
        v.insert("customer_name", "甲公司".to_string());
        v.insert("amount", "1,200.00".to_string());
        assert_eq!(
            render(
                "「{customer_name}」欠¥{amount}，{due_date}前付清 {x y} {",
                &v
            ),
            "「甲公司」欠¥1,200.00，{due_date}前付清 {x y} {"
        );
        // A value that itself holds braces is not rendered again.
        v.insert("contact_name", "{amount}".to_string());
        assert_eq!(render("{contact_name}", &v), "{amount}");
    }

    #[test]
    fn every_default_uses_only_placeholders_its_scene_knows() {
        for scene in Scene::ALL {
            assert!(
                unknown_placeholders(scene, scene.default_body()).is_empty(),
                "{scene:?}"
            );
            assert_eq!(Scene::parse(scene.code()), Some(scene));
        }
        assert!(unknown_placeholders(Scene::Expiry, EXPIRED_BODY).is_empty());
        assert_eq!(
            unknown_placeholders(Scene::Dunning, "{amount}{receipt_no}{nope}"),
            vec!["receipt_no".to_string(), "nope".to_string()]
        );
        assert_eq!(
            placeholders_in("{a}{a}{B}{}{b_1}"),
            vec!["a".to_string(), "b_1".to_string()]
        );
    }
}
