//! [urest](https://crates.io/crates/urest) on the nRF52840 with embassy-nrf:
//! the `embedded_hal::pwm::SetDutyCycle` that embassy-nrf's `SimplePwm` lacks,
//! so a PWM channel can carry a fading `PwmLed`, and a `SimpleLed` on an
//! `Output`, both with the LED's polarity said out loud.
//!
// The example needs the HAL; without the feature it is shown, not compiled.
#![cfg_attr(feature = "nrf52840", doc = "```no_run")]
#![cfg_attr(not(feature = "nrf52840"), doc = "```ignore")]
//! use embassy_nrf::gpio::{Output, OutputDrive};
//! use embassy_nrf::pwm::SimplePwm;
//! use embassy_nrf::Peripherals;
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex as Cs;
//! use urest_core::controller::RampConfig;
//! use urest_core::nouns::PwmLed;
//! use urest_nrf::{led_config, off_level, simple_led, Channel, Polarity, PwmTiming, SetupError, SharedPwm};
//!
//! fn dk_leds(p: Peripherals) -> Result<(), SetupError> {
//!     // nRF52840-DK: LED1 = P0.13 and LED2 = P0.14, both lit by a low pin.
//!     let polarities = [Polarity::ActiveLow; 4];
//!     let pwm = SimplePwm::new_1ch(p.PWM0, p.P0_13, &led_config(PwmTiming::LED, polarities));
//!     let pwm: SharedPwm<'_, Cs> = SharedPwm::new(pwm, polarities)?;
//!     let green_led0: PwmLed<Cs, _, 8> =
//!         PwmLed::new(pwm.channel(Channel::Ch0)?, RampConfig::FIFO_TEN_SECOND_FADE);
//!
//!     let pin = Output::new(p.P0_14, off_level(Polarity::ActiveLow), OutputDrive::Standard);
//!     let led0 = simple_led::<Cs>(pin, Polarity::ActiveLow);
//!     # let _ = (green_led0, led0);
//!     Ok(())
//! }
//! ```
//!
//! # Constraints of the nRF52840 PWM
//!
//! - Four instances, `PWM0`..`PWM3`, each with four channels. The channels
//!   of an instance share one counter: one frequency and one resolution,
//!   each its own duty cycle and polarity. Put LEDs that need another
//!   frequency on another instance.
//! - Any GPIO can be a channel's pin (P0.09/P0.10 need embassy-nrf's
//!   `nfc-pins-as-gpio`, P0.18 is the reset pin unless `reset-pin-as-gpio`).
//! - The counter counts at 16 MHz / 2^n, n = 0..=7 (16 MHz down to
//!   125 kHz), up to its top. The hardware takes a top of 3..=32767; this
//!   crate takes 3..=32766 ([`TOP_MIN`], [`TOP_MAX`]) so that a fully-on
//!   LED is held without a one-count gap. In up mode the frequency is
//!   clock / top: about 3.8 Hz to 5.3 MHz ([`PwmTiming::for_frequency`]
//!   picks the finest divider). The up-and-down counter halves it; the duty
//!   mapping holds for both.
//! - `max_duty_cycle` is the top. [`PwmTiming::LED`], 10 kHz with top
//!   1600, is the default used by the DK firmware.
//! - A duty change waits for the PWM to load it, up to one period, while
//!   holding the [`SharedPwm`] lock (see there for the choice of mutex).
//! - The PWM runs from HFCLK. The internal 16 MHz RC oscillator is
//!   accurate to a few percent, enough for LEDs; start the crystal (USB
//!   does) for exact frequencies.
//!
//! # Polarity
//!
//! A [`Polarity`] says which pin level lights the LED. The duty cycle given
//! to a [`PwmChannel`], and `"led": 1` on a [`simple_led`], always mean
//! "lit", so an active-low LED such as the DK's LED1..LED4 does what the API
//! says. For PWM this is the channel's edge polarity (bit 15 of its decoder
//! word), not `top - duty`, so both ends are exact: see [`DutyMap`].
//!
//! # Features
//!
//! - `nrf52840` (default): the HAL parts ([`SharedPwm`], [`PwmChannel`],
//!   [`simple_led`], [`led_config`], [`off_level`], and [`NrfEntropy`],
//!   lock tokens for urest's client locks from the RNG peripheral). Without it the crate
//!   holds only the chip-free arithmetic and [`LedPin`]. Either way the
//!   unit tests run on the host: embassy-nrf compiles there, though only
//!   the arithmetic can run.
//! - `defmt`: `defmt::Format` for the public types.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bank;
mod duty;
mod polarity;
mod timing;

#[cfg(feature = "nrf52840")]
mod entropy;
#[cfg(feature = "nrf52840")]
mod led;
#[cfg(feature = "nrf52840")]
mod pwm;

pub use bank::{Channel, ChannelBank, SetupError};
pub use duty::{DutyError, DutyMap, TopError, HOLD, TOP_MAX, TOP_MIN};
pub use polarity::{LedPin, Polarity};
pub use timing::{PwmTiming, TimingError, PRESCALER_SHIFT_MAX, PWM_BASE_CLOCK_HZ};

#[cfg(feature = "nrf52840")]
pub use entropy::NrfEntropy;
#[cfg(feature = "nrf52840")]
pub use led::{simple_led, NrfSimpleLed};
#[cfg(feature = "nrf52840")]
pub use pwm::{led_config, off_level, PwmChannel, SharedPwm};

/// The examples of the README, checked as doc tests.
#[cfg(all(doctest, feature = "nrf52840"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
