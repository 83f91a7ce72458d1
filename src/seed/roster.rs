//! The firm, its staff, its customers and the people who speak for them — the part of the data
//! set that both the WeCom side and the books hang off. Pure: no database, no clock.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use rand::seq::SliceRandom;

use super::Profile;
use super::dates::{add_days, add_minutes, cutoff, office_time};
use super::names::{
    self, CITIES, City, District, Industry, PersonName, address, brand, city_by_short, city_full,
    mobile, person,
};
use super::rng::{STREAM_ROSTER, SeedRng, between, chance, pick, stream, weighted};
use super::sizes::Sizes;
use crate::domain::period::Period;
use crate::domain::uscc::{CHARSET, Uscc};

/// The demo firm's WeCom corp, fixed so demo links and screenshots stay valid across seeds.
pub const DEMO_CORP_ID: &str = "ww5f3c8a1d2e4b6079";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Firm {
    pub corp_id: String,
    pub name: String,
    pub short_name: String,
    pub city: &'static City,
    pub uscc: String,
    /// When the firm started using Zhangfang (its row's created_at).
    pub created_at: DateTime<Utc>,
    /// When the firm started using WeCom for customer contact.
    pub wecom_since: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum StaffRole {
    Owner,
    Admin,
    AccountManager,
    Bookkeeper,
    Reviewer,
    FieldAgent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Department {
    pub id: u32,
    pub name: String,
    pub parent_id: u32,
    pub order: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Staff {
    pub name: PersonName,
    pub mobile: String,
    pub userid: String,
    pub role: StaffRole,
    pub position: &'static str,
    pub department_ids: Vec<u32>,
    /// Whether the employee row is already bound to the WeCom member.
    pub bound: bool,
    pub created_at: DateTime<Utc>,
    pub bound_at: Option<DateTime<Utc>>,
    pub permissions: Vec<&'static str>,
}

/// Where a customer's service stands at `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServiceState {
    Serving,
    /// Service suspended from this month on (the company stopped trading for a while).
    Paused {
        from: Period,
    },
    /// The contract ran out after `last` and has not been renewed yet.
    Expired {
        last: Period,
    },
    /// Gone: `last` was the final month served.
    Lost {
        last: Period,
    },
}

impl ServiceState {
    pub(crate) fn code(self) -> &'static str {
        match self {
            ServiceState::Serving => "serving",
            ServiceState::Paused { .. } => "paused",
            ServiceState::Expired { .. } => "expired",
            ServiceState::Lost { .. } => "lost",
        }
    }

    pub(crate) fn tag_name(self) -> &'static str {
        match self {
            ServiceState::Serving => "服务中",
            ServiceState::Paused { .. } => "已暂停",
            ServiceState::Expired { .. } => "已到期",
            ServiceState::Lost { .. } => "已流失",
        }
    }

    /// The last month the firm works for the customer (the current month while serving).
    pub(crate) fn last_month(self, current: Period) -> Period {
        match self {
            ServiceState::Serving | ServiceState::Paused { .. } => current,
            ServiceState::Expired { last } | ServiceState::Lost { last } => last,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContactRole {
    Boss,
    Finance,
    Cashier,
    LegalRep,
    Other,
}

impl ContactRole {
    pub(crate) fn code(self) -> &'static str {
        match self {
            ContactRole::Boss => "boss",
            ContactRole::Finance => "finance",
            ContactRole::Cashier => "cashier",
            ContactRole::LegalRep => "legal_rep",
            ContactRole::Other => "other",
        }
    }

    pub(crate) fn title(self) -> &'static str {
        match self {
            ContactRole::Boss => "老板",
            ContactRole::Finance => "会计",
            ContactRole::Cashier => "出纳",
            ContactRole::LegalRep => "法人",
            ContactRole::Other => "行政",
        }
    }
}

/// A natural person on the customer side; one boss may speak for several companies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Person {
    pub name: PersonName,
    pub mobile: String,
    /// Added a firm member on WeChat/WeCom (so an external contact exists).
    pub on_wecom: bool,
    /// WeCom external contact type: 1 WeChat user, 2 WeCom user.
    pub contact_type: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Contact {
    pub customer: usize,
    pub person: usize,
    pub role: ContactRole,
    pub is_primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Customer {
    pub name: String,
    pub short_name: String,
    pub uscc: String,
    pub general: bool,
    pub vat_quarterly: bool,
    pub cit_monthly: bool,
    pub small_micro: bool,
    pub city_tax_level: i32,
    pub industry: &'static Industry,
    pub legal_rep: String,
    pub district: &'static District,
    pub city: &'static City,
    pub address: String,
    pub state: ServiceState,
    pub service_start: Period,
    /// A company founded when it signed with the firm (no trading history before).
    pub newly_founded: bool,
    pub am: usize,
    pub bk: usize,
    pub reviewer: Option<usize>,
    pub field_agent: Option<usize>,
    /// 客户等级 0 = A, 1 = B, 2 = C.
    pub level: usize,
    pub source: &'static str,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Indices into `Roster::contacts`, boss first.
    pub contacts: Vec<usize>,
}

impl Customer {
    pub(crate) fn region(&self) -> String {
        format!("{}{}", city_full(self.city), self.district.name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Roster {
    pub profile: Profile,
    pub as_of: NaiveDate,
    pub current: Period,
    pub cutoff: DateTime<Utc>,
    pub firm: Firm,
    pub departments: Vec<Department>,
    pub staff: Vec<Staff>,
    pub customers: Vec<Customer>,
    pub people: Vec<Person>,
    pub contacts: Vec<Contact>,
}

pub(crate) const LEVEL_TAGS: [&str; 3] = ["A类客户", "B类客户", "C类客户"];
pub(crate) const SOURCES: &[(&str, u32)] = &[
    ("老客户转介绍", 35),
    ("工商注册转化", 25),
    ("线上推广", 20),
    ("地推拜访", 10),
    ("同行转来", 10),
];

/// Permission codes staff can hold (admins have all of them implicitly).
#[cfg(test)]
pub(crate) const PERMISSIONS: [&str; 9] = [
    "basic",
    "service",
    "billing",
    "collection",
    "follow_up",
    "filing",
    "report",
    "invoice",
    "kb_manage",
];

pub(crate) fn corp_id(profile: Profile, seed: u64) -> String {
    match profile {
        Profile::Demo => DEMO_CORP_ID.to_string(),
        _ => {
            let letter = match profile {
                Profile::S => 's',
                Profile::M => 'm',
                _ => 'l',
            };
            let hash = super::rng::mix64(seed ^ super::rng::profile_salt(profile));
            format!("wwseed{letter}{:011x}", hash & 0x0fff_ffff_ffff)
        }
    }
}

pub(crate) fn build(profile: Profile, seed: u64, as_of: NaiveDate) -> Roster {
    let mut rng = stream(seed, profile, STREAM_ROSTER);
    let sizes = Sizes::of(profile);
    let current = Period::of_date(as_of);
    let cut = cutoff(as_of);
    let mut mobiles = HashSet::new();

    let firm = build_firm(&mut rng, profile, seed, as_of);
    let (departments, staff) = build_staff(&mut rng, profile, &sizes, &firm, cut, &mut mobiles);
    let mut customers = build_customers(&mut rng, &sizes, &firm, &staff, current, cut);
    let (people, contacts) = build_contacts(&mut rng, &mut customers, &mut mobiles);
    Roster {
        profile,
        as_of,
        current,
        cutoff: cut,
        firm,
        departments,
        staff,
        customers,
        people,
        contacts,
    }
}

fn build_firm(rng: &mut SeedRng, profile: Profile, seed: u64, as_of: NaiveDate) -> Firm {
    let (city, brand_name, prefix) = match profile {
        Profile::Demo => (
            city_by_short("杭州"),
            "明账".to_string(),
            "演示：".to_string(),
        ),
        _ => {
            let city = pick(rng, CITIES);
            let label = match profile {
                Profile::S => "S",
                Profile::M => "M",
                _ => "L",
            };
            (city, brand(rng), format!("压测{label}："))
        }
    };
    let short_name = format!("{brand_name}财税");
    let name = format!("{prefix}{}{brand_name}财税咨询有限公司", city.short);
    let district = pick(rng, city.districts);
    let uscc = generate_uscc(rng, district.code, &mut HashSet::new());
    // Zhangfang went live about fourteen months ago, WeCom a few years before that.
    let live = add_days(as_of, -between(rng, 400, 460));
    let wecom = add_days(as_of, -between(rng, 1_200, 1_500));
    Firm {
        corp_id: corp_id(profile, seed),
        name,
        short_name,
        city,
        uscc,
        created_at: office_time(live, rng),
        wecom_since: office_time(wecom, rng),
    }
}

const ZH_NUMBERS: [&str; 20] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四",
    "十五", "十六", "十七", "十八", "十九", "二十",
];

fn build_staff(
    rng: &mut SeedRng,
    profile: Profile,
    sizes: &Sizes,
    firm: &Firm,
    cut: DateTime<Utc>,
    mobiles: &mut HashSet<String>,
) -> (Vec<Department>, Vec<Staff>) {
    let mut departments = vec![
        Department {
            id: 1,
            name: firm.short_name.clone(),
            parent_id: 0,
            order: 100_000,
        },
        Department {
            id: 2,
            name: "综合管理部".into(),
            parent_id: 1,
            order: 99_000,
        },
        Department {
            id: 3,
            name: "客户服务部".into(),
            parent_id: 1,
            order: 98_000,
        },
    ];
    let teams = sizes.bookkeepers.div_ceil(12).max(1);
    for t in 0..teams {
        departments.push(Department {
            id: 4 + t as u32,
            name: format!("记账{}部", ZH_NUMBERS[t.min(19)]),
            parent_id: 1,
            order: 97_000 - t as u32 * 100,
        });
    }
    let mut next_dept = 4 + teams as u32;
    let review_dept = (sizes.reviewers > 0).then(|| {
        departments.push(Department {
            id: next_dept,
            name: "审核组".into(),
            parent_id: 1,
            order: 90_000,
        });
        next_dept += 1;
        next_dept - 1
    });
    let field_dept = (sizes.field_agents > 0).then(|| {
        departments.push(Department {
            id: next_dept,
            name: "外勤组".into(),
            parent_id: 1,
            order: 89_000,
        });
        next_dept
    });

    let mut roles: Vec<(StaffRole, Vec<u32>, &'static str)> =
        vec![(StaffRole::Owner, vec![1], "总经理")];
    for i in 0..sizes.admins {
        roles.push((
            StaffRole::Admin,
            vec![2],
            ["运营主管", "行政主管", "财务主管"][i % 3],
        ));
    }
    for i in 0..sizes.account_managers {
        let position = if i == 0 {
            "客户服务主管"
        } else {
            "客户经理"
        };
        roles.push((StaffRole::AccountManager, vec![3], position));
    }
    for i in 0..sizes.bookkeepers {
        let team = (i % teams) as u32;
        let position = if i < teams {
            "主办会计"
        } else {
            "记账会计"
        };
        roles.push((StaffRole::Bookkeeper, vec![4 + team], position));
    }
    for _ in 0..sizes.reviewers {
        roles.push((
            StaffRole::Reviewer,
            review_dept.into_iter().collect(),
            "审核会计",
        ));
    }
    for _ in 0..sizes.field_agents {
        roles.push((
            StaffRole::FieldAgent,
            field_dept.into_iter().collect(),
            "外勤专员",
        ));
    }

    // Members not yet bound: in the demo the admin and the second bookkeeper; elsewhere the most
    // recently hired bookkeepers.
    let unbound: HashSet<usize> = match profile {
        Profile::Demo => [1, 5].into_iter().collect(),
        _ => {
            let bookkeepers: Vec<usize> = roles
                .iter()
                .enumerate()
                .filter(|(_, (role, _, _))| *role == StaffRole::Bookkeeper)
                .map(|(i, _)| i)
                .collect();
            bookkeepers
                .iter()
                .rev()
                .take(sizes.unbound)
                .copied()
                .collect()
        }
    };

    let mut userids = HashSet::new();
    let mut names_used = HashSet::new();
    let live = firm.created_at;
    let staff = roles
        .into_iter()
        .enumerate()
        .map(|(i, (role, department_ids, position))| {
            let mut name = person(rng);
            while !names_used.insert(name.full.clone()) {
                name = person(rng);
            }
            let mut userid = name.pinyin.clone();
            let mut n = 2;
            while !userids.insert(userid.clone()) {
                userid = format!("{}{n}", name.pinyin);
                n += 1;
            }
            // Early staff were set up on go-live day; later ones joined over the year.
            let joined_days = if unbound.contains(&i) {
                between(rng, 300, 380)
            } else if i < 6 {
                between(rng, 0, 3)
            } else {
                between(rng, 1, 200)
            };
            let created_at = add_minutes(live, joined_days * 24 * 60 + between(rng, 0, 300));
            let created_at = super::dates::before(created_at, cut);
            let bound = !unbound.contains(&i);
            let bound_at = bound.then(|| {
                super::dates::before(add_minutes(created_at, between(rng, 10, 5 * 24 * 60)), cut)
            });
            let permissions = permissions_for(rng, role, i);
            Staff {
                mobile: mobile(rng, mobiles),
                name,
                userid,
                role,
                position,
                department_ids,
                bound,
                created_at,
                bound_at,
                permissions,
            }
        })
        .collect();
    (departments, staff)
}

fn permissions_for(rng: &mut SeedRng, role: StaffRole, index: usize) -> Vec<&'static str> {
    let mut perms: Vec<&'static str> = match role {
        StaffRole::Owner | StaffRole::Admin => Vec::new(),
        StaffRole::AccountManager => vec![
            "basic",
            "service",
            "billing",
            "collection",
            "follow_up",
            "report",
        ],
        StaffRole::Bookkeeper => vec![
            "basic",
            "service",
            "collection",
            "follow_up",
            "filing",
            "report",
            "invoice",
        ],
        StaffRole::Reviewer => vec!["basic", "filing", "report", "invoice"],
        StaffRole::FieldAgent => vec!["basic", "service", "follow_up"],
    };
    // Some account managers also see invoices; one senior person curates the knowledge base.
    if role == StaffRole::AccountManager && chance(rng, 0.5) {
        perms.push("invoice");
    }
    if matches!(role, StaffRole::AccountManager | StaffRole::Bookkeeper) && index % 7 == 2 {
        perms.push("kb_manage");
    }
    perms
}

fn org_code_check(body: &str) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(36).unwrap_or(0) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    }
}

/// A USCC for a company registered in `region` with a valid 组织机构代码 check and a valid
/// check character, not yet in `used`.
pub(crate) fn generate_uscc(rng: &mut SeedRng, region: &str, used: &mut HashSet<String>) -> String {
    let letters: Vec<char> = CHARSET.chars().filter(|c| c.is_ascii_uppercase()).collect();
    loop {
        // Codes issued since 2015 mostly start with "MA"; older firms kept their old org code.
        let body: String = if chance(rng, 0.75) {
            let mut s = String::from("MA");
            for k in 0..6 {
                if k == 0 || chance(rng, 0.6) {
                    s.push(char::from(b'0' + rng.random_range(0..10u8)));
                } else {
                    s.push(*pick(rng, &letters));
                }
            }
            s
        } else {
            format!("{:08}", rng.random_range(10_000_000..100_000_000u32))
        };
        let first17 = format!("91{region}{body}{}", org_code_check(&body));
        if let Ok(code) = Uscc::generate(&first17)
            && used.insert(code.as_str().to_string())
        {
            return code.as_str().to_string();
        }
    }
}

/// A registered company name: city + 字号 + industry word + 有限公司, unique within `used`.
pub(crate) fn company_name(
    rng: &mut SeedRng,
    city: &City,
    industry: &Industry,
    used: &mut HashSet<String>,
) -> (String, String) {
    loop {
        let brand_name = brand(rng);
        let name = format!("{}{brand_name}{}有限公司", city.short, industry.name_word);
        if used.insert(name.clone()) {
            let word: String = industry.name_word.chars().take(2).collect();
            return (name, format!("{brand_name}{word}"));
        }
    }
}

fn quota(n: usize, pct: f64, min: usize) -> usize {
    ((n as f64 * pct).round() as usize).max(min)
}

fn build_customers(
    rng: &mut SeedRng,
    sizes: &Sizes,
    firm: &Firm,
    staff: &[Staff],
    current: Period,
    cut: DateTime<Utc>,
) -> Vec<Customer> {
    let n = sizes.customers;
    let mut states = Vec::with_capacity(n);
    let paused = quota(n, 0.02, 1);
    let expired = quota(n, 0.06, 2);
    let lost = quota(n, 0.04, 1);
    for _ in 0..paused {
        states.push(ServiceState::Paused {
            from: current.add_months(-(between(rng, 0, 2) as i32)),
        });
    }
    for _ in 0..expired {
        states.push(ServiceState::Expired {
            last: current.add_months(-(between(rng, 1, 3) as i32)),
        });
    }
    for _ in 0..lost {
        states.push(ServiceState::Lost {
            last: current.add_months(-(between(rng, 4, 10) as i32)),
        });
    }
    while states.len() < n {
        states.push(ServiceState::Serving);
    }
    states.truncate(n);
    states.shuffle(rng);

    let generals = quota(n, 0.25, 1);
    let mut general_flags: Vec<bool> = (0..n).map(|i| i < generals).collect();
    general_flags.shuffle(rng);

    let by_role = |role: StaffRole| -> Vec<usize> {
        staff
            .iter()
            .enumerate()
            .filter(|(_, s)| s.role == role)
            .map(|(i, _)| i)
            .collect()
    };
    let ams = by_role(StaffRole::AccountManager);
    let bks = by_role(StaffRole::Bookkeeper);
    let reviewers = by_role(StaffRole::Reviewer);
    let field = by_role(StaffRole::FieldAgent);
    let mut am_order: Vec<usize> = (0..n).collect();
    am_order.shuffle(rng);
    let mut bk_order: Vec<usize> = (0..n).collect();
    bk_order.shuffle(rng);
    let mut am_of = vec![0; n];
    let mut bk_of = vec![0; n];
    for (slot, &c) in am_order.iter().enumerate() {
        am_of[c] = ams[slot % ams.len().max(1)];
    }
    for (slot, &c) in bk_order.iter().enumerate() {
        bk_of[c] = bks[slot % bks.len().max(1)];
    }

    let mut names_used = HashSet::new();
    let mut usccs = HashSet::new();
    (0..n)
        .map(|i| {
            let general = general_flags[i];
            let state = states[i];
            let industry = names::industry(rng);
            // A few customers are registered in a neighbouring city.
            let city = if chance(rng, 0.95) {
                firm.city
            } else {
                pick(rng, CITIES)
            };
            let district = pick(rng, city.districts);
            let (name, short_name) = company_name(rng, city, industry, &mut names_used);
            let uscc = generate_uscc(rng, district.code, &mut usccs);
            let vat_quarterly = !general && chance(rng, 0.8);
            let cit_monthly = general && chance(rng, 0.08);
            let small_micro = if general {
                chance(rng, 0.7)
            } else {
                chance(rng, 0.97)
            };
            let city_tax_level = if district.city_tax_level == 7 && chance(rng, 0.04) {
                // Registered in a town outside the urban area.
                1
            } else {
                district.city_tax_level
            };
            let service_start = match state {
                ServiceState::Serving | ServiceState::Paused { .. } => {
                    if chance(rng, 0.12) {
                        current.add_months(-(between(rng, 0, 10) as i32))
                    } else {
                        current.add_months(-(between(rng, 13, 84) as i32))
                    }
                }
                ServiceState::Expired { last } => {
                    last.add_months(-11 - 12 * between(rng, 0, 3) as i32)
                }
                // Some lost customers left in the middle of a contract year.
                ServiceState::Lost { last } => {
                    let early = if chance(rng, 0.4) {
                        between(rng, 1, 6)
                    } else {
                        0
                    };
                    last.add_months(-11 - 12 * between(rng, 0, 2) as i32 + early as i32)
                }
            };
            let newly_founded = service_start >= current.add_months(-12) && chance(rng, 0.6);
            let level = if general {
                *weighted(rng, &[(0usize, 50), (1, 40), (2, 10)])
            } else {
                *weighted(rng, &[(0usize, 10), (1, 50), (2, 40)])
            };
            let bk = bk_of[i];
            let reviewer = (!reviewers.is_empty()).then(|| reviewers[bk % reviewers.len()]);
            let field_agent = (!field.is_empty() && chance(rng, 0.25)).then(|| *pick(rng, &field));
            let start_day = service_start.first_day();
            let created_at = if start_day <= firm.created_at.date_naive() {
                // Imported in the first days after the firm went live.
                let day = add_days(firm.created_at.date_naive(), between(rng, 0, 5));
                office_time(day, rng).max(add_minutes(firm.created_at, 10))
            } else {
                office_time(add_days(start_day, -between(rng, 3, 20)), rng)
            };
            let created_at = super::dates::before(created_at, cut);
            let note = customer_note(rng, general, industry);
            Customer {
                name,
                short_name,
                uscc,
                general,
                vat_quarterly,
                cit_monthly,
                small_micro,
                city_tax_level,
                industry,
                legal_rep: String::new(),
                district,
                city,
                address: address(rng, city, district),
                state,
                service_start,
                newly_founded,
                am: am_of[i],
                bk,
                reviewer,
                field_agent,
                level,
                source: weighted::<&str>(rng, SOURCES),
                note,
                created_at,
                contacts: Vec::new(),
            }
        })
        .collect()
}

fn customer_note(rng: &mut SeedRng, general: bool, industry: &Industry) -> Option<String> {
    const NOTES: &[&str] = &[
        "老板习惯微信沟通，月初集中发票据",
        "票据由出纳每月5日前快递寄送",
        "有进项发票需要当月认证，提醒及时取得专票",
        "老板比较忙，重要事项先找会计沟通",
        "银行回单需自行到网银下载，提醒客户授权",
        "客户对价格敏感，续费前提前沟通",
        "公司有外地项目，注意跨区域涉税事项报告",
        "每季度末核对一次社保和个税人数",
    ];
    if chance(rng, 0.3) {
        let mut note = pick(rng, NOTES).to_string();
        if general && industry.trade == names::Trade::Goods && chance(rng, 0.5) {
            note.push_str("；进项多，月底前确认用途");
        }
        Some(note)
    } else {
        None
    }
}

fn build_contacts(
    rng: &mut SeedRng,
    customers: &mut [Customer],
    mobiles: &mut HashSet<String>,
) -> (Vec<Person>, Vec<Contact>) {
    let mut people: Vec<Person> = Vec::new();
    let mut contacts: Vec<Contact> = Vec::new();
    let mut new_person = |rng: &mut SeedRng,
                          people: &mut Vec<Person>,
                          female_bias: f64,
                          on_wecom: f64,
                          wecom_user: f64| {
        let mut name = person(rng);
        if chance(rng, female_bias) && name.gender == 1 {
            name = person(rng);
        }
        let on = chance(rng, on_wecom);
        people.push(Person {
            name,
            mobile: mobile(rng, mobiles),
            on_wecom: on,
            contact_type: if chance(rng, wecom_user) { 2 } else { 1 },
        });
        people.len() - 1
    };

    // About one customer in twelve shares its boss with the next customer.
    let n = customers.len();
    let mut shared_boss_of: Vec<Option<usize>> = vec![None; n];
    let mut i = 0;
    while i + 1 < n {
        if chance(rng, 0.085) {
            shared_boss_of[i + 1] = Some(i);
            i += 2;
        } else {
            i += 1;
        }
    }

    let mut boss_person = vec![0usize; n];
    for c in 0..n {
        let boss = match shared_boss_of[c] {
            Some(first) => {
                // The same boss: same account manager, and the same person on WeCom.
                customers[c].am = customers[first].am;
                boss_person[first]
            }
            None => new_person(rng, &mut people, 0.0, 0.97, 0.05),
        };
        boss_person[c] = boss;
        let boss_name = people[boss].name.full.clone();
        customers[c].legal_rep = if chance(rng, 0.85) {
            boss_name
        } else {
            person(rng).full
        };

        let mut roles = vec![(ContactRole::Boss, boss)];
        if chance(rng, 0.7) {
            roles.push((
                ContactRole::Finance,
                new_person(rng, &mut people, 0.75, 0.93, 0.15),
            ));
        }
        if chance(rng, 0.27) {
            roles.push((
                ContactRole::Cashier,
                new_person(rng, &mut people, 0.7, 0.85, 0.1),
            ));
        }
        if customers[c].legal_rep != people[boss].name.full && chance(rng, 0.5) {
            let p = new_person(rng, &mut people, 0.0, 0.6, 0.0);
            people[p].name.full = customers[c].legal_rep.clone();
            roles.push((ContactRole::LegalRep, p));
        }
        if chance(rng, 0.1) {
            roles.push((
                ContactRole::Other,
                new_person(rng, &mut people, 0.5, 0.8, 0.2),
            ));
        }
        let primary = if roles.len() > 1 && roles[1].0 == ContactRole::Finance && chance(rng, 0.5) {
            1
        } else {
            0
        };
        for (k, (role, p)) in roles.into_iter().enumerate() {
            customers[c].contacts.push(contacts.len());
            contacts.push(Contact {
                customer: c,
                person: p,
                role,
                is_primary: k == primary,
            });
        }
    }
    (people, contacts)
}

/// The month the customer's current contract year began (its anniversary month this year).
pub(crate) fn anniversary_start(service_start: Period, month: Period) -> Period {
    let offset = service_start.months_between(month).rem_euclid(12);
    month.add_months(-offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Roster {
        build(
            Profile::Demo,
            20_261_126,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        )
    }

    #[test]
    fn the_demo_has_six_employees_with_two_unbound() {
        let r = demo();
        assert_eq!(r.staff.len(), 6);
        assert_eq!(r.staff.iter().filter(|s| !s.bound).count(), 2);
        assert_eq!(r.staff[0].role, StaffRole::Owner);
        let mobiles: HashSet<_> = r.staff.iter().map(|s| &s.mobile).collect();
        assert_eq!(mobiles.len(), 6);
        let userids: HashSet<_> = r.staff.iter().map(|s| &s.userid).collect();
        assert_eq!(userids.len(), 6);
    }

    #[test]
    fn generated_usccs_parse_without_warnings_and_are_unique() {
        let r = build(
            Profile::S,
            5,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        );
        let mut seen = HashSet::new();
        for c in &r.customers {
            let (code, warnings) = Uscc::parse(&c.uscc).unwrap();
            assert!(warnings.is_empty(), "{}: {warnings:?}", c.uscc);
            assert_eq!(code.region_code(), c.district.code);
            assert!(seen.insert(c.uscc.clone()));
        }
        let (_, warnings) = Uscc::parse(&r.firm.uscc).unwrap();
        assert!(warnings.is_empty());
    }

    #[test]
    fn customer_names_are_unique_and_three_quarters_small_scale() {
        let r = build(
            Profile::S,
            5,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        );
        assert_eq!(r.customers.len(), 300);
        let names: HashSet<_> = r.customers.iter().map(|c| &c.name).collect();
        assert_eq!(names.len(), 300);
        let small = r.customers.iter().filter(|c| !c.general).count();
        assert_eq!(small, 225);
        assert!(r.customers.iter().all(|c| c.name.ends_with("有限公司")));
        let contacts = r.contacts.len();
        assert!((560..=720).contains(&contacts), "{contacts} contacts");
        for c in &r.customers {
            let primaries = c
                .contacts
                .iter()
                .filter(|&&k| r.contacts[k].is_primary)
                .count();
            assert_eq!(primaries, 1, "{}", c.name);
        }
    }

    #[test]
    fn anniversary_start_finds_the_current_contract_year() {
        let p = |y, m| Period::new(y, m).unwrap();
        assert_eq!(anniversary_start(p(2021, 4), p(2026, 11)), p(2026, 4));
        assert_eq!(anniversary_start(p(2021, 12), p(2026, 11)), p(2025, 12));
        assert_eq!(anniversary_start(p(2026, 11), p(2026, 11)), p(2026, 11));
    }

    #[test]
    fn staff_roles_follow_the_l_profile() {
        let r = build(
            Profile::L,
            1,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        );
        assert_eq!(r.staff.len(), 150);
        let ams = r
            .staff
            .iter()
            .filter(|s| s.role == StaffRole::AccountManager)
            .count();
        assert_eq!(ams, 20);
        assert!(r.staff.iter().filter(|s| !s.bound).count() >= 2);
        for s in &r.staff {
            assert!(s.permissions.iter().all(|p| PERMISSIONS.contains(p)));
        }
    }
}
