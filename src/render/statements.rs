//! The three statements of a period as one XLSX workbook (one sheet each, in the 会小企 layouts),
//! written only when the statements pass their checks: a report that does not balance is never
//! produced, the checks' messages say why instead.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use crate::domain::statements::{self, Statement};
use crate::error::{AppError, AppResult};

/// A period's statements for one customer.
#[derive(Clone, Debug)]
pub struct Statements {
    pub customer_name: String,
    /// YYYY-MM
    pub period: String,
    pub balance: Option<Statement>,
    pub income: Option<Statement>,
    pub cash_flow: Option<Statement>,
}

impl Statements {
    /// No statement at all for the period: nothing to show, download or send.
    pub fn is_empty(&self) -> bool {
        self.present().next().is_none()
    }

    pub fn present(&self) -> impl Iterator<Item = &Statement> {
        [&self.balance, &self.income, &self.cash_flow]
            .into_iter()
            .flatten()
    }

    pub fn imbalances(&self) -> Vec<statements::Imbalance> {
        statements::check(
            self.balance.as_ref(),
            self.income.as_ref(),
            self.cash_flow.as_ref(),
        )
    }
}

fn xlsx_err(e: XlsxError) -> AppError {
    AppError::internal(format!("XLSX: {e}"))
}

/// The workbook, or a refusal naming every check that failed.
pub fn xlsx(s: &Statements) -> AppResult<Vec<u8>> {
    if s.present().next().is_none() {
        return Err(AppError::NotFound(format!("{}没有财务报表", s.period)));
    }
    let problems = s.imbalances();
    if !problems.is_empty() {
        let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(AppError::Validation(format!(
            "报表数据不平衡，未生成文件：{}",
            list.join("；")
        )));
    }
    let mut book = Workbook::new();
    let title = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#EEF2F7");
    let cell = Format::new().set_border(FormatBorder::Thin);
    let money = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00;-#,##0.00;\"\"");
    for st in s.present() {
        let sheet = book.add_worksheet();
        sheet.set_name(st.kind.title()).map_err(xlsx_err)?;
        sheet.set_column_width(0, 52).map_err(xlsx_err)?;
        sheet.set_column_width(1, 8).map_err(xlsx_err)?;
        sheet.set_column_width(2, 18).map_err(xlsx_err)?;
        sheet.set_column_width(3, 18).map_err(xlsx_err)?;
        sheet
            .merge_range(0, 0, 0, 3, st.kind.title(), &title)
            .map_err(xlsx_err)?;
        sheet
            .write_string(1, 0, format!("编制单位：{}", s.customer_name))
            .map_err(xlsx_err)?;
        sheet
            .write_string(1, 2, format!("{} {}", st.kind.form_no(), s.period))
            .map_err(xlsx_err)?;
        sheet.write_string(1, 3, "单位：元").map_err(xlsx_err)?;
        let [c1, c2] = st.kind.columns();
        for (col, text) in ["项目", "行次", c1, c2].iter().enumerate() {
            sheet
                .write_string_with_format(2, col as u16, *text, &head)
                .map_err(xlsx_err)?;
        }
        for (i, line) in st.lines.iter().enumerate() {
            let row = 3 + i as u32;
            sheet
                .write_string_with_format(row, 0, &line.item, &cell)
                .map_err(xlsx_err)?;
            sheet
                .write_number_with_format(row, 1, f64::from(line.line), &cell)
                .map_err(xlsx_err)?;
            // Fen to yuan: exact for any amount below 2^53 fen.
            sheet
                .write_number_with_format(row, 2, line.col1 as f64 / 100.0, &money)
                .map_err(xlsx_err)?;
            sheet
                .write_number_with_format(row, 3, line.col2 as f64 / 100.0, &money)
                .map_err(xlsx_err)?;
        }
    }
    book.save_to_buffer().map_err(xlsx_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statements::Kind;
    use crate::domain::statements::tests::statement;
    use calamine::{DataType, Reader, Xlsx};

    fn sample() -> Statements {
        Statements {
            customer_name: "杭州鑫犇科技有限公司".into(),
            period: "2026-10".into(),
            balance: Some(statement(
                Kind::BalanceSheet,
                &[
                    (1, 5000000, 4000000),
                    (30, 12345678, 10000000),
                    (53, 12345678, 10000000),
                    (51, 3000001, 2000000),
                ],
            )),
            income: Some(statement(
                Kind::IncomeStatement,
                &[(1, 800000, 8000000), (32, 100000, 1000001)],
            )),
            cash_flow: None,
        }
    }

    #[test]
    fn the_workbook_reads_back_with_its_totals() {
        let bytes = xlsx(&sample()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["资产负债表", "利润表"]);
        let bs = book.worksheet_range("资产负债表").unwrap();
        let row30 = 3 + 29;
        assert_eq!(
            bs.get_value((row30, 1)).and_then(|v| v.as_f64()),
            Some(30.0)
        );
        let assets = bs.get_value((row30, 2)).and_then(|v| v.as_f64()).unwrap();
        let claims = bs.get_value((3 + 52, 2)).and_then(|v| v.as_f64()).unwrap();
        assert_eq!((assets * 100.0).round() as i64, 12345678);
        assert_eq!(assets, claims);
        let is = book.worksheet_range("利润表").unwrap();
        let net = is.get_value((3 + 31, 3)).and_then(|v| v.as_f64()).unwrap();
        assert_eq!((net * 100.0).round() as i64, 1000001);
    }

    #[test]
    fn a_workbook_that_does_not_balance_is_refused() {
        let mut s = sample();
        if let Some(bs) = s.balance.as_mut() {
            bs.lines[52].col1 += 1;
        }
        let err = xlsx(&s).unwrap_err();
        assert!(err.to_string().contains("不平衡"), "{err}");
    }
}
