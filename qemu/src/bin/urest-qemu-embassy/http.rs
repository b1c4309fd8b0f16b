//! One HTTP exchange with `urest_http::Server::serve`, over an in-memory
//! connection between two tasks.
//!
//! The server task serves a `SimpleLed` as `/led` and a PWM LED as
//! `/green_led0` on one end of a pair of embassy-sync pipes, timing out
//! with `embassy_time::Delay`; the checks play the client on the other
//! end, one request at a time.

use core::convert::Infallible;

use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::pipe::Pipe;
use embassy_sync::signal::Signal;
use embassy_time::{with_timeout, Delay};
use embedded_io_async::{ErrorType, Read, Write};
use urest_core::nouns::SimpleLed;
use urest_core::resource::Resource;
use urest_core::time::Clock;
use urest_http::httparse;
use urest_http::{Buffers, Config, Noun, Server};
use urest_mock::pin::{MockPin, PinLevel};

use crate::clock::EmbassyClock;
use crate::policies::Led;
use crate::verdict::{ensure, ensure_eq, Failure, Verdict};

/// Bytes in flight each way. Smaller than a response, so the server also
/// has to wait for the client to read.
const PIPE_BYTES: usize = 128;

type Channel = Pipe<CriticalSectionRawMutex, PIPE_BYTES>;

static TO_SERVER: Channel = Pipe::new();
static TO_CLIENT: Channel = Pipe::new();

/// The pin under the `SimpleLed` at `/led`.
static LED_PIN: PinLevel = PinLevel::new();

/// How the server's `serve` call ended.
static SERVED: Signal<CriticalSectionRawMutex, Result<(), Failure>> = Signal::new();

/// A request or response that takes longer than this has hung.
const TIME_LIMIT: embassy_time::Duration = embassy_time::Duration::from_secs(5);

/// One end of the in-memory connection: reads what the other end writes.
struct PipeEnd {
    incoming: &'static Channel,
    outgoing: &'static Channel,
}

impl ErrorType for PipeEnd {
    type Error = Infallible;
}

impl Read for PipeEnd {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        Ok(self.incoming.read(buf).await)
    }
}

impl Write for PipeEnd {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        if buf.is_empty() {
            return Ok(0);
        }
        Ok(self.outgoing.write(buf).await)
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Serves `/led` and `/green_led0` on one connection until the client
/// closes it, then reports how `serve` ended in [`SERVED`].
#[embassy_executor::task]
async fn serve(green_led0: &'static Led) {
    let led = match SimpleLed::<CriticalSectionRawMutex, _>::new(MockPin::new(&LED_PIN)) {
        Ok(led) => led,
        Err(error) => {
            SERVED.signal(Err(Failure::new(format_args!("pin failed: {error:?}"))));
            return;
        }
    };
    let nouns = [
        Noun {
            name: "led",
            resource: &led,
        },
        Noun {
            name: "green_led0",
            resource: green_led0,
        },
    ];
    let config = Config {
        read_timeout: core::time::Duration::from_secs(5),
        ..Config::default()
    };
    let server = Server::new(&nouns, EmbassyClock, config);
    // The largest request below, a body nested 400 levels deep, is about
    // 900 bytes; every response fits the smallest response buffer.
    let (mut request, mut response) = ([0u8; 1024], [0u8; Buffers::MIN_RESPONSE]);
    let mut buffers = Buffers::new(&mut request, &mut response);
    let mut connection = PipeEnd {
        incoming: &TO_SERVER,
        outgoing: &TO_CLIENT,
    };
    let served = server
        .serve(&mut connection, &mut Delay, &mut buffers)
        .await;
    SERVED.signal(served.map_err(|error| Failure::new(format_args!("serve failed: {error}"))));
}

/// The client's side of the exchange; each method is one check.
pub struct Client {
    connection: PipeEnd,
    green_led0: &'static Led,
}

/// A response as the client read it.
struct Response<'b> {
    status: u16,
    content_type: Option<&'b [u8]>,
    body: &'b [u8],
}

impl Client {
    /// Start the server task for `green_led0` and connect to it.
    pub fn connect(spawner: Spawner, green_led0: &'static Led) -> Result<Client, Failure> {
        let token = serve(green_led0)
            .map_err(|error| Failure::new(format_args!("could not spawn: {error:?}")))?;
        spawner.spawn(token);
        Ok(Client {
            connection: PipeEnd {
                incoming: &TO_CLIENT,
                outgoing: &TO_SERVER,
            },
            green_led0,
        })
    }

    /// `PUT /led {"led": 1}` answers 200 with the new state and drives the
    /// pin high.
    pub async fn put_led(&mut self) -> Verdict {
        ensure(!LED_PIN.is_high(), "the pin starts low")?;
        let request = b"PUT /led HTTP/1.1\r\nHost: qemu\r\nContent-Type: application/json\r\n\
                        Content-Length: 10\r\n\r\n{\"led\": 1}";
        let mut buf = [0u8; 256];
        let response = self.exchange(request, &mut buf).await?;
        ensure_eq(response.status, 200, "status")?;
        ensure_eq(response.body, &b"{\"led\":1}"[..], "body")?;
        ensure(LED_PIN.is_high(), "the pin is high")
    }

    /// `PUT /led {"led": "on"}` answers 422 and leaves the pin as it was.
    /// A value of the wrong type takes the general JSON decoder, the
    /// deepest path a request can take, so the stack is measured there too.
    pub async fn put_led_wrong_type(&mut self) -> Verdict {
        let before = LED_PIN.is_high();
        let request = b"PUT /led HTTP/1.1\r\nHost: qemu\r\nContent-Type: application/json\r\n\
                        Content-Length: 13\r\n\r\n{\"led\": \"on\"}";
        let mut buf = [0u8; 512];
        let response = self.exchange(request, &mut buf).await?;
        ensure_eq(response.status, 422, "status")?;
        ensure_eq(LED_PIN.is_high(), before, "the pin is unchanged")
    }

    /// `PUT /led` whose value is a list nested 400 levels deep answers 422
    /// (the wrong type) and leaves the pin as it was. Skipping the value
    /// takes no more stack for its depth: a decoder that recursed a level
    /// at a time would need tens of kilobytes here and overflow the stack.
    pub async fn put_led_deeply_nested(&mut self) -> Verdict {
        const DEPTH: usize = 400;
        const RUN: usize = 50;
        let before = LED_PIN.is_high();
        let head = heapless::format!(
            160;
            "PUT /led HTTP/1.1\r\nHost: qemu\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{{\"led\": ",
            9 + 2 * DEPTH
        );
        let head = head.map_err(|_| Failure::new(format_args!("the head does not fit")))?;
        // Sent a run at a time: the whole request would not fit this
        // program's RAM a second time.
        self.send(head.as_bytes()).await?;
        for bracket in [b'[', b']'] {
            for _ in 0..DEPTH / RUN {
                self.send(&[bracket; RUN]).await?;
            }
        }
        self.send(b"}").await?;
        let mut buf = [0u8; 512];
        let response = self.exchange(&[], &mut buf).await?;
        ensure_eq(response.status, 422, "status")?;
        ensure_eq(LED_PIN.is_high(), before, "the pin is unchanged")
    }

    /// Send `bytes` towards the server.
    async fn send(&mut self, bytes: &[u8]) -> Verdict {
        let sent = with_timeout(TIME_LIMIT, self.connection.write_all(bytes)).await;
        ensure(matches!(sent, Ok(Ok(()))), "the request was taken")
    }

    /// `PUT /led` with an `If-Match` that names another state answers 412
    /// and leaves the pin as it was. Checking the precondition reads the
    /// noun's state for its entity tag, so the stack is measured there too.
    pub async fn put_led_if_match_stale(&mut self) -> Verdict {
        let before = LED_PIN.is_high();
        let request = b"PUT /led HTTP/1.1\r\nHost: qemu\r\nContent-Type: application/json\r\n\
                        If-Match: \"0\"\r\nContent-Length: 10\r\n\r\n{\"led\": 0}";
        let mut buf = [0u8; 512];
        let response = self.exchange(request, &mut buf).await?;
        ensure_eq(response.status, 412, "status")?;
        ensure_eq(LED_PIN.is_high(), before, "the pin is unchanged")
    }

    /// `GET /green_led0` answers 200 with the PWM LED's state as JSON.
    /// Asks to close, so `serve` returns afterwards.
    pub async fn get_green_led0(&mut self) -> Verdict {
        let request = b"GET /green_led0 HTTP/1.1\r\nHost: qemu\r\nConnection: close\r\n\r\n";
        let mut buf = [0u8; 512];
        let response = self.exchange(request, &mut buf).await?;
        ensure_eq(response.status, 200, "status")?;
        ensure_eq(
            response.content_type,
            Some(&b"application/json"[..]),
            "Content-Type",
        )?;
        let mut state = [0u8; 256];
        let state = self
            .green_led0
            .get(EmbassyClock.now())
            .encode(&mut state)
            .ok()
            .and_then(|length| state.get(..length))
            .ok_or_else(|| Failure::new(format_args!("the LED's state does not encode")))?;
        ensure_eq(response.body, state, "the body is the LED's state")
    }

    /// `serve` returned without error once the client asked to close.
    pub async fn closed(&mut self) -> Verdict {
        match with_timeout(TIME_LIMIT, SERVED.wait()).await {
            Ok(served) => served,
            Err(_) => Err(Failure::new(format_args!(
                "serve still running after {TIME_LIMIT}"
            ))),
        }
    }

    /// Send `request` and read one response into `buf`.
    async fn exchange<'b>(
        &mut self,
        request: &[u8],
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, Failure> {
        let sent = with_timeout(TIME_LIMIT, self.connection.write_all(request)).await;
        ensure(matches!(sent, Ok(Ok(()))), "the request was taken")?;
        match with_timeout(TIME_LIMIT, read_response(&mut self.connection, buf)).await {
            Ok(response) => response,
            Err(_) => Err(Failure::new(format_args!(
                "no whole response within {TIME_LIMIT}"
            ))),
        }
    }
}

/// Read from `connection` into `buf` until one whole response is there.
async fn read_response<'b>(
    connection: &mut PipeEnd,
    buf: &'b mut [u8],
) -> Result<Response<'b>, Failure> {
    let mut filled = 0;
    let (head, body_length) = loop {
        let space = buf
            .get_mut(filled..)
            .filter(|space| !space.is_empty())
            .ok_or_else(|| Failure::new(format_args!("response longer than {filled} bytes")))?;
        let Ok(read) = connection.read(space).await;
        if read == 0 {
            return Err(Failure::new(format_args!("connection closed mid-response")));
        }
        filled += read;
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        let received = buf.get(..filled).unwrap_or_default();
        match response.parse(received) {
            Ok(httparse::Status::Complete(head)) => {
                let length = header(response.headers, "content-length")
                    .and_then(|value| core::str::from_utf8(value).ok())
                    .and_then(|value| value.parse::<usize>().ok())
                    .ok_or_else(|| Failure::new(format_args!("no Content-Length")))?;
                if filled >= head + length {
                    break (head, length);
                }
            }
            Ok(httparse::Status::Partial) => {}
            Err(error) => return Err(Failure::new(format_args!("bad response: {error}"))),
        }
    };
    let buf: &'b [u8] = buf;
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    // The head parsed whole above; parsing it again keeps the borrow of
    // `buf` out of the reading loop.
    let _ = response.parse(buf);
    Ok(Response {
        status: response.code.unwrap_or(0),
        content_type: header(response.headers, "content-type"),
        body: buf.get(head..head + body_length).unwrap_or_default(),
    })
}

fn header<'b>(headers: &[httparse::Header<'b>], name: &str) -> Option<&'b [u8]> {
    headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case(name))
        .map(|header| header.value)
}
