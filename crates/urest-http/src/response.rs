//! What the server answers, and how an answer becomes bytes.

use core::ops::Range;
use core::time::Duration;

use heapless::String;
use urest_core::attributes::{
    AttributeError, Attributes, DecodeError, Kind, Problem as AttributeProblem, MAX_KEY,
};
use urest_core::coord::{LockInfo, LockToken, Validator};
use urest_core::decimal::{digit_count, write_digits, Fixed};
use urest_core::resource::{Error, Verbs};
use urest_core::time::Instant;

use crate::access::{
    AccessHeaders, EXPOSED_HEADERS, PREFLIGHT_HEADERS, PREFLIGHT_MAX_AGE, PREFLIGHT_METHODS,
};
use crate::buffers::RESPONSE_HEAD_ROOM;
use crate::etag;
use crate::json::{
    self, millis_until, AcceptedBody, ChangeBody, ChangesBody, IndexLocks, Listing, LockBody,
    Overflow, ProblemBody,
};
use crate::Noun;

/// Longest `detail` of a problem, in bytes; longer ones are cut.
const DETAIL_LEN: usize = 240;

/// Every method a noun that supports every verb accepts, for `Allow`.
pub(crate) const ALLOW_NOUN: &str = "GET, HEAD, PUT, POST, DELETE, OPTIONS";

/// The `Allow` header of a noun supporting `verbs`: one fixed string for each
/// of the eight combinations, so a header never needs formatting.
pub(crate) fn allow_for(verbs: Verbs) -> &'static str {
    match (verbs.put, verbs.post, verbs.delete) {
        (true, true, true) => ALLOW_NOUN,
        (true, true, false) => "GET, HEAD, PUT, POST, OPTIONS",
        (true, false, true) => "GET, HEAD, PUT, DELETE, OPTIONS",
        (true, false, false) => "GET, HEAD, PUT, OPTIONS",
        (false, true, true) => "GET, HEAD, POST, DELETE, OPTIONS",
        (false, true, false) => "GET, HEAD, POST, OPTIONS",
        (false, false, true) => "GET, HEAD, DELETE, OPTIONS",
        (false, false, false) => "GET, HEAD, OPTIONS",
    }
}
/// Every method the index accepts, for `Allow`.
pub(crate) const ALLOW_INDEX: &str = "GET, HEAD, OPTIONS";
/// Every method a noun's list of changes accepts, for `Allow`.
pub(crate) const ALLOW_CHANGES: &str = "GET, HEAD, OPTIONS";
/// Every method one change accepts, for `Allow`.
pub(crate) const ALLOW_CHANGE: &str = "GET, HEAD, DELETE, OPTIONS";
/// What `/{noun}/lock` allows.
pub(crate) const ALLOW_LOCK: &str = "GET, HEAD, POST, DELETE, OPTIONS";

/// The media type of a response body.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Media {
    Json,
    ProblemJson,
}

/// The statuses this server sends, in order, and their reason phrases
/// (RFC 9110 §15), one a line: a table of numbers and one text take less
/// flash than a match, whose every arm loads a text of its own.
macro_rules! reasons {
    ($($status:literal $reason:literal,)*) => {
        const STATUSES: &[u16] = &[$($status),*];
        const REASONS: &str = concat!($($reason, "\n"),*);
    };
}
reasons! {
    100 "Continue",
    200 "OK",
    201 "Created",
    202 "Accepted",
    204 "No Content",
    304 "Not Modified",
    400 "Bad Request",
    401 "Unauthorized",
    403 "Forbidden",
    404 "Not Found",
    405 "Method Not Allowed",
    408 "Request Timeout",
    409 "Conflict",
    411 "Length Required",
    412 "Precondition Failed",
    413 "Content Too Large",
    415 "Unsupported Media Type",
    421 "Misdirected Request",
    422 "Unprocessable Content",
    423 "Locked",
    429 "Too Many Requests",
    431 "Request Header Fields Too Large",
    500 "Internal Server Error",
    501 "Not Implemented",
    503 "Service Unavailable",
}

/// The reason phrase of `status`, `Unknown` for a status not in the table.
pub(crate) fn reason(status: u16) -> &'static str {
    let Some(mut line) = STATUSES.iter().position(|&known| known == status) else {
        return "Unknown";
    };
    let mut start = 0;
    for (at, byte) in REASONS.bytes().enumerate() {
        if byte == b'\n' {
            if line == 0 {
                return REASONS.get(start..at).unwrap_or_default();
            }
            line -= 1;
            start = at + 1;
        }
    }
    "Unknown"
}

/// The status line of the commonest statuses, without its line break.
fn status_line(status: u16) -> Option<&'static str> {
    Some(match status {
        200 => "HTTP/1.1 200 OK",
        202 => "HTTP/1.1 202 Accepted",
        204 => "HTTP/1.1 204 No Content",
        _ => return None,
    })
}

/// A failed request, as RFC 9457 problem details plus the headers that go
/// with it.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    pub status: u16,
    pub detail: String<DETAIL_LEN>,
    pub attribute: Option<String<MAX_KEY>>,
    pub allow: Option<&'static str>,
    pub retry_after: Option<u32>,
    /// The connection cannot carry another request after this one.
    pub closes: bool,
}

impl Problem {
    /// A problem with `status` whose detail opens with `text` (empty for
    /// one that opens otherwise): see the `problem!` macro.
    // Never inlined: each of the dozens of problems the server can answer
    // with otherwise set every field itself, where one call does.
    #[inline(never)]
    pub(crate) fn saying(status: u16, text: &str) -> Problem {
        let mut problem = Problem {
            status,
            detail: String::new(),
            attribute: None,
            allow: None,
            retry_after: None,
            closes: false,
        };
        push_cut(&mut problem.detail, text);
        problem
    }

    /// The same problem, closing the connection after it is sent.
    pub(crate) fn closing(mut self) -> Problem {
        self.closes = true;
        self
    }

    /// The same problem, with an `Allow` header.
    pub(crate) fn allowing(mut self, allow: &'static str) -> Problem {
        self.allow = Some(allow);
        self
    }

    /// Name the attribute at fault, in place: a problem is some 300 bytes,
    /// and one built in a local and then moved is copied whole.
    pub(crate) fn name_attribute(&mut self, attribute: &str) {
        // Always `Some`: the cut fits.
        self.attribute = String::try_from(cut_to(attribute, MAX_KEY)).ok();
    }

    /// The same problem, with `Retry-After` of `wait` in whole seconds.
    pub(crate) fn retry_after(mut self, wait: Duration) -> Problem {
        self.retry_after = Some(whole_seconds_up(wait));
        self
    }
}

/// Whole seconds, rounded up and at least one: a client told `0` would
/// retry at once and meet the same refusal.
// Out of line, one copy for every refusal with a `Retry-After`; and in 32
// bits once the seconds are known to fit with one more: 64-bit arithmetic
// is software on a Cortex-M0.
#[inline(never)]
pub(crate) fn whole_seconds_up(wait: Duration) -> u32 {
    match u32::try_from(wait.as_secs()) {
        Ok(seconds) if seconds < u32::MAX => (seconds + u32::from(wait.subsec_nanos() > 0)).max(1),
        _ => u32::MAX,
    }
}

/// Push `text` onto `into`, or as many of its characters as fit.
///
/// Never inlined: details are built from dozens of pieces, and each piece
/// is then one call.
#[inline(never)]
fn push_cut(into: &mut Detail, text: &str) {
    let room = into.capacity().saturating_sub(into.len());
    // Cannot fail: the cut fits.
    let _ = into.push_str(cut_to(text, room));
}

/// The longest start of `text` of at most `len` bytes that ends between two
/// characters: found by its byte count, which takes less code than pushing
/// a character at a time until one does not fit.
fn cut_to(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    // Ends at 0 at the latest, which is always a boundary.
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// The detail of a problem as it is built.
pub(crate) type Detail = String<DETAIL_LEN>;

/// Something a problem's detail can say: text, a number, an error.
pub(crate) trait Piece {
    fn add_to(&self, detail: &mut Detail);
}

impl<T: Piece + ?Sized> Piece for &T {
    fn add_to(&self, detail: &mut Detail) {
        (**self).add_to(detail);
    }
}

impl Piece for str {
    fn add_to(&self, detail: &mut Detail) {
        push_cut(detail, self);
    }
}

// Every unsigned number is written as a `u64`, by one call: a copy of the
// writing for each width took flash for nothing.
impl Piece for u64 {
    #[inline(never)]
    fn add_to(&self, detail: &mut Detail) {
        // Written by the response head's writer of digits: one copy of the
        // writing in the firmware, not two.
        let mut digits = [0; 20];
        let mut sink = Sink {
            out: &mut digits,
            len: 0,
            counting: false,
            overflow: false,
        };
        sink.put_decimal(*self);
        let len = sink.len;
        let text = digits.get(..len).unwrap_or_default();
        push_cut(detail, core::str::from_utf8(text).unwrap_or(""));
    }
}

macro_rules! numbers {
    ($($kind:ty),*) => {$(
        impl Piece for $kind {
            #[inline]
            fn add_to(&self, detail: &mut Detail) {
                (*self as u64).add_to(detail);
            }
        }
    )*};
}
numbers!(u16, u32, usize);

/// A timeout for people: whole seconds when it is some (`30 s`), else
/// milliseconds, rounded up (`1500 ms`).
pub(crate) struct Timeout(pub Duration);

impl Piece for Timeout {
    fn add_to(&self, detail: &mut Detail) {
        let nanos = self.0.subsec_nanos();
        if nanos == 0 {
            self.0.as_secs().add_to(detail);
            return " s".add_to(detail);
        }
        Millis {
            secs: self.0.as_secs(),
            extra: nanos.div_ceil(1_000_000),
        }
        .add_to(detail);
    }
}

/// `secs` seconds and `extra` milliseconds, as milliseconds (`1500 ms`),
/// or as many as a `u64` holds.
struct Millis {
    secs: u64,
    extra: u32,
}

// Out of line: one copy for timeouts and waits alike.
impl Piece for Millis {
    #[inline(never)]
    fn add_to(&self, detail: &mut Detail) {
        json::millis(self.secs, self.extra).add_to(detail);
        " ms".add_to(detail);
    }
}

/// A core error as its `Display` reads, without `core::fmt` but for the
/// decoding errors, whose messages are composed from their parts.
impl Piece for Error {
    fn add_to(&self, detail: &mut Detail) {
        let (text, wait) = match self {
            Error::Malformed(error) => {
                "body is not a JSON object: ".add_to(detail);
                return error.add_to(detail);
            }
            Error::Attribute(error) => return error.add_to(detail),
            Error::Busy { retry_after } => ("busy with a transition", Some(retry_after)),
            Error::QueueFull { retry_after } => {
                ("queue of waiting changes is full", Some(retry_after))
            }
            Error::Conflict => ("the change conflicts with the current state", None),
            Error::NotSupported => ("this noun does not support that verb", None),
            Error::Hardware => ("the hardware reported an error", None),
        };
        text.add_to(detail);
        if let Some(wait) = wait {
            "; try again in ".add_to(detail);
            Millis {
                secs: wait.as_secs(),
                extra: wait.subsec_millis(),
            }
            .add_to(detail);
        }
    }
}

/// A head that is not HTTP/1.x, as httparse's `Display` says it.
impl Piece for httparse::Error {
    fn add_to(&self, detail: &mut Detail) {
        match self {
            httparse::Error::HeaderName => "invalid header name",
            httparse::Error::HeaderValue => "invalid header value",
            httparse::Error::NewLine => "invalid new line",
            httparse::Error::Status => "invalid response status",
            httparse::Error::Token => "invalid token",
            httparse::Error::TooManyHeaders => "too many headers",
            httparse::Error::Version => "invalid HTTP version",
        }
        .add_to(detail);
    }
}

impl Piece for Fixed {
    fn add_to(&self, detail: &mut Detail) {
        let mut text = [0u8; 24];
        self.write(&mut text).add_to(detail);
    }
}

/// The bounds of an accepted range, `min..=max`, in units of `10^-scale`
/// (an integer's with a scale of 0).
pub(crate) struct Bounds {
    pub min: i64,
    pub max: i64,
    pub scale: u8,
}

impl Bounds {
    /// The bounds of `kind`, if it has any.
    pub(crate) fn of(kind: &Kind) -> Option<Bounds> {
        match *kind {
            Kind::Int { min, max } => Some(Bounds { min, max, scale: 0 }),
            Kind::Decimal { scale, min, max } => Some(Bounds { min, max, scale }),
            _ => None,
        }
    }
}

// Out of line: the ranges of integers and decimals, in errors and in the
// list of what a noun accepts, are all this one call.
impl Piece for Bounds {
    #[inline(never)]
    fn add_to(&self, detail: &mut Detail) {
        Fixed::new(self.min, self.scale).add_to(detail);
        "..=".add_to(detail);
        Fixed::new(self.max, self.scale).add_to(detail);
    }
}

/// What a kind of attribute accepts, as urest-core's `Kind::write_accepts`
/// says it: ` in 0..=1`, ` of at most 8 bytes`, and so on.
pub(crate) struct Accepts<'k>(pub &'k Kind);

impl Piece for Accepts<'_> {
    fn add_to(&self, detail: &mut Detail) {
        if let Some(bounds) = Bounds::of(self.0) {
            " in ".add_to(detail);
            bounds.add_to(detail);
        }
        match *self.0 {
            Kind::Int { .. } | Kind::Bool => {}
            Kind::Str { max_len } => {
                " of at most ".add_to(detail);
                max_len.add_to(detail);
                " bytes".add_to(detail);
            }
            Kind::Decimal { scale, .. } => {
                " with at most ".add_to(detail);
                u16::from(scale).add_to(detail);
                if scale == 1 { " digit" } else { " digits" }.add_to(detail);
                " after the point".add_to(detail);
            }
        }
    }
}

/// As urest-core's `Display` of an attribute error reads.
impl Piece for AttributeError {
    fn add_to(&self, detail: &mut Detail) {
        if let AttributeProblem::Unknown = self.problem() {
            "unknown ".add_to(detail);
        }
        "attribute \"".add_to(detail);
        self.key().add_to(detail);
        "\"".add_to(detail);
        match self.problem() {
            AttributeProblem::Unknown => {}
            AttributeProblem::ReadOnly => " is read-only".add_to(detail),
            AttributeProblem::WrongType(kind) | AttributeProblem::NotAccepted(kind) => {
                " must be ".add_to(detail);
                kind.type_name().add_to(detail);
                Accepts(&kind).add_to(detail);
            }
            AttributeProblem::OutOfRange { min, max } => {
                " must be in ".add_to(detail);
                Bounds { min, max, scale: 0 }.add_to(detail);
            }
            AttributeProblem::TooLong { max_len } => {
                " must be at most ".add_to(detail);
                max_len.add_to(detail);
                " bytes".add_to(detail);
            }
            AttributeProblem::Duplicate => " appears more than once".add_to(detail),
            AttributeProblem::Missing => " is required".add_to(detail),
        }
    }
}

/// As serde-json-core's `Display` reads.
impl Piece for serde_json_core::de::Error {
    fn add_to(&self, detail: &mut Detail) {
        use serde_json_core::de::Error as E;
        match self {
            E::EofWhileParsingList => "EOF while parsing a list.",
            E::EofWhileParsingObject => "EOF while parsing an object.",
            E::EofWhileParsingString => "EOF while parsing a string.",
            E::EofWhileParsingValue => "EOF while parsing a JSON value.",
            E::ExpectedColon => "Expected this character to be a `':'`.",
            E::ExpectedListCommaOrEnd => "Expected this character to be either a `','` ora `']'`.",
            E::ExpectedObjectCommaOrEnd => {
                "Expected this character to be either a `','` or a `'}'`."
            }
            E::ExpectedSomeIdent => "Expected to parse either a `true`, `false`, or a `null`.",
            E::ExpectedSomeValue => "Expected this character to start a JSON value.",
            E::InvalidNumber => "Invalid number.",
            E::InvalidType => "Invalid type",
            E::InvalidUnicodeCodePoint => "Invalid unicode code point.",
            E::KeyMustBeAString => "Object key is not a string.",
            E::TrailingCharacters => "JSON has non-whitespace trailing characters after the value.",
            E::TrailingComma => "JSON has a comma after the last value in an array or map.",
            E::CustomError => "JSON does not match deserializer’s expected format.",
            _ => "Invalid JSON",
        }
        .add_to(detail);
    }
}

impl Piece for DecodeError {
    fn add_to(&self, detail: &mut Detail) {
        match self {
            DecodeError::Malformed(error) => {
                "body is not a JSON object: ".add_to(detail);
                error.add_to(detail);
            }
            DecodeError::Attribute(error) => error.add_to(detail),
        }
    }
}

/// What to answer one request with.
#[derive(Clone, Debug)]
pub(crate) enum Reply<'n> {
    /// `200` with a noun's state (whose strong validator is its `ETag`) and
    /// what else its head says.
    State(Attributes, StateNote),
    /// `201` with a lock just granted (`Lock-Token` and `Location` name
    /// it), or `200` with a lock renewed; the body carries the token.
    Lock {
        noun: &'n str,
        token: LockToken,
        info: LockInfo,
        created: bool,
        now: Instant,
    },
    /// `200` with who holds a noun's lock, without the token.
    LockHeld { info: LockInfo, now: Instant },
    /// `204` with no body: done, nothing to say.
    NoContent,
    /// `202` with a noun's state (whose strong validator is its `ETag`) and
    /// where the change stands; `Location` names the change.
    Accepted {
        state: Attributes,
        noun: &'n Noun<'n>,
        ticket: u32,
        position: u16,
        eta_ms: u64,
    },
    /// `304` with no body: the client's copy is current.
    NotModified { etag: u64 },
    /// `200` with one change of a noun.
    Change(ChangeBody),
    /// `200` with every change a noun remembers, as it stands at `now`.
    Changes { noun: &'n Noun<'n>, now: Instant },
    /// `200` with the index of nouns; with coordination, how long each
    /// stays locked, as of one instant.
    Index(Option<IndexLocks<'n>>),
    /// `200` with one noun's description, for `OPTIONS`.
    Description(&'n Noun<'n>),
    /// `200` with no body, for `OPTIONS` on `/` or `*`.
    Options { allow: &'static str },
    /// `204` with no body: the answer to a CORS preflight.
    Preflight,
    /// An error.
    Problem(Problem),
}

impl<'n> Reply<'n> {
    pub(crate) fn status(&self) -> u16 {
        match self {
            Reply::Accepted { .. } => 202,
            Reply::Lock { created: true, .. } => 201,
            Reply::Preflight | Reply::NoContent => 204,
            Reply::NotModified { .. } => 304,
            Reply::Problem(problem) => problem.status,
            _ => 200,
        }
    }

    /// Whether this reply hands a client its lock token.
    pub(crate) fn carries_lock_token(&self) -> bool {
        matches!(self, Reply::Lock { .. })
    }

    /// Whether the connection must close after this reply.
    pub(crate) fn closes(&self) -> bool {
        matches!(self, Reply::Problem(problem) if problem.closes)
    }

    fn content_type(&self) -> Option<Media> {
        match self {
            Reply::Options { .. }
            | Reply::Preflight
            | Reply::NoContent
            | Reply::NotModified { .. } => None,
            Reply::Problem(_) => Some(Media::ProblemJson),
            _ => Some(Media::Json),
        }
    }

    fn allow(&self) -> Option<&'static str> {
        match self {
            Reply::Description(noun) => Some(allow_for(noun.resource.describe().verbs)),
            Reply::Options { allow } => Some(allow),
            Reply::Problem(problem) => problem.allow,
            _ => None,
        }
    }

    /// The one header of `Retry-After`, `ETag` and `Location` that goes
    /// alone (a problem never has a validator), or `ETag` with `Location`.
    fn extra(&self) -> Extra<'n> {
        match self {
            Reply::State(state, note) => Extra::Etag(Validator::of_attributes(state).0, *note),
            Reply::NotModified { etag } => Extra::Etag(*etag, StateNote::Plain),
            // Only coordination makes these (see `ResponseHead::emit`).
            Reply::Lock { .. } if !cfg!(feature = "coordination") => Extra::None,
            Reply::Lock {
                noun,
                token,
                created,
                ..
            } => Extra::Lock {
                token: *token,
                noun: created.then_some(*noun),
            },
            Reply::Accepted {
                state,
                noun,
                ticket,
                ..
            } => Extra::Located {
                etag: Validator::of_attributes(state).0,
                noun: noun.name,
                ticket: *ticket,
            },
            Reply::Problem(Problem {
                retry_after: Some(seconds),
                ..
            }) => Extra::RetryAfter(*seconds),
            _ => Extra::None,
        }
    }

    /// The listing this reply sends, for the replies that send one.
    pub(crate) fn listing(&self, nouns: &'n [Noun<'n>]) -> Option<Listing<'n>> {
        match self {
            Reply::Index(locks) => Some(Listing::index(nouns, *locks)),
            Reply::Description(noun) => Some(Listing::description(noun)),
            _ => None,
        }
    }

    /// Write the body at the start of `out`, returning its length.
    pub(crate) fn write_body(&self, nouns: &[Noun<'_>], out: &mut [u8]) -> Result<usize, Overflow> {
        match self {
            Reply::State(state, ..) => state.encode(out).map_err(|_| Overflow),
            // Only coordination makes these (see `ResponseHead::emit`).
            Reply::Lock { .. } | Reply::LockHeld { .. } if !cfg!(feature = "coordination") => Ok(0),
            Reply::Lock {
                token, info, now, ..
            } => json::write(
                &LockBody {
                    token: Some(token.to_hex().as_str()),
                    owner: &info.owner,
                    expires_in_ms: millis_until(info.expires_at, *now),
                },
                out,
            ),
            Reply::LockHeld { info, now } => json::write(
                &LockBody {
                    token: None,
                    owner: &info.owner,
                    expires_in_ms: millis_until(info.expires_at, *now),
                },
                out,
            ),
            Reply::NoContent => Ok(0),
            Reply::Accepted {
                state,
                ticket,
                position,
                eta_ms,
                ..
            } => json::write(
                &AcceptedBody {
                    state,
                    ticket: *ticket,
                    position: *position,
                    eta_ms: *eta_ms,
                },
                out,
            ),
            Reply::Change(change) => json::write(change, out),
            Reply::Changes { noun, now } => json::write(
                &ChangesBody {
                    changes: noun.resource.changes(),
                    now: *now,
                },
                out,
            ),
            Reply::NotModified { .. } => Ok(0),
            Reply::Index(_) | Reply::Description(_) => match self.listing(nouns) {
                Some(listing) => listing.write_whole(out),
                None => Ok(0),
            },
            Reply::Options { .. } | Reply::Preflight => Ok(0),
            Reply::Problem(problem) => json::write(
                &ProblemBody {
                    status: problem.status,
                    title: reason(problem.status),
                    detail: &problem.detail,
                    attribute: problem.attribute.as_deref(),
                },
                out,
            ),
        }
    }

    /// The status line and headers for a body of `body_len` bytes, with
    /// the headers an access decision adds. Inline: composing a response
    /// then fills in the head's description in place, rather than through
    /// a call that builds and returns it.
    #[inline(always)]
    pub(crate) fn head_with<'h>(
        &self,
        body_len: usize,
        connection: Persistence,
        access: AccessHeaders<'h>,
    ) -> ResponseHead<'h>
    where
        'n: 'h,
    {
        ResponseHead {
            status: self.status(),
            extra: self.extra(),
            content_type: self.content_type(),
            content_length: body_len,
            allow: self.allow(),
            connection,
            access,
        }
    }
}

/// What a state's response head says besides its `ETag`.
#[derive(Copy, Clone, Debug)]
pub(crate) enum StateNote {
    /// Nothing more.
    Plain,
    /// On a read of a locked noun: `Lock-Info`, how long it stays locked.
    Locked(LockShown),
    /// After waiting for the change asked for (`Prefer: wait`):
    /// `Preference-Applied: wait`.
    Waited,
}

/// How long a noun stays locked, as a read of the noun shows it in
/// `Lock-Info` (an RFC 8941 dictionary: `expires_in_ms=12000`; who holds
/// it is at `/{noun}/lock`). Small, so a response head stays small.
#[derive(Copy, Clone, Debug)]
pub(crate) struct LockShown {
    /// Cut to `u32::MAX` (49 days), far beyond any lease.
    pub expires_in_ms: u32,
}

impl LockShown {
    pub(crate) fn new(info: &LockInfo, now: Instant) -> LockShown {
        LockShown {
            expires_in_ms: u32::try_from(millis_until(info.expires_at, now)).unwrap_or(u32::MAX),
        }
    }
}

/// What the response says about the connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Persistence {
    /// HTTP/1.1's default: stays open, nothing to say.
    KeepAlive,
    /// An HTTP/1.0 client asked to keep the connection: confirm it.
    KeepAliveConfirmed,
    /// `Connection: close`, and the server closes.
    Close,
}

/// The headers of a response that depend on what it answers, in one field
/// so that a response head stays small.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Extra<'h> {
    None,
    /// `Retry-After` in whole seconds.
    RetryAfter(u32),
    /// `ETag`, the strong validator, and what else a state's head says.
    Etag(u64, StateNote),
    /// `ETag` and `Location: /{noun}/changes/{ticket}`.
    Located {
        etag: u64,
        noun: &'h str,
        ticket: u32,
    },
    /// `Lock-Token`, and `Location: /{noun}/lock` for a new lock.
    Lock {
        token: LockToken,
        noun: Option<&'h str>,
    },
}

/// The status line and headers of a response.
#[derive(Copy, Clone, Debug)]
pub(crate) struct ResponseHead<'h> {
    pub status: u16,
    /// `Retry-After`, `ETag` or `ETag` and `Location`.
    pub extra: Extra<'h>,
    pub content_type: Option<Media>,
    pub content_length: usize,
    pub allow: Option<&'static str>,
    pub connection: Persistence,
    pub access: AccessHeaders<'h>,
}

impl ResponseHead<'_> {
    /// Write the head, blank line included, at the start of `out`.
    pub(crate) fn write(&self, out: &mut [u8]) -> Result<usize, Overflow> {
        let mut writer = Sink {
            out,
            len: 0,
            counting: false,
            overflow: false,
        };
        self.emit(&mut writer);
        writer.finish()
    }

    /// The length of the head, blank line included.
    pub(crate) fn measure(&self) -> Result<usize, Overflow> {
        let mut counter = Sink {
            out: &mut [],
            len: 0,
            counting: true,
            overflow: false,
        };
        self.emit(&mut counter);
        counter.finish()
    }

    fn emit(&self, w: &mut Sink<'_>) {
        // The heads of states and changes start alike: their first lines
        // in one piece rather than three.
        match (self.status, self.content_type) {
            (200, Some(Media::Json)) => {
                w.put(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ");
            }
            (202, Some(Media::Json)) => w.put(
                b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: ",
            ),
            _ => self.emit_opening(w),
        }
        // A 204 has no content and must not say how long it is; a 304's
        // length would be that of the 200 it stands for, so none is sent.
        if !matches!(self.status, 204 | 304) {
            w.put_decimal(self.content_length as u64);
        }
        if let Some(allow) = self.allow {
            w.put(b"\r\nAllow: ");
            w.put(allow.as_bytes());
        }
        match self.extra {
            Extra::None => {}
            Extra::RetryAfter(seconds) => {
                w.put(b"\r\nRetry-After: ");
                w.put_decimal(u64::from(seconds));
            }
            Extra::Etag(etag, note) => {
                put_etag(w, etag);
                match note {
                    StateNote::Plain => {}
                    // Nothing is locked without coordination: saying so
                    // leaves the lock headers' code and text out of the
                    // firmware, as the compiler cannot see it alone.
                    StateNote::Locked(_) if !cfg!(feature = "coordination") => {}
                    StateNote::Locked(lock) => {
                        w.put(b"\r\nLock-Info: expires_in_ms=");
                        w.put_decimal(u64::from(lock.expires_in_ms));
                    }
                    StateNote::Waited => w.put(b"\r\nPreference-Applied: wait"),
                }
            }
            Extra::Located { etag, noun, ticket } => {
                put_etag(w, etag);
                w.put(b"\r\nLocation: /");
                put_segment(w, noun);
                w.put(b"/changes/");
                w.put_decimal(u64::from(ticket));
            }
            Extra::Lock { .. } if !cfg!(feature = "coordination") => {}
            Extra::Lock { token, noun } => {
                w.put(b"\r\nLock-Token: ");
                w.put(token.to_hex().as_bytes());
                if let Some(noun) = noun {
                    w.put(b"\r\nLocation: /");
                    put_segment(w, noun);
                    w.put(b"/lock");
                }
            }
        }
        if self.connection == Persistence::KeepAlive && adds_nothing(&self.access) {
            // Most heads end here: both line breaks in one piece.
            w.put(b"\r\n\r\n");
            return;
        }
        w.put(b"\r\n");
        self.emit_access(w);
        match self.connection {
            Persistence::KeepAlive => {}
            Persistence::KeepAliveConfirmed => w.put(b"Connection: keep-alive\r\n"),
            Persistence::Close => w.put(b"Connection: close\r\n"),
        }
        w.put(b"\r\n");
    }

    /// The status line, the `Content-Type` if any and the name of the
    /// `Content-Length` if the status has one, for the heads
    /// [`emit`](Self::emit) does not write in one piece.
    fn emit_opening(&self, w: &mut Sink<'_>) {
        match status_line(self.status) {
            Some(line) => w.put(line.as_bytes()),
            None => {
                w.put(b"HTTP/1.1 ");
                w.put_decimal(u64::from(self.status));
                w.put(b" ");
                w.put(reason(self.status).as_bytes());
            }
        }
        match self.content_type {
            Some(Media::Json) => w.put(b"\r\nContent-Type: application/json"),
            Some(Media::ProblemJson) => w.put(b"\r\nContent-Type: application/problem+json"),
            None => {}
        }
        if !matches!(self.status, 204 | 304) {
            w.put(b"\r\nContent-Length: ");
        }
    }

    fn emit_access(&self, w: &mut Sink<'_>) {
        // Without the feature no decision adds a header: saying so leaves
        // the headers' code and text out of the firmware.
        if !cfg!(feature = "access") {
            return;
        }
        let access = &self.access;
        if let Some(challenge) = access.challenge {
            w.put(b"WWW-Authenticate: ");
            w.put(challenge.header().as_bytes());
            w.put(b"\r\n");
        }
        if let Some(origin) = access.allow_origin {
            w.put(b"Access-Control-Allow-Origin: ");
            w.put(origin.as_bytes());
            w.put(b"\r\nAccess-Control-Expose-Headers: ");
            w.put(EXPOSED_HEADERS.as_bytes());
            w.put(b"\r\n");
        }
        if access.preflight {
            w.put(b"Access-Control-Allow-Methods: ");
            w.put(PREFLIGHT_METHODS.as_bytes());
            w.put(b"\r\nAccess-Control-Allow-Headers: ");
            w.put(PREFLIGHT_HEADERS.as_bytes());
            w.put(b"\r\nAccess-Control-Max-Age: ");
            w.put_decimal(u64::from(PREFLIGHT_MAX_AGE));
            w.put(b"\r\n");
        }
        if access.vary_origin {
            w.put(b"Vary: Origin\r\n");
        }
    }
}

/// Whether an access decision adds no header. Every field is named, so
/// that a header added to [`AccessHeaders`] cannot be left out here.
fn adds_nothing(access: &AccessHeaders<'_>) -> bool {
    let AccessHeaders {
        challenge,
        allow_origin,
        vary_origin,
        preflight,
    } = access;
    !cfg!(feature = "access")
        || (challenge.is_none() && allow_origin.is_none() && !vary_origin && !preflight)
}

/// `ETag: "…"`, on a line of its own.
fn put_etag(w: &mut Sink<'_>, etag: u64) {
    // The line whole, then put in one piece.
    let mut line = *b"\r\nETag: ##################";
    if let Some(tag) = line.last_chunk_mut::<{ etag::ETAG_LEN }>() {
        *tag = etag::render(etag);
    }
    w.put(&line);
}

/// `segment` as a path segment: bytes a segment may hold as they are
/// (RFC 3986 `pchar`), any other percent-encoded, so that a noun name with
/// a space or a non-ASCII letter still makes a valid `Location` (routing
/// decodes it again).
fn put_segment(w: &mut Sink<'_>, segment: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in segment.as_bytes() {
        // `&'()*+,-.` are one run of ASCII.
        let plain = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'$' | b'&'..=b'.' | b':' | b';' | b'=' | b'@' | b'_' | b'~'
            );
        if plain {
            w.put(&[byte]);
        } else {
            let high = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
            let low = HEX.get(usize::from(byte & 0xf)).copied().unwrap_or(b'0');
            w.put(&[b'%', high, low]);
        }
    }
}

/// Where a response head goes: appended to a byte slice, or (`counting`)
/// only counted. One type rather than a trait with a writer and a counter,
/// so that the head's code is compiled once, not once per kind of sink; and
/// `put` notes an overflow instead of returning it, so that each of the
/// head's dozens of pieces is a call (a copy, where it is inlined) with no
/// branch after it (the head is refused as a whole in
/// [`finish`](Self::finish)). Left to the compiler to inline: at
/// opt-level "s" it stays out of line, and inlined on the host it costs
/// about 200 instructions fewer per request.
struct Sink<'o> {
    out: &'o mut [u8],
    len: usize,
    counting: bool,
    overflow: bool,
}

impl Sink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        // A counting sink has no room at all, so it only ever takes the
        // second arm: the writing sink's common case tests nothing more.
        match self.out.get_mut(self.len..end) {
            Some(into) => into.copy_from_slice(bytes),
            None => self.overflow |= !self.counting,
        }
        self.len = end;
    }

    /// `number` in decimal: its digits counted first, then written in
    /// place from the last, rather than copied from a scratch array.
    fn put_decimal(&mut self, number: u64) {
        let end = self.len.saturating_add(digit_count(number));
        match self.out.get_mut(self.len..end) {
            Some(into) => write_digits(into, number),
            None => self.overflow |= !self.counting,
        }
        self.len = end;
    }

    /// The length written or counted, unless something did not fit.
    fn finish(&self) -> Result<usize, Overflow> {
        if self.overflow || self.len == usize::MAX {
            return Err(Overflow);
        }
        Ok(self.len)
    }
}

/// A response composed in the response buffer.
#[derive(Clone, Debug)]
pub(crate) struct Composed {
    /// The bytes to send.
    pub sent: Range<usize>,
    /// Where the body lies in the buffer (empty for `HEAD`).
    pub body: Range<usize>,
}

/// Compose `reply` in `buffer`: the body is written after
/// [`RESPONSE_HEAD_ROOM`] bytes and the head just before it, so neither is
/// copied again. With `head_only` the body is measured but not sent.
pub(crate) fn compose(
    reply: &Reply<'_>,
    nouns: &[Noun<'_>],
    buffer: &mut [u8],
    connection: Persistence,
    head_only: bool,
) -> Result<Composed, Overflow> {
    compose_with(
        reply,
        nouns,
        buffer,
        connection,
        head_only,
        AccessHeaders::default(),
    )
}

/// [`compose`], with the headers an access decision adds. A head longer
/// than [`RESPONSE_HEAD_ROOM`] (a long origin, say) moves the body up to
/// make room, if the buffer has it.
pub(crate) fn compose_with(
    reply: &Reply<'_>,
    nouns: &[Noun<'_>],
    buffer: &mut [u8],
    connection: Persistence,
    head_only: bool,
    access: AccessHeaders<'_>,
) -> Result<Composed, Overflow> {
    let room = RESPONSE_HEAD_ROOM.min(buffer.len());
    let body_len = reply.write_body(nouns, buffer.get_mut(room..).unwrap_or_default())?;
    let body_end = room.checked_add(body_len).ok_or(Overflow)?;
    let head = reply.head_with(body_len, connection, access);
    // Written at the start, then moved to end where the body begins.
    if let Ok(head_len) = head.write(buffer.get_mut(..room).unwrap_or_default()) {
        let start = room - head_len;
        buffer.copy_within(..head_len, start);
        let end = if head_only { room } else { body_end };
        return Ok(Composed {
            sent: start..end,
            body: room..end,
        });
    }
    let head_len = head.measure()?;
    let end = head_len.checked_add(body_len).ok_or(Overflow)?;
    if end > buffer.len() {
        return Err(Overflow);
    }
    if !head_only {
        buffer.copy_within(room..body_end, head_len);
    }
    head.write(buffer.get_mut(..head_len).ok_or(Overflow)?)?;
    let end = if head_only { head_len } else { end };
    Ok(Composed {
        sent: 0..end,
        body: head_len..end,
    })
}

/// Writes a complete `503 Service Unavailable` response with
/// `Retry-After` and `Connection: close` into `buffer`, for a server whose
/// connection slots are all taken; returns its length, or `None` if
/// `buffer` is too small (512 bytes always suffice).
///
/// Send it on the connection that could not be served, then close that
/// connection.
///
/// ```
/// let mut buffer = [0u8; 512];
/// let len = urest_http::write_no_free_slot(&mut buffer, 2).unwrap();
/// let response = core::str::from_utf8(&buffer[..len]).unwrap();
/// assert!(response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
/// assert!(response.contains("\r\nRetry-After: 2\r\n"));
/// assert!(response.contains("\r\nConnection: close\r\n"));
/// assert!(response.ends_with("}"));
/// ```
pub fn write_no_free_slot(buffer: &mut [u8], retry_after_secs: u32) -> Option<usize> {
    write_unavailable(buffer, retry_after_secs, "every connection slot is busy")
}

/// Writes a complete `503 Service Unavailable` response with `Retry-After`
/// and `Connection: close` into `buffer`, for a request cut short because
/// the server is stopping; returns its length, or `None` if `buffer` is too
/// small (512 bytes always suffice).
///
/// ```
/// let mut buffer = [0u8; 512];
/// let len = urest_http::write_stopping(&mut buffer, 1).unwrap();
/// let response = core::str::from_utf8(&buffer[..len]).unwrap();
/// assert!(response.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
/// assert!(response.contains("\r\nRetry-After: 1\r\n"));
/// assert!(response.contains("stopping"));
/// ```
pub fn write_stopping(buffer: &mut [u8], retry_after_secs: u32) -> Option<usize> {
    write_unavailable(buffer, retry_after_secs, "the server is stopping")
}

/// A closing `503` with `Retry-After` (at least a second) whose detail is
/// `why` and when to come back.
fn write_unavailable(buffer: &mut [u8], retry_after_secs: u32, why: &str) -> Option<usize> {
    let seconds = retry_after_secs.max(1);
    let problem = problem!(503, why, "; try again in ", &seconds, " s")
        .retry_after(Duration::from_secs(u64::from(seconds)))
        .closing();
    compose(
        &Reply::Problem(problem),
        &[],
        buffer,
        Persistence::Close,
        false,
    )
    .ok()
    .map(|composed| {
        // The head and body lie together; the caller wants them first.
        buffer.copy_within(composed.sent.clone(), 0);
        composed.sent.len()
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    #[test]
    fn waits_are_whole_seconds_rounded_up_and_at_least_one() {
        let max = u64::from(u32::MAX);
        for (secs, nanos, seconds) in [
            (0, 0, 1),
            (0, 1, 1),
            (1, 0, 1),
            (1, 1, 2),
            (max - 1, 0, u32::MAX - 1),
            (max - 1, 1, u32::MAX),
            (max, 0, u32::MAX),
            (max, 1, u32::MAX),
            (u64::MAX, 999_999_999, u32::MAX),
        ] {
            assert_eq!(whole_seconds_up(Duration::new(secs, nanos)), seconds);
        }
    }

    #[test]
    fn each_status_has_its_own_reason() {
        assert_eq!(reason(100), "Continue");
        assert_eq!(reason(200), "OK");
        assert_eq!(reason(405), "Method Not Allowed");
        assert_eq!(reason(431), "Request Header Fields Too Large");
        assert_eq!(reason(503), "Service Unavailable");
        assert_eq!(reason(599), "Unknown");
        assert_eq!(STATUSES.len(), REASONS.lines().count());
    }

    #[test]
    fn core_errors_read_as_their_display() {
        let errors = [
            Error::Busy {
                retry_after: Duration::from_micros(1_500_900),
            },
            Error::QueueFull {
                retry_after: Duration::from_secs(20),
            },
            Error::Conflict,
            Error::NotSupported,
            Error::Hardware,
        ];
        for error in errors {
            let mut detail = Detail::new();
            error.add_to(&mut detail);
            assert_eq!(detail.as_str(), error.to_string());
        }
    }

    #[test]
    fn decoding_errors_read_as_their_display() {
        use serde_json_core::de::Error as Json;
        let kinds = [
            Kind::Int { min: -3, max: 7 },
            Kind::Str { max_len: 8 },
            Kind::Bool,
            Kind::Decimal {
                scale: 1,
                min: 50,
                max: 300,
            },
            Kind::Decimal {
                scale: 2,
                min: -5,
                max: 5,
            },
        ];
        let mut problems = std::vec![
            AttributeProblem::Unknown,
            AttributeProblem::ReadOnly,
            AttributeProblem::OutOfRange {
                min: i64::MIN,
                max: i64::MAX
            },
            AttributeProblem::TooLong { max_len: 12 },
            AttributeProblem::Duplicate,
            AttributeProblem::Missing,
        ];
        for kind in kinds {
            problems.push(AttributeProblem::WrongType(kind));
            problems.push(AttributeProblem::NotAccepted(kind));
        }
        let mut errors: std::vec::Vec<Error> = problems
            .into_iter()
            .map(|problem| Error::Attribute(AttributeError::new("led", problem)))
            .collect();
        for json in [
            Json::EofWhileParsingList,
            Json::EofWhileParsingObject,
            Json::EofWhileParsingString,
            Json::EofWhileParsingValue,
            Json::ExpectedColon,
            Json::ExpectedListCommaOrEnd,
            Json::ExpectedObjectCommaOrEnd,
            Json::ExpectedSomeIdent,
            Json::ExpectedSomeValue,
            Json::InvalidNumber,
            Json::InvalidType,
            Json::InvalidUnicodeCodePoint,
            Json::KeyMustBeAString,
            Json::TrailingCharacters,
            Json::TrailingComma,
            Json::CustomError,
            Json::AnyIsUnsupported,
            Json::EscapedStringIsTooLong,
        ] {
            errors.push(Error::Malformed(json));
        }
        for error in errors {
            let mut detail = Detail::new();
            error.add_to(&mut detail);
            assert_eq!(detail.as_str(), error.to_string());
        }
    }

    #[test]
    fn timeouts_read_in_seconds_or_milliseconds() {
        for (timeout, expected) in [
            (Duration::from_secs(30), "30 s"),
            (Duration::from_millis(500), "500 ms"),
            (Duration::from_micros(1_500_001), "1501 ms"),
        ] {
            let mut detail = Detail::new();
            Timeout(timeout).add_to(&mut detail);
            assert_eq!(detail.as_str(), expected);
        }
    }

    #[test]
    fn head_errors_read_as_their_display() {
        use httparse::Error::*;
        for error in [
            HeaderName,
            HeaderValue,
            NewLine,
            Status,
            Token,
            TooManyHeaders,
            Version,
        ] {
            let mut detail = Detail::new();
            error.add_to(&mut detail);
            assert_eq!(detail.as_str(), error.to_string());
        }
    }

    #[test]
    fn locations_percent_encode_what_a_segment_cannot_hold() {
        let head = ResponseHead {
            status: 202,
            content_type: None,
            content_length: 0,
            allow: None,
            extra: Extra::Located {
                etag: 1,
                noun: "hall lamp/é",
                ticket: 7,
            },
            connection: Persistence::KeepAlive,
            access: AccessHeaders::default(),
        };
        let mut out = [0u8; 256];
        let len = head.write(&mut out).unwrap();
        let text = core::str::from_utf8(&out[..len]).unwrap();
        assert!(
            text.contains("\r\nLocation: /hall%20lamp%2F%C3%A9/changes/7\r\n"),
            "{text}"
        );
        assert!(
            text.contains("\r\nETag: \"0000000000000001\"\r\n"),
            "{text}"
        );
        assert_eq!(head.measure(), Ok(len));
    }

    #[test]
    fn numbers_are_put_as_their_digits() {
        let mut power = 1u64;
        for _ in 0..20 {
            for number in [power - 1, power, power + 1, u64::MAX] {
                let digits = number.to_string();
                let mut out = [0u8; 24];
                let mut sink = Sink {
                    out: &mut out,
                    len: 1,
                    counting: false,
                    overflow: false,
                };
                sink.put_decimal(number);
                let len = sink.finish().unwrap();
                assert_eq!(&out[1..len], digits.as_bytes());
                let mut counter = Sink {
                    out: &mut [],
                    len: 0,
                    counting: true,
                    overflow: false,
                };
                counter.put_decimal(number);
                assert_eq!(counter.finish(), Ok(len - 1));
                // One byte short of room overflows.
                let mut short = [0u8; 24];
                let mut sink = Sink {
                    out: &mut short[..len - 1],
                    len: 1,
                    counting: false,
                    overflow: false,
                };
                sink.put_decimal(number);
                assert!(sink.finish().is_err());
            }
            power = power.saturating_mul(10);
        }
    }

    #[test]
    fn details_are_cut_to_fit() {
        let long = "x".repeat(DETAIL_LEN + 10);
        let problem = problem!(400, "a ", &7u32, " ", long.as_str());
        assert_eq!(problem.detail.len(), DETAIL_LEN);
        assert!(problem.detail.starts_with("a 7 xx"));
    }
}
