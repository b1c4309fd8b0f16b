//! The urest host server: the urest API served over TCP on a PC, with mock
//! LEDs whose every write is logged and recorded.
//!
//! The binary `urest-host` serves on `127.0.0.1:8080` by default; see
//! `urest-host --help`. The library is the same server, for tests and
//! programs: [`start`] runs a [`Host`] on its own thread and hands back a
//! [`Running`] handle with the bound address, a [`Probe`] on the mock
//! hardware, and a way to stop.
//!
//! The HTTP side is `urest-http`, the code that runs on a microcontroller,
//! here over tokio sockets through `embedded-io-adapters`. Each PWM noun's
//! ramp runner is a future of its own beside the connections; all of them
//! share one thread, because nouns are not `Sync`.
//!
//! The log (every request and every duty step, stamped with the seconds
//! since start) is made of `tracing` events with the target `urest_host`.
//! The binary writes them to stdout through a [`StdoutLog`], on a thread of
//! its own: a stdout that nobody reads (a full pipe, a paused terminal)
//! never holds up serving. The log is lossy under that back-pressure: up
//! to [`LOG_BUFFER_LINES`] lines wait, later ones are dropped, and once a
//! line finds room it is preceded by a count such as
//! `[  12.345] LOG: 1234 lines dropped: stdout is not being read`. At exit
//! the count of lines dropped since is written too, or sent to stderr if
//! stdout still cannot take it. A program using the library sees the lines
//! only through a `tracing` subscriber: its own, or a [`StdoutLog`].
//!
//! ```
//! use std::time::Duration;
//! use urest_host::HostConfig;
//!
//! let host = urest_host::start(HostConfig {
//!     port: 0,
//!     quiet: true,
//!     step_time: Duration::from_millis(1),
//!     ..HostConfig::default()
//! })?;
//! assert!(host.addr().ip().is_loopback());
//! assert_eq!(host.probe().is_high("led0"), Some(false));
//! assert!(host.probe().duties("green_led0").is_some());
//! host.stop()?;
//! # Ok::<(), urest_host::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cli;
mod clock;
mod config;
mod connection;
mod error;
mod hardware;
mod log;
mod nouns;
mod running;
mod server;
mod slots;

pub use cli::Cli;
pub use clock::{HostClock, TokioDelay};
pub use config::{ConfigError, HostConfig, NounKind, NounSpec, TokenSpec};
pub use connection::{REQUEST_BUFFER, RESPONSE_BUFFER, RETRY_AFTER_SECS};
pub use error::Error;
pub use hardware::{
    HostRecorder, LoggedPwm, RecordingPwm, SharedPin, MAX_DUTY, RECORDING_CAPACITY,
};
pub use log::{Logger, StdoutLog, LOG_BUFFER_LINES};
pub use nouns::{HostController, HostPwm, Probe, QUEUE_CAPACITY};
pub use running::{start, Running};
pub use server::Host;
