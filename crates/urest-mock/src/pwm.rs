//! A PWM output that records what is written to it.

use core::cell::RefCell;

use critical_section::Mutex;
use embedded_hal::pwm::{Error, ErrorKind, ErrorType, SetDutyCycle};
use heapless::Vec;
use urest_core::time::{Clock, Instant};

/// One duty-cycle write.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// When it happened.
    pub at: Instant,
    /// The duty cycle written.
    pub duty: u16,
}

struct Log<const N: usize> {
    writes: Vec<Write, N>,
    dropped: usize,
    fail_after: Option<usize>,
}

/// Keeps up to `N` writes, stamped by clock `C`. Share one between a
/// [`MockPwm`] and the test that inspects it.
///
/// ```
/// use embedded_hal::pwm::SetDutyCycle;
/// use urest_mock::{MockPwm, Recorder, VirtualClock};
///
/// let clock = VirtualClock::new();
/// let recorder: Recorder<_, 16> = Recorder::new(&clock);
/// let mut pwm = MockPwm::new(&recorder, 1_000);
/// pwm.set_duty_cycle(500).unwrap();
/// assert_eq!(recorder.duties().as_slice(), &[500]);
/// ```
pub struct Recorder<C: Clock, const N: usize> {
    clock: C,
    log: Mutex<RefCell<Log<N>>>,
}

impl<C: Clock, const N: usize> Recorder<C, N> {
    /// An empty recording stamped by `clock`.
    pub const fn new(clock: C) -> Self {
        Recorder {
            clock,
            log: Mutex::new(RefCell::new(Log {
                writes: Vec::new(),
                dropped: 0,
                fail_after: None,
            })),
        }
    }

    /// Every write kept so far, oldest first.
    pub fn writes(&self) -> Vec<Write, N> {
        critical_section::with(|cs| self.log.borrow_ref(cs).writes.clone())
    }

    /// The duties of every write kept so far, oldest first.
    pub fn duties(&self) -> Vec<u16, N> {
        critical_section::with(|cs| {
            self.log
                .borrow_ref(cs)
                .writes
                .iter()
                .map(|write| write.duty)
                .collect()
        })
    }

    /// The most recent write.
    pub fn last(&self) -> Option<Write> {
        critical_section::with(|cs| self.log.borrow_ref(cs).writes.last().copied())
    }

    /// Writes that did not fit in the recording (they still happened).
    pub fn dropped(&self) -> usize {
        critical_section::with(|cs| self.log.borrow_ref(cs).dropped)
    }

    /// Forget every write so far.
    pub fn clear(&self) {
        critical_section::with(|cs| {
            let mut log = self.log.borrow_ref_mut(cs);
            log.writes.clear();
            log.dropped = 0;
        });
    }

    /// Make every write fail once `successes` more writes have succeeded
    /// (`None` to stop failing).
    pub fn fail_after(&self, successes: Option<usize>) {
        critical_section::with(|cs| self.log.borrow_ref_mut(cs).fail_after = successes);
    }

    fn record(&self, duty: u16) -> Result<(), MockPwmError> {
        let at = self.clock.now();
        critical_section::with(|cs| {
            let mut log = self.log.borrow_ref_mut(cs);
            match log.fail_after {
                Some(0) => return Err(MockPwmError),
                Some(left) => log.fail_after = Some(left - 1),
                None => {}
            }
            if log.writes.push(Write { at, duty }).is_err() {
                log.dropped += 1;
            }
            Ok(())
        })
    }
}

/// The error a [`MockPwm`] reports once told to fail.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MockPwmError;

impl Error for MockPwmError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// A PWM channel whose writes go to a [`Recorder`].
pub struct MockPwm<'r, C: Clock, const N: usize> {
    recorder: &'r Recorder<C, N>,
    max_duty: u16,
}

impl<'r, C: Clock, const N: usize> MockPwm<'r, C, N> {
    /// A channel with full scale `max_duty` that records into `recorder`.
    pub fn new(recorder: &'r Recorder<C, N>, max_duty: u16) -> Self {
        MockPwm { recorder, max_duty }
    }
}

impl<C: Clock, const N: usize> ErrorType for MockPwm<'_, C, N> {
    type Error = MockPwmError;
}

impl<C: Clock, const N: usize> SetDutyCycle for MockPwm<'_, C, N> {
    fn max_duty_cycle(&self) -> u16 {
        self.max_duty
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), MockPwmError> {
        // Real timers clamp or misbehave above full scale; a test should know.
        if duty > self.max_duty {
            return Err(MockPwmError);
        }
        self.recorder.record(duty)
    }
}
