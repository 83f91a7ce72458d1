//! 统一社会信用代码 (Unified Social Credit Code, GB 32100-2015).
//!
//! Format is enforced strictly, but checksum failures are only warnings:
//! early pilot codes (e.g. Fujian's 91350100M0001TGQXM) fail the check and
//! are nevertheless real, and refusing a customer's real code would block
//! onboarding over something the accountant cannot fix.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

pub const USCC_LEN: usize = 18;

/// The 31 characters of the code alphabet; I, O, S, V, Z are left out
/// because they are easily confused with digits.
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// 3^(i-1) mod 31 for positions 1..=17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights for the 8 body characters of the organisation code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsccError {
    #[error("统一社会信用代码不能为空")]
    Empty,
    #[error("统一社会信用代码应为18位，当前为{0}位")]
    WrongLength(usize),
    #[error(
        "统一社会信用代码第{position}位“{ch}”不是合法字符（不能使用 I、O、S、V、Z 及其他符号）"
    )]
    InvalidChar { position: usize, ch: char },
    #[error("统一社会信用代码第{position}位“{ch}”应为数字（第3–8位是行政区划码）")]
    RegionNotDigit { position: usize, ch: char },
}

/// Problems that do not stop a code from being saved but should be shown
/// to the user so a typo can be caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsccWarning {
    /// Position 18 does not match the GB 32100 check character.
    CheckCharMismatch { expected: char, found: char },
    /// Position 17 does not match the GB 11714 organisation-code check.
    OrgCodeCheckMismatch { expected: char, found: char },
}

impl fmt::Display for UsccWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsccWarning::CheckCharMismatch { expected, found } => write!(
                f,
                "统一社会信用代码校验位不符（第18位应为“{expected}”，实为“{found}”），请核对；早期试点代码可能如此"
            ),
            UsccWarning::OrgCodeCheckMismatch { expected, found } => write!(
                f,
                "组织机构代码校验位不符（第17位应为“{expected}”，实为“{found}”），请核对"
            ),
        }
    }
}

/// A format-valid USCC, stored trimmed and upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc(String);

impl Uscc {
    /// Normalises (trim + upper-case) and validates. Checksum problems come
    /// back as warnings alongside the code.
    pub fn parse(input: &str) -> Result<(Uscc, Vec<UsccWarning>), UsccError> {
        let normalized = input.trim().to_uppercase();
        if normalized.is_empty() {
            return Err(UsccError::Empty);
        }
        let chars: Vec<char> = normalized.chars().collect();
        if chars.len() != USCC_LEN {
            return Err(UsccError::WrongLength(chars.len()));
        }
        let values = values_of(&chars)?;

        let mut warnings = Vec::new();
        let expected = check_char_for(&values[..17]);
        if expected != chars[17] {
            warnings.push(UsccWarning::CheckCharMismatch {
                expected,
                found: chars[17],
            });
        }
        let org_expected = org_code_check_char(&chars[8..16]);
        if org_expected != chars[16] {
            warnings.push(UsccWarning::OrgCodeCheckMismatch {
                expected: org_expected,
                found: chars[16],
            });
        }
        Ok((Uscc(normalized), warnings))
    }

    /// Builds a code with a correct check character from its first 17
    /// characters; used by seeders and tests to make realistic codes.
    pub fn generate(first17: &str) -> Result<Uscc, UsccError> {
        let check = compute_check_char(first17)?;
        let mut code = first17.trim().to_uppercase();
        code.push(check);
        Ok(Uscc(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: 登记管理部门 (e.g. '9' = market regulation).
    pub fn registration_authority(&self) -> char {
        self.char_at(0)
    }

    /// Position 2: 机构类别 (for authority '9': '1' company, '2' 个体工商户…).
    pub fn category(&self) -> char {
        self.char_at(1)
    }

    /// Positions 3–8: 行政区划码.
    pub fn region_code(&self) -> &str {
        // The alphabet is ASCII-only, so byte offsets equal char offsets.
        &self.0[2..8]
    }

    /// Positions 9–17: 组织机构代码 (主体标识码).
    pub fn org_code(&self) -> &str {
        &self.0[8..17]
    }

    pub fn check_char(&self) -> char {
        self.char_at(17)
    }

    fn char_at(&self, idx: usize) -> char {
        self.0.as_bytes().get(idx).map_or('?', |b| char::from(*b))
    }
}

/// The GB 32100 check character for the first 17 characters.
///
/// Fallible because the input may come from outside (a seeder's template);
/// it is validated with the same format rules as [`Uscc::parse`].
pub fn compute_check_char(first17: &str) -> Result<char, UsccError> {
    let normalized = first17.trim().to_uppercase();
    if normalized.is_empty() {
        return Err(UsccError::Empty);
    }
    let chars: Vec<char> = normalized.chars().collect();
    if chars.len() != USCC_LEN - 1 {
        return Err(UsccError::WrongLength(chars.len()));
    }
    let values = values_of(&chars)?;
    Ok(check_char_for(&values))
}

fn charset_value(ch: char) -> Option<u32> {
    CHARSET.chars().position(|c| c == ch).map(|p| p as u32)
}

fn charset_char(value: u32) -> char {
    // value is always < 31 here; '?' keeps this total without a panic path.
    CHARSET.chars().nth(value as usize).unwrap_or('?')
}

/// Maps characters to alphabet values and enforces the positional rules
/// (positions 3–8 digits). Positions are reported 1-based, as users count.
fn values_of(chars: &[char]) -> Result<Vec<u32>, UsccError> {
    chars
        .iter()
        .enumerate()
        .map(|(idx, &ch)| {
            let position = idx + 1;
            let value = charset_value(ch).ok_or(UsccError::InvalidChar { position, ch })?;
            if (3..=8).contains(&position) && !ch.is_ascii_digit() {
                return Err(UsccError::RegionNotDigit { position, ch });
            }
            Ok(value)
        })
        .collect()
}

fn check_char_for(values17: &[u32]) -> char {
    let sum: u32 = values17.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    charset_char(check)
}

/// GB 11714: letters count A=10 … Z=35 (the full Latin alphabet, unlike the
/// USCC alphabet); result 10 is written X and 11 is written 0.
fn org_code_check_char(body8: &[char]) -> char {
    let sum: u32 = body8
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(ch, w)| ch.to_digit(36).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('?'),
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Uscc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Uscc {
    /// Warnings are dropped: stored codes were already accepted once, and
    /// re-reading them must not fail over a checksum the user confirmed.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Uscc::parse(&raw)
            .map(|(code, _)| code)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1u32;
        for expected in WEIGHTS {
            assert_eq!(w, expected);
            w = w * 3 % 31;
        }
    }

    #[test]
    fn charset_has_31_characters_without_ambiguous_letters() {
        assert_eq!(CHARSET.chars().count(), 31);
        for banned in ['I', 'O', 'S', 'V', 'Z'] {
            assert!(!CHARSET.contains(banned));
        }
    }

    #[test]
    fn shanghai_example_is_valid_with_weighted_sum_966() {
        let chars: Vec<char> = "91310110666007217".chars().collect();
        let values = values_of(&chars).unwrap();
        let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
        assert_eq!(sum, 966);

        let (code, warnings) = Uscc::parse("91310110666007217T").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(code.as_str(), "91310110666007217T");
    }

    #[test]
    fn fuzhou_example_with_letters_is_valid() {
        let (code, warnings) = Uscc::parse("91350100M000100Y43").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(code.org_code(), "M000100Y4");
    }

    #[test]
    fn early_pilot_code_parses_with_a_checksum_warning() {
        let (code, warnings) = Uscc::parse("91350100M0001TGQXM").unwrap();
        assert_eq!(code.as_str(), "91350100M0001TGQXM");
        // Only the GB 32100 check fails; its organisation code is fine.
        assert_eq!(
            warnings,
            vec![UsccWarning::CheckCharMismatch {
                expected: '1',
                found: 'M'
            }]
        );
    }

    #[test]
    fn parse_trims_and_uppercases() {
        let (code, warnings) = Uscc::parse("  91350100m000100y43 ").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn wrong_check_char_is_only_a_warning() {
        let (_, warnings) = Uscc::parse("91310110666007217A").unwrap();
        assert_eq!(
            warnings,
            vec![UsccWarning::CheckCharMismatch {
                expected: 'T',
                found: 'A'
            }]
        );
        assert!(warnings[0].to_string().contains("校验位"));
    }

    #[test]
    fn org_code_mismatch_is_only_a_warning() {
        // Change position 17 and re-generate position 18 so only the
        // organisation-code check fails.
        let code = Uscc::generate("91310110666007218").unwrap();
        let (_, warnings) = Uscc::parse(code.as_str()).unwrap();
        assert_eq!(
            warnings,
            vec![UsccWarning::OrgCodeCheckMismatch {
                expected: '7',
                found: '8'
            }]
        );
    }

    #[test]
    fn org_code_check_writes_ten_as_x_and_eleven_as_zero() {
        // Weighted sums 3 × 4 = 12 ≡ 1 and 0 ≡ 0 (mod 11) give 10 and 11.
        assert_eq!(
            org_code_check_char(&['0', '0', '0', '0', '0', '0', '3', '0']),
            'X'
        );
        assert_eq!(org_code_check_char(&['0'; 8]), '0');
    }

    #[test]
    fn banned_letters_are_rejected_with_their_position() {
        for (idx, banned) in ['I', 'O', 'S', 'V', 'Z'].into_iter().enumerate() {
            let mut code: Vec<char> = "91310110666007217T".chars().collect();
            code[9 + idx] = banned;
            let text: String = code.into_iter().collect();
            let err = Uscc::parse(&text).unwrap_err();
            assert_eq!(
                err,
                UsccError::InvalidChar {
                    position: 10 + idx,
                    ch: banned
                }
            );
            assert!(err.to_string().contains("不是合法字符"));
        }
    }

    #[test]
    fn punctuation_and_full_width_characters_are_rejected() {
        assert!(matches!(
            Uscc::parse("9131011066600721-T"),
            Err(UsccError::InvalidChar { position: 17, .. })
        ));
        assert!(matches!(
            Uscc::parse("９1310110666007217T"),
            Err(UsccError::InvalidChar { position: 1, .. })
        ));
    }

    #[test]
    fn wrong_length_is_rejected_in_chinese() {
        let err = Uscc::parse("91310110666007217").unwrap_err();
        assert_eq!(err, UsccError::WrongLength(17));
        assert_eq!(err.to_string(), "统一社会信用代码应为18位，当前为17位");
        assert_eq!(
            Uscc::parse("91310110666007217TT"),
            Err(UsccError::WrongLength(19))
        );
        assert_eq!(Uscc::parse("   "), Err(UsccError::Empty));
    }

    #[test]
    fn letters_in_the_region_code_are_rejected() {
        let err = Uscc::parse("913A0110666007217T").unwrap_err();
        assert_eq!(
            err,
            UsccError::RegionNotDigit {
                position: 4,
                ch: 'A'
            }
        );
        assert!(err.to_string().contains("行政区划码"));
    }

    #[test]
    fn first_two_positions_accept_any_charset_character() {
        let code = Uscc::generate("Y1310110666007217").unwrap();
        let (parsed, warnings) = Uscc::parse(code.as_str()).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(parsed.registration_authority(), 'Y');
        let code = Uscc::generate("5N310110666007217").unwrap();
        assert_eq!(code.category(), 'N');
    }

    #[test]
    fn compute_check_char_matches_known_codes() {
        assert_eq!(compute_check_char("91310110666007217"), Ok('T'));
        assert_eq!(compute_check_char("91350100M000100Y4"), Ok('3'));
        assert_eq!(
            compute_check_char("9131011066600721"),
            Err(UsccError::WrongLength(16))
        );
        assert!(compute_check_char("9131011066600721I").is_err());
    }

    #[test]
    fn generated_codes_always_parse_without_check_char_warning() {
        for n in 0..500u32 {
            let body = format!("91440300{:09}", n * 7_919);
            let code = Uscc::generate(&body).unwrap();
            let (_, warnings) = Uscc::parse(code.as_str()).unwrap();
            assert!(
                !warnings
                    .iter()
                    .any(|w| matches!(w, UsccWarning::CheckCharMismatch { .. })),
                "{code}"
            );
        }
    }

    #[test]
    fn check_char_zero_is_written_as_digit_zero() {
        // Find a body whose check value is 31 → 0, proving the wrap-around.
        let found = (0..10_000u32).find_map(|n| {
            let body = format!("91440300{n:09}");
            (compute_check_char(&body) == Ok('0')).then_some(body)
        });
        let body = found.unwrap();
        let (code, _) = Uscc::parse(&format!("{body}0")).unwrap();
        assert_eq!(code.check_char(), '0');
    }

    #[test]
    fn accessors_split_the_layout() {
        let (code, _) = Uscc::parse("91310110666007217T").unwrap();
        assert_eq!(code.registration_authority(), '9');
        assert_eq!(code.category(), '1');
        assert_eq!(code.region_code(), "310110");
        assert_eq!(code.org_code(), "666007217");
        assert_eq!(code.check_char(), 'T');
        assert_eq!(code.to_string(), "91310110666007217T");
    }

    #[test]
    fn serde_round_trips_as_a_string_and_validates_on_read() {
        let (code, _) = Uscc::parse("91310110666007217T").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"91310110666007217T\"");
        let back: Uscc = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code);
        let pilot: Uscc = serde_json::from_str("\"91350100M0001TGQXM\"").unwrap();
        assert_eq!(pilot.as_str(), "91350100M0001TGQXM");
        assert!(serde_json::from_str::<Uscc>("\"123\"").is_err());
    }
}
