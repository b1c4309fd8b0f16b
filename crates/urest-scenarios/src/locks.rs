//! Clients that coordinate through the core's [`Coordinator`]: a lock that
//! keeps one client's sequence whole, a lease that frees the lock of a
//! client that died, a lock that leaves changes queued before it in their
//! place, and an idempotency key that makes a retried toggle harmless.
//!
//! Every change goes through [`Coordinator::apply`], as a server sends it;
//! the lock tokens come from a [`TokenSource`] over [`ScenarioEntropy`],
//! deterministic so each run is the same run (never what a board uses).

use core::cell::RefCell;
use core::time::Duration;

use embassy_futures::join::join;
use heapless::Vec;
use urest_core::attributes::Attributes;
use urest_core::controller::{Policy, Status, Ticket};
use urest_core::coord::{
    Change, CoordConfig, Coordinator, LockToken, Refused, Reply, Request, TokenSource,
};
use urest_core::resource::{Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::Simulation;

use crate::check::{ensure, ensure_eq, ensure_legs, ensure_whole_legs, Failure};
use crate::rig::{at, desired, led, ms, play, recorder, settle, shape, MAX_DUTY};
use urest_mock::MockEntropy;

/// Idempotency keys each scenario's coordinator remembers: two is all any
/// of them uses, and each key costs about 100 bytes of stack.
const KEYS: usize = 2;

/// Writes a recording keeps: every scenario here makes at most 21.
const WRITES: usize = 32;

/// Tries a polling client makes at most before the scenario gives up.
const TRIES: usize = 16;

type Shared = RefCell<Coordinator<KEYS>>;
type Answer = Result<Reply, Refused>;

/// Every ramp here: four steps of 250 ms, so a change takes one second.
fn one_second_fade() -> urest_core::controller::RampShape {
    shape(4, 250)
}

fn coordinator() -> Shared {
    RefCell::new(Coordinator::new(CoordConfig::default()))
}

fn token_source(seed: u64) -> Result<TokenSource<MockEntropy>, Failure> {
    TokenSource::new(MockEntropy::new(seed))
        .map_err(|error| Failure::new(format_args!("no token source: {error}")))
}

fn refused(refusal: Refused) -> Failure {
    Failure::new(format_args!("refused: {refusal}"))
}

/// `PUT {"desired": target}` on `noun` through `coordinator`, with `token`
/// if the client holds the lock.
///
/// The patch is made here, not by the clients: an `Attributes` takes about
/// 0.8 KiB, too much to keep in a client's future across its awaits on the
/// micro:bit's stack.
fn put(
    coordinator: &Shared,
    noun: &dyn Resource,
    target: i64,
    token: Option<&LockToken>,
    now: Instant,
) -> Answer {
    let patch = desired(target);
    let request = Request {
        token,
        ..Request::new(Change::Put(&patch))
    };
    coordinator.borrow_mut().apply(noun, &request, now)
}

/// The ticket, queue position and completion of an accepted, first-time
/// change.
fn accepted(answer: &Answer) -> Option<(Ticket, u16, Instant)> {
    match answer {
        Ok(Reply {
            outcome:
                Outcome::Accepted {
                    ticket,
                    position,
                    completes_at,
                },
            replayed: false,
        }) => Some((*ticket, *position, *completes_at)),
        _ => None,
    }
}

/// What client B's polling saw, kept small: scenario futures live on the
/// stack, which is 15 KiB on the micro:bit, so the refusals are kept as
/// their times and the lease each reported, and only the answer that ended
/// the polling is kept whole.
struct Polling {
    /// When B was refused as locked by the expected holder, and the lease
    /// left that the refusal reported.
    refusals: Vec<(Instant, Duration), TRIES>,
    /// The try that ended the polling, whether it got in or was answered
    /// unexpectedly; `None` if B gave up.
    last: Option<(Instant, Answer)>,
}

/// Client B's polling: `PUT {"desired": 0}` without a token at `first`
/// after `start`, then every `every`, while it is refused as locked by
/// `holder` (at most [`TRIES`] times).
async fn poll_until_in(
    sim: &'static Simulation,
    coordinator: &Shared,
    noun: &dyn Resource,
    holder: &str,
    (start, first, every): (Instant, Duration, Duration),
) -> Polling {
    let mut polling = Polling {
        refusals: Vec::new(),
        last: None,
    };
    let mut offset = first;
    while !polling.refusals.is_full() {
        at(sim, start, offset).await;
        let now = sim.clock().now();
        match put(coordinator, noun, 0, None, now) {
            Err(Refused::Locked { owner, remaining }) if owner.as_str() == holder => {
                // Room is checked by the loop condition.
                let _ = polling.refusals.push((now, remaining));
            }
            answer => {
                polling.last = Some((now, answer));
                break;
            }
        }
        offset += every;
    }
    polling
}

/// B was refused, as locked, only before `until`, each time with the time
/// left until `lease_end`, and its first try at or after `until` (B tries
/// `every` so often) got in. Returns when that one was made.
fn ensure_refused_until(
    polling: &Polling,
    until: Instant,
    lease_end: Instant,
    every: Duration,
) -> Result<Instant, Failure> {
    for (tried, remaining) in &polling.refusals {
        ensure(*tried < until, "B is refused only while the lock is held")?;
        ensure_eq(
            *remaining,
            lease_end.duration_since(*tried),
            "each refusal tells B the lease left",
        )?;
    }
    let (in_at, answer) = polling
        .last
        .as_ref()
        .ok_or_else(|| Failure::new(format_args!("B never got in")))?;
    if *in_at < until {
        return Err(Failure::new(format_args!(
            "B is refused with the holder's name while the lock is held: got {answer:?}"
        )));
    }
    ensure(
        !polling.refusals.is_empty(),
        "B is refused while the lock is held",
    )?;
    ensure(
        accepted(answer).is_some(),
        "B's first try once the lock is free is accepted",
    )?;
    ensure(
        *in_at < until + every,
        "nothing holds B off once the lock is free: its first try after gets in",
    )?;
    Ok(*in_at)
}

/// Client A's lease in [`lock_keeps_a_sequence_whole`]: longer than its
/// sequence, which it ends by releasing the lock.
const SEQUENCE_LEASE: Duration = Duration::from_secs(10);

/// Two clients take one PWM LED in turn under a lock (Fifo, one-second
/// fades). A locks at 0 s and sets on at 0 s, off at 1.5 s and on at 3 s,
/// then releases at 4.5 s. B tries to set off every 450 ms from 0.2 s: each
/// try is refused with [`Refused::Locked`], naming A and the lease left —
/// also the tries at 1.1 s and 2.9 s, when the LED is idle between A's
/// changes and only the lock keeps B out — until its first try after the
/// release, which is accepted. The pin shows A's on, off, on whole, then
/// B's off, never one of B's writes among A's.
///
/// ```
/// # let sim = Box::leak(Box::new(urest_mock::Simulation::new()));
/// assert!(urest_scenarios::lock_keeps_a_sequence_whole(sim).is_ok());
/// ```
pub fn lock_keeps_a_sequence_whole(sim: &'static Simulation) -> Result<(), Failure> {
    const B_EVERY: Duration = Duration::from_millis(450);
    let rec = recorder::<WRITES>(sim);
    let led = led::<WRITES, 4>(&rec, Policy::Fifo, one_second_fade());
    let coordinator = coordinator();
    let mut tokens = token_source(0x5EED_0001)?;
    let start = sim.clock().now();
    let granted = coordinator
        .borrow_mut()
        .lock(&mut tokens, "A", Some(SEQUENCE_LEASE), start)
        .map_err(refused)?;
    let lease_end = start + SEQUENCE_LEASE;
    let release_at = start + ms(4_500);
    let client_a = async {
        let mut a_accepted = 0;
        for (offset, target) in [(0, 1), (1_500, 0), (3_000, 1)] {
            at(sim, start, ms(offset)).await;
            let now = sim.clock().now();
            let answer = put(&coordinator, &led, target, Some(&granted.token), now);
            a_accepted += usize::from(accepted(&answer).is_some());
        }
        sim.delay().until(release_at).await;
        let released = coordinator
            .borrow_mut()
            .release(&granted.token, sim.clock().now());
        (a_accepted, released)
    };
    let client_b = poll_until_in(sim, &coordinator, &led, "A", (start, ms(200), B_EVERY));
    let ((a_accepted, released), b_attempts) = play(sim, &led, async {
        let answers = join(client_a, client_b).await;
        settle(sim, &led).await;
        answers
    })?;

    ensure_eq(
        a_accepted,
        3,
        "each of A's three changes is accepted with A's token",
    )?;
    ensure_eq(released, Ok(()), "A releases its lock")?;
    let b_in = ensure_refused_until(&b_attempts, release_at, lease_end, B_EVERY)?;
    let idle_between_a_changes = |tried: &Instant| {
        (*tried > start + ms(1_000) && *tried < start + ms(1_500))
            || (*tried > start + ms(2_500) && *tried < start + ms(3_000))
    };
    ensure_eq(
        b_attempts
            .refusals
            .iter()
            .filter(|(tried, _)| idle_between_a_changes(tried))
            .count(),
        2,
        "B tried twice while the LED was idle between A's changes",
    )?;
    ensure_eq(
        coordinator.borrow().lock_info(b_in),
        None,
        "nobody holds the lock after the release",
    )?;

    let writes = rec.writes();
    ensure_eq(rec.dropped(), 0, "recording kept every write")?;
    let before_b: Vec<u16, WRITES> = writes
        .iter()
        .filter(|write| write.at < b_in)
        .map(|write| write.duty)
        .collect();
    ensure_legs(
        &before_b,
        &[MAX_DUTY, 0, MAX_DUTY],
        "until B gets in, the pin shows A's on, off, on whole",
    )?;
    let duties = rec.duties();
    ensure_whole_legs(
        &duties,
        &[MAX_DUTY, 0, MAX_DUTY, 0],
        "then B's off, after A's sequence",
    )
}

/// The short lease client A takes in [`lease_frees_a_dead_holders_lock`].
const SHORT_LEASE: Duration = Duration::from_secs(2);

/// A client dies holding a lock. A locks with a 2 s lease, sets on and
/// vanishes without releasing. B tries to set off every 500 ms from 0.3 s:
/// refused with [`Refused::Locked`] (A's name, the lease left) until the
/// lease ends by itself at 2 s, with no task to expire it; B's first try
/// after that, at 2.3 s, is accepted, and B can lock the noun itself. A's
/// token, should A come back, is worth nothing then.
///
/// ```
/// # let sim = Box::leak(Box::new(urest_mock::Simulation::new()));
/// assert!(urest_scenarios::lease_frees_a_dead_holders_lock(sim).is_ok());
/// ```
pub fn lease_frees_a_dead_holders_lock(sim: &'static Simulation) -> Result<(), Failure> {
    const B_EVERY: Duration = Duration::from_millis(500);
    let rec = recorder::<WRITES>(sim);
    let led = led::<WRITES, 4>(&rec, Policy::Fifo, one_second_fade());
    let coordinator = coordinator();
    let mut tokens = token_source(0x5EED_0002)?;
    let start = sim.clock().now();
    let lease_end = start + SHORT_LEASE;
    let (b_attempts, a_on, b_lock, a_back) = play(sim, &led, async {
        let granted = coordinator
            .borrow_mut()
            .lock(&mut tokens, "A", Some(SHORT_LEASE), start);
        let dead_token = granted.as_ref().ok().map(|granted| granted.token);
        let a_on = put(&coordinator, &led, 1, dead_token.as_ref(), start);
        // A says nothing more: no renewal, no release.
        let attempts = poll_until_in(sim, &coordinator, &led, "A", (start, ms(300), B_EVERY)).await;
        let now = sim.clock().now();
        let b_lock = coordinator.borrow_mut().lock(&mut tokens, "B", None, now);
        let a_back = put(&coordinator, &led, 1, dead_token.as_ref(), now);
        settle(sim, &led).await;
        (attempts, a_on, b_lock.map(|granted| granted.info), a_back)
    })?;

    ensure(
        accepted(&a_on).is_some(),
        "A's change under its lock is accepted",
    )?;
    ensure_refused_until(&b_attempts, lease_end, lease_end, B_EVERY)?;
    ensure_eq(
        b_lock.as_ref().map(|info| info.owner.as_str()),
        Ok("B"),
        "the lapsed lock is free for B to take",
    )?;
    ensure(
        matches!(&a_back, Err(Refused::Locked { owner: holder, .. }) if holder.as_str() == "B"),
        "A's token from the lapsed lock opens nothing",
    )?;
    let duties = rec.duties();
    ensure_whole_legs(&duties, &[MAX_DUTY, 0], "A's on, then B's off")
}

/// Fifo: a change queued before a lock was taken keeps its place. B sets
/// on at 0 s (it runs) and off at 0.1 s (queued, position 1); A locks at
/// 0.2 s and sets on at 0.3 s, which queues behind B's off (position 2).
/// B's off is neither lost nor jumped: it runs in its turn, from 1 s to
/// 2 s, and A's on after it. The lock only refuses B's new change at 0.4 s.
///
/// ```
/// # let sim = Box::leak(Box::new(urest_mock::Simulation::new()));
/// assert!(urest_scenarios::lock_keeps_changes_queued_before_it(sim).is_ok());
/// ```
pub fn lock_keeps_changes_queued_before_it(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<WRITES>(sim);
    let led = led::<WRITES, 4>(&rec, Policy::Fifo, one_second_fade());
    let coordinator = coordinator();
    let mut tokens = token_source(0x5EED_0003)?;
    let start = sim.clock().now();
    let (b_on, b_off, a_on, b_later, b_off_waiting) = play(sim, &led, async {
        let b_on = put(&coordinator, &led, 1, None, start);
        at(sim, start, ms(100)).await;
        let b_off = put(&coordinator, &led, 0, None, sim.clock().now());
        at(sim, start, ms(200)).await;
        let now = sim.clock().now();
        let granted = coordinator.borrow_mut().lock(&mut tokens, "A", None, now);
        let a_token = granted.as_ref().ok().map(|granted| granted.token);
        at(sim, start, ms(300)).await;
        let a_on = put(&coordinator, &led, 1, a_token.as_ref(), sim.clock().now());
        at(sim, start, ms(400)).await;
        let now = sim.clock().now();
        let b_later = put(&coordinator, &led, 1, None, now);
        let b_off_waiting =
            accepted(&b_off).and_then(|(ticket, ..)| led.controller().change_status(ticket, now));
        settle(sim, &led).await;
        if let Some(token) = a_token {
            // Released for tidiness; the scenario is over.
            let _ = coordinator.borrow_mut().release(&token, sim.clock().now());
        }
        (b_on, b_off, a_on, b_later, b_off_waiting)
    })?;

    let position = |answer: &Answer| accepted(answer).map(|(_, position, _)| position);
    ensure_eq(
        (position(&b_on), position(&b_off), position(&a_on)),
        (Some(0), Some(1), Some(2)),
        "B's on runs, B's off waits, A's on queues behind it under the lock",
    )?;
    ensure(
        matches!(&b_later, Err(Refused::Locked { owner: holder, .. }) if holder.as_str() == "A"),
        "B's new change under A's lock is refused",
    )?;
    ensure_eq(
        b_off_waiting.map(|change| (change.status, change.position)),
        Some((Status::Queued, 1)),
        "taking the lock left B's off queued in its place",
    )?;
    let now = sim.clock().now();
    let finished = |answer: &Answer| {
        accepted(answer)
            .and_then(|(ticket, ..)| led.controller().change_status(ticket, now))
            .map(|change| (change.status, change.completes_at))
    };
    ensure_eq(
        finished(&b_off),
        Some((Status::Done, start + ms(2_000))),
        "B's off ran in its turn, after B's on",
    )?;
    ensure_eq(
        finished(&a_on),
        Some((Status::Done, start + ms(3_000))),
        "A's on ran after B's off",
    )?;
    let duties = rec.duties();
    ensure_whole_legs(
        &duties,
        &[MAX_DUTY, 0, MAX_DUTY],
        "B's on, B's off, A's on: in the order accepted",
    )
}

/// An empty `POST` toggles a PWM LED (Fifo). Sent with an idempotency key
/// at 0 s and retried three times with the same key, while the fade runs
/// and after it ended, it toggles once: every retry gets the first answer
/// back, marked as a replay, and nothing is queued. A new key toggles
/// again.
///
/// ```
/// # let sim = Box::leak(Box::new(urest_mock::Simulation::new()));
/// assert!(urest_scenarios::keyed_toggle_retried_toggles_once(sim).is_ok());
/// ```
pub fn keyed_toggle_retried_toggles_once(sim: &'static Simulation) -> Result<(), Failure> {
    let rec = recorder::<WRITES>(sim);
    let led = led::<WRITES, 4>(&rec, Policy::Fifo, one_second_fade());
    let coordinator = coordinator();
    let start = sim.clock().now();
    let toggle = Attributes::new();
    let toggle_with = |key| Request {
        key: Some(key),
        ..Request::new(Change::Post(&toggle))
    };
    let (answers, waiting, toggled_again) = play(sim, &led, async {
        let mut answers: Vec<Answer, 4> = Vec::new();
        for offset in [0, 300, 600, 1_500] {
            at(sim, start, ms(offset)).await;
            let now = sim.clock().now();
            let answer = coordinator
                .borrow_mut()
                .apply(&led, &toggle_with("toggle-1"), now);
            // Four places for four sends.
            let _ = answers.push(answer);
        }
        let waiting = led.get(sim.clock().now()).int("waiting");
        let now = sim.clock().now();
        let toggled_again = coordinator
            .borrow_mut()
            .apply(&led, &toggle_with("toggle-2"), now);
        settle(sim, &led).await;
        (answers, waiting, toggled_again)
    })?;

    let first = answers
        .first()
        .and_then(|answer| answer.as_ref().ok())
        .copied();
    ensure(
        answers
            .first()
            .is_some_and(|answer| accepted(answer).is_some()),
        "the first toggle is accepted",
    )?;
    let replay = first.map(|reply| Reply {
        replayed: true,
        ..reply
    });
    for retry in answers.iter().skip(1) {
        ensure_eq(
            retry.as_ref().ok().copied(),
            replay,
            "a retry with the key gets the first answer again",
        )?;
    }
    ensure_eq(answers.len(), 4, "sent once, retried three times")?;
    ensure_eq(waiting, Some(0), "nothing was queued by the retries")?;
    ensure(
        accepted(&toggled_again).is_some(),
        "a new key is a new toggle",
    )?;
    let duties = rec.duties();
    ensure_legs(&duties, &[MAX_DUTY, 0], "one toggle on, then one off")
}
