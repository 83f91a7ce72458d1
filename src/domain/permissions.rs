//! What an employee may do: the sidebar sections and the knowledge-base rights, as codes stored
//! in `employee_permission.perm_code`.
//!
//! Admins hold every permission. Staff hold what was granted, and every employee may view and
//! send knowledge-base articles (the manual's 知识库 view/send right is for all).

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// 基础资料: company, contacts, tags, linking chats to customers.
    Basic,
    /// 服务: service periods, expiry and missing-invoice reminders.
    Service,
    /// 收款: arrears, contracts, dunning, receipts.
    Billing,
    /// 确认收款: confirming (and reversing) a payment.
    BillingConfirm,
    /// 收票: invoice collection.
    Collection,
    /// 跟进: follow-ups.
    FollowUp,
    /// 报税: tax filings.
    Filing,
    /// 报表: financial statements.
    Report,
    /// 发票: invoices and the VAT estimate.
    Invoice,
    KbView,
    KbManage,
    KbAudit,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Self::Basic,
        Self::Service,
        Self::Billing,
        Self::BillingConfirm,
        Self::Collection,
        Self::FollowUp,
        Self::Filing,
        Self::Report,
        Self::Invoice,
        Self::KbView,
        Self::KbManage,
        Self::KbAudit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Service => "service",
            Self::Billing => "billing",
            Self::BillingConfirm => "billing_confirm",
            Self::Collection => "collection",
            Self::FollowUp => "follow_up",
            Self::Filing => "filing",
            Self::Report => "report",
            Self::Invoice => "invoice",
            Self::KbView => "kb_view",
            Self::KbManage => "kb_manage",
            Self::KbAudit => "kb_audit",
        }
    }

    /// The name admins see on the permissions page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Basic => "基础资料",
            Self::Service => "服务",
            Self::Billing => "收款",
            Self::BillingConfirm => "确认收款",
            Self::Collection => "收票",
            Self::FollowUp => "跟进",
            Self::Filing => "报税",
            Self::Report => "报表",
            Self::Invoice => "发票",
            Self::KbView => "查看和发送知识库",
            Self::KbManage => "管理知识库",
            Self::KbAudit => "审核知识库",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Permission {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or_else(|| format!("unknown permission `{code}`"))
    }
}

/// A set of permissions, small enough to copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions(u16);

impl Permissions {
    pub fn everything() -> Self {
        Permission::ALL.into_iter().collect()
    }

    /// A staff member's rights from their stored codes; unknown codes are ignored and viewing
    /// the knowledge base is always included.
    pub fn from_codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut set: Self = codes.into_iter().filter_map(|c| c.parse().ok()).collect();
        set.insert(Permission::KbView);
        set
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= p.bit();
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = Self::default();
        for p in iter {
            set.insert(p);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_parses_back_to_its_permission() {
        for p in Permission::ALL {
            assert_eq!(p.code().parse::<Permission>(), Ok(p));
        }
        assert!("admin".parse::<Permission>().is_err());
    }

    #[test]
    fn staff_always_may_view_the_knowledge_base_and_nothing_else_unasked() {
        let set = Permissions::from_codes(["basic", "billing", "nonsense"]);
        assert!(set.contains(Permission::Basic));
        assert!(set.contains(Permission::Billing));
        assert!(set.contains(Permission::KbView));
        assert!(!set.contains(Permission::BillingConfirm));
        assert!(!set.contains(Permission::KbManage));
        assert_eq!(set.iter().count(), 3);
    }

    #[test]
    fn everything_holds_all_twelve() {
        assert_eq!(Permissions::everything().iter().count(), 12);
    }
}
