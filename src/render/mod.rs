//! Images and files made on the server: the receipt and collection-detail images (askama SVG
//! templates rasterised by resvg with the bundled CJK font), the statements as XLSX and as one
//! tall image (same rasteriser), and the small chart of the last twelve periods as inline SVG.
//!
//! Everything here is pure: data in, bytes out. Services gather the data; the web layer serves
//! the bytes or hands them to WeCom.

pub mod chart;
pub mod collection;
pub mod fonts;
pub mod receipt;
pub mod report;
pub mod statements;

use resvg::{tiny_skia, usvg};

use crate::error::{AppError, AppResult};

/// A rectangle in image pixels (before the output scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// A PNG and where its key parts were drawn.
#[derive(Clone, Debug)]
pub struct Image {
    pub png: Vec<u8>,
    /// Pixel size of the PNG.
    pub width: u32,
    pub height: u32,
    /// Device pixels per layout pixel.
    pub scale: f32,
    /// Where the amount (figures and 大写) was drawn, in layout pixels.
    pub amount_area: Option<Rect>,
    /// Where a seal is drawn when there is one (receipts), in layout pixels.
    pub seal_area: Option<Rect>,
}

/// Rasterises an SVG document with the bundled font only, at `scale` device pixels per SVG
/// pixel, on a white background.
pub fn rasterise(svg: &str, scale: f32) -> AppResult<(Vec<u8>, u32, u32)> {
    let options = usvg::Options {
        font_family: fonts::FAMILY.to_string(),
        fontdb: fonts::database(),
        languages: vec!["zh-CN".to_string()],
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| AppError::internal(format!("SVG template does not parse: {e}")))?;
    let size = tree.size();
    let width = (size.width() * scale).ceil() as u32;
    let height = (size.height() * scale).ceil() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| AppError::internal("image size is zero"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap
        .encode_png()
        .map_err(|e| AppError::internal(format!("PNG encoding: {e}")))?;
    Ok((png, width, height))
}

/// A `data:` URI for a PNG, for `<image href>`.
pub fn png_data_uri(png: &[u8]) -> String {
    use base64::Engine;
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}
