//! A digital output pin you can read back and make fail.

use core::cell::Cell;

use critical_section::Mutex;
use embedded_hal::digital::{Error, ErrorKind, ErrorType, OutputPin};

/// The level of a [`MockPin`], shared with the test that inspects it.
///
/// ```
/// use embedded_hal::digital::OutputPin;
/// use urest_mock::pin::{MockPin, PinLevel};
///
/// let level = PinLevel::new();
/// let mut pin = MockPin::new(&level);
/// pin.set_high().unwrap();
/// assert!(level.is_high());
/// ```
#[derive(Debug)]
pub struct PinLevel {
    high: Mutex<Cell<bool>>,
    failing: Mutex<Cell<bool>>,
    changes: Mutex<Cell<usize>>,
}

impl PinLevel {
    /// A low pin that works.
    pub const fn new() -> Self {
        PinLevel {
            high: Mutex::new(Cell::new(false)),
            failing: Mutex::new(Cell::new(false)),
            changes: Mutex::new(Cell::new(0)),
        }
    }

    /// Whether the pin is driven high.
    pub fn is_high(&self) -> bool {
        critical_section::with(|cs| self.high.borrow(cs).get())
    }

    /// How many writes the pin has taken.
    pub fn writes(&self) -> usize {
        critical_section::with(|cs| self.changes.borrow(cs).get())
    }

    /// Make every write fail (or work again).
    pub fn set_failing(&self, failing: bool) {
        critical_section::with(|cs| self.failing.borrow(cs).set(failing));
    }
}

impl Default for PinLevel {
    fn default() -> Self {
        PinLevel::new()
    }
}

/// The error a failing [`MockPin`] reports.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MockPinError;

impl Error for MockPinError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// An output pin that drives a [`PinLevel`].
pub struct MockPin<'l> {
    level: &'l PinLevel,
}

impl<'l> MockPin<'l> {
    /// A pin driving `level`.
    pub fn new(level: &'l PinLevel) -> Self {
        MockPin { level }
    }

    fn drive(&mut self, high: bool) -> Result<(), MockPinError> {
        critical_section::with(|cs| {
            if self.level.failing.borrow(cs).get() {
                return Err(MockPinError);
            }
            self.level.high.borrow(cs).set(high);
            let changes = self.level.changes.borrow(cs);
            changes.set(changes.get() + 1);
            Ok(())
        })
    }
}

impl ErrorType for MockPin<'_> {
    type Error = MockPinError;
}

impl OutputPin for MockPin<'_> {
    fn set_low(&mut self) -> Result<(), MockPinError> {
        self.drive(false)
    }

    fn set_high(&mut self) -> Result<(), MockPinError> {
        self.drive(true)
    }
}
