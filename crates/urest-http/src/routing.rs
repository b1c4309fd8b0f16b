//! From a request target to what it names.

use crate::byte_class::ByteClass;
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
    /// `/name/changes`: the changes a noun remembers.
    Changes { noun: &'n Noun<'n> },
    /// `/name/changes/{ticket}`: one change of a noun.
    Change { noun: &'n Noun<'n>, ticket: u32 },
    /// `/{noun}/lock`: the noun's client lock.
    Lock { noun: &'n Noun<'n> },
    /// Anything else.
    Unknown,
}

/// Find what `target` names among `nouns`.
///
/// Noun names match without regard to ASCII case (as in the original
/// urest), after percent-decoding; a query string and one trailing slash are
/// ignored. Absolute-form targets (`http://host/name`, sent to proxies) are
/// accepted as HTTP/1.1 requires.
pub(crate) fn route<'n>(target: &[u8], nouns: &'n [Noun<'n>]) -> Route<'n> {
    // Most targets are `/name`: no query, no escape, no segment below.
    // Such a target names a noun or nothing, as the general reading below
    // would find, without splitting or decoding it.
    if let [b'/', name @ ..] = target {
        if !name.is_empty() && name.iter().all(|&byte| !ByteClass::BEYOND_NAME.holds(byte)) {
            return match nouns.iter().find(|noun| spelled_as(name, noun.name)) {
                Some(noun) => Route::Noun(noun),
                None => Route::Unknown,
            };
        }
    }
    route_in_general(target, nouns)
}

/// [`route`] for any target. Out of line, so that the common case does
/// not pay for its registers.
#[inline(never)]
fn route_in_general<'n>(target: &[u8], nouns: &'n [Noun<'n>]) -> Route<'n> {
    if target == b"*" {
        return Route::Server;
    }
    let path = path_of(target);
    let Some(path) = path.strip_prefix(b"/") else {
        return Route::Unknown;
    };
    let trimmed = path.strip_suffix(b"/").unwrap_or(path);
    if trimmed.is_empty() {
        return if path.is_empty() {
            Route::Index
        } else {
            Route::Unknown
        };
    }
    // The whole path first, so a noun whose name holds a `/` is reached as
    // before there were paths below nouns.
    if let Some(noun) = nouns.iter().find(|noun| names_match(trimmed, noun.name)) {
        return Route::Noun(noun);
    }
    // The whole path was tried above: only a path with a part below the
    // noun's name is left.
    let Some(slash) = trimmed.iter().position(|&byte| byte == b'/') else {
        return Route::Unknown;
    };
    let (name, below) = trimmed.split_at(slash);
    let Some(noun) = nouns.iter().find(|noun| names_match(name, noun.name)) else {
        return Route::Unknown;
    };
    match below {
        b"/changes" => Route::Changes { noun },
        b"/lock" => Route::Lock { noun },
        _ => match below.strip_prefix(b"/changes/").and_then(parse_ticket) {
            Some(ticket) => Route::Change { noun, ticket },
            None => Route::Unknown,
        },
    }
}

/// Whether `segment`, which holds no escape, spells `name`, ignoring ASCII
/// case: the exact comparison first, folding case only where it fails.
fn spelled_as(segment: &[u8], name: &str) -> bool {
    let name = name.as_bytes();
    segment.len() == name.len()
        && segment
            .iter()
            .zip(name)
            .all(|(byte, wanted)| byte == wanted || byte.eq_ignore_ascii_case(wanted))
}

/// A ticket number: ASCII digits that fit a `u32`, nothing else.
fn parse_ticket(text: &[u8]) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    text.iter().try_fold(0u32, |number, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        number.checked_mul(10)?.checked_add(digit)
    })
}

/// The path of an origin-form or absolute-form target, without its query.
fn path_of(target: &[u8]) -> &[u8] {
    let end = target
        .iter()
        .position(|&byte| byte == b'?' || byte == b'#')
        .unwrap_or(target.len());
    let without_query = target.get(..end).unwrap_or_default();
    if without_query.starts_with(b"/") {
        return without_query;
    }
    let scheme_len = [&b"http://"[..], b"https://"].iter().find_map(|scheme| {
        let prefix = without_query.get(..scheme.len())?;
        prefix.eq_ignore_ascii_case(scheme).then_some(scheme.len())
    });
    match scheme_len {
        Some(len) => {
            let authority_and_path = without_query.get(len..).unwrap_or_default();
            authority_and_path
                .iter()
                .position(|&byte| byte == b'/')
                .and_then(|slash| authority_and_path.get(slash..))
                .unwrap_or(b"/")
        }
        None => without_query,
    }
}

/// Whether a percent-encoded path segment spells `name`, ignoring ASCII case.
fn names_match(segment: &[u8], name: &str) -> bool {
    // A segment with nothing escaped needs no decoding: it is compared as
    // it stands, as a plain `/name` target is.
    if !segment.contains(&b'%') {
        return spelled_as(segment, name);
    }
    let mut wanted = name.bytes();
    let mut bytes = segment.iter().copied();
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
            // Most requests spell a name as it was given: the exact
            // comparison first, folding case only when it fails.
            Some(expected) if expected == decoded || expected.eq_ignore_ascii_case(&decoded) => {}
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

/// Two nouns of one table that routing cannot tell apart: their names are
/// equal but for ASCII case, so requests always reach the first and never
/// the second. Refused by [`Server::try_new`](crate::Server::try_new).
///
/// ```
/// use urest_http::{Noun, Server};
/// # use core::convert::Infallible;
/// # use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// # use embedded_hal::digital::{ErrorType, OutputPin};
/// # use urest_core::nouns::SimpleLed;
/// # use urest_core::time::{Clock, Instant};
/// # struct Pin;
/// # impl ErrorType for Pin { type Error = Infallible; }
/// # impl OutputPin for Pin {
/// #     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
/// #     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
/// # }
/// # #[derive(Copy, Clone)]
/// # struct Stopped;
/// # impl Clock for Stopped { fn now(&self) -> Instant { Instant::from_millis(0) } }
///
/// let kitchen: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// let hall: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// let nouns = [Noun::new("led0", &kitchen), Noun::new("LED0", &hall)];
/// let clash = Server::try_new(&nouns, Stopped, Default::default()).err().unwrap();
/// assert_eq!((clash.first(), clash.second()), ("led0", "LED0"));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NameClash<'a> {
    first: &'a str,
    second: &'a str,
}

impl<'a> NameClash<'a> {
    /// The name that routing reaches.
    pub fn first(&self) -> &'a str {
        self.first
    }

    /// The later name that routing would never reach.
    pub fn second(&self) -> &'a str {
        self.second
    }
}

impl core::fmt::Display for NameClash<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "nouns \"{}\" and \"{}\" differ only in case, and noun names are matched without regard to case",
            self.first, self.second
        )
    }
}

impl core::error::Error for NameClash<'_> {}

/// The first pair of nouns in `nouns` whose names routing cannot tell apart.
pub(crate) fn find_clash<'a>(nouns: &[Noun<'a>]) -> Option<NameClash<'a>> {
    nouns.iter().enumerate().find_map(|(index, later)| {
        let earlier = nouns.get(..index)?;
        earlier
            .iter()
            .find(|noun| noun.name.eq_ignore_ascii_case(later.name))
            .map(|noun| NameClash {
                first: noun.name,
                second: later.name,
            })
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    use urest_core::nouns::SimpleLed;
    use urest_mock::{MockPin, PinLevel};

    /// What a route names, for comparing two.
    fn named(route: Route<'_>) -> (u8, Option<&str>, u32) {
        match route {
            Route::Index => (0, None, 0),
            Route::Server => (1, None, 0),
            Route::Noun(noun) => (2, Some(noun.name), 0),
            Route::Changes { noun } => (3, Some(noun.name), 0),
            Route::Change { noun, ticket } => (4, Some(noun.name), ticket),
            Route::Lock { noun } => (5, Some(noun.name), 0),
            Route::Unknown => (6, None, 0),
        }
    }

    #[test]
    fn plain_targets_route_as_the_general_reading_does() {
        let pin = PinLevel::new();
        let led: SimpleLed<NoopRawMutex, MockPin<'_>> = SimpleLed::new(MockPin::new(&pin)).unwrap();
        let nouns = [
            Noun::new("led0", &led),
            Noun::new("Green_LED", &led),
            Noun::new("caf\u{e9}", &led),
            Noun::new("a%41", &led),
            Noun::new("x/y", &led),
        ];
        let targets: &[&[u8]] = &[
            b"/led0",
            b"/LED0",
            b"/led",
            b"/led00",
            b"/green_led",
            b"/GREEN_LED",
            b"/caf\xc3\xa9",
            b"/CAF\xc3\xa9",
            b"/caf%C3%A9",
            b"/a%41",
            b"/aA",
            b"/a%2541",
            b"/x/y",
            b"/x%2Fy",
            b"/led0/",
            b"/led0?x=1",
            b"/led0#f",
            b"/led0/changes",
            b"/led0/changes/7",
            b"/led0/lock",
            b"/",
            b"//",
            b"*",
            b"led0",
            b"http://host/led0",
            b"/-",
        ];
        for target in targets {
            assert_eq!(
                named(route(target, &nouns)),
                named(route_in_general(target, &nouns)),
                "{:?}",
                std::string::String::from_utf8_lossy(target)
            );
        }
        assert_eq!(named(route(b"/LED0", &nouns)), (2, Some("led0"), 0));
        assert_eq!(named(route(b"/nothing", &nouns)), (6, None, 0));
    }
}
