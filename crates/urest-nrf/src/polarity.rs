//! Which pin level lights an LED, and an output pin addressed as the LED it drives.

use embedded_hal::digital::{ErrorType, OutputPin, PinState};

/// Which level on the pin lights the LED.
///
/// ```
/// use urest_nrf::Polarity;
///
/// // The nRF52840-DK's LED1..LED4 hang between VDD and the pin.
/// let dk_led = Polarity::ActiveLow;
/// assert!(!dk_led.pin_high_when(true)); // lit: pin low
/// assert!(dk_led.pin_high_when(false)); // dark: pin high
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Polarity {
    /// The LED hangs between the pin and ground: a high pin lights it.
    ActiveHigh,
    /// The LED hangs between the supply and the pin: a low pin lights it
    /// (the nRF52840-DK's LED1..LED4).
    ActiveLow,
}

impl Polarity {
    /// Whether the pin is high while the LED is lit.
    ///
    /// ```
    /// use urest_nrf::Polarity;
    ///
    /// assert!(Polarity::ActiveHigh.lit_is_high());
    /// assert!(!Polarity::ActiveLow.lit_is_high());
    /// ```
    pub const fn lit_is_high(self) -> bool {
        matches!(self, Polarity::ActiveHigh)
    }

    /// Whether the pin must be high for the LED to be `lit`.
    ///
    /// ```
    /// use urest_nrf::Polarity;
    ///
    /// assert!(Polarity::ActiveHigh.pin_high_when(true));
    /// assert!(Polarity::ActiveLow.pin_high_when(false));
    /// ```
    pub const fn pin_high_when(self, lit: bool) -> bool {
        lit == self.lit_is_high()
    }
}

/// An output pin addressed as the LED it drives: `set_high` lights the LED
/// and `set_low` darkens it, whatever the wiring.
///
/// `urest_core::nouns::SimpleLed` drives its pin high for "on"; give it a
/// `LedPin` and an active-low LED is on when the API says so.
///
/// ```
/// use core::convert::Infallible;
/// use embedded_hal::digital::{ErrorType, OutputPin};
/// use urest_nrf::{LedPin, Polarity};
///
/// /// Remembers the level it was last driven to.
/// struct Pin(bool);
/// impl ErrorType for Pin { type Error = Infallible; }
/// impl OutputPin for Pin {
///     fn set_low(&mut self) -> Result<(), Infallible> { self.0 = false; Ok(()) }
///     fn set_high(&mut self) -> Result<(), Infallible> { self.0 = true; Ok(()) }
/// }
///
/// let mut led = LedPin::new(Pin(true), Polarity::ActiveLow);
/// led.set_high().unwrap(); // light it
/// assert!(!led.into_inner().0); // by pulling the pin low
/// ```
#[derive(Debug)]
pub struct LedPin<P> {
    pin: P,
    polarity: Polarity,
}

impl<P: OutputPin> LedPin<P> {
    /// The LED on `pin`, wired with `polarity`. The pin is left as it is
    /// until the first write.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use embedded_hal::digital::{ErrorType, OutputPin};
    /// use urest_nrf::{LedPin, Polarity};
    ///
    /// struct Pin;
    /// impl ErrorType for Pin { type Error = Infallible; }
    /// impl OutputPin for Pin {
    ///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    ///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// }
    ///
    /// let led = LedPin::new(Pin, Polarity::ActiveHigh);
    /// assert_eq!(led.polarity(), Polarity::ActiveHigh);
    /// ```
    pub fn new(pin: P, polarity: Polarity) -> Self {
        LedPin { pin, polarity }
    }

    /// How the LED is wired.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use embedded_hal::digital::{ErrorType, OutputPin};
    /// use urest_nrf::{LedPin, Polarity};
    ///
    /// struct Pin;
    /// impl ErrorType for Pin { type Error = Infallible; }
    /// impl OutputPin for Pin {
    ///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    ///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// }
    ///
    /// assert_eq!(LedPin::new(Pin, Polarity::ActiveLow).polarity(), Polarity::ActiveLow);
    /// ```
    pub fn polarity(&self) -> Polarity {
        self.polarity
    }

    /// The pin back.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use embedded_hal::digital::{ErrorType, OutputPin};
    /// use urest_nrf::{LedPin, Polarity};
    ///
    /// struct Pin(u8);
    /// impl ErrorType for Pin { type Error = Infallible; }
    /// impl OutputPin for Pin {
    ///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
    ///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
    /// }
    ///
    /// assert_eq!(LedPin::new(Pin(7), Polarity::ActiveLow).into_inner().0, 7);
    /// ```
    pub fn into_inner(self) -> P {
        self.pin
    }

    fn light(&mut self, lit: bool) -> Result<(), P::Error> {
        self.pin
            .set_state(PinState::from(self.polarity.pin_high_when(lit)))
    }
}

impl<P: OutputPin> ErrorType for LedPin<P> {
    type Error = P::Error;
}

impl<P: OutputPin> OutputPin for LedPin<P> {
    /// Darken the LED.
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.light(false)
    }

    /// Light the LED.
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.light(true)
    }
}

#[cfg(test)]
mod tests {
    use core::cell::Cell;
    use core::convert::Infallible;

    use super::*;

    /// Shows the level last driven, `None` before the first write.
    struct Probe<'a>(&'a Cell<Option<bool>>);

    impl ErrorType for Probe<'_> {
        type Error = Infallible;
    }

    impl OutputPin for Probe<'_> {
        fn set_low(&mut self) -> Result<(), Infallible> {
            self.0.set(Some(false));
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            self.0.set(Some(true));
            Ok(())
        }
    }

    fn pin_after(polarity: Polarity, lit: bool) -> Option<bool> {
        let level = Cell::new(None);
        let mut led = LedPin::new(Probe(&level), polarity);
        let _ = if lit { led.set_high() } else { led.set_low() };
        level.get()
    }

    #[test]
    fn active_high_follows_the_led() {
        assert_eq!(pin_after(Polarity::ActiveHigh, true), Some(true));
        assert_eq!(pin_after(Polarity::ActiveHigh, false), Some(false));
    }

    #[test]
    fn active_low_inverts_the_led() {
        assert_eq!(pin_after(Polarity::ActiveLow, true), Some(false));
        assert_eq!(pin_after(Polarity::ActiveLow, false), Some(true));
    }

    #[test]
    fn construction_leaves_the_pin_alone() {
        let level = Cell::new(None);
        let _led = LedPin::new(Probe(&level), Polarity::ActiveLow);
        assert_eq!(level.get(), None);
    }

    #[test]
    fn simple_led_on_an_active_low_pin() {
        use embassy_sync::blocking_mutex::raw::NoopRawMutex;
        use urest_core::attributes::{Attributes, Value};
        use urest_core::nouns::SimpleLed;
        use urest_core::resource::Resource;
        use urest_core::time::Instant;

        let level = Cell::new(None);
        let led: SimpleLed<NoopRawMutex, _> =
            match SimpleLed::new(LedPin::new(Probe(&level), Polarity::ActiveLow)) {
                Ok(led) => led,
                Err(never) => match never {},
            };
        assert_eq!(level.get(), Some(true), "starts off: pin high");

        let mut on = Attributes::new();
        on.set("led", Value::Int(1)).unwrap();
        led.put(&on, Instant::ZERO).unwrap();
        assert_eq!(led.get(Instant::ZERO).int("led"), Some(1));
        assert_eq!(level.get(), Some(false), "on: pin low");

        led.delete(Instant::ZERO).unwrap();
        assert_eq!(level.get(), Some(true), "deleted: off, pin high");
    }
}
