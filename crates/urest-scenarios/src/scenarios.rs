//! The scenarios: the two figures of the "Concurrent API Access" note, each policy's promise, the
//! edges (reset mid-ramp, full queue, cancelled runner, retries), and clients
//! that coordinate (locks, leases, idempotency keys; see `locks`).

use core::cell::RefCell;
use core::time::Duration;

use embassy_futures::join::{join, join_array};
use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use heapless::Vec;
use urest_core::attributes::{Attributes, DecodeError, Problem, Value};
use urest_core::controller::{Policy, Ticket};
use urest_core::nouns::SimpleLed;
use urest_core::resource::{Error, Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::interleaving::{find_interleaving, reversals};
use urest_mock::naive::{slow_off, slow_on};
use urest_mock::pin::PinLevel;
use urest_mock::{MockPin, MockPwm, Simulation};

use crate::check::{ensure, ensure_eq, ensure_whole_legs, Failure};
use crate::rig::{
    at, desired, led, ms, play, recorder, settle, shape, XorShift, MAX_DUTY, TEN_SECOND_FADE,
};
use crate::Scenario;

/// Every scenario, in the order they are best read.
pub static SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "figure 1: sequential clients",
        run: figure_1_sequential_clients,
    },
    Scenario {
        name: "figure 2: two ramps without the lock interleave",
        run: figure_2_hazard_without_lock,
    },
    Scenario {
        name: "fifo: 2..16 clients applied in arrival order",
        run: fifo_sweep,
    },
    Scenario {
        name: "reject: busy with the time left",
        run: reject_reports_busy,
    },
    Scenario {
        name: "preempt: latest wins from the current level",
        run: preempt_turns_back_without_jump,
    },
    Scenario {
        name: "delete mid-ramp cancels the queue",
        run: delete_mid_ramp,
    },
    Scenario {
        name: "fifo: full queue refuses with retry-after",
        run: queue_full,
    },
    Scenario {
        name: "cancelled runner releases the output lock",
        run: cancelled_runner_releases_lock,
    },
    Scenario {
        name: "a retried change is not applied twice",
        run: retry_is_idempotent,
    },
    Scenario {
        name: "lock: A's on-off-on whole, B refused until the release",
        run: crate::lock_keeps_a_sequence_whole,
    },
    Scenario {
        name: "lock: a dead holder's lease ends by itself",
        run: crate::lease_frees_a_dead_holders_lock,
    },
    Scenario {
        name: "lock (fifo): a change queued before it keeps its place",
        run: crate::lock_keeps_changes_queued_before_it,
    },
    Scenario {
        name: "idempotency key: a toggle retried 3 times toggles once",
        run: crate::keyed_toggle_retried_toggles_once,
    },
    Scenario {
        name: "steps and step time per noun",
        run: shape_per_noun,
    },
    Scenario {
        name: "request bodies decode against the schema",
        run: bodies_decode_against_schema,
    },
    Scenario {
        name: "simple led: all four verbs",
        run: simple_led_verbs,
    },
];

/// [`check::linear_duty`](crate::check::linear_duty) on the rig's PWM.
fn linear_duty(step: u32, steps: u32) -> u16 {
    crate::check::linear_duty(step, steps, MAX_DUTY)
}

fn accepted(outcome: &Result<Outcome, Error>) -> Option<(Ticket, u16, Instant)> {
    match outcome {
        Ok(Outcome::Accepted {
            ticket,
            position,
            completes_at,
        }) => Some((*ticket, *position, *completes_at)),
        _ => None,
    }
}

fn figure_1_sequential_clients(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let (a, halfway, b) = play(sim, &led, async {
        let a = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(5_000)).await;
        let halfway = led.get(sim.clock().now());
        settle(sim, &led).await;
        let b = led.put(&desired(0), sim.clock().now());
        settle(sim, &led).await;
        (a, halfway, b)
    })?;
    ensure_eq(
        accepted(&a).map(|(_, position, end)| (position, end)),
        Some((0, start + ms(10_000))),
        "client A's change runs at once and ends after 10 s",
    )?;
    ensure_eq(
        (halfway.int("desired"), halfway.int("current")),
        (Some(1), Some(0)),
        "half-way the LED reads as turning on",
    )?;
    ensure(accepted(&b).is_some(), "client B's change is accepted")?;
    let writes = rec.writes();
    let on = (0..=10).map(|k| linear_duty(k, 10));
    let off = (0..10).rev().map(|k| linear_duty(k, 10));
    let expected: Vec<u16, 32> = on.chain(off).collect();
    ensure_eq(
        rec.duties().as_slice(),
        expected.as_slice(),
        "one on-ramp then one off-ramp, ten steps each",
    )?;
    for (k, write) in writes.iter().take(11).enumerate() {
        ensure_eq(
            write.at,
            start + ms(1_000 * k as u64),
            "each step of the on-ramp lands on its second",
        )?;
    }
    let end = led.get(sim.clock().now());
    ensure_eq(
        (end.int("desired"), end.int("current"), end.int("duty")),
        (Some(0), Some(0), Some(0)),
        "ends off",
    )
}

fn figure_2_hazard_without_lock(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let pwm = RefCell::new(MockPwm::new(&rec, MAX_DUTY));
    let start = sim.clock().now();
    let limit = start + Duration::from_secs(60);
    let (a, b) = sim.run(
        limit,
        join(
            slow_on(
                &pwm,
                sim.delay(),
                TEN_SECOND_FADE.steps,
                TEN_SECOND_FADE.step_time,
            ),
            async {
                at(sim, start, ms(3_500)).await;
                slow_off(
                    &pwm,
                    sim.delay(),
                    TEN_SECOND_FADE.steps,
                    TEN_SECOND_FADE.step_time,
                )
                .await
            },
        ),
    )?;
    ensure(a.is_ok() && b.is_ok(), "the mock accepts every write")?;
    ensure(
        find_interleaving(&rec.duties()).is_some(),
        "without a lock the two ramps write the pin alternately",
    )
}

fn fifo_sweep(sim: &'static Simulation) -> Result<(), Failure> {
    for clients in 2..=16 {
        fifo_in_arrival_order(sim, 7_919 * clients as u32, clients)?;
    }
    Ok(())
}

/// Up to this many clients in [`fifo_in_arrival_order`].
const MAX_CLIENTS: usize = 16;

/// Room for every write [`fifo_in_arrival_order`] can make, with margin.
const FIFO_WRITES: usize = 80;

type Arrival = Option<(Duration, i64)>;
type Arrivals = RefCell<Vec<(i64, Result<Outcome, Error>), MAX_CLIENTS>>;

/// `clients` (at most 16) clients set random targets at random times in the
/// first two seconds, while 4-step ramps of 100 ms run; every change must be
/// accepted and applied in the order it arrived, with no interleaving.
pub fn fifo_in_arrival_order(
    sim: &'static Simulation,
    seed: u32,
    clients: usize,
) -> Result<(), Failure> {
    let mut random = XorShift::new(seed);
    let arrivals: [Arrival; MAX_CLIENTS] = core::array::from_fn(|index| {
        (index < clients).then(|| {
            (
                ms(u64::from(random.below(2_000))),
                i64::from(random.below(2)),
            )
        })
    });
    // At most 16 ramps of four written steps plus the first write: 65. The
    // recording lives on the stack, which is 15 KiB on the micro:bit.
    let rec = recorder::<FIFO_WRITES>(sim);
    let led = led::<FIFO_WRITES, MAX_CLIENTS>(&rec, Policy::Fifo, shape(4, 100));
    let log: Arrivals = RefCell::new(Vec::new());
    let start = sim.clock().now();
    let client = |arrival: Arrival| {
        let (led, log) = (&led, &log);
        async move {
            if let Some((offset, target)) = arrival {
                at(sim, start, offset).await;
                let outcome = led.put(&desired(target), sim.clock().now());
                let _ = log.borrow_mut().push((target, outcome));
            }
        }
    };
    play(sim, &led, async {
        join_array(arrivals.map(client)).await;
        settle(sim, &led).await;
    })?;

    let mut eventual = 0;
    let mut last_ticket = 0;
    let mut expected_ends: Vec<u16, MAX_CLIENTS> = Vec::new();
    for (target, outcome) in log.borrow().iter() {
        let ticket = match outcome {
            Ok(Outcome::Accepted { ticket, .. }) => Some(ticket.number()),
            Ok(Outcome::Done) => None,
            Err(error) => return Err(Failure::new(format_args!("refused: {error}"))),
        };
        if *target == eventual {
            // A repeat: nothing new, at most the ticket already heading there.
            ensure(
                ticket.is_none_or(|ticket| ticket == last_ticket),
                "a repeated target gets the existing ticket",
            )?;
            continue;
        }
        let ticket =
            ticket.ok_or_else(|| Failure::new(format_args!("a change was done at once")))?;
        ensure(ticket > last_ticket, "tickets rise in arrival order")?;
        last_ticket = ticket;
        eventual = *target;
        let _ = expected_ends.push(if eventual == 1 { MAX_DUTY } else { 0 });
    }
    let duties = rec.duties();
    ensure_eq(rec.dropped(), 0, "recording kept every write")?;
    ensure_whole_legs(
        &duties,
        &expected_ends,
        "each accepted change runs to its end, in arrival order",
    )?;
    let end = led.get(sim.clock().now());
    ensure_eq(
        (end.int("current"), end.int("waiting")),
        (Some(eventual), Some(0)),
        "ends at the last accepted target with nothing waiting",
    )
}

fn reject_reports_busy(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Reject, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let (a, a_retry, before, b, after, b_retry) = play(sim, &led, async {
        let a = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(3_500)).await;
        let now = sim.clock().now();
        let a_retry = led.put(&desired(1), now);
        let before = led.get(now);
        let b = led.put(&desired(0), now);
        let after = led.get(now);
        at(sim, start, ms(3_500) + Duration::from_millis(6_500)).await;
        settle(sim, &led).await;
        let b_retry = led.put(&desired(0), sim.clock().now());
        settle(sim, &led).await;
        (a, a_retry, before, b, after, b_retry)
    })?;
    ensure_eq(
        accepted(&a_retry).map(|(ticket, ..)| ticket),
        accepted(&a).map(|(ticket, ..)| ticket),
        "client A's retry of the running change is accepted, not refused",
    )?;
    ensure_eq(
        b,
        Err(Error::Busy {
            retry_after: ms(6_500),
        }),
        "client B is told to come back when the ramp ends",
    )?;
    ensure_eq(before, after, "the refusal changed nothing")?;
    ensure(accepted(&b_retry).is_some(), "client B's retry is accepted")?;
    let duties = rec.duties();
    ensure_whole_legs(
        &duties,
        &[MAX_DUTY, 0],
        "a full on-ramp, then (after the retry) the off-ramp",
    )
}

fn preempt_turns_back_without_jump(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Preempt, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let turn = start + ms(3_500);
    let (a, b) = play(sim, &led, async {
        let a = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(3_500)).await;
        let b = led.put(&desired(0), sim.clock().now());
        settle(sim, &led).await;
        (a, b)
    })?;
    let (a_ticket, b_ticket) = (accepted(&a), accepted(&b));
    ensure(
        a_ticket.is_some() && b_ticket.is_some(),
        "both changes are accepted",
    )?;
    ensure(
        b_ticket.map(|(_, position, _)| position) == Some(0),
        "the latest change runs at once",
    )?;
    let writes = rec.writes();
    let duties = rec.duties();
    ensure_eq(find_interleaving(&duties), None, "no interleaving")?;
    ensure_eq(reversals(&duties), 1, "turns back exactly once")?;
    let top = duties.iter().copied().max().unwrap_or(0);
    ensure_eq(
        top,
        linear_duty(3, 10),
        "turns back at the level reached by 3.5 s",
    )?;
    let step = linear_duty(1, 10) + 1;
    ensure(
        duties
            .windows(2)
            .all(|pair| pair[0].abs_diff(pair[1]) <= step),
        "no write jumps by more than one step",
    )?;
    ensure(
        writes
            .iter()
            .filter(|write| write.at > turn)
            .all(|write| write.duty < top),
        "after client B it only goes down",
    )?;
    ensure_eq(duties.last().copied(), Some(0), "ends off")?;
    ensure_eq(
        writes.last().map(|write| write.at),
        Some(turn + ms(3_000)),
        "the way back takes three one-second steps",
    )
}

fn delete_mid_ramp(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let (queued, deleted, after_delete) = play(sim, &led, async {
        let _ = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(500)).await;
        let b = led.put(&desired(0), sim.clock().now());
        at(sim, start, ms(1_000)).await;
        let c = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(4_200)).await;
        let now = sim.clock().now();
        let deleted = led.delete(now);
        let after_delete = led.get(now);
        settle(sim, &led).await;
        ([b, c], deleted, after_delete)
    })?;
    ensure(
        queued.iter().all(|outcome| accepted(outcome).is_some()),
        "two changes were waiting",
    )?;
    for outcome in &queued {
        if let Some((ticket, ..)) = accepted(outcome) {
            ensure(
                led.controller().is_settled(ticket),
                "waiting changes are cancelled",
            )?;
        }
    }
    ensure(accepted(&deleted).is_some(), "delete heads off at once")?;
    ensure_eq(
        (after_delete.int("desired"), after_delete.int("waiting")),
        (Some(0), Some(0)),
        "after delete: turning off, nothing waiting",
    )?;
    let duties = rec.duties();
    ensure_whole_legs(
        &duties,
        &[linear_duty(4, 10), 0],
        "up to the level at 4.2 s, then straight down",
    )?;
    let end = led.get(sim.clock().now());
    ensure_eq(
        (end.int("current"), end.int("duty")),
        (Some(0), Some(0)),
        "ends off",
    )
}

fn queue_full(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 2>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let (b, c, before, d, after, d_retry) = play(sim, &led, async {
        let _ = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(1_000)).await;
        let b = led.put(&desired(0), sim.clock().now());
        at(sim, start, ms(2_000)).await;
        let c = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(3_000)).await;
        let now = sim.clock().now();
        let before = led.get(now);
        let d = led.put(&desired(0), now);
        let after = led.get(now);
        at(sim, start, ms(10_000)).await;
        let d_retry = led.put(&desired(0), sim.clock().now());
        settle(sim, &led).await;
        (b, c, before, d, after, d_retry)
    })?;
    ensure_eq(
        (
            accepted(&b).map(|(_, position, _)| position),
            accepted(&c).map(|(_, position, _)| position),
        ),
        (Some(1), Some(2)),
        "two changes queue behind the running one",
    )?;
    ensure_eq(
        d,
        Err(Error::QueueFull {
            retry_after: ms(7_000),
        }),
        "a third is refused until the running ramp ends",
    )?;
    ensure_eq(before, after, "the refusal changed nothing")?;
    ensure_eq(
        accepted(&d_retry).map(|(_, position, _)| position),
        Some(2),
        "the retry gets the freed place",
    )?;
    let duties = rec.duties();
    ensure_whole_legs(
        &duties,
        &[MAX_DUTY, 0, MAX_DUTY, 0],
        "all four changes applied in order",
    )
}

fn cancelled_runner_releases_lock(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    // The clients finish at 3.5 s, which drops the runner mid-ramp.
    play(sim, &led, async {
        let _ = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(3_500)).await;
    })?;
    let limit = sim.clock().now() + ms(1_000);
    let lock = sim.run(
        limit,
        select(led.controller().lock_output(), sim.delay().until(limit)),
    )?;
    ensure(
        matches!(lock, Either::First(_)),
        "the output lock is free once the runner is dropped",
    )?;
    drop(lock);
    let snapshot = led.controller().snapshot(sim.clock().now());
    ensure_eq(
        snapshot.duty,
        linear_duty(3, 10),
        "the state still shows the level on the pin",
    )?;
    play(sim, &led, settle(sim, &led))?;
    let duties = rec.duties();
    ensure(
        duties.windows(2).all(|pair| pair[0] <= pair[1]),
        "a new runner carries the ramp on upwards",
    )?;
    let end = led.get(sim.clock().now());
    ensure_eq(
        (end.int("current"), end.int("duty")),
        (Some(1), Some(i64::from(MAX_DUTY))),
        "and completes it",
    )
}

fn retry_is_idempotent(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let (first, retries, waiting, at_rest) = play(sim, &led, async {
        let first = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(1_000)).await;
        let second = led.put(&desired(1), sim.clock().now());
        at(sim, start, ms(2_500)).await;
        let third = led.put(&desired(1), sim.clock().now());
        let waiting = led.get(sim.clock().now()).int("waiting");
        settle(sim, &led).await;
        let at_rest = led.put(&desired(1), sim.clock().now());
        (first, [second, third], waiting, at_rest)
    })?;
    for retry in &retries {
        ensure_eq(
            accepted(retry).map(|(ticket, ..)| ticket),
            accepted(&first).map(|(ticket, ..)| ticket),
            "a retry gets the ticket of the change it repeats",
        )?;
    }
    ensure_eq(waiting, Some(0), "nothing queued twice")?;
    ensure_eq(at_rest, Ok(Outcome::Done), "at rest, the same PUT is done")?;
    ensure_eq(rec.duties().len(), 11, "one ramp of ten steps")
}

fn shape_per_noun(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<64>(sim);
    let led = led::<64, 4>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let start = sim.clock().now();
    let mut patch = desired(1);
    let fits =
        patch.set("steps", Value::Int(4)).is_ok() && patch.set("step_ms", Value::Int(250)).is_ok();
    ensure(fits, "patch holds three attributes")?;
    let (state, after_delete) = play(sim, &led, async {
        let _ = led.put(&patch, sim.clock().now());
        let state = led.get(sim.clock().now());
        settle(sim, &led).await;
        let _ = led.delete(sim.clock().now());
        settle(sim, &led).await;
        (state, led.get(sim.clock().now()))
    })?;
    ensure_eq(
        (
            state.int("steps"),
            state.int("step_ms"),
            state.int("remaining_ms"),
        ),
        (Some(4), Some(250), Some(1_000)),
        "the noun takes the new shape",
    )?;
    let writes = rec.writes();
    for k in 0..=4u32 {
        let write = writes.get(k as usize);
        ensure_eq(
            write.map(|write| (write.at, write.duty)),
            Some((start + ms(250 * u64::from(k)), linear_duty(k, 4))),
            "four steps of 250 ms",
        )?;
    }
    ensure_eq(
        (after_delete.int("steps"), after_delete.int("step_ms")),
        (Some(10), Some(1_000)),
        "delete restores the configured shape",
    )
}

/// The key and problem a body should be refused for, or `None` if it is valid.
type Expected = Option<(&'static str, Problem)>;

fn bodies_decode_against_schema(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<8>(sim);
    let led = led::<8, 1>(&rec, Policy::Fifo, TEN_SECOND_FADE);
    let schema = led.describe().attributes;
    let mut scratch = [0u8; 32];
    let cases: [(&[u8], Expected); 6] = [
        (br#"{"colour": 1}"#, Some(("colour", Problem::Unknown))),
        (br#"{"current": 1}"#, Some(("current", Problem::ReadOnly))),
        (
            br#"{"desired": 2}"#,
            Some(("desired", Problem::OutOfRange { min: 0, max: 1 })),
        ),
        (
            br#"{"desired": "on"}"#,
            Some((
                "desired",
                Problem::WrongType(urest_core::attributes::Kind::Int { min: 0, max: 1 }),
            )),
        ),
        (
            br#"{"desired": 1, "desired": 0}"#,
            Some(("desired", Problem::Duplicate)),
        ),
        (br#" {"desired" : 1 , "steps": 5} "#, None),
    ];
    for (body, expected) in cases {
        let decoded = Attributes::decode(body, schema, &mut scratch);
        match (decoded, expected) {
            (Ok(patch), None) => ensure_eq(patch.int("steps"), Some(5), "valid body decodes")?,
            (Err(DecodeError::Attribute(error)), Some((key, problem))) => ensure_eq(
                (error.key(), error.problem()),
                (key, problem),
                "the error names the key",
            )?,
            (other, _) => {
                return Err(Failure::new(format_args!(
                    "unexpected decode result {other:?}"
                )))
            }
        }
    }
    ensure(
        matches!(
            Attributes::decode(b"{\"desired\": ", schema, &mut scratch),
            Err(DecodeError::Malformed(_))
        ),
        "broken JSON is malformed",
    )
}

fn simple_led_verbs(_sim: &'static Simulation) -> Result<(), Failure> {
    let level = PinLevel::new();
    let led: SimpleLed<NoopRawMutex, MockPin<'_>> = SimpleLed::new(MockPin::new(&level))
        .map_err(|_| Failure::new(format_args!("pin failed")))?;
    let now = Instant::ZERO;
    let mut on = Attributes::new();
    let _ = on.set("led", Value::Int(1));
    ensure_eq(led.put(&on, now), Ok(Outcome::Done), "PUT is done at once")?;
    ensure(level.is_high(), "PUT led 1 drives the pin high")?;
    ensure_eq(led.get(now).int("led"), Some(1), "GET reads it back")?;
    ensure_eq(led.post(&Attributes::new(), now), Ok(Outcome::Done), "POST")?;
    ensure(!level.is_high(), "an empty POST toggles")?;
    let _ = led.post(&Attributes::new(), now);
    ensure_eq(led.delete(now), Ok(Outcome::Done), "DELETE")?;
    ensure(!level.is_high(), "DELETE turns it off")?;
    ensure_eq(
        led.put(&Attributes::new(), now)
            .map_err(|error| error.kind()),
        Err(urest_core::resource::ErrorKind::InvalidAttribute),
        "PUT needs led",
    )?;
    level.set_failing(true);
    ensure_eq(
        led.put(&on, now),
        Err(Error::Hardware),
        "a pin error is reported",
    )?;
    ensure_eq(
        led.get(now).int("led"),
        Some(0),
        "and the state is unchanged",
    )
}
