//! Helpers shared by the integration tests: a host on an ephemeral loopback
//! port, a real HTTP client (`ureq`), and a raw client for what real clients
//! never send.
// Each test binary uses only some of these.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::{NonZeroU16, NonZeroUsize};
use std::time::{Duration, Instant};

use serde_json::Value;
use urest_host::{HostConfig, NounSpec, Running};

/// Ramp step time in tests: a full fade of ten steps takes 30 ms.
pub const STEP: Duration = Duration::from_millis(3);

/// Longest any test waits for the host before failing.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A quiet host configuration on an ephemeral port with fast ramps.
pub fn config(nouns: &[&str]) -> HostConfig {
    HostConfig {
        port: 0,
        quiet: true,
        nouns: nouns.iter().map(|spec| parse_spec(spec)).collect(),
        steps: NonZeroU16::new(10).unwrap(),
        step_time: STEP,
        slots: NonZeroUsize::new(8).unwrap(),
        read_timeout: Duration::from_secs(5),
        ..HostConfig::default()
    }
}

fn parse_spec(spec: &str) -> NounSpec {
    spec.parse()
        .unwrap_or_else(|error| panic!("bad spec {spec}: {error}"))
}

/// Start a host for `config`.
pub fn start(config: HostConfig) -> Running {
    urest_host::start(config).expect("host starts")
}

/// One HTTP response, from either client.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The value of header `name` (any case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The `Retry-After` header in whole seconds; panics if absent or not a number.
    #[track_caller]
    pub fn retry_after_secs(&self) -> u64 {
        let value = self.header("retry-after").expect("a Retry-After header");
        value
            .parse()
            .unwrap_or_else(|_| panic!("Retry-After is not whole seconds: {value:?}"))
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {:?}", self.body))
    }

    /// Assert the status, showing the whole reply if it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "unexpected reply: {self:#?}");
        self
    }
}

/// A real HTTP client on one host: `ureq`, keeping connections alive.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    pub fn new(host: &Running) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(DEADLINE))
            .build()
            .new_agent();
        Client {
            agent,
            base: host.url(),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        reply(self.agent.get(self.url(path)).call())
    }

    pub fn head(&self, path: &str) -> Reply {
        reply(self.agent.head(self.url(path)).call())
    }

    pub fn options(&self, path: &str) -> Reply {
        reply(self.agent.options(self.url(path)).call())
    }

    pub fn delete(&self, path: &str) -> Reply {
        reply(self.agent.delete(self.url(path)).call())
    }

    pub fn put(&self, path: &str, json: &str) -> Reply {
        reply(
            self.agent
                .put(self.url(path))
                .header("Content-Type", "application/json")
                .send(json),
        )
    }

    pub fn post(&self, path: &str, json: &str) -> Reply {
        reply(
            self.agent
                .post(self.url(path))
                .header("Content-Type", "application/json")
                .send(json),
        )
    }

    /// The state of `noun`, which must answer 200.
    pub fn state(&self, noun: &str) -> Value {
        self.get(&format!("/{noun}")).expect(200).json()
    }

    /// Poll `noun` until every accepted change has run, then return its state.
    pub fn settled(&self, noun: &str) -> Value {
        eventually(&format!("{noun} settles"), || {
            let state = self.state(noun);
            // The duty reaches its end only when the last step is written;
            // `remaining_ms` alone is cut to whole milliseconds.
            let full = if state["desired"] == 1 {
                state["max_duty"].clone()
            } else {
                0.into()
            };
            let settled = state["waiting"] == 0
                && state["remaining_ms"] == 0
                && state["current"] == state["desired"]
                && state["duty"] == full;
            settled.then_some(state)
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn reply(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = result.expect("the host answers");
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .expect("a readable body");
    Reply {
        status,
        headers,
        body,
    }
}

/// A client that writes whatever bytes it is told to and parses what comes
/// back, for malformed requests, keep-alive and idle connections.
pub struct Raw {
    stream: TcpStream,
    received: Vec<u8>,
}

impl Raw {
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw {
            stream,
            received: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) -> &mut Raw {
        self.stream.write_all(bytes).expect("sends");
        self
    }

    /// Read one response whose body is as long as its `Content-Length`.
    pub fn response(&mut self) -> Reply {
        self.read_response(true)
    }

    /// Read the head of a response to `HEAD`, which has no body whatever
    /// its `Content-Length` says.
    pub fn head_response(&mut self) -> Reply {
        self.read_response(false)
    }

    /// Whether the host has closed the connection (after what was read).
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0) | Err(_))
    }

    fn read_response(&mut self, with_body: bool) -> Reply {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            match parsed
                .parse(&self.received)
                .expect("a well-formed response")
            {
                httparse::Status::Complete(head_len) => {
                    let status = parsed.code.expect("a status");
                    let headers: Vec<(String, String)> = parsed
                        .headers
                        .iter()
                        .map(|header| {
                            let value = String::from_utf8_lossy(header.value).into_owned();
                            (header.name.to_owned(), value)
                        })
                        .collect();
                    let length = if with_body {
                        content_length(&headers)
                    } else {
                        0
                    };
                    while self.received.len() < head_len + length {
                        self.fill();
                    }
                    let rest = self.received.split_off(head_len + length);
                    let body = String::from_utf8_lossy(&self.received[head_len..]).into_owned();
                    self.received = rest;
                    return Reply {
                        status,
                        headers,
                        body,
                    };
                }
                httparse::Status::Partial => self.fill(),
            }
        }
    }

    fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let read = self
            .stream
            .read(&mut chunk)
            .expect("the host answers in time");
        assert!(
            read > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&self.received)
        );
        self.received.extend_from_slice(&chunk[..read]);
    }
}

fn content_length(headers: &[(String, String)]) -> usize {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, value)| {
            value.trim().parse().expect("a numeric length")
        })
}

/// Poll `probe` every few milliseconds until it gives a value, failing the
/// test after [`DEADLINE`].
#[track_caller]
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Split a duty log into its ramps: maximal runs moving one way, each with
/// the level it started from. Repeated duties are ignored.
pub fn ramps(duties: &[u16]) -> Vec<Vec<u16>> {
    let mut ramps: Vec<Vec<u16>> = Vec::new();
    let mut previous: Option<u16> = None;
    let mut rising: Option<bool> = None;
    for &duty in duties {
        let Some(last) = previous else {
            previous = Some(duty);
            continue;
        };
        if duty == last {
            continue;
        }
        let up = duty > last;
        if rising != Some(up) {
            ramps.push(vec![last]);
            rising = Some(up);
        }
        if let Some(ramp) = ramps.last_mut() {
            ramp.push(duty);
        }
        previous = Some(duty);
    }
    ramps
}
