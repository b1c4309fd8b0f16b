//! Which `Host` a device answers to: the defence against DNS rebinding.
//!
//! A page that rebinds its own DNS name to the device's address makes the
//! browser send requests with `Host: that-name`. The device knows which names
//! are its own, so it refuses every other one. An IP literal is always
//! accepted: rebinding needs a name, and a page whose origin is an IP
//! address can only reach that one address.

use core::net::{Ipv4Addr, Ipv6Addr};

/// The host part of a `Host` value or authority (`name`, `name:port`,
/// `1.2.3.4:80`, `[::1]:80`), or `None` if it is malformed.
pub(crate) fn host_part(authority: &str) -> Option<&str> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (literal, after) = authority.split_at(close + 1);
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
/// in brackets.
pub(crate) fn is_ip_literal(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // A zone (`%25eth0`) is not expected in a Host header; refuse it.
        return inner.parse::<Ipv6Addr>().is_ok();
    }
    host.parse::<Ipv4Addr>().is_ok()
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
    let Some(host) = host_part(value.trim()) else {
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
    use super::*;

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
