//! Cells as people type them in Excel, read into the values the API takes: amounts with 元 and
//! thousands separators as integer fen, dates and periods in the forms Excel produces, rates,
//! yes/no, and choices by their Chinese names.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Full-width digits, letters and punctuation as half-width; the ideographic space as a space.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A decimal number with at most `places` decimals, scaled by 10^places: "1,234.5" → 123450 for
/// places = 2. Floating noise from Excel ("0.30000000000000004") is rounded when it is noise.
fn scaled(text: &str, places: u32) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        },
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let factor = 10i64.pow(places);
    let value = if fraction.len() <= places as usize {
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut frac: i64 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        frac *= 10i64.pow(places - fraction.len() as u32);
        whole.checked_mul(factor)?.checked_add(frac)?
    } else {
        let f: f64 = format!("{}.{fraction}", if whole.is_empty() { "0" } else { whole })
            .parse()
            .ok()?;
        let v = f * factor as f64;
        if (v - v.round()).abs() > 1e-6 || v.abs() > 9e15 {
            return None;
        }
        v.round() as i64
    };
    Some(if negative { -value } else { value })
}

/// An amount in 元 as integer fen: `1,234.50`, `¥1234.5`, `1234.50元`, `１２３４` all work.
pub fn fen(text: &str) -> Result<i64, String> {
    let cleaned: String = half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '，' | '¥' | '￥'))
        .collect();
    let cleaned = cleaned
        .trim_start_matches("RMB")
        .trim_end_matches("人民币")
        .trim_end_matches('元');
    scaled(cleaned, 2).ok_or_else(|| format!("金额“{text}”无法识别，应为数字，最多两位小数"))
}

/// A whole number (counts, order, 行次).
pub fn int(text: &str) -> Result<i64, String> {
    let cleaned: String = half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',')
        .collect();
    match scaled(&cleaned, 0) {
        Some(v) => Ok(v),
        None => Err(format!("“{text}”不是整数")),
    }
}

/// A percentage as a whole number: `7%`, `7` → 7.
pub fn percent(text: &str) -> Result<i64, String> {
    let cleaned = half_width(text);
    let cleaned = cleaned.trim().trim_end_matches('%');
    int(cleaned.trim()).map_err(|_| format!("“{text}”不是百分比，如 7%"))
}

/// A tax rate in basis points: `13%`, `0.13`, `13` → 1300; `1.5%` → 150; 免税 → 0.
pub fn rate_bp(text: &str) -> Result<i64, String> {
    let cleaned: String = half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if ["免税", "不征税", "免征", "***"].contains(&cleaned.as_str()) {
        return Ok(0);
    }
    let fail = || format!("税率“{text}”无法识别，应如 13%、6%、1%");
    if let Some(number) = cleaned.strip_suffix('%') {
        return scaled(number, 2).ok_or_else(fail);
    }
    let hundredths = scaled(&cleaned, 4).ok_or_else(fail)?;
    // 0.13 is a fraction; 13 is percent.
    if hundredths < 10_000 && cleaned.contains('.') {
        Ok(hundredths)
    } else {
        scaled(&cleaned, 2).ok_or_else(fail)
    }
}

/// Excel's day number (the 1900 system): 45991 is 2025-11-30.
fn excel_serial(text: &str) -> Option<NaiveDate> {
    let n: f64 = text.parse().ok()?;
    if !(1.0..=2_958_465.0).contains(&n) || text.len() > 12 {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(n.floor() as i64))
}

fn date_forms(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    // A time after the date ("2026-11-05 00:00:00", "2026-11-05T08:00") is dropped.
    let day = text
        .split([' ', 'T'])
        .next()
        .unwrap_or(text)
        .trim_end_matches('日');
    let unified: String = day
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' | '月' => '-',
            c => c,
        })
        .collect();
    if let Ok(d) = NaiveDate::parse_from_str(&unified, "%Y-%m-%d") {
        return Some(d);
    }
    if unified.len() == 8
        && unified.chars().all(|c| c.is_ascii_digit())
        && let Ok(d) = NaiveDate::parse_from_str(&unified, "%Y%m%d")
    {
        return Some(d);
    }
    // Month first, as US-formatted Excel writes it: 11/5/2026.
    if let Ok(d) = NaiveDate::parse_from_str(&unified, "%m-%d-%Y") {
        return Some(d);
    }
    if day.len() <= 7 && day.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return excel_serial(day);
    }
    None
}

/// A date as `YYYY-MM-DD` from `2026-11-05`, `2026/11/5`, `2026.11.5`, `2026年11月5日`,
/// `20261105`, `2026-11-05 00:00:00` or Excel's day number.
pub fn date(text: &str) -> Result<String, String> {
    date_forms(&half_width(text))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| format!("日期“{text}”无法识别，应如 2026-11-05"))
}

/// A period as `YYYY-MM` from `2026-11`, `2026/11`, `2026年11月`, `202611`, or any date in it.
pub fn period(text: &str) -> Result<String, String> {
    let fail = || format!("期间“{text}”无法识别，应如 2026-11");
    let text = half_width(text);
    let text = text.trim();
    let unified: String = text
        .trim_end_matches('月')
        .chars()
        .map(|c| match c {
            '/' | '.' | '年' => '-',
            c => c,
        })
        .collect();
    let month = |y: &str, m: &str| -> Option<String> {
        let y: i32 = y.parse().ok()?;
        let m: u32 = m.parse().ok()?;
        ((1000..=9999).contains(&y) && (1..=12).contains(&m)).then(|| format!("{y:04}-{m:02}"))
    };
    if let Some((y, m)) = unified.split_once('-')
        && !m.contains('-')
    {
        return month(y, m).ok_or_else(fail);
    }
    if unified.len() == 6 && unified.chars().all(|c| c.is_ascii_digit()) {
        return month(&unified[..4], &unified[4..]).ok_or_else(fail);
    }
    date_forms(text)
        .map(|d| d.format("%Y-%m").to_string())
        .ok_or_else(fail)
}

/// A moment in Beijing time as RFC 3339: a date (midnight) or a date and time.
pub fn time(text: &str) -> Result<String, String> {
    let fail = || format!("时间“{text}”无法识别，应如 2026-11-05 10:30");
    let text = half_width(text);
    let text = text.trim();
    let day = date_forms(text).ok_or_else(fail)?;
    let clock = text
        .split_once([' ', 'T'])
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let at = match clock {
        None => NaiveTime::MIN,
        Some(t) => NaiveTime::parse_from_str(t, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
            .map_err(|_| fail())?,
    };
    Ok(format!(
        "{}+08:00",
        NaiveDateTime::new(day, at).format("%Y-%m-%dT%H:%M:%S")
    ))
}

/// Yes or no: 是/否, Y/N, true/false, 1/0, √/×.
pub fn yes_no(text: &str) -> Result<bool, String> {
    match half_width(text).trim().to_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "√" | "✓" | "对" => Ok(true),
        "否" | "n" | "no" | "false" | "0" | "×" | "x" | "不是" => Ok(false),
        _ => Err(format!("“{text}”应填“是”或“否”")),
    }
}

/// The code a cell names, by code or by one of its Chinese names.
pub fn choice(
    text: &str,
    options: &[(&'static str, &'static [&'static str])],
) -> Result<&'static str, String> {
    let fold = |t: &str| -> String {
        half_width(t)
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = fold(text);
    options
        .iter()
        .find(|(code, names)| fold(code) == wanted || names.iter().any(|n| fold(n) == wanted))
        .map(|(code, _)| *code)
        .ok_or_else(|| {
            let names: Vec<&str> = options
                .iter()
                .map(|(code, names)| names.first().copied().unwrap_or(code))
                .collect();
            format!("“{text}”不是可选的值，应为：{}", names.join("、"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_yuan_become_fen() {
        assert_eq!(fen("1,234.50"), Ok(123_450));
        assert_eq!(fen("¥1234.5元"), Ok(123_450));
        assert_eq!(fen("１２３４"), Ok(123_400));
        assert_eq!(fen("0.30000000000000004"), Ok(30));
        assert_eq!(fen("-12.3"), Ok(-1230));
        assert_eq!(fen(" 12，000 元 "), Ok(1_200_000));
        assert!(fen("12.345").is_err());
        assert!(fen("十二元").is_err());
        assert!(fen("").is_err());
    }

    #[test]
    fn dates_in_the_forms_excel_produces() {
        for text in [
            "2026-11-05",
            "2026/11/5",
            "2026.11.05",
            "2026年11月5日",
            "20261105",
            "2026-11-05 00:00:00",
            "46331",
            "１１/５/２０２６",
        ] {
            assert_eq!(date(text), Ok("2026-11-05".to_string()), "{text}");
        }
        assert!(date("2026-13-01").is_err());
        assert!(date("昨天").is_err());
    }

    #[test]
    fn periods_and_times() {
        for text in [
            "2026-11",
            "2026/11",
            "2026年11月",
            "202611",
            "2026-11-30",
            "46331",
        ] {
            assert_eq!(period(text), Ok("2026-11".to_string()), "{text}");
        }
        assert!(period("2026-13").is_err());
        assert_eq!(
            time("2026/11/5 9:30"),
            Ok("2026-11-05T09:30:00+08:00".to_string())
        );
        assert_eq!(
            time("2026-11-05"),
            Ok("2026-11-05T00:00:00+08:00".to_string())
        );
    }

    #[test]
    fn rates_yes_no_and_choices() {
        assert_eq!(rate_bp("13%"), Ok(1300));
        assert_eq!(rate_bp("0.13"), Ok(1300));
        assert_eq!(rate_bp("13"), Ok(1300));
        assert_eq!(rate_bp("1.5%"), Ok(150));
        assert_eq!(rate_bp("免税"), Ok(0));
        assert_eq!(percent("7%"), Ok(7));
        assert_eq!(yes_no("是"), Ok(true));
        assert_eq!(yes_no("N"), Ok(false));
        let options: &[(&str, &[&str])] = &[("in", &["进项"]), ("out", &["销项"])];
        assert_eq!(choice("销项", options), Ok("out"));
        assert_eq!(choice(" IN ", options), Ok("in"));
        assert!(choice("其他", options).unwrap_err().contains("进项、销项"));
    }
}
