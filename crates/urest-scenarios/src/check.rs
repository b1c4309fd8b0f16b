//! Failing a check with a message that says what was expected, and the
//! expected values worked out without the library.

use core::fmt::{self, Debug, Write};

use heapless::{String, Vec};
use urest_mock::interleaving::leg_ends;
use urest_mock::Stalled;

/// Why a scenario failed.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    message: String<200>,
}

impl Failure {
    /// A failure described by `args` (cut to 200 bytes).
    pub fn new(args: fmt::Arguments<'_>) -> Failure {
        let mut message = String::new();
        // A message too long for the buffer is cut, which is fine for a report.
        let _ = message.write_fmt(args);
        Failure { message }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<Stalled> for Failure {
    fn from(stalled: Stalled) -> Failure {
        Failure::new(format_args!("simulation stalled: {stalled:?}"))
    }
}

/// Fail with `what` unless `condition` holds.
pub fn ensure(condition: bool, what: &str) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(Failure::new(format_args!("{what}")))
    }
}

/// Fail unless `actual == expected`, showing both.
pub fn ensure_eq<T: PartialEq + Debug>(actual: T, expected: T, what: &str) -> Result<(), Failure> {
    if actual == expected {
        Ok(())
    } else {
        Err(Failure::new(format_args!(
            "{what}: got {actual:?}, expected {expected:?}"
        )))
    }
}

/// Fail unless `duties` shows no two transitions taking turns on the pin
/// and its legs of movement end exactly at `expected`, in order: each
/// change ran whole, one after another.
pub fn ensure_whole_legs(duties: &[u16], expected: &[u16], what: &str) -> Result<(), Failure> {
    ensure_eq(
        urest_mock::interleaving::find_interleaving(duties),
        None,
        "no interleaving",
    )?;
    ensure_legs(duties, expected, what)
}

/// Fail unless the legs of movement in `duties` end exactly at `expected`,
/// in order (see [`leg_ends`]).
pub fn ensure_legs(duties: &[u16], expected: &[u16], what: &str) -> Result<(), Failure> {
    if leg_ends(duties).eq(expected.iter().copied()) {
        return Ok(());
    }
    // For the message only: a long list is cut.
    let ends: Vec<u16, 24> = leg_ends(duties).take(24).collect();
    Err(Failure::new(format_args!(
        "{what}: legs end at {ends:?}, expected {expected:?}"
    )))
}

/// The duty after `step` of `steps` on a linear full swing to `max_duty`,
/// worked out independently of the library: round(step * max_duty / steps).
///
/// ```
/// assert_eq!(urest_scenarios::check::linear_duty(5, 10, 1_023), 512);
/// ```
pub fn linear_duty(step: u32, steps: u32, max_duty: u16) -> u16 {
    let duty = (2 * step * u32::from(max_duty) + steps) / (2 * steps.max(1));
    u16::try_from(duty).unwrap_or(u16::MAX)
}
