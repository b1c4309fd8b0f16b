//! Serve urest nouns from an [embassy](https://embassy.dev) firmware.
//!
//! Everything a board needs besides its own setup and nouns:
//!
//! - [`EmbassyClock`]: urest's clock over embassy-time.
//! - [`Fading`]: the task body that applies a slow noun's transitions, and
//!   [`fade_task!`] to declare that task for a noun type.
//! - [`Service`]: connection slots over embassy-net TCP sockets (accept,
//!   serve with keep-alive, close cleanly and flush), and a `503` with
//!   `Retry-After` for a client that finds every slot busy, as
//!   the [HTTP API](urest_http::api_reference) promises; [`http_tasks!`] declares the
//!   slot tasks and spawns them. `Service::with_coordination` (feature
//!   `coordination`, on by default) adds client locks and idempotency
//!   keys, with lock tokens from the board's RNG.
//! - Re-exports of what a firmware must name ([`CriticalSectionRawMutex`],
//!   [`urest_core`], [`urest_http`], [`embassy_net`]), so its versions
//!   always match this crate's.
//!
//! Features: `defmt` and `log` log connection events through that facade
//! and turn on `urest_http::DefmtObserver` or `urest_http::LogObserver`,
//! which log every request and response.
//!
//! # A firmware's urest glue
//!
//! ```no_run
//! use embassy_executor::Spawner;
//! use embassy_net::Stack;
//! use static_cell::StaticCell;
//! use urest_embassy::urest_core::controller::RampConfig;
//! use urest_embassy::urest_core::nouns::PwmLed;
//! use urest_embassy::urest_http::{Config, Noun};
//! use urest_embassy::{CriticalSectionRawMutex, Service};
//! # use core::convert::Infallible;
//! # use embedded_hal::pwm::{ErrorType, SetDutyCycle};
//! # pub struct BoardPwm;
//! # impl ErrorType for BoardPwm { type Error = Infallible; }
//! # impl SetDutyCycle for BoardPwm {
//! #     fn max_duty_cycle(&self) -> u16 { 1000 }
//! #     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
//! # }
//!
//! // Any `embedded_hal::pwm::SetDutyCycle`: see urest-rp, urest-nrf, urest-stm32.
//! type GreenLed = PwmLed<CriticalSectionRawMutex, BoardPwm, 8>;
//!
//! urest_embassy::fade_task!(fade_green_led0, GreenLed);
//! urest_embassy::http_tasks!(http, slots = 4);
//!
//! static GREEN_LED0: StaticCell<GreenLed> = StaticCell::new();
//! static NOUNS: StaticCell<[Noun<'static>; 1]> = StaticCell::new();
//! static SERVICE: StaticCell<Service<'static>> = StaticCell::new();
//!
//! /// Called once the board is set up and its network stack runs.
//! fn serve(spawner: Spawner, pwm: BoardPwm, stack: Stack<'static>)
//!     -> Result<(), embassy_executor::SpawnError>
//! {
//!     let green = GREEN_LED0.init(PwmLed::new(pwm, RampConfig::FIFO_TEN_SECOND_FADE));
//!     let nouns = NOUNS.init([Noun { name: "green_led0", resource: green }]);
//!     let service = SERVICE.init(Service::new(nouns, Config::default()));
//!     spawner.spawn(fade_green_led0(green)?);
//!     http::spawn(spawner, service, stack)
//! }
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod clock;
mod fade;
mod logging;
mod macros;
mod service;
mod slots;

pub use clock::EmbassyClock;
pub use fade::Fading;
pub use service::{
    Service, DEFAULT_PORT, DEFAULT_REQUEST_BUFFER, DEFAULT_RESPONSE_BUFFER, DEFAULT_SOCKET_BUFFER,
    TURN_AWAY_RETRY_AFTER_SECS,
};
pub use slots::{Occupancy, MAX_SLOTS};
pub use urest_http::HeadEnd;

pub use embassy_net;
pub use embassy_sync::blocking_mutex::raw::{CriticalSectionRawMutex, NoopRawMutex, RawMutex};
pub use urest_core;
pub use urest_http;

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
