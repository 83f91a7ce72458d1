//! The collection-detail image (收票明细) a manager shares into the chat: the customer, the
//! period, one line per kind of document with its count and amount, the totals, when and by whom
//! the documents were received, and whether the period is complete or what is still missing.

use askama::Template;

use super::{Image, Rect, fonts, rasterise};
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct CollectionLine {
    pub kind: String,
    pub count: i64,
    /// ¥1,234.00, or empty for documents without an amount (bank slips).
    pub amount: String,
}

#[derive(Clone, Debug)]
pub struct CollectionData {
    pub firm_name: String,
    pub customer_name: String,
    /// 2026年11月
    pub period: String,
    pub lines: Vec<CollectionLine>,
    pub total_count: i64,
    pub total_amount: String,
    pub received_at: String,
    pub handler: String,
    /// 本期票据已收齐 / 仍缺：…
    pub status_line: String,
}

const WIDTH: f32 = 720.0;
const MARGIN: f32 = 36.0;
const SIZE: f32 = 22.0;
const LINE: f32 = 34.0;
pub const SCALE: f32 = 1.5;

#[derive(Template)]
#[template(path = "render/collection.svg", escape = "html")]
struct CollectionSvg<'a> {
    width: f32,
    height: f32,
    margin: f32,
    right: f32,
    d: &'a CollectionData,
    title: Vec<(f32, String)>,
    header_y: f32,
    rows: Vec<(f32, &'a CollectionLine)>,
    total_y: f32,
    status: Vec<(f32, String)>,
    footer_y: f32,
}

pub fn svg(d: &CollectionData) -> AppResult<(String, Rect)> {
    let inner = WIDTH - 2.0 * MARGIN;
    let title: Vec<(f32, String)> = fonts::wrap(&format!("「{}」", d.customer_name), 26.0, inner)
        .into_iter()
        .enumerate()
        .map(|(i, l)| (60.0 + i as f32 * 36.0, l))
        .collect();
    let header_y = 60.0 + title.len() as f32 * 36.0 + 20.0;
    let rows: Vec<(f32, &CollectionLine)> = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (header_y + 46.0 + i as f32 * LINE, l))
        .collect();
    let total_y = header_y + 46.0 + rows.len() as f32 * LINE + 14.0;
    let status: Vec<(f32, String)> = fonts::wrap(&d.status_line, SIZE, inner)
        .into_iter()
        .enumerate()
        .map(|(i, l)| (total_y + 50.0 + i as f32 * 30.0, l))
        .collect();
    let footer_y = total_y + 50.0 + status.len() as f32 * 30.0 + 20.0;
    let height = footer_y + 40.0;
    let area = Rect {
        x: MARGIN,
        y: total_y - 28.0,
        width: inner,
        height: 40.0,
    };
    let page = CollectionSvg {
        width: WIDTH,
        height,
        margin: MARGIN,
        right: WIDTH - MARGIN,
        d,
        title,
        header_y,
        rows,
        total_y,
        status,
        footer_y,
    };
    let svg = page
        .render()
        .map_err(|e| AppError::internal(format!("collection template: {e}")))?;
    Ok((svg, area))
}

pub fn render(d: &CollectionData) -> AppResult<Image> {
    let (svg, area) = svg(d)?;
    let (png, width, height) = rasterise(&svg, SCALE)?;
    Ok(Image {
        png,
        width,
        height,
        scale: SCALE,
        amount_area: Some(area),
        seal_area: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collection_image_has_every_line() {
        let d = CollectionData {
            firm_name: "鑫犇财税".into(),
            customer_name: "杭州淼燚堃昇科技有限公司".into(),
            period: "2026年10月".into(),
            lines: vec![
                CollectionLine {
                    kind: "进项发票".into(),
                    count: 12,
                    amount: "¥8,000.00".into(),
                },
                CollectionLine {
                    kind: "银行回单".into(),
                    count: 5,
                    amount: String::new(),
                },
            ],
            total_count: 17,
            total_amount: "¥8,000.00".into(),
            received_at: "2026年11月05日".into(),
            handler: "李昇".into(),
            status_line: "本期票据已收齐".into(),
        };
        let (svg, _) = svg(&d).unwrap();
        assert!(svg.contains("银行回单") && svg.contains("合计"));
        let image = render(&d).unwrap();
        let p = resvg::tiny_skia::Pixmap::decode_png(&image.png).unwrap();
        assert_eq!(p.width(), (WIDTH * SCALE) as u32);
    }
}
