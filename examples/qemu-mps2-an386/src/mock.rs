//! The board's mock hardware: a PWM output and a pin that only log what is
//! written to them, in the same words as `urest-host`'s mock LEDs
//! (`green_led0 duty 6553/65535`, `led0 on`), so a duty log reads the same
//! from either.

use core::convert::Infallible;

use embedded_hal::digital::{self, OutputPin};
use embedded_hal::pwm::{self, SetDutyCycle};

use crate::console;

/// Full scale of the mock PWM: `urest-host`'s too.
pub const MAX_DUTY: u16 = u16::MAX;

/// A PWM output that logs every duty written to it.
pub struct LoggedPwm {
    name: &'static str,
}

impl LoggedPwm {
    pub const fn new(name: &'static str) -> LoggedPwm {
        LoggedPwm { name }
    }
}

impl pwm::ErrorType for LoggedPwm {
    type Error = Infallible;
}

impl SetDutyCycle for LoggedPwm {
    fn max_duty_cycle(&self) -> u16 {
        MAX_DUTY
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Infallible> {
        console::line(format_args!("{} duty {duty}/{MAX_DUTY}", self.name));
        Ok(())
    }
}

/// A digital output that logs every level written to it.
pub struct LoggedPin {
    name: &'static str,
}

impl LoggedPin {
    pub const fn new(name: &'static str) -> LoggedPin {
        LoggedPin { name }
    }
}

impl digital::ErrorType for LoggedPin {
    type Error = Infallible;
}

impl OutputPin for LoggedPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        console::line(format_args!("{} off", self.name));
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        console::line(format_args!("{} on", self.name));
        Ok(())
    }
}
