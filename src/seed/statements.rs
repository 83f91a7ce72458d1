//! A small-enterprise ledger, month by month, and its three statements in the 会小企01/02/03表
//! layouts (bookkeeping.md §3).
//!
//! Every amount is fen. The balance sheet balances by construction: cash is what is left after
//! every other asset is counted against liabilities and equity, and when that would drop below a
//! working minimum the boss lends the company the difference (其他应付款), as bosses of small
//! companies do. The cash-flow statement is derived from the same balances, so its closing cash is
//! the balance sheet's 货币资金.
//!
//! `lines` JSON: `[{"line":1,"item":"货币资金","col1":…,"col2":…}, …]` where
//! - balance sheet: col1 = 期末余额, col2 = 年初余额;
//! - income statement: col1 = 本月金额, col2 = 本年累计金额;
//! - cash flow (at quarter ends): col1 = 本季度金额, col2 = 本年累计金额.

use std::fmt::Write as _;

pub(crate) const BALANCE_SHEET_ITEMS: [&str; 53] = [
    "货币资金",
    "短期投资",
    "应收票据",
    "应收账款",
    "预付账款",
    "应收股利",
    "应收利息",
    "其他应收款",
    "存货",
    "其中：原材料",
    "在产品",
    "库存商品",
    "周转材料",
    "其他流动资产",
    "流动资产合计",
    "长期债券投资",
    "长期股权投资",
    "固定资产原价",
    "减：累计折旧",
    "固定资产账面价值",
    "在建工程",
    "工程物资",
    "固定资产清理",
    "生产性生物资产",
    "无形资产",
    "开发支出",
    "长期待摊费用",
    "其他非流动资产",
    "非流动资产合计",
    "资产总计",
    "短期借款",
    "应付票据",
    "应付账款",
    "预收账款",
    "应付职工薪酬",
    "应交税费",
    "应付利息",
    "应付利润",
    "其他应付款",
    "其他流动负债",
    "流动负债合计",
    "长期借款",
    "长期应付款",
    "递延收益",
    "其他非流动负债",
    "非流动负债合计",
    "负债合计",
    "实收资本（或股本）",
    "资本公积",
    "盈余公积",
    "未分配利润",
    "所有者权益（或股东权益）合计",
    "负债和所有者权益（或股东权益）总计",
];

pub(crate) const INCOME_STATEMENT_ITEMS: [&str; 32] = [
    "一、营业收入",
    "减：营业成本",
    "税金及附加",
    "其中：消费税",
    "营业税",
    "城市维护建设税",
    "资源税",
    "土地增值税",
    "城镇土地使用税、房产税、车船税、印花税",
    "教育费附加、矿产资源补偿费、排污费",
    "销售费用",
    "其中：商品维修费",
    "广告费和业务宣传费",
    "管理费用",
    "其中：开办费",
    "业务招待费",
    "研究费用",
    "财务费用",
    "其中：利息费用（收入以“-”号填列）",
    "加：投资收益（损失以“-”号填列）",
    "二、营业利润（亏损以“-”号填列）",
    "加：营业外收入",
    "其中：政府补助",
    "减：营业外支出",
    "其中：坏账损失",
    "无法收回的长期债券投资损失",
    "无法收回的长期股权投资损失",
    "自然灾害等不可抗力因素造成的损失",
    "税收滞纳金",
    "三、利润总额（亏损总额以“-”号填列）",
    "减：所得税费用",
    "四、净利润（净亏损以“-”号填列）",
];

pub(crate) const CASH_FLOW_ITEMS: [&str; 22] = [
    "销售产成品、商品、提供劳务收到的现金",
    "收到其他与经营活动有关的现金",
    "购买原材料、商品、接受劳务支付的现金",
    "支付的职工薪酬",
    "支付的税费",
    "支付其他与经营活动有关的现金",
    "经营活动产生的现金流量净额",
    "收回短期投资、长期债券投资和长期股权投资收到的现金",
    "取得投资收益收到的现金",
    "处置固定资产、无形资产和其他非流动资产收回的现金净额",
    "短期投资、长期债券投资和长期股权投资支付的现金",
    "购建固定资产、无形资产和其他非流动资产支付的现金",
    "投资活动产生的现金流量净额",
    "取得借款收到的现金",
    "吸收投资者投资收到的现金",
    "偿还借款本金支付的现金",
    "偿还借款利息支付的现金",
    "分配利润支付的现金",
    "筹资活动产生的现金流量净额",
    "现金净增加额",
    "加：期初现金余额",
    "五、期末现金余额",
];

/// Month-end balances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Balances {
    pub cash: i64,
    pub receivables: i64,
    pub prepayments: i64,
    pub other_receivables: i64,
    pub inventory: i64,
    /// VAT credit carried forward (留抵), shown as 其他流动资产.
    pub vat_credit: i64,
    pub fixed_assets_cost: i64,
    pub depreciation: i64,
    pub long_term_prepaid: i64,
    pub short_term_loans: i64,
    pub payables: i64,
    pub advances: i64,
    pub salaries_payable: i64,
    pub taxes_payable: i64,
    pub other_payables: i64,
    pub capital: i64,
    /// 未分配利润 at the start of the year.
    pub retained_opening: i64,
    /// Net profit so far this year.
    pub profit_ytd: i64,
}

impl Balances {
    fn current_assets(&self) -> i64 {
        self.cash
            + self.receivables
            + self.prepayments
            + self.other_receivables
            + self.inventory
            + self.vat_credit
    }

    fn non_current_assets(&self) -> i64 {
        self.fixed_assets_cost - self.depreciation + self.long_term_prepaid
    }

    pub(crate) fn total_assets(&self) -> i64 {
        self.current_assets() + self.non_current_assets()
    }

    fn current_liabilities(&self) -> i64 {
        self.short_term_loans
            + self.payables
            + self.advances
            + self.salaries_payable
            + self.taxes_payable
            + self.other_payables
    }

    fn equity(&self) -> i64 {
        self.capital + self.retained_opening + self.profit_ytd
    }

    pub(crate) fn total_liabilities_and_equity(&self) -> i64 {
        self.current_liabilities() + self.equity()
    }

    /// Sets cash so the sheet balances, borrowing from (or repaying) the boss as needed.
    pub(crate) fn settle_cash(&mut self, minimum_cash: i64, comfortable_cash: i64) {
        self.cash = 0;
        let mut cash = self.total_liabilities_and_equity() - self.total_assets();
        if cash < minimum_cash {
            self.other_payables += minimum_cash - cash;
            cash = minimum_cash;
        } else if cash > comfortable_cash && self.other_payables > 0 {
            let repay = ((cash - comfortable_cash) / 2).min(self.other_payables);
            self.other_payables -= repay;
            cash -= repay;
        }
        self.cash = cash;
    }

    fn column(&self) -> [i64; 53] {
        let mut v = [0i64; 53];
        v[0] = self.cash;
        v[3] = self.receivables;
        v[4] = self.prepayments;
        v[7] = self.other_receivables;
        v[8] = self.inventory;
        v[11] = self.inventory;
        v[13] = self.vat_credit;
        v[14] = self.current_assets();
        v[17] = self.fixed_assets_cost;
        v[18] = self.depreciation;
        v[19] = self.fixed_assets_cost - self.depreciation;
        v[26] = self.long_term_prepaid;
        v[28] = self.non_current_assets();
        v[29] = self.total_assets();
        v[30] = self.short_term_loans;
        v[32] = self.payables;
        v[33] = self.advances;
        v[34] = self.salaries_payable;
        v[35] = self.taxes_payable;
        v[38] = self.other_payables;
        v[40] = self.current_liabilities();
        v[45] = 0;
        v[46] = self.current_liabilities();
        v[47] = self.capital;
        v[50] = self.retained_opening + self.profit_ytd;
        v[51] = self.equity();
        v[52] = self.total_liabilities_and_equity();
        v
    }
}

/// One month's (or a year-to-date sum of) income statement amounts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Income {
    pub revenue: i64,
    pub cost: i64,
    pub city_tax: i64,
    pub stamp_duty: i64,
    pub education: i64,
    pub selling: i64,
    pub advertising: i64,
    pub admin: i64,
    pub entertainment: i64,
    pub research: i64,
    pub finance: i64,
    pub interest: i64,
    pub other_income: i64,
    pub subsidies: i64,
    pub other_expense: i64,
    pub late_fees: i64,
    pub income_tax: i64,
}

impl Income {
    pub(crate) fn taxes(&self) -> i64 {
        self.city_tax + self.stamp_duty + self.education
    }

    pub(crate) fn operating_profit(&self) -> i64 {
        self.revenue - self.cost - self.taxes() - self.selling - self.admin - self.finance
    }

    pub(crate) fn total_profit(&self) -> i64 {
        self.operating_profit() + self.other_income - self.other_expense
    }

    pub(crate) fn net_profit(&self) -> i64 {
        self.total_profit() - self.income_tax
    }

    pub(crate) fn add(&mut self, m: &Income) {
        self.revenue += m.revenue;
        self.cost += m.cost;
        self.city_tax += m.city_tax;
        self.stamp_duty += m.stamp_duty;
        self.education += m.education;
        self.selling += m.selling;
        self.advertising += m.advertising;
        self.admin += m.admin;
        self.entertainment += m.entertainment;
        self.research += m.research;
        self.finance += m.finance;
        self.interest += m.interest;
        self.other_income += m.other_income;
        self.subsidies += m.subsidies;
        self.other_expense += m.other_expense;
        self.late_fees += m.late_fees;
        self.income_tax += m.income_tax;
    }

    fn column(&self) -> [i64; 32] {
        let mut v = [0i64; 32];
        v[0] = self.revenue;
        v[1] = self.cost;
        v[2] = self.taxes();
        v[5] = self.city_tax;
        v[8] = self.stamp_duty;
        v[9] = self.education;
        v[10] = self.selling;
        v[12] = self.advertising;
        v[13] = self.admin;
        v[15] = self.entertainment;
        v[16] = self.research;
        v[17] = self.finance;
        v[18] = self.interest;
        v[20] = self.operating_profit();
        v[21] = self.other_income;
        v[22] = self.subsidies;
        v[23] = self.other_expense;
        v[28] = self.late_fees;
        v[29] = self.total_profit();
        v[30] = self.income_tax;
        v[31] = self.net_profit();
        v
    }
}

/// Cash flows over a period (a month, a quarter or the year so far).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CashFlows {
    pub from_customers: i64,
    pub other_received: i64,
    pub to_suppliers: i64,
    pub salaries: i64,
    pub taxes: i64,
    pub other_paid: i64,
    pub fixed_assets: i64,
    pub borrowed: i64,
    pub repaid: i64,
    pub interest: i64,
    pub opening_cash: i64,
}

impl CashFlows {
    fn operating(&self) -> i64 {
        self.from_customers + self.other_received
            - self.to_suppliers
            - self.salaries
            - self.taxes
            - self.other_paid
    }

    fn investing(&self) -> i64 {
        -self.fixed_assets
    }

    fn financing(&self) -> i64 {
        self.borrowed - self.repaid - self.interest
    }

    pub(crate) fn net_change(&self) -> i64 {
        self.operating() + self.investing() + self.financing()
    }

    /// Adds a later period's flows; the opening cash stays the earlier one's.
    pub(crate) fn add(&mut self, m: &CashFlows) {
        self.from_customers += m.from_customers;
        self.other_received += m.other_received;
        self.to_suppliers += m.to_suppliers;
        self.salaries += m.salaries;
        self.taxes += m.taxes;
        self.other_paid += m.other_paid;
        self.fixed_assets += m.fixed_assets;
        self.borrowed += m.borrowed;
        self.repaid += m.repaid;
        self.interest += m.interest;
    }

    fn column(&self) -> [i64; 22] {
        let mut v = [0i64; 22];
        v[0] = self.from_customers;
        v[1] = self.other_received;
        v[2] = self.to_suppliers;
        v[3] = self.salaries;
        v[4] = self.taxes;
        v[5] = self.other_paid;
        v[6] = self.operating();
        v[11] = self.fixed_assets;
        v[12] = self.investing();
        v[13] = self.borrowed;
        v[15] = self.repaid;
        v[16] = self.interest;
        v[18] = self.financing();
        v[19] = self.net_change();
        v[20] = self.opening_cash;
        v[21] = self.opening_cash + self.net_change();
        v
    }
}

/// What moved in a month besides the income statement: gross amounts that clear through
/// receivables and payables, and what was paid for assets and taxes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MonthMoves {
    /// Sales including output VAT.
    pub gross_sales: i64,
    /// Purchases including input VAT.
    pub gross_purchases: i64,
    pub payroll: i64,
    pub taxes_paid: i64,
    pub fixed_assets_bought: i64,
}

/// Derives one month's cash flows from the balance change and the month's moves; whatever the
/// named lines do not explain lands in 支付/收到其他与经营活动有关的现金.
pub(crate) fn month_cash_flows(
    before: &Balances,
    after: &Balances,
    moves: &MonthMoves,
) -> CashFlows {
    let from_customers = moves.gross_sales - (after.receivables - before.receivables)
        + (after.advances - before.advances);
    let to_suppliers = (moves.gross_purchases - (after.payables - before.payables)
        + (after.prepayments - before.prepayments))
        .max(0);
    let salaries = moves.payroll - (after.salaries_payable - before.salaries_payable);
    let loans = (after.short_term_loans + after.other_payables)
        - (before.short_term_loans + before.other_payables);
    let mut flows = CashFlows {
        from_customers,
        to_suppliers,
        salaries,
        taxes: moves.taxes_paid,
        fixed_assets: moves.fixed_assets_bought,
        borrowed: loans.max(0),
        repaid: (-loans).max(0),
        opening_cash: before.cash,
        ..CashFlows::default()
    };
    let unexplained = (after.cash - before.cash) - flows.net_change();
    if unexplained >= 0 {
        flows.other_received = unexplained;
    } else {
        flows.other_paid = -unexplained;
    }
    flows
}

fn lines<const N: usize>(items: &[&str; N], col1: &[i64; N], col2: &[i64; N]) -> String {
    let mut out = String::with_capacity(N * 64);
    out.push('[');
    for i in 0..N {
        if i > 0 {
            out.push(',');
        }
        // Items are compile-time constants without quotes or backslashes, so no escaping.
        let _ = write!(
            out,
            r#"{{"line":{},"item":"{}","col1":{},"col2":{}}}"#,
            i + 1,
            items[i],
            col1[i],
            col2[i]
        );
    }
    out.push(']');
    out
}

pub(crate) fn balance_sheet_json(closing: &Balances, year_opening: &Balances) -> String {
    lines(
        &BALANCE_SHEET_ITEMS,
        &closing.column(),
        &year_opening.column(),
    )
}

pub(crate) fn income_statement_json(month: &Income, ytd: &Income) -> String {
    lines(&INCOME_STATEMENT_ITEMS, &month.column(), &ytd.column())
}

pub(crate) fn cash_flow_json(quarter: &CashFlows, ytd: &CashFlows) -> String {
    lines(&CASH_FLOW_ITEMS, &quarter.column(), &ytd.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Balances {
        Balances {
            receivables: 5_000_000,
            inventory: 1_200_000,
            fixed_assets_cost: 3_000_000,
            depreciation: 400_000,
            payables: 2_000_000,
            salaries_payable: 900_000,
            taxes_payable: 120_000,
            capital: 10_000_000,
            retained_opening: -300_000,
            profit_ytd: 250_000,
            ..Balances::default()
        }
    }

    #[test]
    fn balance_sheet_balances_and_parses() {
        let mut b = sample();
        b.settle_cash(500_000, 5_000_000);
        let json: serde_json::Value = serde_json::from_str(&balance_sheet_json(&b, &b)).unwrap();
        let rows = json.as_array().unwrap();
        assert_eq!(rows.len(), 53);
        assert_eq!(rows[29]["col1"], rows[52]["col1"], "row 30 = row 53");
        assert_eq!(rows[0]["item"], "货币资金");
        assert!(b.cash >= 500_000);
    }

    #[test]
    fn income_statement_chains_to_net_profit() {
        let m = Income {
            revenue: 10_000_000,
            cost: 6_000_000,
            city_tax: 7_000,
            education: 5_000,
            selling: 300_000,
            admin: 2_000_000,
            finance: 20_000,
            other_income: 50_000,
            other_expense: 1_000,
            income_tax: 80_000,
            ..Income::default()
        };
        let json: serde_json::Value = serde_json::from_str(&income_statement_json(&m, &m)).unwrap();
        let col = |line: usize| json[line - 1]["col1"].as_i64().unwrap();
        assert_eq!(
            col(21),
            col(1) - col(2) - col(3) - col(11) - col(14) - col(18) + col(20)
        );
        assert_eq!(col(30), col(21) + col(22) - col(24));
        assert_eq!(col(32), col(30) - col(31));
        assert_eq!(json.as_array().unwrap().len(), 32);
    }

    #[test]
    fn cash_flow_closing_cash_matches_the_balance_sheet() {
        let mut before = sample();
        before.settle_cash(500_000, 5_000_000);
        let mut after = before;
        after.receivables += 800_000;
        after.profit_ytd += 1_500_000;
        after.settle_cash(500_000, 5_000_000);
        let moves = MonthMoves {
            gross_sales: 3_000_000,
            gross_purchases: 900_000,
            payroll: 600_000,
            taxes_paid: 30_000,
            fixed_assets_bought: 0,
        };
        let flows = month_cash_flows(&before, &after, &moves);
        let json: serde_json::Value =
            serde_json::from_str(&cash_flow_json(&flows, &flows)).unwrap();
        assert_eq!(json[21]["col1"].as_i64().unwrap(), after.cash);
        assert_eq!(json.as_array().unwrap().len(), 22);
    }
}
