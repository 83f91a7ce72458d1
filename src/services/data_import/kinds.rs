//! What each kind of data looks like in a spreadsheet: its columns, with Chinese headers, the
//! API field each fills and how its cells are read. The fields are the REST API's, so a row
//! becomes exactly the input a client would send.

use serde::Serialize;

/// How a column's cells are read.
#[derive(Clone, Copy, Debug)]
pub enum Cell {
    Text,
    /// 元 → integer fen.
    Fen,
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM`.
    Period,
    /// An instant (Beijing time).
    Time,
    Bool,
    Int,
    /// Percent as a whole number (城建税 7%).
    Percent,
    /// A tax rate in basis points.
    Rate,
    /// One of the codes, by code or Chinese name.
    Choice(&'static [(&'static str, &'static [&'static str])]),
}

/// One column of a kind's template.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The API field it fills.
    pub key: &'static str,
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub cell: Cell,
    /// A field of one line (collections and statements have several lines per record).
    pub line: bool,
    /// The template's example value.
    pub example: &'static str,
}

const fn req(key: &'static str, header: &'static str, cell: Cell, example: &'static str) -> Field {
    Field {
        key,
        header,
        aliases: &[],
        required: true,
        cell,
        line: false,
        example,
    }
}

const fn opt(key: &'static str, header: &'static str, cell: Cell, example: &'static str) -> Field {
    Field {
        key,
        header,
        aliases: &[],
        required: false,
        cell,
        line: false,
        example,
    }
}

const fn aka(mut field: Field, aliases: &'static [&'static str]) -> Field {
    field.aliases = aliases;
    field
}

const fn line(mut field: Field) -> Field {
    field.line = true;
    field
}

/// The kinds of data a firm imports, one per API resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Customers,
    Contacts,
    Contracts,
    Receivables,
    Invoices,
    Collections,
    Filings,
    Statements,
    Tags,
    Payments,
    MissingInvoices,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Customers,
        Kind::Contacts,
        Kind::Contracts,
        Kind::Receivables,
        Kind::Invoices,
        Kind::Collections,
        Kind::Filings,
        Kind::Statements,
        Kind::Tags,
        Kind::Payments,
        Kind::MissingInvoices,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Contacts => "contacts",
            Kind::Contracts => "contracts",
            Kind::Receivables => "receivables",
            Kind::Invoices => "invoices",
            Kind::Collections => "collections",
            Kind::Filings => "filings",
            Kind::Statements => "statements",
            Kind::Tags => "tags",
            Kind::Payments => "payments",
            Kind::MissingInvoices => "missing_invoices",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Customers => "客户",
            Kind::Contacts => "联系人",
            Kind::Contracts => "服务合同",
            Kind::Receivables => "应收款",
            Kind::Invoices => "发票",
            Kind::Collections => "收票记录",
            Kind::Filings => "报税记录",
            Kind::Statements => "财务报表",
            Kind::Tags => "标签",
            Kind::Payments => "收款",
            Kind::MissingInvoices => "缺票记录",
        }
    }

    /// What the page says about the kind's rows.
    pub fn hint(self) -> &'static str {
        match self {
            Kind::Customers => {
                "只有“客户编号”和“客户名称”必填，其余不填时取默认值（小规模纳税人、按季申报等）。"
            }
            Kind::Contacts | Kind::Contracts | Kind::Receivables | Kind::Filings => {
                "“客户编号”须是已导入的客户。"
            }
            Kind::Invoices => {
                "“客户编号”须是已导入的客户；不填“记录编号”时按客户、进销项、发票代码和号码生成。"
            }
            Kind::Collections => "同一“收票编号”的多行是一次收票的多种票据。",
            Kind::Statements => "同一“报表编号”的多行是一张报表的各行次。",
            Kind::Tags => "标签组不存在时自动新建。",
            Kind::Payments => {
                "“客户编号”须是已导入的客户；收款按到期先后自动核销该客户的应收款，金额不能超过欠款。"
            }
            Kind::MissingInvoices => "“客户编号”须是已导入的客户。",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// Kinds whose rows depend on the rows before them in the store (a payment can be no more
    /// than what the customer still owes after the payments above it): run one API upsert per
    /// row, never in bulk.
    pub fn row_by_row(self) -> bool {
        self == Kind::Payments
    }

    /// Collections and statements take several rows (their lines) per record.
    pub fn grouped(self) -> bool {
        self.fields().iter().any(|f| f.line)
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Customers => CUSTOMERS,
            Kind::Contacts => CONTACTS,
            Kind::Contracts => CONTRACTS,
            Kind::Receivables => RECEIVABLES,
            Kind::Invoices => INVOICES,
            Kind::Collections => COLLECTIONS,
            Kind::Filings => FILINGS,
            Kind::Statements => STATEMENTS,
            Kind::Tags => TAGS,
            Kind::Payments => PAYMENTS,
            Kind::MissingInvoices => MISSING_INVOICES,
        }
    }
}

const CUSTOMER_REF: Field = aka(
    req("customer_external_id", "客户编号", Cell::Text, "KH0001"),
    &["客户ID", "客户代码"],
);

const STANDARDS: &[(&str, &[&str])] = &[
    ("small_enterprise", &["小企业会计准则"]),
    ("enterprise", &["企业会计准则"]),
];

const CUSTOMERS: &[Field] = &[
    aka(
        req("external_id", "客户编号", Cell::Text, "KH0001"),
        &["客户ID", "客户代码"],
    ),
    aka(
        req("name", "客户名称", Cell::Text, "杭州示例科技有限公司"),
        &["公司名称", "企业名称"],
    ),
    opt("short_name", "简称", Cell::Text, "示例科技"),
    aka(
        opt("uscc", "统一社会信用代码", Cell::Text, "91330106MA2GL1RQ5X"),
        &["信用代码", "税号", "纳税人识别号"],
    ),
    opt(
        "taxpayer_type",
        "纳税人类型",
        Cell::Choice(&[
            ("small_scale", &["小规模纳税人", "小规模"]),
            ("general", &["一般纳税人", "一般"]),
        ]),
        "小规模纳税人",
    ),
    opt(
        "vat_period",
        "增值税申报周期",
        Cell::Choice(PERIODICITY),
        "按季",
    ),
    opt(
        "cit_period",
        "所得税申报周期",
        Cell::Choice(PERIODICITY),
        "按季",
    ),
    opt("is_small_micro", "小型微利企业", Cell::Bool, "是"),
    opt("city_tax_level", "城建税税率", Cell::Percent, "7%"),
    opt(
        "accounting_standard",
        "会计准则",
        Cell::Choice(STANDARDS),
        "小企业会计准则",
    ),
    opt("industry", "行业", Cell::Text, "软件和信息技术服务业"),
    aka(
        opt("legal_rep", "法定代表人", Cell::Text, "张三"),
        &["法人"],
    ),
    opt("region", "地区", Cell::Text, "浙江省杭州市西湖区"),
    opt("address", "地址", Cell::Text, "文三路 100 号"),
    opt(
        "service_status",
        "服务状态",
        Cell::Choice(&[
            ("serving", &["服务中", "在服"]),
            ("paused", &["暂停", "暂停服务"]),
            ("expired", &["已到期", "到期"]),
            ("lost", &["已流失", "流失"]),
        ]),
        "服务中",
    ),
    opt("service_start", "开始服务期间", Cell::Period, "2026-01"),
    aka(
        opt("account_manager", "客户经理", Cell::Text, "王鹏"),
        &["服务顾问", "客户经理手机号"],
    ),
    aka(
        opt("bookkeeper", "主办会计", Cell::Text, "13900000002"),
        &["记账会计", "会计", "主办会计手机号"],
    ),
    opt("note", "备注", Cell::Text, ""),
];

const PERIODICITY: &[(&str, &[&str])] = &[
    ("month", &["按月", "月", "月报"]),
    ("quarter", &["按季", "季", "季度", "按季度", "季报"]),
];

const CONTACTS: &[Field] = &[
    aka(
        req("external_id", "联系人编号", Cell::Text, "LXR0001"),
        &["联系人ID"],
    ),
    CUSTOMER_REF,
    aka(req("name", "姓名", Cell::Text, "李四"), &["联系人"]),
    opt(
        "role",
        "角色",
        Cell::Choice(&[
            ("boss", &["老板", "负责人"]),
            ("finance", &["财务", "会计"]),
            ("cashier", &["出纳"]),
            ("legal_rep", &["法人", "法定代表人"]),
            ("other", &["其他"]),
        ]),
        "财务",
    ),
    aka(
        opt("mobile", "手机号", Cell::Text, "13800138000"),
        &["手机", "手机号码", "电话"],
    ),
    opt("is_primary", "主要联系人", Cell::Bool, "是"),
    opt("note", "备注", Cell::Text, ""),
];

const CONTRACTS: &[Field] = &[
    aka(
        req("external_id", "合同编号", Cell::Text, "HT2026001"),
        &["合同ID"],
    ),
    CUSTOMER_REF,
    aka(
        opt("contract_no", "合同号", Cell::Text, "HT2026001"),
        &["纸质合同号"],
    ),
    opt("service_type", "服务类型", Cell::Text, "代理记账"),
    req("start_period", "开始期间", Cell::Period, "2026-01"),
    req("end_period", "结束期间", Cell::Period, "2026-12"),
    aka(
        req("fee_per_month_fen", "月服务费（元）", Cell::Fen, "300.00"),
        &["月服务费", "每月费用"],
    ),
    opt(
        "billing_cycle",
        "收费周期",
        Cell::Choice(&[
            ("month", &["按月", "月付"]),
            ("quarter", &["按季", "季付"]),
            ("half_year", &["按半年", "半年付"]),
            ("year", &["按年", "年付"]),
        ]),
        "按年",
    ),
    aka(
        opt("total_fen", "合同金额（元）", Cell::Fen, "3,600.00"),
        &["合同金额", "合同总额"],
    ),
    opt(
        "status",
        "合同状态",
        Cell::Choice(&[
            ("draft", &["草稿"]),
            ("active", &["执行中", "生效", "有效"]),
            ("expired", &["已到期", "到期"]),
            ("terminated", &["已终止", "终止"]),
        ]),
        "执行中",
    ),
    opt("signed_on", "签订日期", Cell::Date, "2025-12-20"),
    opt("note", "备注", Cell::Text, ""),
];

const RECEIVABLES: &[Field] = &[
    aka(
        req("external_id", "应收编号", Cell::Text, "YS2026001"),
        &["应收ID"],
    ),
    CUSTOMER_REF,
    opt("contract_external_id", "合同编号", Cell::Text, "HT2026001"),
    req("fee_item", "费用项目", Cell::Text, "代理记账费"),
    req("period_from", "起始期间", Cell::Period, "2026-01"),
    req("period_to", "结束期间", Cell::Period, "2026-12"),
    aka(
        req("amount_fen", "应收金额（元）", Cell::Fen, "3,600.00"),
        &["金额", "应收金额"],
    ),
    aka(
        req("due_date", "到期日", Cell::Date, "2026-01-31"),
        &["应收日期", "截止日期"],
    ),
    opt("void", "已作废", Cell::Bool, "否"),
    opt("note", "备注", Cell::Text, ""),
];

const INVOICES: &[Field] = &[
    aka(
        opt("external_id", "记录编号", Cell::Text, "FP0001"),
        &["发票编号", "发票ID"],
    ),
    CUSTOMER_REF,
    aka(
        req(
            "direction",
            "进销项",
            Cell::Choice(&[
                ("in", &["进项", "进项发票", "收票"]),
                ("out", &["销项", "销项发票", "开票"]),
            ]),
            "销项",
        ),
        &["进项/销项", "方向"],
    ),
    aka(
        req(
            "kind",
            "发票类型",
            Cell::Choice(&[
                ("special", &["增值税专用发票", "专票"]),
                ("ordinary", &["增值税普通发票", "普票"]),
                (
                    "special_digital",
                    &[
                        "数电专票",
                        "电子发票（增值税专用发票）",
                        "数电票（增值税专用发票）",
                    ],
                ),
                (
                    "ordinary_digital",
                    &["数电普票", "电子发票（普通发票）", "数电票（普通发票）"],
                ),
                ("customs", &["海关缴款书", "海关进口增值税专用缴款书"]),
                ("transport", &["运输发票", "旅客运输"]),
                ("toll", &["通行费发票", "通行费"]),
                ("other", &["其他"]),
            ]),
            "数电普票",
        ),
        &["票种", "发票种类"],
    ),
    opt("code", "发票代码", Cell::Text, ""),
    req("number", "发票号码", Cell::Text, "24332000000012345678"),
    req("issue_date", "开票日期", Cell::Date, "2026-11-05"),
    aka(
        opt("period", "所属期间", Cell::Period, "2026-11"),
        &["所属期", "认证期间"],
    ),
    aka(
        req(
            "counterparty_name",
            "对方名称",
            Cell::Text,
            "宁波示例贸易有限公司",
        ),
        &["购买方名称", "销售方名称", "对方单位"],
    ),
    aka(
        opt(
            "counterparty_uscc",
            "对方税号",
            Cell::Text,
            "91330201MA2H0XXXXX",
        ),
        &["购买方税号", "销售方税号", "对方纳税人识别号"],
    ),
    aka(
        req("amount_fen", "金额（元）", Cell::Fen, "10,000.00"),
        &["金额", "不含税金额"],
    ),
    req("rate_bp", "税率", Cell::Rate, "1%"),
    aka(req("tax_fen", "税额（元）", Cell::Fen, "100.00"), &["税额"]),
    aka(
        req("total_fen", "价税合计（元）", Cell::Fen, "10,100.00"),
        &["价税合计", "含税金额"],
    ),
    aka(
        opt(
            "status",
            "发票状态",
            Cell::Choice(&[
                ("normal", &["正常", "正常发票"]),
                ("void", &["作废", "已作废"]),
                ("red", &["红冲", "已红冲", "红字"]),
            ]),
            "正常",
        ),
        &["状态"],
    ),
    opt("deductible", "可抵扣", Cell::Bool, ""),
];

const COLLECTIONS: &[Field] = &[
    aka(
        req("external_id", "收票编号", Cell::Text, "SP2026110001"),
        &["收票ID"],
    ),
    CUSTOMER_REF,
    req("period", "所属期间", Cell::Period, "2026-10"),
    aka(
        req("received_at", "收到时间", Cell::Time, "2026-11-05 10:30"),
        &["收到日期", "收票日期"],
    ),
    line(req("doc_type", "票据类型", Cell::Text, "进项发票")),
    line(aka(req("count", "张数", Cell::Int, "12"), &["数量"])),
    line(aka(
        req("amount_fen", "金额（元）", Cell::Fen, "5,600.00"),
        &["金额"],
    )),
    opt("note", "备注", Cell::Text, ""),
];

const FILINGS: &[Field] = &[
    aka(
        req("external_id", "申报编号", Cell::Text, "SB2026100001"),
        &["申报ID"],
    ),
    CUSTOMER_REF,
    req("period_from", "起始期间", Cell::Period, "2026-07"),
    req("period_to", "结束期间", Cell::Period, "2026-09"),
    req(
        "tax_type",
        "税种",
        Cell::Choice(&[
            ("vat_surcharge", &["增值税及附加", "增值税"]),
            ("cit_prepay", &["企业所得税预缴", "所得税预缴"]),
            ("iit_withhold", &["个人所得税代扣", "个税", "个人所得税"]),
            ("stamp", &["印花税"]),
            ("fin_report", &["财务报表报送", "财务报表"]),
            ("cit_annual", &["企业所得税汇算清缴", "汇算清缴"]),
            ("other", &["其他"]),
        ]),
        "增值税及附加",
    ),
    aka(
        req("due_date", "申报截止日", Cell::Date, "2026-10-24"),
        &["截止日期", "申报期限"],
    ),
    opt(
        "status",
        "申报状态",
        Cell::Choice(&[
            ("pending", &["待申报", "未申报"]),
            ("filed", &["已申报"]),
            ("paid", &["已缴款", "已缴税"]),
            ("not_required", &["无需申报"]),
            ("overdue", &["逾期", "已逾期"]),
        ]),
        "已申报",
    ),
    aka(
        opt("payable_fen", "应纳税额（元）", Cell::Fen, "1,200.00"),
        &["应纳税额"],
    ),
    aka(
        opt("paid_fen", "已缴税额（元）", Cell::Fen, "0"),
        &["已缴税额", "已缴"],
    ),
    opt("filed_at", "申报时间", Cell::Time, "2026-10-15 09:00"),
    opt("note", "备注", Cell::Text, ""),
];

const STATEMENTS: &[Field] = &[
    aka(
        req("external_id", "报表编号", Cell::Text, "BB2026100001"),
        &["报表ID"],
    ),
    CUSTOMER_REF,
    req("period", "所属期间", Cell::Period, "2026-10"),
    req(
        "report_type",
        "报表类型",
        Cell::Choice(&[
            ("balance_sheet", &["资产负债表"]),
            ("income_statement", &["利润表", "损益表"]),
            ("cash_flow", &["现金流量表"]),
        ]),
        "资产负债表",
    ),
    opt(
        "standard",
        "会计准则",
        Cell::Choice(STANDARDS),
        "小企业会计准则",
    ),
    line(req("line", "行次", Cell::Int, "1")),
    line(req("item", "项目", Cell::Text, "货币资金")),
    line(aka(
        req("col1", "期末余额/本期金额（元）", Cell::Fen, "12,345.67"),
        &["期末余额", "本期金额", "本月金额"],
    )),
    line(aka(
        req("col2", "年初余额/本年累计（元）", Cell::Fen, "10,000.00"),
        &["年初余额", "本年累计金额", "本年累计"],
    )),
    opt("generated_at", "生成时间", Cell::Time, ""),
];

const TAGS: &[Field] = &[
    aka(
        req("external_id", "标签编号", Cell::Text, "BQ001"),
        &["标签ID"],
    ),
    aka(req("group", "标签组", Cell::Text, "客户等级"), &["分组"]),
    aka(req("name", "标签名称", Cell::Text, "重点客户"), &["标签"]),
    aka(opt("sort", "排序", Cell::Int, "1"), &["顺序"]),
];

const PAYMENTS: &[Field] = &[
    aka(
        req("external_id", "收款编号", Cell::Text, "SK2026110001"),
        &["收款ID", "流水号"],
    ),
    CUSTOMER_REF,
    aka(
        req("amount_fen", "收款金额（元）", Cell::Fen, "3,600.00"),
        &["收款金额", "金额"],
    ),
    aka(
        opt(
            "method",
            "收款方式",
            Cell::Choice(&[
                ("transfer", &["银行转账", "转账", "对公转账"]),
                ("wechat", &["微信", "微信支付"]),
                ("alipay", &["支付宝"]),
                ("cash", &["现金"]),
                ("other", &["其他"]),
            ]),
            "银行转账",
        ),
        &["支付方式"],
    ),
    aka(
        req("paid_on", "到账日期", Cell::Date, "2026-11-05"),
        &["收款日期", "付款日期"],
    ),
    aka(opt("payer", "付款人", Cell::Text, ""), &["付款方"]),
    opt("note", "备注", Cell::Text, ""),
];

const MISSING_INVOICES: &[Field] = &[
    aka(
        req("external_id", "缺票编号", Cell::Text, "QP2026110001"),
        &["缺票ID"],
    ),
    CUSTOMER_REF,
    req("period", "所属期间", Cell::Period, "2026-10"),
    req("doc_type", "票据类型", Cell::Text, "进项发票"),
    aka(
        opt("description", "缺少内容", Cell::Text, "10月房租发票"),
        &["说明", "描述"],
    ),
    aka(
        opt("expected_fen", "应有金额（元）", Cell::Fen, "5,000.00"),
        &["金额"],
    ),
    aka(opt("resolved", "已补齐", Cell::Bool, "否"), &["已解决"]),
];
