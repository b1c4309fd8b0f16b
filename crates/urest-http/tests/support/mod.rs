//! Test support: an in-memory connection, a scripted client, and mock nouns
//! served in virtual time.
#![allow(dead_code)] // Each test file uses a different part.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::task::{Poll, Waker};

use embassy_futures::join::join;
use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_io_async::{ErrorType, Read, Write};
use urest_core::controller::{Policy, RampConfig};
use urest_core::nouns::{PwmLed, SimpleLed};
use urest_core::time::Instant;
use urest_http::{Buffers, Config, ConnectionError, Noun, Server};
use urest_mock::{MockPin, MockPwm, PinLevel, Recorder, Simulation, VirtualClock};

/// One direction of an in-memory connection. A bounded pipe makes its
/// writer wait while it is full, like a socket whose peer does not read.
pub struct Pipe {
    state: RefCell<PipeState>,
}

struct PipeState {
    bytes: VecDeque<u8>,
    capacity: usize,
    closed: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl Pipe {
    pub fn new() -> Self {
        Self::bounded(usize::MAX)
    }

    pub fn bounded(capacity: usize) -> Self {
        Pipe {
            state: RefCell::new(PipeState {
                bytes: VecDeque::new(),
                capacity,
                closed: false,
                reader: None,
                writer: None,
            }),
        }
    }

    /// Close the writing side: the reader sees end of stream once drained.
    pub fn close(&self) {
        let mut state = self.state.borrow_mut();
        state.closed = true;
        if let Some(reader) = state.reader.take() {
            reader.wake();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Bytes written and not read yet.
    pub fn buffered(&self) -> usize {
        self.state.borrow().bytes.len()
    }

    pub async fn write(&self, data: &[u8]) -> usize {
        poll_fn(|context| {
            let mut state = self.state.borrow_mut();
            let room = state.capacity - state.bytes.len();
            if room == 0 && !data.is_empty() {
                state.writer = Some(context.waker().clone());
                return Poll::Pending;
            }
            let len = room.min(data.len());
            state.bytes.extend(&data[..len]);
            if let Some(reader) = state.reader.take() {
                reader.wake();
            }
            Poll::Ready(len)
        })
        .await
    }

    pub async fn read(&self, into: &mut [u8]) -> usize {
        poll_fn(|context| {
            let mut state = self.state.borrow_mut();
            if state.bytes.is_empty() {
                if state.closed {
                    return Poll::Ready(0);
                }
                state.reader = Some(context.waker().clone());
                return Poll::Pending;
            }
            let len = into.len().min(state.bytes.len());
            for (slot, byte) in into.iter_mut().zip(state.bytes.drain(..len)) {
                *slot = byte;
            }
            if let Some(writer) = state.writer.take() {
                writer.wake();
            }
            Poll::Ready(len)
        })
        .await
    }
}

/// The server's side of an in-memory connection.
pub struct ServerEnd<'p> {
    pub inbound: &'p Pipe,
    pub outbound: &'p Pipe,
}

impl ErrorType for ServerEnd<'_> {
    type Error = Infallible;
}

impl Read for ServerEnd<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Ok(self.inbound.read(buf).await)
    }
}

impl Write for ServerEnd<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        Ok(self.outbound.write(buf).await)
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Serve `end` to its end, then close the server's side of it so that its
/// client sees the end of the stream.
pub async fn serve_then_close(
    server: &Server<'_, Clock>,
    end: &mut ServerEnd<'_>,
    delay: &mut urest_mock::VirtualDelay,
    buffers: &mut Buffers<'_>,
) -> Served {
    let served = server.serve(end, delay, buffers).await;
    end.outbound.close();
    served
}

/// A response as the client saw it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("body {:?} is not JSON: {error}", self.text()))
    }

    /// The RFC 9457 checks every error response must pass.
    pub fn assert_problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "unexpected response {self:#?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert_eq!(problem["type"], "about:blank");
        assert_eq!(problem["title"], self.reason.as_str());
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|detail| !detail.is_empty()),
            "no detail in {problem}"
        );
        problem
    }
}

/// A client that writes raw bytes and reads responses, in virtual time.
pub struct Client<'p> {
    to_server: &'p Pipe,
    from_server: &'p Pipe,
    received: RefCell<Vec<u8>>,
}

impl<'p> Client<'p> {
    pub fn new(to_server: &'p Pipe, from_server: &'p Pipe) -> Self {
        Client {
            to_server,
            from_server,
            received: RefCell::new(Vec::new()),
        }
    }

    pub async fn send(&self, bytes: impl AsRef<[u8]>) {
        let mut rest = bytes.as_ref();
        while !rest.is_empty() {
            let written = self.to_server.write(rest).await;
            rest = &rest[written..];
        }
    }

    /// End the request stream, as a peer closing its socket for writing.
    pub fn close(&self) {
        self.to_server.close();
    }

    /// Read more from the server; `false` at end of stream.
    async fn fill(&self) -> bool {
        let mut chunk = [0u8; 256];
        let len = self.from_server.read(&mut chunk).await;
        self.received.borrow_mut().extend_from_slice(&chunk[..len]);
        len > 0
    }

    /// The next response, with its body unless `head_only`.
    pub async fn next_response(&self, head_only: bool) -> Response {
        loop {
            if let Some(response) = self.take_response(head_only) {
                return response;
            }
            if !self.fill().await {
                let left = String::from_utf8_lossy(&self.received.borrow()).into_owned();
                panic!("connection closed before a whole response; received {left:?}");
            }
        }
    }

    pub async fn response(&self) -> Response {
        self.next_response(false).await
    }

    pub async fn request(&self, bytes: impl AsRef<[u8]>) -> Response {
        self.send(bytes).await;
        self.response().await
    }

    /// Whether the server closed the connection with nothing more to say.
    pub async fn closed_by_server(&self) -> bool {
        while self.fill().await {}
        self.received.borrow().is_empty()
    }

    /// Everything still to come until the server closes.
    pub async fn rest(&self) -> Vec<u8> {
        while self.fill().await {}
        std::mem::take(&mut *self.received.borrow_mut())
    }

    fn take_response(&self, head_only: bool) -> Option<Response> {
        let mut received = self.received.borrow_mut();
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut headers);
        let head_len = match parsed
            .parse(&received)
            .expect("response head is valid HTTP")
        {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => return None,
        };
        let status = parsed.code.expect("status");
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8(h.value.to_vec()).expect("header is UTF-8"),
                )
            })
            .collect();
        let reason = parsed.reason.unwrap_or("").to_string();
        let informational = (100..200).contains(&status);
        // A 204 has no content and no Content-Length; nor has a 304 here.
        let body_len = if head_only || informational || status == 204 || status == 304 {
            0
        } else {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse::<usize>().expect("Content-Length is a number"))
                .expect("every response has a Content-Length")
        };
        if received.len() < head_len + body_len {
            return None;
        }
        let body = received[head_len..head_len + body_len].to_vec();
        received.drain(..head_len + body_len);
        Some(Response {
            status,
            reason,
            headers,
            body,
        })
    }
}

/// `METHOD path` with `Host` and, when there is a body, JSON headers.
pub fn request(method: &str, path: &str, body: &str) -> String {
    if body.is_empty() {
        format!("{method} {path} HTTP/1.1\r\nHost: device\r\n\r\n")
    } else {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: device\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }
}

pub fn get(path: &str) -> String {
    request("GET", path, "")
}

pub fn put(path: &str, body: &str) -> String {
    request("PUT", path, body)
}

pub fn post(path: &str, body: &str) -> String {
    request("POST", path, body)
}

/// A POST with `Content-Length: 0`, the toggle.
pub fn empty_post(path: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: device\r\nContent-Length: 0\r\n\r\n")
}

pub const RECORDING: usize = 256;
pub type Clock = &'static VirtualClock;
pub type Pwm = PwmLed<NoopRawMutex, MockPwm<'static, Clock, RECORDING>, 2>;
pub type Simple = SimpleLed<NoopRawMutex, MockPin<'static>>;
pub type Served = Result<(), ConnectionError<Infallible>>;

/// How far virtual time may run in one test.
pub const TIME_LIMIT: Instant = Instant::from_millis(3_600_000);

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Two mock nouns in a simulation: `green_led0`, a PWM LED fading in ten
/// one-second steps (full scale 1000) with a queue of two, and `led`, a
/// simple LED on a pin.
pub struct Rig {
    pub sim: &'static Simulation,
    pub recorder: &'static Recorder<Clock, RECORDING>,
    pub pwm: &'static Pwm,
    pub pin: &'static PinLevel,
    pub led: &'static Simple,
    pub nouns: &'static [Noun<'static>],
}

impl Rig {
    pub fn new(policy: Policy) -> Rig {
        let sim = leak(Simulation::new());
        let recorder = leak(Recorder::new(sim.clock()));
        let pwm: &'static Pwm = leak(PwmLed::new(
            MockPwm::new(recorder, 1_000),
            RampConfig {
                policy,
                ..RampConfig::FIFO_TEN_SECOND_FADE
            },
        ));
        let pin = leak(PinLevel::new());
        let led: &'static Simple = leak(SimpleLed::new(MockPin::new(pin)).expect("pin works"));
        let nouns = leak([
            Noun {
                name: "green_led0",
                resource: pwm,
            },
            Noun {
                name: "led",
                resource: led,
            },
        ]);
        Rig {
            sim,
            recorder,
            pwm,
            pin,
            led,
            nouns,
        }
    }

    pub fn server(&self) -> Server<'static, Clock> {
        self.server_with(Config::default())
    }

    pub fn server_with(&self, config: Config) -> Server<'static, Clock> {
        Server::new(self.nouns, self.sim.clock(), config)
    }

    pub fn now(&self) -> Instant {
        use urest_core::time::Clock as _;
        self.sim.clock().now()
    }

    /// Sleep in virtual time.
    pub async fn sleep_ms(&self, ms: u32) {
        use embedded_hal_async::delay::DelayNs as _;
        self.sim.delay().delay_ms(ms).await;
    }

    /// Serve one connection with 1 KiB + 2 KiB buffers while `script` plays
    /// the client and the PWM LED's runner applies its changes.
    pub fn serve<R>(
        &self,
        server: &Server<'_, Clock>,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> (Served, R) {
        self.serve_sized(server, 1024, 2048, script)
    }

    pub fn serve_sized<R>(
        &self,
        server: &Server<'_, Clock>,
        request_len: usize,
        response_len: usize,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> (Served, R) {
        self.serve_inner(
            server,
            None,
            &urest_http::Unshared,
            request_len,
            response_len,
            script,
        )
    }

    /// [`serve`](Self::serve) a connection from `peer`.
    pub fn serve_from<R>(
        &self,
        server: &Server<'_, Clock>,
        peer: std::net::IpAddr,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> (Served, R) {
        self.serve_inner(
            server,
            Some(peer),
            &urest_http::Unshared,
            1024,
            2048,
            script,
        )
    }

    /// Serve one connection in `slot`, as [`serve_sized`](Self::serve_sized).
    pub fn serve_in<R>(
        &self,
        server: &Server<'_, Clock>,
        slot: &impl urest_http::Slot,
        request_len: usize,
        response_len: usize,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> (Served, R) {
        self.serve_inner(server, None, slot, request_len, response_len, script)
    }

    fn serve_inner<R>(
        &self,
        server: &Server<'_, Clock>,
        peer: Option<std::net::IpAddr>,
        slot: &impl urest_http::Slot,
        request_len: usize,
        response_len: usize,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> (Served, R) {
        let to_server = Pipe::new();
        let to_client = Pipe::new();
        let client = Client::new(&to_server, &to_client);
        let mut end = ServerEnd {
            inbound: &to_server,
            outbound: &to_client,
        };
        let mut request = vec![0u8; request_len];
        let mut response = vec![0u8; response_len];
        let mut buffers = Buffers::new(&mut request, &mut response);
        let mut delay = self.sim.delay();
        let serving = async {
            let served = server
                .serve_in(peer, &mut end, &mut delay, &mut buffers, slot)
                .await;
            to_client.close();
            served
        };
        let both = join(serving, script(&client));
        match self.sim.run(TIME_LIMIT, select(both, self.runner())) {
            Ok(Either::First(results)) => results,
            Ok(Either::Second(never)) => panic!("the runner stopped: {never:?}"),
            Err(stalled) => panic!("simulation stalled: {stalled:?}"),
        }
    }

    /// Serve two connections at once, each played by its own script, while
    /// the PWM LED's runner applies the changes. Each connection ends when
    /// its script's client closes it (or its script ends).
    pub fn serve_two<R1, R2>(
        &self,
        server: &Server<'_, Clock>,
        first: impl AsyncFnOnce(&Client<'_>) -> R1,
        second: impl AsyncFnOnce(&Client<'_>) -> R2,
    ) -> (R1, R2) {
        let (to_first, from_first) = (Pipe::new(), Pipe::new());
        let (to_second, from_second) = (Pipe::new(), Pipe::new());
        let one = self.connection(server, &to_first, &from_first, first);
        let two = self.connection(server, &to_second, &from_second, second);
        match self
            .sim
            .run(TIME_LIMIT, select(join(one, two), self.runner()))
        {
            Ok(Either::First(results)) => results,
            Ok(Either::Second(never)) => panic!("the runner stopped: {never:?}"),
            Err(stalled) => panic!("simulation stalled: {stalled:?}"),
        }
    }

    /// One connection to `server` over the two pipes, played by `script`
    /// with 1 KiB + 2 KiB buffers; ends when the script's client closes it
    /// (or the script ends).
    async fn connection<R>(
        &self,
        server: &Server<'_, Clock>,
        to_server: &Pipe,
        to_client: &Pipe,
        script: impl AsyncFnOnce(&Client<'_>) -> R,
    ) -> R {
        let client = Client::new(to_server, to_client);
        let mut end = ServerEnd {
            inbound: to_server,
            outbound: to_client,
        };
        let (mut request, mut response) = (vec![0u8; 1024], vec![0u8; 2048]);
        let mut buffers = Buffers::new(&mut request, &mut response);
        let mut delay = self.sim.delay();
        let serving = async {
            let _ = server.serve(&mut end, &mut delay, &mut buffers).await;
            to_client.close();
        };
        let played = async {
            let result = script(&client).await;
            client.close();
            result
        };
        join(serving, played).await.1
    }

    /// The PWM LED's runner, which returns only on a PWM error.
    pub fn runner(&self) -> impl Future<Output = impl std::fmt::Debug> + 'static {
        let sim = self.sim;
        let pwm = self.pwm;
        async move {
            let mut delay = sim.delay();
            pwm.controller().run(sim.clock(), &mut delay).await
        }
    }
}
