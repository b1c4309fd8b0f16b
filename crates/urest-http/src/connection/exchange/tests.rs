//! The connection's decisions, step by step, with no stream and no
//! executor: each test plays the driver, telling the machine what a read
//! or write did and checking what it asks for next.

extern crate std;

use core::cell::Cell;
use core::time::Duration;
use std::string::String;
use std::vec::Vec;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::nouns::SimpleLed;
use urest_mock::{MockPin, PinLevel, VirtualClock};

use super::*;
use crate::{Config, Unshared};

/// A slot that counts what it is told, and says whether a client waits.
#[derive(Default)]
struct Watched {
    idle: Cell<u32>,
    head_started: Cell<u32>,
    busy: Cell<u32>,
    client_waits: Cell<bool>,
}

impl SlotReport for Watched {
    fn idle(&self) {
        self.idle.set(self.idle.get() + 1);
    }
    fn head_started(&self) {
        self.head_started.set(self.head_started.get() + 1);
    }
    fn busy(&self) {
        self.busy.set(self.busy.get() + 1);
    }
    fn close_after_answer(&self) -> bool {
        self.client_waits.get()
    }
}

/// Plays one connection against a server with one LED, `/led`.
fn with_machine(test: impl FnOnce(&mut Driver<'_, '_>)) {
    let level = PinLevel::default();
    let led: SimpleLed<NoopRawMutex, MockPin<'_>> = match SimpleLed::new(MockPin::new(&level)) {
        Ok(led) => led,
        Err(_) => panic!("a mock pin never fails unless told to"),
    };
    let nouns = [Noun::new("led", &led)];
    let clock = VirtualClock::new();
    let config = Config {
        read_timeout: Duration::from_secs(30),
        head_timeout: Duration::from_secs(5),
        ..Config::default()
    };
    let server = Server::new(&nouns, &clock, config);
    let (mut request, mut response) = ([0u8; 512], [0u8; 1024]);
    let mut buffers = Buffers::new(&mut request, &mut response);
    let slot = Watched::default();
    let mut driver = Driver {
        server: &server,
        clock: &clock,
        buffers: &mut buffers,
        slot: &slot,
        exchange: Exchange::new(None),
    };
    test(&mut driver);
}

struct Driver<'s, 'b> {
    server: &'s Server<'s, &'s VirtualClock>,
    clock: &'s VirtualClock,
    buffers: &'s mut Buffers<'b>,
    slot: &'s Watched,
    exchange: Exchange<'s>,
}

impl Driver<'_, '_> {
    fn tell(&mut self, done: Done) -> Io {
        self.server
            .advance(&mut self.exchange, self.buffers, self.slot, done)
    }

    /// Deliver `bytes` for the read the machine asked for in `io`.
    fn deliver(&mut self, io: &Io, bytes: &[u8]) -> Io {
        let Io::Read { from, .. } = io else {
            panic!("expected a read, got {io:?}");
        };
        self.buffers.request[*from..*from + bytes.len()].copy_from_slice(bytes);
        self.tell(Done::Received(Received::Data(bytes.len())))
    }

    /// The text of the write the machine asked for in `io`.
    fn written(&self, io: &Io) -> String {
        match io {
            Io::Write {
                what: Outgoing::Response(range),
                ..
            } => String::from_utf8_lossy(&self.buffers.response[range.clone()]).into_owned(),
            Io::Write {
                what: Outgoing::GoAhead,
                ..
            } => String::from("100 Continue"),
            other => panic!("expected a write, got {other:?}"),
        }
    }
}

fn is_read(io: &Io, make_way: bool) -> bool {
    matches!(io, Io::Read { make_way: asked, .. } if *asked == make_way)
}

#[test]
fn a_head_in_two_reads_is_answered_then_the_next_is_awaited() {
    with_machine(|driver| {
        let first = driver.tell(Done::Nothing);
        assert_eq!(
            first,
            Io::Read {
                from: 0,
                deadline: Instant::ZERO + Duration::from_secs(30),
                make_way: true
            },
            "an idle connection waits the read timeout"
        );
        assert_eq!(driver.slot.idle.get(), 1);
        driver.clock.advance(Duration::from_millis(10));
        let second = driver.deliver(&first, b"GET /led HTTP/1.1\r\nHo");
        assert_eq!(
            second,
            Io::Read {
                from: 21,
                deadline: Instant::from_millis(10) + Duration::from_secs(5),
                make_way: true
            },
            "once a head has started it has the head timeout"
        );
        assert_eq!(driver.slot.head_started.get(), 1);
        let answer = driver.deliver(&second, b"st: x\r\n\r\n");
        assert!(driver.written(&answer).starts_with("HTTP/1.1 200 OK\r\n"));
        assert_eq!(driver.slot.busy.get(), 1);
        let next = driver.tell(Done::Sent);
        assert!(is_read(&next, true), "keep-alive: {next:?}");
        assert_eq!(driver.slot.idle.get(), 2);
        assert_eq!(driver.tell(Done::Received(Received::Eof)), Io::End(Ok(())));
    });
}

#[test]
fn pipelined_requests_are_answered_without_reading_again() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        let two = b"GET /led HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n";
        let first = driver.deliver(&read, two);
        assert!(driver.written(&first).starts_with("HTTP/1.1 200 OK\r\n"));
        let second = driver.tell(Done::Sent);
        assert!(driver
            .written(&second)
            .starts_with("HTTP/1.1 404 Not Found\r\n"));
        // The second head was in already: the slot never idled between them.
        assert_eq!(driver.slot.idle.get(), 1);
        assert_eq!(driver.slot.head_started.get(), 2);
        assert!(is_read(&driver.tell(Done::Sent), true));
    });
}

#[test]
fn the_go_ahead_comes_before_the_body_is_read() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        let head = b"PUT /led HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                     Content-Length: 9\r\nExpect: 100-continue\r\n\r\n";
        let go_ahead = driver.deliver(&read, head);
        assert!(matches!(
            go_ahead,
            Io::Write {
                what: Outgoing::GoAhead,
                flush: true,
                ..
            }
        ));
        let body_read = driver.tell(Done::Sent);
        assert!(
            is_read(&body_read, false),
            "a body is read without making way"
        );
        let answer = driver.deliver(&body_read, br#"{"led":1}"#);
        assert!(driver.written(&answer).starts_with("HTTP/1.1 200 OK\r\n"));
    });
}

#[test]
fn a_head_that_stops_arriving_is_answered_408_and_closed() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        let more = driver.deliver(&read, b"GET /led HT");
        let refusal = driver.tell(Done::Received(Received::TimedOut));
        let text = driver.written(&refusal);
        assert!(
            text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nConnection: close\r\n"));
        assert!(is_read(&more, true));
        assert_eq!(driver.tell(Done::Sent), Io::End(Ok(())));
    });
}

#[test]
fn an_idle_connection_asked_to_make_way_just_closes() {
    with_machine(|driver| {
        driver.tell(Done::Nothing);
        assert_eq!(
            driver.tell(Done::Received(Received::MakeWay)),
            Io::End(Ok(()))
        );
    });
}

#[test]
fn a_head_still_arriving_when_asked_to_make_way_is_answered_408() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        driver.deliver(&read, b"GET /led HT");
        let refusal = driver.tell(Done::Received(Received::MakeWay));
        let text = driver.written(&refusal);
        assert!(
            text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{text}"
        );
        assert!(text.contains("another client needed this connection slot"));
        assert_eq!(driver.tell(Done::Sent), Io::End(Ok(())));
    });
}

#[test]
fn a_client_waiting_for_the_slot_makes_this_answer_the_last() {
    with_machine(|driver| {
        driver.slot.client_waits.set(true);
        let read = driver.tell(Done::Nothing);
        let answer = driver.deliver(&read, b"GET /led HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(driver
            .written(&answer)
            .contains("\r\nConnection: close\r\n"));
        assert_eq!(driver.tell(Done::Sent), Io::End(Ok(())));
    });
}

#[test]
fn a_body_too_large_is_drained_then_refused_413_and_the_connection_kept() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        let head = b"PUT /led HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                     Content-Length: 1000\r\n\r\n";
        let drain = driver.deliver(&read, head);
        assert!(matches!(
            drain,
            Io::Read {
                from: 0,
                make_way: false,
                ..
            }
        ));
        // The body and the start of the next request.
        let mut body_and_next = Vec::from([b' '; 1000]);
        body_and_next.extend_from_slice(b"GET /led HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut io = drain;
        for chunk in body_and_next.chunks(300) {
            io = driver.deliver(&io, chunk);
        }
        let text = driver.written(&io);
        assert!(
            text.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
            "{text}"
        );
        let next = driver.tell(Done::Sent);
        assert!(driver.written(&next).starts_with("HTTP/1.1 200 OK\r\n"));
    });
}

#[test]
fn an_unanswerable_head_is_refused_431_when_it_fills_the_buffer() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        let mut head = Vec::from(&b"GET /led HTTP/1.1\r\nX-Long: "[..]);
        head.resize(driver.buffers.request.len(), b'a');
        let refusal = driver.deliver(&read, &head);
        let text = driver.written(&refusal);
        assert!(text.starts_with("HTTP/1.1 431 "), "{text}");
        assert_eq!(driver.tell(Done::Sent), Io::End(Ok(())));
    });
}

#[test]
fn a_peer_closing_mid_request_is_an_error() {
    with_machine(|driver| {
        let read = driver.tell(Done::Nothing);
        driver.deliver(&read, b"GET /led HT");
        assert_eq!(
            driver.tell(Done::Received(Received::Eof)),
            Io::End(Err(ConnectionError::ClosedMidRequest))
        );
    });
}

#[test]
fn the_unshared_slot_reports_nothing_and_never_closes_early() {
    assert!(!SlotReport::close_after_answer(&Unshared));
}
