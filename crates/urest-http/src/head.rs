//! Reading a request head: where it ends and how its body is framed.
//!
//! The head is parsed twice per request: once here, as soon as it is
//! complete, to learn how many body bytes follow; and once more after the
//! body is in, to hand the borrowed request to the observer and the router.
//! Parsing is cheap, and it spares keeping borrows of the request buffer
//! across the reads that fill it.

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
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(received) {
        Ok(Status::Complete(head_len)) => {
            let minor_version = request.version.unwrap_or(1);
            let headers: &[Header<'_>] = request.headers;
            Examined::Complete(Framing {
                head_len,
                method: Method::parse(request.method.unwrap_or("")),
                minor_version,
                length: length_of(headers),
                keep_alive: keeps_alive(headers, minor_version),
                expects_continue: minor_version >= 1
                    && header_values(headers, "expect")
                        .any(|value| value.trim().eq_ignore_ascii_case("100-continue")),
                content_type: content_type_of(headers),
            })
        }
        Ok(Status::Partial) => Examined::Partial,
        Err(httparse::Error::TooManyHeaders) => Examined::TooManyHeaders,
        Err(error) => Examined::Invalid(error),
    }
}

/// The values of every header called `name`, as text; values that are not
/// UTF-8 read as empty, which no check below accepts.
fn header_values<'h>(headers: &'h [Header<'h>], name: &'h str) -> impl Iterator<Item = &'h str> {
    headers
        .iter()
        .filter(move |header| header.name.eq_ignore_ascii_case(name))
        .map(|header| core::str::from_utf8(header.value).unwrap_or(""))
}

/// Comma-separated list elements of every header called `name`.
fn header_tokens<'h>(headers: &'h [Header<'h>], name: &'h str) -> impl Iterator<Item = &'h str> {
    header_values(headers, name).flat_map(|value| value.split(',').map(str::trim))
}

fn length_of(headers: &[Header<'_>]) -> Length {
    if headers
        .iter()
        .any(|header| header.name.eq_ignore_ascii_case("transfer-encoding"))
    {
        return Length::Encoded;
    }
    let mut length = Length::Absent;
    for value in header_values(headers, "content-length") {
        let Some(parsed) = parse_decimal(value.trim()) else {
            return Length::Invalid;
        };
        // Repeated headers must agree, or the body's end is ambiguous.
        match length {
            Length::Exactly(earlier) if earlier != parsed => return Length::Invalid,
            _ => length = Length::Exactly(parsed),
        }
    }
    length
}

/// A non-empty run of ASCII digits that fits a `usize`; no sign, no spaces.
fn parse_decimal(text: &str) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0usize, |total, byte| {
        let digit = char::from(byte).to_digit(10)?;
        total.checked_mul(10)?.checked_add(digit as usize)
    })
}

/// HTTP/1.1 keeps a connection open unless told `close`; HTTP/1.0 closes it
/// unless told `keep-alive` (RFC 9112 §9.3).
fn keeps_alive(headers: &[Header<'_>], minor_version: u8) -> bool {
    let mut close = false;
    let mut keep_alive = false;
    for token in header_tokens(headers, "connection") {
        close |= token.eq_ignore_ascii_case("close");
        keep_alive |= token.eq_ignore_ascii_case("keep-alive");
    }
    !close && (minor_version >= 1 || keep_alive)
}

fn content_type_of(headers: &[Header<'_>]) -> ContentType {
    let Some(value) = header_values(headers, "content-type").next() else {
        return ContentType::Absent;
    };
    // Parameters such as `; charset=utf-8` do not change the media type.
    let media_type = value.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        ContentType::Json
    } else {
        ContentType::Other
    }
}
