//! Small-enterprise statements (小企业会计准则: 会小企01/02/03表) as stored line items, and the
//! checks a statement must pass before anyone sends it: the balance sheet balances (row 30 资产总计
//! = row 53 负债和所有者权益总计, at the period end and at the year start), and the income
//! statement's net profit for the year so far equals the change in 未分配利润 since the year
//! began (row 32 本年累计 = row 51 期末 − 年初) when both statements exist. The cash-flow
//! statement's closing cash equals 期初 + 净增加额.

use serde::{Deserialize, Serialize};

/// Which statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    BalanceSheet,
    IncomeStatement,
    CashFlow,
}

impl Kind {
    pub const fn title(self) -> &'static str {
        match self {
            Self::BalanceSheet => "资产负债表",
            Self::IncomeStatement => "利润表",
            Self::CashFlow => "现金流量表",
        }
    }

    pub const fn form_no(self) -> &'static str {
        match self {
            Self::BalanceSheet => "会小企01表",
            Self::IncomeStatement => "会小企02表",
            Self::CashFlow => "会小企03表",
        }
    }

    /// The two amount columns.
    pub const fn columns(self) -> [&'static str; 2] {
        match self {
            Self::BalanceSheet => ["期末余额", "年初余额"],
            Self::IncomeStatement => ["本月金额", "本年累计金额"],
            Self::CashFlow => ["本期金额", "本年累计金额"],
        }
    }

    pub const fn rows(self) -> usize {
        match self {
            Self::BalanceSheet => 53,
            Self::IncomeStatement => 32,
            Self::CashFlow => 22,
        }
    }
}

/// One row: its number, item and the two amounts in fen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub line: u32,
    pub item: String,
    pub col1: i64,
    pub col2: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub kind: Kind,
    pub lines: Vec<Line>,
}

impl Statement {
    /// Parses the stored `lines` JSON (`[{"line","item","col1","col2"}, …]`).
    pub fn from_json(kind: Kind, value: &serde_json::Value) -> Result<Statement, String> {
        // Read from the borrowed document: a clone of each tree cost more than the decoding.
        Self::checked(kind, Vec::<Line>::deserialize(value))
    }

    /// The same from the JSON text, without building a document first (the sidebar's 报表
    /// decodes a year of these on every view).
    pub fn from_json_text(kind: Kind, text: &str) -> Result<Statement, String> {
        Self::checked(kind, serde_json::from_str::<Vec<Line>>(text))
    }

    fn checked(kind: Kind, lines: serde_json::Result<Vec<Line>>) -> Result<Statement, String> {
        let lines = lines.map_err(|e| format!("{}的数据格式不正确：{e}", kind.title()))?;
        if lines.len() != kind.rows() {
            return Err(format!(
                "{}应有{}行，存储的数据有{}行",
                kind.title(),
                kind.rows(),
                lines.len()
            ));
        }
        Ok(Statement { kind, lines })
    }

    /// Column 1 of each of `rows` from the stored `lines` JSON, without building the statement
    /// (the chart of 报表 wants two figures from each of twelve months): a row not stored is 0.
    pub fn col1_from_json_text<const N: usize>(
        text: &str,
        rows: [u32; N],
    ) -> Result<[i64; N], String> {
        // Only these two fields are read; the item names and column 2 are skipped unallocated.
        #[derive(Deserialize)]
        struct Figure {
            line: u32,
            col1: i64,
        }
        let figures: Vec<Figure> =
            serde_json::from_str(text).map_err(|e| format!("报表数据格式不正确：{e}"))?;
        Ok(rows.map(|n| figures.iter().find(|f| f.line == n).map_or(0, |f| f.col1)))
    }

    /// Row `n` (1-based), if present.
    pub fn row(&self, n: u32) -> Option<&Line> {
        self.lines.iter().find(|l| l.line == n)
    }
}

/// A check that failed, said plainly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imbalance {
    pub message: String,
}

fn yuan(fen: i64) -> String {
    crate::domain::money::Money::from_fen(fen).to_string()
}

/// Every check the statements of one period fail; empty when they agree.
pub fn check(
    balance: Option<&Statement>,
    income: Option<&Statement>,
    cash_flow: Option<&Statement>,
) -> Vec<Imbalance> {
    let mut out = Vec::new();
    let mut say = |message: String| out.push(Imbalance { message });
    if let Some(bs) = balance {
        match (bs.row(30), bs.row(53)) {
            (Some(assets), Some(claims)) => {
                for (i, col) in bs.kind.columns().iter().enumerate() {
                    let (a, c) = if i == 0 {
                        (assets.col1, claims.col1)
                    } else {
                        (assets.col2, claims.col2)
                    };
                    if a != c {
                        say(format!(
                            "资产负债表不平衡：{col}资产总计 ¥{} ≠ 负债和所有者权益总计 ¥{}，相差 ¥{}",
                            yuan(a),
                            yuan(c),
                            yuan(a - c)
                        ));
                    }
                }
            }
            _ => say("资产负债表缺少第30行或第53行".into()),
        }
    }
    if let (Some(bs), Some(is)) = (balance, income)
        && let (Some(retained), Some(net)) = (bs.row(51), is.row(32))
        && retained.col1 - retained.col2 != net.col2
    {
        say(format!(
            "利润表本年累计净利润 ¥{} 与资产负债表未分配利润本年变动 ¥{} 不一致",
            yuan(net.col2),
            yuan(retained.col1 - retained.col2)
        ));
    }
    if let Some(cf) = cash_flow {
        if let (Some(change), Some(opening), Some(closing)) = (cf.row(20), cf.row(21), cf.row(22))
            && opening.col1 + change.col1 != closing.col1
        {
            say(format!(
                "现金流量表期末现金余额 ¥{} ≠ 期初 ¥{} + 净增加额 ¥{}",
                yuan(closing.col1),
                yuan(opening.col1),
                yuan(change.col1)
            ));
        }
        if let (Some(bs), Some(closing)) = (balance, cf.row(22))
            && let Some(cash) = bs.row(1)
            && cash.col1 != closing.col1
        {
            say(format!(
                "现金流量表期末现金余额 ¥{} 与资产负债表货币资金 ¥{} 不一致",
                yuan(closing.col1),
                yuan(cash.col1)
            ));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn statement(kind: Kind, values: &[(u32, i64, i64)]) -> Statement {
        Statement {
            kind,
            lines: (1..=kind.rows() as u32)
                .map(|n| {
                    let (c1, c2) = values
                        .iter()
                        .find(|(l, _, _)| *l == n)
                        .map_or((0, 0), |(_, a, b)| (*a, *b));
                    Line {
                        line: n,
                        item: format!("项目{n}"),
                        col1: c1,
                        col2: c2,
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn balanced_statements_pass_and_an_imbalance_is_named() {
        let bs = statement(
            Kind::BalanceSheet,
            &[
                (1, 500, 400),
                (30, 1000, 900),
                (53, 1000, 900),
                (51, 300, 200),
            ],
        );
        let is = statement(Kind::IncomeStatement, &[(32, 40, 100)]);
        let cf = statement(
            Kind::CashFlow,
            &[(20, 100, 100), (21, 400, 400), (22, 500, 500)],
        );
        assert!(check(Some(&bs), Some(&is), Some(&cf)).is_empty());

        let bad = statement(
            Kind::BalanceSheet,
            &[
                (1, 500, 400),
                (30, 1000, 900),
                (53, 999, 900),
                (51, 300, 200),
            ],
        );
        let found = check(Some(&bad), None, None);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("资产负债表不平衡"), "{found:?}");
        assert!(found[0].message.contains("¥0.01"), "{found:?}");

        let profit = statement(Kind::IncomeStatement, &[(32, 40, 99)]);
        let found = check(Some(&bs), Some(&profit), None);
        assert!(found[0].message.contains("净利润"), "{found:?}");

        let cash = statement(
            Kind::CashFlow,
            &[(20, 100, 100), (21, 400, 400), (22, 501, 501)],
        );
        assert_eq!(check(Some(&bs), None, Some(&cash)).len(), 2);
    }

    #[test]
    fn stored_json_with_the_wrong_shape_is_refused() {
        let err = Statement::from_json(Kind::IncomeStatement, &serde_json::json!([])).unwrap_err();
        assert!(err.contains("应有32行"));
        let err = Statement::from_json_text(Kind::IncomeStatement, "[]").unwrap_err();
        assert!(err.contains("应有32行"));
        let err = Statement::from_json_text(Kind::IncomeStatement, "{\"line\": 1}").unwrap_err();
        assert!(err.contains("利润表的数据格式不正确"), "{err}");
    }

    #[test]
    fn the_json_text_reads_as_the_document_does() {
        let lines: Vec<serde_json::Value> = (1..=32)
            .map(|n| serde_json::json!({"line": n, "item": format!("项目{n}"), "col1": n * 100, "col2": -n}))
            .collect();
        let value = serde_json::Value::Array(lines);
        let from_text =
            Statement::from_json_text(Kind::IncomeStatement, &value.to_string()).unwrap();
        assert_eq!(
            from_text,
            Statement::from_json(Kind::IncomeStatement, &value).unwrap()
        );
        assert_eq!(from_text.row(32).map(|l| l.col1), Some(3200));
    }

    #[test]
    fn column_1_of_chosen_rows_reads_like_the_whole_statement() {
        let is = statement(
            Kind::IncomeStatement,
            &[(1, 5_000_000, 9), (32, -400_000, 7)],
        );
        let text = serde_json::to_string(&is.lines).unwrap();
        let whole = Statement::from_json_text(Kind::IncomeStatement, &text).unwrap();
        let [revenue, profit, absent] = Statement::col1_from_json_text(&text, [1, 32, 99]).unwrap();
        assert_eq!((revenue, profit, absent), (5_000_000, -400_000, 0));
        assert_eq!(Some(revenue), whole.row(1).map(|l| l.col1));
        assert!(Statement::col1_from_json_text(&text[1..], [1]).is_err());
    }
}
