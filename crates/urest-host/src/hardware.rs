//! The mock hardware behind the host's nouns: outputs that record what is
//! written to them where tests can read it, and log each write.
//!
//! `urest-mock`'s `MockPwm` and `MockPin` borrow their recorder and level.
//! The host's nouns live on the server thread while tests read recordings
//! from theirs, so the outputs here own a shared handle instead and lend it
//! to a mock for each write.

use std::sync::Arc;

use embedded_hal::digital::{self, OutputPin};
use embedded_hal::pwm::{self, SetDutyCycle};
use urest_mock::pin::MockPinError;
use urest_mock::{MockPin, MockPwm, MockPwmError, PinLevel, Recorder};

use crate::clock::HostClock;
use crate::log::Logger;

/// How many writes a PWM noun's recording keeps; later ones are counted as
/// dropped. Enough for hundreds of full ramps at the default ten steps.
pub const RECORDING_CAPACITY: usize = 4096;

/// The recording of one PWM noun's writes, stamped by the host's clock.
pub type HostRecorder = Recorder<HostClock, RECORDING_CAPACITY>;

/// Full scale of the host's PWM outputs: a 16-bit timer, as on the original MicroPython urest's
/// board.
pub const MAX_DUTY: u16 = u16::MAX;

/// A mock PWM channel that records into a shared [`HostRecorder`].
///
/// ```
/// use std::sync::Arc;
/// use embedded_hal::pwm::SetDutyCycle;
/// use urest_host::{HostClock, HostRecorder, RecordingPwm};
///
/// let recorder = Arc::new(HostRecorder::new(HostClock::new()));
/// let mut pwm = RecordingPwm::new(recorder.clone(), 1_000);
/// pwm.set_duty_cycle(250).unwrap();
/// assert_eq!(recorder.duties().as_slice(), &[250]);
/// ```
pub struct RecordingPwm {
    recorder: Arc<HostRecorder>,
    max_duty: u16,
}

impl RecordingPwm {
    /// A channel with full scale `max_duty` recording into `recorder`.
    pub fn new(recorder: Arc<HostRecorder>, max_duty: u16) -> Self {
        RecordingPwm { recorder, max_duty }
    }
}

impl pwm::ErrorType for RecordingPwm {
    type Error = MockPwmError;
}

impl SetDutyCycle for RecordingPwm {
    fn max_duty_cycle(&self) -> u16 {
        self.max_duty
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), MockPwmError> {
        MockPwm::new(&self.recorder, self.max_duty).set_duty_cycle(duty)
    }
}

/// A PWM channel that logs every duty it is given, as
/// `green_led0 duty 6554/65535`.
///
/// ```
/// use embedded_hal::pwm::SetDutyCycle;
/// use std::sync::Arc;
/// use urest_host::{HostClock, HostRecorder, LoggedPwm, Logger, RecordingPwm};
///
/// let clock = HostClock::new();
/// let recorder = Arc::new(HostRecorder::new(clock));
/// let inner = RecordingPwm::new(recorder.clone(), 100);
/// let mut pwm = LoggedPwm::new("green_led0", inner, Logger::new(clock, true));
/// pwm.set_duty_cycle(50).unwrap();
/// assert_eq!(pwm.max_duty_cycle(), 100);
/// assert_eq!(recorder.duties().as_slice(), &[50]);
/// ```
pub struct LoggedPwm<P> {
    name: String,
    inner: P,
    logger: Logger,
}

impl<P: SetDutyCycle> LoggedPwm<P> {
    /// Log writes to `inner` under `name`.
    pub fn new(name: &str, inner: P, logger: Logger) -> Self {
        LoggedPwm {
            name: name.to_owned(),
            inner,
            logger,
        }
    }
}

impl<P: SetDutyCycle> pwm::ErrorType for LoggedPwm<P> {
    type Error = P::Error;
}

impl<P: SetDutyCycle> SetDutyCycle for LoggedPwm<P> {
    fn max_duty_cycle(&self) -> u16 {
        self.inner.max_duty_cycle()
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), P::Error> {
        let result = self.inner.set_duty_cycle(duty);
        let max = self.inner.max_duty_cycle();
        match &result {
            Ok(()) => self
                .logger
                .log(format_args!("{} duty {duty}/{max}", self.name)),
            Err(error) => self.logger.log(format_args!(
                "{} duty {duty}/{max} failed: {:?}",
                self.name,
                pwm::Error::kind(error)
            )),
        }
        result
    }
}

/// A mock output pin driving a shared [`PinLevel`], logging each change as
/// `led0 on` / `led0 off`.
///
/// ```
/// use std::sync::Arc;
/// use embedded_hal::digital::OutputPin;
/// use urest_host::{HostClock, Logger, SharedPin};
/// use urest_mock::PinLevel;
///
/// let level = Arc::new(PinLevel::new());
/// let mut pin = SharedPin::new("led0", level.clone(), Logger::new(HostClock::new(), true));
/// pin.set_high().unwrap();
/// assert!(level.is_high());
/// ```
pub struct SharedPin {
    name: String,
    level: Arc<PinLevel>,
    logger: Logger,
}

impl SharedPin {
    /// A pin called `name` driving `level`.
    pub fn new(name: &str, level: Arc<PinLevel>, logger: Logger) -> Self {
        SharedPin {
            name: name.to_owned(),
            level,
            logger,
        }
    }

    fn drive(&mut self, high: bool) -> Result<(), MockPinError> {
        let mut pin = MockPin::new(&self.level);
        let result = if high { pin.set_high() } else { pin.set_low() };
        let state = if high { "on" } else { "off" };
        match result {
            Ok(()) => self.logger.log(format_args!("{} {state}", self.name)),
            Err(_) => self
                .logger
                .log(format_args!("{} {state} failed", self.name)),
        }
        result
    }
}

impl digital::ErrorType for SharedPin {
    type Error = MockPinError;
}

impl OutputPin for SharedPin {
    fn set_low(&mut self) -> Result<(), MockPinError> {
        self.drive(false)
    }

    fn set_high(&mut self) -> Result<(), MockPinError> {
        self.drive(true)
    }
}
