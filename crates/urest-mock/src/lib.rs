//! Test doubles for urest: hardware you can inspect, and time you control.
//!
//! - [`MockPwm`] implements `SetDutyCycle` and records every write, with the
//!   time it happened, in a [`Recorder`].
//! - [`MockPin`] implements `OutputPin` and can be told to fail.
//! - [`VirtualClock`] is a clock that only moves when told to.
//! - [`Simulation`] runs async code in virtual time: whenever every task is
//!   waiting, it jumps the clock to the next [`VirtualDelay`] deadline, so a
//!   ten-second ramp runs in microseconds, the same way every time.
//! - [`interleaving`] finds two ramps fighting over one output in a
//!   recording (Figure 2 of the "Concurrent API Access" note), and [`naive`] has the original MicroPython urest's lock-less
//!   ramps that make such a fight.
//!
//! Everything is `no_std` and allocation-free, so the same tests run on the
//! host and on an emulated Cortex-M.
#![no_std]
#![deny(missing_docs)]

pub mod clock;
pub mod entropy;
pub mod interleaving;
pub mod naive;
pub mod pin;
pub mod pwm;
pub mod sim;

pub use clock::VirtualClock;
pub use entropy::MockEntropy;
pub use pin::{MockPin, PinLevel};
pub use pwm::{MockPwm, MockPwmError, Recorder, Write};
pub use sim::{Simulation, Stalled, VirtualDelay};

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
