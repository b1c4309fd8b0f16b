//! An LED on a plain digital output that cannot fail.

use core::convert::Infallible;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_hal::digital::OutputPin;
use urest_core::nouns::SimpleLed;

/// A [`SimpleLed`] on `pin`, driven low (off) now.
///
/// For an [`embassy_rp::gpio::Output`] or any other pin whose setting cannot
/// fail, so, unlike [`SimpleLed::new`], neither can this.
///
/// Any GPIO works; the LED must light when the pin is high (pin → resistor →
/// LED → GND). An RP2040 pin sources 4 mA at its default drive strength
/// (up to 12 mA with `Output::set_drive_strength`): enough for an indicator
/// LED behind 330 Ω.
///
/// ```no_run
/// use embassy_rp::gpio::{Level, Output};
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_core::nouns::SimpleLed;
///
/// fn led_on_gp16(p: embassy_rp::Peripherals) -> SimpleLed<CriticalSectionRawMutex, Output<'static>> {
///     urest_rp::simple_led(Output::new(p.PIN_16, Level::Low))
/// }
/// ```
pub fn simple_led<M, O>(pin: O) -> SimpleLed<M, O>
where
    M: RawMutex,
    O: OutputPin<Error = Infallible>,
{
    match SimpleLed::new(pin) {
        Ok(led) => led,
        Err(never) => match never {},
    }
}
