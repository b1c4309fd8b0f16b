//! Changes as resources: status, listing, history and cancel, on the pure
//! schedule and on a PWM LED driven in virtual time.

use std::time::Duration;

use embassy_futures::select::select;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{
    CancelError, ChangeStatus, Policy, RampConfig, RampShape, Schedule, Status, Ticket, HISTORY,
};
use urest_core::nouns::PwmLed;
use urest_core::ramp::LEVEL_MAX;
use urest_core::resource::{Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::{MockPwm, Recorder, Simulation, VirtualClock};

const FADE: RampShape = RampShape::TEN_SECOND_FADE;

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn ticket(outcome: Outcome) -> Ticket {
    match outcome {
        Outcome::Accepted { ticket, .. } => ticket,
        Outcome::Done => panic!("expected an accepted change"),
    }
}

fn list<const Q: usize>(schedule: &Schedule<Q>, now: Instant) -> Vec<(u32, Status, u16, u64)> {
    schedule
        .changes::<32>(now)
        .iter()
        .map(|c: &ChangeStatus| {
            (
                c.ticket.number(),
                c.status,
                c.position,
                c.eta(now).as_millis() as u64,
            )
        })
        .collect()
}

#[test]
fn a_queued_change_cancelled_lets_those_behind_move_up() {
    let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    let on = ticket(schedule.submit(LEVEL_MAX, FADE, ms(0)).unwrap());
    let off = ticket(schedule.submit(0, FADE, ms(1_000)).unwrap());
    let on_again = ticket(schedule.submit(LEVEL_MAX, FADE, ms(2_000)).unwrap());
    assert_eq!(
        list(&schedule, ms(2_000)),
        vec![
            (on.number(), Status::Running, 0, 8_000),
            (off.number(), Status::Queued, 1, 18_000),
            (on_again.number(), Status::Queued, 2, 28_000),
        ]
    );
    let cancelled = schedule.cancel(off, ms(3_000)).unwrap();
    assert_eq!((cancelled.status, cancelled.target), (Status::Cancelled, 0));
    // The last on now follows the running on directly: nothing to ramp, so
    // it takes the one step every transition takes, and 20 s shrink to 8 s.
    assert_eq!(
        list(&schedule, ms(3_000)),
        vec![
            (on.number(), Status::Running, 0, 7_000),
            (off.number(), Status::Cancelled, 0, 0),
            (on_again.number(), Status::Queued, 1, 8_000),
        ]
    );
    assert_eq!(
        schedule.cancel(off, ms(3_000)),
        Err(CancelError::Finished(Status::Cancelled))
    );
    assert_eq!(
        schedule.cancel(Ticket::from_number(99), ms(3_000)),
        Err(CancelError::Unknown)
    );
}

#[test]
fn finished_changes_are_done_and_cannot_be_cancelled() {
    let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    let on = ticket(schedule.submit(LEVEL_MAX, FADE, ms(0)).unwrap());
    schedule.poll(ms(10_000));
    let done = schedule.status(on, ms(12_000)).unwrap();
    assert_eq!(
        (done.status, done.completes_at, done.eta(ms(12_000))),
        (Status::Done, ms(10_000), Duration::ZERO)
    );
    assert_eq!(
        schedule.cancel(on, ms(12_000)),
        Err(CancelError::Finished(Status::Done))
    );
}

#[test]
fn preempted_and_reset_changes_are_superseded() {
    let mut schedule: Schedule<4> = Schedule::new(Policy::Preempt, 0);
    let on = ticket(schedule.submit(LEVEL_MAX, FADE, ms(0)).unwrap());
    schedule.poll(ms(3_000));
    let off = ticket(schedule.submit(0, FADE, ms(3_000)).unwrap());
    assert_eq!(
        schedule.status(on, ms(3_000)).map(|c| c.status),
        Some(Status::Superseded)
    );
    let mut fifo: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    fifo.submit(LEVEL_MAX, FADE, ms(0)).unwrap();
    let queued = ticket(fifo.submit(0, FADE, ms(0)).unwrap());
    fifo.reset(0, FADE, ms(1_000));
    assert_eq!(
        fifo.status(queued, ms(1_000)).map(|c| c.status),
        Some(Status::Superseded)
    );
    assert_eq!(
        schedule.status(off, ms(3_000)).map(|c| c.status),
        Some(Status::Running)
    );
}

#[test]
fn history_keeps_the_last_eight_finished_changes() {
    let mut schedule: Schedule<2> = Schedule::new(Policy::Fifo, 0);
    let mut tickets = Vec::new();
    let mut now = 0;
    for round in 0..12u64 {
        let target = if round % 2 == 0 { LEVEL_MAX } else { 0 };
        tickets.push(ticket(schedule.submit(target, FADE, ms(now)).unwrap()));
        now += 10_000;
        schedule.poll(ms(now));
    }
    let known = schedule.changes::<32>(ms(now));
    assert_eq!(known.len(), HISTORY);
    assert_eq!(known.first().map(|c| c.ticket), Some(tickets[4]));
    assert!(known.iter().all(|c| c.status == Status::Done));
    assert_eq!(schedule.status(tickets[3], ms(now)), None);
    assert_eq!(
        schedule.cancel(tickets[0], ms(now)),
        Err(CancelError::Unknown)
    );
}

#[test]
fn the_list_can_be_walked_one_change_at_a_time() {
    let mut schedule: Schedule<4> = Schedule::new(Policy::Fifo, 0);
    let first = ticket(schedule.submit(LEVEL_MAX, FADE, ms(0)).unwrap());
    let second = ticket(schedule.submit(0, FADE, ms(0)).unwrap());
    let third = ticket(schedule.submit(LEVEL_MAX, FADE, ms(0)).unwrap());
    schedule.cancel(third, ms(1)).unwrap();
    let mut walked = Vec::new();
    let mut after = None;
    while let Some(change) = schedule.next_after(after, ms(1)) {
        after = Some(change.ticket);
        walked.push(change.ticket);
    }
    assert_eq!(walked, vec![first, second, third]);
}

type Led<'r> = PwmLed<NoopRawMutex, MockPwm<'r, &'static VirtualClock, 64>, 4>;

/// A ten-second fading LED on a mock PWM of 100 steps, recorded, in a
/// virtual time of its own.
fn fading_led() -> (
    &'static Simulation,
    &'static Recorder<&'static VirtualClock, 64>,
    Led<'static>,
) {
    let sim: &'static Simulation = Box::leak(Box::new(Simulation::new()));
    let recorder = Box::leak(Box::new(Recorder::new(sim.clock())));
    let led = PwmLed::new(
        MockPwm::new(recorder, 100),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    (sim, recorder, led)
}

fn desired(value: i64) -> Attributes {
    let mut patch = Attributes::new();
    patch.set("desired", Value::Int(value)).unwrap();
    patch
}

#[test]
fn a_running_change_cancelled_holds_its_level_and_the_next_starts_from_there() {
    let (sim, recorder, led) = fading_led();
    let on = ticket(led.put(&desired(1), ms(0)).unwrap());
    let off = ticket(led.put(&desired(0), ms(0)).unwrap());
    let changes = led.changes().expect("a PWM LED keeps its changes");
    let mut delay = sim.delay();
    let _ = sim.run(
        ms(60_000),
        select(led.controller().run(sim.clock(), &mut delay), async {
            sim.delay().until(ms(4_500)).await;
            let cancelled = changes.cancel(on, sim.clock().now()).unwrap();
            assert_eq!(cancelled.status, Status::Cancelled);
            sim.delay().until(ms(30_000)).await;
        }),
    );
    let duties = recorder.duties();
    // Up four steps, held at 40 when cancelled, then the queued off ramps
    // down from 40 (four steps, as the swing is shorter) instead of from 100.
    assert_eq!(duties.as_slice(), &[0, 10, 20, 30, 40, 30, 20, 10, 0]);
    let writes = recorder.writes();
    assert_eq!(writes[5].at, ms(5_500), "the off starts at the cancel");
    let now = sim.clock().now();
    let mut seen = Vec::new();
    changes.for_each(now, &mut |c| seen.push((c.ticket, c.status)));
    assert_eq!(seen, vec![(on, Status::Cancelled), (off, Status::Done)]);
    assert_eq!(
        changes.cancel(off, now),
        Err(CancelError::Finished(Status::Done))
    );
}

#[test]
fn a_cancelled_running_change_with_nothing_queued_rests_where_it_stopped() {
    let (sim, recorder, led) = fading_led();
    let on = ticket(led.put(&desired(1), ms(0)).unwrap());
    let mut delay = sim.delay();
    let _ = sim.run(
        ms(60_000),
        select(led.controller().run(sim.clock(), &mut delay), async {
            sim.delay().until(ms(2_500)).await;
            led.controller().cancel(on, sim.clock().now()).unwrap();
            sim.delay().until(ms(20_000)).await;
        }),
    );
    assert_eq!(recorder.duties().as_slice(), &[0, 10, 20]);
    let state = led.get(sim.clock().now());
    assert_eq!(
        (state.int("duty"), state.int("waiting")),
        (Some(20), Some(0))
    );
}

#[test]
fn a_waiter_wakes_when_its_change_is_done_or_its_deadline_passes() {
    use urest_core::coord::wait_for;
    let (sim, _, led) = fading_led();
    led.put(&desired(1), ms(0)).unwrap();
    let off = ticket(led.put(&desired(0), ms(0)).unwrap());
    let changes = led.changes().unwrap();
    let recheck = Duration::from_millis(250);
    let mut delay = sim.delay();
    let result = sim.run(
        ms(60_000),
        select(led.controller().run(sim.clock(), &mut delay), async {
            let mut mine = sim.delay();
            let early = wait_for(changes, off, sim.clock(), &mut mine, ms(5_000), recheck).await;
            let at_deadline = sim.clock().now();
            let done = wait_for(changes, off, sim.clock(), &mut mine, ms(30_000), recheck).await;
            (early, at_deadline, done, sim.clock().now())
        }),
    );
    let Ok(embassy_futures::select::Either::Second((early, at_deadline, done, at_done))) = result
    else {
        panic!("the waiter should finish first");
    };
    assert_eq!(early.map(|c| c.status), Some(Status::Queued));
    assert_eq!(at_deadline, ms(5_000));
    assert_eq!(done.map(|c| c.status), Some(Status::Done));
    assert_eq!(at_done, ms(20_000), "woken when the off ramp ends");
}

#[test]
fn a_waiter_sees_a_cancel_within_its_recheck_time() {
    use urest_core::coord::wait_for;
    let (sim, _, led) = fading_led();
    let on = ticket(led.put(&desired(1), ms(0)).unwrap());
    let changes = led.changes().unwrap();
    let mut delay = sim.delay();
    let result = sim.run(
        ms(60_000),
        select(
            led.controller().run(sim.clock(), &mut delay),
            embassy_futures::join::join(
                async {
                    let mut mine = sim.delay();
                    let seen = wait_for(
                        changes,
                        on,
                        sim.clock(),
                        &mut mine,
                        ms(30_000),
                        Duration::from_millis(500),
                    )
                    .await;
                    (seen, sim.clock().now())
                },
                async {
                    sim.delay().until(ms(3_100)).await;
                    changes.cancel(on, sim.clock().now()).unwrap();
                },
            ),
        ),
    );
    let Ok(embassy_futures::select::Either::Second(((seen, at), ()))) = result else {
        panic!("the waiter should finish first");
    };
    assert_eq!(seen.map(|c| c.status), Some(Status::Cancelled));
    assert_eq!(at, ms(3_500));
}

mod model {
    use std::collections::HashMap;

    use proptest::prelude::*;
    use urest_core::controller::{
        CancelError, ChangeStatus, Policy, RampShape, Schedule, Status, Ticket, HISTORY,
    };
    use urest_core::ramp::LEVEL_MAX;
    use urest_core::resource::Outcome;
    use urest_core::time::Instant;

    #[derive(Clone, Debug)]
    enum Op {
        Submit(u8),
        Cancel(u32),
        Reset,
        Poll,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u8..3).prop_map(Op::Submit),
            3 => (1u32..40).prop_map(Op::Cancel),
            1 => Just(Op::Reset),
            3 => Just(Op::Poll),
        ]
    }

    fn check(list: &[ChangeStatus], accepted: &[Ticket], finished: &HashMap<u32, Status>) {
        let tickets: Vec<u32> = list.iter().map(|c| c.ticket.number()).collect();
        assert!(tickets.windows(2).all(|w| w[0] < w[1]), "{tickets:?}");
        let done = list.iter().filter(|c| c.status.is_finished()).count();
        assert!(done <= HISTORY);
        let running: Vec<_> = list
            .iter()
            .filter(|c| c.status == Status::Running)
            .collect();
        assert!(running.len() <= 1);
        assert!(running.iter().all(|c| c.position == 0));
        let queued: Vec<_> = list.iter().filter(|c| c.status == Status::Queued).collect();
        for (i, c) in queued.iter().enumerate() {
            assert_eq!(usize::from(c.position), i + 1);
        }
        assert!(queued
            .windows(2)
            .all(|w| w[0].completes_at <= w[1].completes_at));
        // A change is only forgotten once eight finished ones are kept.
        for ticket in accepted {
            if !tickets.contains(&ticket.number()) {
                assert_eq!(done, HISTORY, "ticket {} lost", ticket.number());
            }
        }
        // A finished change never changes again.
        for c in list {
            if let Some(status) = finished.get(&c.ticket.number()) {
                assert_eq!(*status, c.status);
            }
        }
    }

    proptest! {
        #[test]
        fn the_history_stays_ordered_bounded_and_honest(
            policy in 0usize..3,
            ops in proptest::collection::vec((op(), 0u64..4_000), 1..60),
        ) {
            let mut schedule: Schedule<3> = Schedule::new(Policy::ALL[policy], 0);
            let shape = RampShape::TEN_SECOND_FADE;
            let mut now = 0u64;
            let mut accepted = Vec::new();
            let mut finished: HashMap<u32, Status> = HashMap::new();
            for (op, dt) in ops {
                now += dt;
                let at = Instant::from_millis(now);
                let before = schedule.changes::<32>(at);
                match op {
                    Op::Submit(level) => {
                        let target = [0, LEVEL_MAX / 2, LEVEL_MAX][usize::from(level)];
                        if let Ok(Outcome::Accepted { ticket, .. }) = schedule.submit(target, shape, at) {
                            accepted.push(ticket);
                        }
                    }
                    Op::Cancel(number) => {
                        let ticket = Ticket::from_number(number);
                        let listed = before.iter().find(|c| c.ticket == ticket);
                        let result = schedule.cancel(ticket, at);
                        match listed {
                            Some(c) if c.status.is_finished() => {
                                prop_assert_eq!(result, Err(CancelError::Finished(c.status)));
                            }
                            Some(_) => {
                                prop_assert_eq!(result.map(|c| c.status), Ok(Status::Cancelled));
                            }
                            None => prop_assert_eq!(result, Err(CancelError::Unknown)),
                        }
                    }
                    Op::Reset => {
                        if let Outcome::Accepted { ticket, .. } = schedule.reset(0, shape, at) {
                            if !accepted.contains(&ticket) {
                                accepted.push(ticket);
                            }
                        }
                    }
                    Op::Poll => {
                        schedule.poll(at);
                    }
                }
                let list = schedule.changes::<32>(at);
                check(&list, &accepted, &finished);
                for c in list.iter().filter(|c| c.status.is_finished()) {
                    finished.insert(c.ticket.number(), c.status);
                }
            }
        }
    }
}
