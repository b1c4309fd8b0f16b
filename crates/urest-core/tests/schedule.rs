//! The pure schedule, driven at arbitrary instants.

use std::time::Duration;

use urest_core::controller::{Policy, RampShape, Refusal, Schedule};
use urest_core::ramp::LEVEL_MAX;
use urest_core::resource::Outcome;
use urest_core::time::Instant;

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ticket_of(outcome: Outcome) -> u32 {
    match outcome {
        Outcome::Accepted { ticket, .. } => ticket.number(),
        Outcome::Done => panic!("expected an accepted change"),
    }
}

#[test]
fn preempting_back_to_the_level_on_the_pin_is_done_at_once() {
    let mut schedule: Schedule<2> = Schedule::new(Policy::Preempt, 0);
    schedule
        .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(0))
        .unwrap();
    // Before the first step the output is still at 0.
    assert_eq!(
        schedule.submit(0, RampShape::TEN_SECOND_FADE, ms(500)),
        Ok(Outcome::Done)
    );
    assert!(!schedule.is_busy());
    assert_eq!(schedule.poll(ms(600)).wake_at, None);
}

#[test]
fn a_refused_change_uses_no_ticket() {
    let mut schedule: Schedule<1> = Schedule::new(Policy::Fifo, 0);
    let first = ticket_of(
        schedule
            .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(0))
            .unwrap(),
    );
    let second = ticket_of(
        schedule
            .submit(0, RampShape::TEN_SECOND_FADE, ms(1))
            .unwrap(),
    );
    assert_eq!(
        schedule.submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(2)),
        Err(Refusal::QueueFull {
            retry_after: Duration::from_millis(9_998)
        })
    );
    schedule.poll(ms(10_000));
    let third = ticket_of(
        schedule
            .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(10_000))
            .unwrap(),
    );
    assert_eq!((first, second, third), (1, 2, 3));
}

#[test]
fn the_runner_is_told_when_to_wake_and_what_to_write() {
    let mut schedule: Schedule<2> = Schedule::new(Policy::Fifo, 0);
    schedule
        .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(0))
        .unwrap();
    schedule
        .submit(0, RampShape::TEN_SECOND_FADE, ms(1))
        .unwrap();
    let step = schedule.poll(ms(0));
    assert_eq!((step.level, step.wake_at), (0, Some(ms(1_000))));
    // A late runner catches up to the step in force, not the one it missed.
    let step = schedule.poll(ms(2_300));
    assert_eq!((step.level, step.wake_at), (13_107, Some(ms(3_000))));
    // At the end of the first ramp the next starts, holding the level.
    let step = schedule.poll(ms(10_000));
    assert_eq!((step.level, step.wake_at), (LEVEL_MAX, Some(ms(11_000))));
    assert_eq!((schedule.resting(), schedule.heading_to()), (LEVEL_MAX, 0));
    let step = schedule.poll(ms(20_000));
    assert_eq!((step.level, step.wake_at), (0, None));
    assert!(!schedule.is_busy());
}

#[test]
fn reset_while_idle_at_the_target_is_done_and_clears_nothing_else() {
    let mut schedule: Schedule<2> = Schedule::new(Policy::Reject, 0);
    assert_eq!(
        schedule.reset(0, RampShape::TEN_SECOND_FADE, ms(5)),
        Outcome::Done
    );
    assert_eq!(schedule.settled_at(ms(5)), ms(5));
}

#[test]
fn settled_at_adds_up_the_queue() {
    let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    schedule
        .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(0))
        .unwrap();
    schedule
        .submit(0, RampShape::TEN_SECOND_FADE, ms(0))
        .unwrap();
    schedule
        .submit(LEVEL_MAX, RampShape::TEN_SECOND_FADE, ms(0))
        .unwrap();
    assert_eq!(schedule.settled_at(ms(4_000)), ms(30_000));
    assert_eq!(schedule.waiting(), 2);
    assert_eq!(schedule.eventual(), LEVEL_MAX);
}
