//! The JSON bodies this crate writes itself: the index, a noun's
//! description, a `202 Accepted` body and problem details.
//!
//! The types here wrap borrowed data and write it straight into the
//! response buffer through urest-core's [`JsonWriter`], which also writes
//! noun states: the same bytes serde-json-core wrote, without a copy of
//! serde's map machinery per body.

use urest_core::attributes::{Access, AttributeSpec, Attributes, Kind};
use urest_core::controller::{ChangeStatus, Changes};
use urest_core::decimal::{digit_count, Fixed};
use urest_core::json::JsonWriter;
use urest_core::ramp::Level;
use urest_core::time::Instant;

use crate::coordination::Coordinate;
use crate::response::{allow_for, Bounds};
use crate::Noun;

/// The response buffer ran out of room.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overflow;

/// A body written as JSON.
pub(crate) trait Body {
    /// Write the whole body through `out`.
    fn write_to(&self, out: &mut JsonWriter<'_>);
}

/// Write `body` as JSON at the start of `out`, returning its length. One
/// body of code for every kind of body: they differ only in `write_to`.
pub(crate) fn write(body: &dyn Body, out: &mut [u8]) -> Result<usize, Overflow> {
    let mut writer = JsonWriter::new(out);
    body.write_to(&mut writer);
    writer.finish().map_err(|_| Overflow)
}

/// The index at `GET /` (`{"nouns": [noun, ..]}`) or one noun's
/// description for `OPTIONS` (`noun` alone), where a noun is
/// `{"name": .., "kind": .., "policy": "fifo" | null, "allow": "GET, ..",
/// "attributes": [..]}`.
///
/// The listing is cut into [`Piece`]s small enough for any response buffer
/// (the largest is one attribute), so that when the whole does not fit it
/// can be sent a piece at a time. A noun's description must not change while
/// it is sent: its length is measured before.
#[derive(Copy, Clone)]
pub(crate) struct Listing<'n> {
    nouns: &'n [Noun<'n>],
    /// Whether the nouns are wrapped in `{"nouns": [..]}`.
    wrapped: bool,
    /// For the index of a server with coordination: where each noun's
    /// lock is read, as of one instant.
    locks: Option<IndexLocks<'n>>,
}

/// Where the index reads each noun's lock, and the instant it is read at:
/// one instant for the whole index, so that the time left is the same when
/// the index is measured and when it is sent in pieces.
#[derive(Copy, Clone)]
pub(crate) struct IndexLocks<'n> {
    pub coordination: &'n dyn Coordinate,
    pub now: Instant,
}

impl core::fmt::Debug for IndexLocks<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IndexLocks")
            .field("now", &self.now)
            .finish()
    }
}

/// Width of the `lock_expires_in_ms` value: the digits of `u32::MAX`. The
/// value is right-aligned in it with spaces (JSON whitespace), so a noun's
/// entry has the same length whether or not it is locked, and a lock taken
/// or released while an index is being sent in pieces never makes the body
/// longer or shorter than the `Content-Length` already sent.
const LOCK_WIDTH: usize = 10;

/// One piece of a [`Listing`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// `{"nouns":[`
    Open,
    /// A noun's opening, up to its `"attributes":[`.
    Noun(usize),
    /// One attribute of a noun, after a comma if it is not the first.
    Attribute(usize, usize),
    /// `]}` closing a noun.
    NounEnd(usize),
    /// `]}` closing the index.
    Close,
}

impl<'n> Listing<'n> {
    pub(crate) fn index(nouns: &'n [Noun<'n>], locks: Option<IndexLocks<'n>>) -> Self {
        Listing {
            nouns,
            wrapped: true,
            locks,
        }
    }

    pub(crate) fn description(noun: &'n Noun<'n>) -> Self {
        Listing {
            nouns: core::slice::from_ref(noun),
            wrapped: false,
            locks: None,
        }
    }

    /// Every piece, in order.
    pub(crate) fn pieces(self) -> impl Iterator<Item = Piece> + 'n {
        core::iter::successors(self.first(), move |piece| self.after(*piece))
    }

    /// The first piece, if there is one: what `pieces().next()` gives,
    /// without working out the second.
    pub(crate) fn first(&self) -> Option<Piece> {
        if self.wrapped {
            Some(Piece::Open)
        } else {
            self.noun_from(0)
        }
    }

    pub(crate) fn after(&self, piece: Piece) -> Option<Piece> {
        match piece {
            Piece::Open => self.noun_from(0),
            Piece::Noun(noun) => Some(self.attribute_from(noun, 0)),
            Piece::Attribute(noun, attribute) => Some(self.attribute_from(noun, attribute + 1)),
            Piece::NounEnd(noun) => self.noun_from(noun + 1),
            Piece::Close => None,
        }
    }

    fn noun_from(&self, noun: usize) -> Option<Piece> {
        if noun < self.nouns.len() {
            Some(Piece::Noun(noun))
        } else if self.wrapped {
            Some(Piece::Close)
        } else {
            None
        }
    }

    // Out of line: `after` asks it for a noun's first attribute and for
    // the next, and each inlined copy asked the noun to describe itself.
    #[inline(never)]
    fn attribute_from(&self, noun: usize, attribute: usize) -> Piece {
        let count = self
            .nouns
            .get(noun)
            .map_or(0, |noun| noun.resource.describe().attributes.len());
        if attribute < count {
            Piece::Attribute(noun, attribute)
        } else {
            Piece::NounEnd(noun)
        }
    }

    /// Write `piece` at the start of `out`, returning its length.
    pub(crate) fn write_piece(&self, piece: Piece, out: &mut [u8]) -> Result<usize, Overflow> {
        let mut writer = JsonWriter::new(out);
        match piece {
            Piece::Open => writer.raw(br#"{"nouns":["#),
            Piece::Noun(index) => {
                let noun = self.nouns.get(index).ok_or(Overflow)?;
                let description = noun.resource.describe();
                if index > 0 {
                    writer.raw(b",");
                }
                writer.raw(br#"{"name":"#);
                writer.string(noun.name);
                writer.raw(br#","kind":"#);
                writer.string(description.kind);
                writer.raw(br#","policy":"#);
                match description.policy {
                    Some(policy) => writer.string(policy.name()),
                    None => writer.raw(b"null"),
                }
                // The same list as the `Allow` header, so a client reading
                // the index knows which nouns it may change.
                writer.raw(br#","allow":"#);
                writer.string(allow_for(description.verbs));
                if let Some(locks) = self.locks.filter(|_| cfg!(feature = "coordination")) {
                    // 0 when unlocked: the lease left is nothing.
                    let left = locks
                        .coordination
                        .lock_info(index, locks.now)
                        .map_or(0, |info| millis_until(info.expires_at, locks.now));
                    let left = left.min(u64::from(u32::MAX));
                    writer.raw(br#","lock_expires_in_ms":"#);
                    let pad = LOCK_WIDTH.saturating_sub(digit_count(left));
                    for _ in 0..pad {
                        writer.raw(b" ");
                    }
                    writer.unsigned(left);
                }
                writer.raw(br#","attributes":["#);
            }
            Piece::Attribute(noun, index) => {
                let noun = self.nouns.get(noun).ok_or(Overflow)?;
                let spec = noun
                    .resource
                    .describe()
                    .attributes
                    .get(index)
                    .ok_or(Overflow)?;
                if index > 0 {
                    writer.raw(b",");
                }
                write_attribute(spec, &mut writer);
            }
            Piece::NounEnd(_) | Piece::Close => writer.raw(b"]}"),
        }
        writer.finish().map_err(|_| Overflow)
    }

    /// Write the whole listing at the start of `out`.
    pub(crate) fn write_whole(&self, out: &mut [u8]) -> Result<usize, Overflow> {
        let mut len = 0;
        for piece in self.pieces() {
            len += self.write_piece(piece, out.get_mut(len..).ok_or(Overflow)?)?;
        }
        Ok(len)
    }
}

/// `{"key": .., "type": "integer", "min": 0, "max": 1, "access": "read-write", "doc": ..}`;
/// strings carry `max_len` instead of `min` and `max`, booleans neither;
/// numbers (decimals) carry `min`, `max` and `scale`, the digits they keep
/// after the point.
fn write_attribute(spec: &AttributeSpec, out: &mut JsonWriter<'_>) {
    out.raw(br#"{"key":"#);
    out.string(spec.key);
    out.raw(br#","type":"#);
    out.string(spec.kind.type_name());
    // An integer's bounds are written as a decimal's with no digits after
    // the point, which reads the same: one writing for both.
    if let Some(bounds) = Bounds::of(&spec.kind) {
        out.raw(br#","min":"#);
        out.decimal(Fixed::new(bounds.min, bounds.scale));
        out.raw(br#","max":"#);
        out.decimal(Fixed::new(bounds.max, bounds.scale));
    }
    match spec.kind {
        Kind::Str { max_len } => {
            out.raw(br#","max_len":"#);
            out.unsigned(max_len as u64);
        }
        Kind::Decimal { scale, .. } => {
            out.raw(br#","scale":"#);
            out.unsigned(u64::from(scale));
        }
        Kind::Int { .. } | Kind::Bool => {}
    }
    out.raw(match spec.access {
        Access::ReadOnly => br#","access":"read-only","doc":"#,
        Access::ReadWrite => br#","access":"read-write","doc":"#,
    });
    out.string(spec.doc);
    out.raw(b"}");
}

/// The body of `202 Accepted`:
/// `{"state": {..}, "ticket": 3, "position": 1, "eta_ms": 9000}`.
pub(crate) struct AcceptedBody<'s> {
    pub state: &'s Attributes,
    pub ticket: u32,
    pub position: u16,
    pub eta_ms: u64,
}

impl Body for AcceptedBody<'_> {
    fn write_to(&self, out: &mut JsonWriter<'_>) {
        out.raw(br#"{"state":"#);
        out.attributes(self.state);
        out.raw(br#","ticket":"#);
        out.unsigned(u64::from(self.ticket));
        out.raw(br#","position":"#);
        out.unsigned(u64::from(self.position));
        out.raw(br#","eta_ms":"#);
        out.unsigned(self.eta_ms);
        out.raw(b"}");
    }
}

/// One change of a noun, at `GET` or `DELETE /{noun}/changes/{ticket}`:
/// `{"ticket": 3, "status": "queued", "position": 1, "eta_ms": 2400,
/// "target": 255}`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChangeBody {
    pub ticket: u32,
    pub status: &'static str,
    pub position: u16,
    pub eta_ms: u64,
    /// The output level the change heads to.
    pub target: Level,
}

impl ChangeBody {
    /// `change` as it stands at `now`. Out of line: a change is shown in
    /// several answers, and each inlined copy took its own flash.
    #[inline(never)]
    pub(crate) fn of(change: &ChangeStatus, now: Instant) -> Self {
        ChangeBody {
            ticket: change.ticket.number(),
            status: change.status.name(),
            position: change.position,
            eta_ms: millis_until(change.expected_at(now), now),
            target: change.target,
        }
    }
}

impl Body for ChangeBody {
    fn write_to(&self, out: &mut JsonWriter<'_>) {
        out.raw(br#"{"ticket":"#);
        out.unsigned(u64::from(self.ticket));
        out.raw(br#","status":"#);
        out.string(self.status);
        out.raw(br#","position":"#);
        out.unsigned(u64::from(self.position));
        out.raw(br#","eta_ms":"#);
        out.unsigned(self.eta_ms);
        out.raw(br#","target":"#);
        out.unsigned(u64::from(self.target));
        out.raw(b"}");
    }
}

/// Every change a noun remembers, oldest first, at `GET /{noun}/changes`:
/// `{"changes": [change, ..]}`.
pub(crate) struct ChangesBody<'c> {
    pub changes: Option<&'c dyn Changes>,
    pub now: Instant,
}

impl Body for ChangesBody<'_> {
    fn write_to(&self, out: &mut JsonWriter<'_>) {
        out.raw(br#"{"changes":["#);
        if let Some(changes) = self.changes {
            let mut first = true;
            changes.for_each(self.now, &mut |change| {
                if !first {
                    out.raw(b",");
                }
                first = false;
                ChangeBody::of(&change, self.now).write_to(out);
            });
        }
        out.raw(b"]}");
    }
}

/// Milliseconds, rounded up so that an ETA is never early. Out of line:
/// it is called in several places, each inlined copy a 64-bit
/// multiplication and a division on a Cortex-M0.
#[inline(never)]
pub(crate) fn millis_up(duration: core::time::Duration) -> u64 {
    // In 64 bits (`Duration::as_micros` is a `u128`, slow on a Cortex-M0):
    // whole seconds are whole milliseconds, so only the rest rounds up.
    let rest = duration.subsec_micros().div_ceil(1_000);
    millis(duration.as_secs(), rest)
}

/// Milliseconds from `now` until `then`, rounded up, or 0 once `then` has
/// passed: [`millis_up`] of `then.duration_since(now)`, by one 64-bit
/// division of the microseconds between, where a `Duration` made of them
/// took a division and a multiplication and `millis_up` another of each.
#[inline(never)]
pub(crate) fn millis_until(then: Instant, now: Instant) -> u64 {
    then.as_micros()
        .saturating_sub(now.as_micros())
        .div_ceil(1_000)
}

/// `secs` seconds and `extra` milliseconds, in milliseconds, or as many as
/// a `u64` holds. Out of line: the 64-bit multiplication and its overflow
/// check, in software on a Cortex-M0, are then one copy for every wait the
/// server says in milliseconds, in bodies and in problem details.
#[inline(never)]
pub(crate) fn millis(secs: u64, extra: u32) -> u64 {
    // Tested against the bound rather than multiplied with overflow
    // detection, which takes a second 64-bit multiplication.
    if secs > u64::MAX / 1_000 {
        return u64::MAX;
    }
    (secs * 1_000).saturating_add(u64::from(extra))
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

impl Body for ProblemBody<'_> {
    fn write_to(&self, out: &mut JsonWriter<'_>) {
        out.raw(br#"{"type":"about:blank","title":"#);
        out.string(self.title);
        out.raw(br#","status":"#);
        out.unsigned(u64::from(self.status));
        out.raw(br#","detail":"#);
        out.string(self.detail);
        if let Some(attribute) = self.attribute {
            out.raw(br#","attribute":"#);
            out.string(attribute);
        }
        out.raw(b"}");
    }
}

/// A client lock at `/{noun}/lock`: `{"owner": "alice", "expires_in_ms":
/// 29950}`, with `"token"` first for the client that holds it (on `201`
/// and on renewal), never for anyone else.
pub(crate) struct LockBody<'l> {
    pub token: Option<&'l str>,
    pub owner: &'l str,
    pub expires_in_ms: u64,
}

impl Body for LockBody<'_> {
    fn write_to(&self, out: &mut JsonWriter<'_>) {
        out.raw(b"{");
        if let Some(token) = self.token {
            out.raw(br#""token":"#);
            out.string(token);
            out.raw(b",");
        }
        out.raw(br#""owner":"#);
        out.string(self.owner);
        out.raw(br#","expires_in_ms":"#);
        out.unsigned(self.expires_in_ms);
        out.raw(b"}");
    }
}

#[cfg(test)]
mod millis_tests {
    use super::{millis_until, millis_up};
    use core::time::Duration;
    use urest_core::time::Instant;

    #[test]
    fn milliseconds_until_an_instant_are_those_of_the_duration_to_it() {
        let now = Instant::from_micros(7_777);
        for micros in [0, 1, 999, 1_000, 1_001, 1_999_999, u64::MAX - 7_777] {
            let then = Instant::from_micros(7_777 + micros);
            let expected = millis_up(then.duration_since(now));
            assert_eq!(millis_until(then, now), expected);
        }
        assert_eq!(millis_until(Instant::ZERO, now), 0);
    }

    #[test]
    fn milliseconds_round_up_as_wide_integers_do() {
        for duration in [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(999),
            Duration::from_micros(1),
            Duration::from_micros(1_001),
            Duration::new(5, 999_999_999),
            Duration::new(u64::MAX / 1_000, 1_000),
            Duration::MAX,
        ] {
            let wide = duration.as_micros().div_ceil(1_000);
            assert_eq!(millis_up(duration), u64::try_from(wide).unwrap_or(u64::MAX));
        }
    }
}
