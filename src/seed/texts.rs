//! Chinese phrasing for generated rows: follow-up notes, missing-invoice descriptions, dunning
//! messages. Kept apart so the generators read as logic.

use rand::Rng;

use super::rng::{SeedRng, pick};
use crate::domain::money::Money;
use crate::domain::period::Period;

/// What happened with a customer in a month, to choose a fitting follow-up note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Topic {
    Collection,
    Filing,
    Report,
    Billing,
    Renewal,
    Advice,
    Visit,
    Farewell,
}

pub(crate) struct FollowUpText {
    pub kind: &'static str,
    pub content: String,
}

/// `{c}` contact, `{p}` period, `{a}` amount, `{n}` a count, `{s}` customer short name.
const COLLECTION: &[(&str, &str)] = &[
    (
        "chat",
        "提醒{c}把{p}的进项发票和银行回单发到群里，对方说这两天整理好发过来。",
    ),
    (
        "chat",
        "{c}发来{n}张发票照片，已核对收到，原件月底统一寄回。",
    ),
    (
        "call",
        "电话提醒{c}{p}还有费用票据没给，对方说在找供应商补开。",
    ),
    (
        "chat",
        "{c}问电子发票要不要打印，已说明数电发票直接发PDF或XML即可。",
    ),
    (
        "chat",
        "跟{c}确认{p}工资表人数，新增1名员工，已提醒办理社保增员。",
    ),
    (
        "visit",
        "上门收取{s}{p}纸质票据{n}张，顺便核对了银行对账单。",
    ),
];

const FILING: &[(&str, &str)] = &[
    (
        "chat",
        "告知{c}{p}增值税及附加已申报，本期应缴{a}，税款三方协议扣款，请保证账户余额充足。",
    ),
    ("chat", "{p}个税已代扣代缴申报完成，已在群里通知{c}。"),
    (
        "call",
        "电话提醒{c}本季度销售额快到起征点了，达到后全部销售额要按1%缴税，开票前先沟通。",
    ),
    (
        "chat",
        "{c}问为什么这个月要交税，已解释本期专票销售额需要缴纳增值税。",
    ),
    ("chat", "{p}零申报已完成，提醒{c}有收入记得及时开票入账。"),
];

const REPORT: &[(&str, &str)] = &[
    ("chat", "已把{p}财务报表发给{c}，简单解读了收入和利润情况。"),
    (
        "call",
        "{c}要贷款用的报表，已出具并提醒银行可能要看纳税记录。",
    ),
    (
        "chat",
        "{c}问利润为什么是负数，已解释本月集中支付了房租和设备款。",
    ),
];

const BILLING: &[(&str, &str)] = &[
    (
        "call",
        "电话联系{c}，催收{p}的代理记账服务费{a}，对方答应本周内转账。",
    ),
    (
        "chat",
        "在群里发了服务费提醒，{c}回复这几天资金紧张，月底前付。",
    ),
    ("chat", "{c}已转账{a}，已确认收款并发送电子收据。"),
    ("call", "再次催收服务费，{c}说老板出差，回来后安排付款。"),
];

const RENEWAL: &[(&str, &str)] = &[
    (
        "call",
        "电话沟通续费事宜，{c}表示明年继续合作，价格希望保持不变。",
    ),
    (
        "visit",
        "拜访{c}谈续约，介绍了年度汇算和工商年报的打包服务。",
    ),
    (
        "chat",
        "提醒{c}服务合同月底到期，已把续约合同发过去请老板确认。",
    ),
];

const ADVICE: &[(&str, &str)] = &[
    (
        "chat",
        "{c}咨询开票额度能否提高，已说明可以在电子税务局申请调整。",
    ),
    (
        "call",
        "{c}咨询公司变更注册地址的流程和所需材料，已发清单。",
    ),
    (
        "chat",
        "{c}问个人所得税综合所得汇算怎么办理，已发知识库文章链接。",
    ),
    ("chat", "提醒{c}本月社保、公积金扣款日，账户留足余额。"),
    (
        "call",
        "{c}想给员工发年终奖，已说明单独计税和并入综合所得两种方式。",
    ),
    (
        "chat",
        "{c}问收到的政府补贴要不要交税，已说明按不征税收入还是应税收入要看文件。",
    ),
    (
        "chat",
        "{c}计划买一辆商务车，已提醒取得机动车销售统一发票用于抵扣。",
    ),
    (
        "call",
        "{c}来电问公司注销的流程和费用，已初步说明，需先清税。",
    ),
];

const VISIT: &[(&str, &str)] = &[
    (
        "visit",
        "上门拜访{c}，了解下半年业务计划，提醒大额合同注意印花税。",
    ),
    ("visit", "到{s}核对账目，和{c}一起盘点了库存。"),
    (
        "other",
        "整理{p}凭证时发现两张发票抬头有误，已通知{c}退回重开。",
    ),
];

const FAREWELL: &[(&str, &str)] = &[
    (
        "call",
        "{c}表示公司业务调整，合同到期后暂不续约，已约定资料交接时间。",
    ),
    ("visit", "与{c}办理会计资料交接，交接清单双方已签字。"),
    ("chat", "{c}说找了熟人记账，已把账套和申报密码交接清楚。"),
];

pub(crate) fn follow_up(
    rng: &mut SeedRng,
    topic: Topic,
    contact: &str,
    short_name: &str,
    period: Period,
    amount: Money,
) -> FollowUpText {
    let pool = match topic {
        Topic::Collection => COLLECTION,
        Topic::Filing => FILING,
        Topic::Report => REPORT,
        Topic::Billing => BILLING,
        Topic::Renewal => RENEWAL,
        Topic::Advice => ADVICE,
        Topic::Visit => VISIT,
        Topic::Farewell => FAREWELL,
    };
    let (kind, template) = *pick(rng, pool);
    let content = template
        .replace("{c}", contact)
        .replace("{s}", short_name)
        .replace("{p}", &period.to_chinese())
        .replace("{a}", &amount.to_yuan_string())
        .replace("{n}", &rng.random_range(3..=18).to_string());
    FollowUpText { kind, content }
}

pub(crate) const MISSING_DOC_TYPES: &[(&str, &str)] = &[
    ("进项发票", "采购{x}尚未取得发票，约{a}"),
    ("费用发票", "{x}报销缺发票，约{a}"),
    ("银行回单", "{x}的银行回单未提供"),
    ("工资表", "{x}工资表未提供，无法计提个税"),
];

const MISSING_DETAILS: &[&str] = &[
    "办公用品",
    "一批原材料",
    "设备维修",
    "车辆加油",
    "房租",
    "快递物流费",
    "网络服务费",
    "广告推广费",
];

/// (doc_type, description) for a missing document worth about `amount`.
pub(crate) fn missing(rng: &mut SeedRng, amount: Money, period: Period) -> (&'static str, String) {
    let (doc_type, template) = *pick(rng, MISSING_DOC_TYPES);
    let detail = match doc_type {
        "银行回单" | "工资表" => period.to_chinese(),
        _ => format!("{}{}", period.to_chinese(), pick(rng, MISSING_DETAILS)),
    };
    (
        doc_type,
        template
            .replace("{x}", &detail)
            .replace("{a}", &amount.to_yuan_string()),
    )
}

/// The 催款提醒 message (bookkeeping.md §4.3).
#[allow(clippy::too_many_arguments)]
pub(crate) fn dunning_message(
    contact: &str,
    customer: &str,
    from: Period,
    to: Period,
    amount: Money,
    due: chrono::NaiveDate,
    firm_short: &str,
) -> String {
    let amount_cn = amount.to_chinese_upper_with_prefix().unwrap_or_default();
    let range = if from == to {
        from.to_chinese()
    } else {
        format!("{}至{}", from.to_chinese(), to.to_chinese())
    };
    format!(
        "{contact}您好！温馨提示：「{customer}」{range}的代理记账服务费尚有{}（{amount_cn}）未结清，请于{}前支付至{firm_short}对公账户。如已付款请忽略并告诉我核对，谢谢！",
        amount.to_yuan_string(),
        due.format("%Y年%m月%d日"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Profile;
    use crate::seed::rng::stream;

    #[test]
    fn templates_leave_no_placeholders() {
        let mut rng = stream(1, Profile::Demo, 99);
        let p = Period::new(2026, 10).unwrap();
        for topic in [
            Topic::Collection,
            Topic::Filing,
            Topic::Report,
            Topic::Billing,
            Topic::Renewal,
            Topic::Advice,
            Topic::Visit,
            Topic::Farewell,
        ] {
            for _ in 0..20 {
                let t = follow_up(
                    &mut rng,
                    topic,
                    "王总",
                    "鑫达科技",
                    p,
                    Money::from_yuan(300),
                );
                assert!(!t.content.contains('{'), "{}", t.content);
            }
        }
        for _ in 0..20 {
            let (_, d) = missing(&mut rng, Money::from_yuan(1200), p);
            assert!(!d.contains('{'), "{d}");
        }
    }

    #[test]
    fn dunning_message_spells_the_amount() {
        let p = Period::new(2026, 9).unwrap();
        let msg = dunning_message(
            "王总",
            "杭州鑫达网络科技有限公司",
            p,
            p.next(),
            Money::from_yuan(600),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            "明账财税",
        );
        assert!(msg.contains("¥600.00（人民币陆佰元整）"), "{msg}");
        assert!(msg.contains("2026年09月至2026年10月"));
    }
}
