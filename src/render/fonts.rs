//! The one font images are drawn with: Noto Sans SC Regular (SIL Open Font License 1.1, see
//! `assets/fonts/OFL.txt`), subset to Latin, general punctuation and symbols, CJK punctuation,
//! full-width forms and every CJK ideograph the font has (the basic block, Extension A and the
//! Extension B+ characters of the 通用规范汉字表), shipped in the repository and compiled into
//! the binary. No system font is ever looked up, so a fresh machine draws the same image and a
//! missing glyph cannot be silently replaced by another font's.

use std::sync::{Arc, OnceLock};

use resvg::usvg::fontdb;

/// The font file, compiled in.
pub static FONT_DATA: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-Regular.ttf");

/// The family name templates use.
pub const FAMILY: &str = "Noto Sans SC";

/// The font database holding only the bundled font.
pub fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        // The compiled-in bytes themselves, not a heap copy of them: the 10 MB font then stays
        // in the binary's read-only pages, which the kernel shares and can drop under pressure.
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT_DATA)));
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_monospace_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

fn face() -> Option<&'static ttf_parser::Face<'static>> {
    static FACE: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    FACE.get_or_init(|| ttf_parser::Face::parse(FONT_DATA, 0).ok())
        .as_ref()
}

/// The characters of `text` the font has no glyph for (whitespace and controls aside).
pub fn missing_glyphs(text: &str) -> Vec<char> {
    let Some(face) = face() else {
        return text.chars().collect();
    };
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .filter(|c| face.glyph_index(*c).is_none())
        .collect()
}

/// How wide `text` is at `size` px, from the font's advance widths (a character the font lacks
/// counts as a full em).
pub fn text_width(text: &str, size: f32) -> f32 {
    let Some(face) = face() else {
        return text.chars().count() as f32 * size;
    };
    let per_unit = size / f32::from(face.units_per_em());
    text.chars()
        .map(|c| {
            face.glyph_index(c)
                .and_then(|g| face.glyph_hor_advance(g))
                .map_or(size, |a| f32::from(a) * per_unit)
        })
        .sum()
}

/// Breaks `text` into lines no wider than `max_width` at `size` px, between any two characters
/// (Chinese has no spaces to break at), never splitting a run of ASCII letters or digits unless
/// the run alone is too wide.
pub fn wrap(text: &str, size: f32, max_width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        // Tokens: an ASCII alphanumeric run or a single other character.
        let mut tokens: Vec<String> = Vec::new();
        for c in paragraph.chars() {
            match tokens.last_mut() {
                Some(last)
                    if c.is_ascii_alphanumeric()
                        && last.chars().all(|l| l.is_ascii_alphanumeric()) =>
                {
                    last.push(c)
                }
                _ => tokens.push(c.to_string()),
            }
        }
        for token in tokens {
            let candidate = format!("{line}{token}");
            if line.is_empty() || text_width(&candidate, size) <= max_width {
                line = candidate;
                continue;
            }
            // Closing punctuation stays with the line it closes.
            if token
                .chars()
                .all(|c| "，。、；：！？）》」』”’,.;:!?)".contains(c))
            {
                line = candidate;
                continue;
            }
            lines.push(std::mem::take(&mut line));
            line = token;
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_has_the_rare_characters_of_company_names() {
        assert_eq!(
            missing_glyphs("鑫 犇 淼 燚 堃 昇 垚 喆 祎 玥 赟 翀"),
            Vec::<char>::new()
        );
        assert_eq!(
            missing_glyphs("收款收据 ¥3,600.00 人民币叁仟陆佰元整 （）【】—·"),
            Vec::<char>::new()
        );
        // A character no Chinese font has: the check can fail.
        assert_eq!(missing_glyphs("\u{E000}"), vec!['\u{E000}']);
    }

    #[test]
    fn long_names_wrap_within_the_width() {
        let name = "内蒙古自治区呼和浩特市赛罕区鑫犇淼燚商贸有限责任公司第一分公司";
        let lines = wrap(name, 24.0, 300.0);
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), name);
        for l in &lines {
            assert!(text_width(l, 24.0) <= 300.0 + 0.1, "{l}");
        }
        assert_eq!(wrap("ABC123 公司", 24.0, 1000.0), vec!["ABC123 公司"]);
    }
}
