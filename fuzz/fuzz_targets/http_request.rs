//! Arbitrary client bytes through `Server::serve`, the public entry point
//! that reads request heads, frames bodies and answers.
//!
//! The first input byte shapes the connection: how many bytes each read and
//! write moves, the buffer sizes, and how far the clock moves per read (so
//! some inputs run into the read timeout). The rest is what the client sends
//! before closing its side. The server must not panic, and what it sends
//! back must be a sequence of whole HTTP/1.1 responses.
#![no_main]

use core::convert::Infallible;
use core::time::Duration;

use embassy_futures::block_on;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{ErrorType, Read, Write};
use libfuzzer_sys::fuzz_target;
use urest_core::controller::RampConfig;
use urest_core::nouns::{PwmLed, SimpleLed};
use urest_http::{Buffers, Config, Noun, Server};
use urest_mock::{MockPin, MockPwm, PinLevel, Recorder, VirtualClock};

/// An in-memory connection: reads hand out `input` `chunk` bytes at a time
/// (then end of stream), writes take at most `chunk` bytes each.
struct Connection<'i> {
    input: &'i [u8],
    output: Vec<u8>,
    chunk: usize,
    clock: &'i VirtualClock,
    per_read: Duration,
}

impl ErrorType for Connection<'_> {
    type Error = Infallible;
}

impl Read for Connection<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        self.clock.advance(self.per_read);
        let len = buf.len().min(self.input.len()).min(self.chunk);
        buf[..len].copy_from_slice(&self.input[..len]);
        self.input = &self.input[len..];
        Ok(len)
    }
}

impl Write for Connection<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        let len = buf.len().min(self.chunk);
        self.output.extend_from_slice(&buf[..len]);
        Ok(len)
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// A delay that moves the virtual clock instead of waiting, so a server that
/// does wait for its deadline reaches it at once.
struct Jump<'c>(&'c VirtualClock);

impl DelayNs for Jump<'_> {
    async fn delay_ns(&mut self, ns: u32) {
        self.0.advance(Duration::from_nanos(u64::from(ns)));
    }
}

type Clock<'c> = &'c VirtualClock;

fuzz_target!(|data: &[u8]| {
    let Some((&shape, sent)) = data.split_first() else {
        return;
    };
    // Bits 0-2: bytes per read and write; 3-4: request buffer; 5: response
    // buffer; 6-7: clock advance per read.
    let chunk = [1, 2, 3, 7, 16, 64, 512, usize::MAX][usize::from(shape & 7)];
    let request_len = [192, 512, 1024, 4096][usize::from((shape >> 3) & 3)];
    let response_len = [Buffers::MIN_RESPONSE, 2048][usize::from((shape >> 5) & 1)];
    let per_read = [0, 1, 3_000, 31_000][usize::from(shape >> 6)];

    let clock = VirtualClock::new();
    let recorder: Recorder<Clock<'_>, 16> = Recorder::new(&clock);
    let pwm: PwmLed<NoopRawMutex, _, 2> = PwmLed::new(
        MockPwm::new(&recorder, 1_000),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let level = PinLevel::new();
    let led: SimpleLed<NoopRawMutex, _> =
        SimpleLed::new(MockPin::new(&level)).expect("the mock pin works");
    let nouns = [Noun::new("green_led0", &pwm), Noun::new("led", &led)];
    let server = Server::new(&nouns, &clock, Config::default());

    let mut connection = Connection {
        input: sent,
        output: Vec::new(),
        chunk,
        clock: &clock,
        per_read: Duration::from_millis(per_read),
    };
    let mut request = vec![0u8; request_len];
    let mut response = vec![0u8; response_len];
    let mut buffers = Buffers::new(&mut request, &mut response);
    // Only the connection can fail, and it does not; whatever the client
    // sent, the server ends the connection by itself.
    let _ = block_on(server.serve(&mut connection, &mut Jump(&clock), &mut buffers));

    check_responses(&connection.output);
});

/// `output` is zero or more whole responses, each `HTTP/1.1 `, a status,
/// headers with a `Content-Length`, and that many body bytes (none for a
/// 1xx, and none for the answer to a HEAD).
fn check_responses(mut output: &[u8]) {
    while !output.is_empty() {
        assert!(
            output.starts_with(b"HTTP/1.1 "),
            "not a response: {:?}",
            String::from_utf8_lossy(output)
        );
        let mut headers = [httparse_header(); 32];
        let mut parsed = urest_http::httparse::Response::new(&mut headers);
        let head_len = match parsed.parse(output) {
            Ok(urest_http::httparse::Status::Complete(len)) => len,
            other => panic!(
                "unparsable response head ({other:?}): {:?}",
                String::from_utf8_lossy(output)
            ),
        };
        let status = parsed.code.expect("a status code");
        assert!((100..600).contains(&status), "status {status}");
        let rest = &output[head_len..];
        if (100..200).contains(&status) {
            output = rest;
            continue;
        }
        let length: usize = parsed
            .headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case("content-length"))
            .map(|header| {
                core::str::from_utf8(header.value)
                    .ok()
                    .and_then(|value| value.parse().ok())
                    .expect("Content-Length is a number")
            })
            .expect("every response has a Content-Length");
        // A body is never HTTP, so the next response starting here means
        // this one answered a HEAD.
        if rest.is_empty() || rest.starts_with(b"HTTP/1.1 ") {
            output = rest;
            continue;
        }
        assert!(
            rest.len() >= length,
            "body shorter than its Content-Length {length}: {:?}",
            String::from_utf8_lossy(rest)
        );
        output = &rest[length..];
    }
}

fn httparse_header() -> urest_http::httparse::Header<'static> {
    urest_http::httparse::EMPTY_HEADER
}
