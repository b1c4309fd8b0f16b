//! What a host serves and how: the options behind the command-line flags.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::num::{NonZeroU16, NonZeroUsize};
use std::str::FromStr;
use std::time::Duration;

use urest_core::controller::Policy;
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
    /// Log nothing. Otherwise every request and duty step is a `tracing`
    /// event (target `urest_host`), written to stdout once a
    /// [`StdoutLog`](crate::StdoutLog) is installed, as the binary does.
    pub quiet: bool,
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

    /// Check that there is something to serve and no name is used twice
    /// (in any case: routing ignores case).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.nouns.is_empty() {
            return Err(ConfigError::NoNouns);
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
        Ok(())
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
            quiet: false,
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
