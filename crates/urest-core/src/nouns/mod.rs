//! Ready-made nouns: the original MicroPython urest's PWM LED and simple LED.

mod pwm_led;
mod simple_led;

pub use pwm_led::PwmLed;
pub use simple_led::SimpleLed;
