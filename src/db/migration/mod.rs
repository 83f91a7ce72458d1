//! Schema migrations. The same migrations run on SQLite and PostgreSQL: each is portable SQL with
//! a few type placeholders (see [`portable`]). Landed migrations are never edited; a change is a
//! new migration.

use sea_orm_migration::prelude::*;

mod m20261126_000001_create_firms_and_employees;
mod m20261126_000002_create_customers_and_tags;
mod m20261126_000003_create_wecom_mirror_and_contacts;
mod m20261126_000004_create_billing;
mod m20261126_000005_create_documents_and_filings;
mod m20261126_000006_create_knowledge_and_messages;
mod m20261126_000007_create_system_tables;
mod m20261126_000008_seed_holidays_and_calendar;
mod m20261126_000009_create_sms_codes;
mod m20261130_000001_add_employee_data_scope;
mod m20261130_000002_add_sms_code_requester;
mod m20261130_000003_create_oauth_state;
mod m20261130_000004_add_employee_password;
mod m20261130_000005_add_2026_filing_calendar;
mod m20261130_000006_create_api_keys;
mod m20261130_000007_add_external_ids;
mod m20261201_000201_create_wecom_verify_file;
mod m20261201_000301_create_sidebar_context;
mod m20261201_000401_add_wecom_sync_progress;
mod m20261201_000501_add_payment_reversal;
mod m20261201_000502_create_media_file;
mod m20261201_000801_add_missing_invoice_external_id;
mod m20261201_000901_add_callback_inbox_object_key;
mod m20261201_001001_name_holidays;
mod m20261201_001101_add_tax_filing_customer_index;
mod m20261201_001201_drop_callback_inbox_foreign_keys;
mod m20261201_001301_index_callback_inbox_by_firm;
mod m20261201_001302_index_done_callback_inbox_by_time;
mod m20261202_000101_index_message_log_by_time;
pub mod portable;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_firms_and_employees::Migration),
            Box::new(m20261126_000002_create_customers_and_tags::Migration),
            Box::new(m20261126_000003_create_wecom_mirror_and_contacts::Migration),
            Box::new(m20261126_000004_create_billing::Migration),
            Box::new(m20261126_000005_create_documents_and_filings::Migration),
            Box::new(m20261126_000006_create_knowledge_and_messages::Migration),
            Box::new(m20261126_000007_create_system_tables::Migration),
            Box::new(m20261126_000008_seed_holidays_and_calendar::Migration),
            Box::new(m20261126_000009_create_sms_codes::Migration),
            Box::new(m20261130_000001_add_employee_data_scope::Migration),
            Box::new(m20261130_000002_add_sms_code_requester::Migration),
            Box::new(m20261130_000003_create_oauth_state::Migration),
            Box::new(m20261130_000004_add_employee_password::Migration),
            Box::new(m20261130_000005_add_2026_filing_calendar::Migration),
            Box::new(m20261130_000006_create_api_keys::Migration),
            Box::new(m20261130_000007_add_external_ids::Migration),
            Box::new(m20261201_000201_create_wecom_verify_file::Migration),
            Box::new(m20261201_000301_create_sidebar_context::Migration),
            Box::new(m20261201_000401_add_wecom_sync_progress::Migration),
            Box::new(m20261201_000501_add_payment_reversal::Migration),
            Box::new(m20261201_000502_create_media_file::Migration),
            Box::new(m20261201_000801_add_missing_invoice_external_id::Migration),
            Box::new(m20261201_000901_add_callback_inbox_object_key::Migration),
            Box::new(m20261201_001001_name_holidays::Migration),
            Box::new(m20261201_001101_add_tax_filing_customer_index::Migration),
            Box::new(m20261201_001201_drop_callback_inbox_foreign_keys::Migration),
            Box::new(m20261201_001301_index_callback_inbox_by_firm::Migration),
            Box::new(m20261201_001302_index_done_callback_inbox_by_time::Migration),
            Box::new(m20261202_000101_index_message_log_by_time::Migration),
        ]
    }
}
