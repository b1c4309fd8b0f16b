//! urest: nouns of a microcontroller behind a tiny verb–noun REST API.
//!
//! This crate gathers the layers; each is its own crate and can be used alone:
//! - [`core`]: the `Resource` trait, state attributes, ramps and the
//!   lock-guarded `RampController` with its concurrency policies;
//! - [`http`]: an HTTP/1.1 front over `embedded-io-async`.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use urest_core as core;
pub use urest_http as http;
