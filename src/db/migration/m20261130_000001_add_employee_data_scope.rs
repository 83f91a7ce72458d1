//! Adds `employee.data_scope`: which customers an employee sees in the sidebar and back office —
//! `own` (those they serve or follow in WeCom) or `all`. Admins start with `all`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000001_add_employee_data_scope"
    }
}

const STATEMENTS: &[&str] = &[
    r#"ALTER TABLE employee ADD COLUMN data_scope TEXT NOT NULL DEFAULT 'own' CHECK (data_scope IN ('own', 'all'))"#,
    r#"UPDATE employee SET data_scope = 'all' WHERE role IN ('super_admin', 'admin')"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
