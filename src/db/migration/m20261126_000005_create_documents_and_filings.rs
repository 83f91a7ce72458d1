//! Creates `invoice_collection`, `missing_invoice`, `invoice`, `tax_filing`, `filing_calendar`, `holiday`, `financial_report`, `follow_up`, `attachment`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000005_create_documents_and_filings"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE invoice_collection (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    received_at {TS} NOT NULL,
    received_by BIGINT,
    lines {JSON} NOT NULL,
    total_count INTEGER NOT NULL DEFAULT 0,
    total_fen BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_invoice_collection_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_invoice_collection_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_invoice_collection_received_by FOREIGN KEY (firm_id, received_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_invoice_collection_firm_id_customer_id_period ON invoice_collection (firm_id, customer_id, period)"#,
    r#"CREATE TABLE missing_invoice (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    description TEXT,
    expected_fen BIGINT,
    marked_by BIGINT,
    marked_at {TS} NOT NULL,
    resolved_at {TS},
    resolved_by BIGINT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_missing_invoice_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_missing_invoice_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_missing_invoice_marked_by FOREIGN KEY (firm_id, marked_by) REFERENCES employee (firm_id, id),
    CONSTRAINT fk_missing_invoice_resolved_by FOREIGN KEY (firm_id, resolved_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_missing_invoice_firm_id_customer_id_period ON missing_invoice (firm_id, customer_id, period)"#,
    r#"CREATE TABLE invoice (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    kind TEXT NOT NULL CHECK (kind IN ('special', 'ordinary', 'special_digital', 'ordinary_digital', 'customs', 'transport', 'toll', 'other')),
    code TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL,
    issue_date {DATE} NOT NULL,
    counterparty_name TEXT NOT NULL,
    counterparty_uscc TEXT,
    amount_fen BIGINT NOT NULL,
    rate_bp INTEGER NOT NULL,
    tax_fen BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'void', 'red')),
    deductible BOOLEAN NOT NULL DEFAULT FALSE,
    use_confirmed_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_invoice_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_invoice_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id)
)"#,
    r#"CREATE UNIQUE INDEX ux_invoice_firm_id_customer_id_direction_code_number ON invoice (firm_id, customer_id, direction, code, number) WHERE deleted_at IS NULL"#,
    r#"CREATE INDEX ix_invoice_firm_id_customer_id_period_direction ON invoice (firm_id, customer_id, period, direction)"#,
    r#"CREATE TABLE tax_filing (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    tax_type TEXT NOT NULL CHECK (tax_type IN ('vat_surcharge', 'cit_prepay', 'iit_withhold', 'stamp', 'fin_report', 'cit_annual', 'other')),
    due_date {DATE} NOT NULL,
    due_provisional BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'filed', 'paid', 'not_required', 'overdue')),
    payable_fen BIGINT NOT NULL DEFAULT 0,
    paid_fen BIGINT NOT NULL DEFAULT 0,
    filed_at {TS},
    filed_by BIGINT,
    notified_at {TS},
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_tax_filing_firm_id_customer_id_tax_type_period_from UNIQUE (firm_id, customer_id, tax_type, period_from),
    CONSTRAINT fk_tax_filing_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_tax_filing_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_tax_filing_filed_by FOREIGN KEY (firm_id, filed_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_tax_filing_firm_id_status_due_date ON tax_filing (firm_id, status, due_date)"#,
    r#"CREATE TABLE filing_calendar (
    id {ID},
    year INTEGER NOT NULL,
    month INTEGER NOT NULL,
    deadline {DATE} NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    source TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_filing_calendar_year_month_region UNIQUE (year, month, region)
)"#,
    r#"CREATE TABLE holiday (
    day {DATE} NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL,
    PRIMARY KEY (day)
)"#,
    r#"CREATE TABLE financial_report (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    report_type TEXT NOT NULL CHECK (report_type IN ('balance_sheet', 'income_statement', 'cash_flow')),
    standard TEXT NOT NULL DEFAULT 'small_enterprise',
    lines {JSON} NOT NULL,
    generated_at {TS} NOT NULL,
    sent_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_financial_report_firm_id_customer_id_period_report_type UNIQUE (firm_id, customer_id, period, report_type),
    CONSTRAINT fk_financial_report_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_financial_report_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id)
)"#,
    r#"CREATE TABLE follow_up (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    employee_id BIGINT,
    kind TEXT NOT NULL DEFAULT 'chat' CHECK (kind IN ('chat', 'call', 'visit', 'other')),
    content TEXT NOT NULL,
    next_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT fk_follow_up_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_follow_up_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_follow_up_employee_id FOREIGN KEY (firm_id, employee_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_follow_up_firm_id_customer_id_created_at ON follow_up (firm_id, customer_id, created_at)"#,
    r#"CREATE TABLE attachment (
    id {ID},
    firm_id BIGINT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    media_id TEXT,
    media_expires_at {TS},
    created_by BIGINT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_attachment_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_attachment_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_attachment_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_attachment_firm_id_owner_type_owner_id ON attachment (firm_id, owner_type, owner_id)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
