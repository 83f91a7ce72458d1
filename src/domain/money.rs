//! Money as an integer number of fen (0.01 CNY).
//!
//! Floats never touch amounts: tax and fee maths must reproduce the cent
//! values a tax bureau or a customer computes by hand, so every value is an
//! `i64` of fen and every division goes through [`round_div`].

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};
use thiserror::Error;

const FEN_PER_YUAN: i64 = 100;

/// An amount in fen. Serialised as a bare integer so the wire format can
/// never lose precision the way a JSON float would.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Why a user-typed amount was rejected. The `Display` text is shown to
/// accountants as is, hence Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MoneyParseError {
    #[error("金额格式不正确：不能为空")]
    Empty,
    #[error("金额格式不正确：“{0}”含有无法识别的字符")]
    Invalid(String),
    #[error("金额格式不正确：“{0}”小数最多两位（精确到分）")]
    TooManyDecimals(String),
    #[error("金额格式不正确：“{0}”的千分位逗号位置不对")]
    MisplacedComma(String),
    #[error("金额格式不正确：“{0}”超出可处理的范围")]
    Overflow(String),
}

/// Why an amount cannot be written in 大写.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChineseUpperError {
    #[error("金额大写不支持负数：{0}")]
    Negative(Money),
    #[error("金额大写最大支持玖仟玖佰玖拾玖亿（不足壹万亿元）：{0}")]
    TooLarge(Money),
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_fen(fen: i64) -> Self {
        Money(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Saturates instead of panicking: whole-yuan inputs come from config
    /// and seeders, where a clamp beyond ±92 trillion yuan is harmless.
    pub const fn from_yuan(yuan: i64) -> Self {
        Money(yuan.saturating_mul(FEN_PER_YUAN))
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn abs(self) -> Self {
        Money(self.0.saturating_abs())
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × rate_bp / 10000`, half-up. Widening to i128 means no product
    /// of an i64 amount and a u32 rate can overflow before rounding.
    pub fn mul_bp(self, rate_bp: u32) -> Money {
        Money(round_div(i128::from(self.0) * i128::from(rate_bp), 10_000))
    }

    /// Parses what accountants type or paste: optional sign, optional ¥/￥,
    /// optional thousands separators and at most two decimals.
    pub fn parse(input: &str) -> Result<Money, MoneyParseError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MoneyParseError::Empty);
        }
        let invalid = || MoneyParseError::Invalid(trimmed.to_string());

        // Sign and currency symbol may come in either order ("-¥3" and
        // "¥-3" both occur in spreadsheets), but only one of each.
        let mut rest = trimmed;
        let mut negative = false;
        let mut seen_symbol = false;
        loop {
            if let Some(r) = rest.strip_prefix('-') {
                if negative {
                    return Err(invalid());
                }
                negative = true;
                rest = r.trim_start();
            } else if let Some(r) = rest.strip_prefix(['¥', '￥']) {
                if seen_symbol {
                    return Err(invalid());
                }
                seen_symbol = true;
                rest = r.trim_start();
            } else {
                break;
            }
        }

        let (int_part, frac_part) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        if int_part.is_empty() {
            return Err(invalid());
        }

        let digits = validated_integer_digits(int_part, trimmed)?;

        let frac_fen: i64 = match frac_part {
            None => 0,
            Some(f) => {
                if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                if f.len() > 2 {
                    return Err(MoneyParseError::TooManyDecimals(trimmed.to_string()));
                }
                let mut value = 0i64;
                for (idx, b) in f.bytes().enumerate() {
                    let d = i64::from(b - b'0');
                    value += if idx == 0 { d * 10 } else { d };
                }
                value
            }
        };

        let overflow = || MoneyParseError::Overflow(trimmed.to_string());
        let mut yuan: i64 = 0;
        for b in digits.bytes() {
            yuan = yuan
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        let magnitude = yuan
            .checked_mul(FEN_PER_YUAN)
            .and_then(|v| v.checked_add(frac_fen))
            .ok_or_else(overflow)?;
        Ok(Money(if negative { -magnitude } else { magnitude }))
    }

    /// "¥1,234.56"; the sign goes before the symbol as in printed reports.
    pub fn to_yuan_string(&self) -> String {
        if self.0 < 0 {
            format!("-¥{}", format_unsigned(self.0.unsigned_abs()))
        } else {
            format!("¥{}", format_unsigned(self.0.unsigned_abs()))
        }
    }

    /// Renders the amount in 大写 following the banking rules described in
    /// bookkeeping.md §5 (canonical form: always the first official form).
    pub fn to_chinese_upper(&self) -> Result<String, ChineseUpperError> {
        if self.0 < 0 {
            return Err(ChineseUpperError::Negative(*self));
        }
        // 万亿 would need a fourth group with its own zero rules; receipts
        // never get near it, so refuse rather than print something wrong.
        if self.0 >= MAX_UPPER_FEN_EXCLUSIVE {
            return Err(ChineseUpperError::TooLarge(*self));
        }
        Ok(chinese_upper_unchecked(self.0))
    }

    /// "人民币…" with no gap, as the banking rules require.
    pub fn to_chinese_upper_with_prefix(&self) -> Result<String, ChineseUpperError> {
        self.to_chinese_upper().map(|s| format!("人民币{s}"))
    }
}

/// Returns the integer part's digits with separators removed, after
/// checking that commas (if any) sit exactly every three digits.
fn validated_integer_digits(int_part: &str, original: &str) -> Result<String, MoneyParseError> {
    if !int_part.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err(MoneyParseError::Invalid(original.to_string()));
    }
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
        if !first_ok || !groups.all(|g| g.len() == 3) {
            return Err(MoneyParseError::MisplacedComma(original.to_string()));
        }
    }
    Ok(int_part.chars().filter(|c| *c != ',').collect())
}

fn format_unsigned(fen: u64) -> String {
    let yuan = fen / 100;
    let cents = fen % 100;
    let digits = yuan.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}.{cents:02}")
}

impl fmt::Display for Money {
    /// "1,234.56" / "-1,234.56": the form used inside message templates,
    /// which add their own ¥.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0 {
            f.write_str("-")?;
        }
        f.write_str(&format_unsigned(self.0.unsigned_abs()))
    }
}

impl std::str::FromStr for Money {
    type Err = MoneyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

// The operators keep plain i64 semantics (overflow is a bug, caught in debug
// builds): realistic totals are trillions of times below the limit. Use
// checked_add/checked_sub where amounts come from outside unvalidated.
impl Add for Money {
    type Output = Money;

    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;

    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

impl Neg for Money {
    type Output = Money;

    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// `numer / denom` rounded half-up, i.e. halves go away from zero
/// (2.5 → 3, -2.5 → -3), which is how Chinese tax forms round to the fen.
///
/// Results beyond the i64 range saturate: callers pass fen × rate products
/// that cannot realistically get there, and a clamp beats a panic in a
/// request handler. A zero denominator is a programming error (rates and
/// divisors are constants) and panics like integer division does.
pub fn round_div(numer: i128, denom: i128) -> i64 {
    let quotient = numer / denom;
    let remainder = numer % denom;
    let rem_abs = remainder.unsigned_abs();
    let denom_abs = denom.unsigned_abs();
    // rem_abs >= denom_abs - rem_abs avoids doubling, which could overflow.
    let rounded = if remainder != 0 && rem_abs >= denom_abs - rem_abs {
        if (numer < 0) == (denom < 0) {
            quotient.saturating_add(1)
        } else {
            quotient.saturating_sub(1)
        }
    } else {
        quotient
    };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

// ---------------------------------------------------------------------------
// 大写
// ---------------------------------------------------------------------------

/// 1 万亿 yuan in fen: the first amount that would need a 万亿 group.
const MAX_UPPER_FEN_EXCLUSIVE: i64 = 1_000_000_000_000 * FEN_PER_YUAN;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// Units inside a 4-digit group, from the 千 position down.
const GROUP_UNITS: [&str; 4] = ["仟", "佰", "拾", ""];
/// Suffixes of the 个/万/亿 groups, indexed from the lowest group.
const GROUP_SUFFIXES: [&str; 3] = ["", "万", "亿"];

fn chinese_upper_unchecked(fen: i64) -> String {
    let yuan = fen / FEN_PER_YUAN;
    let jiao = (fen / 10 % 10) as usize;
    let cents = (fen % 10) as usize;

    if fen == 0 {
        return "零元整".to_string();
    }

    let mut out = String::new();
    if yuan > 0 {
        write_yuan_groups(yuan, &mut out);
        out.push('元');
    }

    if jiao == 0 && cents == 0 {
        out.push('整');
        return out;
    }

    // The official examples write 零 after 元 when the 个位 is zero (so the
    // reader sees a zero was skipped) or when 角 is zero but 分 is not.
    if yuan > 0 && (yuan % 10 == 0 || jiao == 0) {
        out.push('零');
    }
    if jiao != 0 {
        out.push(DIGITS[jiao]);
        out.push('角');
    }
    if cents != 0 {
        out.push(DIGITS[cents]);
        out.push('分');
    }
    out
}

fn write_yuan_groups(yuan: i64, out: &mut String) {
    // Lowest group first; the caller guarantees at most three groups.
    let groups = [
        (yuan % 10_000) as usize,
        (yuan / 10_000 % 10_000) as usize,
        (yuan / 100_000_000) as usize,
    ];

    let mut wrote_higher = false;
    let mut skipped_zero_group = false;
    for idx in (0..groups.len()).rev() {
        let group = groups[idx];
        if group == 0 {
            if wrote_higher {
                skipped_zero_group = true;
            }
            continue;
        }
        // A gap between this group and the previous non-zero one (a missing
        // 千位, or a whole zero group) is read aloud as a single 零.
        if wrote_higher && (group < 1000 || skipped_zero_group) {
            out.push('零');
        }
        write_group(group, out);
        out.push_str(GROUP_SUFFIXES[idx]);
        wrote_higher = true;
        skipped_zero_group = false;
    }
}

/// Writes one non-zero group of up to four digits. Leading zeros are the
/// caller's concern; inner zero runs collapse to one 零; trailing zeros
/// are silent.
fn write_group(group: usize, out: &mut String) {
    let digits = [group / 1000, group / 100 % 10, group / 10 % 10, group % 10];
    let mut started = false;
    let mut pending_zero = false;
    for (pos, &d) in digits.iter().enumerate() {
        if d == 0 {
            if started {
                pending_zero = true;
            }
            continue;
        }
        if pending_zero {
            out.push('零');
            pending_zero = false;
        }
        // 壹拾 always, never a bare 拾: 拾 alone can be altered by adding a stroke.
        out.push(DIGITS[d]);
        out.push_str(GROUP_UNITS[pos]);
        started = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(yuan_text: &str) -> String {
        Money::parse(yuan_text).unwrap().to_chinese_upper().unwrap()
    }

    // --- construction and arithmetic ---

    #[test]
    fn from_yuan_counts_in_fen() {
        assert_eq!(Money::from_yuan(12).fen(), 1200);
        assert_eq!(Money::from_fen(5).fen(), 5);
    }

    #[test]
    fn from_yuan_saturates_instead_of_overflowing() {
        assert_eq!(Money::from_yuan(i64::MAX).fen(), i64::MAX);
    }

    #[test]
    fn arithmetic_operators_work_on_fen() {
        let a = Money::from_fen(150);
        let b = Money::from_fen(50);
        assert_eq!(a + b, Money::from_fen(200));
        assert_eq!(a - b, Money::from_fen(100));
        assert_eq!(-a, Money::from_fen(-150));
        let mut c = a;
        c += b;
        c -= Money::from_fen(1);
        assert_eq!(c, Money::from_fen(199));
    }

    #[test]
    fn sums_of_owned_and_borrowed_values_agree() {
        let items = [Money::from_fen(1), Money::from_fen(2), Money::from_fen(3)];
        let owned: Money = items.iter().copied().sum();
        let borrowed: Money = items.iter().sum();
        assert_eq!(owned, Money::from_fen(6));
        assert_eq!(borrowed, owned);
    }

    #[test]
    fn ordering_follows_the_amount() {
        assert!(Money::from_fen(-1) < Money::ZERO);
        assert!(Money::from_yuan(1) > Money::from_fen(99));
    }

    #[test]
    fn checked_operations_report_overflow() {
        assert_eq!(
            Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)),
            None
        );
        assert_eq!(
            Money::from_fen(i64::MIN).checked_sub(Money::from_fen(1)),
            None
        );
        assert_eq!(
            Money::from_fen(1).checked_add(Money::from_fen(2)),
            Some(Money::from_fen(3))
        );
    }

    #[test]
    fn serde_uses_a_bare_integer() {
        let json = serde_json::to_string(&Money::from_fen(123_456)).unwrap();
        assert_eq!(json, "123456");
        let back: Money = serde_json::from_str("-42").unwrap();
        assert_eq!(back, Money::from_fen(-42));
    }

    // --- parsing ---

    #[test]
    fn parse_accepts_plain_integers() {
        assert_eq!(Money::parse("1234").unwrap().fen(), 123_400);
    }

    #[test]
    fn parse_accepts_one_decimal_as_jiao() {
        assert_eq!(Money::parse("1234.5").unwrap().fen(), 123_450);
    }

    #[test]
    fn parse_accepts_thousands_separators() {
        assert_eq!(Money::parse("1,234.56").unwrap().fen(), 123_456);
        assert_eq!(Money::parse("1,234,567").unwrap().fen(), 123_456_700);
    }

    #[test]
    fn parse_accepts_both_yen_signs_and_whitespace() {
        assert_eq!(Money::parse("¥1,234.56").unwrap().fen(), 123_456);
        assert_eq!(Money::parse("￥1234").unwrap().fen(), 123_400);
        assert_eq!(Money::parse("  ¥ 12.00 \n").unwrap().fen(), 1_200);
    }

    #[test]
    fn parse_accepts_negative_amounts_with_sign_before_or_after_symbol() {
        assert_eq!(Money::parse("-3.20").unwrap().fen(), -320);
        assert_eq!(Money::parse("-¥3.20").unwrap().fen(), -320);
        assert_eq!(Money::parse("¥-3.20").unwrap().fen(), -320);
    }

    #[test]
    fn parse_rejects_empty_input() {
        assert_eq!(Money::parse("   "), Err(MoneyParseError::Empty));
        assert!(matches!(
            Money::parse("¥"),
            Err(MoneyParseError::Invalid(_))
        ));
    }

    #[test]
    fn parse_rejects_more_than_two_decimals() {
        assert!(matches!(
            Money::parse("1.234"),
            Err(MoneyParseError::TooManyDecimals(_))
        ));
    }

    #[test]
    fn parse_rejects_junk() {
        for junk in [
            "abc", "12a", "1.2.3", "1.", ".5", "--1", "¥¥1", "1 000", "+1", "1e3",
        ] {
            assert!(
                matches!(Money::parse(junk), Err(MoneyParseError::Invalid(_))),
                "{junk} should be rejected as junk"
            );
        }
    }

    #[test]
    fn parse_rejects_misplaced_commas() {
        for bad in ["1,23", "12,34,567", ",123", "1,234,", "1234,567", "1,,234"] {
            assert!(
                matches!(Money::parse(bad), Err(MoneyParseError::MisplacedComma(_))),
                "{bad} should be rejected for its commas"
            );
        }
    }

    #[test]
    fn parse_rejects_overflow() {
        assert!(matches!(
            Money::parse("92233720368547758.08"),
            Err(MoneyParseError::Overflow(_))
        ));
        assert!(matches!(
            Money::parse("99999999999999999999999"),
            Err(MoneyParseError::Overflow(_))
        ));
        assert_eq!(
            Money::parse("92233720368547758.07").unwrap().fen(),
            i64::MAX
        );
    }

    #[test]
    fn parse_errors_speak_chinese() {
        let message = Money::parse("1.234").unwrap_err().to_string();
        assert!(message.starts_with("金额格式不正确："), "{message}");
        assert!(
            Money::parse("")
                .unwrap_err()
                .to_string()
                .starts_with("金额格式不正确")
        );
    }

    #[test]
    fn from_str_delegates_to_parse() {
        let m: Money = "2.5".parse().unwrap();
        assert_eq!(m.fen(), 250);
    }

    // --- display ---

    #[test]
    fn display_groups_thousands_and_keeps_two_decimals() {
        assert_eq!(Money::from_fen(123_456).to_string(), "1,234.56");
        assert_eq!(Money::from_fen(0).to_string(), "0.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(100_000_000).to_string(), "1,000,000.00");
        assert_eq!(Money::from_fen(99_999).to_string(), "999.99");
    }

    #[test]
    fn display_puts_the_sign_in_front_of_negatives() {
        assert_eq!(Money::from_fen(-123_456).to_string(), "-1,234.56");
        assert_eq!(Money::from_fen(-1).to_string(), "-0.01");
    }

    #[test]
    fn display_handles_the_extremes_of_i64() {
        assert_eq!(
            Money::from_fen(i64::MIN).to_string(),
            "-92,233,720,368,547,758.08"
        );
        assert_eq!(
            Money::from_fen(i64::MAX).to_string(),
            "92,233,720,368,547,758.07"
        );
    }

    #[test]
    fn yuan_string_prefixes_the_currency_symbol() {
        assert_eq!(Money::from_fen(123_456).to_yuan_string(), "¥1,234.56");
        assert_eq!(Money::from_fen(-320).to_yuan_string(), "-¥3.20");
    }

    #[test]
    fn display_round_trips_through_parse() {
        for fen in [0, 1, 99, 100, 123_456, -987_654_321, 100_000_000_000] {
            let m = Money::from_fen(fen);
            assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
            assert_eq!(Money::parse(&m.to_yuan_string()).unwrap(), m);
        }
    }

    // --- rounding ---

    #[test]
    fn round_div_rounds_halves_away_from_zero() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(5, -2), -3);
        assert_eq!(round_div(-5, -2), 3);
    }

    #[test]
    fn round_div_rounds_below_half_toward_zero() {
        assert_eq!(round_div(14, 10), 1);
        assert_eq!(round_div(-14, 10), -1);
        assert_eq!(round_div(15, 10), 2);
        assert_eq!(round_div(16, 10), 2);
        assert_eq!(round_div(10, 10), 1);
        assert_eq!(round_div(0, 7), 0);
    }

    #[test]
    fn round_div_saturates_outside_i64() {
        assert_eq!(round_div(i128::MAX, 1), i64::MAX);
        assert_eq!(round_div(i128::MIN, 1), i64::MIN);
    }

    #[test]
    fn mul_bp_applies_basis_points_with_half_up() {
        // 1% of 0.50 is 0.005 → 0.01
        assert_eq!(Money::from_fen(50).mul_bp(100), Money::from_fen(1));
        // 1% of 0.49 is 0.0049 → 0.00
        assert_eq!(Money::from_fen(49).mul_bp(100), Money::ZERO);
        assert_eq!(
            Money::from_yuan(100_000).mul_bp(300),
            Money::from_yuan(3_000)
        );
        assert_eq!(Money::from_fen(-50).mul_bp(100), Money::from_fen(-1));
    }

    // --- 大写: reference vectors from bookkeeping.md §5 ---

    #[test]
    fn upper_matches_every_reference_vector() {
        let vectors = [
            ("0", "零元整"),
            ("0.50", "伍角"),
            ("0.05", "伍分"),
            ("10", "壹拾元整"),
            ("10.50", "壹拾元零伍角"),
            ("100.03", "壹佰元零叁分"),
            ("1,010", "壹仟零壹拾元整"),
            ("3,600", "叁仟陆佰元整"),
            ("105,000", "壹拾万伍仟元整"),
            ("1,234,567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
            ("100,000,001", "壹亿零壹元整"),
            ("100,100,000", "壹亿零壹拾万元整"),
        ];
        for (amount, expected) in vectors {
            assert_eq!(upper(amount), expected, "amount {amount}");
        }
    }

    #[test]
    fn upper_matches_the_first_form_of_every_official_example() {
        let vectors = [
            ("1,409.50", "壹仟肆佰零玖元伍角"),
            ("6,007.14", "陆仟零柒元壹角肆分"),
            ("1,680.32", "壹仟陆佰捌拾元零叁角贰分"),
            ("107,000.53", "壹拾万柒仟元零伍角叁分"),
            ("16,409.02", "壹万陆仟肆佰零玖元零贰分"),
            ("325.04", "叁佰贰拾伍元零肆分"),
        ];
        for (amount, expected) in vectors {
            assert_eq!(upper(amount), expected, "amount {amount}");
        }
    }

    #[test]
    fn upper_writes_round_wan_and_qianwan_without_zeros() {
        assert_eq!(upper("10,000"), "壹万元整");
        assert_eq!(upper("20,000,000"), "贰仟万元整");
        assert_eq!(upper("100,000,000"), "壹亿元整");
    }

    #[test]
    fn upper_marks_a_missing_qian_position_after_wan_with_one_zero() {
        assert_eq!(upper("1,000,001"), "壹佰万零壹元整");
        assert_eq!(upper("10,010"), "壹万零壹拾元整");
        assert_eq!(upper("10,100"), "壹万零壹佰元整");
    }

    #[test]
    fn upper_writes_one_zero_for_a_whole_zero_wan_group() {
        // The 万 group is 0000 and the 个 group starts at 千: still one 零.
        assert_eq!(upper("100,001,000"), "壹亿零壹仟元整");
        assert_eq!(upper("500,000,020.30"), "伍亿零贰拾元零叁角");
        assert_eq!(upper("300,000,000.07"), "叁亿元零柒分");
    }

    #[test]
    fn upper_handles_small_fractions() {
        assert_eq!(upper("0.01"), "壹分");
        assert_eq!(upper("0.10"), "壹角");
        assert_eq!(upper("0.99"), "玖角玖分");
        assert_eq!(upper("10.05"), "壹拾元零伍分");
        assert_eq!(upper("1.50"), "壹元伍角");
        assert_eq!(upper("1.05"), "壹元零伍分");
    }

    #[test]
    fn upper_collapses_inner_zero_runs() {
        assert_eq!(upper("1,001"), "壹仟零壹元整");
        assert_eq!(upper("1,100"), "壹仟壹佰元整");
        assert_eq!(upper("110"), "壹佰壹拾元整");
        assert_eq!(upper("15"), "壹拾伍元整");
        assert_eq!(upper("1,010,101"), "壹佰零壹万零壹佰零壹元整");
    }

    #[test]
    fn upper_covers_the_largest_supported_amount() {
        assert_eq!(
            upper("999,999,999,999.99"),
            "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"
        );
        assert_eq!(upper("100,000,000,000"), "壹仟亿元整");
        assert_eq!(upper("100,000,000,010"), "壹仟亿零壹拾元整");
    }

    #[test]
    fn upper_refuses_amounts_from_one_wan_yi() {
        let m = Money::parse("1,000,000,000,000").unwrap();
        assert_eq!(m.to_chinese_upper(), Err(ChineseUpperError::TooLarge(m)));
        let max = Money::from_fen(i64::MAX);
        assert_eq!(
            max.to_chinese_upper(),
            Err(ChineseUpperError::TooLarge(max))
        );
    }

    #[test]
    fn upper_refuses_negative_amounts() {
        let m = Money::from_fen(-1);
        let err = m.to_chinese_upper().unwrap_err();
        assert_eq!(err, ChineseUpperError::Negative(m));
        assert!(err.to_string().contains("负数"));
        assert!(Money::from_fen(i64::MIN).to_chinese_upper().is_err());
    }

    #[test]
    fn upper_never_uses_forbidden_characters() {
        for fen in (0..200_000).step_by(37) {
            let text = Money::from_fen(fen * 1_003).to_chinese_upper().unwrap();
            assert!(
                !text.contains(['一', '二', '十', '两', '〇', '毛', '另']),
                "{text}"
            );
            assert!(!text.contains("零零"), "{text}");
            assert!(!text.ends_with('零'), "{text}");
        }
    }

    #[test]
    fn prefixed_upper_has_no_gap_after_renminbi() {
        assert_eq!(
            Money::from_yuan(3_600)
                .to_chinese_upper_with_prefix()
                .unwrap(),
            "人民币叁仟陆佰元整"
        );
        assert!(Money::from_fen(-5).to_chinese_upper_with_prefix().is_err());
    }
}
