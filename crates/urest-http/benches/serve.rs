//! The cost of answering requests, without a network: one connection
//! carrying a batch of pipelined requests, served from memory.
//!
//! `cargo bench -p urest-http --bench serve`; results go in docs/performance.md.

use std::convert::Infallible;
use std::hint::black_box;

use embassy_futures::block_on;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{ErrorType, Read, Write};
use urest_core::controller::RampConfig;
use urest_core::nouns::PwmLed;
use urest_http::{Buffers, Config, Noun, Server};
use urest_mock::{MockPwm, Recorder, VirtualClock};

fn main() {
    divan::main();
}

/// Requests in one batch; results are per batch.
const BATCH: usize = 64;

/// A peer that sends `input` and keeps what it is sent.
struct Peer<'i> {
    input: &'i [u8],
    output: Vec<u8>,
}

impl ErrorType for Peer<'_> {
    type Error = Infallible;
}

impl Read for Peer<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let len = buf.len().min(self.input.len());
        buf[..len].copy_from_slice(&self.input[..len]);
        self.input = &self.input[len..];
        Ok(len)
    }
}

impl Write for Peer<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Timeouts never fire within one batch.
struct Never;

impl DelayNs for Never {
    async fn delay_ns(&mut self, _: u32) {
        core::future::pending::<()>().await;
    }
}

fn batch(request: &str) -> Vec<u8> {
    request.repeat(BATCH).into_bytes()
}

fn serve_batch(bencher: divan::Bencher, input: &[u8]) {
    let clock: &'static VirtualClock = Box::leak(Box::new(VirtualClock::new()));
    let recorder: Recorder<_, 4> = Recorder::new(clock);
    let led: PwmLed<NoopRawMutex, _, 8> = PwmLed::new(
        MockPwm::new(&recorder, 65_535),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let nouns = [Noun {
        name: "green_led0",
        resource: &led,
    }];
    let server = Server::new(&nouns, clock, Config::default());
    let (mut request, mut response) = ([0u8; 1024], [0u8; 1024]);
    bencher
        .counter(divan::counter::ItemsCount::new(BATCH))
        .bench_local(|| {
            let mut peer = Peer {
                input: black_box(input),
                output: Vec::with_capacity(BATCH * 400),
            };
            let mut buffers = Buffers::new(&mut request, &mut response);
            let served = block_on(server.serve(&mut peer, &mut Never, &mut buffers));
            (served.is_ok(), peer.output.len())
        });
}

#[divan::bench]
fn get_state(bencher: divan::Bencher) {
    serve_batch(
        bencher,
        &batch("GET /green_led0 HTTP/1.1\r\nHost: bench\r\n\r\n"),
    );
}

#[divan::bench]
fn put_desired(bencher: divan::Bencher) {
    // Alternating on and off, so each PUT is a real change (Fifo queues them
    // until full, then refuses with 503: both paths are typical under load).
    let on = "PUT /green_led0 HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"desired\": 1}";
    let off = on.replace("{\"desired\": 1}", "{\"desired\": 0}");
    let input: String = [on, off.as_str()].concat().repeat(BATCH / 2);
    serve_batch(bencher, input.as_bytes());
}
