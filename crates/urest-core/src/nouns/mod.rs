//! Ready-made nouns: the original MicroPython urest's PWM LED and simple LED,
//! and the building blocks for nouns of your own over a typed
//! [`State`](crate::state::State): [`DeviceNoun`] for hardware that changes
//! at once, [`RampNoun`] for hardware that moves slowly under a
//! [`RampController`](crate::controller::RampController), and
//! [`SensorNoun`] for readings a task publishes.

mod device;
mod pwm_led;
mod ramped;
mod sensor;
mod simple_led;

pub use device::{Device, DeviceNoun};
pub use pwm_led::PwmLed;
pub use ramped::{RampNoun, Ramped};
pub use sensor::SensorNoun;
pub use simple_led::SimpleLed;
