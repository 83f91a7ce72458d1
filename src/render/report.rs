//! The statements image (财务报表): the period's balance sheet, income statement and cash-flow
//! statement, one under the other in a single tall PNG, with the same line items and amounts as
//! the workbook. A manager sends it when the boss would rather read the numbers on a phone than
//! open a spreadsheet, so it is laid out for a phone's width: the item on the left (wrapping
//! when long), the two amounts right-aligned beside it.
//!
//! Like the workbook it is drawn only for statements that pass their checks.

use askama::Template;

use super::statements::Statements;
use super::{Image, Rect, fonts, rasterise};
use crate::domain::money::Money;
use crate::domain::statements::Kind;
use crate::error::{AppError, AppResult};

pub const WIDTH: f32 = 720.0;
const MARGIN: f32 = 28.0;
const COL_W: f32 = 150.0;
const SIZE: f32 = 20.0;
const LINE: f32 = 26.0;
const PAD: f32 = 8.0;
/// Output pixels per layout pixel: sharp enough on a phone without a huge bitmap for a tall
/// image (three statements are over a hundred rows).
pub const SCALE: f32 = 1.25;

struct Row {
    top: f32,
    height: f32,
    /// Baselines and text of the item's lines.
    item: Vec<(f32, String)>,
    /// Baseline of the amounts (the first line's).
    amount_y: f32,
    col1: String,
    col2: String,
    /// Totals (资产总计, 净利润 …) are drawn stronger.
    strong: bool,
}

struct Block {
    title: &'static str,
    form_no: &'static str,
    top: f32,
    headers: [&'static str; 2],
    header_top: f32,
    rows: Vec<Row>,
    bottom: f32,
}

#[derive(Template)]
#[template(path = "render/report.svg", escape = "html")]
struct ReportSvg<'a> {
    width: f32,
    height: f32,
    margin: f32,
    right: f32,
    col1_x: f32,
    col2_x: f32,
    divider1: f32,
    divider2: f32,
    firm_name: &'a str,
    title: Vec<(f32, String)>,
    period: String,
    subtitle_y: f32,
    blocks: Vec<Block>,
    footer_y: f32,
}

/// Blank for zero, as printed statements leave it.
fn amount(fen: i64) -> String {
    if fen == 0 {
        String::new()
    } else {
        Money::from_fen(fen).to_string()
    }
}

/// The rows that are totals of their statement, drawn bold.
fn is_total(kind: Kind, line: u32) -> bool {
    match kind {
        Kind::BalanceSheet => matches!(line, 15 | 29 | 30 | 41 | 46 | 47 | 52 | 53),
        Kind::IncomeStatement => matches!(line, 21 | 30 | 32),
        Kind::CashFlow => matches!(line, 7 | 13 | 19 | 20 | 22),
    }
}

/// The image as SVG and where the balance sheet's 资产总计 (期末) amount is drawn, when there is
/// a balance sheet.
pub fn svg(s: &Statements, firm_name: &str) -> AppResult<(String, Option<Rect>)> {
    let right = WIDTH - MARGIN;
    let col2_x = right - PAD;
    let col1_x = right - COL_W - PAD;
    let divider2 = right - COL_W;
    let divider1 = divider2 - COL_W;
    let item_w = divider1 - MARGIN - 2.0 * PAD;
    let title: Vec<(f32, String)> = fonts::wrap(&s.customer_name, 26.0, WIDTH - 2.0 * MARGIN)
        .into_iter()
        .enumerate()
        .map(|(i, l)| (58.0 + i as f32 * 34.0, l))
        .collect();
    let subtitle_y = 58.0 + title.len() as f32 * 34.0 + 4.0;
    let period = crate::domain::period::Period::parse(&s.period)
        .map(|p| p.to_chinese())
        .unwrap_or_else(|_| s.period.clone());
    let mut y = subtitle_y + 30.0;
    let mut blocks = Vec::new();
    let mut assets_total = None;
    for st in s.present() {
        let top = y;
        let header_top = top + 44.0;
        let mut row_y = header_top + 34.0;
        let mut rows = Vec::with_capacity(st.lines.len());
        for l in &st.lines {
            let wrapped = fonts::wrap(&format!("{}. {}", l.line, l.item), SIZE, item_w);
            let height = wrapped.len() as f32 * LINE + PAD;
            let first = row_y + PAD / 2.0 + LINE - 6.0;
            if st.kind == Kind::BalanceSheet && l.line == 30 {
                assets_total = Some(Rect {
                    x: divider1,
                    y: row_y,
                    width: COL_W,
                    height,
                });
            }
            rows.push(Row {
                top: row_y,
                height,
                item: wrapped
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (first + i as f32 * LINE, t))
                    .collect(),
                amount_y: first,
                col1: amount(l.col1),
                col2: amount(l.col2),
                strong: is_total(st.kind, l.line),
            });
            row_y += height;
        }
        blocks.push(Block {
            title: st.kind.title(),
            form_no: st.kind.form_no(),
            top,
            headers: st.kind.columns(),
            header_top,
            rows,
            bottom: row_y,
        });
        y = row_y + 36.0;
    }
    let footer_y = y + 6.0;
    let page = ReportSvg {
        width: WIDTH,
        height: footer_y + 26.0,
        margin: MARGIN,
        right,
        col1_x,
        col2_x,
        divider1,
        divider2,
        firm_name,
        title,
        period,
        subtitle_y,
        blocks,
        footer_y,
    };
    let svg = page
        .render()
        .map_err(|e| AppError::internal(format!("report template: {e}")))?;
    Ok((svg, assets_total))
}

/// The statements as one PNG, or a refusal naming every check that failed (as the workbook).
pub fn render(s: &Statements, firm_name: &str) -> AppResult<Image> {
    if s.present().next().is_none() {
        return Err(AppError::NotFound(format!("{}没有财务报表", s.period)));
    }
    let problems = s.imbalances();
    if !problems.is_empty() {
        let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(AppError::Validation(format!(
            "报表数据不平衡，未生成图片：{}",
            list.join("；")
        )));
    }
    let (svg, amount_area) = svg(s, firm_name)?;
    let (png, width, height) = rasterise(&svg, SCALE)?;
    Ok(Image {
        png,
        width,
        height,
        scale: SCALE,
        amount_area,
        seal_area: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::statements::tests::statement;
    use resvg::tiny_skia::Pixmap;

    fn sample(assets: i64) -> Statements {
        Statements {
            customer_name: "内蒙古鑫犇淼燚堃昇商贸有限责任公司".into(),
            period: "2026-10".into(),
            balance: Some(statement(
                Kind::BalanceSheet,
                &[
                    (1, 5000000, 4000000),
                    (30, assets, 10000000),
                    (53, assets, 10000000),
                    (51, 3000001, 2000000),
                ],
            )),
            income: Some(statement(
                Kind::IncomeStatement,
                &[(1, 800000, 8000000), (32, 100000, 1000001)],
            )),
            cash_flow: Some(statement(
                Kind::CashFlow,
                &[
                    (1, 700000, 7000000),
                    (20, 1000000, 1000000),
                    (21, 4000000, 4000000),
                    (22, 5000000, 5000000),
                ],
            )),
        }
    }

    fn dark_pixels(p: &Pixmap, r: Rect, scale: f32) -> usize {
        let mut n = 0;
        for y in (r.y * scale) as u32..((r.y + r.height) * scale) as u32 {
            for x in (r.x * scale) as u32..((r.x + r.width) * scale) as u32 {
                if let Some(c) = p.pixel(x, y)
                    && c.red() < 128
                    && c.green() < 128
                    && c.blue() < 128
                {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn the_statements_image_decodes_with_every_statement_and_the_total_assets_drawn() {
        let image = render(&sample(12345678), "杭州垚喆财税").unwrap();
        let pixmap = Pixmap::decode_png(&image.png).unwrap();
        assert_eq!(
            (pixmap.width(), pixmap.height()),
            (image.width, image.height)
        );
        assert_eq!(image.width, (WIDTH * SCALE) as u32);
        // 53 + 32 + 22 rows make one tall image.
        assert!(image.height > 3 * image.width, "{}", image.height);
        let area = image.amount_area.unwrap();
        let drawn = dark_pixels(&pixmap, area, SCALE);
        assert!(drawn > 200, "资产总计 drew {drawn} dark pixels");
        // The same cell is empty when the amount is zero (blank, as on paper), so the pixels
        // counted above are the amount's.
        let zero = render(&sample(0), "杭州垚喆财税").unwrap();
        let blank = Pixmap::decode_png(&zero.png).unwrap();
        let area0 = zero.amount_area.unwrap();
        assert!(dark_pixels(&blank, area0, SCALE) < drawn / 10);
    }

    #[test]
    fn the_company_name_has_its_glyphs_and_its_lines() {
        let s = sample(12345678);
        assert!(fonts::missing_glyphs(&s.customer_name).is_empty());
        let (svg, _) = svg(&s, "杭州垚喆财税").unwrap();
        assert!(svg.contains("内蒙古鑫犇淼燚堃昇商贸有限责任公司"));
        for title in [
            "资产负债表",
            "利润表",
            "现金流量表",
            "期末余额",
            "本年累计金额",
        ] {
            assert!(svg.contains(title), "{title}");
        }
        assert!(svg.contains("123,456.78"));
        assert!(svg.contains("30. 项目30"));
    }

    #[test]
    fn statements_that_do_not_balance_are_not_drawn() {
        let mut s = sample(12345678);
        if let Some(bs) = s.balance.as_mut() {
            bs.lines[52].col1 += 1;
        }
        let err = render(&s, "杭州垚喆财税").unwrap_err();
        assert!(err.to_string().contains("不平衡"), "{err}");
    }
}
