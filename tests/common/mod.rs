//! Helpers shared by the integration tests: the server under test (a host
//! on an ephemeral loopback port, or the emulated board when
//! `UREST_TEST_URL` is set: see [`board`]), a real HTTP client (`ureq`), and
//! a raw client for what real clients never send.
// Each test binary uses only some of these.
#![allow(dead_code)]

pub mod board;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::{NonZeroU16, NonZeroUsize};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;
use urest_host::{HostConfig, NounSpec, Running};

use board::Board;

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

/// The server a test talks to: a host started for it with `config`, or,
/// when `UREST_TEST_URL` is set, the emulated board reset for it (see
/// [`board`] for how the board meets `config`).
pub fn start(config: HostConfig) -> Target {
    match board::url() {
        None => Target {
            server: Server::Host(start_host(config.clone())),
            config,
            _turn: None,
        },
        Some(url) => {
            // The board's nouns are shared: one test at a time.
            static TURN: Mutex<()> = Mutex::new(());
            let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Target {
                server: Server::Board(Board::attach(url, &config)),
                config,
                _turn: Some(turn),
            }
        }
    }
}

/// Start a host for `config`, whatever `UREST_TEST_URL` says.
pub fn start_host(config: HostConfig) -> Running {
    urest_host::start(config).expect("host starts")
}

/// The server under test.
pub struct Target {
    server: Server,
    config: HostConfig,
    _turn: Option<MutexGuard<'static, ()>>,
}

enum Server {
    Host(Running),
    Board(Board),
}

impl Target {
    pub fn addr(&self) -> SocketAddr {
        match &self.server {
            Server::Host(host) => host.addr(),
            Server::Board(board) => board.addr(),
        }
    }

    pub fn url(&self) -> String {
        match &self.server {
            Server::Host(host) => host.url(),
            Server::Board(board) => board.url(),
        }
    }

    /// The mock hardware behind the nouns.
    pub fn probe(&self) -> Probe<'_> {
        Probe(&self.server)
    }

    /// Connections served at once.
    pub fn slots(&self) -> usize {
        match self.server {
            Server::Host(_) => self.config.slots.get(),
            Server::Board(_) => board::BOARD_SLOTS,
        }
    }

    /// How long a silent connection is kept.
    pub fn read_timeout(&self) -> Duration {
        match self.server {
            Server::Host(_) => self.config.read_timeout,
            Server::Board(_) => board::BOARD_READ_TIMEOUT,
        }
    }

    /// How long a client waits for a free slot before it is answered `503`.
    pub fn queue_wait(&self) -> Duration {
        match self.server {
            Server::Host(_) => self.config.queue_wait,
            Server::Board(_) => board::BOARD_QUEUE_WAIT,
        }
    }

    /// Whether this is the emulated board.
    pub fn is_board(&self) -> bool {
        matches!(self.server, Server::Board(_))
    }
}

/// What the mock hardware saw: the duties written to each PWM noun (on the
/// board, since it was reset for this test) and each pin's level.
pub struct Probe<'t>(&'t Server);

impl Probe<'_> {
    pub fn duties(&self, noun: &str) -> Option<Vec<u16>> {
        match self.0 {
            Server::Host(host) => host.probe().duties(noun),
            Server::Board(board) => board.duties(noun),
        }
    }

    pub fn is_high(&self, noun: &str) -> Option<bool> {
        match self.0 {
            Server::Host(host) => host.probe().is_high(noun),
            Server::Board(board) => board.is_high(noun),
        }
    }
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

    /// Whether this is the `503` of a server that had no free slot for
    /// the connection (nothing was served).
    pub fn is_turn_away(&self) -> bool {
        self.status == 503 && self.body.contains("every connection slot is busy")
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
    /// Try again when turned away for want of a free slot (the board:
    /// see [`board`]).
    waits_for_slot: bool,
}

impl Client {
    pub fn new(host: &Target) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(DEADLINE))
            .build()
            .new_agent();
        Client {
            agent,
            base: host.url(),
            waits_for_slot: host.is_board(),
        }
    }

    /// Make a request; on the board, again while it is turned away for
    /// want of a free slot, or (for reads only) finds the connection
    /// refused.
    fn call(
        &self,
        read_only: bool,
        request: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Reply {
        if !self.waits_for_slot {
            return reply(request());
        }
        eventually("a slot takes the request", || match request() {
            Ok(response) => Some(reply(Ok(response))).filter(|reply| !reply.is_turn_away()),
            Err(_) if read_only => None,
            Err(error) => panic!("the board answers: {error}"),
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call(true, || self.agent.get(self.url(path)).call())
    }

    /// A GET with one extra header, such as `If-None-Match`.
    pub fn get_with(&self, path: &str, name: &str, value: &str) -> Reply {
        self.call(true, || {
            self.agent.get(self.url(path)).header(name, value).call()
        })
    }

    pub fn head(&self, path: &str) -> Reply {
        self.call(true, || self.agent.head(self.url(path)).call())
    }

    pub fn options(&self, path: &str) -> Reply {
        self.call(true, || self.agent.options(self.url(path)).call())
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.call(false, || self.agent.delete(self.url(path)).call())
    }

    pub fn put(&self, path: &str, json: &str) -> Reply {
        self.call(false, || {
            self.agent
                .put(self.url(path))
                .header("Content-Type", "application/json")
                .send(json)
        })
    }

    pub fn post(&self, path: &str, json: &str) -> Reply {
        self.call(false, || {
            self.agent
                .post(self.url(path))
                .header("Content-Type", "application/json")
                .send(json)
        })
    }

    /// Any request with extra headers; a body is sent as JSON.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], json: &str) -> Reply {
        let read_only = matches!(method, "GET" | "HEAD" | "OPTIONS");
        self.call(read_only, || {
            let mut request = ureq::http::Request::builder()
                .method(method)
                .uri(self.url(path));
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if json.is_empty() && !matches!(method, "POST" | "PUT") {
                let request = request.body(()).expect("a valid request");
                self.agent.run(request)
            } else if json.is_empty() {
                // An empty body, framed by `Content-Length: 0`.
                let request = request.body(String::new()).expect("a valid request");
                self.agent.run(request)
            } else {
                let request = request
                    .header("Content-Type", "application/json")
                    .body(json.to_owned())
                    .expect("a valid request");
                self.agent.run(request)
            }
        })
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
    addr: SocketAddr,
    /// What was sent before the first answer, kept to send again on a new
    /// connection if the server had no slot for this one (on the board
    /// only: see [`board`]); `None` once answered, or when not waiting.
    unanswered: Option<Vec<u8>>,
}

impl Raw {
    /// A connection; on the board, one that waits for a free slot.
    pub fn connect(addr: SocketAddr) -> Raw {
        Raw::open(addr, board::url().is_some())
    }

    /// A connection that takes whatever answer comes first, a `503` for
    /// want of a free slot included.
    pub fn connect_once(addr: SocketAddr) -> Raw {
        Raw::open(addr, false)
    }

    fn open(addr: SocketAddr, waits_for_slot: bool) -> Raw {
        Raw {
            stream: Raw::stream(addr),
            received: Vec::new(),
            addr,
            unanswered: waits_for_slot.then(Vec::new),
        }
    }

    fn stream(addr: SocketAddr) -> TcpStream {
        let stream = TcpStream::connect(addr).expect("connects");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.set_nodelay(true).unwrap();
        stream
    }

    pub fn send(&mut self, bytes: &[u8]) -> &mut Raw {
        self.stream.write_all(bytes).expect("sends");
        if let Some(sent) = &mut self.unanswered {
            sent.extend_from_slice(bytes);
        }
        self
    }

    /// Read one response whose body is as long as its `Content-Length`.
    pub fn response(&mut self) -> Reply {
        self.read_response(true)
    }

    /// One response, or `None` if the connection ends before it is whole
    /// (a server with no slot free may refuse it).
    pub fn try_response(&mut self) -> Option<Reply> {
        self.try_read_response(true)
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
        self.try_read_response(with_body).unwrap_or_else(|| {
            panic!(
                "connection closed after {:?}",
                String::from_utf8_lossy(&self.received)
            )
        })
    }

    /// One response, or `None` if the connection ends before it is whole.
    /// A connection that waits for a slot and is turned away or refused
    /// before its first answer is opened again and sent what it had sent.
    fn try_read_response(&mut self, with_body: bool) -> Option<Reply> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let reply = self.read_one_response(with_body);
            let Some(sent) = self.unanswered.take() else {
                return reply;
            };
            match reply {
                Some(reply) if !reply.is_turn_away() => return Some(reply),
                _ if Instant::now() >= deadline => return None,
                _ => {
                    std::thread::sleep(Duration::from_millis(2));
                    self.stream = Raw::stream(self.addr);
                    self.received.clear();
                    self.stream.write_all(&sent).ok();
                    self.unanswered = Some(sent);
                }
            }
        }
    }

    fn read_one_response(&mut self, with_body: bool) -> Option<Reply> {
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
                        if !self.try_fill() {
                            return None;
                        }
                    }
                    let rest = self.received.split_off(head_len + length);
                    let body = String::from_utf8_lossy(&self.received[head_len..]).into_owned();
                    self.received = rest;
                    return Some(Reply {
                        status,
                        headers,
                        body,
                    });
                }
                httparse::Status::Partial => {
                    if !self.try_fill() {
                        return None;
                    }
                }
            }
        }
    }

    /// Send `request` on a connection of its own and read the response,
    /// trying again while the server has no slot for it: the connection is
    /// refused or closed unanswered, or answered `503` because every slot
    /// is busy. Any other answer is returned.
    pub fn once_admitted(addr: SocketAddr, request: &[u8]) -> Reply {
        eventually("a slot takes the request", || {
            let stream = TcpStream::connect(addr).ok()?;
            stream.set_read_timeout(Some(DEADLINE)).ok()?;
            stream.set_nodelay(true).ok()?;
            let mut raw = Raw {
                stream,
                received: Vec::new(),
                addr,
                unanswered: None,
            };
            raw.stream.write_all(request).ok()?;
            let reply = raw.try_read_response(true)?;
            let turned_away =
                reply.status == 503 && reply.body.contains("every connection slot is busy");
            (!turned_away).then_some(reply)
        })
    }

    fn fill(&mut self) {
        assert!(
            self.try_fill(),
            "connection closed after {:?}",
            String::from_utf8_lossy(&self.received)
        );
    }

    /// Read more; false if the connection closed, was reset, or went
    /// silent for [`DEADLINE`].
    fn try_fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(read) => {
                self.received.extend_from_slice(&chunk[..read]);
                true
            }
        }
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
