//! Pools of Chinese names, company name parts, industries and regions (with their 6-digit
//! 行政区划 codes), plus the small generators built on them. Everything here is data or a pure
//! function of a random stream.

use std::collections::HashSet;

use rand::Rng;

use super::rng::{SeedRng, chance, pick, weighted};

/// Common surnames with pinyin, weighted roughly by frequency.
const SURNAMES: &[((&str, &str), u32)] = &[
    (("王", "wang"), 72),
    (("李", "li"), 72),
    (("张", "zhang"), 68),
    (("刘", "liu"), 55),
    (("陈", "chen"), 48),
    (("杨", "yang"), 35),
    (("黄", "huang"), 25),
    (("赵", "zhao"), 23),
    (("吴", "wu"), 22),
    (("周", "zhou"), 21),
    (("徐", "xu"), 17),
    (("孙", "sun"), 16),
    (("马", "ma"), 15),
    (("朱", "zhu"), 14),
    (("胡", "hu"), 13),
    (("郭", "guo"), 12),
    (("何", "he"), 12),
    (("高", "gao"), 11),
    (("林", "lin"), 11),
    (("罗", "luo"), 10),
    (("郑", "zheng"), 10),
    (("梁", "liang"), 9),
    (("谢", "xie"), 8),
    (("宋", "song"), 8),
    (("唐", "tang"), 8),
    (("许", "xu"), 7),
    (("韩", "han"), 7),
    (("冯", "feng"), 7),
    (("邓", "deng"), 7),
    (("曹", "cao"), 6),
    (("彭", "peng"), 6),
    (("曾", "zeng"), 6),
    (("肖", "xiao"), 6),
    (("田", "tian"), 5),
    (("董", "dong"), 5),
    (("袁", "yuan"), 5),
    (("潘", "pan"), 5),
    (("蒋", "jiang"), 5),
    (("蔡", "cai"), 5),
    (("余", "yu"), 5),
    (("杜", "du"), 4),
    (("叶", "ye"), 4),
    (("程", "cheng"), 4),
    (("苏", "su"), 4),
    (("魏", "wei"), 4),
    (("吕", "lv"), 4),
    (("丁", "ding"), 4),
    (("沈", "shen"), 4),
    (("姚", "yao"), 3),
    (("卢", "lu"), 3),
    (("姜", "jiang"), 3),
    (("崔", "cui"), 3),
    (("钟", "zhong"), 3),
    (("谭", "tan"), 3),
    (("陆", "lu"), 3),
    (("汪", "wang"), 3),
    (("范", "fan"), 3),
    (("金", "jin"), 3),
    (("方", "fang"), 3),
    (("俞", "yu"), 2),
    (("钱", "qian"), 2),
    (("严", "yan"), 2),
    (("章", "zhang"), 2),
    (("楼", "lou"), 1),
    (("邵", "shao"), 2),
];

const GIVEN_MALE: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("斌", "bin"),
    ("超", "chao"),
    ("明", "ming"),
    ("刚", "gang"),
    ("平", "ping"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("华", "hua"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("波", "bo"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("文", "wen"),
    ("海", "hai"),
    ("峰", "feng"),
    ("晨", "chen"),
    ("博", "bo"),
    ("毅", "yi"),
    ("龙", "long"),
    ("东", "dong"),
    ("林", "lin"),
    ("亮", "liang"),
    ("成", "cheng"),
    ("荣", "rong"),
    ("永", "yong"),
];

const GIVEN_FEMALE: &[(&str, &str)] = &[
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("慧", "hui"),
    ("琳", "lin"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("玲", "ling"),
    ("洁", "jie"),
    ("燕", "yan"),
    ("萍", "ping"),
    ("红", "hong"),
    ("梅", "mei"),
    ("莉", "li"),
    ("佳", "jia"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("悦", "yue"),
    ("晶", "jing"),
    ("蕾", "lei"),
    ("薇", "wei"),
    ("璐", "lu"),
    ("瑶", "yao"),
    ("丹", "dan"),
    ("琴", "qin"),
    ("秀", "xiu"),
    ("英", "ying"),
    ("月", "yue"),
    ("晓", "xiao"),
    ("雅", "ya"),
    ("楠", "nan"),
    ("思", "si"),
    ("雯", "wen"),
];

/// A generated person: the full name, its pinyin (for WeCom userids) and WeCom's gender code
/// (1 male, 2 female).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PersonName {
    pub full: String,
    pub surname: &'static str,
    pub pinyin: String,
    pub gender: u8,
}

pub(crate) fn person(rng: &mut SeedRng) -> PersonName {
    let (surname, surname_py) = *weighted(rng, SURNAMES);
    let gender = if chance(rng, 0.5) { 1 } else { 2 };
    let pool = if gender == 1 {
        GIVEN_MALE
    } else {
        GIVEN_FEMALE
    };
    let mut full = surname.to_string();
    let mut pinyin = surname_py.to_string();
    let chars = if chance(rng, 0.3) { 1 } else { 2 };
    for _ in 0..chars {
        let (han, py) = *pick(rng, pool);
        full.push_str(han);
        pinyin.push_str(py);
    }
    PersonName {
        full,
        surname,
        pinyin,
        gender,
    }
}

/// How a boss is addressed in remarks and messages: 王总, 李姐 ….
pub(crate) fn honorific(name: &PersonName, boss: bool) -> String {
    if boss {
        format!("{}总", name.surname)
    } else if name.gender == 2 {
        format!("{}姐", name.surname)
    } else {
        format!("{}哥", name.surname)
    }
}

/// Mobile prefixes in use by the three carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "198", "199",
];

/// An 11-digit mobile number not yet in `used`.
pub(crate) fn mobile(rng: &mut SeedRng, used: &mut HashSet<String>) -> String {
    loop {
        let number = format!(
            "{}{:08}",
            pick(rng, MOBILE_PREFIXES),
            rng.random_range(0..100_000_000u32)
        );
        if used.insert(number.clone()) {
            return number;
        }
    }
}

/// Characters that make up company 字号.
const BRAND_CHARS: &[&str] = &[
    "鑫", "达", "恒", "瑞", "盛", "华", "泰", "隆", "宏", "信", "诚", "安", "康", "博", "众", "联",
    "创", "新", "锦", "源", "德", "嘉", "和", "兴", "旺", "丰", "祥", "润", "海", "天", "宇", "星",
    "辰", "越", "卓", "睿", "智", "优", "佳", "益", "利", "通", "汇", "聚", "鼎", "辉", "明", "阳",
    "光", "晟", "昊", "腾", "飞", "远", "航", "立", "合", "乐", "邦", "凯", "亿", "万", "方", "元",
    "正", "中", "金", "玉", "泽", "川", "江", "峰", "林", "森", "松", "云", "朗", "悦", "欣", "雅",
    "尚", "品", "匠", "宁", "青", "蓝", "禾", "沐", "启", "开", "景", "晋", "铭", "耀", "弘", "翔",
];

pub(crate) fn brand(rng: &mut SeedRng) -> String {
    let first = pick(rng, BRAND_CHARS);
    let mut second = pick(rng, BRAND_CHARS);
    while second == first {
        second = pick(rng, BRAND_CHARS);
    }
    format!("{first}{second}")
}

/// What kind of business an industry is, which decides VAT rates, costs and invoice patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trade {
    Goods,
    Services,
    Construction,
    Transport,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Industry {
    /// Stored in `customer.industry` and used as the 行业 tag.
    pub label: &'static str,
    /// The 行业 part of a registered company name.
    pub name_word: &'static str,
    pub trade: Trade,
    /// General-taxpayer output VAT rate in basis points.
    pub vat_rate_bp: u32,
    /// Cost of sales as a share of revenue, percent.
    pub cost_pct: u32,
    /// Payroll as a share of revenue, percent.
    pub payroll_pct: u32,
    /// Share of sales invoiced to individuals (普票 without a buyer tax number), percent.
    pub retail_pct: u32,
    /// Relative frequency among a firm's customers.
    pub weight: u32,
}

pub(crate) const INDUSTRIES: &[Industry] = &[
    Industry {
        label: "信息技术",
        name_word: "网络科技",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 30,
        payroll_pct: 38,
        retail_pct: 5,
        weight: 16,
    },
    Industry {
        label: "软件开发",
        name_word: "信息技术",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 25,
        payroll_pct: 42,
        retail_pct: 0,
        weight: 8,
    },
    Industry {
        label: "商贸批发",
        name_word: "商贸",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 82,
        payroll_pct: 7,
        retail_pct: 10,
        weight: 16,
    },
    Industry {
        label: "进出口贸易",
        name_word: "贸易",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 85,
        payroll_pct: 6,
        retail_pct: 0,
        weight: 5,
    },
    Industry {
        label: "电子商务",
        name_word: "电子商务",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 70,
        payroll_pct: 12,
        retail_pct: 60,
        weight: 9,
    },
    Industry {
        label: "餐饮服务",
        name_word: "餐饮管理",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 45,
        payroll_pct: 28,
        retail_pct: 90,
        weight: 7,
    },
    Industry {
        label: "建筑工程",
        name_word: "建筑工程",
        trade: Trade::Construction,
        vat_rate_bp: 900,
        cost_pct: 78,
        payroll_pct: 10,
        retail_pct: 0,
        weight: 5,
    },
    Industry {
        label: "装饰装修",
        name_word: "装饰工程",
        trade: Trade::Construction,
        vat_rate_bp: 900,
        cost_pct: 70,
        payroll_pct: 14,
        retail_pct: 40,
        weight: 6,
    },
    Industry {
        label: "文化传媒",
        name_word: "文化传媒",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 40,
        payroll_pct: 30,
        retail_pct: 5,
        weight: 6,
    },
    Industry {
        label: "企业管理咨询",
        name_word: "企业管理咨询",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 20,
        payroll_pct: 40,
        retail_pct: 5,
        weight: 7,
    },
    Industry {
        label: "物流运输",
        name_word: "物流",
        trade: Trade::Transport,
        vat_rate_bp: 900,
        cost_pct: 72,
        payroll_pct: 15,
        retail_pct: 10,
        weight: 4,
    },
    Industry {
        label: "机械设备制造",
        name_word: "机械设备",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 72,
        payroll_pct: 13,
        retail_pct: 0,
        weight: 3,
    },
    Industry {
        label: "服装服饰",
        name_word: "服饰",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 65,
        payroll_pct: 12,
        retail_pct: 50,
        weight: 4,
    },
    Industry {
        label: "教育培训",
        name_word: "教育科技",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 25,
        payroll_pct: 40,
        retail_pct: 85,
        weight: 4,
    },
    Industry {
        label: "健康管理",
        name_word: "健康管理",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 35,
        payroll_pct: 32,
        retail_pct: 70,
        weight: 3,
    },
    Industry {
        label: "食品销售",
        name_word: "食品",
        trade: Trade::Goods,
        vat_rate_bp: 1300,
        cost_pct: 75,
        payroll_pct: 10,
        retail_pct: 40,
        weight: 4,
    },
    Industry {
        label: "人力资源服务",
        name_word: "人力资源",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 55,
        payroll_pct: 25,
        retail_pct: 0,
        weight: 3,
    },
    Industry {
        label: "环保科技",
        name_word: "环保科技",
        trade: Trade::Services,
        vat_rate_bp: 600,
        cost_pct: 45,
        payroll_pct: 25,
        retail_pct: 0,
        weight: 3,
    },
];

pub(crate) fn industry(rng: &mut SeedRng) -> &'static Industry {
    let total: u32 = INDUSTRIES.iter().map(|i| i.weight).sum();
    let mut ticket = rng.random_range(0..total);
    for industry in INDUSTRIES {
        if ticket < industry.weight {
            return industry;
        }
        ticket -= industry.weight;
    }
    &INDUSTRIES[0]
}

/// A county-level division with its 行政区划 code and the 城建税 rate (percent) that applies
/// at its urban addresses: 7 in city districts, 5 in county towns.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct District {
    pub name: &'static str,
    pub code: &'static str,
    pub city_tax_level: i32,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct City {
    /// Short name used in company names: 杭州.
    pub short: &'static str,
    pub province: &'static str,
    /// Two-digit province code, also the tax-authority part of 数电 invoice numbers.
    pub province_code: &'static str,
    pub districts: &'static [District],
    pub roads: &'static [&'static str],
    pub parks: &'static [&'static str],
}

const fn d(name: &'static str, code: &'static str, city_tax_level: i32) -> District {
    District {
        name,
        code,
        city_tax_level,
    }
}

pub(crate) const CITIES: &[City] = &[
    City {
        short: "杭州",
        province: "浙江省",
        province_code: "33",
        districts: &[
            d("上城区", "330102", 7),
            d("拱墅区", "330105", 7),
            d("西湖区", "330106", 7),
            d("滨江区", "330108", 7),
            d("萧山区", "330109", 7),
            d("余杭区", "330110", 7),
            d("富阳区", "330111", 7),
            d("临平区", "330113", 7),
            d("钱塘区", "330114", 7),
            d("桐庐县", "330122", 5),
            d("淳安县", "330127", 5),
        ],
        roads: &[
            "文三路",
            "文一西路",
            "莫干山路",
            "江南大道",
            "滨盛路",
            "古墩路",
            "学院路",
            "庆春路",
            "市心北路",
            "五常大道",
        ],
        parks: &[
            "东部软件园",
            "海创园",
            "白马湖创意城",
            "智慧产业园",
            "数字经济产业园",
        ],
    },
    City {
        short: "上海",
        province: "上海市",
        province_code: "31",
        districts: &[
            d("黄浦区", "310101", 7),
            d("徐汇区", "310104", 7),
            d("长宁区", "310105", 7),
            d("静安区", "310106", 7),
            d("普陀区", "310107", 7),
            d("杨浦区", "310110", 7),
            d("闵行区", "310112", 7),
            d("宝山区", "310113", 7),
            d("嘉定区", "310114", 7),
            d("浦东新区", "310115", 7),
            d("松江区", "310117", 7),
            d("青浦区", "310118", 7),
            d("崇明区", "310151", 5),
        ],
        roads: &[
            "漕溪北路",
            "张江路",
            "共和新路",
            "虹桥路",
            "曹安公路",
            "沪闵路",
            "军工路",
            "真北路",
            "九新公路",
        ],
        parks: &["科技园", "创意园", "企业中心", "商务大厦"],
    },
    City {
        short: "成都",
        province: "四川省",
        province_code: "51",
        districts: &[
            d("锦江区", "510104", 7),
            d("青羊区", "510105", 7),
            d("金牛区", "510106", 7),
            d("武侯区", "510107", 7),
            d("成华区", "510108", 7),
            d("龙泉驿区", "510112", 7),
            d("双流区", "510116", 7),
            d("郫都区", "510117", 7),
            d("蒲江县", "510131", 5),
        ],
        roads: &[
            "天府大道",
            "人民南路",
            "蜀汉路",
            "建设路",
            "羊西线",
            "科华北路",
            "一环路",
        ],
        parks: &["天府软件园", "创业中心", "科技孵化园", "商务中心"],
    },
    City {
        short: "南京",
        province: "江苏省",
        province_code: "32",
        districts: &[
            d("玄武区", "320102", 7),
            d("秦淮区", "320104", 7),
            d("建邺区", "320105", 7),
            d("鼓楼区", "320106", 7),
            d("栖霞区", "320113", 7),
            d("雨花台区", "320114", 7),
            d("江宁区", "320115", 7),
        ],
        roads: &[
            "中山路",
            "汉中路",
            "江东中路",
            "龙蟠路",
            "软件大道",
            "双龙大道",
        ],
        parks: &["软件谷", "科创园", "商务中心", "创业大厦"],
    },
    City {
        short: "武汉",
        province: "湖北省",
        province_code: "42",
        districts: &[
            d("江岸区", "420102", 7),
            d("江汉区", "420103", 7),
            d("硚口区", "420104", 7),
            d("武昌区", "420106", 7),
            d("洪山区", "420111", 7),
            d("东西湖区", "420112", 7),
        ],
        roads: &[
            "解放大道",
            "中北路",
            "珞喻路",
            "光谷大道",
            "建设大道",
            "金银湖路",
        ],
        parks: &["光谷创业街", "科技园", "商务中心", "创意天地"],
    },
];

pub(crate) fn city_by_short(short: &str) -> &'static City {
    CITIES
        .iter()
        .find(|c| c.short == short)
        .unwrap_or(&CITIES[0])
}

/// A street address inside `district`, e.g. 杭州市西湖区文三路478号东部软件园3幢1203室.
pub(crate) fn address(rng: &mut SeedRng, city: &City, district: &District) -> String {
    let road = pick(rng, city.roads);
    let number = rng.random_range(1..=999u32);
    let room = rng.random_range(1..=28u32) * 100 + rng.random_range(1..=20u32);
    let prefix = format!("{}{}{road}{number}号", city_full(city), district.name);
    if chance(rng, 0.5) {
        let park = pick(rng, city.parks);
        let building = rng.random_range(1..=12u32);
        format!("{prefix}{park}{building}幢{room}室")
    } else {
        format!("{prefix}{room}室")
    }
}

/// 杭州市 / 上海市.
pub(crate) fn city_full(city: &City) -> String {
    format!("{}市", city.short)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Profile;
    use crate::seed::rng::stream;

    #[test]
    fn district_codes_are_six_digits_and_belong_to_their_province() {
        for city in CITIES {
            for district in city.districts {
                assert_eq!(district.code.len(), 6, "{}", district.name);
                assert!(district.code.bytes().all(|b| b.is_ascii_digit()));
                assert!(
                    district.code.starts_with(city.province_code),
                    "{}",
                    district.name
                );
            }
        }
    }

    #[test]
    fn person_names_have_two_or_three_characters_and_pinyin_userids() {
        let mut rng = stream(1, Profile::Demo, 77);
        for _ in 0..200 {
            let p = person(&mut rng);
            let len = p.full.chars().count();
            assert!((2..=3).contains(&len), "{}", p.full);
            assert!(p.pinyin.bytes().all(|b| b.is_ascii_lowercase()));
        }
    }

    #[test]
    fn mobiles_are_unique_and_well_formed() {
        let mut rng = stream(1, Profile::Demo, 78);
        let mut used = HashSet::new();
        for _ in 0..500 {
            let m = mobile(&mut rng, &mut used);
            assert_eq!(m.len(), 11);
            assert!(m.starts_with('1') && (b'3'..=b'9').contains(&m.as_bytes()[1]));
        }
        assert_eq!(used.len(), 500);
    }
}
