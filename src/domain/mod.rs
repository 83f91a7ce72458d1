//! Pure rules we must get exactly right: money and 大写, USCC check digits, accounting periods,
//! VAT estimates, filing deadlines, receipt numbers, and the clock abstraction. No IO here.

pub mod api_scopes;
pub mod billing;
pub mod clock;
pub mod message_templates;
pub mod money;
pub mod period;
pub mod permissions;
pub mod receipt;
pub mod tax_calendar;
pub mod uscc;
pub mod vat;
