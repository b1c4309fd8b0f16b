//! Finding two writers taking turns on one output.
//!
//! One ramp at a time moves the duty in one direction until it ends, so a
//! recording of well-sequenced ramps changes direction at most once per ramp.
//! Two ramps fighting over a pin (the seed's Figure 2) change direction at
//! every write: up, down, up, down.

use core::cmp::Ordering;

/// The index of the first write that reverses a reversal: the duty moved one
/// way, then the other, then back, with a single write on each leg.
/// Repeated equal duties are ignored. `None` if the recording never does so.
///
/// ```
/// use urest_mock::interleaving::find_interleaving;
///
/// // Sequential: on, then off.
/// assert_eq!(find_interleaving(&[0, 30, 60, 90, 60, 30, 0]), None);
/// // The seed's log: off and on ramps taking turns.
/// assert_eq!(find_interleaving(&[100, 90, 100, 90, 100]), Some(3));
/// ```
pub fn find_interleaving(duties: &[u16]) -> Option<usize> {
    let mut previous_direction = Ordering::Equal;
    let mut last_reversal: Option<usize> = None;
    let mut last_duty = *duties.first()?;
    for (index, &duty) in duties.iter().enumerate().skip(1) {
        let direction = duty.cmp(&last_duty);
        if direction == Ordering::Equal {
            continue;
        }
        if previous_direction != Ordering::Equal && direction != previous_direction {
            // The previous leg was a single write if the last reversal was
            // at the previous distinct write.
            if last_reversal.is_some_and(|at| is_single_leg(duties, at, index)) {
                return Some(index);
            }
            last_reversal = Some(index);
        }
        previous_direction = direction;
        last_duty = duty;
    }
    None
}

/// Whether every write strictly between `from` and `to` repeats the duty at
/// `from`, so the leg from `from` to `to` moved only once.
fn is_single_leg(duties: &[u16], from: usize, to: usize) -> bool {
    duties[from..to].iter().all(|&duty| duty == duties[from])
}

/// How many times the duty changes direction in the recording.
///
/// ```
/// use urest_mock::interleaving::reversals;
///
/// assert_eq!(reversals(&[0, 50, 100, 50, 0]), 1);
/// assert_eq!(reversals(&[0, 50, 50, 100]), 0);
/// ```
pub fn reversals(duties: &[u16]) -> usize {
    let mut count = 0;
    let mut previous_direction = Ordering::Equal;
    for pair in duties.windows(2) {
        let direction = pair[1].cmp(&pair[0]);
        if direction == Ordering::Equal {
            continue;
        }
        if previous_direction != Ordering::Equal && direction != previous_direction {
            count += 1;
        }
        previous_direction = direction;
    }
    count
}
