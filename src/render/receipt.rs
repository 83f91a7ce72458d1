//! The receipt (收款收据) image: title, number, date, 交款单位, 付款人, 收款事由 and service
//! period, the amount in figures and in 大写, method, 收款单位 with an optional seal, 经办人 and
//! 备注; a voided receipt carries a large 作废 across it. Long names wrap inside their cells.

use askama::Template;

use super::{Image, Rect, fonts, png_data_uri, rasterise};
use crate::error::{AppError, AppResult};

/// What a receipt says.
#[derive(Clone, Debug, Default)]
pub struct ReceiptData {
    pub firm_name: String,
    pub receipt_no: String,
    /// e.g. 2026年11月26日
    pub date: String,
    /// 交款单位 (the customer).
    pub payer: String,
    /// The person who paid, when named.
    pub payer_person: Option<String>,
    pub item: String,
    /// e.g. 2026年01月–2026年12月
    pub period: Option<String>,
    /// ¥3,600.00
    pub amount_figures: String,
    /// 人民币叁仟陆佰元整
    pub amount_cn: String,
    pub method: String,
    pub handler: String,
    pub note: Option<String>,
    pub void: bool,
    /// A PNG of the firm's seal, drawn over 收款单位.
    pub seal_png: Option<Vec<u8>>,
}

pub const WIDTH: f32 = 800.0;
const MARGIN: f32 = 40.0;
const LABEL_W: f32 = 170.0;
const SIZE: f32 = 22.0;
const LINE: f32 = 32.0;
const PAD: f32 = 14.0;
/// Output pixels per layout pixel: sharp on phone screens.
pub const SCALE: f32 = 1.5;

pub struct Row {
    pub label: &'static str,
    pub lines: Vec<(f32, String)>,
    pub top: f32,
    pub height: f32,
    pub strong: bool,
}

#[derive(Template)]
#[template(path = "render/receipt.svg", escape = "html")]
struct ReceiptSvg<'a> {
    width: f32,
    height: f32,
    margin: f32,
    label_x: f32,
    value_x: f32,
    divider_x: f32,
    right: f32,
    d: &'a ReceiptData,
    rows: Vec<Row>,
    table_top: f32,
    table_bottom: f32,
    footer_lines: Vec<(f32, String)>,
    handler_y: f32,
    seal: Option<(f32, f32, String)>,
}

fn rows_of(d: &ReceiptData, top: f32) -> (Vec<Row>, f32, Option<Rect>) {
    let value_w = WIDTH - 2.0 * MARGIN - LABEL_W - 2.0 * PAD;
    let mut cells: Vec<(&'static str, String, bool)> = vec![("交款单位", d.payer.clone(), false)];
    if let Some(p) = &d.payer_person {
        cells.push(("付 款 人", p.clone(), false));
    }
    cells.push(("收款事由", d.item.clone(), false));
    if let Some(p) = &d.period {
        cells.push(("服务期间", p.clone(), false));
    }
    cells.push(("金额（小写）", d.amount_figures.clone(), true));
    cells.push(("金额（大写）", d.amount_cn.clone(), true));
    cells.push(("收款方式", d.method.clone(), false));
    if let Some(n) = &d.note {
        cells.push(("备　　注", n.clone(), false));
    }
    let mut y = top;
    let mut rows = Vec::new();
    let mut amount: Option<Rect> = None;
    for (label, value, strong) in cells {
        let wrapped = fonts::wrap(&value, SIZE, value_w);
        let height = wrapped.len() as f32 * LINE + 2.0 * PAD;
        let lines = wrapped
            .into_iter()
            .enumerate()
            .map(|(i, l)| (y + PAD + (i as f32 + 1.0) * LINE - 9.0, l))
            .collect();
        if strong {
            let r = Rect {
                x: MARGIN + LABEL_W + PAD,
                y,
                width: value_w,
                height,
            };
            amount = Some(match amount {
                None => r,
                Some(a) => Rect {
                    height: r.y + r.height - a.y,
                    ..a
                },
            });
        }
        rows.push(Row {
            label,
            lines,
            top: y,
            height,
            strong,
        });
        y += height;
    }
    (rows, y, amount)
}

/// The seal's side in layout pixels.
const SEAL: f32 = 150.0;

/// The receipt as SVG (what [`render`] rasterises), where the amount is and where the seal goes.
pub fn svg(d: &ReceiptData) -> AppResult<(String, Option<Rect>, Rect)> {
    let table_top = 140.0;
    let (rows, table_bottom, amount) = rows_of(d, table_top);
    let footer_w = WIDTH - 2.0 * MARGIN - 260.0;
    let footer_top = table_bottom + 48.0;
    let footer_lines: Vec<(f32, String)> =
        fonts::wrap(&format!("收款单位：{}", d.firm_name), SIZE, footer_w)
            .into_iter()
            .enumerate()
            .map(|(i, l)| (footer_top + i as f32 * LINE, l))
            .collect();
    let handler_y = footer_top + footer_lines.len() as f32 * LINE + 8.0;
    // The seal sits over the end of the firm's name, as a stamp on paper would.
    let seal_x = MARGIN
        + (footer_lines
            .first()
            .map_or(0.0, |(_, l)| fonts::text_width(l, SIZE))
            - 110.0)
            .clamp(0.0, footer_w);
    let seal_y = footer_top - 85.0;
    let height = (handler_y + 60.0).max(seal_y + 160.0);
    let seal = d
        .seal_png
        .as_ref()
        .map(|png| (seal_x, seal_y, png_data_uri(png)));
    let seal_area = Rect {
        x: seal_x,
        y: seal_y,
        width: SEAL,
        height: SEAL,
    };
    let page = ReceiptSvg {
        width: WIDTH,
        height,
        margin: MARGIN,
        label_x: MARGIN + PAD,
        value_x: MARGIN + LABEL_W + PAD,
        divider_x: MARGIN + LABEL_W,
        right: WIDTH - MARGIN,
        d,
        rows,
        table_top,
        table_bottom,
        footer_lines,
        handler_y,
        seal,
    };
    let svg = page
        .render()
        .map_err(|e| AppError::internal(format!("receipt template: {e}")))?;
    Ok((svg, amount, seal_area))
}

/// The receipt as a PNG.
pub fn render(d: &ReceiptData) -> AppResult<Image> {
    let (svg, amount_area, seal_area) = svg(d)?;
    let (png, width, height) = rasterise(&svg, SCALE)?;
    Ok(Image {
        png,
        width,
        height,
        scale: SCALE,
        amount_area,
        seal_area: d.seal_png.is_some().then_some(seal_area),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use resvg::tiny_skia::Pixmap;

    pub(crate) fn sample() -> ReceiptData {
        ReceiptData {
            firm_name: "杭州鑫犇财税咨询有限公司".into(),
            receipt_no: "SJ-2026-000123".into(),
            date: "2026年11月26日".into(),
            payer: "内蒙古自治区呼和浩特市赛罕区鑫犇淼燚堃昇商贸有限责任公司第一分公司".into(),
            payer_person: Some("王堃".into()),
            item: "代理记账服务费".into(),
            period: Some("2026年01月–2026年12月".into()),
            amount_figures: "¥3,600.00".into(),
            amount_cn: "人民币叁仟陆佰元整".into(),
            method: "转账".into(),
            handler: "李昇".into(),
            note: None,
            void: false,
            seal_png: None,
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
    fn a_receipt_decodes_with_its_size_and_the_amount_drawn() {
        let d = sample();
        let image = render(&d).unwrap();
        let pixmap = Pixmap::decode_png(&image.png).unwrap();
        assert_eq!(
            (pixmap.width(), pixmap.height()),
            (image.width, image.height)
        );
        assert_eq!(image.width, (WIDTH * SCALE) as u32);
        let amount = image.amount_area.unwrap();
        assert!(
            dark_pixels(&pixmap, amount, SCALE) > 500,
            "the amount is drawn"
        );
        // The long company name took two lines, so the image is taller than one with a short
        // name.
        let short = render(&ReceiptData {
            payer: "鑫犇公司".into(),
            ..sample()
        })
        .unwrap();
        assert!(image.height > short.height);
    }

    #[test]
    fn rare_characters_are_drawn_not_boxes() {
        // Every character is in the bundled font ...
        let text = "鑫犇淼燚堃昇";
        assert!(fonts::missing_glyphs(text).is_empty());
        // ... and drawing them puts ink where they are, different from a .notdef box: each
        // character alone renders to a different bitmap.
        let mut seen = std::collections::HashSet::new();
        for c in text.chars() {
            let svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><text x="4" y="52" font-size="56" font-family="Noto Sans SC">{c}</text></svg>"#
            );
            let (png, _, _) = rasterise(&svg, 1.0).unwrap();
            let p = Pixmap::decode_png(&png).unwrap();
            let ink = dark_pixels(
                &p,
                Rect {
                    x: 0.0,
                    y: 0.0,
                    width: 64.0,
                    height: 64.0,
                },
                1.0,
            );
            assert!(ink > 150, "{c} drew {ink} dark pixels");
            assert!(
                seen.insert(p.data().to_vec()),
                "{c} looks like another glyph"
            );
        }
    }

    #[test]
    fn a_void_receipt_says_so_and_its_text_is_escaped() {
        let (svg, _, _) = svg(&ReceiptData {
            void: true,
            note: Some("<script>".into()),
            ..sample()
        })
        .unwrap();
        assert!(svg.contains("作废"));
        assert!(
            !svg.contains("<script>") && svg.contains("script"),
            "text is escaped"
        );
    }

    /// Pixels inside `r` that are clearly red (a seal's ink, not the black or grey text).
    fn red_pixels(p: &Pixmap, r: Rect, scale: f32) -> usize {
        let mut n = 0;
        for y in (r.y * scale) as u32..((r.y + r.height) * scale) as u32 {
            for x in (r.x * scale) as u32..((r.x + r.width) * scale) as u32 {
                if let Some(c) = p.pixel(x, y)
                    && c.red() > 150
                    && c.green() < 100
                    && c.blue() < 100
                {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn a_seal_is_drawn_over_the_handler_area_only_when_there_is_one() {
        // A ring with a transparent middle, like a real seal exported as PNG.
        let mut ring = Pixmap::new(100, 100).unwrap();
        let mut paint = resvg::tiny_skia::Paint::default();
        paint.set_color_rgba8(220, 0, 0, 255);
        let circle = resvg::tiny_skia::PathBuilder::from_circle(50.0, 50.0, 44.0).unwrap();
        ring.stroke_path(
            &circle,
            &paint,
            &resvg::tiny_skia::Stroke {
                width: 8.0,
                ..Default::default()
            },
            resvg::tiny_skia::Transform::identity(),
            None,
        );
        let without = render(&sample()).unwrap();
        let with = render(&ReceiptData {
            seal_png: Some(ring.encode_png().unwrap()),
            ..sample()
        })
        .unwrap();
        assert!(without.seal_area.is_none());
        let area = with.seal_area.unwrap();
        let plain = Pixmap::decode_png(&without.png).unwrap();
        let sealed = Pixmap::decode_png(&with.png).unwrap();
        assert_eq!(red_pixels(&plain, area, SCALE), 0);
        assert!(
            red_pixels(&sealed, area, SCALE) > 1000,
            "the seal is drawn where it is said to be"
        );
        // The text under it shows through the transparent middle: the handler's name is still
        // there (dark pixels in the seal's box with and without it).
        assert!(dark_pixels(&sealed, area, SCALE) > 0);
        assert!(
            area.y + area.height > footer_handler_y(&sample()),
            "over the 收款单位 / 经办人 lines"
        );
    }

    fn footer_handler_y(d: &ReceiptData) -> f32 {
        let (svg, _, _) = svg(d).unwrap();
        let at = svg.find("经办人：").unwrap();
        let before = &svg[..at];
        let y = before.rsplit("y=\"").next().unwrap();
        y.split('"').next().unwrap().parse().unwrap()
    }
}
