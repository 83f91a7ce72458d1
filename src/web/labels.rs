//! The Chinese names of stored codes, as pages show them.

use crate::db::entities::employee;

pub trait Label {
    fn label(&self) -> &'static str;
}

impl Label for employee::Role {
    fn label(&self) -> &'static str {
        match self {
            Self::SuperAdmin => "超级管理员",
            Self::Admin => "管理员",
            Self::Staff => "职员",
        }
    }
}

impl Label for employee::Status {
    fn label(&self) -> &'static str {
        match self {
            Self::Active => "在职",
            Self::Disabled => "已停用",
            Self::Left => "已离职",
        }
    }
}

impl Label for employee::DataScope {
    fn label(&self) -> &'static str {
        match self {
            Self::Own => "本人负责的客户",
            Self::All => "全部客户",
        }
    }
}
