//! The command line of the `urest-host` binary.

use std::net::IpAddr;
use std::num::{NonZeroU16, NonZeroUsize};
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::Parser;

use crate::config::{HostConfig, NounSpec, TokenSpec};

const LONG_ABOUT: &str = "\
Serves the urest API over HTTP/1.1 with mock hardware: each noun is a path
(/green_led0) whose state is a small JSON object. Every request, and every
duty-cycle step of a fading LED, is logged to stdout with the seconds since
start. The log never slows the server: if stdout is not being read (a full
pipe, a paused terminal), lines are dropped, and a line such as
\"[  12.345] LOG: 1234 lines dropped: stdout is not being read\" says how
many once the reader catches up (or at exit; on stderr if it cannot).

Verbs:
  GET     /NAME   the state, e.g. {\"desired\":1,\"heading\":1,\"current\":0,...}
  PUT     /NAME   set it exactly: {\"desired\": 1} (pwm) or {\"led\": 1} (simple)
  POST    /NAME   update it; an empty body toggles
  DELETE  /NAME   back to off, cancelling waiting changes
  OPTIONS /NAME   the attributes and verbs; GET / lists the nouns
A change that takes time answers 202 Accepted with a ticket, the queue
position and the expected time in ms; an immediate one answers 200.

Coordinating clients (see docs/http-api.md):
  /NAME/changes/TICKET  where a change stands; DELETE cancels it
  POST /NAME/lock       lock the noun for a lease (body: ttl_ms, owner;
                        30 s by default): changes without its
                        Lock-Token header are refused 423 until the holder
                        sends DELETE /NAME/lock or the lease runs out
  Idempotency-Key: K    a retry with the same key and body is answered as
                        the first time, and applied once
  Prefer: wait=N        answer when the change is done (at most
                        --max-wait-ms), else 202 as usual
  If-Match / If-None-Match  with the ETag of a state: 412 / 304

Kinds (--noun NAME=KIND[:POLICY]):
  pwm     a PWM LED that fades in --steps steps of --step-ms each
  simple  an LED on a digital pin that switches at once

Policies, for a change that arrives while a pwm noun is fading:
  fifo     accept it (202) and run it after the ones before it, in order;
           503 with Retry-After when the queue is full
  reject   refuse it: 503 with Retry-After set to the time the fade has left
  preempt  turn round at once from the level the LED shows now, no jump

Access (see docs/security.md):
  Bound to loopback (the default), no token is needed. Bound to any other
  address without --token, the host makes up a random read-and-change
  token at start and prints it once: send it as
  Authorization: Bearer TOKEN. Tokens never appear in the request log.
  --token TOKEN        a read-and-change token (repeatable)
  --read-token TOKEN   a token that may only GET, HEAD and OPTIONS
  --token-for-reads    reads need a token too (else only changes do)
  --allow-host NAME    a DNS name the host answers to besides IP addresses
                       and localhost; other names are refused 421, which
                       stops DNS rebinding (repeatable)
  --allow-origin ORIGIN  a web origin (https://dashboard.lan) whose pages
                       may call the API: CORS preflights are answered and
                       responses carry Access-Control-Allow-Origin
                       (repeatable). Changes from other origins are 403.
  Wrong tokens: 401; a read token on a change: 403; 5 wrong tokens from one
  address within a minute: 429 with Retry-After for a minute.

Connections beyond --slots wait for one: a keep-alive connection idle for
50 ms makes way for them, a request head still arriving after half a
second is answered 408, and keep-alive connections close after their
answer once they have had 100 ms. A client that waits longer than
--queue-wait-ms is answered 503 with Retry-After: 1, once it has sent its
request. A request head must arrive within --head-timeout-ms of its first
byte in any case.
Ctrl-C or SIGTERM stops accepting, lets answers in progress finish, and
exits.

Example:
  urest-host --noun green_led0=pwm:fifo --noun red=pwm:preempt --noun led0=simple
  curl -X PUT -H 'Content-Type: application/json' -d '{\"desired\": 1}' \\
       http://127.0.0.1:8080/green_led0";

/// `urest-host`'s flags.
///
/// ```
/// use clap::Parser;
/// use urest_host::Cli;
///
/// let cli = Cli::try_parse_from(["urest-host", "--port", "0", "--noun", "red=pwm:reject"]).unwrap();
/// let config = cli.into_config();
/// assert_eq!(config.port, 0);
/// assert_eq!(config.nouns[0].to_string(), "red=pwm:reject");
/// ```
#[derive(Parser, Debug, Clone)]
#[command(
    name = "urest-host",
    version,
    about = "Serves the urest REST API on localhost with mock LEDs",
    long_about = LONG_ABOUT
)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Port to listen on; 0 picks a free one (the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// The nouns to serve, each `NAME=KIND[:POLICY]` (see [`NounSpec`]).
    #[arg(
        long = "noun",
        value_name = "NAME=KIND[:POLICY]",
        help = "A noun to serve, as NAME=KIND[:POLICY]: KIND is pwm or simple, \
                POLICY (pwm only) fifo, reject or preempt, default fifo. Repeat for \
                more nouns. Without any: green_led0=pwm:fifo and led0=simple"
    )]
    pub nouns: Vec<NounSpec>,

    /// Steps of a full off-to-on fade of pwm nouns.
    #[arg(long, default_value_t = HostConfig::DEFAULT_STEPS,
          value_parser = clap::value_parser!(u16).range(1..=1_000).try_map(steps))]
    pub steps: NonZeroU16,

    /// Milliseconds each fade step holds.
    #[arg(long, value_name = "MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub step_ms: u64,

    /// Connections served at once; more wait for a slot (see below).
    #[arg(long, default_value_t = HostConfig::DEFAULT_SLOTS)]
    pub slots: NonZeroUsize,

    /// Milliseconds a request may take to arrive whole (else it is answered
    /// 408) and an idle connection may stay open.
    #[arg(long, value_name = "MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout_ms: u64,

    /// Milliseconds a request head may take to arrive from its first byte
    /// (else it is answered 408); never more than the read timeout.
    #[arg(long, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub head_timeout_ms: u64,

    /// Milliseconds a client may wait for a free slot before it is answered
    /// 503 with Retry-After.
    #[arg(long, value_name = "MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub queue_wait_ms: u64,

    /// The longest a change is waited for when a client sends
    /// `Prefer: wait=N`, in milliseconds; 0 turns waiting off.
    #[arg(long, value_name = "MS", default_value_t = 15_000,
          value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub max_wait_ms: u64,

    /// Log nothing but the listening address.
    #[arg(long, short)]
    pub quiet: bool,

    /// A read-and-change bearer token (repeatable).
    #[arg(long = "token", value_name = "TOKEN")]
    pub tokens: Vec<String>,

    /// A bearer token that may only read (repeatable).
    #[arg(long = "read-token", value_name = "TOKEN")]
    pub read_tokens: Vec<String>,

    /// Reads (GET, HEAD, OPTIONS) need a token too.
    #[arg(long)]
    pub token_for_reads: bool,

    /// A DNS name the host answers to besides IP addresses and localhost
    /// (repeatable); requests naming other hosts are refused 421.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,

    /// A web origin whose pages may call the API (repeatable).
    #[arg(
        long = "allow-origin",
        value_name = "ORIGIN",
        help = "A web origin whose pages may call the API, e.g. https://dashboard.lan (repeatable)"
    )]
    pub allow_origins: Vec<String>,
}

fn steps(steps: u16) -> Result<NonZeroU16, &'static str> {
    NonZeroU16::new(steps).ok_or("must be at least 1")
}

impl Cli {
    /// The host configuration the flags ask for.
    pub fn into_config(self) -> HostConfig {
        let nouns = if self.nouns.is_empty() {
            NounSpec::defaults()
        } else {
            self.nouns
        };
        HostConfig {
            bind: self.bind,
            port: self.port,
            nouns,
            steps: self.steps,
            step_time: Duration::from_millis(self.step_ms),
            slots: self.slots,
            read_timeout: Duration::from_millis(self.read_timeout_ms),
            head_timeout: Duration::from_millis(self.head_timeout_ms),
            queue_wait: Duration::from_millis(self.queue_wait_ms),
            max_wait: Duration::from_millis(self.max_wait_ms),
            quiet: self.quiet,
            tokens: (self.tokens.iter().map(|token| TokenSpec::change(token)))
                .chain(self.read_tokens.iter().map(|token| TokenSpec::read(token)))
                .collect(),
            tokens_for_reads: self.token_for_reads,
            allow_hosts: self.allow_hosts,
            allow_origins: self.allow_origins,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use urest_core::controller::Policy;

    fn parse(args: &[&str]) -> Result<HostConfig, clap::Error> {
        let argv = std::iter::once("urest-host").chain(args.iter().copied());
        Cli::try_parse_from(argv).map(Cli::into_config)
    }

    #[test]
    fn defaults_are_the_original_pair() {
        assert_eq!(parse(&[]).unwrap(), HostConfig::default());
    }

    #[test]
    fn every_flag_reaches_the_config() {
        let config = parse(&[
            "--bind",
            "::1",
            "--port",
            "0",
            "--noun",
            "a=pwm:preempt",
            "--noun",
            "b=simple",
            "--steps",
            "5",
            "--step-ms",
            "3",
            "--slots",
            "9",
            "--read-timeout-ms",
            "250",
            "--quiet",
            "--token",
            "owner",
            "--read-token",
            "dash",
            "--token-for-reads",
            "--allow-host",
            "urest.lan",
            "--allow-host",
            "kitchen",
            "--allow-origin",
            "https://dashboard.lan",
        ])
        .unwrap();
        assert_eq!(config.bind, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(config.port, 0);
        assert_eq!(
            config.nouns,
            vec![NounSpec::pwm("a", Policy::Preempt), NounSpec::simple("b")]
        );
        assert_eq!(config.steps.get(), 5);
        assert_eq!(config.step_time, Duration::from_millis(3));
        assert_eq!(config.slots.get(), 9);
        assert_eq!(config.read_timeout, Duration::from_millis(250));
        assert!(config.quiet);
        assert_eq!(
            config.tokens,
            vec![TokenSpec::change("owner"), TokenSpec::read("dash")]
        );
        assert!(config.tokens_for_reads);
        assert_eq!(config.allow_hosts, ["urest.lan", "kitchen"]);
        assert_eq!(config.allow_origins, ["https://dashboard.lan"]);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        for args in [
            &["--steps", "0"][..],
            &["--steps", "1001"],
            &["--slots", "0"],
            &["--read-timeout-ms", "0"],
            &["--step-ms", "600001"],
            &["--noun", "x=pwm:lifo"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn help_describes_verbs_and_policies() {
        let help = Cli::try_parse_from(["urest-host", "--help"])
            .unwrap_err()
            .to_string();
        for word in [
            "PUT",
            "DELETE",
            "fifo",
            "reject",
            "preempt",
            "--noun",
            "--token",
            "--read-token",
            "--token-for-reads",
            "--allow-host",
            "--allow-origin",
            "421",
            "429",
        ] {
            assert!(help.contains(word), "help lacks {word}");
        }
    }
}
