//! The JSON bodies this crate writes itself: the index, a noun's
//! description, a `202 Accepted` body and problem details.
//!
//! Noun states are encoded by `urest-core`; the types here wrap borrowed
//! data so that serde-json-core can write them straight into the response
//! buffer.

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use urest_core::attributes::{Access, AttributeSpec, Attributes, Kind};

use crate::Noun;

/// The response buffer ran out of room.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overflow;

/// Write `value` as JSON at the start of `out`, returning its length.
pub(crate) fn write<T: Serialize>(value: &T, out: &mut [u8]) -> Result<usize, Overflow> {
    serde_json_core::to_slice(value, out).map_err(|_| Overflow)
}

/// Copy fixed text to the start of `out`.
pub(crate) fn write_raw(text: &[u8], out: &mut [u8]) -> Result<usize, Overflow> {
    out.get_mut(..text.len())
        .ok_or(Overflow)?
        .copy_from_slice(text);
    Ok(text.len())
}

/// One noun as listed by the index and described by `OPTIONS`:
/// `{"name": .., "kind": .., "policy": "fifo" | null, "attributes": [..]}`.
pub(crate) struct NounEntry<'n>(pub &'n Noun<'n>);

impl Serialize for NounEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let description = self.0.resource.describe();
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("name", self.0.name)?;
        map.serialize_entry("kind", description.kind)?;
        map.serialize_entry("policy", &description.policy.map(|policy| policy.name()))?;
        map.serialize_entry("attributes", &AttributeList(description.attributes))?;
        map.end()
    }
}

struct AttributeList(&'static [AttributeSpec]);

impl Serialize for AttributeList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for spec in self.0 {
            seq.serialize_element(&AttributeEntry(spec))?;
        }
        seq.end()
    }
}

/// `{"key": .., "type": "integer", "min": 0, "max": 1, "access": "read-write", "doc": ..}`;
/// strings carry `max_len` instead of `min` and `max`, booleans neither.
struct AttributeEntry<'s>(&'s AttributeSpec);

impl Serialize for AttributeEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let spec = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("key", spec.key)?;
        map.serialize_entry("type", spec.kind.type_name())?;
        match spec.kind {
            Kind::Int { min, max } => {
                map.serialize_entry("min", &min)?;
                map.serialize_entry("max", &max)?;
            }
            Kind::Str { max_len } => map.serialize_entry("max_len", &max_len)?,
            Kind::Bool => {}
        }
        let access = match spec.access {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        };
        map.serialize_entry("access", access)?;
        map.serialize_entry("doc", spec.doc)?;
        map.end()
    }
}

/// The index at `GET /`, `{"nouns": [entry, ..]}`, cut into pieces that can
/// be written one after another when the whole does not fit the buffer.
pub(crate) struct Index<'n> {
    pub nouns: &'n [Noun<'n>],
}

impl Index<'_> {
    /// Opening, one piece per noun, closing.
    pub(crate) fn piece_count(&self) -> usize {
        self.nouns.len().saturating_add(2)
    }

    /// Write piece `piece` at the start of `out`.
    pub(crate) fn write_piece(&self, piece: usize, out: &mut [u8]) -> Result<usize, Overflow> {
        if piece == 0 {
            return write_raw(br#"{"nouns":["#, out);
        }
        let Some(noun) = self.nouns.get(piece - 1) else {
            return write_raw(b"]}", out);
        };
        let separator = if piece > 1 { 1 } else { 0 };
        if separator == 1 {
            write_raw(b",", out)?;
        }
        let entry = write(&NounEntry(noun), out.get_mut(separator..).ok_or(Overflow)?)?;
        Ok(separator + entry)
    }

    /// Write the whole index at the start of `out`.
    pub(crate) fn write_whole(&self, out: &mut [u8]) -> Result<usize, Overflow> {
        let mut len = 0;
        for piece in 0..self.piece_count() {
            len += self.write_piece(piece, out.get_mut(len..).ok_or(Overflow)?)?;
        }
        Ok(len)
    }
}

/// The body of `202 Accepted`:
/// `{"state": {..}, "ticket": 3, "position": 1, "eta_ms": 9000}`.
pub(crate) struct AcceptedBody<'s> {
    pub state: &'s Attributes,
    pub ticket: u32,
    pub position: u16,
    pub eta_ms: u64,
}

impl Serialize for AcceptedBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("state", self.state)?;
        map.serialize_entry("ticket", &self.ticket)?;
        map.serialize_entry("position", &self.position)?;
        map.serialize_entry("eta_ms", &self.eta_ms)?;
        map.end()
    }
}

/// An RFC 9457 problem details object. The type is `about:blank`, so the
/// title is the status's reason phrase; `attribute` is an extension member
/// naming the attribute at fault, when there is one.
pub(crate) struct ProblemBody<'p> {
    pub status: u16,
    pub title: &'static str,
    pub detail: &'p str,
    pub attribute: Option<&'p str>,
}

impl Serialize for ProblemBody<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "about:blank")?;
        map.serialize_entry("title", self.title)?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("detail", self.detail)?;
        if let Some(attribute) = self.attribute {
            map.serialize_entry("attribute", attribute)?;
        }
        map.end()
    }
}
