//! From a request target to what it names.

use crate::Noun;

/// What a request target names.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Route<'n> {
    /// `/`: the index of nouns.
    Index,
    /// `*`: the server as a whole (only for `OPTIONS`).
    Server,
    /// `/name`: one noun.
    Noun(&'n Noun<'n>),
    /// Anything else.
    Unknown,
}

/// Find what `target` names among `nouns`.
///
/// Noun names match without regard to ASCII case (as in the original
/// urest), after percent-decoding; a query string and one trailing slash are
/// ignored. Absolute-form targets (`http://host/name`, sent to proxies) are
/// accepted as HTTP/1.1 requires.
pub(crate) fn route<'n>(target: &str, nouns: &'n [Noun<'n>]) -> Route<'n> {
    if target == "*" {
        return Route::Server;
    }
    let path = path_of(target);
    let Some(path) = path.strip_prefix('/') else {
        return Route::Unknown;
    };
    let name = path.strip_suffix('/').unwrap_or(path);
    if name.is_empty() {
        return if path.is_empty() {
            Route::Index
        } else {
            Route::Unknown
        };
    }
    match nouns.iter().find(|noun| names_match(name, noun.name)) {
        Some(noun) => Route::Noun(noun),
        None => Route::Unknown,
    }
}

/// The path of an origin-form or absolute-form target, without its query.
fn path_of(target: &str) -> &str {
    let without_query = target.split(['?', '#']).next().unwrap_or("");
    let scheme_len = ["http://", "https://"].iter().find_map(|scheme| {
        let prefix = without_query.get(..scheme.len())?;
        prefix.eq_ignore_ascii_case(scheme).then_some(scheme.len())
    });
    match scheme_len {
        Some(len) => {
            let authority_and_path = without_query.get(len..).unwrap_or("");
            authority_and_path
                .find('/')
                .and_then(|slash| authority_and_path.get(slash..))
                .unwrap_or("/")
        }
        None => without_query,
    }
}

/// Whether a percent-encoded path segment spells `name`, ignoring ASCII case.
fn names_match(segment: &str, name: &str) -> bool {
    let mut wanted = name.bytes();
    let mut bytes = segment.bytes();
    while let Some(byte) = bytes.next() {
        let decoded = if byte == b'%' {
            let high = bytes.next().and_then(hex_value);
            let low = bytes.next().and_then(hex_value);
            match (high, low) {
                (Some(high), Some(low)) => high * 16 + low,
                _ => return false,
            }
        } else {
            byte
        };
        match wanted.next() {
            Some(expected) if expected.eq_ignore_ascii_case(&decoded) => {}
            _ => return false,
        }
    }
    wanted.next().is_none()
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}
