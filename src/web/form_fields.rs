//! Fields of a urlencoded form body read by name, for forms with repeated fields (ticked rows),
//! which serde's form decoding does not take.

/// Every value of a repeated form field (`perm=a&perm=b`), from the raw urlencoded body.
pub fn repeated(body: &[u8], field: &str) -> Vec<String> {
    url::form_urlencoded::parse(body)
        .filter(|(k, _)| k == field)
        .map(|(_, v)| v.into_owned())
        .collect()
}

/// The single value of a form field, empty when absent.
pub fn field(body: &[u8], name: &str) -> String {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
