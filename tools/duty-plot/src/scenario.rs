//! The two-client story of the design note, played in virtual time and
//! recorded at the pin.
//!
//! Client A asks for on at 0 s, client B for off at [`B_ARRIVES`], and every
//! ramp has the original MicroPython urest's shape (ten steps of one second). [`without_lock`]
//! plays it with the original MicroPython urest's naive ramps; [`with_policy`] plays it against a
//! [`PwmLed`] whose controller runs in its own task. Each returns what the
//! pin saw and what each client was told.

use core::cell::RefCell;
use core::fmt;
use core::num::NonZeroU16;
use core::time::Duration;

use embassy_futures::join::join;
use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::{Attributes, DecodeError};
use urest_core::controller::{Policy, RampConfig, RampShape};
use urest_core::coord::{
    Change, CoordConfig, Coordinator, LockInfo, LockToken, Refused, Reply, Request as CoordRequest,
    TokenSource,
};
use urest_core::nouns::PwmLed;
use urest_core::ramp::Easing;
use urest_core::resource::{Error, Outcome, Resource};
use urest_core::time::{Clock, Instant};
use urest_mock::{
    MockEntropy, MockPwm, MockPwmError, Recorder, Simulation, Stalled, VirtualClock, Write,
};

use urest_mock::naive;

/// Full scale of the recorded PWM: round, so the axis reads in tenths.
pub const MAX_DUTY: u16 = 1_000;

/// When client B's request arrives: mid-way through A's fourth step.
pub const B_ARRIVES: Instant = Instant::from_millis(3_500);

/// The shape of every ramp in the story: the original MicroPython urest's.
pub const SHAPE: RampShape = RampShape::TEN_SECOND_FADE;

/// Writes a recording keeps; far more than the story makes.
const CAPACITY: usize = 128;

/// Changes a Fifo led lets wait; B's is the only one.
const QUEUE: usize = 4;

/// No run of the story comes near this; reaching it means something hangs.
const TIME_LIMIT: Instant = Instant::from_millis(120_000);

/// Whether a client asks for the LED on or off.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Switch {
    /// `{"desired": 1}`.
    On,
    /// `{"desired": 0}`.
    Off,
}

impl Switch {
    /// The request body a client sends.
    pub fn body(self) -> &'static [u8] {
        match self {
            Switch::On => br#"{"desired": 1}"#,
            Switch::Off => br#"{"desired": 0}"#,
        }
    }

    /// `"on"` or `"off"`.
    pub fn name(self) -> &'static str {
        match self {
            Switch::On => "on",
            Switch::Off => "off",
        }
    }
}

/// One client's request and the answer it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Who asked: `"A"` or `"B"`.
    pub client: &'static str,
    /// When the request arrived.
    pub at: Instant,
    /// What it asked for.
    pub switch: Switch,
    /// What the noun answered, or `None` when no API stood between the
    /// client and the pin (the naive ramps just start).
    pub answer: Option<Result<Outcome, Error>>,
}

/// What the pin saw during one run of the story, and who asked for what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recording {
    /// The policy of the noun, or `None` for the naive ramps.
    pub policy: Option<Policy>,
    /// Full scale of the PWM.
    pub max_duty: u16,
    /// Every write to the pin, oldest first.
    pub writes: Vec<Write>,
    /// The requests, in order of arrival.
    pub requests: Vec<Request>,
    /// When the run ended (after the last change settled).
    pub ended: Instant,
}

impl Recording {
    /// The duties written, oldest first.
    pub fn duties(&self) -> Vec<u16> {
        self.writes.iter().map(|write| write.duty).collect()
    }

    /// The duty the pin showed at `at`: the last write at or before it.
    pub fn duty_at(&self, at: Instant) -> Option<u16> {
        self.writes
            .iter()
            .take_while(|write| write.at <= at)
            .last()
            .map(|write| write.duty)
    }

    /// The request client `client` made, if any.
    pub fn request_of(&self, client: &str) -> Option<&Request> {
        self.requests
            .iter()
            .find(|request| request.client == client)
    }
}

/// Why a run of the story could not be recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    /// The simulation deadlocked or ran past its time limit.
    Stalled(Stalled),
    /// The mock PWM refused a write.
    Pwm(MockPwmError),
    /// A client's request body did not decode (a bug in this tool).
    Body(DecodeError),
    /// The coordinator refused what the story needs to happen (a bug in
    /// this tool, or in the core's locks).
    Refused(Refused),
    /// More writes than the recording holds.
    RecordingFull {
        /// Writes that were not kept.
        dropped: usize,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Stalled(stalled) => write!(f, "simulation stalled: {stalled:?}"),
            ScenarioError::Pwm(error) => write!(f, "mock PWM refused a write: {error:?}"),
            ScenarioError::Body(error) => write!(f, "request body rejected: {error}"),
            ScenarioError::Refused(refused) => write!(f, "coordinator refused: {refused}"),
            ScenarioError::RecordingFull { dropped } => {
                write!(f, "recording full: {dropped} writes not kept")
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

impl From<Stalled> for ScenarioError {
    fn from(stalled: Stalled) -> Self {
        ScenarioError::Stalled(stalled)
    }
}

impl From<MockPwmError> for ScenarioError {
    fn from(error: MockPwmError) -> Self {
        ScenarioError::Pwm(error)
    }
}

type Pin<'r> = MockPwm<'r, &'static VirtualClock, CAPACITY>;

/// The story with the original MicroPython urest's lock-less ramps: A's slow-on and B's slow-off
/// run side by side on one pin and write it in turns.
///
/// ```
/// use urest_mock::interleaving::find_interleaving;
///
/// let fight = duty_plot::scenario::without_lock().unwrap();
/// assert!(find_interleaving(&fight.duties()).is_some());
/// ```
pub fn without_lock() -> Result<Recording, ScenarioError> {
    let sim = fresh_simulation();
    let recorder = Recorder::new(sim.clock());
    let pin: RefCell<Pin<'_>> = RefCell::new(MockPwm::new(&recorder, MAX_DUTY));
    let client_a = naive::slow_on(&pin, sim.delay(), SHAPE.steps, SHAPE.step_time);
    let client_b = async {
        sim.delay().until(B_ARRIVES).await;
        naive::slow_off(&pin, sim.delay(), SHAPE.steps, SHAPE.step_time).await
    };
    let (a, b) = sim.run(TIME_LIMIT, join(client_a, client_b))?;
    a?;
    b?;
    let requests = vec![
        Request {
            client: "A",
            at: Instant::ZERO,
            switch: Switch::On,
            answer: None,
        },
        Request {
            client: "B",
            at: B_ARRIVES,
            switch: Switch::Off,
            answer: None,
        },
    ];
    finish(sim, &recorder, None, requests)
}

/// The story against a [`PwmLed`] under `policy`, its controller's runner
/// in a task of its own. The run lasts until every accepted change has
/// settled, plus one step so the plot shows the output at rest.
///
/// ```
/// use urest_core::controller::Policy;
/// use urest_core::resource::ErrorKind;
///
/// let reject = duty_plot::scenario::with_policy(Policy::Reject).unwrap();
/// let answer = reject.request_of("B").unwrap().answer.clone().unwrap();
/// assert_eq!(answer.unwrap_err().kind(), ErrorKind::Busy);
/// ```
pub fn with_policy(policy: Policy) -> Result<Recording, ScenarioError> {
    let sim = fresh_simulation();
    let recorder = Recorder::new(sim.clock());
    let config = RampConfig {
        policy,
        shape: SHAPE,
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    let led: PwmLed<NoopRawMutex, Pin<'_>, QUEUE> =
        PwmLed::new(MockPwm::new(&recorder, MAX_DUTY), config);
    let on = body(&led, Switch::On)?;
    let off = body(&led, Switch::Off)?;

    let clients = async {
        let a = led.put(&on, sim.clock().now());
        sim.delay().until(B_ARRIVES).await;
        let b = led.put(&off, sim.clock().now());
        let now = sim.clock().now();
        let remaining = led.controller().snapshot(now).remaining;
        sim.delay().until(now + remaining + SHAPE.step_time).await;
        (a, b)
    };
    let runner = async {
        let mut delay = sim.delay();
        led.controller().run(sim.clock(), &mut delay).await
    };
    let (a, b) = match sim.run(TIME_LIMIT, select(runner, clients))? {
        Either::First(Err(error)) => return Err(error.into()),
        Either::First(Ok(never)) => match never {},
        Either::Second(answers) => answers,
    };
    let requests = vec![
        Request {
            client: "A",
            at: Instant::ZERO,
            switch: Switch::On,
            answer: Some(a),
        },
        Request {
            client: "B",
            at: B_ARRIVES,
            switch: Switch::Off,
            answer: Some(b),
        },
    ];
    finish(sim, &recorder, Some(policy), requests)
}

/// Decode what a client sends, the way a server would, so the story goes
/// through the same schema checks as a real request.
fn body<R: Resource>(noun: &R, switch: Switch) -> Result<Attributes, ScenarioError> {
    let mut scratch = [0u8; 32];
    Attributes::decode(switch.body(), noun.describe().attributes, &mut scratch)
        .map_err(ScenarioError::Body)
}

/// Each run gets a simulation of its own so its clock starts at zero. A
/// simulation must outlive every waker it hands out, hence the leak; the
/// tool makes a handful and exits.
fn fresh_simulation() -> &'static Simulation {
    Box::leak(Box::new(Simulation::new()))
}

fn finish(
    sim: &Simulation,
    recorder: &Recorder<&VirtualClock, CAPACITY>,
    policy: Option<Policy>,
    requests: Vec<Request>,
) -> Result<Recording, ScenarioError> {
    let dropped = recorder.dropped();
    if dropped > 0 {
        return Err(ScenarioError::RecordingFull { dropped });
    }
    Ok(Recording {
        policy,
        max_duty: MAX_DUTY,
        writes: recorder.writes().into_iter().collect(),
        requests,
        ended: sim.clock().now(),
    })
}

/// The ramps of the locked story: five steps of 0.5 s, so A's three
/// changes and B's one fit on the time axis the other figures share.
pub const LOCKED_SHAPE: RampShape = RampShape {
    steps: match NonZeroU16::new(5) {
        Some(steps) => steps,
        None => NonZeroU16::MIN,
    },
    step_time: Duration::from_millis(500),
    easing: Easing::Linear,
};

/// What client A, holding the lock, asks for and when: on, off, on, each
/// after the previous one has settled and held for a moment.
pub const LOCKED_CHANGES: [(Instant, Switch); 3] = [
    (Instant::ZERO, Switch::On),
    (Instant::from_millis(3_500), Switch::Off),
    (Instant::from_millis(7_500), Switch::On),
];

/// When A releases the lock, its sequence done.
pub const LOCK_RELEASED: Instant = Instant::from_millis(10_500);

/// When B first tries to turn the LED off; it tries again every
/// [`B_TRIES_EVERY`] until it gets in.
pub const B_FIRST_TRY: Instant = Instant::from_millis(1_000);

/// How often B tries.
pub const B_TRIES_EVERY: Duration = Duration::from_secs(2);

/// B gives up after this many tries; the story needs six.
const B_TRIES: usize = 12;

/// One client's try to change the noun through its coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// Who tried.
    pub client: &'static str,
    /// When.
    pub at: Instant,
    /// What it asked for.
    pub switch: Switch,
    /// What the coordinator answered.
    pub answer: Result<Reply, Refused>,
}

/// The locked story as recorded: the pin, the lock, and every try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedRecording {
    /// What the pin saw; its requests are the changes that reached the
    /// noun (A's three and B's one), with their outcomes.
    pub recording: Recording,
    /// Who held the lock, and until when the lease would have run.
    pub lock: LockInfo,
    /// When the lock was taken and released.
    pub held: (Instant, Instant),
    /// Every change A and B tried, refused or not, in order.
    pub attempts: Vec<Attempt>,
}

impl LockedRecording {
    /// B's tries that were refused.
    pub fn refused_tries(&self) -> impl Iterator<Item = &Attempt> {
        self.attempts
            .iter()
            .filter(|attempt| attempt.client == "B" && attempt.answer.is_err())
    }
}

/// Two clients take turns under a lock, against a Fifo [`PwmLed`] through
/// its [`Coordinator`]. A locks at 0 s, sets on, off and on
/// ([`LOCKED_CHANGES`]) and releases at [`LOCK_RELEASED`]; B tries to set
/// off from [`B_FIRST_TRY`], every [`B_TRIES_EVERY`], and is refused as
/// locked until its first try after the release.
///
/// ```
/// use urest_core::coord::Refused;
///
/// let story = duty_plot::scenario::locked_sequence().unwrap();
/// assert!(story.refused_tries().all(|t| matches!(t.answer, Err(Refused::Locked { .. }))));
/// assert_eq!(story.refused_tries().count(), 5);
/// ```
pub fn locked_sequence() -> Result<LockedRecording, ScenarioError> {
    let sim = fresh_simulation();
    let recorder = Recorder::new(sim.clock());
    let config = RampConfig {
        policy: Policy::Fifo,
        shape: LOCKED_SHAPE,
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    let led: PwmLed<NoopRawMutex, Pin<'_>, QUEUE> =
        PwmLed::new(MockPwm::new(&recorder, MAX_DUTY), config);
    let on = body(&led, Switch::On)?;
    let off = body(&led, Switch::Off)?;
    let patch = |switch| match switch {
        Switch::On => &on,
        Switch::Off => &off,
    };
    let mut tokens = TokenSource::new(MockEntropy::new(0x2545_f491_4f6c_dd1d))
        .map_err(|error| ScenarioError::Refused(Refused::Entropy(error)))?;
    let coordinator: RefCell<Coordinator<2>> =
        RefCell::new(Coordinator::new(CoordConfig::default()));
    let granted = coordinator
        .borrow_mut()
        .lock(&mut tokens, "A", None, Instant::ZERO)
        .map_err(ScenarioError::Refused)?;
    let attempts = RefCell::new(Vec::new());
    let attempt = |client, switch, token: Option<&LockToken>| {
        let at = sim.clock().now();
        let request = CoordRequest {
            token,
            ..CoordRequest::new(Change::Put(patch(switch)))
        };
        let answer = coordinator.borrow_mut().apply(&led, &request, at);
        let got_in = answer.is_ok();
        attempts.borrow_mut().push(Attempt {
            client,
            at,
            switch,
            answer,
        });
        got_in
    };

    let client_a = async {
        for (at, switch) in LOCKED_CHANGES {
            sim.delay().until(at).await;
            attempt("A", switch, Some(&granted.token));
        }
        sim.delay().until(LOCK_RELEASED).await;
        coordinator
            .borrow_mut()
            .release(&granted.token, sim.clock().now())
    };
    let client_b = async {
        let mut at = B_FIRST_TRY;
        for _ in 0..B_TRIES {
            sim.delay().until(at).await;
            if attempt("B", Switch::Off, None) {
                break;
            }
            at = at + B_TRIES_EVERY;
        }
    };
    let clients = async {
        let (released, ()) = join(client_a, client_b).await;
        let now = sim.clock().now();
        let remaining = led.controller().snapshot(now).remaining;
        sim.delay()
            .until(now + remaining + LOCKED_SHAPE.step_time)
            .await;
        released
    };
    let runner = async {
        let mut delay = sim.delay();
        led.controller().run(sim.clock(), &mut delay).await
    };
    match sim.run(TIME_LIMIT, select(runner, clients))? {
        Either::First(Err(error)) => return Err(error.into()),
        Either::First(Ok(never)) => match never {},
        Either::Second(released) => released.map_err(ScenarioError::Refused)?,
    }
    let attempts = attempts.into_inner();
    let requests = attempts
        .iter()
        .filter_map(|attempt| {
            let reply = attempt.answer.as_ref().ok()?;
            Some(Request {
                client: attempt.client,
                at: attempt.at,
                switch: attempt.switch,
                answer: Some(Ok(reply.outcome)),
            })
        })
        .collect();
    Ok(LockedRecording {
        recording: finish(sim, &recorder, Some(Policy::Fifo), requests)?,
        lock: granted.info,
        held: (Instant::ZERO, LOCK_RELEASED),
        attempts,
    })
}
