//! What an API key may do: `RESOURCE:read` / `RESOURCE:write` per resource, or `all`. Writing a
//! resource includes reading it.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Customers,
    Contacts,
    Contracts,
    Receivables,
    Payments,
    Invoices,
    Collections,
    Filings,
    Statements,
    Tags,
}

impl Resource {
    pub const ALL: [Resource; 10] = [
        Self::Customers,
        Self::Contacts,
        Self::Contracts,
        Self::Receivables,
        Self::Payments,
        Self::Invoices,
        Self::Collections,
        Self::Filings,
        Self::Statements,
        Self::Tags,
    ];

    /// The path segment and scope name: `/api/v1/customers`, `customers:read`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Contacts => "contacts",
            Self::Contracts => "contracts",
            Self::Receivables => "receivables",
            Self::Payments => "payments",
            Self::Invoices => "invoices",
            Self::Collections => "collections",
            Self::Filings => "filings",
            Self::Statements => "statements",
            Self::Tags => "tags",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::Customers => "客户",
            Self::Contacts => "联系人",
            Self::Contracts => "服务合同",
            Self::Receivables => "应收款",
            Self::Payments => "收款",
            Self::Invoices => "发票",
            Self::Collections => "收票",
            Self::Filings => "报税",
            Self::Statements => "财务报表",
            Self::Tags => "标签",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    Read,
    Write,
}

/// The scopes of one key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes {
    all: bool,
    granted: Vec<(Resource, Access)>,
}

impl Scopes {
    pub fn everything() -> Self {
        Self {
            all: true,
            granted: Vec::new(),
        }
    }

    pub fn allows(&self, resource: Resource, access: Access) -> bool {
        self.all
            || self.granted.iter().any(|(r, a)| {
                *r == resource && (*a == access || (*a == Access::Write && access == Access::Read))
            })
    }

    pub fn reads_anything(&self) -> bool {
        self.all || !self.granted.is_empty()
    }

    /// Whether the changes of a table (as the audit log names it) are readable with these scopes.
    pub fn reads_entity(&self, entity: &str) -> bool {
        Resource::of_entity(entity).is_some_and(|r| self.allows(r, Access::Read))
    }
}

impl Resource {
    /// The resource a table's rows belong to (payments own their allocations and receipts,
    /// collections their missing invoices, customers their follow-ups).
    pub fn of_entity(entity: &str) -> Option<Resource> {
        Some(match entity {
            "customer" | "follow_up" => Self::Customers,
            "contact" => Self::Contacts,
            "service_contract" => Self::Contracts,
            "receivable" => Self::Receivables,
            "payment" | "payment_allocation" | "receipt" => Self::Payments,
            "invoice" => Self::Invoices,
            "invoice_collection" | "missing_invoice" => Self::Collections,
            "tax_filing" => Self::Filings,
            "financial_report" => Self::Statements,
            "tag" | "customer_tag" => Self::Tags,
            _ => return None,
        })
    }
}

impl FromStr for Scopes {
    type Err = String;

    /// `all`, or a comma list of `RESOURCE:read` / `RESOURCE:write`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut scopes = Scopes::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                scopes.all = true;
                continue;
            }
            let (name, access) = part
                .split_once(':')
                .ok_or_else(|| format!("scope `{part}` should look like customers:read"))?;
            let resource = Resource::ALL
                .into_iter()
                .find(|r| r.name() == name)
                .ok_or_else(|| format!("unknown resource `{name}` in scope `{part}`"))?;
            let access = match access {
                "read" => Access::Read,
                "write" => Access::Write,
                other => return Err(format!("unknown access `{other}` in scope `{part}`")),
            };
            if !scopes.granted.contains(&(resource, access)) {
                scopes.granted.push((resource, access));
            }
        }
        if !scopes.all && scopes.granted.is_empty() {
            return Err("at least one scope is needed".into());
        }
        scopes.granted.sort();
        Ok(scopes)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all {
            return f.write_str("all");
        }
        let parts: Vec<String> = self
            .granted
            .iter()
            .map(|(r, a)| {
                format!(
                    "{}:{}",
                    r.name(),
                    match a {
                        Access::Read => "read",
                        Access::Write => "write",
                    }
                )
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_back() {
        let s: Scopes = "invoices:read, customers:write".parse().unwrap();
        assert_eq!(s.to_string(), "customers:write,invoices:read");
        assert!(
            s.allows(Resource::Customers, Access::Read),
            "write includes read"
        );
        assert!(s.allows(Resource::Customers, Access::Write));
        assert!(s.allows(Resource::Invoices, Access::Read));
        assert!(!s.allows(Resource::Invoices, Access::Write));
        assert!(!s.allows(Resource::Payments, Access::Read));
        let all: Scopes = "all".parse().unwrap();
        assert!(all.allows(Resource::Payments, Access::Write));
        for bad in ["", "customers", "customer:read", "customers:delete"] {
            assert!(bad.parse::<Scopes>().is_err(), "{bad}");
        }
    }
}
