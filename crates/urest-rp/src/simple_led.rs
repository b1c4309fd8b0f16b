//! An LED on a plain GPIO output.

use embassy_rp::gpio::Output;
use embassy_sync::blocking_mutex::raw::RawMutex;
use urest_core::nouns::SimpleLed;

/// A [`SimpleLed`] on `pin`, driven low (off) now.
///
/// Any GPIO works; the LED must light when the pin is high (pin → resistor →
/// LED → GND). An RP2040 pin sources up to 12 mA when its drive strength is
/// raised (`Output::set_drive_strength`), 4 mA by default: enough for an
/// indicator LED behind 330 Ω.
///
/// Setting an RP2040 pin cannot fail, so neither can this, unlike
/// [`SimpleLed::new`] for an arbitrary pin.
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
pub fn simple_led<M: RawMutex>(pin: Output<'_>) -> SimpleLed<M, Output<'_>> {
    match SimpleLed::new(pin) {
        Ok(led) => led,
        Err(never) => match never {},
    }
}
