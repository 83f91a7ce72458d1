//! Just enough multipart/form-data to read media/upload's `media` field.
//!
//! The body is already in memory (capped by the caller), so a linear scan for the boundary is
//! simpler and safer than a streaming parser; every slice is taken with `get`, so a truncated or
//! hostile body yields `None`, never a panic.

/// The boundary from a `multipart/form-data; boundary=…` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let mime = parts.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        // RFC 2046: 1 to 70 characters.
        (!v.is_empty() && v.len() <= 70).then(|| v.to_string())
    })
}

/// One form field.
pub(crate) struct Part<'a> {
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let first = *needle.first()?;
    let mut i = from;
    while let Some(rest) = haystack.get(i..) {
        let off = rest.iter().position(|&b| b == first)?;
        let at = i.checked_add(off)?;
        if haystack.get(at..at.checked_add(needle.len())?) == Some(needle) {
            return Some(at);
        }
        i = at.checked_add(1)?;
    }
    None
}

/// A `key="value"` (or unquoted) parameter of a Content-Disposition header.
fn disposition_param(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(key) {
            return None;
        }
        let v = v.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v)
                .to_string(),
        )
    })
}

/// The first field named `name`.
pub(crate) fn find_part<'a>(body: &'a [u8], boundary: &str, name: &str) -> Option<Part<'a>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut at = find(body, delimiter, 0)?;
    loop {
        let after = at.checked_add(delimiter.len())?;
        // "--" after the delimiter closes the body.
        if body.get(after..after.checked_add(2)?) == Some(b"--") {
            return None;
        }
        let headers_start = find(body, b"\r\n", after)?.checked_add(2)?;
        let headers_end = find(body, b"\r\n\r\n", headers_start)?;
        let data_start = headers_end.checked_add(4)?;
        let mut closing = Vec::with_capacity(delimiter.len() + 2);
        closing.extend_from_slice(b"\r\n");
        closing.extend_from_slice(delimiter);
        let data_end = find(body, &closing, data_start)?;
        let headers = String::from_utf8_lossy(body.get(headers_start..headers_end)?);
        let mut disposition = None;
        let mut content_type = None;
        for line in headers.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                disposition = Some(v.trim().to_string());
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_string());
            }
        }
        if let Some(d) = disposition
            && disposition_param(&d, "name").as_deref() == Some(name)
        {
            return Some(Part {
                filename: disposition_param(&d, "filename"),
                content_type,
                data: body.get(data_start..data_end)?,
            });
        }
        at = data_end.checked_add(2)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_media_field() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"; filelength=6\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let part = find_part(body, &b, "media").unwrap();
        assert_eq!(part.filename.as_deref(), Some("a.png"));
        assert_eq!(part.content_type.as_deref(), Some("image/png"));
        assert_eq!(part.data, b"\x89PNG\r\n");
        assert!(find_part(body, &b, "missing").is_none());
    }

    #[test]
    fn garbage_never_panics() {
        assert!(boundary("text/plain").is_none());
        assert!(boundary("multipart/form-data").is_none());
        assert_eq!(
            boundary("multipart/form-data; boundary=\"q\"").as_deref(),
            Some("q")
        );
        for body in [
            &b""[..],
            b"--b",
            b"--b\r\n",
            b"--b\r\nContent-Disposition: form-data; name=\"media\"\r\n\r\nabc",
            b"--b--",
            b"\r\n\r\n--b\r\n\r\n\r\n--b",
        ] {
            let _ = find_part(body, "b", "media");
        }
    }
}
