//! Which `Host` a device answers to: the defence against DNS rebinding.
//!
//! A page that rebinds its own DNS name to the device's address makes the
//! browser send requests with `Host: that-name`. The device knows which names
//! are its own, so it refuses every other one. An IP literal is always
//! accepted: rebinding needs a name, and a page whose origin is an IP
//! address can only reach that one address.

/// The host part of a `Host` value or authority (`name`, `name:port`,
/// `1.2.3.4:80`, `[::1]:80`), or `None` if it is malformed.
pub(crate) fn host_part(authority: &str) -> Option<&str> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        // Checked, though `]` is one byte and the split always falls on a
        // character boundary: the unchecked split links core's panic for a
        // split inside a character and, where the panic handler prints,
        // `core::fmt`'s `char` printing with it (5.3 KB of a Pico W
        // firmware's flash).
        let (literal, after) = authority.split_at_checked(close + 1)?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return port_ok.then_some(literal);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if is_port(port) => Some(host),
        Some(_) => None,
        None => Some(authority),
    }
}

/// A port: one to five decimal digits (`Host: name:` with no digits is
/// allowed by RFC 3986 and means the default port).
fn is_port(port: &str) -> bool {
    port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `host` (without a port) is an IP literal: dotted IPv4, or IPv6
/// in brackets, exactly the texts `core::net`'s `Ipv4Addr` and `Ipv6Addr`
/// parse (a property test holds the two together). Checked here rather than
/// by `core::net`, whose parser builds the address and costs about 1.8 KB
/// of flash on a Cortex-M0; the check needs no address, only an answer.
pub(crate) fn is_ip_literal(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // A zone (`%25eth0`) is not expected in a Host header; refuse it.
        return ipv6(inner.as_bytes()).is_some_and(<[u8]>::is_empty);
    }
    ipv4(host.as_bytes()).is_some_and(<[u8]>::is_empty)
}

/// The bytes after a dotted IPv4 address at the start of `text`: four
/// decimal numbers up to 255 separated by dots, each of one to three digits
/// with no leading zero.
fn ipv4(text: &[u8]) -> Option<&[u8]> {
    let mut rest = octet(text)?;
    for _ in 0..3 {
        rest = octet(rest.strip_prefix(b".")?)?;
    }
    Some(rest)
}

/// The bytes after one number of a dotted IPv4 address. All the digits
/// there are count: `1234` is no number of three digits followed by `4`.
fn octet(text: &[u8]) -> Option<&[u8]> {
    let digits = text.iter().take_while(|byte| byte.is_ascii_digit()).count();
    let (number, rest) = (text.get(..digits)?, text.get(digits..)?);
    let leading_zero = digits > 1 && number.first() == Some(&b'0');
    if digits == 0 || digits > 3 || leading_zero {
        return None;
    }
    let value = number
        .iter()
        .fold(0u32, |value, digit| value * 10 + u32::from(digit - b'0'));
    (value <= 255).then_some(rest)
}

/// The bytes after one group of an IPv6 address: one to four hex digits
/// (more is no group at all).
fn hex_group(text: &[u8]) -> Option<&[u8]> {
    let digits = text
        .iter()
        .take_while(|byte| byte.is_ascii_hexdigit())
        .count();
    (1..=4)
        .contains(&digits)
        .then(|| text.get(digits..))
        .flatten()
}

/// Up to `limit` groups at the start of `text`, separated by `:`: how many
/// (a trailing dotted IPv4 address counts as two, and ends the run), whether
/// the run ended with one, and the bytes after the run. A separator not
/// followed by a group is not part of the run.
fn groups(text: &[u8], limit: usize) -> (usize, bool, &[u8]) {
    let mut rest = text;
    for index in 0..limit {
        let after_separator = if index == 0 {
            Some(rest)
        } else {
            rest.strip_prefix(b":")
        };
        let Some(start) = after_separator else {
            return (index, false, rest);
        };
        // An IPv4 address needs two groups' room.
        if index + 1 < limit {
            if let Some(after) = ipv4(start) {
                return (index + 2, true, after);
            }
        }
        match hex_group(start) {
            Some(after) => rest = after,
            None => return (index, false, rest),
        }
    }
    (limit, false, rest)
}

/// The bytes after an IPv6 address at the start of `text`: eight groups, or
/// fewer with one `::` standing for at least one group of zeros; the last
/// two groups may be written as a dotted IPv4 address, but not before the
/// `::`.
fn ipv6(text: &[u8]) -> Option<&[u8]> {
    let (head, head_ipv4, rest) = groups(text, 8);
    if head == 8 {
        return Some(rest);
    }
    if head_ipv4 {
        return None;
    }
    let rest = rest.strip_prefix(b"::")?;
    let (_, _, rest) = groups(rest, 7 - head);
    Some(rest)
}

/// Whether `host` (without a port) is `localhost`, which browsers resolve to
/// the loopback address themselves, never through DNS.
fn is_localhost(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
}

/// Whether a request with this `Host` value is meant for a device known as
/// `names` (plus every IP literal and `localhost`).
pub(crate) fn answers_to(value: &str, names: &[&str]) -> bool {
    let Some(host) = host_part(value.trim_ascii()) else {
        return false;
    };
    if host.is_empty() {
        return false;
    }
    if is_ip_literal(host) || is_localhost(host) {
        return true;
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    names.iter().any(|name| {
        let name = name.strip_suffix('.').unwrap_or(name);
        !name.is_empty() && name.eq_ignore_ascii_case(host)
    })
}

/// The authority of an absolute-form request target (`http://name/led`), if
/// the target is one.
pub(crate) fn target_authority(target: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let prefix = target.get(..scheme.len())?;
        if !prefix.eq_ignore_ascii_case(scheme) {
            return None;
        }
        let rest = target.get(scheme.len()..)?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..end)?;
        // Drop any user information (`user@host`).
        Some(
            authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host),
        )
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use core::net::{Ipv4Addr, Ipv6Addr};
    use proptest::prelude::*;
    use std::string::{String, ToString};

    /// What `is_ip_literal` answered when it asked `core::net`.
    fn by_core_net(host: &str) -> bool {
        if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return inner.parse::<Ipv6Addr>().is_ok();
        }
        host.parse::<Ipv4Addr>().is_ok()
    }

    #[test]
    fn literals_are_what_core_net_parses() {
        for host in [
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.4.",
            ".1.2.3.4",
            "1..2.3",
            "1234.1.1.1",
            "[::]",
            "[::1]",
            "[1::]",
            "[1:2:3:4:5:6:7:8]",
            "[1:2:3:4:5:6:7:8:9]",
            "[1:2:3:4:5:6:7::]",
            "[::1:2:3:4:5:6:7]",
            "[1:2:3:4:5:6:7::8]",
            "[1:2:3:4::5:6:7:8]",
            "[::ffff:1.2.3.4]",
            "[1:2:3:4:5:6:1.2.3.4]",
            "[1:2:3:4:5:6:7:1.2.3.4]",
            "[1.2.3.4::]",
            "[::1.2.3.4:1]",
            "[1:2:3:4:5::1.2.3.4]",
            "[1:2:3:4:5:6::1.2.3.4]",
            "[12345::]",
            "[:1::]",
            "[1:::2]",
            "[::1::]",
            "[fe80::1%25eth0]",
            "[FFFF::abcd]",
            "[]",
        ] {
            assert_eq!(is_ip_literal(host), by_core_net(host), "{host}");
        }
    }

    proptest! {
        #[test]
        fn any_text_is_a_literal_exactly_when_core_net_parses_it(
            host in "\\[?[0-9a-fA-F:.]{0,44}\\]?",
        ) {
            prop_assert_eq!(is_ip_literal(&host), by_core_net(&host), "{}", host);
        }

        #[test]
        fn written_addresses_and_their_edits_agree_with_core_net(
            v4 in any::<u32>(),
            v6 in any::<u128>(),
            cut in 0usize..48,
            byte in prop::sample::select(&b"0123456789aF:.x"[..]),
        ) {
            let v4 = Ipv4Addr::from(v4).to_string();
            let v6 = std::format!("[{}]", Ipv6Addr::from(v6));
            let mapped = std::format!("[::ffff:{v4}]");
            for text in [v4, v6, mapped] {
                prop_assert!(is_ip_literal(&text), "{}", text);
                let mut edited: String = text.clone();
                let at = (cut % (text.len() + 1)).min(text.len());
                edited.insert(at, char::from(byte));
                prop_assert_eq!(is_ip_literal(&edited), by_core_net(&edited), "{}", edited);
                let mut removed = text.clone();
                if at < removed.len() {
                    removed.remove(at);
                }
                prop_assert_eq!(is_ip_literal(&removed), by_core_net(&removed), "{}", removed);
            }
        }
    }

    const NAMES: &[&str] = &["urest.lan", "Kitchen-Lights"];

    #[test]
    fn ip_literals_with_or_without_port_are_always_accepted() {
        for value in [
            "192.168.1.20",
            "192.168.1.20:80",
            "10.0.0.1:8080",
            "127.0.0.1:8080",
            "[::1]",
            "[::1]:8080",
            "[fe80::1]:80",
            "[2001:db8::7]",
        ] {
            assert!(answers_to(value, &[]), "{value}");
        }
    }

    #[test]
    fn localhost_and_configured_names_are_accepted_in_any_case() {
        for value in [
            "localhost",
            "LOCALHOST:8080",
            "localhost.",
            "urest.lan",
            "URest.LAN:80",
            "urest.lan.",
            "kitchen-lights",
            " urest.lan ",
        ] {
            assert!(answers_to(value, NAMES), "{value}");
        }
    }

    #[test]
    fn other_names_and_malformed_values_are_refused() {
        for value in [
            "attacker.example",
            "attacker.example:8080",
            "urest.lan.attacker.example",
            "evil-urest.lan",
            "localhost.attacker.example",
            "sub.localhost",
            "",
            ":80",
            "urest.lan:http",
            "urest.lan:123456",
            "[::1",
            "[::1]x",
            "[not-an-address]",
            "1.2.3.4.5",
            "1.2.3",
            "0x7f.1",
        ] {
            assert!(!answers_to(value, NAMES), "{value:?}");
        }
        // With no names configured, only literals and localhost pass.
        assert!(!answers_to("urest.lan", &[]));
    }

    #[test]
    fn an_empty_configured_name_matches_nothing() {
        assert!(!answers_to("", &[""]));
        assert!(!answers_to(".", &["."]));
    }

    #[test]
    fn absolute_targets_name_their_authority() {
        assert_eq!(target_authority("http://urest.lan/led"), Some("urest.lan"));
        assert_eq!(target_authority("HTTP://a:8080"), Some("a:8080"));
        assert_eq!(target_authority("https://u@b/x?y"), Some("b"));
        assert_eq!(target_authority("/led"), None);
        assert_eq!(target_authority("*"), None);
    }
}
