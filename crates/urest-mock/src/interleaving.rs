//! Finding two writers taking turns on one output.
//!
//! One ramp at a time moves the duty in one direction until it ends, so a
//! recording of well-sequenced ramps changes direction at most once per ramp.
//! Two ramps fighting over a pin (Figure 2 of the "Concurrent API Access" note) change direction at
//! every write: up, down, up, down.

use core::cmp::Ordering;

/// The index of the write that completes two single-write legs in a row:
/// the duty went one way, then back for one write, then forward again for one
/// write, then back (up, down, up, down, or the reverse). Repeated equal
/// duties are ignored. `None` if the recording never does so.
///
/// One legitimate turn-round (a preempting command, even one whose new ramp
/// is a single step) makes at most one single-write leg; only two writers
/// taking turns keep making them.
///
/// ```
/// use urest_mock::interleaving::find_interleaving;
///
/// // Sequential: on, then off.
/// assert_eq!(find_interleaving(&[0, 30, 60, 90, 60, 30, 0]), None);
/// // A one-step turn-round is not a fight.
/// assert_eq!(find_interleaving(&[0, 30, 60, 30, 60, 90]), None);
/// // The original MicroPython urest's log: off and on ramps taking turns.
/// assert_eq!(find_interleaving(&[100, 90, 100, 90, 100]), Some(4));
/// ```
pub fn find_interleaving(duties: &[u16]) -> Option<usize> {
    let mut direction = Ordering::Equal;
    let mut last_reversal: Option<usize> = None;
    let mut single_legs_in_a_row = 0;
    let mut last_duty = *duties.first()?;
    for (index, &duty) in duties.iter().enumerate().skip(1) {
        let step = duty.cmp(&last_duty);
        if step == Ordering::Equal {
            continue;
        }
        if direction != Ordering::Equal && step != direction {
            if last_reversal.is_some_and(|at| is_single_leg(duties, at, index)) {
                single_legs_in_a_row += 1;
                if single_legs_in_a_row == 2 {
                    return Some(index);
                }
            } else {
                single_legs_in_a_row = 0;
            }
            last_reversal = Some(index);
        }
        direction = step;
        last_duty = duty;
    }
    None
}

/// Whether every write strictly between `from` and `to` repeats the duty at
/// `from`, so the leg from `from` to `to` moved only once.
fn is_single_leg(duties: &[u16], from: usize, to: usize) -> bool {
    duties[from..to].iter().all(|&duty| duty == duties[from])
}

/// The duty where each leg of movement ends: every point where the duty
/// turns round, then the last write, if the duty moved at all. Repeated
/// equal duties are ignored.
///
/// Well-sequenced ramps give one leg end per ramp: an on-ramp then an
/// off-ramp end at full scale, then at 0.
///
/// ```
/// use urest_mock::interleaving::leg_ends;
///
/// assert!(leg_ends(&[0, 50, 100, 100, 50, 0]).eq([100, 0]));
/// assert!(leg_ends(&[7, 7, 7]).eq([]));
/// ```
pub fn leg_ends(duties: &[u16]) -> impl Iterator<Item = u16> + '_ {
    let mut moves = duties
        .windows(2)
        .filter_map(|pair| match pair {
            [before, after] if before != after => Some((*after, after.cmp(before))),
            _ => None,
        })
        .peekable();
    core::iter::from_fn(move || loop {
        let (duty, direction) = moves.next()?;
        match moves.peek() {
            // The leg goes on.
            Some((_, next)) if *next == direction => continue,
            // It turns round here, or this is the last move.
            _ => return Some(duty),
        }
    })
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
    leg_ends(duties).count().saturating_sub(1)
}
