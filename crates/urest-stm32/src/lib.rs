//! urest nouns on STM32 microcontrollers with embassy-stm32: a fading
//! [`PwmLed`](urest_core::nouns::PwmLed) on a timer channel and an on/off
//! [`SimpleLed`](urest_core::nouns::SimpleLed) on a GPIO output.
//!
//! - [`timer_led`] turns an embassy-stm32 `SimplePwmChannel` into a
//!   [`TimerLed`]. It switches the channel on (a bare `SimplePwmChannel`
//!   stays dark until `enable()`), and refuses with a
//!   [`TimerConfigError`] a timer whose full-on duty does not fit
//!   embedded-hal's `u16`, where embassy-stm32 itself would panic.
//! - [`pin_led`] turns a GPIO `Output` into a [`PinLed`].
//! - [`max_duty`] holds the checks behind them as pure functions, which
//!   build and test on any host.
//! - [`mac_address`] gives a board without a MAC address of its own a
//!   stable, locally administered one from the chip's unique ID.
//! - [`Stm32Entropy`] draws the lock tokens of urest's client locks from
//!   the chip's RNG peripheral, its errors reported, never retried for
//!   ever.
//!
// The example needs embassy-stm32, which a host `cargo test` (no chip
// feature) does not build: there it is shown but not compiled.
#![cfg_attr(feature = "hal", doc = "```no_run")]
#![cfg_attr(not(feature = "hal"), doc = "```ignore")]
//! use embassy_stm32::gpio::{Level, Output, OutputType, Speed};
//! use embassy_stm32::time::khz;
//! use embassy_stm32::timer::low_level::CountingMode;
//! use embassy_stm32::timer::simple_pwm::{PwmPin, SimplePwm};
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex as Cs;
//! use urest_core::controller::RampConfig;
//! use urest_stm32::{pin_led, timer_led, TimerConfigError};
//!
//! // NUCLEO-F767ZI: green LD1 on PB0 (TIM3 channel 3), blue LD2 on PB7.
//! fn leds(p: embassy_stm32::Peripherals) -> Result<(), TimerConfigError> {
//!     let pin = PwmPin::new(p.PB0, OutputType::PushPull);
//!     let pwm = SimplePwm::new(p.TIM3, None, None, Some(pin), None, khz(1), CountingMode::EdgeAlignedUp);
//!     let green = timer_led::<Cs, _, 8>(pwm.split().ch3, RampConfig::FIFO_TEN_SECOND_FADE)?;
//!     let blue = pin_led::<Cs>(Output::new(p.PB7, Level::Low, Speed::Low));
//!     // Serve both as nouns; the green one fades in a task of its own
//!     // (urest-embassy's `fade_task!`).
//!     # let _ = (green, blue);
//!     Ok(())
//! }
//! ```
//!
//! # Choosing the chip
//!
//! The adapters need embassy-stm32, which builds only for a chosen chip:
//!
//! | feature | what it enables |
//! | --- | --- |
//! | `stm32f767zi` | embassy-stm32 for the STM32F767ZI (NUCLEO-F767ZI) with `single-bank` |
//! | `stm32h743zi` | embassy-stm32 for the STM32H743ZI (NUCLEO-H743ZI, -H743ZI2) |
//! | `hal` | embassy-stm32 with no chip: enable the chip feature on embassy-stm32 in your own `Cargo.toml` |
//! | `defmt` | `defmt::Format` for the error types, and defmt in urest-core and embassy-stm32 |
//!
//! Without any of the first three only [`max_duty`] and
//! [`mac_address::from_unique_id`] are built, which is how
//! `cargo test` runs on the host.
//!
//! Chips whose flash can run as one bank or two (the STM32F76x/F77x, with
//! its nDBANK option bit) need embassy-stm32's `single-bank` or `dual-bank`
//! feature, or embassy-stm32's build script stops. `stm32f767zi` picks
//! `single-bank`, the factory setting. If you cleared nDBANK, use `hal`
//! and enable `stm32f767zi` and `dual-bank` on embassy-stm32 yourself.
//!
//! # Pin and timer constraints
//!
//! - The PWM pin must be a channel output (`TIMx_CHy`, not `CHyN`) of the
//!   timer, given to `SimplePwm::new` as that channel's `PwmPin`;
//!   embassy-stm32 checks the pairing and sets the alternate function at
//!   compile time. On the STM32F767ZI: PB0 is TIM3_CH3 (AF2), PB7 TIM4_CH2
//!   (AF2), PB14 TIM12_CH1 (AF9).
//! - A timer's channels share its frequency: up to four LEDs per timer,
//!   all at one frequency.
//! - The timer must not be the one embassy-time runs on (the
//!   `time-driver-*` feature of embassy-stm32; `time-driver-any` takes TIM12
//!   on an STM32F767ZI).
//! - The full-on duty is the timer's auto-reload value (ARR) plus one and
//!   must be at most 65 535, or [`timer_led`] refuses the channel.
//!   `SimplePwm::new` and `set_frequency` keep ARR within 16 bits on every
//!   timer, so there only ARR = 65 535 is refused; it happens when the
//!   period in timer clocks lands just at a multiple of 65 536 (move the
//!   frequency by a hertz). `set_period_*` on a 32-bit timer (TIM2, TIM5)
//!   uses all 32 bits, and any period over 65 535 counts is refused.
//! - The full-on duty is also the number of brightness steps: timer clock /
//!   frequency. 1 kHz is flicker-free and gives 54 000 steps on TIM3 of an
//!   STM32F767ZI at 216 MHz (timer clock 108 MHz).
//! - On is the pin driven high. For an LED wired from the supply to the pin
//!   (active low), call `set_polarity(OutputPolarity::ActiveLow)` on the
//!   channel before [`timer_led`], or invert in hardware for [`pin_led`].
//! - With overflow checks on (debug builds), embassy-stm32 0.6's own
//!   `max_duty_cycle` overflows for a 32-bit timer whose ARR is `u32::MAX`
//!   (a period of 2³² timer clocks: 18 s or more even at 240 MHz) before
//!   any adapter can look; with them off (release) it reads 0 and
//!   [`timer_led`] refuses it as [`TimerConfigError::NoPeriod`].
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// Without a chip the adapters are not built, so the links above to them
// cannot resolve; a build with a chip (docs.rs's) checks them.
#![cfg_attr(not(feature = "hal"), allow(rustdoc::broken_intra_doc_links))]

pub mod mac_address;
pub mod max_duty;

#[cfg(feature = "hal")]
mod entropy;
#[cfg(feature = "hal")]
mod led;
#[cfg(feature = "hal")]
mod pwm;

#[cfg(feature = "hal")]
pub use entropy::Stm32Entropy;
#[cfg(feature = "hal")]
pub use led::{pin_led, PinLed};
pub use max_duty::{DutyAboveMax, TimerConfigError};
#[cfg(feature = "hal")]
pub use pwm::{timer_led, PwmLedChannel, TimerLed};

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
