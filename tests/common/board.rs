//! The integration tests against the emulated board instead of an
//! in-process `urest-host`: `scripts/test-emulated-board.sh` boots the board
//! (`examples/qemu-mps2-an386` on QEMU) and runs the tests with
//! `UREST_TEST_URL=http://127.0.0.1:PORT` and `UREST_TEST_BOARD_LOG` (the
//! board's semihosting log, where every duty and pin change is written).
//!
//! # How the board differs from the host, in one place
//!
//! A host is started per test with the configuration the test asks for; the
//! board is built once, so what a test asks for is met like this:
//!
//! | the test asks for | on the host | on the board |
//! | --- | --- | --- |
//! | its nouns | served as asked | must be among [`BOARD_NOUNS`], which the board is built with (kind and policy checked) |
//! | a fade shape (`steps`, `step_time`) | configured | POSTed to each of its PWM nouns before the test; the board's built-in shape is the tests' default ([`super::STEP`], 10 steps), as `DELETE` restores it |
//! | a number of slots | configured | [`BOARD_SLOTS`], built in; tests that fill every slot ask [`Target::slots`](super::Target::slots) |
//! | a read timeout | configured | [`BOARD_READ_TIMEOUT`], built in; tests that wait for it ask [`Target::read_timeout`](super::Target::read_timeout) |
//! | a fresh server | a new host | every noun reset with `DELETE` and settled, and the duty log read only from there on |
//! | the duty log and pin levels | the host's `Probe` | the board's log lines (`green_led0 duty 6554/65535`, `led0 on`): the duty it rested at when reset for the test, then every one since |
//! | being stopped | `Running::stop` | not possible: [`HOST_ONLY`] tests are skipped |
//! | a connection while every slot is still busy with ones the test has just closed | never happens (the host frees a slot at once, and has more) | the tests' clients try again: `Raw` (made with `connect`) sends what it had sent on a new connection while its first answer is a `503` for want of a slot or none at all, and `Client` repeats a request turned away so (and a read that found the connection refused); the slots tests, which want the first answer whatever it is, use `Raw::connect_once` |
//! | a wait bound for a client that finds every slot busy | configured (`queue_wait`) | [`BOARD_QUEUE_WAIT`], built in; tests ask [`Target::queue_wait`](super::Target::queue_wait) |
//! | a second client while one already waits | waits as well (the host keeps up to 512 waiting) | the board's waiting room holds one client at a time; a second one is refused by its TCP stack, which QEMU's user-mode network turns into a connection closed unanswered, so the tests' clients try again, as above |
//!
//! The board also has a smaller request buffer (1024 bytes against the
//! host's 2048); the tests that overflow it send more than either holds.
//! Tests on the board run one at a time (they share its nouns), and every
//! address is 127.0.0.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use urest_host::{HostConfig, NounKind, NounSpec};

/// The nouns the board is built with for the tests, in index order
/// (`scripts/test-emulated-board.sh` reads this line).
pub const BOARD_NOUNS: &str =
    "green_led0=pwm:fifo,led0=simple,reject_led=pwm:reject,preempt_led=pwm:preempt";

/// Connection slots of the board (`http_tasks!(http, slots = 4)` in its
/// firmware).
pub const BOARD_SLOTS: usize = 4;

/// The board's read timeout (`scripts/test-emulated-board.sh` builds it
/// with `--read-timeout-ms 5000`, the host tests' default).
pub const BOARD_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client waits for a slot on the board before it is answered
/// `503` (`scripts/test-emulated-board.sh` builds it with
/// `--queue-wait-ms 2000`).
pub const BOARD_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Tests that only the host can run, and why.
pub const HOST_ONLY: &[(&str, &str)] = &[
    (
        "two_clients_take_the_lock_in_turn",
        "the emulated board has no entropy source, so no client locks (its lock routes answer 501)",
    ),
    (
        "a_client_that_dies_holding_the_lock_frees_the_noun_when_its_lease_ends",
        "the emulated board has no entropy source, so no client locks (its lock routes answer 501)",
    ),
    (
        "a_toggle_retried_with_one_key_toggles_once",
        "the emulated board keeps no idempotency keys: they live with the client locks, which need an entropy source it does not have",
    ),
    (
        "stopping_closes_idle_connections_and_returns",
        "a test cannot stop the board (scripts/emulated-board.sh does)",
    ),
    (
        "a_client_that_waits_longer_than_the_bound_is_answered_503_after_its_request",
        "it needs every slot busy with the test's own connections, and the board's slots may still be closing the previous test's (urest-embassy's tests/slots.rs checks the board's 503 over a real embassy-net stack)",
    ),
];

/// The board's URL, if the tests are to run against it.
pub fn url() -> Option<String> {
    std::env::var("UREST_TEST_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether `test` is one of [`HOST_ONLY`] and the tests run on the board;
/// says so on stderr.
pub fn skips(test: &str) -> bool {
    let Some((_, why)) = HOST_ONLY.iter().find(|(name, _)| *name == test) else {
        return false;
    };
    if url().is_none() {
        return false;
    }
    eprintln!("{test}: skipped on the board: {why}");
    true
}

/// The running board, reset for one test.
pub struct Board {
    url: String,
    addr: SocketAddr,
    log: PathBuf,
    /// Where the log stood once the board was reset for this test.
    mark: u64,
}

impl Board {
    /// Reset the board for a test that asked for `config`.
    pub fn attach(url: String, config: &HostConfig) -> Board {
        let addr = address_of(&url);
        let log = std::env::var_os("UREST_TEST_BOARD_LOG")
            .map(PathBuf::from)
            .expect(
            "UREST_TEST_BOARD_LOG names the board's log (scripts/test-emulated-board.sh sets it)",
        );
        let mut board = Board {
            url: url.trim_end_matches('/').to_owned(),
            addr,
            log,
            mark: 0,
        };
        let index = board.call("GET", "/", None).1;
        let served: Vec<(String, String, Value)> = index["nouns"]
            .as_array()
            .expect("the index lists nouns")
            .iter()
            .map(|noun| {
                let name = noun["name"].as_str().unwrap_or_default().to_owned();
                let kind = noun["kind"].as_str().unwrap_or_default().to_owned();
                (name, kind, noun["policy"].clone())
            })
            .collect();
        for spec in &config.nouns {
            let (kind, policy) = match spec.kind {
                NounKind::Pwm(policy) => ("pwm_led", Value::from(policy.name())),
                NounKind::Simple => ("simple_led", Value::Null),
            };
            assert!(
                served
                    .iter()
                    .any(|(name, k, p)| name == &spec.name && k == kind && *p == policy),
                "the board does not serve {spec}; it must be built with the nouns {BOARD_NOUNS}"
            );
        }
        // Every noun back to off, so no fade of an earlier test runs on.
        for (name, _, _) in &served {
            let (status, _) = board.call("DELETE", &format!("/{name}"), None);
            assert!(matches!(status, 200 | 202), "DELETE /{name}: {status}");
        }
        for (name, kind, _) in &served {
            if kind == "pwm_led" {
                board.settle_off(name);
            }
        }
        for spec in config.nouns.iter().filter(|spec| is_pwm(spec)) {
            let shape = format!(
                r#"{{"steps": {}, "step_ms": {}}}"#,
                config.steps,
                config.step_time.as_millis()
            );
            let (status, state) = board.call("POST", &format!("/{}", spec.name), Some(&shape));
            assert_eq!(status, 200, "POST {shape} to /{}: {state}", spec.name);
        }
        board.mark = std::fs::metadata(&board.log)
            .map(|meta| meta.len())
            .expect("the board's log is readable");
        board
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The duties written to `noun` for this test: the one it rested at
    /// when the board was reset for the test, then every one since (as a
    /// host's log starts with the level its runner starts at); `None` if
    /// the log never mentions it.
    pub fn duties(&self, noun: &str) -> Option<Vec<u16>> {
        let prefix = format!("{noun} duty ");
        let (before, since) = self.log_lines();
        let duty = |line: &String| -> Option<u16> {
            let (duty, _max) = message(line)?.strip_prefix(&prefix)?.split_once('/')?;
            duty.parse().ok()
        };
        let resting = before.iter().rev().find_map(duty)?;
        Some(
            std::iter::once(resting)
                .chain(since.iter().filter_map(duty))
                .collect(),
        )
    }

    /// Whether `noun`'s pin was last set high; `None` if the log never
    /// mentions it.
    pub fn is_high(&self, noun: &str) -> Option<bool> {
        let (on, off) = (format!("{noun} on"), format!("{noun} off"));
        let (before, since) = self.log_lines();
        before
            .iter()
            .chain(&since)
            .rev()
            .filter_map(|line| message(line))
            .find_map(|message| match message {
                m if m == on => Some(true),
                m if m == off => Some(false),
                _ => None,
            })
    }

    /// The log's lines before the mark and since.
    fn log_lines(&self) -> (Vec<String>, Vec<String>) {
        let bytes = std::fs::read(&self.log).expect("the board's log is readable");
        let mark = usize::try_from(self.mark)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let lines = |part: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(part)
                .lines()
                .map(str::to_owned)
                .collect()
        };
        (lines(&bytes[..mark]), lines(&bytes[mark..]))
    }

    /// Wait until `noun` rests at off with nothing waiting.
    fn settle_off(&self, noun: &str) {
        let deadline = Instant::now() + super::DEADLINE;
        loop {
            let (_, state) = self.call("GET", &format!("/{noun}"), None);
            let off = state["desired"] == 0
                && state["current"] == 0
                && state["duty"] == 0
                && state["waiting"] == 0
                && state["remaining_ms"] == 0;
            if off {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/{noun} did not settle at off: {state}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// One request on a connection of its own; the status and JSON body.
    /// Tried again while the board has no free slot: the connections of
    /// the test before may still be closing.
    fn call(&self, method: &str, path: &str, json: Option<&str>) -> (u16, Value) {
        super::eventually(&format!("the board answers {method} {path}"), || {
            let (status, body) = self.try_call(method, path, json)?;
            let turned_away = status == 503 && body.contains("every connection slot is busy");
            let body = serde_json::from_str(&body).unwrap_or(Value::Null);
            (!turned_away).then_some((status, body))
        })
    }

    fn try_call(&self, method: &str, path: &str, json: Option<&str>) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(self.addr).ok()?;
        stream.set_read_timeout(Some(super::DEADLINE)).ok();
        let body = json.unwrap_or_default();
        let typed = if json.is_some() {
            "Content-Type: application/json\r\n"
        } else {
            ""
        };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{typed}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).ok()?;
        let reply = String::from_utf8_lossy(&reply);
        let (head, body) = reply.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    }
}

fn is_pwm(spec: &NounSpec) -> bool {
    matches!(spec.kind, NounKind::Pwm(_))
}

/// A log line's message, after its `[   1.234] ` stamp.
fn message(line: &str) -> Option<&str> {
    let (_, message) = line.split_once("] ")?;
    Some(message)
}

/// `http://127.0.0.1:PORT[/]` as a socket address; any other host is
/// refused, so the tests never reach beyond this machine.
fn address_of(url: &str) -> SocketAddr {
    let authority = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("UREST_TEST_URL {url:?} is not http://"))
        .trim_end_matches('/');
    let addr: SocketAddr = authority
        .parse()
        .unwrap_or_else(|_| panic!("UREST_TEST_URL {url:?} is not http://127.0.0.1:PORT"));
    assert!(
        addr.ip().is_loopback(),
        "UREST_TEST_URL {url:?}: the tests only reach 127.0.0.1"
    );
    addr
}
