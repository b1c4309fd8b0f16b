//! Nouns for a tiny verb–noun REST API on microcontrollers, kept correct when
//! many clients talk at once.
//!
//! A device exposes nouns (`/green_led0`) whose state is a small JSON object
//! of [`attributes`]. Verbs act on them through the object-safe
//! [`Resource`](resource::Resource) trait: GET reads, PUT sets exactly, POST
//! updates, DELETE resets. Nouns that change slowly — a PWM LED fading over
//! seconds — run their transitions through a
//! [`RampController`](controller::RampController), which owns the output
//! behind a lock so two transitions never fight over one pin, and applies
//! changes that arrive mid-transition by a [`Policy`](controller::Policy):
//! queue them (Fifo), refuse them with a retry time (Reject), or let the
//! latest win from the current level (Preempt).
//!
//! Clients that need to agree with each other use [`coord`]: client locks
//! with leases, idempotency keys, validators for conditional requests, and
//! the changes a noun accepted, as resources to list, wait for and cancel —
//! for any noun, with no code in it.
//!
//! The crate is `#![no_std]`, allocates nothing, and depends on no executor
//! or time driver: time comes in as [`Instant`](time::Instant)s, sleeping
//! through `embedded_hal_async::delay::DelayNs`.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod attributes;
pub mod controller;
pub mod coord;
pub mod decimal;
pub mod json;
pub mod nouns;
pub mod ramp;
pub mod resource;
pub mod state;
pub mod time;

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
