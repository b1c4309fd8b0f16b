//! Each policy's promise, kept on a real executor in real time.
//!
//! A PWM LED over a recording mock ramps in ten steps of 100 ms. Its
//! controller runs in a task of its own; client task A asks for on at once,
//! client task B for off 350 ms later. The recording is then held to what
//! the policy promises. Real time jitters, so the checks compare levels and
//! their order rather than timestamps: what B finds is worked out from when
//! A and B actually arrived, and the only timing demanded is that no step is
//! cut short: each write comes no earlier than its ramp's start plus its
//! step times. (A step that runs late is followed by a shorter one, as the
//! ramp catches up with its schedule, so the gap between two writes can be
//! under a step time without any promise broken.)

use core::time::Duration;

use embassy_executor::{SpawnError, Spawner};
use embassy_futures::join::join;
use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{with_timeout, Delay, Timer};
use heapless::Vec;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{Policy, RampConfig, RampShape, Snapshot};
use urest_core::nouns::PwmLed;
use urest_core::resource::{Error, Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::interleaving::find_interleaving;
use urest_mock::{MockPwm, MockPwmError, Recorder, Write};

use crate::clock::{to_embassy, EmbassyClock};
use crate::verdict::{ensure, ensure_eq, ensure_legs, Failure, Verdict};

/// Full scale of the mock timer: a 10-bit PWM.
pub const MAX_DUTY: u16 = 1_023;

/// Steps of a full swing.
const STEPS: u16 = 10;

/// How long each step holds.
const STEP: Duration = Duration::from_millis(100);

/// Ten steps of 100 ms: a second from off to on.
const SHAPE: RampShape = RampShape {
    steps: match core::num::NonZeroU16::new(STEPS) {
        Some(steps) => steps,
        None => core::num::NonZeroU16::MIN,
    },
    step_time: STEP,
    ..RampShape::TEN_SECOND_FADE
};

/// When client B arrives, after client A.
const B_AFTER: Duration = Duration::from_millis(350);

/// A run that has not settled by then has hung.
const TIME_LIMIT: embassy_time::Duration = embassy_time::Duration::from_secs(10);

/// Room for every write: at most an on-ramp and an off-ramp of ten steps
/// each, plus the first write (21), and a few more to see what went wrong
/// if there are more.
const WRITES: usize = 24;

/// A recording of one LED's writes, stamped by embassy time.
pub type Recording = Recorder<EmbassyClock, WRITES>;

/// The LED under test: shared between tasks, so guarded by critical
/// sections.
pub type Led = PwmLed<CriticalSectionRawMutex, MockPwm<'static, EmbassyClock, WRITES>, 2>;

/// One recording for each LED of [`benches`].
static RECORDINGS: [Recording; 3] = [const { Recorder::new(EmbassyClock) }; 3];

/// A LED under one policy and the recording of its writes.
pub struct Bench {
    led: Led,
    recording: &'static Recording,
}

impl Bench {
    fn new(policy: Policy, recording: &'static Recording) -> Bench {
        let config = RampConfig {
            policy,
            shape: SHAPE,
            ..RampConfig::FIFO_TEN_SECOND_FADE
        };
        Bench {
            led: PwmLed::new(MockPwm::new(recording, MAX_DUTY), config),
            recording,
        }
    }

    /// The LED.
    pub fn led(&self) -> &Led {
        &self.led
    }

    /// What the check of this bench is called in the report.
    pub fn name(&self) -> &'static str {
        match self.led.controller().policy() {
            Policy::Fifo => "fifo: B waits, full scale then back to 0",
            Policy::Reject => "reject: B refused as busy with the time left",
            Policy::Preempt => "preempt: B turns back from A's level, step by step",
        }
    }
}

/// A bench for each policy, in the order they are checked. Call once: each
/// writes to a recording of its own that lives for the whole program.
pub fn benches() -> [Bench; 3] {
    let [fifo, reject, preempt] = &RECORDINGS;
    [
        Bench::new(Policy::Fifo, fifo),
        Bench::new(Policy::Reject, reject),
        Bench::new(Policy::Preempt, preempt),
    ]
}

/// What a client was told, and when it asked.
struct Answer {
    at: Instant,
    outcome: Result<Outcome, Error>,
}

/// Where clients A and B leave their answers.
static ANSWERS: [Signal<CriticalSectionRawMutex, Answer>; 2] = [const { Signal::new() }; 2];

/// Where a runner that stopped leaves its error.
static RUNNER_FAILED: Signal<CriticalSectionRawMutex, MockPwmError> = Signal::new();

/// Applies `led`'s transitions for as long as the program runs. One task
/// per LED; each idles once its check is over.
#[embassy_executor::task(pool_size = 3)]
async fn apply_changes(led: &'static Led) {
    match led.controller().run(&EmbassyClock, &mut Delay).await {
        Ok(never) => match never {},
        Err(error) => RUNNER_FAILED.signal(error),
    }
}

/// A client that PUTs `{"desired": desired}` to `led` at `at` and leaves
/// the answer in `answer`.
#[embassy_executor::task(pool_size = 2)]
async fn client(
    led: &'static Led,
    at: embassy_time::Instant,
    desired: i64,
    answer: &'static Signal<CriticalSectionRawMutex, Answer>,
) {
    Timer::at(at).await;
    let mut patch = Attributes::new();
    // One entry always fits.
    let _ = patch.set("desired", Value::Int(desired));
    let now = EmbassyClock.now();
    answer.signal(Answer {
        at: now,
        outcome: led.put(&patch, now),
    });
}

/// Play clients A and B against the bench's LED, wait until it is idle,
/// and judge what it wrote by its policy.
pub async fn check(spawner: Spawner, bench: &'static Bench) -> Verdict {
    let Bench { led, recording } = bench;
    let [a_answer, b_answer] = &ANSWERS;
    // A check that timed out may have left an answer behind.
    a_answer.reset();
    b_answer.reset();
    let start = embassy_time::Instant::now();
    let b_at = start + to_embassy(B_AFTER);
    spawner.spawn(apply_changes(led).map_err(not_spawned)?);
    spawner.spawn(client(led, start, 1, a_answer).map_err(not_spawned)?);
    spawner.spawn(client(led, b_at, 0, b_answer).map_err(not_spawned)?);
    let clients = async {
        let answers = join(a_answer.wait(), b_answer.wait()).await;
        settle(led).await;
        answers
    };
    let (a, b) = match with_timeout(TIME_LIMIT, select(clients, RUNNER_FAILED.wait())).await {
        Ok(Either::First(answers)) => answers,
        Ok(Either::Second(error)) => {
            return Err(Failure::new(format_args!("runner failed: {error:?}")))
        }
        Err(_) => return Err(Failure::new(format_args!("not idle after {TIME_LIMIT}"))),
    };
    ensure_eq(recording.dropped(), 0, "the recording kept every write")?;
    let end = led.controller().snapshot(EmbassyClock.now());
    let policy = led.controller().policy();
    ensure(
        b.at >= Instant::from_micros(b_at.as_micros()),
        "client B's timer fired no earlier than asked",
    )?;
    judge(policy, &recording.writes(), &a, &b, &end)
}

fn not_spawned(error: SpawnError) -> Failure {
    Failure::new(format_args!("could not spawn a task: {error:?}"))
}

/// Sleep until every accepted change on `led` is complete.
async fn settle(led: &Led) {
    loop {
        let snapshot = led.controller().snapshot(EmbassyClock.now());
        // The last write is on the pin, not just due: `resting` would not
        // tell, as a preempted transition never completes.
        let idle = snapshot.waiting == 0 && snapshot.level == snapshot.eventual;
        if snapshot.remaining.is_zero() && idle {
            return;
        }
        // The runner completes a transition at its end time; look again just after.
        let wait = snapshot.remaining.max(Duration::from_millis(1));
        Timer::after(to_embassy(wait)).await;
    }
}

/// Hold the recording and the answers to what `policy` promises.
// Not inlined, so its frame is on the stack only while it runs rather than
// in every poll of the task that awaits the check.
#[inline(never)]
fn judge(policy: Policy, writes: &[Write], a: &Answer, b: &Answer, end: &Snapshot) -> Verdict {
    let duties: Vec<u16, WRITES> = writes.iter().map(|write| write.duty).collect();
    ensure_eq(
        position(&a.outcome),
        Some(0),
        "client A's change runs at once",
    )?;
    ensure_eq(find_interleaving(&duties), None, "no interleaving")?;
    // The steps A's ramp had completed when B arrived.
    let b_after = b.at.duration_since(a.at);
    let reached = u16::try_from(b_after.as_micros() / STEP.as_micros())
        .unwrap_or(u16::MAX)
        .min(STEPS);
    match policy {
        Policy::Fifo => keeps_fifo(&duties, b, end),
        Policy::Reject => keeps_reject(&duties, b, b_after, end),
        Policy::Preempt => keeps_preempt(&duties, b, reached, end),
    }?;
    let plan = plan(policy, a.at, b.at, reached);
    let planned: Vec<u16, WRITES> = plan.iter().map(|due| due.duty).collect();
    ensure_eq(&duties[..], &planned[..], "every step, in order")?;
    for (index, (write, due)) in writes.iter().zip(&plan).enumerate() {
        if write.at < due.earliest {
            return Err(Failure::new(format_args!(
                "write {index} (duty {}) came {} us before its step was up",
                write.duty,
                due.earliest.duration_since(write.at).as_micros()
            )));
        }
    }
    Ok(())
}

fn keeps_fifo(duties: &[u16], b: &Answer, end: &Snapshot) -> Verdict {
    ensure_eq(
        position(&b.outcome),
        Some(1),
        "client B's change waits behind A's",
    )?;
    ensure_legs(duties, &[MAX_DUTY, 0], "up to full scale, then down to 0")?;
    ensure_eq(
        (end.resting, end.duty, end.waiting),
        (0, 0, 0),
        "ends off with nothing waiting",
    )
}

fn keeps_reject(duties: &[u16], b: &Answer, b_after: Duration, end: &Snapshot) -> Verdict {
    let Err(Error::Busy { retry_after }) = b.outcome else {
        return Err(Failure::new(format_args!(
            "client B was not refused as busy: {:?}",
            b.outcome
        )));
    };
    let ramp = STEP * u32::from(STEPS);
    ensure_eq(
        retry_after,
        ramp.saturating_sub(b_after),
        "client B is told the time A's ramp has left",
    )?;
    ensure(
        (Duration::from_millis(500)..=Duration::from_millis(700)).contains(&retry_after),
        "client B is told to retry in 500..700 ms",
    )?;
    ensure(
        duties.windows(2).all(|pair| pair.first() <= pair.last()),
        "never goes down",
    )?;
    ensure_legs(duties, &[MAX_DUTY], "reaches full scale")?;
    ensure_eq(
        (end.resting, end.duty, end.waiting),
        (urest_core::ramp::LEVEL_MAX, MAX_DUTY, 0),
        "ends on, as client A asked",
    )
}

fn keeps_preempt(duties: &[u16], b: &Answer, reached: u16, end: &Snapshot) -> Verdict {
    ensure_eq(
        position(&b.outcome),
        Some(0),
        "client B's change runs at once",
    )?;
    ensure(
        (1..STEPS).contains(&reached),
        "client B arrived while A's ramp was under way",
    )?;
    ensure_legs(
        duties,
        &[linear_duty(reached), 0],
        "turns back from the level reached when client B arrived, down to 0",
    )?;
    let one_step = linear_duty(1) + 1;
    ensure(
        duties
            .windows(2)
            .all(|pair| matches!(pair, [before, after] if before.abs_diff(*after) <= one_step)),
        "no write jumps by more than one step",
    )?;
    ensure_eq(
        (end.resting, end.duty, end.waiting),
        (0, 0, 0),
        "ends off with nothing waiting",
    )
}

/// A write the policy calls for, and the earliest it may come: its ramp's
/// start plus its step times.
struct Due {
    duty: u16,
    earliest: Instant,
}

/// Every write `policy` calls for when client A asks for on at `a_at` and
/// client B for off at `b_at`, after A's ramp `reached` its step. Times are
/// lower bounds: a real executor may run a step late, and the ramp then
/// catches up with its schedule, so only writes that come early break a
/// promise.
fn plan(policy: Policy, a_at: Instant, b_at: Instant, reached: u16) -> Vec<Due, WRITES> {
    let mut plan = Vec::new();
    let mut due = |duty, earliest| {
        // WRITES has room for the longest plan, Fifo's 21 writes.
        let _ = plan.push(Due { duty, earliest });
    };
    // The runner writes the level it starts at before any ramp.
    due(0, Instant::ZERO);
    let top = if policy == Policy::Preempt {
        reached
    } else {
        STEPS
    };
    for step in 1..=top {
        due(linear_duty(step), a_at + STEP * u32::from(step));
    }
    match policy {
        // B's ramp starts when A's ends.
        Policy::Fifo => {
            let a_ends = a_at + STEP * u32::from(STEPS);
            for step in 1..=STEPS {
                due(linear_duty(STEPS - step), a_ends + STEP * u32::from(step));
            }
        }
        // B's ramp starts when B arrives, from where A's had got to.
        Policy::Preempt => {
            for step in 1..=reached {
                due(linear_duty(reached - step), b_at + STEP * u32::from(step));
            }
        }
        Policy::Reject => {}
    }
    plan
}

/// The place in line an accepted change got.
fn position(outcome: &Result<Outcome, Error>) -> Option<u16> {
    match outcome {
        Ok(Outcome::Accepted { position, .. }) => Some(*position),
        _ => None,
    }
}

/// [`linear_duty`](urest_scenarios::check::linear_duty) on this program's
/// PWM and ramps.
fn linear_duty(step: u16) -> u16 {
    urest_scenarios::check::linear_duty(u32::from(step), u32::from(STEPS), MAX_DUTY)
}
