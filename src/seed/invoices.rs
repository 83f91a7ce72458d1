//! Invoices for one customer-month: sales (out) split over buyers, purchases (in) spread over
//! supplier kinds, with 数电 20-digit numbers from 2024-12 on and legacy code + 8-digit numbers
//! before, a few red-letter reversals (re-issued) and, on legacy invoices, a few voided ones.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rand::Rng;

use super::Profile;
use super::dates::{add_days, before, office_time};
use super::names::{CITIES, City, INDUSTRIES, Trade, city_full};
use super::rng::{STREAM_COUNTERPARTIES, SeedRng, between, chance, pick, stream, weighted};
use super::roster::{company_name, generate_uscc};
use crate::domain::money::Money;
use crate::domain::period::Period;

/// First month of 数电发票 nationwide.
const DIGITAL_FROM: (i32, u32) = (2024, 12);
/// From 2026 every supplier we see issues 数电发票.
const ALL_DIGITAL_FROM: (i32, u32) = (2026, 1);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Direction {
    In,
    Out,
}

impl Direction {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Normal,
    Void,
    Red,
}

impl Status {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Status::Normal => "normal",
            Status::Void => "void",
            Status::Red => "red",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Invoice {
    pub period: Period,
    pub direction: Direction,
    pub kind: &'static str,
    pub code: String,
    pub number: String,
    pub issue_date: NaiveDate,
    pub counterparty_name: String,
    pub counterparty_uscc: Option<String>,
    pub amount: i64,
    pub rate_bp: u32,
    pub tax: i64,
    pub total: i64,
    pub status: Status,
    pub deductible: bool,
    pub use_confirmed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Invoice {
    pub(crate) fn is_special(&self) -> bool {
        matches!(self.kind, "special" | "special_digital")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Supply {
    Goods,
    Freight,
    Rent,
    Office,
    Telecom,
    Meals,
    Fuel,
    Services,
    SmallShop,
}

impl Supply {
    fn rate_bp(self) -> u32 {
        match self {
            Supply::Goods | Supply::Office | Supply::Fuel => 1300,
            Supply::Freight | Supply::Rent => 900,
            Supply::Telecom | Supply::Meals | Supply::Services => 600,
            Supply::SmallShop => 100,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Supply::Goods => "",
            Supply::Freight => "物流",
            Supply::Rent => "物业管理",
            Supply::Office => "办公用品",
            Supply::Telecom => "通信技术",
            Supply::Meals => "餐饮管理",
            Supply::Fuel => "石油销售",
            Supply::Services => "",
            Supply::SmallShop => "",
        }
    }
}

const ALL_SUPPLIES: [Supply; 9] = [
    Supply::Goods,
    Supply::Freight,
    Supply::Rent,
    Supply::Office,
    Supply::Telecom,
    Supply::Meals,
    Supply::Fuel,
    Supply::Services,
    Supply::SmallShop,
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Party {
    pub name: String,
    pub uscc: Option<String>,
}

/// Buyers and suppliers shared by all customers of a firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Counterparties {
    buyers: Vec<Party>,
    suppliers: Vec<(Supply, Vec<Party>)>,
    province: &'static str,
    city: &'static str,
}

pub(crate) fn counterparties(seed: u64, profile: Profile, city: &'static City) -> Counterparties {
    let mut rng = stream(seed, profile, STREAM_COUNTERPARTIES);
    let mut names = HashSet::new();
    let mut usccs = HashSet::new();
    let company = |rng: &mut SeedRng,
                   names: &mut HashSet<String>,
                   usccs: &mut HashSet<String>,
                   word: &str|
     -> Party {
        let home = if chance(rng, 0.8) {
            city
        } else {
            pick(rng, CITIES)
        };
        let district = pick(rng, home.districts);
        let name = if word.is_empty() {
            let industry = pick(rng, INDUSTRIES);
            company_name(rng, home, industry, names).0
        } else {
            loop {
                let candidate = format!("{}{}{word}有限公司", home.short, super::names::brand(rng));
                if names.insert(candidate.clone()) {
                    break candidate;
                }
            }
        };
        Party {
            name,
            uscc: Some(generate_uscc(rng, district.code, usccs)),
        }
    };
    let buyers = (0..400)
        .map(|_| company(&mut rng, &mut names, &mut usccs, ""))
        .collect();
    let suppliers = ALL_SUPPLIES
        .iter()
        .map(|&supply| {
            let parties = (0..30)
                .map(|_| match supply {
                    Supply::Goods => {
                        let word = *pick(
                            &mut rng,
                            &[
                                "贸易",
                                "实业",
                                "供应链管理",
                                "五金机电",
                                "电子科技",
                                "包装材料",
                                "建材",
                            ],
                        );
                        company(&mut rng, &mut names, &mut usccs, word)
                    }
                    Supply::Services => {
                        let word = *pick(
                            &mut rng,
                            &["广告", "信息技术", "企业管理咨询", "人力资源", "会展服务"],
                        );
                        company(&mut rng, &mut names, &mut usccs, word)
                    }
                    Supply::SmallShop => {
                        // 个体工商户: USCC category 92.
                        let district = pick(&mut rng, city.districts);
                        let brand_name = super::names::brand(&mut rng);
                        let trade = *pick(
                            &mut rng,
                            &["五金店", "商行", "建材经营部", "汽车修理厂", "打印社"],
                        );
                        let code = generate_uscc(&mut rng, district.code, &mut usccs);
                        Party {
                            name: format!(
                                "{}{}{brand_name}{trade}",
                                city_full(city),
                                district.name
                            ),
                            uscc: Some(format!("92{}", &code[2..])).map(|c| fix_check(&c)),
                        }
                    }
                    other => company(&mut rng, &mut names, &mut usccs, other.word()),
                })
                .collect();
            (supply, parties)
        })
        .collect();
    Counterparties {
        buyers,
        suppliers,
        province: city.province_code,
        city: city.short,
    }
}

/// Recomputes the check character after the category prefix changed.
fn fix_check(code: &str) -> String {
    let first17: String = code.chars().take(17).collect();
    crate::domain::uscc::Uscc::generate(&first17)
        .map(|u| u.as_str().to_string())
        .unwrap_or_else(|_| code.to_string())
}

impl Counterparties {
    fn buyer(&self, rng: &mut SeedRng) -> &Party {
        pick(rng, &self.buyers)
    }

    fn supplier(&self, rng: &mut SeedRng, supply: Supply) -> &Party {
        let pool = self
            .suppliers
            .iter()
            .find(|(s, _)| *s == supply)
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&self.buyers);
        pick(rng, pool)
    }
}

/// What a customer looks like to its invoices.
pub(crate) struct InvoiceProfile {
    pub general: bool,
    pub trade: Trade,
    pub output_rate_bp: u32,
    pub retail_pct: u32,
    /// Small-scale customers that give up the 1% relief on 专票 sales (taxed at 3%).
    pub special_at_3pct: bool,
    pub province_code: &'static str,
    /// Still invoicing with a tax-control device (税控盘) up to this month, before moving to
    /// 数电发票; such invoices have a code and an 8-digit number and can be voided.
    pub tax_control_until: Option<Period>,
}

/// Per-customer invoice state: the numbers already used, so identities stay unique.
pub(crate) struct InvoiceBook<'a> {
    pub parties: &'a Counterparties,
    pub profile: InvoiceProfile,
    used: HashSet<(Direction, String, String)>,
    pub cutoff: DateTime<Utc>,
}

fn is_digital(
    period: Period,
    rng: &mut SeedRng,
    direction: Direction,
    tax_control_until: Option<Period>,
) -> bool {
    let ym = (period.year(), period.month());
    if ym >= ALL_DIGITAL_FROM {
        true
    } else if ym >= DIGITAL_FROM {
        match direction {
            Direction::Out => tax_control_until.is_none_or(|until| period > until),
            Direction::In => chance(rng, 0.93),
        }
    } else {
        false
    }
}

/// Splits `total` into `n` positive parts that add up exactly, mostly in whole yuan.
fn split(rng: &mut SeedRng, total: i64, n: usize) -> Vec<i64> {
    if n <= 1 || total < 100 * n as i64 {
        return vec![total];
    }
    let weights: Vec<i64> = (0..n).map(|_| rng.random_range(20..=100)).collect();
    let sum: i64 = weights.iter().sum();
    let mut parts: Vec<i64> = weights[..n - 1]
        .iter()
        .map(|w| {
            let share = total * w / sum;
            if chance(rng, 0.7) {
                (share / 100).max(1) * 100
            } else {
                share.max(1)
            }
        })
        .collect();
    let used: i64 = parts.iter().sum();
    parts.push(total - used);
    parts
}

impl<'a> InvoiceBook<'a> {
    pub(crate) fn new(
        parties: &'a Counterparties,
        profile: InvoiceProfile,
        cutoff: DateTime<Utc>,
    ) -> Self {
        InvoiceBook {
            parties,
            profile,
            used: HashSet::new(),
            cutoff,
        }
    }

    fn identity(
        &mut self,
        rng: &mut SeedRng,
        direction: Direction,
        digital: bool,
        special: bool,
        period: Period,
        province: &str,
    ) -> (String, String) {
        loop {
            let yy = period.year() % 100;
            let (code, number) = if digital {
                (
                    String::new(),
                    format!(
                        "{yy:02}{province}{:016}",
                        rng.random_range(0..10_000_000_000_000_000u64)
                    ),
                )
            } else if special {
                // Paper 专票: 10-digit code.
                (
                    format!("{province}00{yy:02}{}130", rng.random_range(1..=3)),
                    format!("{:08}", rng.random_range(0..100_000_000u32)),
                )
            } else {
                // Electronic 普票 (税控): 12-digit code.
                (
                    format!("0{province}00{yy:02}1{:02}11", rng.random_range(1..=31)),
                    format!("{:08}", rng.random_range(0..100_000_000u32)),
                )
            };
            if self.used.insert((direction, code.clone(), number.clone())) {
                return (code, number);
            }
        }
    }

    fn created(&self, rng: &mut SeedRng, issue: NaiveDate) -> DateTime<Utc> {
        before(
            office_time(add_days(issue, between(rng, 0, 5)), rng),
            self.cutoff,
        )
    }

    /// Sales invoices adding up (net of red letters) to `sales` fen, VAT-exclusive.
    pub(crate) fn sales(
        &mut self,
        rng: &mut SeedRng,
        period: Period,
        sales: i64,
        last_day: u32,
        out: &mut Vec<Invoice>,
    ) {
        if sales <= 0 || last_day == 0 {
            return;
        }
        let n = if self.profile.general {
            between(rng, 3, 10) as usize
        } else {
            (1 + sales / 1_500_000).clamp(1, 6) as usize + between(rng, 0, 1) as usize
        };
        for amount in split(rng, sales, n) {
            let retail = chance(rng, f64::from(self.profile.retail_pct) / 100.0);
            let special = !retail && chance(rng, if self.profile.general { 0.65 } else { 0.25 });
            let rate_bp = if self.profile.general {
                self.profile.output_rate_bp
            } else if special && self.profile.special_at_3pct {
                300
            } else {
                100
            };
            let digital = is_digital(period, rng, Direction::Out, self.profile.tax_control_until);
            let kind = match (digital, special) {
                (true, true) => "special_digital",
                (true, false) => "ordinary_digital",
                (false, true) => "special",
                (false, false) => "ordinary",
            };
            let (name, uscc) = if retail {
                ("个人".to_string(), None)
            } else {
                let b = self.parties.buyer(rng);
                (b.name.clone(), b.uscc.clone())
            };
            let issue = super::dates::day_between(rng, period, 1, last_day);
            let province = self.profile.province_code;
            let (code, number) =
                self.identity(rng, Direction::Out, digital, special, period, province);
            let tax = Money::from_fen(amount).mul_bp(rate_bp).fen();
            let created_at = self.created(rng, issue);
            let invoice = Invoice {
                period,
                direction: Direction::Out,
                kind,
                code,
                number,
                issue_date: issue,
                counterparty_name: name,
                counterparty_uscc: uscc,
                amount,
                rate_bp,
                tax,
                total: amount + tax,
                status: Status::Normal,
                deductible: false,
                use_confirmed_at: None,
                created_at,
            };
            if digital && chance(rng, 0.012) && issue.day0() + 2 < last_day {
                // Wrong buyer details: reversed with a red-letter invoice and issued again.
                let later = super::dates::day_between(rng, period, issue.day0() + 2, last_day);
                let (rc, rn) = self.identity(rng, Direction::Out, true, special, period, province);
                let (nc, nn) = self.identity(rng, Direction::Out, true, special, period, province);
                let red = Invoice {
                    code: rc,
                    number: rn,
                    issue_date: later,
                    amount: -invoice.amount,
                    tax: -invoice.tax,
                    total: -invoice.total,
                    status: Status::Red,
                    created_at: self.created(rng, later),
                    ..invoice.clone()
                };
                let again = Invoice {
                    code: nc,
                    number: nn,
                    issue_date: later,
                    created_at: self.created(rng, later),
                    ..invoice.clone()
                };
                out.push(invoice);
                out.push(red);
                out.push(again);
            } else if !digital && chance(rng, 0.08) {
                // A spoiled paper invoice voided the same day, then the real one.
                let (vc, vn) = self.identity(rng, Direction::Out, false, special, period, province);
                out.push(Invoice {
                    code: vc,
                    number: vn,
                    status: Status::Void,
                    ..invoice.clone()
                });
                out.push(invoice);
            } else {
                out.push(invoice);
            }
        }
    }

    /// Purchase invoices adding up to `purchases` fen (VAT-exclusive), plus a few travel and
    /// toll tickets.
    pub(crate) fn purchases(
        &mut self,
        rng: &mut SeedRng,
        period: Period,
        purchases: i64,
        last_day: u32,
        out: &mut Vec<Invoice>,
    ) {
        if purchases <= 0 || last_day == 0 {
            return;
        }
        let general = self.profile.general;
        let mix: &[(Supply, u32)] = match self.profile.trade {
            Trade::Goods => &[
                (Supply::Goods, 70),
                (Supply::Freight, 8),
                (Supply::Rent, 6),
                (Supply::Office, 4),
                (Supply::Telecom, 3),
                (Supply::Meals, 3),
                (Supply::Fuel, 3),
                (Supply::SmallShop, 3),
            ],
            Trade::Services => &[
                (Supply::Services, 35),
                (Supply::Rent, 22),
                (Supply::Office, 12),
                (Supply::Telecom, 10),
                (Supply::Meals, 12),
                (Supply::SmallShop, 9),
            ],
            Trade::Construction => &[
                (Supply::Goods, 55),
                (Supply::SmallShop, 17),
                (Supply::Freight, 10),
                (Supply::Rent, 5),
                (Supply::Fuel, 8),
                (Supply::Meals, 5),
            ],
            Trade::Transport => &[
                (Supply::Fuel, 45),
                (Supply::Goods, 15),
                (Supply::Rent, 10),
                (Supply::Meals, 6),
                (Supply::Office, 6),
                (Supply::Telecom, 8),
                (Supply::SmallShop, 10),
            ],
        };
        let n = if general {
            between(rng, 4, 10)
        } else {
            between(rng, 2, 6)
        } as usize;
        for amount in split(rng, purchases, n) {
            let supply = *weighted(rng, mix);
            let party = self.parties.supplier(rng, supply).clone();
            self.purchase(rng, period, supply, amount, &party, last_day, out);
        }
        // Rail/air tickets and toll e-invoices: small, and creditable for general taxpayers.
        let tickets = if general {
            between(rng, 0, 2)
        } else {
            between(rng, 0, 1)
        };
        for _ in 0..tickets {
            let toll = chance(rng, 0.5);
            let gross = between(rng, 4_000, 150_000);
            let rate_bp = if toll { 300 } else { 900 };
            let amount =
                crate::domain::vat::vat_exclusive_from_gross(Money::from_fen(gross), rate_bp)
                    .map(Money::fen)
                    .unwrap_or(gross);
            let party = Party {
                name: if toll {
                    format!("{}高速公路运营管理有限公司", self.parties.city)
                } else {
                    "铁路电子客票".to_string()
                },
                uscc: None,
            };
            let kind = if toll { "toll" } else { "transport" };
            let issue = super::dates::day_between(rng, period, 1, last_day);
            let (code, number) = self.identity(
                rng,
                Direction::In,
                true,
                false,
                period,
                self.parties.province,
            );
            let tax = gross - amount;
            out.push(Invoice {
                period,
                direction: Direction::In,
                kind,
                code,
                number,
                issue_date: issue,
                counterparty_name: party.name,
                counterparty_uscc: None,
                amount,
                rate_bp,
                tax,
                total: gross,
                status: Status::Normal,
                deductible: general,
                use_confirmed_at: general
                    .then(|| self.confirmed(rng, issue, period))
                    .flatten(),
                created_at: self.created(rng, issue),
            });
        }
    }

    fn confirmed(
        &self,
        rng: &mut SeedRng,
        issue: NaiveDate,
        period: Period,
    ) -> Option<DateTime<Utc>> {
        // Confirmed (用途确认) before the return is filed, around the 10th of the next month.
        let limit = super::dates::day_of(period.next(), 12);
        let day = add_days(issue, between(rng, 1, 12)).min(limit);
        let at = office_time(day, rng);
        (at < self.cutoff).then_some(at)
    }

    #[allow(clippy::too_many_arguments)]
    fn purchase(
        &mut self,
        rng: &mut SeedRng,
        period: Period,
        supply: Supply,
        amount: i64,
        party: &Party,
        last_day: u32,
        out: &mut Vec<Invoice>,
    ) {
        let general = self.profile.general;
        let mut rate_bp = supply.rate_bp();
        if supply == Supply::SmallShop && chance(rng, 0.2) {
            rate_bp = 300;
        }
        let special = match supply {
            Supply::Meals => false,
            _ if general => chance(rng, 0.78),
            _ => chance(rng, 0.08),
        };
        let digital = is_digital(period, rng, Direction::In, None);
        let kind = match (digital, special) {
            (true, true) => "special_digital",
            (true, false) => "ordinary_digital",
            (false, true) => "special",
            (false, false) => "ordinary",
        };
        let issue = super::dates::day_between(rng, period, 1, last_day);
        let province = if chance(rng, 0.85) {
            self.parties.province
        } else {
            pick(rng, CITIES).province_code
        };
        let (code, number) = self.identity(rng, Direction::In, digital, special, period, province);
        let tax = Money::from_fen(amount).mul_bp(rate_bp).fen();
        let deductible = general && special;
        let use_confirmed_at = if deductible {
            self.confirmed(rng, issue, period)
        } else {
            None
        };
        out.push(Invoice {
            period,
            direction: Direction::In,
            kind,
            code,
            number,
            issue_date: issue,
            counterparty_name: party.name.clone(),
            counterparty_uscc: party.uscc.clone(),
            amount,
            rate_bp,
            tax,
            total: amount + tax,
            status: Status::Normal,
            deductible,
            use_confirmed_at,
            created_at: self.created(rng, issue),
        });
    }
}

/// Industries are looked up by pointer elsewhere; this keeps the pool referenced in tests.
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn book(parties: &Counterparties, general: bool) -> InvoiceBook<'_> {
        InvoiceBook::new(
            parties,
            InvoiceProfile {
                general,
                trade: Trade::Goods,
                output_rate_bp: 1300,
                retail_pct: 20,
                special_at_3pct: false,
                province_code: "33",
                tax_control_until: None,
            },
            Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap(),
        )
    }

    #[test]
    fn sales_add_up_exactly_and_numbers_have_the_right_shape() {
        let parties = counterparties(1, Profile::Demo, &CITIES[0]);
        let mut b = book(&parties, false);
        let mut rng = stream(1, Profile::Demo, 500);
        for (y, m) in [(2024, 11), (2025, 6), (2026, 3)] {
            let p = Period::new(y, m).unwrap();
            let mut out = Vec::new();
            b.sales(&mut rng, p, 10_000_000, 28, &mut out);
            let net: i64 = out
                .iter()
                .filter(|i| i.status != Status::Void)
                .map(|i| i.amount)
                .sum();
            assert_eq!(net, 10_000_000);
            for i in &out {
                assert_eq!(i.tax, Money::from_fen(i.amount).mul_bp(i.rate_bp).fen());
                if (y, m) >= (2024, 12) {
                    assert!(i.code.is_empty() && i.number.len() == 20, "{i:?}");
                } else {
                    assert!(
                        matches!(i.code.len(), 10 | 12) && i.number.len() == 8,
                        "{i:?}"
                    );
                }
                assert_eq!(i.period, p);
                assert!(p.contains_date(i.issue_date));
            }
        }
    }

    #[test]
    fn general_purchases_are_deductible_only_on_special_invoices_and_tickets() {
        let parties = counterparties(2, Profile::Demo, &CITIES[0]);
        let mut b = book(&parties, true);
        let mut rng = stream(2, Profile::Demo, 501);
        let p = Period::new(2026, 5).unwrap();
        let mut out = Vec::new();
        for _ in 0..20 {
            b.purchases(&mut rng, p, 30_000_000, 31, &mut out);
        }
        for i in &out {
            assert_eq!(
                i.deductible,
                i.is_special() || matches!(i.kind, "transport" | "toll"),
                "{i:?}"
            );
            if i.deductible {
                assert!(i.use_confirmed_at.is_some());
            }
        }
        let ids: HashSet<_> = out.iter().map(|i| (&i.code, &i.number)).collect();
        assert_eq!(ids.len(), out.len());
    }
}
