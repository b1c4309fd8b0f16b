//! RP2040 outputs for [urest](urest_core) nouns, over embassy-rp.
//!
//! - [`LedPwm`]: a PWM slice and pin at a flicker-free frequency
//!   ([`DEFAULT_LED_FREQUENCY_HZ`], 1 kHz), for
//!   [`PwmLed`](urest_core::nouns::PwmLed). Its duty cycle reaches truly
//!   fully on.
//! - [`simple_led`]: a [`SimpleLed`](urest_core::nouns::SimpleLed) on a GPIO
//!   [`Output`](embassy_rp::gpio::Output), or any pin that cannot fail.
//! - [`PwmTiming`]: the divider and period for a frequency, as plain
//!   arithmetic; impossible frequencies are an error, never a panic.
//! - [`temperature`]: the on-chip temperature sensor's reading in degrees.
//! - [`RoscEntropy`]: lock tokens for urest's client locks from the ring
//!   oscillator's random bit, checked and condensed with SHA-256 (not a
//!   certified TRNG: see there).
//!
//! ```no_run
//! use embassy_rp::gpio::{Level, Output};
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex as Cs;
//! use urest_core::controller::RampConfig;
//! use urest_core::nouns::{PwmLed, SimpleLed};
//! use urest_rp::{FrequencyError, LedPwm, DEFAULT_LED_FREQUENCY_HZ};
//!
//! fn nouns(
//!     p: embassy_rp::Peripherals,
//! ) -> Result<(PwmLed<Cs, LedPwm<'static>, 8>, SimpleLed<Cs, Output<'static>>), FrequencyError> {
//!     let green = LedPwm::on_channel_b(p.PWM_SLICE7, p.PIN_15, DEFAULT_LED_FREQUENCY_HZ)?;
//!     let green = PwmLed::new(green, RampConfig::FIFO_TEN_SECOND_FADE);
//!     let red = urest_rp::simple_led(Output::new(p.PIN_16, Level::Low));
//!     Ok((green, red))
//! }
//! ```
//!
//! # Pins, slices and channels
//!
//! The RP2040 has eight PWM slices, each with two channels, A and B, sharing
//! one divider and one period. GPIO *n* belongs to slice (*n* / 2) mod 8,
//! channel A when *n* is even and B when odd; embassy-rp checks the pairing
//! when it compiles (`ChannelAPin<PWM_SLICE7>` is implemented for `PIN_14`
//! only, and so on).
//!
//! | slice | channel A | channel B |
//! | --- | --- | --- |
//! | 0 | GP0, GP16 | GP1, GP17 |
//! | 1 | GP2, GP18 | GP3, GP19 |
//! | 2 | GP4, GP20 | GP5, GP21 |
//! | 3 | GP6, GP22 | GP7, GP23 |
//! | 4 | GP8, GP24 | GP9, GP25 |
//! | 5 | GP10, GP26 | GP11, GP27 |
//! | 6 | GP12, GP28 | GP13, GP29 |
//! | 7 | GP14 | GP15 |
//!
//! - A [`LedPwm`] takes a whole slice, so at most eight of them; the
//!   slice's other pin is still free as a plain GPIO.
//! - On a Pico W, GP23, GP24, GP25 and GP29 run the radio and are not on the
//!   header; on a Pico, GP25 is the on-board LED (slice 4, channel B).
//! - The slice counts from the system clock (125 MHz by default): from
//!   there, frequencies between 8 Hz and 62.5 MHz are possible, with
//!   `clock / frequency` brightness steps at most 65 535.
//!
//! # Firmware needs
//!
//! embassy-rp needs a `critical-section` implementation: turn on its
//! `critical-section-impl` feature in the firmware, not here, so a firmware
//! that brings its own still can. Call `embassy_rp::init` before building
//! anything here: the PWM timing is computed from the system clock it sets.
#![no_std]
#![deny(missing_docs)]

mod entropy;
mod led_pwm;
mod pwm_timing;
mod simple_led;
pub mod temperature;

pub use entropy::RoscEntropy;
pub use led_pwm::{pwm_config, LedPwm};
pub use pwm_timing::{FrequencyError, PwmTiming, DEFAULT_LED_FREQUENCY_HZ};
pub use simple_led::simple_led;
