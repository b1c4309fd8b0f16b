//! An on/off LED on an STM32 GPIO output.

use embassy_stm32::gpio::Output;
use embassy_sync::blocking_mutex::raw::RawMutex;
use urest_core::nouns::SimpleLed;

/// A [`SimpleLed`] on an embassy-stm32 GPIO [`Output`]: what [`pin_led`]
/// builds.
pub type PinLed<'d, M> = SimpleLed<M, Output<'d>>;

/// An LED on `output`, switched off. On is the pin driven high, which suits
/// LEDs wired from the pin to ground (the Nucleo user LEDs).
///
/// `SimpleLed::new` returns the pin's error type; an STM32 output cannot
/// fail, so this returns the LED itself.
///
/// ```no_run
/// use embassy_stm32::gpio::{Level, Output, Speed};
/// use embassy_stm32::peripherals::PB7;
/// use embassy_stm32::Peri;
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_stm32::{pin_led, PinLed};
///
/// // NUCLEO-F767ZI: the blue user LED LD2 is on PB7.
/// fn blue_led(pb7: Peri<'static, PB7>) -> PinLed<'static, CriticalSectionRawMutex> {
///     pin_led(Output::new(pb7, Level::Low, Speed::Low))
/// }
/// ```
pub fn pin_led<M: RawMutex>(output: Output<'_>) -> PinLed<'_, M> {
    match SimpleLed::new(output) {
        Ok(led) => led,
        Err(never) => match never {},
    }
}
