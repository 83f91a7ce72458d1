//! The sidebar's VAT estimate (bookkeeping.md §2.5) and surcharges (§2.6).
//!
//! These are reminders for the boss, not filings: they ignore 加计抵减,
//! prepayments and mixed-use apportionment, and the UI labels them
//! "估算，以申报为准". All maths is integer fen with rates in basis points.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::money::{Money, round_div};
use super::period::{FilingPeriod, Period, VatPeriodKind};

const BP_DENOMINATOR: i128 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VatError {
    #[error("税率不正确：{0} 个基点（应在 0–10000 之间）")]
    InvalidRate(u32),
    #[error("{0}不能为负数")]
    NegativeAmount(&'static str),
    /// A period no small-scale rule we model covers: before 2023 (older notices) or after the
    /// 2026年第10号 relief ends on 2027-12-31 (rules not yet announced).
    #[error("{0} 的小规模纳税人增值税政策不在本系统支持范围内，无法估算")]
    UnsupportedPeriod(Period),
}

/// Status of an invoice as far as the estimate is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Normal,
    /// The red-letter (negative) invoice itself. The original it reverses
    /// stays `Normal`, so adding both nets the sale out.
    RedLetter,
    /// 作废: never counted.
    Void,
}

impl InvoiceStatus {
    /// The signed contribution of an invoice amount. A red-letter invoice
    /// always subtracts, whether the importer stored its amount negative
    /// (as printed) or positive (as some exports do).
    fn signed(self, amount: Money) -> Money {
        match self {
            InvoiceStatus::Normal => amount,
            InvoiceStatus::RedLetter => -amount.abs(),
            InvoiceStatus::Void => Money::ZERO,
        }
    }
}

// ---------------------------------------------------------------------------
// General taxpayers
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputInvoice {
    pub tax: Money,
    pub status: InvoiceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputVoucher {
    pub tax: Money,
    pub status: InvoiceStatus,
    /// A creditable voucher type (专票, customs, listed e-tickets…) not
    /// blocked by Law art. 22.
    pub deductible: bool,
    /// 用途确认 done; unconfirmed input cannot be claimed this period.
    pub use_confirmed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneralVatInput<'a> {
    pub outputs: &'a [OutputInvoice],
    pub inputs: &'a [InputVoucher],
    /// 进项转出 for the period.
    pub input_transfer_out: Money,
    /// 上期留抵 carried in from the previous period.
    pub prior_credit: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneralVatEstimate {
    pub output_tax: Money,
    /// Creditable input before transfer-out.
    pub deductible_input_tax: Money,
    pub input_transfer_out: Money,
    /// `deductible_input_tax − input_transfer_out`.
    pub input_tax: Money,
    pub prior_credit: Money,
    /// `output_tax − input_tax − prior_credit`; may be negative.
    pub net: Money,
    pub payable: Money,
    /// 期末留抵, the next period's `prior_credit`.
    pub carry_forward: Money,
}

pub fn estimate_general(input: &GeneralVatInput<'_>) -> Result<GeneralVatEstimate, VatError> {
    if input.input_transfer_out.is_negative() {
        return Err(VatError::NegativeAmount("进项转出"));
    }
    if input.prior_credit.is_negative() {
        return Err(VatError::NegativeAmount("上期留抵税额"));
    }

    let output_tax: Money = input
        .outputs
        .iter()
        .map(|inv| inv.status.signed(inv.tax))
        .sum();
    let deductible_input_tax: Money = input
        .inputs
        .iter()
        .filter(|v| v.deductible && v.use_confirmed)
        .map(|v| v.status.signed(v.tax))
        .sum();
    let input_tax = deductible_input_tax - input.input_transfer_out;
    let net = output_tax - input_tax - input.prior_credit;

    Ok(GeneralVatEstimate {
        output_tax,
        deductible_input_tax,
        input_transfer_out: input.input_transfer_out,
        input_tax,
        prior_credit: input.prior_credit,
        net,
        payable: net.max(Money::ZERO),
        carry_forward: (-net).max(Money::ZERO),
    })
}

// ---------------------------------------------------------------------------
// Small-scale taxpayers
// ---------------------------------------------------------------------------

/// Monthly 起征点 for small-scale taxpayers: 100,000.00.
pub const MONTHLY_THRESHOLD: Money = Money::from_yuan(100_000);
/// Quarterly 起征点: 300,000.00.
pub const QUARTERLY_THRESHOLD: Money = Money::from_yuan(300_000);

/// First period under the VAT Law (2026-01).
const VAT_LAW_START: (i32, u32) = (2026, 1);
/// First period of 财政部 税务总局公告2023年第19号 (and of 2023年第12号's halving).
const NOTICE_2023_START: (i32, u32) = (2023, 1);
/// Last period of the current reliefs: 2026年第10号 (small-scale 1% and thresholds) and
/// 2023年第12号 (六税两费 halving) both end on 2027-12-31.
const RELIEF_END: (i32, u32) = (2027, 12);

fn ym(period: Period) -> (i32, u32) {
    (period.year(), period.month())
}

/// The small-scale levy rate a sale without a stated rate gets: 1 % while a relief reduces the
/// statutory 3 % (2023-01 to 2027-12), 3 % otherwise.
pub fn default_levy_rate_bp(period: Period) -> u32 {
    if (NOTICE_2023_START..=RELIEF_END).contains(&ym(period)) {
        100
    } else {
        300
    }
}

/// Which exemption rule governs a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmallScaleRegime {
    /// Up to 2025-12 (财政部 税务总局公告2023年第19号): sales up to and
    /// including the threshold are exempt ("含本数").
    Notice2023No19,
    /// From 2026-01 (增值税法 art. 23 + 2026年第10号): only sales not
    /// reaching the threshold are exempt; reaching it taxes everything.
    VatLaw2026,
}

impl SmallScaleRegime {
    /// The rule of its time for `period`, or an error outside 2023-01..=2027-12: an older
    /// period must not silently get 2023's rule, nor a later one 2026's.
    pub fn for_period(period: Period) -> Result<SmallScaleRegime, VatError> {
        let at = ym(period);
        if !(NOTICE_2023_START..=RELIEF_END).contains(&at) {
            Err(VatError::UnsupportedPeriod(period))
        } else if at >= VAT_LAW_START {
            Ok(SmallScaleRegime::VatLaw2026)
        } else {
            Ok(SmallScaleRegime::Notice2023No19)
        }
    }

    /// The single place where "exactly the threshold" is decided.
    pub fn is_exempt(self, sales: Money, threshold: Money) -> bool {
        match self {
            SmallScaleRegime::Notice2023No19 => sales <= threshold,
            SmallScaleRegime::VatLaw2026 => sales < threshold,
        }
    }
}

pub const fn threshold_for(kind: VatPeriodKind) -> Money {
    match kind {
        VatPeriodKind::Month => MONTHLY_THRESHOLD,
        VatPeriodKind::Quarter => QUARTERLY_THRESHOLD,
    }
}

/// One VAT-exclusive sale (or the sum of a day's sales at one rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmallScaleSale {
    /// VAT-exclusive amount; negative for red-letter reversals.
    pub amount: Money,
    /// Levy rate in basis points: 100 (1%) or 300 (3%) in practice; None takes the period's
    /// default ([`default_levy_rate_bp`]).
    pub rate_bp: Option<u32>,
    /// Sold on a 专票, which is taxed even inside the exemption.
    pub special_invoice: bool,
}

/// Sales and tax for one levy rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLine {
    pub rate_bp: u32,
    pub sales: Money,
    pub special_invoice_sales: Money,
    /// The part of `sales` the tax is computed on: all of it when the
    /// threshold is reached, only the 专票 part when exempt.
    pub taxable_sales: Money,
    pub tax: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmallScaleEstimate {
    pub regime: SmallScaleRegime,
    pub filing_period: FilingPeriod,
    pub threshold: Money,
    pub sales_total: Money,
    /// Whether the exemption applies (专票 sales are taxed regardless).
    pub exempt: bool,
    /// `max(threshold − sales_total, 0)`, the "尚差" shown in reminders.
    pub gap_to_threshold: Money,
    pub payable: Money,
    /// One line per rate, in ascending rate order.
    pub lines: Vec<RateLine>,
}

/// Estimates small-scale VAT for the filing period (month or calendar
/// quarter) containing `period`. `sales` are the period-to-date sales of
/// that whole filing period; `period` also selects the regime, which can
/// never change inside one quarter because the switch is on 1 January.
pub fn estimate_small_scale(
    kind: VatPeriodKind,
    period: Period,
    sales: &[SmallScaleSale],
) -> Result<SmallScaleEstimate, VatError> {
    let regime = SmallScaleRegime::for_period(period)?;
    let mut lines: Vec<RateLine> = Vec::new();
    for sale in sales {
        let rate_bp = sale.rate_bp.unwrap_or_else(|| default_levy_rate_bp(period));
        validate_rate(rate_bp)?;
        let idx = match lines.binary_search_by_key(&rate_bp, |l| l.rate_bp) {
            Ok(idx) => idx,
            Err(idx) => {
                lines.insert(
                    idx,
                    RateLine {
                        rate_bp,
                        sales: Money::ZERO,
                        special_invoice_sales: Money::ZERO,
                        taxable_sales: Money::ZERO,
                        tax: Money::ZERO,
                    },
                );
                idx
            }
        };
        let line = &mut lines[idx];
        line.sales += sale.amount;
        if sale.special_invoice {
            line.special_invoice_sales += sale.amount;
        }
    }

    let threshold = threshold_for(kind);
    let sales_total: Money = lines.iter().map(|l| l.sales).sum();
    let exempt = regime.is_exempt(sales_total, threshold);

    // Tax is computed per rate group, not per sale, so many small sales
    // do not accumulate rounding differences.
    for line in &mut lines {
        line.taxable_sales = if exempt {
            line.special_invoice_sales
        } else {
            line.sales
        };
        line.tax = line.taxable_sales.mul_bp(line.rate_bp);
    }
    // Red-letter reversals can push a group negative; a return never
    // shows negative VAT payable, so the estimate does not either.
    let payable = lines.iter().map(|l| l.tax).sum::<Money>().max(Money::ZERO);

    Ok(SmallScaleEstimate {
        regime,
        filing_period: FilingPeriod::containing(kind, period),
        threshold,
        sales_total,
        exempt,
        gap_to_threshold: (threshold - sales_total).max(Money::ZERO),
        payable,
        lines,
    })
}

/// VAT-exclusive amount from a VAT-inclusive one: gross ÷ (1 + rate),
/// rounded half-up to the fen.
pub fn vat_exclusive_from_gross(gross: Money, rate_bp: u32) -> Result<Money, VatError> {
    validate_rate(rate_bp)?;
    Ok(Money::from_fen(round_div(
        i128::from(gross.fen()) * BP_DENOMINATOR,
        BP_DENOMINATOR + i128::from(rate_bp),
    )))
}

fn validate_rate(rate_bp: u32) -> Result<(), VatError> {
    if rate_bp > 10_000 {
        Err(VatError::InvalidRate(rate_bp))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Surcharges (附加税费)
// ---------------------------------------------------------------------------

/// 城市维护建设税 rate by the taxpayer's location (城建税法 art. 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CityTaxLevel {
    /// 市区: 7%.
    Urban,
    /// 县城、镇: 5%.
    CountyOrTown,
    /// Elsewhere: 1%.
    Other,
}

impl CityTaxLevel {
    pub const fn rate_bp(self) -> u32 {
        match self {
            CityTaxLevel::Urban => 700,
            CityTaxLevel::CountyOrTown => 500,
            CityTaxLevel::Other => 100,
        }
    }

    /// The customer table stores the level as a percentage {7, 5, 1}.
    pub const fn from_percent(percent: u8) -> Option<CityTaxLevel> {
        match percent {
            7 => Some(CityTaxLevel::Urban),
            5 => Some(CityTaxLevel::CountyOrTown),
            1 => Some(CityTaxLevel::Other),
            _ => None,
        }
    }
}

pub const EDUCATION_SURCHARGE_BP: u32 = 300;
pub const LOCAL_EDUCATION_SURCHARGE_BP: u32 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Surcharges {
    pub city_maintenance: Money,
    pub education: Money,
    pub local_education: Money,
    /// Whether the 六税两费 halving was applied.
    pub halved: bool,
}

impl Surcharges {
    pub fn total(&self) -> Money {
        self.city_maintenance + self.education + self.local_education
    }
}

/// Who a taxpayer is, for the surcharge reliefs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaxpayerProfile {
    pub small_scale: bool,
    /// 小型微利企业.
    pub small_micro: bool,
    /// 个体工商户, small-scale or general.
    pub individual_business: bool,
}

/// Whether the 六税两费 halving (财政部 税务总局公告2023年第12号, 2023-01 to 2027-12) covers
/// this period: small-scale taxpayers, 小型微利企业 and 个体工商户 (including those that are
/// general taxpayers) qualify.
pub fn six_taxes_two_fees_halving_applies(period: Period, who: TaxpayerProfile) -> bool {
    let in_force = (NOTICE_2023_START..=RELIEF_END).contains(&ym(period));
    in_force && (who.small_scale || who.small_micro || who.individual_business)
}

/// Whether 教育费附加 and 地方教育附加 are exempt: monthly sales not over 100,000.00, quarterly
/// not over 300,000.00 (财税〔2016〕12号, "含本数"). The city maintenance tax has no such
/// exemption.
pub fn education_surcharges_exempt(kind: VatPeriodKind, sales: Money) -> bool {
    sales <= threshold_for(kind)
}

/// Surcharges on the VAT actually payable. Each is rounded once, with the
/// halving folded into the division so a half fen is not rounded twice.
/// `education_exempt` drops the two education surcharges
/// ([`education_surcharges_exempt`]).
pub fn surcharges(
    vat_payable: Money,
    level: CityTaxLevel,
    halved: bool,
    education_exempt: bool,
) -> Surcharges {
    // A negative base (a credit) means nothing is paid, so nothing is due.
    let base = i128::from(vat_payable.max(Money::ZERO).fen());
    let denom = if halved {
        2 * BP_DENOMINATOR
    } else {
        BP_DENOMINATOR
    };
    let apply = |rate_bp: u32| Money::from_fen(round_div(base * i128::from(rate_bp), denom));
    let education = |rate_bp: u32| {
        if education_exempt {
            Money::ZERO
        } else {
            apply(rate_bp)
        }
    };
    Surcharges {
        city_maintenance: apply(level.rate_bp()),
        education: education(EDUCATION_SURCHARGE_BP),
        local_education: education(LOCAL_EDUCATION_SURCHARGE_BP),
        halved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    fn yuan(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn sale(amount: &str, rate_bp: u32) -> SmallScaleSale {
        SmallScaleSale {
            amount: yuan(amount),
            rate_bp: Some(rate_bp),
            special_invoice: false,
        }
    }

    fn special(amount: &str, rate_bp: u32) -> SmallScaleSale {
        SmallScaleSale {
            special_invoice: true,
            ..sale(amount, rate_bp)
        }
    }

    fn monthly(period: &str, sales: &[SmallScaleSale]) -> SmallScaleEstimate {
        estimate_small_scale(VatPeriodKind::Month, p(period), sales).unwrap()
    }

    fn quarterly(period: &str, sales: &[SmallScaleSale]) -> SmallScaleEstimate {
        estimate_small_scale(VatPeriodKind::Quarter, p(period), sales).unwrap()
    }

    fn out(tax: &str) -> OutputInvoice {
        OutputInvoice {
            tax: yuan(tax),
            status: InvoiceStatus::Normal,
        }
    }

    fn input(tax: &str) -> InputVoucher {
        InputVoucher {
            tax: yuan(tax),
            status: InvoiceStatus::Normal,
            deductible: true,
            use_confirmed: true,
        }
    }

    // --- regime selection ---

    #[test]
    fn periods_up_to_december_2025_use_the_2023_notice() {
        assert_eq!(
            SmallScaleRegime::for_period(p("2025-12")).unwrap(),
            SmallScaleRegime::Notice2023No19
        );
        assert_eq!(
            SmallScaleRegime::for_period(p("2023-01")).unwrap(),
            SmallScaleRegime::Notice2023No19
        );
    }

    #[test]
    fn periods_from_january_2026_use_the_vat_law() {
        assert_eq!(
            SmallScaleRegime::for_period(p("2026-01")).unwrap(),
            SmallScaleRegime::VatLaw2026
        );
        assert_eq!(
            SmallScaleRegime::for_period(p("2027-12")).unwrap(),
            SmallScaleRegime::VatLaw2026
        );
    }

    // --- monthly threshold, 2026 rule ---

    #[test]
    fn just_below_threshold_is_exempt_from_2026() {
        let est = monthly("2026-03", &[sale("99,999.99", 100)]);
        assert!(est.exempt);
        assert_eq!(est.payable, Money::ZERO);
        assert_eq!(est.gap_to_threshold, yuan("0.01"));
        assert_eq!(est.regime, SmallScaleRegime::VatLaw2026);
    }

    #[test]
    fn exactly_threshold_is_taxable_from_2026() {
        let est = monthly("2026-03", &[sale("100,000.00", 100)]);
        assert!(!est.exempt);
        assert_eq!(est.payable, yuan("1,000.00"));
        assert_eq!(est.gap_to_threshold, Money::ZERO);
    }

    #[test]
    fn above_threshold_taxes_the_whole_amount_from_2026() {
        let est = monthly("2026-03", &[sale("100,000.01", 100)]);
        assert!(!est.exempt);
        // 1% of 100,000.01 is 1,000.0001 → 1,000.00; the whole amount, not
        // the 0.01 excess, is taxed.
        assert_eq!(est.payable, yuan("1,000.00"));
    }

    // --- monthly threshold, 2023 rule ---

    #[test]
    fn just_below_threshold_is_exempt_before_2026() {
        let est = monthly("2025-12", &[sale("99,999.99", 100)]);
        assert!(est.exempt);
        assert_eq!(est.payable, Money::ZERO);
        assert_eq!(est.regime, SmallScaleRegime::Notice2023No19);
    }

    #[test]
    fn exactly_threshold_is_exempt_before_2026() {
        let est = monthly("2025-12", &[sale("100,000.00", 100)]);
        assert!(est.exempt);
        assert_eq!(est.payable, Money::ZERO);
        assert_eq!(est.gap_to_threshold, Money::ZERO);
    }

    #[test]
    fn above_threshold_taxes_the_whole_amount_before_2026() {
        let est = monthly("2025-12", &[sale("100,000.01", 100)]);
        assert!(!est.exempt);
        assert_eq!(est.payable, yuan("1,000.00"));
    }

    // --- quarterly threshold in both regimes ---

    #[test]
    fn quarterly_filers_test_300k_for_the_quarter_from_2026() {
        let below = quarterly("2026-02", &[sale("299,999.99", 100)]);
        assert!(below.exempt);
        assert_eq!(below.threshold, yuan("300,000"));
        assert_eq!(below.filing_period.from, p("2026-01"));
        assert_eq!(below.filing_period.to, p("2026-03"));

        let exactly = quarterly("2026-02", &[sale("300,000.00", 100)]);
        assert!(!exactly.exempt);
        assert_eq!(exactly.payable, yuan("3,000.00"));

        let above = quarterly("2026-02", &[sale("300,000.01", 100)]);
        assert!(!above.exempt);
        assert_eq!(above.payable, yuan("3,000.00"));
    }

    #[test]
    fn quarterly_filers_test_300k_for_the_quarter_before_2026() {
        assert!(quarterly("2025-11", &[sale("299,999.99", 100)]).exempt);
        let exactly = quarterly("2025-11", &[sale("300,000.00", 100)]);
        assert!(exactly.exempt);
        assert_eq!(exactly.payable, Money::ZERO);
        let above = quarterly("2025-11", &[sale("300,000.01", 100)]);
        assert!(!above.exempt);
        assert_eq!(above.payable, yuan("3,000.00"));
    }

    #[test]
    fn a_quarterly_filer_is_not_taxed_for_one_big_month_under_300k() {
        let est = quarterly(
            "2026-03",
            &[
                sale("150,000", 100),
                sale("20,000", 100),
                sale("30,000", 100),
            ],
        );
        assert!(est.exempt);
        assert_eq!(est.sales_total, yuan("200,000"));
        assert_eq!(est.gap_to_threshold, yuan("100,000"));
    }

    // --- mixes and 专票 ---

    #[test]
    fn taxable_mix_applies_each_rate_to_its_own_sales() {
        let est = monthly(
            "2026-05",
            &[sale("80,000", 100), sale("30,000", 300), sale("5,000", 100)],
        );
        assert!(!est.exempt);
        assert_eq!(est.lines.len(), 2);
        assert_eq!(est.lines[0].rate_bp, 100);
        assert_eq!(est.lines[0].sales, yuan("85,000"));
        assert_eq!(est.lines[0].tax, yuan("850"));
        assert_eq!(est.lines[1].rate_bp, 300);
        assert_eq!(est.lines[1].tax, yuan("900"));
        assert_eq!(est.payable, yuan("1,750"));
    }

    #[test]
    fn special_invoices_below_threshold_are_still_taxed() {
        let est = monthly(
            "2026-05",
            &[
                sale("50,000", 100),
                special("10,000", 300),
                special("2,000", 100),
            ],
        );
        assert!(est.exempt);
        // 10,000 × 3% + 2,000 × 1%; the ordinary-invoice 50,000 stays exempt.
        assert_eq!(est.payable, yuan("320"));
        assert_eq!(est.lines[0].taxable_sales, yuan("2,000"));
        assert_eq!(est.lines[1].taxable_sales, yuan("10,000"));
    }

    #[test]
    fn special_invoices_are_not_taxed_twice_once_threshold_is_reached() {
        let est = monthly("2026-05", &[sale("90,000", 100), special("10,000", 300)]);
        assert!(!est.exempt);
        assert_eq!(est.payable, yuan("900") + yuan("300"));
    }

    #[test]
    fn red_letter_sales_reduce_the_threshold_test() {
        let est = monthly("2026-05", &[sale("100,000", 100), sale("-0.01", 100)]);
        assert!(est.exempt);
        assert_eq!(est.sales_total, yuan("99,999.99"));
    }

    #[test]
    fn payable_is_never_negative() {
        let est = monthly("2026-05", &[special("-5,000", 300)]);
        assert!(est.exempt);
        assert_eq!(est.payable, Money::ZERO);
    }

    #[test]
    fn no_sales_means_nothing_payable_and_the_full_gap() {
        let est = monthly("2026-05", &[]);
        assert!(est.exempt);
        assert!(est.lines.is_empty());
        assert_eq!(est.gap_to_threshold, MONTHLY_THRESHOLD);
    }

    #[test]
    fn tax_is_rounded_per_rate_group_half_up() {
        // 0.50 × 1% = 0.005 → 0.01 on the group, not 0.00 per tiny sale.
        let sales: Vec<SmallScaleSale> = (0..50)
            .map(|_| sale("0.01", 100))
            .chain([sale("100,000", 100)])
            .collect();
        let est = monthly("2026-05", &sales);
        assert_eq!(est.lines[0].sales, yuan("100,000.50"));
        assert_eq!(est.payable, yuan("1,000.01"));
    }

    #[test]
    fn rates_above_100_percent_are_rejected() {
        let err = estimate_small_scale(VatPeriodKind::Month, p("2026-01"), &[sale("1", 10_001)])
            .unwrap_err();
        assert_eq!(err, VatError::InvalidRate(10_001));
        assert!(err.to_string().contains("税率"));
    }

    // --- gross to net ---

    #[test]
    fn vat_exclusive_amount_divides_by_one_plus_rate() {
        assert_eq!(vat_exclusive_from_gross(yuan("101"), 100), Ok(yuan("100")));
        assert_eq!(vat_exclusive_from_gross(yuan("103"), 300), Ok(yuan("100")));
        assert_eq!(
            vat_exclusive_from_gross(yuan("113"), 1_300),
            Ok(yuan("100"))
        );
        assert_eq!(vat_exclusive_from_gross(yuan("100"), 0), Ok(yuan("100")));
    }

    #[test]
    fn vat_exclusive_amount_rounds_half_up() {
        // 1.00 / 1.01 = 0.990099… → 0.99
        assert_eq!(vat_exclusive_from_gross(yuan("1"), 100), Ok(yuan("0.99")));
        // 10,000.00 / 1.03 = 9,708.737… → 9,708.74
        assert_eq!(
            vat_exclusive_from_gross(yuan("10,000"), 300),
            Ok(yuan("9,708.74"))
        );
        // 0.03 / 1.06 = 0.0283 → 0.03; -0.03 mirrors it.
        assert_eq!(
            vat_exclusive_from_gross(yuan("0.03"), 600),
            Ok(yuan("0.03"))
        );
        assert_eq!(
            vat_exclusive_from_gross(yuan("-0.03"), 600),
            Ok(yuan("-0.03"))
        );
        assert!(vat_exclusive_from_gross(yuan("1"), 20_000).is_err());
    }

    // --- general taxpayers ---

    #[test]
    fn general_payable_is_output_minus_input() {
        let outputs = [out("13,000"), out("650")];
        let inputs = [input("5,200")];
        let est = estimate_general(&GeneralVatInput {
            outputs: &outputs,
            inputs: &inputs,
            input_transfer_out: Money::ZERO,
            prior_credit: Money::ZERO,
        })
        .unwrap();
        assert_eq!(est.output_tax, yuan("13,650"));
        assert_eq!(est.input_tax, yuan("5,200"));
        assert_eq!(est.payable, yuan("8,450"));
        assert_eq!(est.carry_forward, Money::ZERO);
    }

    #[test]
    fn general_ignores_void_and_unusable_inputs() {
        let outputs = [
            out("1,000"),
            OutputInvoice {
                tax: yuan("500"),
                status: InvoiceStatus::Void,
            },
        ];
        let inputs = [
            input("100"),
            InputVoucher {
                deductible: false,
                ..input("200")
            },
            InputVoucher {
                use_confirmed: false,
                ..input("300")
            },
            InputVoucher {
                status: InvoiceStatus::Void,
                ..input("400")
            },
        ];
        let est = estimate_general(&GeneralVatInput {
            outputs: &outputs,
            inputs: &inputs,
            input_transfer_out: Money::ZERO,
            prior_credit: Money::ZERO,
        })
        .unwrap();
        assert_eq!(est.output_tax, yuan("1,000"));
        assert_eq!(est.deductible_input_tax, yuan("100"));
        assert_eq!(est.payable, yuan("900"));
    }

    #[test]
    fn red_letter_invoices_net_against_the_originals() {
        let outputs = [
            out("1,300"),
            out("260"),
            OutputInvoice {
                tax: yuan("-260"),
                status: InvoiceStatus::RedLetter,
            },
            // Some exports store the red-letter amount unsigned.
            OutputInvoice {
                tax: yuan("300"),
                status: InvoiceStatus::RedLetter,
            },
        ];
        let est = estimate_general(&GeneralVatInput {
            outputs: &outputs,
            inputs: &[],
            input_transfer_out: Money::ZERO,
            prior_credit: Money::ZERO,
        })
        .unwrap();
        assert_eq!(est.output_tax, yuan("1,000"));
        assert_eq!(est.payable, yuan("1,000"));
    }

    #[test]
    fn transfer_out_reduces_creditable_input() {
        let est = estimate_general(&GeneralVatInput {
            outputs: &[out("1,000")],
            inputs: &[input("800")],
            input_transfer_out: yuan("100"),
            prior_credit: Money::ZERO,
        })
        .unwrap();
        assert_eq!(est.input_tax, yuan("700"));
        assert_eq!(est.payable, yuan("300"));
    }

    #[test]
    fn carry_forward_chains_into_the_following_months() {
        // January: heavy purchases leave 2,000 of credit.
        let jan = estimate_general(&GeneralVatInput {
            outputs: &[out("1,000")],
            inputs: &[input("3,000")],
            input_transfer_out: Money::ZERO,
            prior_credit: Money::ZERO,
        })
        .unwrap();
        assert_eq!(jan.net, yuan("-2,000"));
        assert_eq!(jan.payable, Money::ZERO);
        assert_eq!(jan.carry_forward, yuan("2,000"));

        // February: uses 1,500 of it, still nothing to pay.
        let feb = estimate_general(&GeneralVatInput {
            outputs: &[out("1,500")],
            inputs: &[],
            input_transfer_out: Money::ZERO,
            prior_credit: jan.carry_forward,
        })
        .unwrap();
        assert_eq!(feb.payable, Money::ZERO);
        assert_eq!(feb.carry_forward, yuan("500"));

        // March: the remaining 500 is used up and the rest is payable.
        let mar = estimate_general(&GeneralVatInput {
            outputs: &[out("2,000")],
            inputs: &[input("300")],
            input_transfer_out: Money::ZERO,
            prior_credit: feb.carry_forward,
        })
        .unwrap();
        assert_eq!(mar.payable, yuan("1,200"));
        assert_eq!(mar.carry_forward, Money::ZERO);
    }

    #[test]
    fn exactly_balanced_month_has_nothing_payable_and_no_credit() {
        let est = estimate_general(&GeneralVatInput {
            outputs: &[out("500")],
            inputs: &[input("300")],
            input_transfer_out: Money::ZERO,
            prior_credit: yuan("200"),
        })
        .unwrap();
        assert_eq!(est.net, Money::ZERO);
        assert_eq!(est.payable, Money::ZERO);
        assert_eq!(est.carry_forward, Money::ZERO);
    }

    #[test]
    fn negative_prior_credit_or_transfer_out_is_rejected() {
        let err = estimate_general(&GeneralVatInput {
            outputs: &[],
            inputs: &[],
            input_transfer_out: Money::ZERO,
            prior_credit: yuan("-1"),
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "上期留抵税额不能为负数");
        assert!(
            estimate_general(&GeneralVatInput {
                outputs: &[],
                inputs: &[],
                input_transfer_out: yuan("-1"),
                prior_credit: Money::ZERO,
            })
            .is_err()
        );
    }

    // --- surcharges ---

    #[test]
    fn urban_surcharges_are_7_3_and_2_percent() {
        let s = surcharges(yuan("1,000"), CityTaxLevel::Urban, false, false);
        assert_eq!(s.city_maintenance, yuan("70"));
        assert_eq!(s.education, yuan("30"));
        assert_eq!(s.local_education, yuan("20"));
        assert_eq!(s.total(), yuan("120"));
        assert!(!s.halved);
    }

    #[test]
    fn county_and_other_locations_use_5_and_1_percent() {
        assert_eq!(
            surcharges(yuan("1,000"), CityTaxLevel::CountyOrTown, false, false).city_maintenance,
            yuan("50")
        );
        assert_eq!(
            surcharges(yuan("1,000"), CityTaxLevel::Other, false, false).city_maintenance,
            yuan("10")
        );
        assert_eq!(
            CityTaxLevel::from_percent(5),
            Some(CityTaxLevel::CountyOrTown)
        );
        assert_eq!(CityTaxLevel::from_percent(3), None);
    }

    #[test]
    fn halving_divides_every_surcharge_and_rounds_once() {
        let s = surcharges(yuan("1,000"), CityTaxLevel::Urban, true, false);
        assert_eq!(s.city_maintenance, yuan("35"));
        assert_eq!(s.education, yuan("15"));
        assert_eq!(s.local_education, yuan("10"));
        assert_eq!(s.total(), yuan("60"));
        // 0.10 × 7% / 2 = 0.0035 → 0.00 (rounding 0.007 first would give 0.01 / 2).
        let tiny = surcharges(yuan("0.10"), CityTaxLevel::Urban, true, false);
        assert_eq!(tiny.city_maintenance, Money::ZERO);
        // 0.15 × 7% / 2 = 0.00525 → 0.01.
        let small = surcharges(yuan("0.15"), CityTaxLevel::Urban, true, false);
        assert_eq!(small.city_maintenance, yuan("0.01"));
    }

    #[test]
    fn no_vat_payable_means_no_surcharges() {
        assert_eq!(
            surcharges(Money::ZERO, CityTaxLevel::Urban, false, false).total(),
            Money::ZERO
        );
        assert_eq!(
            surcharges(yuan("-100"), CityTaxLevel::Urban, false, false).total(),
            Money::ZERO
        );
    }

    fn profile(small_scale: bool, small_micro: bool, individual: bool) -> TaxpayerProfile {
        TaxpayerProfile {
            small_scale,
            small_micro,
            individual_business: individual,
        }
    }

    #[test]
    fn halving_applies_to_small_scale_small_micro_and_individual_businesses_until_2027() {
        let halved = |period: &str, who| six_taxes_two_fees_halving_applies(p(period), who);
        assert!(halved("2026-05", profile(true, false, false)));
        assert!(halved("2026-05", profile(false, true, false)));
        // A 个体工商户 that is a general taxpayer (and not 小型微利) qualifies too.
        assert!(halved("2026-05", profile(false, false, true)));
        assert!(!halved("2026-05", profile(false, false, false)));
        assert!(halved("2027-12", profile(true, false, false)));
        assert!(!halved("2028-01", profile(true, false, false)));
        assert!(!halved("2022-12", profile(true, false, false)));
    }

    #[test]
    fn small_scale_estimate_feeds_halved_surcharges() {
        let est = monthly("2026-05", &[sale("120,000", 100)]);
        assert_eq!(est.payable, yuan("1,200"));
        let halved = six_taxes_two_fees_halving_applies(p("2026-05"), profile(true, false, false));
        let s = surcharges(est.payable, CityTaxLevel::Urban, halved, false);
        assert_eq!(s.total(), yuan("72"));
    }

    #[test]
    fn the_education_surcharges_are_exempt_up_to_the_sales_limit() {
        assert!(education_surcharges_exempt(
            VatPeriodKind::Month,
            yuan("100,000.00")
        ));
        assert!(!education_surcharges_exempt(
            VatPeriodKind::Month,
            yuan("100,000.01")
        ));
        assert!(education_surcharges_exempt(
            VatPeriodKind::Quarter,
            yuan("300,000.00")
        ));
        assert!(!education_surcharges_exempt(
            VatPeriodKind::Quarter,
            yuan("300,000.01")
        ));
        // A 专票 sale taxed inside the threshold: VAT is due, the city tax on it, but no
        // education surcharges.
        let s = surcharges(yuan("300"), CityTaxLevel::Urban, false, true);
        assert_eq!(s.city_maintenance, yuan("21"));
        assert_eq!(s.education, Money::ZERO);
        assert_eq!(s.local_education, Money::ZERO);
    }

    #[test]
    fn periods_outside_the_modelled_rules_are_refused_not_guessed() {
        for period in ["2022-12", "2028-01", "2030-06"] {
            assert_eq!(
                SmallScaleRegime::for_period(p(period)),
                Err(VatError::UnsupportedPeriod(p(period))),
                "{period}"
            );
            assert!(estimate_small_scale(VatPeriodKind::Month, p(period), &[]).is_err());
        }
    }

    #[test]
    fn a_sale_without_a_rate_takes_the_periods_default() {
        assert_eq!(default_levy_rate_bp(p("2023-01")), 100);
        assert_eq!(default_levy_rate_bp(p("2027-12")), 100);
        assert_eq!(default_levy_rate_bp(p("2022-12")), 300);
        assert_eq!(default_levy_rate_bp(p("2028-01")), 300);
        let est = monthly(
            "2026-07",
            &[SmallScaleSale {
                amount: yuan("150,000"),
                rate_bp: None,
                special_invoice: false,
            }],
        );
        assert_eq!(est.lines[0].rate_bp, 100);
        assert_eq!(est.payable, yuan("1,500"));
    }
}
