//! What a host serves and how: the options behind the command-line flags.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::num::{NonZeroU16, NonZeroUsize};
use std::str::FromStr;
use std::time::Duration;

use urest_core::controller::Policy;
use urest_http::Scope;
use urest_http::SlotPolicy;

/// What kind of mock hardware a noun drives.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NounKind {
    /// A PWM LED that fades in timed steps, with a policy for changes that
    /// arrive mid-fade.
    Pwm(Policy),
    /// An LED on a plain digital pin that switches at once.
    Simple,
}

/// One noun to serve: its path name and what it drives.
///
/// Parsed from the `--noun` syntax `NAME=KIND[:POLICY]`, where KIND is `pwm`
/// or `simple` and POLICY (for `pwm` only, default `fifo`) is `fifo`,
/// `reject` or `preempt`.
///
/// ```
/// use urest_core::controller::Policy;
/// use urest_host::{NounKind, NounSpec};
///
/// let spec: NounSpec = "red=pwm:preempt".parse().unwrap();
/// assert_eq!(spec.name, "red");
/// assert_eq!(spec.kind, NounKind::Pwm(Policy::Preempt));
/// assert_eq!("led0=simple".parse::<NounSpec>().unwrap().kind, NounKind::Simple);
/// assert!("led0=simple:fifo".parse::<NounSpec>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NounSpec {
    /// The path segment the noun is served under (`/NAME`).
    pub name: String,
    /// What it drives.
    pub kind: NounKind,
}

impl NounSpec {
    /// A PWM LED called `name` under `policy`.
    pub fn pwm(name: &str, policy: Policy) -> Self {
        NounSpec {
            name: name.to_owned(),
            kind: NounKind::Pwm(policy),
        }
    }

    /// A simple LED called `name`.
    pub fn simple(name: &str) -> Self {
        NounSpec {
            name: name.to_owned(),
            kind: NounKind::Simple,
        }
    }

    /// The original MicroPython urest's pair, served when no noun is named: a Fifo PWM LED
    /// `green_led0` and a simple LED `led0`.
    pub fn defaults() -> Vec<NounSpec> {
        vec![
            NounSpec::pwm("green_led0", Policy::Fifo),
            NounSpec::simple("led0"),
        ]
    }
}

impl fmt::Display for NounSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            NounKind::Pwm(policy) => write!(f, "{}=pwm:{}", self.name, policy.name()),
            NounKind::Simple => write!(f, "{}=simple", self.name),
        }
    }
}

/// A bearer token the host accepts, and what it allows. Its `Debug` form
/// never shows the secret.
///
/// ```
/// use urest_host::TokenSpec;
/// use urest_http::Scope;
///
/// let token = TokenSpec::change("0wn3r-s3cret");
/// assert_eq!(token.scope, Scope::Change);
/// assert!(!format!("{token:?}").contains("s3cret"));
/// assert!(TokenSpec::read("has space").validate().is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// What a client sends after `Authorization: Bearer `.
    pub secret: String,
    /// What it allows.
    pub scope: Scope,
}

impl TokenSpec {
    /// Longest token accepted, in bytes.
    pub const MAX_LEN: usize = 128;

    /// A token that may read and change.
    ///
    /// ```
    /// use urest_host::TokenSpec;
    ///
    /// assert!(TokenSpec::change("owner-7f3a").scope.allows_changes());
    /// ```
    pub fn change(secret: &str) -> Self {
        TokenSpec {
            secret: secret.to_owned(),
            scope: Scope::Change,
        }
    }

    /// A token that may only read.
    ///
    /// ```
    /// use urest_host::TokenSpec;
    ///
    /// assert!(!TokenSpec::read("dashboard").scope.allows_changes());
    /// ```
    pub fn read(secret: &str) -> Self {
        TokenSpec {
            secret: secret.to_owned(),
            scope: Scope::Read,
        }
    }

    /// Check that the token can be sent as a bearer token (RFC 6750's
    /// `b64token`: letters, digits, `-._~+/`, then any `=`), 1 to
    /// [`MAX_LEN`](Self::MAX_LEN) bytes. The error does not repeat it.
    ///
    /// ```
    /// use urest_host::{ConfigError, TokenSpec};
    ///
    /// assert_eq!(TokenSpec::change("aGVsbG8_-.~+/==").validate(), Ok(()));
    /// assert_eq!(TokenSpec::change("two words").validate(), Err(ConfigError::BadToken));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        let body = self.secret.trim_end_matches('=');
        let valid = !body.is_empty()
            && self.secret.len() <= Self::MAX_LEN
            && body.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
            });
        if valid {
            Ok(())
        } else {
            Err(ConfigError::BadToken)
        }
    }
}

impl fmt::Debug for TokenSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSpec")
            .field("secret", &"<redacted>")
            .field("scope", &self.scope)
            .finish()
    }
}

/// Why a noun or a configuration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The spec has no `=` between name and kind.
    MissingKind(String),
    /// The name is empty or has characters other than ASCII letters, digits,
    /// `_`, `-` and `.`, so it would not be one path segment.
    BadName(String),
    /// The kind is neither `pwm` nor `simple`.
    UnknownKind(String),
    /// The policy is not one of `fifo`, `reject`, `preempt`.
    UnknownPolicy(String),
    /// A policy was given for a noun that changes at once.
    PolicyOnSimple(String),
    /// Two nouns share a name, ignoring ASCII case as routing does.
    DuplicateName(String),
    /// There is nothing to serve.
    NoNouns,
    /// A token has characters a bearer token cannot carry, or is empty or
    /// too long (the token itself is not repeated).
    BadToken,
    /// An `--allow-host` name is not a DNS name (it must have no port,
    /// scheme or path).
    BadHost(String),
    /// An `--allow-origin` is not `http[s]://host[:port]`.
    BadOrigin(String),
    /// Reads need a token, but there is none.
    ReadsNeedMissingToken,
    /// More nouns than the host keeps client locks and idempotency keys
    /// for ([`HostConfig::MAX_NOUNS`]).
    TooManyNouns(usize),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingKind(spec) => {
                write!(f, "\"{spec}\" is not NAME=KIND[:POLICY]")
            }
            ConfigError::BadName(name) => write!(
                f,
                "noun name \"{name}\" must be non-empty ASCII letters, digits, '_', '-' or '.'"
            ),
            ConfigError::UnknownKind(kind) => {
                write!(f, "unknown noun kind \"{kind}\" (expected pwm or simple)")
            }
            ConfigError::UnknownPolicy(policy) => write!(
                f,
                "unknown policy \"{policy}\" (expected fifo, reject or preempt)"
            ),
            ConfigError::PolicyOnSimple(name) => write!(
                f,
                "noun \"{name}\" is simple and changes at once; only pwm nouns take a policy"
            ),
            ConfigError::DuplicateName(name) => write!(
                f,
                "noun \"{name}\" is named twice (names are matched in any case)"
            ),
            ConfigError::NoNouns => f.write_str("no nouns to serve"),
            ConfigError::TooManyNouns(count) => write!(
                f,
                "{count} nouns, but the host serves at most {}",
                HostConfig::MAX_NOUNS
            ),
            ConfigError::BadToken => write!(
                f,
                "a token must be 1 to {} characters: letters, digits, '-', '.', '_', '~', '+', '/', then any '='",
                TokenSpec::MAX_LEN
            ),
            ConfigError::BadHost(name) => write!(
                f,
                "\"{name}\" is not a host name (give the name alone, e.g. urest.lan, without port or scheme)"
            ),
            ConfigError::BadOrigin(origin) => write!(
                f,
                "\"{origin}\" is not an origin (scheme, host and optional port, e.g. https://dashboard.lan or http://localhost:3000, no path)"
            ),
            ConfigError::ReadsNeedMissingToken => f.write_str(
                "--token-for-reads needs a token: give --token or --read-token",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl FromStr for NounSpec {
    type Err = ConfigError;

    fn from_str(spec: &str) -> Result<Self, ConfigError> {
        let (name, kind) = spec
            .split_once('=')
            .ok_or_else(|| ConfigError::MissingKind(spec.to_owned()))?;
        if !is_path_segment(name) {
            return Err(ConfigError::BadName(name.to_owned()));
        }
        let (kind, policy) = match kind.split_once(':') {
            Some((kind, policy)) => (kind, Some(policy)),
            None => (kind, None),
        };
        let kind = match (kind, policy) {
            ("pwm", None) => NounKind::Pwm(Policy::Fifo),
            ("pwm", Some(policy)) => NounKind::Pwm(
                Policy::from_name(policy)
                    .ok_or_else(|| ConfigError::UnknownPolicy(policy.to_owned()))?,
            ),
            ("simple", None) => NounKind::Simple,
            ("simple", Some(_)) => return Err(ConfigError::PolicyOnSimple(name.to_owned())),
            (other, _) => return Err(ConfigError::UnknownKind(other.to_owned())),
        };
        Ok(NounSpec {
            name: name.to_owned(),
            kind,
        })
    }
}

/// Whether `name` is a DNS name: labels of letters, digits and `-`,
/// separated by dots, with an optional final dot.
fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `origin` is a web origin: `http://` or `https://`, a host (name,
/// IPv4, or IPv6 in brackets) and an optional port, nothing else.
fn is_origin(origin: &str) -> bool {
    let Some(authority) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port))
            if !authority.ends_with(']') && (host.starts_with('[') || !host.contains(':')) =>
        {
            (host, Some(port))
        }
        _ => (authority, None),
    };
    let port_ok = port.is_none_or(|port| !port.is_empty() && port.parse::<u16>().is_ok());
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(literal) => literal.parse::<std::net::Ipv6Addr>().is_ok(),
        None => is_host_name(host),
    };
    port_ok && host_ok
}

/// Whether `name` can stand alone as a path segment without escaping.
fn is_path_segment(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Everything a host needs to start: the same options as the command line.
///
/// ```
/// use std::time::Duration;
/// use urest_host::HostConfig;
///
/// // An ephemeral port and fast ramps, as tests use it.
/// let config = HostConfig {
///     port: 0,
///     step_time: Duration::from_millis(2),
///     quiet: true,
///     ..HostConfig::default()
/// };
/// assert!(config.validate().is_ok());
/// assert_eq!(config.nouns.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostConfig {
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    pub port: u16,
    /// The nouns to serve, in index order.
    pub nouns: Vec<NounSpec>,
    /// Steps of a full off-to-on swing of every PWM noun.
    pub steps: NonZeroU16,
    /// How long each ramp step holds.
    pub step_time: Duration,
    /// How many connections are served at once. Clients beyond them wait
    /// (see [`SlotPolicy`]): idle connections make way for them at once,
    /// keep-alive ones close after their share, and a client that waits
    /// longer than [`queue_wait`](Self::queue_wait) is answered `503`.
    pub slots: NonZeroUsize,
    /// How long a request may take to arrive whole before it is answered
    /// `408`, and how long an idle connection is kept; either way the
    /// connection is then closed.
    pub read_timeout: Duration,
    /// How long a request head may take to arrive from its first byte
    /// before it is answered `408` (never longer than the read timeout).
    pub head_timeout: Duration,
    /// The longest a client waits for a free slot before it is answered
    /// `503` with `Retry-After`.
    pub queue_wait: Duration,
    /// The longest a change is waited for when a client sends
    /// `Prefer: wait=N` (see [`urest_http::Config::max_wait`]).
    pub max_wait: Duration,
    /// Log nothing. Otherwise every request and duty step is a `tracing`
    /// event (target `urest_host`), written to stdout once a
    /// [`StdoutLog`](crate::StdoutLog) is installed, as the binary does.
    pub quiet: bool,
    /// Bearer tokens accepted. With none, nobody needs a token, unless the
    /// host is bound to an address other than loopback: then it makes one
    /// up at start (see [`Host::generated_token`](crate::Host::generated_token)).
    pub tokens: Vec<TokenSpec>,
    /// Whether reads (`GET`, `HEAD`, `OPTIONS`) need a token too.
    pub tokens_for_reads: bool,
    /// DNS names the host answers to, besides IP literals and `localhost`;
    /// requests naming any other host are refused `421` (DNS rebinding).
    pub allow_hosts: Vec<String>,
    /// Origins whose web pages may call the API (CORS).
    pub allow_origins: Vec<String>,
}

impl HostConfig {
    /// The original MicroPython urest's ramp step count.
    pub const DEFAULT_STEPS: NonZeroU16 = match NonZeroU16::new(10) {
        Some(steps) => steps,
        None => NonZeroU16::MIN,
    };
    /// The original MicroPython urest's ramp step time.
    pub const DEFAULT_STEP_TIME: Duration = Duration::from_secs(1);
    /// Connections served at once unless told otherwise.
    pub const DEFAULT_SLOTS: NonZeroUsize = match NonZeroUsize::new(4) {
        Some(slots) => slots,
        None => NonZeroUsize::MIN,
    };
    /// The read timeout the original MicroPython urest's clients expect.
    pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
    /// The HTTP layer's head timeout.
    pub const DEFAULT_HEAD_TIMEOUT: Duration = urest_http::Config::DEFAULT_HEAD_TIMEOUT;
    /// The slot rules' wait bound.
    pub const DEFAULT_QUEUE_WAIT: Duration = SlotPolicy::DEFAULT_QUEUE_WAIT;
    /// The most nouns a host serves: it keeps a client lock and
    /// idempotency keys for each, in memory fixed at build time.
    pub const MAX_NOUNS: usize = 32;

    /// Check that there is something to serve and no name is used twice
    /// (in any case: routing ignores case).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.nouns.is_empty() {
            return Err(ConfigError::NoNouns);
        }
        if self.nouns.len() > HostConfig::MAX_NOUNS {
            return Err(ConfigError::TooManyNouns(self.nouns.len()));
        }
        let mut seen = HashSet::new();
        for spec in &self.nouns {
            if !is_path_segment(&spec.name) {
                return Err(ConfigError::BadName(spec.name.clone()));
            }
            // Routing ignores ASCII case, so names equal but for case clash.
            if !seen.insert(spec.name.to_ascii_lowercase()) {
                return Err(ConfigError::DuplicateName(spec.name.clone()));
            }
        }
        for token in &self.tokens {
            token.validate()?;
        }
        if self.tokens_for_reads && self.tokens.is_empty() && self.bind.is_loopback() {
            return Err(ConfigError::ReadsNeedMissingToken);
        }
        if let Some(name) = self.allow_hosts.iter().find(|name| !is_host_name(name)) {
            return Err(ConfigError::BadHost(name.clone()));
        }
        if let Some(origin) = self.allow_origins.iter().find(|origin| !is_origin(origin)) {
            return Err(ConfigError::BadOrigin(origin.clone()));
        }
        Ok(())
    }

    /// Whether the host makes up a token at start: it is bound to an
    /// address other than loopback and was given none.
    ///
    /// ```
    /// use urest_host::{HostConfig, TokenSpec};
    ///
    /// assert!(!HostConfig::default().needs_generated_token());
    /// let exposed = HostConfig { bind: "0.0.0.0".parse().unwrap(), ..HostConfig::default() };
    /// assert!(exposed.needs_generated_token());
    /// let chosen = HostConfig { tokens: vec![TokenSpec::change("mine")], ..exposed };
    /// assert!(!chosen.needs_generated_token());
    /// ```
    pub fn needs_generated_token(&self) -> bool {
        self.tokens.is_empty() && !self.bind.is_loopback()
    }
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            nouns: NounSpec::defaults(),
            steps: HostConfig::DEFAULT_STEPS,
            step_time: HostConfig::DEFAULT_STEP_TIME,
            slots: HostConfig::DEFAULT_SLOTS,
            read_timeout: HostConfig::DEFAULT_READ_TIMEOUT,
            head_timeout: HostConfig::DEFAULT_HEAD_TIMEOUT,
            queue_wait: HostConfig::DEFAULT_QUEUE_WAIT,
            max_wait: urest_http::Config::DEFAULT_MAX_WAIT,
            quiet: false,
            tokens: Vec::new(),
            tokens_for_reads: false,
            allow_hosts: Vec::new(),
            allow_origins: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_through_display() {
        for text in [
            "a=pwm:fifo",
            "b.c=pwm:reject",
            "d-e=pwm:preempt",
            "f_0=simple",
        ] {
            let spec: NounSpec = text.parse().unwrap();
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn pwm_without_policy_is_fifo() {
        let spec: NounSpec = "green=pwm".parse().unwrap();
        assert_eq!(spec.kind, NounKind::Pwm(Policy::Fifo));
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        let cases = [
            ("led0", ConfigError::MissingKind("led0".into())),
            ("=pwm", ConfigError::BadName(String::new())),
            ("a/b=pwm", ConfigError::BadName("a/b".into())),
            ("x=servo", ConfigError::UnknownKind("servo".into())),
            ("x=pwm:lifo", ConfigError::UnknownPolicy("lifo".into())),
            ("x=simple:fifo", ConfigError::PolicyOnSimple("x".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<NounSpec>(), Err(expected), "{text}");
        }
    }

    #[test]
    fn duplicate_and_missing_nouns_are_refused() {
        let twice = HostConfig {
            nouns: vec![NounSpec::simple("a"), NounSpec::pwm("a", Policy::Reject)],
            ..HostConfig::default()
        };
        assert_eq!(
            twice.validate(),
            Err(ConfigError::DuplicateName("a".into()))
        );
        let none = HostConfig {
            nouns: Vec::new(),
            ..HostConfig::default()
        };
        assert_eq!(none.validate(), Err(ConfigError::NoNouns));
    }

    #[test]
    fn tokens_hosts_and_origins_are_checked() {
        let ok = HostConfig {
            tokens: vec![TokenSpec::change("abc-DEF_0.9~+/=="), TokenSpec::read("r")],
            allow_hosts: vec!["urest.lan".into(), "kitchen".into(), "lights.".into()],
            allow_origins: vec![
                "https://dashboard.lan".into(),
                "http://localhost:3000".into(),
                "http://192.168.1.5:8000".into(),
                "http://[::1]:8000".into(),
            ],
            tokens_for_reads: true,
            ..HostConfig::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        for token in ["", "has space", "caf\u{e9}", "a=b", "==", &"x".repeat(129)] {
            let config = HostConfig {
                tokens: vec![TokenSpec::change(token)],
                ..HostConfig::default()
            };
            assert_eq!(config.validate(), Err(ConfigError::BadToken), "{token:?}");
        }
        for host in [
            "",
            "urest.lan:80",
            "http://urest.lan",
            "a..b",
            "under_score",
            "a/b",
        ] {
            let config = HostConfig {
                allow_hosts: vec![host.into()],
                ..HostConfig::default()
            };
            assert_eq!(config.validate(), Err(ConfigError::BadHost(host.into())));
        }
        for origin in [
            "dashboard.lan",
            "https://dashboard.lan/",
            "https://dashboard.lan/app",
            "ftp://x",
            "https://",
            "https://a:99999",
            "https://a:",
            "*",
            "null",
        ] {
            let config = HostConfig {
                allow_origins: vec![origin.into()],
                ..HostConfig::default()
            };
            assert_eq!(
                config.validate(),
                Err(ConfigError::BadOrigin(origin.into()))
            );
        }
    }

    #[test]
    fn token_for_reads_needs_a_token_on_loopback() {
        let config = HostConfig {
            tokens_for_reads: true,
            ..HostConfig::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::ReadsNeedMissingToken));
        assert!(!config.needs_generated_token());
        let exposed = HostConfig {
            bind: "0.0.0.0".parse().unwrap(),
            ..config
        };
        assert_eq!(exposed.validate(), Ok(()));
        assert!(exposed.needs_generated_token());
    }

    #[test]
    fn errors_never_repeat_a_token() {
        let config = HostConfig {
            tokens: vec![TokenSpec::change("not valid hunter2")],
            ..HostConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn names_differing_only_in_case_are_refused() {
        // Routing ignores ASCII case, so the second could never be reached.
        let clash = HostConfig {
            nouns: vec![NounSpec::simple("Led0"), NounSpec::simple("led0")],
            ..HostConfig::default()
        };
        assert_eq!(
            clash.validate(),
            Err(ConfigError::DuplicateName("led0".into()))
        );
    }
}
