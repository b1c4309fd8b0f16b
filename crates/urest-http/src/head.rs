//! Reading a request head: where it ends and how its body is framed.
//!
//! The head is read once, as its bytes arrive: what the server needs from
//! it (the framing of the body, the method, where the target lies) is kept
//! as plain values and offsets into the request buffer, so no borrow of the
//! buffer is held across the reads that fill it. Only an observer or access
//! rules, when set, have the head read again, by the same parser, for the
//! list of its headers.

use httparse::Header;

use crate::byte_class::ByteClass;

/// The most headers a request may carry; more is answered `431`.
pub(crate) const MAX_HEADERS: usize = 32;

/// The request methods the API knows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
    Options,
    /// Any other token, which no resource allows.
    Other,
}

impl Method {
    /// Methods are case-sensitive (RFC 9110 §9.1), so `get` is not `GET`.
    pub(crate) fn parse(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"PUT" => Method::Put,
            b"POST" => Method::Post,
            b"DELETE" => Method::Delete,
            b"OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// How the request says its body is delimited.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Length {
    /// No `Content-Length` and no `Transfer-Encoding`: no body.
    #[default]
    Absent,
    /// `Content-Length` with this value.
    Exactly(usize),
    /// A `Transfer-Encoding`, which this server does not decode.
    Encoded,
    /// A `Content-Length` that is not one decimal number.
    Invalid,
}

/// What the request's `Content-Type` says the body is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum ContentType {
    #[default]
    Absent,
    Json,
    Other,
}

/// What the server needs to know about a request before reading its body.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Framing {
    /// Bytes of the head, including the blank line that ends it.
    pub head_len: usize,
    pub method: Method,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub length: Length,
    /// Whether the connection may carry another request after this one.
    pub keep_alive: bool,
    /// `Expect: 100-continue`: the client waits for a go-ahead before the body.
    pub expects_continue: bool,
    pub content_type: ContentType,
    /// Where the method, as sent, lies in the head.
    pub method_at: Span,
    /// Where the request target, as sent, lies in the head.
    pub target_at: Span,
    /// The value of the first `If-Match` header, if any.
    pub if_match: Option<Span>,
    /// The value of the first `If-None-Match` header, if any.
    pub if_none_match: Option<Span>,
    /// The value of the first `Lock-Token` header, if any.
    pub lock_token: Option<Span>,
    /// The value of the first `Idempotency-Key` header, if any.
    pub idempotency_key: Option<Span>,
    /// The seconds of the first `wait` preference (RFC 7240) in any
    /// `Prefer` header, if one was sent.
    pub prefer_wait: Option<u32>,
}

impl Framing {
    /// The bytes of the whole request: its head and the body its
    /// `Content-Length` announces (saturating; a body that cannot be
    /// framed has none to read).
    pub(crate) fn len_with_body(&self) -> usize {
        match self.length {
            Length::Exactly(len) => self.head_len.saturating_add(len),
            _ => self.head_len,
        }
    }
}

/// Where some text lies in the request buffer.
///
/// In 32 bits, whatever the chip: a head's description is moved several
/// times on its way from the parser to the answer (it is kept in the
/// serving future across awaits), and with six spans of two `usize` each
/// it was too large to move without a call to `memcpy`. [`examine`] reads
/// no further than [`HEAD_LIMIT`] bytes, so every span it gives is exact.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

/// The most bytes of a request buffer that [`examine`] reads: a head must
/// end within them (more than any buffer a microcontroller has).
const HEAD_LIMIT: usize = u32::MAX as usize;

impl Span {
    /// The bytes from `start` up to `end`, offsets into a head (which
    /// [`examine`] keeps within [`HEAD_LIMIT`], so they fit); an offset
    /// beyond the limit, which no head reaches, saturates to it.
    fn between(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    fn start(self) -> usize {
        self.start as usize
    }

    fn end(self) -> usize {
        self.end as usize
    }

    /// The bytes in `bytes` (the head it was taken from).
    pub(crate) fn bytes(self, bytes: &[u8]) -> &[u8] {
        bytes.get(self.start()..self.end()).unwrap_or_default()
    }

    /// The text in `bytes` (the head it was taken from); empty if it is not
    /// there.
    pub(crate) fn text(self, bytes: &[u8]) -> &str {
        core::str::from_utf8(self.bytes(bytes)).unwrap_or("")
    }
}

/// The state of the bytes received so far.
#[derive(Debug)]
pub(crate) enum Examined {
    Complete(Framing),
    /// The head has not ended yet.
    Partial,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// Not an HTTP/1.x request head.
    Invalid(httparse::Error),
}

/// Look at the start of `received` for a complete request head.
///
/// The head is read by the grammar `httparse` applies to requests (whose
/// `Header` type the observer sees): empty lines before the request line
/// are skipped; the method is a token; the target
/// is visible ASCII or UTF-8 text; the version is `HTTP/1.0` or `HTTP/1.1`;
/// lines end with CRLF or a bare LF; header names are tokens followed at
/// once by a colon; values hold tabs, visible characters and non-ASCII
/// bytes. Bytes that break the grammar are refused as soon as they arrive.
pub(crate) fn examine(received: &[u8]) -> Examined {
    let received = received.get(..HEAD_LIMIT).unwrap_or(received);
    let mut fields = Fields::default();
    match read_head(received, Fields::may_take, |name, value, span| {
        fields.take(name, value, span);
    }) {
        Ok(Some(line)) => Examined::Complete(fields.framing(line)),
        Ok(None) => Examined::Partial,
        Err(httparse::Error::TooManyHeaders) => Examined::TooManyHeaders,
        Err(error) => Examined::Invalid(error),
    }
}

/// A whole head, parsed again with its headers, for an observer or access
/// rules.
pub(crate) struct Parsed<'r> {
    pub method: &'r str,
    pub target: &'r str,
    pub minor_version: u8,
    pub headers: &'r [Header<'r>],
}

/// Parse a whole `head` again, keeping its first [`MAX_HEADERS`] headers
/// in `storage`.
pub(crate) fn parse_with_headers<'r>(
    head: &'r [u8],
    storage: &'r mut [Header<'r>; MAX_HEADERS],
) -> Option<Parsed<'r>> {
    let mut count = 0;
    let line = read_head(
        head,
        |_| true,
        |name, value, _| {
            if let Some(slot) = storage.get_mut(count) {
                // Names are tokens, so ASCII.
                let name = core::str::from_utf8(name).unwrap_or("");
                *slot = Header { name, value };
                count += 1;
            }
        },
    );
    let line = line.ok()??;
    Some(Parsed {
        method: line.method_at.text(head),
        target: line.target_at.text(head),
        minor_version: line.minor_version,
        headers: storage.get(..count).unwrap_or_default(),
    })
}

/// `Ok(None)`: the head has not ended yet.
type Reading<T> = Result<Option<T>, httparse::Error>;

/// Where the request line's parts lie, and the head's length.
struct Line {
    head_len: usize,
    method: Method,
    method_at: Span,
    target_at: Span,
    minor_version: u8,
}

/// Where the request line's parts lie, and where the headers start.
struct RequestLine {
    method: Method,
    method_at: Span,
    target_at: Span,
    minor_version: u8,
    headers_at: usize,
}

/// Read the request line at the start of `received` (after any empty
/// lines). Out of line, apart from the header loop: each is compiled with
/// the registers to itself.
#[inline(never)]
fn read_request_line(received: &[u8]) -> Reading<RequestLine> {
    use httparse::Error;
    let byte = |at: usize| received.get(at).copied();
    let mut at = 0;
    // Empty lines before the request line are ignored (RFC 9112 §2.2).
    loop {
        at = match (byte(at), byte(at + 1)) {
            (Some(b'\n'), _) => at + 1,
            (Some(b'\r'), Some(b'\n')) => at + 2,
            (None, _) | (Some(b'\r'), None) => return Ok(None),
            (Some(b'\r'), _) => return Err(Error::NewLine),
            _ => break,
        };
    }
    let method_start = at;
    // The commonest methods by one comparison rather than a byte at a
    // time; what follows them is checked below as for any other.
    let (known, method_end) = match received.get(at..at + 4) {
        Some(b"GET ") => (Some(Method::Get), at + 3),
        Some(b"PUT ") => (Some(Method::Put), at + 3),
        _ => (None, token_end(received, at)),
    };
    let target_start = word_end(received, method_start, method_end)?;
    let Some(target_start) = target_start else {
        return Ok(None);
    };
    let (target_end, target_is_ascii) = target_end(received, target_start);
    let version_start = word_end(received, target_start, target_end)?;
    let Some(version_start) = version_start else {
        return Ok(None);
    };
    if let Some(target) = received.get(target_start..target_end) {
        // Most targets are short and ASCII: a byte loop, not a call.
        if !target_is_ascii && core::str::from_utf8(target).is_err() {
            return Err(Error::Token);
        }
    }
    // The version as one word: two comparisons instead of eight of bytes.
    let version = received
        .get(version_start..version_start + 8)
        .and_then(|version| <[u8; 8]>::try_from(version).ok())
        .map(u64::from_le_bytes);
    let minor_version = match version {
        Some(word) if word == u64::from_le_bytes(*b"HTTP/1.0") => 0,
        Some(word) if word == u64::from_le_bytes(*b"HTTP/1.1") => 1,
        Some(_) => return Err(Error::Version),
        None => {
            let rest = received.get(version_start..).unwrap_or_default();
            if b"HTTP/1.".starts_with(rest.get(..7).unwrap_or(rest)) {
                return Ok(None);
            }
            return Err(Error::Version);
        }
    };
    at = version_start + 8;
    at = match (byte(at), byte(at + 1)) {
        (Some(b'\n'), _) => at + 1,
        (Some(b'\r'), Some(b'\n')) => at + 2,
        (None, _) | (Some(b'\r'), None) => return Ok(None),
        _ => return Err(Error::NewLine),
    };
    Ok(Some(RequestLine {
        method: known.unwrap_or_else(|| {
            Method::parse(received.get(method_start..method_end).unwrap_or_default())
        }),
        method_at: Span::between(method_start, method_end),
        target_at: Span::between(target_start, target_end),
        minor_version,
        headers_at: at,
    }))
}

/// Read the head at the start of `received`, handing each header (name,
/// value and where the value lies) that `wanted` picks by its name to
/// `header` as it is read. `wanted` is asked inline for every header,
/// `header` only for those it picks: most of a request's headers then
/// cost no call.
///
/// The head is read by offsets into `received`, each byte looked at once,
/// so that the loop over headers keeps a few numbers rather than slices;
/// a line that does not start with a name is looked at again only then,
/// for the blank line that ends the head.
fn read_head<'r>(
    received: &'r [u8],
    wanted: impl Fn(&[u8]) -> bool,
    mut header: impl FnMut(&'r [u8], &'r [u8], Span),
) -> Reading<Line> {
    use httparse::Error;
    let byte = |at: usize| received.get(at).copied();
    let Some(RequestLine {
        method,
        method_at,
        target_at,
        minor_version,
        headers_at,
    }) = read_request_line(received)?
    else {
        return Ok(None);
    };
    let mut at = headers_at;
    let mut count = 0;
    loop {
        let name_end = name_end(received, at);
        match byte(name_end) {
            Some(b':') if name_end > at => {}
            None => return Ok(None),
            Some(b'\r' | b'\n') if name_end == at => {
                let head_len = match (byte(at), byte(at + 1)) {
                    (Some(b'\n'), _) => at + 1,
                    (Some(b'\r'), Some(b'\n')) => at + 2,
                    (Some(b'\r'), None) => return Ok(None),
                    _ => return Err(Error::NewLine),
                };
                return Ok(Some(Line {
                    head_len,
                    method,
                    method_at,
                    target_at,
                    minor_version,
                }));
            }
            Some(_) => return Err(Error::HeaderName),
        }
        let mut value_start = name_end + 1;
        while let Some(b' ' | b'\t') = byte(value_start) {
            value_start += 1;
        }
        let value_end = visible_end(received, value_start, b' ', ByteClass::VALUE);
        let next = match (byte(value_end), byte(value_end + 1)) {
            (Some(b'\n'), _) => value_end + 1,
            (Some(b'\r'), Some(b'\n')) => value_end + 2,
            (None, _) | (Some(b'\r'), None) => return Ok(None),
            _ => return Err(Error::HeaderValue),
        };
        count += 1;
        if count > MAX_HEADERS {
            return Err(Error::TooManyHeaders);
        }
        let name = received.get(at..name_end).unwrap_or_default();
        if wanted(name) {
            let value = received.get(value_start..value_end).unwrap_or_default();
            let value = value.trim_ascii_end();
            let span = Span::between(value_start, value_start + value.len());
            header(name, value, span);
        }
        at = next;
    }
}

/// After the method or target (`start..end` in `received`): one space
/// must follow a non-empty word; where what comes after it starts.
fn word_end(received: &[u8], start: usize, end: usize) -> Reading<usize> {
    match received.get(end) {
        None => Ok(None),
        Some(b' ') if end > start => Ok(Some(end + 1)),
        _ => Err(httparse::Error::Token),
    }
}

/// Where the run of bytes that `accepted` takes, from `start` in `bytes`,
/// ends.
fn run_end(bytes: &[u8], start: usize, accepted: ByteClass) -> usize {
    let mut at = start;
    while let Some(&byte) = bytes.get(at) {
        if !accepted.holds(byte) {
            break;
        }
        at += 1;
    }
    at
}

/// [`run_end`] over tokens, for methods.
fn token_end(bytes: &[u8], start: usize) -> usize {
    run_end(bytes, start, ByteClass::TOKEN)
}

/// [`run_end`] over tokens, for header names: a machine word at a time
/// while its bytes are all letters or `-` (the whole of most names but the
/// last few bytes), then byte by byte from the first that is not.
/// A word is what the chip adds in one instruction: 4 bytes on a
/// Cortex-M, 8 on a 64-bit host. Inline: the header loop scans a name per
/// header, and a call costs as much as a short name's scan.
#[inline(always)]
fn name_end(bytes: &[u8], start: usize) -> usize {
    const WIDTH: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::MAX / 0xff;
    const HIGH: usize = ONES * 0x80;
    const LOW: usize = !HIGH;
    let mut at = start;
    while let Some(chunk) = bytes
        .get(at..at + WIDTH)
        .and_then(|chunk| <[u8; WIDTH]>::try_from(chunk).ok())
    {
        // Little-endian whatever the chip: the first byte is the lowest.
        let word = usize::from_le_bytes(chunk);
        // Each byte's low seven bits with bit 5 set (capitals lowered);
        // adding to seven bits never carries into the next byte, so each
        // byte's high bit below answers for that byte alone.
        let lowered = (word | (ONES * 0x20)) & LOW;
        let from_a = lowered + ONES * (0x80 - usize::from(b'a'));
        let past_z = lowered + ONES * (0x80 - usize::from(b'z') - 1);
        // Letters are ASCII: a byte with its high bit set is none.
        let letter = from_a & !past_z & !word;
        let dash = word ^ (ONES * usize::from(b'-'));
        // High bit clear exactly where `dash` is zero, i.e. the byte is `-`.
        let not_dash = ((dash & LOW) + LOW) | dash;
        let stops = !(letter | !not_dash) & HIGH;
        if stops != 0 {
            at += (stops.trailing_zeros() / 8) as usize;
            // Most names stop at their colon, which no token holds.
            if bytes.get(at) == Some(&b':') {
                return at;
            }
            break;
        }
        at += WIDTH;
    }
    run_end(bytes, at, ByteClass::TOKEN)
}

/// [`run_end`] for a class that takes every byte from `least` up but DEL
/// (and perhaps a few more): eight bytes at a time up to the first that is
/// below `least` or DEL, then byte by byte from there. Inline: it runs for
/// the target and every header value, and a call cost as much as a short
/// value's scan.
#[inline(always)]
fn visible_end(bytes: &[u8], start: usize, least: u8, accepted: ByteClass) -> usize {
    let mut at = start;
    while let Some(chunk) = bytes
        .get(at..at + 8)
        .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
    {
        // Little-endian whatever the chip: the first byte is the lowest.
        let stops = stops_in(u64::from_le_bytes(chunk), least);
        if stops != 0 {
            at += (stops.trailing_zeros() / 8) as usize;
            break;
        }
        at += 8;
    }
    run_end(bytes, at, accepted)
}

/// [`visible_end`] for a request target ([`ByteClass::TARGET`]);
/// and whether the target is all ASCII, noted on the way (its bytes need
/// checking as UTF-8 only if not).
fn target_end(bytes: &[u8], start: usize) -> (usize, bool) {
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let mut high = 0;
    let mut at = start;
    while let Some(chunk) = bytes
        .get(at..at + 8)
        .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
    {
        let word = u64::from_le_bytes(chunk);
        let stops = stops_in(word, b'!');
        if stops != 0 {
            // Only the bytes before the first stop are the target's: the
            // bits below the lowest mark.
            let before = (stops & stops.wrapping_neg()) - 1;
            high |= word & before;
            at += (stops.trailing_zeros() / 8) as usize;
            break;
        }
        high |= word;
        at += 8;
    }
    let mut ascii = high & HIGH == 0;
    while let Some(&byte) = bytes.get(at) {
        if !ByteClass::TARGET.holds(byte) {
            break;
        }
        ascii &= byte.is_ascii();
        at += 1;
    }
    (at, ascii)
}

/// The high bit of each byte of `word` (eight bytes, the first the lowest)
/// that is below `least` (at most 0x80) or is DEL, as far as the first such
/// byte: bytes of 0x80 and up are never marked. A borrow can mark bytes
/// above a marked one too, never below it, so the lowest mark is the first
/// such byte; every byte before it is one the caller's class takes.
#[inline(always)]
fn stops_in(word: u64, least: u8) -> u64 {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below = word.wrapping_sub(ONES * u64::from(least)) & !word;
    let del = word ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del;
    (below | is_del) & HIGH
}

/// The headers the server reads.
#[derive(Copy, Clone)]
enum Field {
    ContentLength,
    ContentType,
    TransferEncoding,
    Connection,
    Expect,
    LockToken,
    IdempotencyKey,
    Prefer,
    IfMatch,
    IfNoneMatch,
}

/// What the headers the server reads say, gathered as they are read.
#[derive(Default)]
struct Fields {
    length: Length,
    /// A `Transfer-Encoding`, which wins over any `Content-Length`.
    encoded: bool,
    /// `Connection: close`.
    close: bool,
    /// `Connection: keep-alive` (HTTP/1.0 must ask; RFC 9112 §9.3).
    keep_alive: bool,
    /// `Expect: 100-continue` (which HTTP/1.0 cannot send).
    expects_continue: bool,
    content_type: ContentType,
    /// The first `If-Match` value.
    if_match: Option<Span>,
    /// The first `If-None-Match` value.
    if_none_match: Option<Span>,
    /// The first `Lock-Token` value.
    lock_token: Option<Span>,
    /// The first `Idempotency-Key` value.
    idempotency_key: Option<Span>,
    /// The first `wait` preference.
    prefer_wait: Option<u32>,
}

/// The names [`Fields::take`] reads, each as one bit of a word: the bit
/// [`name_bit`] picks for it.
const TAKEN_NAMES: u32 = {
    let names: [&[u8]; 10] = [
        b"content-length",
        b"content-type",
        b"transfer-encoding",
        b"connection",
        b"expect",
        b"lock-token",
        b"idempotency-key",
        b"prefer",
        b"if-match",
        b"if-none-match",
    ];
    let mut bits = 0;
    let mut index = 0;
    while index < names.len() {
        let name = names[index];
        bits |= name_bit(name.len(), name[0]);
        index += 1;
    }
    bits
};

/// One of 32 bits for a header name of `len` bytes starting with `first`,
/// whatever its case. Names that [`Fields::take`] ignores may share a bit
/// with one it reads; they then only cost it a look. In 32 bits: a shift
/// of 64 is a call on a Cortex-M0, and no common name (`Host`,
/// `User-Agent`, `Accept`, `Accept-Encoding`, `Cache-Control`…) shares a
/// bit with a name read even so.
const fn name_bit(len: usize, first: u8) -> u32 {
    1 << ((len + (first | 0x20) as usize) % 32)
}

impl Fields {
    /// Whether [`take`](Self::take) may read the header `name`: false for
    /// most of the headers a request carries (`Host`, `User-Agent`,
    /// `Accept`…), told by its length and first letter with one look at a
    /// word of bits, so that they cost no call. Inline: it runs for every
    /// header.
    #[inline(always)]
    fn may_take(name: &[u8]) -> bool {
        let Some(&first) = name.first() else {
            return false;
        };
        TAKEN_NAMES & name_bit(name.len(), first) != 0
    }

    /// Take one header into account: `value` lies at `span` in the head.
    ///
    /// Names are told apart by their length and first letter, then the one
    /// name they may be is compared whole, so a header the server ignores
    /// costs at most one comparison. `value` comes trimmed:
    /// the parser skips the spaces and tabs before it and leaves out those
    /// after it, and it holds no other white space (no CR, LF or form feed).
    ///
    /// Out of line, so that the header loop keeps only the look at
    /// [`may_take`](Self::may_take) and calls this for the few headers
    /// that pass it.
    #[inline(never)]
    fn take(&mut self, name: &[u8], value: &[u8], span: Span) {
        let Some(&first) = name.first() else {
            return;
        };
        // Setting bit 5 lowers an ASCII capital; any other byte it maps
        // onto a letter is still compared whole below, once, whichever
        // name it may be. The framing headers come with most requests:
        // their names are compared inline, each by the words of its own
        // name. The others are rarer and share one comparison out of line
        // (a copy per name took 600 bytes more on a Cortex-M0+).
        let (expected, field): (&[u8], Field) = match (name.len(), first | 0x20) {
            (14, b'c') if is_name(name, b"content-length") => {
                return self.take_known(Field::ContentLength, value, span);
            }
            (12, b'c') if is_name(name, b"content-type") => {
                return self.take_known(Field::ContentType, value, span);
            }
            (17, b't') => (b"transfer-encoding", Field::TransferEncoding),
            (10, b'c') => (b"connection", Field::Connection),
            (6, b'e') => (b"expect", Field::Expect),
            (10, b'l') => (b"lock-token", Field::LockToken),
            (15, b'i') => (b"idempotency-key", Field::IdempotencyKey),
            (6, b'p') => (b"prefer", Field::Prefer),
            (8, b'i') => (b"if-match", Field::IfMatch),
            (13, b'i') => (b"if-none-match", Field::IfNoneMatch),
            _ => return,
        };
        if is_rarer_name(name, expected) {
            self.take_known(field, value, span);
        }
    }

    /// [`take`](Self::take) for a header whose name is `field`'s. Inline:
    /// a framing header's call keeps only its own field's code.
    #[inline(always)]
    fn take_known(&mut self, field: Field, value: &[u8], span: Span) {
        match field {
            Field::ContentLength => {
                let Some(parsed) = parse_decimal(value) else {
                    self.length = Length::Invalid;
                    return;
                };
                // Repeated headers must agree, or the body's end is ambiguous.
                self.length = match self.length {
                    Length::Absent => Length::Exactly(parsed),
                    Length::Exactly(earlier) if earlier == parsed => Length::Exactly(parsed),
                    _ => Length::Invalid,
                };
            }
            // The first Content-Type counts.
            Field::ContentType if self.content_type == ContentType::Absent => {
                // Parameters such as `; charset=utf-8` do not change the media
                // type. Most values are the media type alone: that is looked
                // at first, without splitting or trimming.
                let json = b"application/json";
                let media_type = || {
                    value
                        .split(|&byte| byte == b';')
                        .next()
                        .unwrap_or_default()
                        .trim_ascii()
                };
                // A value shorter than the media type cannot hold it.
                self.content_type = if value.eq_ignore_ascii_case(json)
                    || (value.len() > json.len() && media_type().eq_ignore_ascii_case(json))
                {
                    ContentType::Json
                } else {
                    ContentType::Other
                };
            }
            Field::TransferEncoding => self.encoded = true,
            Field::Connection => {
                for token in value.split(|&byte| byte == b',') {
                    let token = token.trim_ascii();
                    self.close |= token.eq_ignore_ascii_case(b"close");
                    self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            Field::Expect => {
                self.expects_continue |= value.eq_ignore_ascii_case(b"100-continue");
            }
            // The headers that coordinate clients: the first of each counts.
            Field::LockToken if self.lock_token.is_none() => self.lock_token = Some(span),
            Field::IdempotencyKey if self.idempotency_key.is_none() => {
                self.idempotency_key = Some(span);
            }
            Field::Prefer if self.prefer_wait.is_none() => {
                self.prefer_wait = wait_preference(value);
            }
            Field::IfMatch if self.if_match.is_none() => self.if_match = Some(span),
            Field::IfNoneMatch if self.if_none_match.is_none() => {
                self.if_none_match = Some(span);
            }
            _ => {}
        }
    }

    fn framing(&self, line: Line) -> Framing {
        let minor_version = line.minor_version;
        Framing {
            head_len: line.head_len,
            method: line.method,
            minor_version,
            length: if self.encoded {
                Length::Encoded
            } else {
                self.length
            },
            keep_alive: !self.close && (minor_version >= 1 || self.keep_alive),
            expects_continue: minor_version >= 1 && self.expects_continue,
            content_type: self.content_type,
            method_at: line.method_at,
            target_at: line.target_at,
            if_match: self.if_match,
            if_none_match: self.if_none_match,
            lock_token: self.lock_token,
            idempotency_key: self.idempotency_key,
            prefer_wait: self.prefer_wait,
        }
    }
}

/// Whether the header `name` (a token, as the parser has checked) is
/// `lower`, a name of letters and dashes written in lower case, ignoring
/// case.
///
/// Compared eight bytes at a time: setting bit 5 of every byte lowers a
/// capital letter, and among token bytes only a letter's two cases land on
/// a lower-case letter and only `-` lands on `-` (CR, its other source, is
/// no token byte), so the words are equal exactly when the names are.
// Inline: a framing header's name is compared by words of its own.
#[inline(always)]
fn is_name(name: &[u8], lower: &[u8]) -> bool {
    const LOWER: u64 = u64::from_le_bytes([0x20; 8]);
    if name.len() != lower.len() {
        return false;
    }
    let word = |bytes: &[u8], at: usize| {
        let mut chunk = [0; 8];
        if let Some(part) = bytes.get(at..at + 8) {
            chunk.copy_from_slice(part);
        }
        u64::from_le_bytes(chunk)
    };
    let len = name.len();
    if len < 8 {
        return name
            .iter()
            .zip(lower)
            .all(|(&byte, &wanted)| byte | 0x20 == wanted);
    }
    // Whole words from the start, then the last eight bytes (overlapping
    // the word before them) for the rest.
    let mut at = 0;
    while at + 8 < len {
        if word(name, at) | LOWER != word(lower, at) {
            return false;
        }
        at += 8;
    }
    word(name, len - 8) | LOWER == word(lower, len - 8)
}

/// [`is_name`] out of line, for the names of the headers a request
/// rarely carries: a byte at a time, as `is_name` compares short names,
/// which on a Cortex-M0 is a tenth of the code of its words.
#[inline(never)]
fn is_rarer_name(name: &[u8], lower: &[u8]) -> bool {
    name.len() == lower.len()
        && name
            .iter()
            .zip(lower)
            .all(|(&byte, &wanted)| byte | 0x20 == wanted)
}

/// The seconds of the `wait` preference in one `Prefer` value (RFC 7240
/// §2: preferences separated by commas, each `token [= value]` with
/// parameters after `;`). A value that is no whole number of seconds is
/// ignored, as a preference the server does not understand; a huge one is
/// kept as `u32::MAX` (the server caps it anyway).
fn wait_preference(value: &[u8]) -> Option<u32> {
    value.split(|&byte| byte == b',').find_map(|preference| {
        let preference = preference.split(|&byte| byte == b';').next()?;
        let mut parts = preference.splitn(2, |&byte| byte == b'=');
        let name = parts.next()?.trim_ascii();
        if !name.eq_ignore_ascii_case(b"wait") {
            return None;
        }
        let seconds = parts.next()?.trim_ascii();
        let seconds = seconds
            .strip_prefix(b"\"")
            .and_then(|quoted| quoted.strip_suffix(b"\""))
            .unwrap_or(seconds);
        if seconds.is_empty() {
            return None;
        }
        // Saturating: a prefix of the digits is never more than the
        // whole, so only a value past `u32::MAX` reaches it.
        seconds.iter().try_fold(0u32, |total, &byte| {
            let digit = char::from(byte).to_digit(10)?;
            Some(total.saturating_mul(10).saturating_add(digit))
        })
    })
}

/// A non-empty run of ASCII digits that fits a `usize`; no sign, no spaces.
fn parse_decimal(text: &[u8]) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0usize, |total, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        total.checked_mul(10)?.checked_add(digit as usize)
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// What httparse makes of `bytes`, in the terms of [`Examined`].
    fn by_httparse(bytes: &[u8]) -> Result<Option<(usize, &str, &str, u8)>, httparse::Error> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(bytes)? {
            httparse::Status::Complete(len) => Ok(Some((
                len,
                request.method.unwrap_or(""),
                request.path.unwrap_or(""),
                request.version.unwrap_or(9),
            ))),
            httparse::Status::Partial => Ok(None),
        }
    }

    #[test]
    fn headers_are_kept_as_httparse_keeps_them() {
        for head in HEADS {
            let mut expected = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut request = httparse::Request::new(&mut expected);
            let Ok(httparse::Status::Complete(_)) = request.parse(head) else {
                continue;
            };
            let mut storage = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let parsed = parse_with_headers(head, &mut storage).expect("a whole head");
            assert_eq!(parsed.method, request.method.unwrap());
            assert_eq!(parsed.target, request.path.unwrap());
            assert_eq!(parsed.minor_version, request.version.unwrap());
            assert_eq!(parsed.headers, request.headers);
        }
    }

    fn by_examine(bytes: &[u8]) -> Result<Option<(usize, &str, &str, u8)>, httparse::Error> {
        match examine(bytes) {
            Examined::Complete(framing) => Ok(Some((
                framing.head_len,
                framing.method_at.text(bytes),
                framing.target_at.text(bytes),
                framing.minor_version,
            ))),
            Examined::Partial => Ok(None),
            Examined::TooManyHeaders => Err(httparse::Error::TooManyHeaders),
            Examined::Invalid(error) => Err(error),
        }
    }

    const HEADS: &[&[u8]] = &[
        b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: hey/0.0.1\r\nContent-Type: text/html\r\nAccept-Encoding: gzip\r\n\r\n",
        b"PUT /led HTTP/1.0\nContent-Length: 9\nContent-Type: application/json; charset=utf-8\n\n{\"led\":1}",
        b"\r\n\nOPTIONS * HTTP/1.1\r\nX:\r\nY: \t a b \t\r\n\r\n",
        b"GET /caf\xc3\xa9?q=1#f HTTP/1.1\r\nName: caf\xc3\xa9\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\n\r\n",
        b"GET  / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/2.0\r\n\r\n",
        b"GET / HTTP/1.1 \r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nName : x\r\n\r\n",
        b"GET / HTTP/1.1\r\n Folded: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nName: a\x7fb\r\n\r\n",
        b"GET / HTTP/1.1\r\nName: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\n:x\r\n\r\n",
        b"G\x01T / HTTP/1.1\r\n\r\n",
        b"\rGET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\r\n",
    ];

    #[test]
    fn heads_read_as_httparse_reads_them() {
        let mut many = std::vec::Vec::from(&b"GET / HTTP/1.1\r\n"[..]);
        for _ in 0..=MAX_HEADERS {
            many.extend_from_slice(b"A: b\r\n");
        }
        many.extend_from_slice(b"\r\n");
        let mut heads: std::vec::Vec<std::vec::Vec<u8>> =
            HEADS.iter().map(|head| head.to_vec()).collect();
        heads.push(many);
        for head in &heads {
            for len in 0..=head.len() {
                let prefix = &head[..len];
                assert_eq!(
                    by_examine(prefix),
                    by_httparse(prefix),
                    "{:?}",
                    std::string::String::from_utf8_lossy(prefix)
                );
            }
            // Every byte replaced by each kind of byte that matters.
            for at in 0..head.len() {
                for byte in [b'\r', b'\n', b' ', b'\t', b':', 0, 0x7f, 0xc3, b'a', b'/'] {
                    let mut changed = head.clone();
                    changed[at] = byte;
                    assert_eq!(
                        by_examine(&changed),
                        by_httparse(&changed),
                        "{:?}",
                        std::string::String::from_utf8_lossy(&changed)
                    );
                }
            }
        }
    }

    #[test]
    fn the_headers_the_server_needs_are_read() {
        let Examined::Complete(framing) = examine(
            b"PUT /led HTTP/1.1\r\ncontent-length: 9\r\nContent-Type: Application/JSON ; x=y\r\n\
              Expect: 100-continue\r\nConnection: foo, close\r\n\r\n",
        ) else {
            panic!("a complete head");
        };
        assert_eq!(framing.length, Length::Exactly(9));
        assert_eq!(framing.content_type, ContentType::Json);
        assert!(framing.expects_continue);
        assert!(!framing.keep_alive);
        let Examined::Complete(framing) = examine(
            b"POST /x HTTP/1.0\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\
              Connection: keep-alive\r\nExpect: 100-continue\r\n\r\n",
        ) else {
            panic!("a complete head");
        };
        assert_eq!(framing.length, Length::Encoded);
        assert!(framing.keep_alive);
        assert!(!framing.expects_continue);
        assert_eq!(framing.method, Method::Post);
        assert!(framing.if_match.is_none() && framing.if_none_match.is_none());
    }

    #[test]
    fn values_are_read_without_the_spaces_and_tabs_around_them() {
        let Examined::Complete(framing) = examine(
            b"PUT /led HTTP/1.1\r\nContent-Length: \t 9 \t\r\nContent-Type:\tapplication/JSON \r\n\
              Expect:  100-Continue\t\r\n\r\n",
        ) else {
            panic!("a complete head");
        };
        assert_eq!(framing.length, Length::Exactly(9));
        assert_eq!(framing.content_type, ContentType::Json);
        assert!(framing.expects_continue);
    }

    #[test]
    fn the_first_conditional_headers_are_kept_as_spans() {
        let head = b"GET /led HTTP/1.1\r\nIF-MATCH:  \"a\", \"b\"\r\nIf-None-Match: *\r\n\
              If-Match: \"later\"\r\n\r\n";
        let Examined::Complete(framing) = examine(head) else {
            panic!("a complete head");
        };
        let value = |span: Option<Span>| span.map(|span| span.text(head).trim());
        assert_eq!(value(framing.if_match), Some("\"a\", \"b\""));
        assert_eq!(value(framing.if_none_match), Some("*"));
    }

    #[test]
    fn the_coordinating_headers_are_kept() {
        let head = b"POST /led HTTP/1.1\r\nlock-token: <abc>\r\nIdempotency-Key: \"k-1\"\r\n\
              Prefer: respond-async, WAIT = 12 ; x\r\nPrefer: wait=3\r\n\r\n";
        let Examined::Complete(framing) = examine(head) else {
            panic!("a complete head");
        };
        let value = |span: Option<Span>| span.map(|span| span.text(head).trim());
        assert_eq!(value(framing.lock_token), Some("<abc>"));
        assert_eq!(value(framing.idempotency_key), Some("\"k-1\""));
        assert_eq!(framing.prefer_wait, Some(12));
    }

    #[test]
    fn names_compare_as_eq_ignore_ascii_case_does_on_tokens() {
        let tokens: std::vec::Vec<u8> = (0..=255u8)
            .filter(|&byte| ByteClass::TOKEN.holds(byte))
            .collect();
        // The word-wise comparison of the framing headers and the
        // byte-wise one of the rarer headers alike.
        for compare in [is_name, is_rarer_name] {
            for lower in [
                &b"expect"[..],
                b"if-match",
                b"content-type",
                b"idempotency-key",
                b"transfer-encoding",
            ] {
                assert!(compare(lower, lower));
                assert!(compare(&lower.to_ascii_uppercase(), lower));
                assert!(!compare(&lower[1..], lower));
                for at in 0..lower.len() {
                    for &byte in &tokens {
                        let mut name = lower.to_vec();
                        name[at] = byte;
                        assert_eq!(
                            compare(&name, lower),
                            name.eq_ignore_ascii_case(lower),
                            "{:?}",
                            std::string::String::from_utf8_lossy(&name)
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_headers_read_pass_the_first_look_and_common_others_do_not() {
        for name in [
            &b"Content-Length"[..],
            b"content-type",
            b"Transfer-Encoding",
            b"Connection",
            b"Expect",
            b"Lock-Token",
            b"Idempotency-Key",
            b"Prefer",
            b"If-Match",
            b"If-None-Match",
        ] {
            assert!(Fields::may_take(name), "{name:?}");
        }
        for name in [
            &b"Host"[..],
            b"User-Agent",
            b"Accept",
            b"Accept-Encoding",
            b"Accept-Language",
        ] {
            assert!(!Fields::may_take(name), "{name:?}");
        }
    }

    #[test]
    fn targets_end_as_the_table_says_and_know_whether_they_are_ascii() {
        let mut line = std::vec::Vec::from(&b"/caf\xc3\xa9/led0?a=1&b=2#frag HTTP/1.1\r\n"[..]);
        for at in 0..line.len() {
            for byte in [b' ', b'\r', 0x7f, 0x80, 0xc3, 0xff, b'a', 0] {
                let kept = line[at];
                line[at] = byte;
                for start in 0..=line.len() {
                    let end = visible_end(&line, start, b'!', ByteClass::TARGET);
                    let ascii = line[start..end].is_ascii();
                    assert_eq!(
                        target_end(&line, start),
                        (end, ascii),
                        "{line:?} from {start}"
                    );
                }
                line[at] = kept;
            }
        }
    }

    #[test]
    fn names_are_scanned_as_the_token_table_says() {
        let mut name = std::vec::Vec::from(&b"Accept-Encoding-Content-Length: x"[..]);
        for at in 0..name.len() {
            for byte in 0..=255u8 {
                let kept = name[at];
                name[at] = byte;
                for start in 0..=name.len() {
                    let bytes = &name[start..];
                    assert_eq!(name_end(bytes, 0), token_end(bytes, 0), "{bytes:?}");
                }
                name[at] = kept;
            }
        }
    }

    #[test]
    fn a_wait_preference_is_whole_seconds_or_ignored() {
        assert_eq!(wait_preference(b"wait=0"), Some(0));
        assert_eq!(wait_preference(b"wait=\"7\""), Some(7));
        assert_eq!(
            wait_preference(b"wait=99999999999999999999"),
            Some(u32::MAX)
        );
        assert_eq!(wait_preference(b"wait=1.5"), None);
        assert_eq!(wait_preference(b"wait=-1"), None);
        assert_eq!(wait_preference(b"wait"), None);
        assert_eq!(wait_preference(b"return=minimal"), None);
        assert_eq!(wait_preference(b"waiting=3, wait=4"), Some(4));
    }
}
