//! urest: nouns of a microcontroller behind a tiny verb–noun REST API.
//!
//! This crate gathers the layers; each is its own crate and can be used alone:
//! - [`core`]: the `Resource` trait, state attributes, ramps and the
//!   lock-guarded `RampController` with its concurrency policies;
//! - [`http`]: an HTTP/1.1 front over `embedded-io-async`;
//! - `embassy` (feature `embassy`): what an embassy firmware needs to serve
//!   them: a clock over embassy-time, fade tasks, and connection slots over
//!   embassy-net.
//!
//! Features `defmt` and `log` turn on logging through that facade in every
//! layer, and the ready observers `http::DefmtObserver` and
//! `http::LogObserver`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use urest_core as core;
#[cfg(feature = "embassy")]
pub use urest_embassy as embassy;
pub use urest_http as http;
