//! Creates `service_contract`, `service_period`, `receivable`, `payment`, `payment_allocation`, `receipt`, `receipt_counter`, `dunning`.

use sea_orm_migration::prelude::*;

use super::portable;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261126_000004_create_billing"
    }
}

const STATEMENTS: &[&str] = &[
    r#"CREATE TABLE service_contract (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    contract_no TEXT NOT NULL,
    service_type TEXT NOT NULL DEFAULT 'bookkeeping',
    start_period TEXT NOT NULL,
    end_period TEXT NOT NULL,
    fee_per_month_fen BIGINT NOT NULL,
    billing_cycle TEXT NOT NULL CHECK (billing_cycle IN ('month', 'quarter', 'half_year', 'year')),
    total_fen BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'expired', 'terminated')),
    renewed_from_id BIGINT,
    signed_on {DATE},
    created_by BIGINT,
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_service_contract_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_service_contract_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_service_contract_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_service_contract_renewed_from_id FOREIGN KEY (firm_id, renewed_from_id) REFERENCES service_contract (firm_id, id),
    CONSTRAINT fk_service_contract_created_by FOREIGN KEY (firm_id, created_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE UNIQUE INDEX ux_service_contract_firm_id_contract_no ON service_contract (firm_id, contract_no) WHERE deleted_at IS NULL"#,
    r#"CREATE INDEX ix_service_contract_firm_id_customer_id_end_period ON service_contract (firm_id, customer_id, end_period)"#,
    r#"CREATE TABLE service_period (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    period TEXT NOT NULL,
    contract_id BIGINT,
    collection_status TEXT NOT NULL DEFAULT 'not_started' CHECK (collection_status IN ('not_started', 'collecting', 'complete')),
    collection_completed_by BIGINT,
    collection_completed_at {TS},
    has_missing_invoices BOOLEAN NOT NULL DEFAULT FALSE,
    bookkeeping_status TEXT NOT NULL DEFAULT 'not_started' CHECK (bookkeeping_status IN ('not_started', 'in_progress', 'done')),
    report_status TEXT NOT NULL DEFAULT 'not_ready' CHECK (report_status IN ('not_ready', 'ready', 'sent')),
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_service_period_firm_id_customer_id_period UNIQUE (firm_id, customer_id, period),
    CONSTRAINT fk_service_period_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_service_period_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_service_period_contract_id FOREIGN KEY (firm_id, contract_id) REFERENCES service_contract (firm_id, id),
    CONSTRAINT fk_service_period_collection_completed_by FOREIGN KEY (firm_id, collection_completed_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE TABLE receivable (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    contract_id BIGINT,
    fee_item TEXT NOT NULL DEFAULT '代理记账服务费',
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    paid_fen BIGINT NOT NULL DEFAULT 0,
    due_date {DATE} NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'partial', 'paid', 'void')),
    note TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_receivable_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_receivable_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_receivable_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_receivable_contract_id FOREIGN KEY (firm_id, contract_id) REFERENCES service_contract (firm_id, id)
)"#,
    r#"CREATE INDEX ix_receivable_firm_id_customer_id_status_due_date ON receivable (firm_id, customer_id, status, due_date)"#,
    r#"CREATE INDEX ix_receivable_firm_id_status_due_date ON receivable (firm_id, status, due_date)"#,
    r#"CREATE TABLE payment (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('transfer', 'wechat', 'alipay', 'cash', 'other')),
    paid_at {TS} NOT NULL,
    payer TEXT,
    note TEXT,
    confirmed_by BIGINT,
    confirmed_at {TS},
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    deleted_at {TS},
    CONSTRAINT uq_payment_firm_id_id UNIQUE (firm_id, id),
    CONSTRAINT fk_payment_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_payment_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_payment_confirmed_by FOREIGN KEY (firm_id, confirmed_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_payment_firm_id_customer_id_paid_at ON payment (firm_id, customer_id, paid_at)"#,
    r#"CREATE TABLE payment_allocation (
    firm_id BIGINT NOT NULL,
    payment_id BIGINT NOT NULL,
    receivable_id BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    created_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, payment_id, receivable_id),
    CONSTRAINT fk_payment_allocation_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_payment_allocation_payment_id FOREIGN KEY (firm_id, payment_id) REFERENCES payment (firm_id, id),
    CONSTRAINT fk_payment_allocation_receivable_id FOREIGN KEY (firm_id, receivable_id) REFERENCES receivable (firm_id, id)
)"#,
    r#"CREATE INDEX ix_payment_allocation_firm_id_receivable_id ON payment_allocation (firm_id, receivable_id)"#,
    r#"CREATE TABLE receipt (
    id {ID},
    firm_id BIGINT NOT NULL,
    receipt_no TEXT NOT NULL,
    payment_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    payer TEXT NOT NULL,
    item TEXT NOT NULL,
    period_from TEXT,
    period_to TEXT,
    amount_fen BIGINT NOT NULL,
    amount_cn TEXT NOT NULL,
    payee TEXT NOT NULL,
    handler_id BIGINT,
    issued_at {TS} NOT NULL,
    image_key TEXT,
    status TEXT NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
    voided_at {TS},
    void_reason TEXT,
    created_at {TS} NOT NULL,
    updated_at {TS} NOT NULL,
    CONSTRAINT uq_receipt_firm_id_receipt_no UNIQUE (firm_id, receipt_no),
    CONSTRAINT fk_receipt_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_receipt_payment_id FOREIGN KEY (firm_id, payment_id) REFERENCES payment (firm_id, id),
    CONSTRAINT fk_receipt_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_receipt_handler_id FOREIGN KEY (firm_id, handler_id) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_receipt_firm_id_customer_id_issued_at ON receipt (firm_id, customer_id, issued_at)"#,
    r#"CREATE INDEX ix_receipt_firm_id_payment_id ON receipt (firm_id, payment_id)"#,
    r#"CREATE TABLE receipt_counter (
    firm_id BIGINT NOT NULL,
    year INTEGER NOT NULL,
    last_value BIGINT NOT NULL DEFAULT 0,
    updated_at {TS} NOT NULL,
    PRIMARY KEY (firm_id, year),
    CONSTRAINT fk_receipt_counter_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id)
)"#,
    r#"CREATE TABLE dunning (
    id {ID},
    firm_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    receivable_ids {JSON} NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    target_type TEXT NOT NULL CHECK (target_type IN ('external_user', 'group_chat')),
    target_id TEXT NOT NULL,
    sent_by BIGINT,
    sent_at {TS} NOT NULL,
    message TEXT NOT NULL,
    created_at {TS} NOT NULL,
    CONSTRAINT fk_dunning_firm_id FOREIGN KEY (firm_id) REFERENCES firm (id),
    CONSTRAINT fk_dunning_customer_id FOREIGN KEY (firm_id, customer_id) REFERENCES customer (firm_id, id),
    CONSTRAINT fk_dunning_sent_by FOREIGN KEY (firm_id, sent_by) REFERENCES employee (firm_id, id)
)"#,
    r#"CREATE INDEX ix_dunning_firm_id_customer_id_sent_at ON dunning (firm_id, customer_id, sent_at)"#,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        portable::execute_all(manager, STATEMENTS).await
    }
}
