//! Serves N requests from memory through `Server::serve`, for counting the
//! instructions one request takes (scripts/measure.sh runs it under
//! valgrind for two values of N and divides the difference).
//!
//! `cargo run --release -p urest-http --example count_requests -- get 1000`
//!
//! The requests are the bytes `hey` (Go's net/http client) sends: one
//! keep-alive connection carrying them back to back, answered by a simple
//! LED on a mock pin.

use std::convert::Infallible;
use std::hint::black_box;

use embassy_futures::block_on;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{ErrorType, Read, Write};
use urest_core::nouns::SimpleLed;
use urest_core::time::{Clock, Instant};
use urest_http::{Buffers, Config, Noun, Server};
use urest_mock::{MockPin, PinLevel};

const GET: &str = "GET /led0 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: hey/0.0.1\r\n\
                   Content-Type: text/html\r\nAccept-Encoding: gzip\r\n\r\n";
const PUT_ON: &str = "PUT /led0 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: hey/0.0.1\r\n\
                      Content-Length: 9\r\nContent-Type: application/json\r\n\
                      Accept-Encoding: gzip\r\n\r\n{\"led\":1}";
const PUT_OFF: &str = "PUT /led0 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: hey/0.0.1\r\n\
                       Content-Length: 9\r\nContent-Type: application/json\r\n\
                       Accept-Encoding: gzip\r\n\r\n{\"led\":0}";

/// A peer that sends `input` and counts what it is sent.
struct Peer<'i> {
    input: &'i [u8],
    sent: usize,
}

impl ErrorType for Peer<'_> {
    type Error = Infallible;
}

impl Read for Peer<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let len = buf.len().min(self.input.len());
        let (now, rest) = self.input.split_at(len);
        buf[..len].copy_from_slice(now);
        self.input = rest;
        Ok(len)
    }
}

impl Write for Peer<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.sent += black_box(buf).len();
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Timeouts never fire.
struct Never;

impl DelayNs for Never {
    async fn delay_ns(&mut self, _: u32) {
        core::future::pending::<()>().await;
    }
}

/// Time stands still.
struct Still;

impl Clock for Still {
    fn now(&self) -> Instant {
        Instant::ZERO
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let verb = args.next().unwrap_or_else(|| "get".into());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let mut input = String::new();
    for i in 0..count {
        input.push_str(match verb.as_str() {
            "put" if i % 2 == 0 => PUT_ON,
            "put" => PUT_OFF,
            _ => GET,
        });
    }
    let pin = PinLevel::new();
    let led: SimpleLed<NoopRawMutex, MockPin<'_>> =
        SimpleLed::new(MockPin::new(&pin)).expect("the mock pin works");
    let nouns = [Noun::new("led0", &led)];
    let server = Server::new(&nouns, Still, Config::default());
    let (mut request, mut response) = ([0u8; 1024], [0u8; 1024]);
    let mut buffers = Buffers::new(&mut request, &mut response);
    let mut peer = Peer {
        input: black_box(input.as_bytes()),
        sent: 0,
    };
    let served = serve_all(&server, &mut peer, &mut buffers);
    println!(
        "{verb} x {count}: {:?}, {} bytes sent",
        served.is_ok(),
        peer.sent
    );
}

/// Serve the whole connection: the only function whose instructions
/// scripts/measure.sh counts (`--toggle-collect=*serve_all*`). Never
/// inlined, so that it stays a function callgrind can name, whatever the
/// compiler does with `block_on` inside it.
#[inline(never)]
fn serve_all(
    server: &Server<'_, Still>,
    peer: &mut Peer<'_>,
    buffers: &mut Buffers<'_>,
) -> Result<(), urest_http::ConnectionError<Infallible>> {
    block_on(server.serve(peer, &mut Never, buffers))
}
