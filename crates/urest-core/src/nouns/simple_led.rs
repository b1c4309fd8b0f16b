//! The original MicroPython urest's SimpleLED: an LED on a plain digital output.

use core::cell::RefCell;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embedded_hal::digital::{OutputPin, PinState};

use crate::attributes::{Access, AttributeError, AttributeSpec, Attributes, Kind, Problem, Value};
use crate::resource::{Description, Error, Outcome, Resource, Verbs};
use crate::time::Instant;

const SCHEMA: &[AttributeSpec] = &[AttributeSpec {
    key: "led",
    kind: Kind::Int { min: 0, max: 1 },
    access: Access::ReadWrite,
    doc: "0 off, 1 on",
}];

struct Output<O> {
    pin: O,
    on: bool,
}

/// An LED on a digital output pin (the original MicroPython urest's SimpleLED): key `led`, 0 or 1.
///
/// Every change is immediate, so every verb answers [`Outcome::Done`]. PUT
/// `{"led": 0|1}` sets, POST `{}` toggles (POST with `led` sets), DELETE
/// turns it off. If the pin reports an error the state is left as it was.
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::digital::{ErrorType, OutputPin};
/// use urest_core::attributes::Attributes;
/// use urest_core::nouns::SimpleLed;
/// use urest_core::resource::Resource;
/// use urest_core::time::Instant;
///
/// struct Pin;
/// impl ErrorType for Pin { type Error = Infallible; }
/// impl OutputPin for Pin {
///     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
///     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
/// }
///
/// let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// led.post(&Attributes::new(), Instant::ZERO).unwrap(); // toggle
/// assert_eq!(led.get(Instant::ZERO).int("led"), Some(1));
/// ```
pub struct SimpleLed<M: RawMutex, O: OutputPin> {
    output: Mutex<M, RefCell<Output<O>>>,
}

impl<M: RawMutex, O: OutputPin> SimpleLed<M, O> {
    /// Take `pin` and drive it low (off).
    pub fn new(mut pin: O) -> Result<Self, O::Error> {
        pin.set_low()?;
        Ok(SimpleLed {
            output: Mutex::new(RefCell::new(Output { pin, on: false })),
        })
    }

    /// Whether the LED is on.
    pub fn is_on(&self) -> bool {
        self.output.lock(|output| output.borrow().on)
    }

    fn set(&self, on: bool) -> Result<Outcome, Error> {
        self.output.lock(|output| {
            let mut output = output.borrow_mut();
            output
                .pin
                .set_state(PinState::from(on))
                .map_err(|_| Error::Hardware)?;
            output.on = on;
            Ok(Outcome::Done)
        })
    }
}

impl<M: RawMutex, O: OutputPin> Resource for SimpleLed<M, O> {
    fn describe(&self) -> Description {
        Description {
            kind: "simple_led",
            policy: None,
            attributes: SCHEMA,
            verbs: Verbs::ALL,
        }
    }

    fn get(&self, _now: Instant) -> Attributes {
        let mut state = Attributes::new();
        let _ = state.set("led", Value::Int(i64::from(self.is_on())));
        state
    }

    fn put(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        let led = patch
            .int("led")
            .ok_or_else(|| AttributeError::new("led", Problem::Missing))?;
        self.set(led != 0)
    }

    fn post(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        match patch.int("led") {
            Some(led) => self.set(led != 0),
            None => self.set(!self.is_on()),
        }
    }

    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        self.set(false)
    }
}
