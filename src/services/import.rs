//! A small, reusable import engine for spreadsheets people fill in by hand: XLSX (calamine) or
//! CSV in UTF-8 or GBK (encoding_rs), the first sheet, the first non-empty row as headers.
//!
//! Headers are matched leniently: full-width and half-width forms are the same, spaces and the
//! `*` that marks a required column are ignored, letters compare without case, and each column
//! may have aliases. Every data row goes through the caller's parsing callback; any row's error is
//! collected with its row number (as the spreadsheet shows it), and the caller saves nothing
//! unless [`Parsed::errors`] is empty — all or nothing. Writers for the template and for exports
//! (rust_xlsxwriter) live here too, so a download has the exact shape an upload expects.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{AppError, AppResult};

/// At most this many data rows per file.
pub const MAX_ROWS: usize = 5000;
/// At most this many bytes per file (handlers enforce it on upload).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// At most this many errors are reported (the rest are counted).
pub const MAX_REPORTED_ERRORS: usize = 200;

/// One column the importer knows.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The key the parsing callback asks for.
    pub key: &'static str,
    /// The header the template writes.
    pub header: &'static str,
    /// Other headers accepted for it.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// A file's first sheet as text: headers and data rows with their spreadsheet row numbers.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub headers: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// One data row, by column key.
pub struct Row<'a> {
    pub number: usize,
    values: HashMap<&'static str, &'a str>,
}

impl Row<'_> {
    /// The trimmed cell under the column `key` (empty if the column is absent).
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", |v| v.trim())
    }

    /// The cell, or an error naming the column when it is empty.
    pub fn required(&self, key: &str, header: &str) -> Result<&str, String> {
        let v = self.get(key);
        if v.is_empty() {
            Err(format!("“{header}”不能为空"))
        } else {
            Ok(v)
        }
    }
}

/// A row that could not be used, and why (in Chinese).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub message: String,
}

/// What parsing a sheet gave: the good rows, and every row's error.
#[derive(Debug)]
pub struct Parsed<T> {
    pub rows: Vec<(usize, T)>,
    pub errors: Vec<RowError>,
    /// Errors beyond [`MAX_REPORTED_ERRORS`], counted only.
    pub more_errors: usize,
}

impl<T> Parsed<T> {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Folds a header for matching: full-width ASCII to half-width, no spaces, no `*`, lower case.
pub fn normalize_header(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && *c != '*')
        .flat_map(char::to_lowercase)
        .collect()
}

fn looks_like_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads an uploaded file (XLSX, or CSV in UTF-8 with or without BOM, or GBK).
pub fn read(bytes: &[u8]) -> AppResult<Sheet> {
    read_limited(bytes, MAX_ROWS, MAX_BYTES)
}

/// [`read`] with other limits, for files bigger than a hand-kept list (bookkeeping data).
pub fn read_limited(bytes: &[u8], max_rows: usize, max_bytes: usize) -> AppResult<Sheet> {
    if bytes.len() > max_bytes {
        return Err(AppError::PayloadTooLarge(format!(
            "文件太大，最大{}MB",
            max_bytes / 1024 / 1024
        )));
    }
    if bytes.is_empty() {
        return Err(AppError::Validation("文件是空的".into()));
    }
    let grid = if looks_like_xlsx(bytes) {
        read_xlsx(bytes, max_rows)?
    } else {
        read_csv(&decode_text(bytes), max_rows)?
    };
    into_sheet(grid, max_rows)
}

/// CSV text: UTF-8 (a BOM is dropped) when valid, otherwise GBK as Excel in China saves it.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    }
}

fn read_csv(text: &str, max_rows: usize) -> AppResult<Vec<Vec<String>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // Newlines counted so far, up to `counted` (counting from the start each time is quadratic).
    let (mut counted, mut newlines) = (0usize, 0usize);
    for record in reader.records() {
        let record =
            record.map_err(|e| AppError::Validation(format!("CSV 文件格式不正确：{e}")))?;
        // The reader skips blank lines: keep rows numbered by the line they start on.
        // A record's position is where the previous one ended, before any blank lines.
        let line = record.position().map_or(out.len() + 1, |p| {
            let bytes = text.as_bytes();
            let mut start = (p.byte() as usize).min(bytes.len());
            while start < bytes.len() && matches!(bytes[start], b'\n' | b'\r') {
                start += 1;
            }
            if start >= counted {
                newlines += bytes[counted..start]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count();
                counted = start;
            } else {
                newlines = bytes[..start].iter().filter(|b| **b == b'\n').count();
                counted = start;
            }
            newlines + 1
        });
        while out.len() + 1 < line {
            out.push(Vec::new());
        }
        out.push(record.iter().map(str::to_string).collect());
        if out.len() > max_rows + 10 {
            break;
        }
    }
    Ok(out)
}

fn read_xlsx(bytes: &[u8], max_rows: usize) -> AppResult<Vec<Vec<String>>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        AppError::Validation(format!("无法读取 Excel 文件，请另存为 .xlsx 后重试（{e}）"))
    })?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| AppError::Validation("Excel 文件中没有工作表".into()))?
        .map_err(|e| AppError::Validation(format!("无法读取工作表：{e}")))?;
    // Rows are numbered as the spreadsheet shows them, starting from the range's first row.
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut out = vec![Vec::new(); first_row as usize];
    for row in range.rows() {
        let mut cells = vec![String::new(); first_col as usize];
        cells.extend(row.iter().map(cell_text));
        out.push(cells);
        if out.len() > max_rows + 10 + first_row as usize {
            break;
        }
    }
    Ok(out)
}

/// A cell as text: whole numbers without `.0`, dates as `YYYY-MM-DD`.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

fn excel_date(serial: f64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    match base.checked_add_signed(chrono::Duration::days(serial.floor() as i64)) {
        Some(d) => d.format("%Y-%m-%d").to_string(),
        None => serial.to_string(),
    }
}

fn into_sheet(grid: Vec<Vec<String>>, max_rows: usize) -> AppResult<Sheet> {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    let mut numbered = grid.into_iter().enumerate().map(|(i, r)| (i + 1, r));
    let headers = numbered
        .by_ref()
        .find(|(_, r)| !blank(r))
        .map(|(_, r)| r)
        .ok_or_else(|| AppError::Validation("文件中没有内容".into()))?;
    let rows: Vec<(usize, Vec<String>)> = numbered.filter(|(_, r)| !blank(r)).collect();
    if rows.len() > max_rows {
        return Err(AppError::Validation(format!(
            "一次最多导入{max_rows}行，请分批导入"
        )));
    }
    Ok(Sheet { headers, rows })
}

/// Maps the sheet's headers to `columns` and runs `parse` over every row. Missing required
/// headers refuse the whole file; each row's problem is collected with its row number.
pub fn parse<T>(
    sheet: &Sheet,
    columns: &[Column],
    mut parse: impl FnMut(&Row<'_>) -> Result<T, String>,
) -> AppResult<Parsed<T>> {
    let normalized: Vec<String> = sheet.headers.iter().map(|h| normalize_header(h)).collect();
    let mut index: Vec<(&'static str, usize)> = Vec::new();
    let mut missing = Vec::new();
    for col in columns {
        let names: Vec<String> = std::iter::once(col.header)
            .chain(col.aliases.iter().copied())
            .map(normalize_header)
            .collect();
        match normalized.iter().position(|h| names.contains(h)) {
            Some(i) => index.push((col.key, i)),
            None if col.required => missing.push(col.header),
            None => {}
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Validation(format!(
            "表头缺少列：{}。请下载模板，按模板的表头填写",
            missing.join("、")
        )));
    }
    if sheet.rows.is_empty() {
        return Err(AppError::Validation("文件中只有表头，没有数据行".into()));
    }
    let mut parsed = Parsed {
        rows: Vec::new(),
        errors: Vec::new(),
        more_errors: 0,
    };
    for (number, cells) in &sheet.rows {
        let values = index
            .iter()
            .map(|(key, i)| (*key, cells.get(*i).map_or("", String::as_str)))
            .collect();
        let row = Row {
            number: *number,
            values,
        };
        match parse(&row) {
            Ok(value) => parsed.rows.push((*number, value)),
            Err(message) if parsed.errors.len() < MAX_REPORTED_ERRORS => {
                parsed.errors.push(RowError {
                    row: *number,
                    message,
                })
            }
            Err(_) => parsed.more_errors += 1,
        }
    }
    Ok(parsed)
}

/// An XLSX workbook with one sheet: a bold header row, then the rows, columns sized to fit.
pub fn write_xlsx(sheet_name: &str, headers: &[&str], rows: &[Vec<String>]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name).map_err(fail)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    for (c, h) in headers.iter().enumerate() {
        let c = c as u16;
        sheet
            .write_string_with_format(0, c, *h, &bold)
            .map_err(fail)?;
        let widest = rows
            .iter()
            .filter_map(|r| r.get(c as usize))
            .map(|v| v.chars().count().min(60))
            .chain(std::iter::once(h.chars().count()))
            .max()
            .unwrap_or(8);
        sheet
            .set_column_width(c, (widest as f64 * 2.0).clamp(8.0, 80.0))
            .map_err(fail)?;
        sheet.set_column_format(c, &text).map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string((r + 1) as u32, c as u16, v)
                .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[Column] = &[
        Column {
            key: "title",
            header: "标题",
            aliases: &["问题"],
            required: true,
        },
        Column {
            key: "count",
            header: "数量 (个)",
            aliases: &[],
            required: false,
        },
    ];

    fn parse_numbers(sheet: &Sheet) -> AppResult<Parsed<(String, i64)>> {
        parse(sheet, COLUMNS, |row| {
            let title = row.required("title", "标题")?.to_string();
            let count = match row.get("count") {
                "" => 0,
                v => v.parse().map_err(|_| format!("数量“{v}”不是整数"))?,
            };
            Ok((title, count))
        })
    }

    #[test]
    fn headers_match_across_widths_spaces_stars_and_aliases() {
        assert_eq!(
            normalize_header(" *数量（个）"),
            normalize_header("数量 (个)")
        );
        assert_eq!(normalize_header("ＡＢＣ　d"), "abcd");
        let sheet = into_sheet(
            vec![
                vec![],
                vec!["＊问题".into(), "数量（个）".into()],
                vec!["发票怎么开".into(), "３".into()],
            ],
            MAX_ROWS,
        )
        .unwrap();
        // A full-width digit is not silently read as a number.
        let parsed = parse_numbers(&sheet).unwrap();
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].row, 3);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_spreadsheet_row_number() {
        let csv = "标题,数量 (个)\n甲,1\n,2\n\n乙,x\n丙,\n";
        let sheet = read(csv.as_bytes()).unwrap();
        let parsed = parse_numbers(&sheet).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(
            parsed.errors,
            vec![
                RowError {
                    row: 3,
                    message: "“标题”不能为空".into()
                },
                RowError {
                    row: 5,
                    message: "数量“x”不是整数".into()
                },
            ]
        );
        assert!(!parsed.is_ok());
    }

    #[test]
    fn a_missing_required_header_refuses_the_file() {
        let sheet = read("名称,数量 (个)\n甲,1\n".as_bytes()).unwrap();
        let err = parse_numbers(&sheet).unwrap_err();
        assert!(err.to_string().contains("标题"), "{err}");
    }

    #[test]
    fn gbk_and_bom_csv_are_read() {
        let (gbk, _, _) = encoding_rs::GBK.encode("标题\n增值税申报\n");
        let sheet = read(&gbk).unwrap();
        assert_eq!(sheet.headers, vec!["标题"]);
        assert_eq!(sheet.rows[0].1, vec!["增值税申报"]);
        let bom = b"\xEF\xBB\xBF\xE6\xA0\x87\xE9\xA2\x98\nx\n";
        assert_eq!(read(bom).unwrap().headers, vec!["标题"]);
    }

    #[test]
    fn an_xlsx_written_here_reads_back() {
        let bytes = write_xlsx(
            "知识库",
            &["标题", "数量 (个)"],
            &[vec!["甲".into(), "12".into()], vec!["乙".into(), "".into()]],
        )
        .unwrap();
        let sheet = read(&bytes).unwrap();
        let parsed = parse_numbers(&sheet).unwrap();
        assert!(parsed.is_ok(), "{:?}", parsed.errors);
        assert_eq!(
            parsed.rows,
            vec![(2, ("甲".to_string(), 12)), (3, ("乙".to_string(), 0))]
        );
    }

    #[test]
    fn garbage_that_claims_to_be_xlsx_is_refused_in_chinese() {
        let err = read(b"PK\x03\x04garbage").unwrap_err();
        assert!(matches!(err, AppError::Validation(m) if m.contains("Excel")));
    }
}
