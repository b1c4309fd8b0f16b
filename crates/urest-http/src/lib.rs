//! An HTTP/1.1 front for urest nouns: `#![no_std]`, no allocator, generic
//! over [`embedded_io_async`] streams, so the same code serves an
//! embassy-net `TcpSocket` on a board and a socket on the host.
//!
//! A [`Server`] holds the nouns (`/green_led0` → a
//! [`Resource`](urest_core::resource::Resource)) and answers requests on
//! one connection at a time per call of [`Server::serve`]. Serve several
//! connections by calling `serve` from several tasks, each with its own
//! [`Buffers`] and delay: verbs never wait, so a slow client holds up only
//! its own connection.
//!
//! The API it serves (routes, verbs, bodies, statuses) is described in
//! [`api_reference`]. In short: `GET /` lists the nouns; `GET`, `HEAD`,
//! `PUT`, `POST`, `DELETE` and `OPTIONS` act on `/name`; changes answer
//! `200` with the state, or `202` with the state and a ticket when a slow
//! noun will complete them later; errors are RFC 9457 problem details.
//!
//! ```
//! use core::convert::Infallible;
//! use embassy_futures::block_on;
//! use embassy_sync::blocking_mutex::raw::NoopRawMutex;
//! use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
//! use embedded_hal_async::delay::DelayNs;
//! use embedded_io_async::{ErrorType, Read, Write};
//! use urest_core::nouns::SimpleLed;
//! use urest_core::time::{Clock, Instant};
//! use urest_http::{Buffers, Config, Noun, Server};
//!
//! // A pin, a clock and a delay for the example; a board has real ones.
//! struct Pin;
//! impl PinErrorType for Pin { type Error = Infallible; }
//! impl OutputPin for Pin {
//!     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
//!     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
//! }
//! struct Boot;
//! impl Clock for Boot { fn now(&self) -> Instant { Instant::ZERO } }
//! struct NoDelay;
//! impl DelayNs for NoDelay { async fn delay_ns(&mut self, _: u32) {} }
//!
//! // A connection whose peer sends one request and then closes.
//! struct Connection<'r> { input: &'r [u8], output: Vec<u8> }
//! impl ErrorType for Connection<'_> { type Error = Infallible; }
//! impl Read for Connection<'_> {
//!     async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
//!         let n = buf.len().min(self.input.len());
//!         buf[..n].copy_from_slice(&self.input[..n]);
//!         self.input = &self.input[n..];
//!         Ok(n)
//!     }
//! }
//! impl Write for Connection<'_> {
//!     async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
//!         self.output.extend_from_slice(buf);
//!         Ok(buf.len())
//!     }
//!     async fn flush(&mut self) -> Result<(), Infallible> { Ok(()) }
//! }
//!
//! let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
//! let nouns = [Noun { name: "led", resource: &led }];
//! let server = Server::new(&nouns, Boot, Config::default());
//!
//! let mut connection = Connection {
//!     input: b"PUT /led HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\n\
//!              Content-Length: 10\r\n\r\n{\"led\": 1}",
//!     output: Vec::new(),
//! };
//! let (mut request, mut response) = ([0u8; 1024], [0u8; 1024]);
//! let mut buffers = Buffers::new(&mut request, &mut response);
//! block_on(server.serve(&mut connection, &mut NoDelay, &mut buffers)).unwrap();
//!
//! let answer = String::from_utf8(connection.output).unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with("\r\n\r\n{\"led\":1}"));
//! assert!(led.is_on());
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// A [`Problem`](crate::response::Problem) with `status` whose detail is
/// the pieces (text, numbers, errors) in turn, cut to its limit: details
/// are built without `core::fmt` wherever the pieces allow.
macro_rules! problem {
    // `problem!(404 => name, ..)`: a detail that opens with `name`. The
    // problem is made with its opening text by one call, where a call to
    // make it and another to add the text were each site's.
    ($status:expr => $text:expr $(, $piece:expr)* $(,)?) => {{
        #[allow(unused_mut)]
        let mut problem = $crate::response::Problem::saying($status, $text);
        $( $crate::response::Piece::add_to($piece, &mut problem.detail); )*
        problem
    }};
    // Most details open with text as written.
    ($status:expr, $text:literal $(, $piece:expr)* $(,)?) => {
        problem!($status => $text $(, $piece)*)
    };
    ($status:expr $(, $piece:expr)* $(,)?) => {
        problem!($status => "" $(, $piece)*)
    };
}

// Without their features, access rules and coordination are still
// compiled (the server's code is the same either way) but cannot be
// reached from outside, and left out of the firmware.
#[cfg_attr(not(feature = "access"), allow(dead_code, unused_imports))]
mod access;
mod buffers;
mod byte_class;
mod config;
mod connection;
#[cfg_attr(not(feature = "coordination"), allow(dead_code))]
mod coordination;
mod dispatch;
mod error;
mod etag;
mod head;
mod head_end;
mod json;
mod locking;
mod observers;
mod response;
mod routing;
mod server;
pub mod slots;

#[doc = include_str!("../http-api.md")]
pub mod api_reference {}

#[cfg(feature = "access")]
pub use access::{constant_time_eq, Access, Limit, Scope, Token, FAILURE_TABLE_LEN};
pub use buffers::{Buffers, RESPONSE_HEAD_ROOM, SCRATCH_LEN};
pub use config::Config;
#[cfg(feature = "coordination")]
pub use coordination::{Coordination, TooFewPlaces};
pub use error::ConnectionError;
pub use head_end::HeadEnd;
#[cfg(feature = "defmt")]
pub use observers::DefmtObserver;
#[cfg(feature = "log")]
pub use observers::LogObserver;
pub use response::{write_no_free_slot, write_stopping};
pub use routing::NameClash;
pub use server::{Noun, Observer, RequestInfo, Server};
pub use slots::{Admission, AskedToYield, Phase, Slot, SlotBoard, SlotPolicy, SlotState, Unshared};

/// The HTTP parser whose [`Header`](httparse::Header) appears in
/// [`RequestInfo`].
pub use httparse;

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
