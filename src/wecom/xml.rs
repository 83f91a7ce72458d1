//! Minimal, hostile-input-safe XML handling for WeCom callbacks: the outer
//! POST envelope, the flat decrypted event, and escaping for XML we emit.
//!
//! WeCom XML is flat (`<xml><Name>value</Name>…</xml>`), so a streaming
//! quick-xml reader is enough and far cheaper than a DOM or serde. The
//! parsers never expand DTD entities (a DOCTYPE is rejected outright), cap
//! the nesting depth, and return [`CallbackError::ParseXml`] for anything
//! malformed. Character content is taken raw: no trimming and no
//! end-of-line normalisation, because the `<Encrypt>` text must match what
//! WeCom signed byte for byte.

use std::borrow::Cow;

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesRef, Event};
use quick_xml::reader::Reader;

use super::errors::CallbackError;

/// Deeper nesting than this is never legitimate WeCom XML; refusing it
/// bounds the parser's work on adversarial bodies.
const MAX_DEPTH: usize = 32;

/// The outer POST body of a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `ToUserName`: corpid or suite_id (unauthenticated routing hint).
    pub to_user_name: Option<String>,
    /// `Encrypt`: the base64 ciphertext, exactly as sent.
    pub encrypt: String,
    /// `AgentID`: empty or absent for third-party 指令回调.
    pub agent_id: Option<String>,
}

/// One piece of an element's character content.
enum Segment<'a> {
    /// Text with entity references resolved; consecutive pieces are merged.
    Text(Cow<'a, str>),
    /// The inside of a `<![CDATA[…]]>` section.
    CData(Cow<'a, str>),
}

/// Collects the character content of one element. Borrowing from the
/// input keeps the common case (a single CDATA section) allocation-free.
#[derive(Default)]
struct Content<'a> {
    segments: Vec<Segment<'a>>,
}

impl<'a> Content<'a> {
    fn push_text(&mut self, text: Cow<'a, str>) {
        if let Some(Segment::Text(prev)) = self.segments.last_mut() {
            prev.to_mut().push_str(&text);
        } else {
            self.segments.push(Segment::Text(text));
        }
    }

    fn push_cdata(&mut self, data: Cow<'a, str>) {
        self.segments.push(Segment::CData(data));
    }

    /// Joins the collected pieces and resets the collector.
    ///
    /// When the element contains CDATA, whitespace-only text runs around it
    /// are formatting (`<Encrypt>\n  <![CDATA[…]]>\n</Encrypt>`) and are
    /// dropped, so the CDATA content is what counts. Plain text elements are
    /// returned exactly as written.
    fn finish(&mut self) -> Cow<'a, str> {
        let has_cdata = self.segments.iter().any(|s| matches!(s, Segment::CData(_)));
        let mut out: Cow<'a, str> = Cow::Borrowed("");
        for segment in self.segments.drain(..) {
            let piece = match segment {
                Segment::Text(t) if has_cdata && t.bytes().all(is_xml_whitespace) => continue,
                Segment::Text(t) | Segment::CData(t) => t,
            };
            if out.is_empty() {
                out = piece;
            } else {
                out.to_mut().push_str(&piece);
            }
        }
        out
    }
}

const fn is_xml_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Resolves a character reference or one of the five predefined entities.
/// Anything else would need a DTD, which we never honour.
fn resolve_reference(r: &BytesRef<'_>) -> Result<Cow<'static, str>, CallbackError> {
    match r.resolve_char_ref() {
        Ok(Some(ch)) => Ok(Cow::Owned(ch.to_string())),
        Ok(None) => resolve_xml_entity(r)
            .map(Cow::Borrowed)
            .ok_or(CallbackError::ParseXml),
        Err(_) => Err(CallbackError::ParseXml),
    }
}

/// Envelope children we extract.
#[derive(Clone, Copy)]
enum EnvelopeField {
    ToUserName,
    Encrypt,
    AgentId,
}

impl EnvelopeField {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "ToUserName" => Some(Self::ToUserName),
            "Encrypt" => Some(Self::Encrypt),
            "AgentID" => Some(Self::AgentId),
            _ => None,
        }
    }
}

/// Stores a field once; a repeated field is rejected so that two parsers
/// (ours and, say, a proxy's) can never disagree about which one counts.
fn store_once(slot: &mut Option<String>, value: Cow<'_, str>) -> Result<(), CallbackError> {
    if slot.is_some() {
        return Err(CallbackError::ParseXml);
    }
    *slot = Some(value.into_owned());
    Ok(())
}

/// Tracks document-level structure shared by both parsers: one root,
/// bounded depth, nothing but whitespace, comments and PIs outside it.
#[derive(Default)]
struct Structure {
    depth: usize,
    seen_root: bool,
    root_closed: bool,
}

impl Structure {
    /// Called for a start tag; returns the depth of the new element
    /// (1 = root, 2 = child of root).
    fn open(&mut self) -> Result<usize, CallbackError> {
        if self.root_closed {
            return Err(CallbackError::ParseXml);
        }
        self.depth = self
            .depth
            .checked_add(1)
            .filter(|d| *d <= MAX_DEPTH)
            .ok_or(CallbackError::ParseXml)?;
        self.seen_root = true;
        Ok(self.depth)
    }

    /// Called for an end tag; returns the depth of the closed element.
    fn close(&mut self) -> Result<usize, CallbackError> {
        let closed = self.depth;
        self.depth = closed.checked_sub(1).ok_or(CallbackError::ParseXml)?;
        if self.depth == 0 {
            self.root_closed = true;
        }
        Ok(closed)
    }

    /// Called for a self-closing tag; returns its depth.
    fn empty(&mut self) -> Result<usize, CallbackError> {
        let depth = self.open()?;
        self.close()?;
        Ok(depth)
    }

    /// Character data outside the root element must be whitespace.
    fn check_text(&self, text: &str) -> Result<(), CallbackError> {
        if self.depth == 0 && !text.bytes().all(is_xml_whitespace) {
            return Err(CallbackError::ParseXml);
        }
        Ok(())
    }

    /// CDATA or references outside the root are never valid.
    fn check_markup_in_root(&self) -> Result<(), CallbackError> {
        if self.depth == 0 {
            return Err(CallbackError::ParseXml);
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), CallbackError> {
        if self.seen_root && self.depth == 0 {
            Ok(())
        } else {
            Err(CallbackError::ParseXml)
        }
    }
}

/// Parses the POST body `<xml><ToUserName/><Encrypt/><AgentID/></xml>`.
///
/// `Encrypt` must be a direct child of the root; its content is returned
/// exactly (see [`Content::finish`] for the whitespace-around-CDATA rule).
/// Unknown children are ignored whatever they contain.
///
/// # Errors
/// [`CallbackError::ParseXml`] for malformed XML, a DOCTYPE, unknown
/// entities, excessive nesting, duplicated or nested known fields, or a
/// missing `Encrypt`.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope, CallbackError> {
    let mut reader = Reader::from_reader(body);
    let mut doc = Structure::default();
    let mut current: Option<EnvelopeField> = None;
    let mut content = Content::default();
    let mut to_user_name = None;
    let mut encrypt = None;
    let mut agent_id = None;

    loop {
        let event = reader.read_event().map_err(|_| CallbackError::ParseXml)?;
        match event {
            Event::Start(e) => {
                let depth = doc.open()?;
                if current.is_some() {
                    // Markup inside a field we read would change its meaning.
                    return Err(CallbackError::ParseXml);
                }
                if depth == 2 {
                    current = EnvelopeField::from_name(e.name().into_inner());
                }
            }
            Event::Empty(e) => {
                let depth = doc.empty()?;
                if current.is_some() {
                    return Err(CallbackError::ParseXml);
                }
                if depth == 2
                    && let Some(field) = EnvelopeField::from_name(e.name().into_inner())
                {
                    let slot = match field {
                        EnvelopeField::ToUserName => &mut to_user_name,
                        EnvelopeField::Encrypt => &mut encrypt,
                        EnvelopeField::AgentId => &mut agent_id,
                    };
                    store_once(slot, Cow::Borrowed(""))?;
                }
            }
            Event::End(_) => {
                let depth = doc.close()?;
                if depth == 2
                    && let Some(field) = current.take()
                {
                    let slot = match field {
                        EnvelopeField::ToUserName => &mut to_user_name,
                        EnvelopeField::Encrypt => &mut encrypt,
                        EnvelopeField::AgentId => &mut agent_id,
                    };
                    store_once(slot, content.finish())?;
                }
            }
            Event::Text(t) => {
                doc.check_text(&t)?;
                if current.is_some() {
                    content.push_text(t.into_inner());
                }
            }
            Event::CData(c) => {
                doc.check_markup_in_root()?;
                if current.is_some() {
                    content.push_cdata(c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                doc.check_markup_in_root()?;
                // Resolve even when unused so unknown entities always fail.
                let resolved = resolve_reference(&r)?;
                if current.is_some() {
                    content.push_text(resolved);
                }
            }
            Event::DocType(_) => return Err(CallbackError::ParseXml),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    doc.finish()?;
    Ok(Envelope {
        to_user_name,
        encrypt: encrypt.ok_or(CallbackError::ParseXml)?,
        agent_id,
    })
}

/// The top-level fields of a decrypted callback message, in document order.
///
/// Values borrow from the message where possible. Children that contain
/// elements themselves (e.g. `MemChangeList` with `Item`s) keep their raw
/// inner XML as the value, for a dedicated parser to handle later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFields<'a> {
    fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl EventFields<'_> {
    /// The first value of element `name` (exact, case-sensitive).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// All values of element `name`, for elements WeCom may repeat.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// All `(name, value)` pairs in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// Number of top-level fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the root element had no children.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Owned copy of the pairs, e.g. to queue the event for later work.
    #[must_use]
    pub fn to_owned_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    }

    /// `ToUserName`: the corpid (or suite_id) the event is for.
    #[must_use]
    pub fn to_user_name(&self) -> Option<&str> {
        self.get("ToUserName")
    }

    /// `FromUserName`: `sys` for system events, else a userid.
    #[must_use]
    pub fn from_user_name(&self) -> Option<&str> {
        self.get("FromUserName")
    }

    /// `CreateTime` as Unix seconds; `None` if absent or not an integer.
    #[must_use]
    pub fn create_time(&self) -> Option<i64> {
        self.get("CreateTime").and_then(|v| {
            v.trim_matches(|c: char| c.is_ascii_whitespace())
                .parse()
                .ok()
        })
    }

    /// `MsgType`, e.g. `event` or `text`.
    #[must_use]
    pub fn msg_type(&self) -> Option<&str> {
        self.get("MsgType")
    }

    /// `Event`, e.g. `change_external_contact`.
    #[must_use]
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// `ChangeType`, e.g. `add_external_contact`.
    #[must_use]
    pub fn change_type(&self) -> Option<&str> {
        self.get("ChangeType")
    }

    /// `InfoType` of third-party 指令回调, e.g. `suite_ticket`.
    #[must_use]
    pub fn info_type(&self) -> Option<&str> {
        self.get("InfoType")
    }

    /// `SuiteId` of third-party 指令回调.
    #[must_use]
    pub fn suite_id(&self) -> Option<&str> {
        self.get("SuiteId")
    }

    /// `AuthCorpId` of third-party 指令回调.
    #[must_use]
    pub fn auth_corp_id(&self) -> Option<&str> {
        self.get("AuthCorpId")
    }

    /// `UserID`: the employee concerned.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        self.get("UserID")
    }

    /// `ExternalUserID`: the external contact concerned.
    #[must_use]
    pub fn external_user_id(&self) -> Option<&str> {
        self.get("ExternalUserID")
    }

    /// `ChatId`: the customer group concerned.
    #[must_use]
    pub fn chat_id(&self) -> Option<&str> {
        self.get("ChatId")
    }

    /// `Id` of a customer tag or tag group (change_external_tag).
    #[must_use]
    pub fn tag_id(&self) -> Option<&str> {
        self.get("Id")
    }

    /// `TagType`: `tag` or `tag_group`.
    #[must_use]
    pub fn tag_type(&self) -> Option<&str> {
        self.get("TagType")
    }

    /// `UpdateDetail` of change_external_chat updates.
    #[must_use]
    pub fn update_detail(&self) -> Option<&str> {
        self.get("UpdateDetail")
    }

    /// `MsgId` of user messages.
    #[must_use]
    pub fn msg_id(&self) -> Option<&str> {
        self.get("MsgId")
    }

    /// `AgentID` of the app.
    #[must_use]
    pub fn agent_id(&self) -> Option<&str> {
        self.get("AgentID")
    }
}

/// The top-level child currently being read.
struct Child<'a> {
    name: Cow<'a, str>,
    /// Byte offset just after the child's start tag.
    inner_start: usize,
    /// Whether it contains elements (then its value is the raw inner XML).
    nested: bool,
}

/// Parses a decrypted message into its top-level fields.
///
/// # Errors
/// [`CallbackError::ParseXml`] for malformed XML, a DOCTYPE, unknown
/// entities or excessive nesting.
pub fn parse_event(msg: &str) -> Result<EventFields<'_>, CallbackError> {
    // quick-xml skips a BOM without counting it in its offsets; strip it
    // ourselves so offsets index `msg` directly.
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    let mut reader = Reader::from_str(msg);
    let mut doc = Structure::default();
    let mut child: Option<Child<'_>> = None;
    let mut content = Content::default();
    let mut fields = Vec::new();

    loop {
        // Where the next event starts; for an end tag that is where the
        // element's inner content ends.
        let event_start = offset(&reader)?;
        let event = reader.read_event().map_err(|_| CallbackError::ParseXml)?;
        match event {
            Event::Start(e) => {
                let depth = doc.open()?;
                if depth == 2 {
                    content.segments.clear();
                    child = Some(Child {
                        name: borrow_name(msg, event_start, e.name().into_inner()),
                        inner_start: offset(&reader)?,
                        nested: false,
                    });
                } else if let Some(c) = child.as_mut() {
                    c.nested = true;
                }
            }
            Event::Empty(e) => {
                let depth = doc.empty()?;
                if depth == 2 {
                    fields.push((
                        borrow_name(msg, event_start, e.name().into_inner()),
                        Cow::Borrowed(""),
                    ));
                } else if let Some(c) = child.as_mut() {
                    c.nested = true;
                }
            }
            Event::End(_) => {
                let depth = doc.close()?;
                if depth == 2
                    && let Some(c) = child.take()
                {
                    let value = if c.nested {
                        content.segments.clear();
                        Cow::Borrowed(
                            msg.get(c.inner_start..event_start)
                                .ok_or(CallbackError::ParseXml)?,
                        )
                    } else {
                        content.finish()
                    };
                    fields.push((c.name, value));
                }
            }
            Event::Text(t) => {
                doc.check_text(&t)?;
                if child.as_ref().is_some_and(|c| !c.nested) {
                    content.push_text(t.into_inner());
                }
            }
            Event::CData(c) => {
                doc.check_markup_in_root()?;
                if child.as_ref().is_some_and(|c| !c.nested) {
                    content.push_cdata(c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                doc.check_markup_in_root()?;
                let resolved = resolve_reference(&r)?;
                if child.as_ref().is_some_and(|c| !c.nested) {
                    content.push_text(resolved);
                }
            }
            Event::DocType(_) => return Err(CallbackError::ParseXml),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    doc.finish()?;
    Ok(EventFields { fields })
}

/// The element name as a slice of `msg` (the tag starts at `tag_start`
/// with `<`), so field names cost no allocation; falls back to a copy if
/// the offsets ever disagree with the parsed name.
fn borrow_name<'a>(msg: &'a str, tag_start: usize, name: &str) -> Cow<'a, str> {
    let start = tag_start.saturating_add(1);
    match msg.get(start..start.saturating_add(name.len())) {
        Some(slice) if slice == name => Cow::Borrowed(slice),
        _ => Cow::Owned(name.to_owned()),
    }
}

/// The reader's offset as an index into the input.
fn offset(reader: &Reader<&[u8]>) -> Result<usize, CallbackError> {
    usize::try_from(reader.buffer_position()).map_err(|_| CallbackError::ParseXml)
}

/// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe both as
/// element text and inside a quoted attribute. Borrows when nothing needs
/// escaping, which is the normal case for ids and timestamps.
#[must_use]
pub fn escape_text(s: &str) -> Cow<'_, str> {
    if s.bytes().any(needs_escape) {
        let mut out = String::with_capacity(s.len().saturating_add(16));
        push_escaped(&mut out, s);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    }
}

const fn needs_escape(b: u8) -> bool {
    matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
}

/// Appends `s` to `out` escaped as by [`escape_text`].
pub fn push_escaped(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
}

/// Appends `s` as a CDATA section. A `]]>` inside `s` would end the section
/// early (an injection vector), so it is split across two sections:
/// `]]` closes the first and `>` starts the second; parsers join them back.
pub fn push_cdata(out: &mut String, s: &str) {
    out.push_str("<![CDATA[");
    let mut rest = s;
    while let Some(pos) = rest.find("]]>") {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        out.push_str("]]]]><![CDATA[>");
        // `tail` starts with the 3-byte "]]>"; `get` keeps this panic-free.
        rest = tail.get(3..).unwrap_or("");
    }
    out.push_str(rest);
    out.push_str("]]>");
}

/// Appends `<name><![CDATA[value]]></name>`; `name` must be a trusted,
/// valid element name (callers pass literals).
pub fn push_cdata_element(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_cdata(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `<name>escaped value</name>`; `name` must be a trusted, valid
/// element name (callers pass literals).
pub fn push_text_element(out: &mut String, name: &str, value: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_escaped(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng as _, RngCore as _, SeedableRng as _};

    const ENC: &str = "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+";

    fn v1b_body() -> String {
        format!(
            "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><Encrypt><![CDATA[{ENC}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        )
    }

    fn envelope_err(body: &str) -> Option<i32> {
        parse_envelope(body.as_bytes())
            .err()
            .map(CallbackError::code)
    }

    #[test]
    fn the_v1b_style_envelope_yields_all_three_fields() {
        let env = parse_envelope(v1b_body().as_bytes()).expect("parses");
        assert_eq!(
            env,
            Envelope {
                to_user_name: Some("ww1436e0e65a779aee".to_owned()),
                encrypt: ENC.to_owned(),
                agent_id: Some("1000002".to_owned()),
            }
        );
    }

    #[test]
    fn a_multi_line_envelope_with_a_declaration_and_comments_parses() {
        let body = format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- from wecom -->\n<xml>\n  <ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n  <Encrypt><![CDATA[{ENC}]]></Encrypt>\n  <AgentID><![CDATA[1]]></AgentID>\n</xml>\n"
        );
        let env = parse_envelope(body.as_bytes()).expect("parses");
        assert_eq!(env.encrypt, ENC);
        assert_eq!(env.agent_id.as_deref(), Some("1"));
    }

    #[test]
    fn whitespace_around_the_cdata_section_is_ignored() {
        for body in [
            format!("<xml><Encrypt>\n  <![CDATA[{ENC}]]>\n</Encrypt></xml>"),
            format!("<xml><Encrypt> <![CDATA[{ENC}]]></Encrypt></xml>"),
            format!("<xml><Encrypt><![CDATA[{ENC}]]>\r\n\t</Encrypt></xml>"),
        ] {
            assert_eq!(
                parse_envelope(body.as_bytes()).expect("parses").encrypt,
                ENC
            );
        }
    }

    #[test]
    fn the_cdata_content_itself_is_never_trimmed() {
        let body = "<xml><Encrypt><![CDATA[ ab+/= \n]]></Encrypt></xml>";
        assert_eq!(
            parse_envelope(body.as_bytes()).expect("parses").encrypt,
            " ab+/= \n"
        );
    }

    #[test]
    fn a_plain_text_encrypt_is_taken_exactly() {
        let body = format!("<xml><Encrypt>{ENC}</Encrypt></xml>");
        assert_eq!(
            parse_envelope(body.as_bytes()).expect("parses").encrypt,
            ENC
        );
        let spaced = "<xml><Encrypt> abc= </Encrypt></xml>";
        assert_eq!(
            parse_envelope(spaced.as_bytes()).expect("parses").encrypt,
            " abc= "
        );
        let escaped = "<xml><Encrypt>a&amp;b&#43;c&#x2F;</Encrypt></xml>";
        assert_eq!(
            parse_envelope(escaped.as_bytes()).expect("parses").encrypt,
            "a&b+c/"
        );
    }

    #[test]
    fn split_cdata_sections_are_joined() {
        let body = "<xml><Encrypt><![CDATA[ab]]><![CDATA[cd]]></Encrypt></xml>";
        assert_eq!(
            parse_envelope(body.as_bytes()).expect("parses").encrypt,
            "abcd"
        );
    }

    #[test]
    fn a_body_without_encrypt_fails_with_40002() {
        for body in [
            "<xml><ToUserName><![CDATA[x]]></ToUserName></xml>",
            "<xml/>",
            "<xml></xml>",
            // Encrypt must be a direct child of the root.
            "<xml><Wrapper><Encrypt>abc</Encrypt></Wrapper></xml>",
            "<Encrypt>abc</Encrypt>",
            // Case matters.
            "<xml><encrypt>abc</encrypt></xml>",
        ] {
            assert_eq!(envelope_err(body), Some(-40002), "{body}");
        }
    }

    #[test]
    fn an_empty_encrypt_element_parses_as_empty_text() {
        for body in ["<xml><Encrypt/></xml>", "<xml><Encrypt></Encrypt></xml>"] {
            assert_eq!(parse_envelope(body.as_bytes()).expect("parses").encrypt, "");
        }
    }

    #[test]
    fn garbage_and_malformed_bodies_fail_with_40002() {
        let cases: [&[u8]; 16] = [
            b"",
            b"   ",
            b"not xml at all",
            b"{\"encrypt\":\"abc\"}",
            b"<xml><Encrypt>abc</Encrypt>",
            b"<xml><Encrypt>abc</xml>",
            b"<xml><Encrypt>abc</Encrypt></xml><xml/>",
            b"<xml><Encrypt>abc</Encrypt></xml>trailing",
            b"junk<xml><Encrypt>abc</Encrypt></xml>",
            b"<xml><Encrypt>a&bogus;c</Encrypt></xml>",
            b"<xml><Encrypt>a & c</Encrypt></xml>",
            b"<xml><Encrypt>&#0;</Encrypt></xml>",
            b"<xml><Encrypt>\xff\xfe</Encrypt></xml>",
            b"<xml><Encrypt><![CDATA[abc</Encrypt></xml>",
            b"</xml>",
            b"<xml><Encrypt>x</Encrypt></xml>&amp;",
        ];
        for body in cases {
            assert_eq!(
                parse_envelope(body).err().map(CallbackError::code),
                Some(-40002),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn duplicated_or_nested_known_fields_are_rejected() {
        for body in [
            "<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>",
            "<xml><Encrypt>a</Encrypt><Encrypt/></xml>",
            "<xml><ToUserName>a</ToUserName><ToUserName>b</ToUserName><Encrypt>c</Encrypt></xml>",
            "<xml><Encrypt>a<b/>c</Encrypt></xml>",
            "<xml><Encrypt><x>abc</x></Encrypt></xml>",
        ] {
            assert_eq!(envelope_err(body), Some(-40002), "{body}");
        }
    }

    #[test]
    fn unknown_children_are_ignored_even_when_nested() {
        let body = "<xml><Extra a=\"1\"><Deep><Encrypt>no</Encrypt></Deep></Extra><Encrypt>yes</Encrypt><Other/></xml>";
        let env = parse_envelope(body.as_bytes()).expect("parses");
        assert_eq!(env.encrypt, "yes");
        assert_eq!(env.to_user_name, None);
    }

    #[test]
    fn doctype_and_entity_tricks_are_refused_not_expanded() {
        for body in [
            "<!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><Encrypt>&x;</Encrypt></xml>",
            "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><xml><Encrypt>&b;</Encrypt></xml>",
            "<!DOCTYPE xml><xml><Encrypt>abc</Encrypt></xml>",
            "<xml><Encrypt>&x;</Encrypt></xml>",
        ] {
            assert_eq!(envelope_err(body), Some(-40002), "{body}");
        }
    }

    #[test]
    fn deep_nesting_fails_fast_instead_of_exhausting_anything() {
        let depth = 100_000;
        let body = format!("<xml>{}<Encrypt>a</Encrypt></xml>", "<a>".repeat(depth));
        assert_eq!(envelope_err(&body), Some(-40002));
        let closed = format!(
            "<xml>{}{}<Encrypt>a</Encrypt></xml>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        assert_eq!(envelope_err(&closed), Some(-40002));
        assert!(parse_event(&body).is_err());
        // Nesting within the limit is fine.
        let ok = format!(
            "<xml><X>{}{}</X><Encrypt>a</Encrypt></xml>",
            "<a>".repeat(20),
            "</a>".repeat(20)
        );
        assert_eq!(parse_envelope(ok.as_bytes()).expect("parses").encrypt, "a");
    }

    #[test]
    fn huge_attributes_and_names_do_not_break_parsing() {
        let big = "x".repeat(1 << 20);
        let body = format!("<xml big=\"{big}\"><Encrypt a=\"{big}\">abc</Encrypt><{big}/></xml>");
        assert_eq!(
            parse_envelope(body.as_bytes()).expect("parses").encrypt,
            "abc"
        );
        let unterminated = format!("<xml a=\"{big}");
        assert_eq!(envelope_err(&unterminated), Some(-40002));
    }

    const V1B_PLAIN: &str = "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>";
    const V2B_PLAIN: &str = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>";

    #[test]
    fn plain_text_fields_of_a_decrypted_message_are_read() {
        let ev = parse_event(V1B_PLAIN).expect("parses");
        assert_eq!(ev.to_user_name(), Some("ww1436e0e65a779aee"));
        assert_eq!(ev.from_user_name(), Some("ChenJiaShun"));
        assert_eq!(ev.create_time(), Some(1_476_422_779));
        assert_eq!(ev.msg_type(), Some("text"));
        assert_eq!(ev.get("Content"), Some("你好"));
        assert_eq!(ev.msg_id(), Some("1456453720"));
        assert_eq!(ev.agent_id(), Some("1000002"));
        assert_eq!(ev.event(), None);
        assert_eq!(ev.len(), 7);
    }

    #[test]
    fn cdata_fields_of_a_decrypted_message_are_read() {
        let ev = parse_event(V2B_PLAIN).expect("parses");
        let names: Vec<&str> = ev.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "ToUserName",
                "FromUserName",
                "CreateTime",
                "MsgType",
                "Content",
                "MsgId",
                "AgentID"
            ]
        );
        assert_eq!(ev.to_user_name(), Some("wx5823bf96d3bd56c7"));
        assert_eq!(ev.get("Content"), Some("hello"));
        assert_eq!(ev.msg_id(), Some("4561255354251345929"));
        // The common single-CDATA value borrows from the message.
        assert!(
            ev.fields
                .iter()
                .all(|(n, v)| matches!(n, Cow::Borrowed(_)) && matches!(v, Cow::Borrowed(_)))
        );
    }

    #[test]
    fn an_external_contact_event_exposes_its_typed_fields() {
        let msg = "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[wmXXXX]]></ExternalUserID><State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>";
        let ev = parse_event(msg).expect("parses");
        assert_eq!(ev.from_user_name(), Some("sys"));
        assert_eq!(ev.event(), Some("change_external_contact"));
        assert_eq!(ev.change_type(), Some("add_external_contact"));
        assert_eq!(ev.user_id(), Some("zhangsan"));
        assert_eq!(ev.external_user_id(), Some("wmXXXX"));
        assert_eq!(ev.get("WelcomeCode"), Some("WELCOMECODE"));
    }

    #[test]
    fn a_tag_event_exposes_id_and_tag_type() {
        let msg = "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[etXXXX]]></Id><TagType><![CDATA[tag_group]]></TagType><ChangeType><![CDATA[create]]></ChangeType></xml>";
        let ev = parse_event(msg).expect("parses");
        assert_eq!(ev.tag_id(), Some("etXXXX"));
        assert_eq!(ev.tag_type(), Some("tag_group"));
        assert_eq!(ev.change_type(), Some("create"));
    }

    #[test]
    fn nested_children_keep_their_raw_inner_xml() {
        let msg = "<xml><ToUserName><![CDATA[ww_corp]]></ToUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrXXXX]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>1</JoinScene><MemChangeCnt>2</MemChangeCnt><MemChangeList><Item>Jack</Item><Item><![CDATA[Rose]]></Item></MemChangeList><LastMemVer>a1</LastMemVer><CurMemVer>b2</CurMemVer></xml>";
        let ev = parse_event(msg).expect("parses");
        assert_eq!(ev.chat_id(), Some("wrXXXX"));
        assert_eq!(ev.update_detail(), Some("add_member"));
        assert_eq!(
            ev.get("MemChangeList"),
            Some("<Item>Jack</Item><Item><![CDATA[Rose]]></Item>")
        );
        // Fields after the nested one are still read.
        assert_eq!(ev.get("CurMemVer"), Some("b2"));
        // Nested items are not mistaken for top-level fields.
        assert_eq!(ev.get("Item"), None);
    }

    #[test]
    fn a_third_party_command_callback_exposes_info_type() {
        let msg = "<xml><SuiteId><![CDATA[ww4asffe99e54c0f4c]]></SuiteId><InfoType><![CDATA[suite_ticket]]></InfoType><TimeStamp>1403610513</TimeStamp><SuiteTicket><![CDATA[asdfasfdasdfasdf]]></SuiteTicket></xml>";
        let ev = parse_event(msg).expect("parses");
        assert_eq!(ev.info_type(), Some("suite_ticket"));
        assert_eq!(ev.suite_id(), Some("ww4asffe99e54c0f4c"));
        assert_eq!(ev.auth_corp_id(), None);
        assert_eq!(ev.create_time(), None);
    }

    #[test]
    fn empty_repeated_and_escaped_fields_are_handled() {
        let msg = "<xml><A/><B></B><C>x &lt;&amp;&gt; y</C><D>1</D><D>2</D><CreateTime> 42 </CreateTime></xml>";
        let ev = parse_event(msg).expect("parses");
        assert_eq!(ev.get("A"), Some(""));
        assert_eq!(ev.get("B"), Some(""));
        assert_eq!(ev.get("C"), Some("x <&> y"));
        assert_eq!(ev.get("D"), Some("1"));
        assert_eq!(ev.get_all("D").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(ev.create_time(), Some(42));
        assert_eq!(ev.to_owned_pairs().len(), 6);
    }

    #[test]
    fn a_non_numeric_create_time_reads_as_none() {
        let ev = parse_event("<xml><CreateTime>soon</CreateTime></xml>").expect("parses");
        assert_eq!(ev.create_time(), None);
    }

    #[test]
    fn malformed_decrypted_messages_fail_with_40002() {
        for msg in [
            "",
            "1616140317555161061",
            "<xml><A>1</A>",
            "<xml><A>1</B></xml>",
            "<!DOCTYPE xml [<!ENTITY e SYSTEM \"http://x\">]><xml><A>&e;</A></xml>",
            "<xml><A>&e;</A></xml>",
        ] {
            assert_eq!(
                parse_event(msg).err().map(CallbackError::code),
                Some(-40002),
                "{msg}"
            );
        }
    }

    #[test]
    fn text_escaping_covers_markup_and_quotes_and_borrows_when_clean() {
        assert!(matches!(
            escape_text("ww1436e0e65a779aee"),
            Cow::Borrowed(_)
        ));
        assert_eq!(escape_text(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        let mut out = String::new();
        push_text_element(&mut out, "TimeStamp", "1<2");
        assert_eq!(out, "<TimeStamp>1&lt;2</TimeStamp>");
    }

    #[test]
    fn cdata_containing_the_terminator_is_split_and_reads_back_intact() {
        let mut out = String::new();
        push_cdata(&mut out, "a]]>b");
        assert_eq!(out, "<![CDATA[a]]]]><![CDATA[>b]]>");
        for value in [
            "",
            "plain",
            "]]>",
            "]]>]]>",
            "x]]]>y",
            "]]",
            "]>",
            "中]]>文",
            "<![CDATA[x]]>",
        ] {
            let mut xml = String::from("<xml>");
            push_cdata_element(&mut xml, "V", value);
            xml.push_str("</xml>");
            let ev = parse_event(&xml).expect("parses");
            assert_eq!(ev.get("V"), Some(value), "{xml}");
        }
    }

    #[test]
    fn random_bytes_never_make_the_parsers_panic() {
        let mut rng = StdRng::seed_from_u64(40002);
        let seed = v1b_body().into_bytes();
        let alphabet = b"<>/![]CDAT=\"'&#;x ?-\n";
        for _ in 0..4000 {
            // Pure noise.
            let len = rng.random_range(0..256);
            let mut noise = vec![0u8; len];
            rng.fill_bytes(&mut noise);
            let _ = parse_envelope(&noise);
            let _ = parse_event(&String::from_utf8_lossy(&noise));
            // Markup-heavy noise reaches deeper into the tokenizer.
            let markup: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let _ = parse_envelope(&markup);
            let _ = parse_event(&String::from_utf8_lossy(&markup));
            // A valid body with a few bytes mutated, truncated or not.
            let mut mutated = seed.clone();
            for _ in 0..rng.random_range(1..6) {
                let at = rng.random_range(0..mutated.len());
                mutated[at] = alphabet[rng.random_range(0..alphabet.len())];
            }
            let cut = rng.random_range(0..=mutated.len());
            let _ = parse_envelope(&mutated);
            let _ = parse_envelope(&mutated[..cut]);
            let _ = parse_event(&String::from_utf8_lossy(&mutated[..cut]));
        }
    }
}
