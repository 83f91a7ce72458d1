//! Receipt (收据) numbers and amounts.
//!
//! Numbers look like "SJ-2026-000123": the year makes the yearly sequence
//! restart visible, and the fixed width keeps them sortable as text in
//! spreadsheets the firms export.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::money::Money;

pub const RECEIPT_PREFIX: &str = "SJ";
pub const MAX_SEQUENCE: u32 = 999_999;
const SEQ_WIDTH: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReceiptError {
    #[error("收据编号格式不正确：“{0}”，应为 SJ-年份-6位序号，例如 SJ-2026-000123")]
    Format(String),
    #[error("收据编号年份不正确：{0}")]
    Year(i32),
    #[error("收据序号应在 1–999999 之间：{0}")]
    Sequence(u32),
    #[error("收据金额必须大于零：{0}")]
    NonPositiveAmount(Money),
    #[error("收据金额过大，无法写成大写：{0}")]
    AmountTooLarge(Money),
}

/// A validated receipt number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReceiptNo {
    year: i32,
    seq: u32,
}

impl ReceiptNo {
    pub fn new(year: i32, seq: u32) -> Result<ReceiptNo, ReceiptError> {
        // Four-digit years only, so the text form has a fixed layout.
        if !(1000..=9999).contains(&year) {
            return Err(ReceiptError::Year(year));
        }
        if !(1..=MAX_SEQUENCE).contains(&seq) {
            return Err(ReceiptError::Sequence(seq));
        }
        Ok(ReceiptNo { year, seq })
    }

    /// Strict parse (surrounding whitespace aside): numbers are printed on
    /// paper and matched against the database, so near-misses are errors.
    pub fn parse(input: &str) -> Result<ReceiptNo, ReceiptError> {
        let text = input.trim();
        let format_err = || ReceiptError::Format(text.to_string());
        let mut parts = text.split('-');
        let (Some(prefix), Some(year), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format_err());
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if prefix != RECEIPT_PREFIX
            || year.len() != 4
            || !all_digits(year)
            || seq.len() != SEQ_WIDTH
            || !all_digits(seq)
        {
            return Err(format_err());
        }
        let year: i32 = year.parse().map_err(|_| format_err())?;
        let seq: u32 = seq.parse().map_err(|_| format_err())?;
        ReceiptNo::new(year, seq)
    }

    pub const fn year(self) -> i32 {
        self.year
    }

    pub const fn seq(self) -> u32 {
        self.seq
    }

    /// The following number in the same year; errors once the yearly
    /// sequence is exhausted rather than silently widening the format.
    pub fn next(self) -> Result<ReceiptNo, ReceiptError> {
        ReceiptNo::new(self.year, self.seq.saturating_add(1))
    }
}

impl fmt::Display for ReceiptNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{RECEIPT_PREFIX}-{:04}-{:0width$}",
            self.year,
            self.seq,
            width = SEQ_WIDTH
        )
    }
}

impl FromStr for ReceiptNo {
    type Err = ReceiptError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReceiptNo::parse(s)
    }
}

impl Serialize for ReceiptNo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReceiptNo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        ReceiptNo::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Checks that an amount can go on a receipt: positive (refunds are not
/// receipts) and small enough to be written in 大写.
pub fn validate_receipt_amount(amount: Money) -> Result<Money, ReceiptError> {
    if !amount.is_positive() {
        return Err(ReceiptError::NonPositiveAmount(amount));
    }
    if amount.to_chinese_upper().is_err() {
        return Err(ReceiptError::AmountTooLarge(amount));
    }
    Ok(amount)
}

/// An amount already validated for a receipt, with both printed forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ReceiptAmount(Money);

impl ReceiptAmount {
    pub fn new(amount: Money) -> Result<ReceiptAmount, ReceiptError> {
        validate_receipt_amount(amount).map(ReceiptAmount)
    }

    pub const fn money(self) -> Money {
        self.0
    }

    /// 小写, e.g. "¥3,600.00".
    pub fn lowercase(self) -> String {
        self.0.to_yuan_string()
    }

    /// 大写, e.g. "人民币叁仟陆佰元整". Infallible because `new` already
    /// proved the conversion succeeds.
    pub fn uppercase(self) -> String {
        self.0.to_chinese_upper_with_prefix().unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for ReceiptAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let money = Money::deserialize(deserializer)?;
        ReceiptAmount::new(money).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_zero_padded_sequence() {
        assert_eq!(
            ReceiptNo::new(2026, 123).unwrap().to_string(),
            "SJ-2026-000123"
        );
        assert_eq!(
            ReceiptNo::new(2026, 1).unwrap().to_string(),
            "SJ-2026-000001"
        );
        assert_eq!(
            ReceiptNo::new(2026, MAX_SEQUENCE).unwrap().to_string(),
            "SJ-2026-999999"
        );
    }

    #[test]
    fn parses_back_what_it_formats() {
        let no = ReceiptNo::parse("SJ-2026-000123").unwrap();
        assert_eq!((no.year(), no.seq()), (2026, 123));
        assert_eq!(ReceiptNo::parse(&no.to_string()).unwrap(), no);
        assert_eq!(ReceiptNo::parse("  SJ-2026-000123\n").unwrap(), no);
        let via_from_str: ReceiptNo = "SJ-2025-000009".parse().unwrap();
        assert_eq!(via_from_str.seq(), 9);
    }

    #[test]
    fn rejects_malformed_numbers() {
        for bad in [
            "",
            "SJ-2026-123",
            "SJ-2026-0001234",
            "sj-2026-000123",
            "SK-2026-000123",
            "SJ-26-000123",
            "SJ2026000123",
            "SJ-2026-000123-1",
            "SJ-2026-00012a",
            "SJ-+026-000123",
            "SJ-2026-+00123",
            "SJ--2026-000123",
        ] {
            assert!(
                matches!(ReceiptNo::parse(bad), Err(ReceiptError::Format(_))),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn rejects_sequence_zero_and_odd_years() {
        assert_eq!(
            ReceiptNo::parse("SJ-2026-000000"),
            Err(ReceiptError::Sequence(0))
        );
        assert_eq!(
            ReceiptNo::new(2026, 1_000_000),
            Err(ReceiptError::Sequence(1_000_000))
        );
        assert_eq!(ReceiptNo::new(999, 1), Err(ReceiptError::Year(999)));
        assert_eq!(
            ReceiptNo::parse("SJ-0999-000001"),
            Err(ReceiptError::Year(999))
        );
    }

    #[test]
    fn errors_explain_the_expected_format_in_chinese() {
        let message = ReceiptNo::parse("x").unwrap_err().to_string();
        assert!(message.contains("收据编号格式不正确"), "{message}");
    }

    #[test]
    fn next_increments_until_the_sequence_runs_out() {
        let no = ReceiptNo::new(2026, 41).unwrap();
        assert_eq!(no.next().unwrap().to_string(), "SJ-2026-000042");
        let last = ReceiptNo::new(2026, MAX_SEQUENCE).unwrap();
        assert_eq!(last.next(), Err(ReceiptError::Sequence(1_000_000)));
    }

    #[test]
    fn numbers_sort_by_year_then_sequence() {
        let a = ReceiptNo::new(2025, 999).unwrap();
        let b = ReceiptNo::new(2026, 1).unwrap();
        let c = ReceiptNo::new(2026, 2).unwrap();
        assert!(a < b && b < c);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn serde_uses_the_printed_form() {
        let no = ReceiptNo::new(2026, 123).unwrap();
        let json = serde_json::to_string(&no).unwrap();
        assert_eq!(json, "\"SJ-2026-000123\"");
        assert_eq!(serde_json::from_str::<ReceiptNo>(&json).unwrap(), no);
        assert!(serde_json::from_str::<ReceiptNo>("\"SJ-2026-12\"").is_err());
    }

    #[test]
    fn receipt_amounts_must_be_positive() {
        assert_eq!(
            validate_receipt_amount(Money::ZERO),
            Err(ReceiptError::NonPositiveAmount(Money::ZERO))
        );
        assert!(validate_receipt_amount(Money::from_fen(-1)).is_err());
        assert_eq!(
            validate_receipt_amount(Money::from_fen(1)),
            Ok(Money::from_fen(1))
        );
        assert!(
            ReceiptAmount::new(Money::ZERO)
                .unwrap_err()
                .to_string()
                .contains("大于零")
        );
    }

    #[test]
    fn receipt_amounts_must_fit_the_uppercase_form() {
        let huge = Money::from_yuan(1_000_000_000_000);
        assert_eq!(
            validate_receipt_amount(huge),
            Err(ReceiptError::AmountTooLarge(huge))
        );
    }

    #[test]
    fn receipt_amount_prints_both_forms() {
        let amount = ReceiptAmount::new(Money::from_yuan(3_600)).unwrap();
        assert_eq!(amount.lowercase(), "¥3,600.00");
        assert_eq!(amount.uppercase(), "人民币叁仟陆佰元整");
        assert_eq!(amount.money(), Money::from_yuan(3_600));
    }

    #[test]
    fn receipt_amount_validates_when_deserialised() {
        let ok: ReceiptAmount = serde_json::from_str("360000").unwrap();
        assert_eq!(ok.money(), Money::from_yuan(3_600));
        assert_eq!(serde_json::to_string(&ok).unwrap(), "360000");
        assert!(serde_json::from_str::<ReceiptAmount>("0").is_err());
    }
}
