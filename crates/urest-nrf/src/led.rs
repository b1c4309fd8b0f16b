//! A `SimpleLed` on an embassy-nrf `Output`, the right way up for its wiring.

use embassy_nrf::gpio::Output;
use embassy_sync::blocking_mutex::raw::RawMutex;
use urest_core::nouns::SimpleLed;

use crate::{LedPin, Polarity};

/// The noun type [`simple_led`] returns.
pub type NrfSimpleLed<'d, M> = SimpleLed<M, LedPin<Output<'d>>>;

/// A `SimpleLed` noun on `output`, an LED wired with `polarity`: `"led": 1`
/// lights it. The LED is dark when this returns.
///
/// Create the `Output` at [`off_level`](crate::off_level) so the LED does
/// not flash before the noun takes it. Any GPIO works; P0.09/P0.10 (NFC)
/// need embassy-nrf's `nfc-pins-as-gpio` feature, and P0.18 is the reset
/// pin unless `reset-pin-as-gpio` is on.
///
/// ```no_run
/// use embassy_nrf::gpio::{Output, OutputDrive};
/// use embassy_nrf::Peripherals;
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_nrf::{off_level, simple_led, NrfSimpleLed, Polarity};
///
/// fn led2(p: Peripherals) -> NrfSimpleLed<'static, CriticalSectionRawMutex> {
///     // The nRF52840-DK's LED2 is on P0.14, lit by a low pin.
///     let pin = Output::new(p.P0_14, off_level(Polarity::ActiveLow), OutputDrive::Standard);
///     simple_led(pin, Polarity::ActiveLow)
/// }
/// ```
pub fn simple_led<M: RawMutex>(output: Output<'_>, polarity: Polarity) -> NrfSimpleLed<'_, M> {
    // Driving an embassy-nrf Output cannot fail: its error type is Infallible.
    match SimpleLed::new(LedPin::new(output, polarity)) {
        Ok(led) => led,
        Err(never) => match never {},
    }
}
