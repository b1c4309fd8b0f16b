//! Reading a request head: where it ends and how its body is framed.
//!
//! The head is parsed once, as soon as it is complete: what the server
//! needs from it (the framing of the body, the method, where the target
//! lies) is kept as plain values and offsets into the request buffer, so no
//! borrow of the buffer is held across the reads that fill it. Only an
//! observer or access rules, when set, have the head parsed again for its
//! headers.

use core::mem::MaybeUninit;

use httparse::{Header, Status};

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
    pub(crate) fn parse(token: &str) -> Method {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// How the request says its body is delimited.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Length {
    /// No `Content-Length` and no `Transfer-Encoding`: no body.
    Absent,
    /// `Content-Length` with this value.
    Exactly(usize),
    /// A `Transfer-Encoding`, which this server does not decode.
    Encoded,
    /// A `Content-Length` that is not one decimal number.
    Invalid,
}

/// What the request's `Content-Type` says the body is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ContentType {
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
}

/// Where some text lies in the request buffer.
#[derive(Copy, Clone, Debug, Default)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The span of `part`, a piece of `whole`.
    fn within(whole: &[u8], part: &str) -> Span {
        let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
        Span {
            start,
            end: start.saturating_add(part.len()),
        }
    }

    /// The text in `bytes` (the head it was taken from); empty if it is not
    /// there.
    pub(crate) fn text(self, bytes: &[u8]) -> &str {
        bytes
            .get(self.start..self.end)
            .and_then(|text| core::str::from_utf8(text).ok())
            .unwrap_or("")
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
pub(crate) fn examine(received: &[u8]) -> Examined {
    // Left uninitialised: the parser writes only the headers it finds.
    let mut headers = [const { MaybeUninit::<Header<'_>>::uninit() }; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut []);
    match request.parse_with_uninit_headers(received, &mut headers) {
        Ok(Status::Complete(head_len)) => {
            let minor_version = request.version.unwrap_or(1);
            let fields = Fields::of(request.headers, minor_version);
            Examined::Complete(Framing {
                head_len,
                method: Method::parse(request.method.unwrap_or("")),
                minor_version,
                length: fields.length,
                keep_alive: !fields.close && (minor_version >= 1 || fields.keep_alive),
                expects_continue: fields.expects_continue,
                content_type: fields.content_type,
                method_at: Span::within(received, request.method.unwrap_or("")),
                target_at: Span::within(received, request.path.unwrap_or("")),
            })
        }
        Ok(Status::Partial) => Examined::Partial,
        Err(httparse::Error::TooManyHeaders) => Examined::TooManyHeaders,
        Err(error) => Examined::Invalid(error),
    }
}

/// What the headers the server reads say, gathered in one pass.
struct Fields {
    length: Length,
    /// `Connection: close`.
    close: bool,
    /// `Connection: keep-alive` (HTTP/1.0 must ask; RFC 9112 §9.3).
    keep_alive: bool,
    expects_continue: bool,
    content_type: ContentType,
}

impl Fields {
    fn of(headers: &[Header<'_>], minor_version: u8) -> Fields {
        let mut fields = Fields {
            length: Length::Absent,
            close: false,
            keep_alive: false,
            expects_continue: false,
            content_type: ContentType::Absent,
        };
        let mut encoded = false;
        for header in headers {
            let name = header.name.as_bytes();
            let value = header.value;
            // The length first: most names are told apart by it alone.
            match name.len() {
                14 if name.eq_ignore_ascii_case(b"content-length") => {
                    let Some(parsed) = parse_decimal(value.trim_ascii()) else {
                        fields.length = Length::Invalid;
                        continue;
                    };
                    // Repeated headers must agree, or the body's end is ambiguous.
                    fields.length = match fields.length {
                        Length::Absent => Length::Exactly(parsed),
                        Length::Exactly(earlier) if earlier == parsed => Length::Exactly(parsed),
                        _ => Length::Invalid,
                    };
                }
                17 if name.eq_ignore_ascii_case(b"transfer-encoding") => encoded = true,
                10 if name.eq_ignore_ascii_case(b"connection") => {
                    for token in value.split(|&byte| byte == b',') {
                        let token = token.trim_ascii();
                        fields.close |= token.eq_ignore_ascii_case(b"close");
                        fields.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                    }
                }
                6 if name.eq_ignore_ascii_case(b"expect") => {
                    fields.expects_continue |= minor_version >= 1
                        && value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
                }
                // The first Content-Type counts.
                12 if fields.content_type == ContentType::Absent
                    && name.eq_ignore_ascii_case(b"content-type") =>
                {
                    // Parameters such as `; charset=utf-8` do not change the media type.
                    let media_type = value
                        .split(|&byte| byte == b';')
                        .next()
                        .unwrap_or_default()
                        .trim_ascii();
                    fields.content_type = if media_type.eq_ignore_ascii_case(b"application/json") {
                        ContentType::Json
                    } else {
                        ContentType::Other
                    };
                }
                _ => {}
            }
        }
        if encoded {
            fields.length = Length::Encoded;
        }
        fields
    }
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
