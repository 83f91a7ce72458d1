//! The small chart above the statements: the last twelve periods' revenue (bars), net profit and
//! tax (lines), as inline SVG sized for a 360 px sidebar (it scales with the page width).

use askama::Template;

use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartPoint {
    /// YYYY-MM
    pub period: String,
    pub revenue_fen: i64,
    pub net_profit_fen: i64,
    pub tax_fen: i64,
}

pub struct Bar {
    pub x: f32,
    pub y: f32,
    pub height: f32,
    pub label: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "render/chart.svg", escape = "html")]
struct ChartSvg {
    width: f32,
    height: f32,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    zero_y: f32,
    bar_width: f32,
    bars: Vec<Bar>,
    profit: String,
    tax: String,
    profit_dots: Vec<(f32, f32)>,
    tax_dots: Vec<(f32, f32)>,
    max_label: String,
    min_label: Option<String>,
    empty: bool,
}

fn wan(fen: i64) -> String {
    let yuan = fen as f64 / 100.0;
    if yuan.abs() >= 10_000.0 {
        format!("{:.1}万", yuan / 10_000.0)
    } else {
        format!("{yuan:.0}")
    }
}

/// The chart as an SVG element to put inline in a page.
pub fn svg(points: &[ChartPoint]) -> AppResult<String> {
    let (width, height) = (340.0_f32, 190.0_f32);
    let (left, right, top, bottom) = (40.0_f32, 332.0_f32, 28.0_f32, 160.0_f32);
    let values = points
        .iter()
        .flat_map(|p| [p.revenue_fen, p.net_profit_fen, p.tax_fen]);
    let max = values.clone().max().unwrap_or(0).max(1);
    let min = values.min().unwrap_or(0).min(0);
    let span = (max - min) as f32;
    let y_of = |v: i64| bottom - (v - min) as f32 / span * (bottom - top);
    let zero_y = y_of(0);
    let n = points.len().max(1) as f32;
    let step = (right - left) / n;
    let bar_width = (step * 0.55).max(2.0);
    let center = |i: usize| left + step * (i as f32 + 0.5);
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let y = y_of(p.revenue_fen.max(0));
            Bar {
                x: center(i) - bar_width / 2.0,
                y,
                height: (zero_y - y).max(0.0),
                label: p
                    .period
                    .get(5..7)
                    .map(|m| format!("{}月", m.trim_start_matches('0')))
                    .unwrap_or_default(),
                title: format!(
                    "{} 收入{} 净利润{} 税{}",
                    p.period,
                    wan(p.revenue_fen),
                    wan(p.net_profit_fen),
                    wan(p.tax_fen)
                ),
            }
        })
        .collect();
    let dots = |f: fn(&ChartPoint) -> i64| -> Vec<(f32, f32)> {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| (center(i), y_of(f(p))))
            .collect()
    };
    let profit_dots = dots(|p| p.net_profit_fen);
    let tax_dots = dots(|p| p.tax_fen);
    let path = |d: &[(f32, f32)]| {
        d.iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    ChartSvg {
        width,
        height,
        left,
        right,
        top,
        bottom,
        zero_y,
        bar_width,
        bars,
        profit: path(&profit_dots),
        tax: path(&tax_dots),
        profit_dots,
        tax_dots,
        max_label: wan(max),
        min_label: (min < 0).then(|| wan(min)),
        empty: points.is_empty(),
    }
    .render()
    .map_err(|e| AppError::internal(format!("chart template: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_periods_draw_twelve_bars_and_two_lines() {
        let points: Vec<ChartPoint> = (1..=12)
            .map(|m| ChartPoint {
                period: format!("2026-{m:02}"),
                revenue_fen: 1_000_000 * m,
                net_profit_fen: 100_000 * (m - 4),
                tax_fen: 30_000 * m,
            })
            .collect();
        let svg = svg(&points).unwrap();
        assert_eq!(svg.matches("class=\"bar\"").count(), 12);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("viewBox=\"0 0 340 190\""));
        assert!(svg.contains("12月") && svg.contains("收入") && svg.contains("净利润"));
        // It is valid SVG that renders with the bundled font.
        crate::render::rasterise(&svg, 1.0).unwrap();
        assert!(super::svg(&[]).unwrap().contains("暂无"));
    }
}
