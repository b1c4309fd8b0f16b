//! Clients that coordinate, in virtual time: leases, idempotency keys,
//! validators and cancel through the coordinator, over ready nouns and a
//! noun of one's own.

use std::cell::Cell;
use std::time::Duration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::attributes::{Attributes, Value};
use urest_core::controller::{CancelError, RampConfig, Status, Ticket};
use urest_core::coord::{
    Admission, Change, CoordConfig, Coordinator, Entropy, EntropyError, KeyConfig, LeaseConfig,
    LockToken, NoEntropy, Refused, Reply, Request, TokenSource, Validators, KEY_MAX,
};
use urest_core::nouns::PwmLed;
use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest_core::time::Instant;
use urest_mock::{MockEntropy, MockPwm, Recorder, VirtualClock};

fn ms(millis: u64) -> Instant {
    Instant::from_millis(millis)
}

fn tokens() -> TokenSource<MockEntropy> {
    TokenSource::new(MockEntropy::new(0x9e37_79b9_7f4a_7c15)).unwrap()
}

/// A noun of one's own that knows nothing of coordination.
struct Flip {
    on: Cell<bool>,
    posts: Cell<u32>,
}

impl Flip {
    fn new() -> Self {
        Flip {
            on: Cell::new(false),
            posts: Cell::new(0),
        }
    }
}

impl Resource for Flip {
    fn describe(&self) -> Description {
        Description {
            kind: "flip",
            policy: None,
            attributes: &[],
            verbs: Verbs::ALL,
        }
    }
    fn get(&self, _: Instant) -> Attributes {
        let mut state = Attributes::new();
        state.set("on", Value::Bool(self.on.get())).unwrap();
        state
    }
    fn put(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }
    fn post(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> {
        self.posts.set(self.posts.get() + 1);
        self.on.set(!self.on.get());
        Ok(Outcome::Done)
    }
    fn delete(&self, _: Instant) -> Result<Outcome, Error> {
        self.on.set(false);
        Ok(Outcome::Done)
    }
}

type Led<'r> = PwmLed<NoopRawMutex, MockPwm<'r, &'static VirtualClock, 64>, 4>;

fn led_with<'r>(recorder: &'r Recorder<&'static VirtualClock, 64>, config: RampConfig) -> Led<'r> {
    PwmLed::new(MockPwm::new(recorder, 100), config)
}

fn recorder() -> Recorder<&'static VirtualClock, 64> {
    Recorder::new(Box::leak(Box::new(VirtualClock::new())))
}

fn desired(value: i64) -> Attributes {
    let mut patch = Attributes::new();
    patch.set("desired", Value::Int(value)).unwrap();
    patch
}

fn ticket(reply: &Reply) -> Ticket {
    match reply.outcome {
        Outcome::Accepted { ticket, .. } => ticket,
        Outcome::Done => panic!("expected an accepted change"),
    }
}

#[test]
fn no_entropy_is_refused_at_start_up() {
    struct Broken;
    impl Entropy for Broken {
        fn fill(&mut self, _: &mut [u8]) -> Result<(), EntropyError> {
            Err(EntropyError::Failed)
        }
    }
    struct Counter(u8);
    impl Entropy for Counter {
        fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
            // Counts per call, so the two draws differ but each is flat.
            self.0 = self.0.wrapping_add(1);
            bytes.fill(self.0);
            Ok(())
        }
    }
    assert_eq!(
        TokenSource::new(NoEntropy).err(),
        Some(EntropyError::Missing)
    );
    assert_eq!(TokenSource::new(Broken).err(), Some(EntropyError::Failed));
    assert_eq!(
        TokenSource::new(Counter(0)).err(),
        Some(EntropyError::Stuck)
    );
}

#[test]
fn tokens_differ_and_round_trip_as_hex() {
    let mut source = tokens();
    let a = source.mint().unwrap();
    let b = source.mint().unwrap();
    assert!(!a.matches(&b));
    let again = LockToken::parse(&a.to_hex()).unwrap();
    assert!(again.matches(&a));
    let upper = a.to_hex().to_ascii_uppercase();
    assert!(LockToken::parse(&upper).unwrap().matches(&a));
    // One digit off is another token.
    let mut text = a.to_hex();
    let last = if text.ends_with('0') { "1" } else { "0" };
    text.pop();
    text.push_str(last).unwrap();
    assert!(!LockToken::parse(&text).unwrap().matches(&a));
    assert!(LockToken::parse(&text[1..]).is_none());
    assert_eq!(format!("{a:?}"), "LockToken(..)");
}

#[test]
fn a_lease_runs_out_on_its_own_after_thirty_seconds() {
    let flip = Flip::new();
    let mut source = tokens();
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let granted = c.lock(&mut source, "alice", None, ms(1_000)).unwrap();
    assert_eq!(granted.info.expires_at, ms(31_000));
    let toggle = Attributes::new();
    let bob = Request::new(Change::Post(&toggle));
    assert_eq!(
        c.apply(&flip, &bob, ms(11_000)),
        Err(Refused::Locked {
            owner: "alice".try_into().unwrap(),
            remaining: Duration::from_secs(20)
        })
    );
    // Reads are never locked: the noun is read directly.
    assert_eq!(flip.get(ms(11_000)).get("on"), Some(&Value::Bool(false)));
    assert_eq!(
        c.lock_info(ms(30_999))
            .map(|info| info.remaining(ms(30_999))),
        Some(Duration::from_millis(1))
    );
    assert_eq!(c.lock_info(ms(31_000)), None);
    assert!(c.apply(&flip, &bob, ms(31_000)).is_ok());
    assert_eq!(flip.posts.get(), 1);
    // A lapsed lease cannot be renewed or released.
    assert_eq!(
        c.renew(&granted.token, None, ms(31_000)),
        Err(Refused::NotLocked)
    );
    assert_eq!(
        c.release(&granted.token, ms(31_000)),
        Err(Refused::NotLocked)
    );
}

#[test]
fn renew_and_release_need_the_holders_token() {
    let mut source = tokens();
    let config = CoordConfig {
        lease: LeaseConfig {
            default_ttl: Duration::from_secs(10),
            max_ttl: Duration::from_secs(60),
        },
        ..CoordConfig::default()
    };
    let mut c: Coordinator<4> = Coordinator::new(config);
    let alice = c
        .lock(
            &mut source,
            "alice",
            Some(Duration::from_secs(3_600)),
            ms(0),
        )
        .unwrap();
    assert_eq!(alice.info.expires_at, ms(60_000), "capped at the maximum");
    let forged = source.mint().unwrap();
    let refused = Refused::Locked {
        owner: "alice".try_into().unwrap(),
        remaining: Duration::from_secs(50),
    };
    assert_eq!(c.renew(&forged, None, ms(10_000)), Err(refused.clone()));
    assert_eq!(c.release(&forged, ms(10_000)), Err(refused.clone()));
    assert_eq!(
        c.lock(&mut source, "bob", None, ms(10_000)).err(),
        Some(refused)
    );
    let renewed = c.renew(&alice.token, None, ms(55_000)).unwrap();
    assert_eq!(
        renewed.expires_at,
        ms(65_000),
        "the default lease, from now"
    );
    assert_eq!(
        c.lock_info(ms(64_000)).map(|i| i.owner),
        Some("alice".try_into().unwrap())
    );
    c.release(&alice.token, ms(64_000)).unwrap();
    assert_eq!(c.lock_info(ms(64_000)), None);
    let bob = c.lock(&mut source, "bob", None, ms(64_000)).unwrap();
    assert!(!bob.token.matches(&alice.token));
}

#[test]
fn a_long_owner_name_is_cut_at_a_character_boundary() {
    let mut source = tokens();
    let mut c: Coordinator<1> = Coordinator::new(CoordConfig::default());
    let name = "é".repeat(40);
    let granted = c.lock(&mut source, &name, None, ms(0)).unwrap();
    assert_eq!(granted.info.owner.len(), 32);
    assert!(granted.info.owner.chars().all(|ch| ch == 'é'));
}

#[test]
fn a_lock_lets_changes_queued_before_it_run_in_order() {
    let rec = recorder();
    let led = led_with(&rec, RampConfig::FIFO_TEN_SECOND_FADE);
    let mut source = tokens();
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let on = desired(1);
    let off = desired(0);
    let a1 = c
        .apply(&led, &Request::new(Change::Put(&on)), ms(0))
        .unwrap();
    let a2 = c
        .apply(&led, &Request::new(Change::Put(&off)), ms(0))
        .unwrap();
    let granted = c.lock(&mut source, "bob", None, ms(1_000)).unwrap();
    // The holder's change joins the queue behind them; nothing jumps it.
    let b = c
        .apply(
            &led,
            &Request {
                token: Some(&granted.token),
                ..Request::new(Change::Put(&on))
            },
            ms(1_000),
        )
        .unwrap();
    assert!(matches!(b.outcome, Outcome::Accepted { position: 2, .. }));
    // Only the holder may cancel while locked.
    assert!(matches!(
        c.cancel(&led, ticket(&a2), None, ms(2_000)),
        Err(Refused::Locked { .. })
    ));
    let changes = led.changes().unwrap();
    let mut seen = Vec::new();
    changes.for_each(ms(2_000), &mut |c| seen.push((c.ticket, c.status)));
    assert_eq!(
        seen,
        vec![
            (ticket(&a1), Status::Running),
            (ticket(&a2), Status::Queued),
            (ticket(&b), Status::Queued)
        ]
    );
}

#[test]
fn cancel_through_the_coordinator_needs_a_noun_with_changes() {
    let rec = recorder();
    let led = led_with(&rec, RampConfig::FIFO_TEN_SECOND_FADE);
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let on = desired(1);
    let off = desired(0);
    c.apply(&led, &Request::new(Change::Put(&on)), ms(0))
        .unwrap();
    let queued = c
        .apply(&led, &Request::new(Change::Put(&off)), ms(0))
        .unwrap();
    let cancelled = c.cancel(&led, ticket(&queued), None, ms(1_000)).unwrap();
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(led.get(ms(1_000)).int("waiting"), Some(0));
    assert_eq!(
        c.cancel(&led, ticket(&queued), None, ms(1_000)),
        Err(Refused::Cancel(CancelError::Finished(Status::Cancelled)))
    );
    assert_eq!(
        c.cancel(&Flip::new(), ticket(&queued), None, ms(1_000)),
        Err(Refused::NoChanges)
    );
}

#[test]
fn a_toggle_retried_three_times_with_one_key_toggles_once() {
    let rec = recorder();
    let led = led_with(&rec, RampConfig::FIFO_TEN_SECOND_FADE);
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let toggle = Attributes::new();
    let request = Request {
        key: Some("9c1f-toggle"),
        ..Request::new(Change::Post(&toggle))
    };
    let first = c.apply(&led, &request, ms(0)).unwrap();
    assert!(!first.replayed);
    for retry in 1..=3 {
        let again = c.apply(&led, &request, ms(retry * 500)).unwrap();
        assert_eq!(
            again,
            Reply {
                outcome: first.outcome,
                replayed: true
            }
        );
    }
    let state = led.get(ms(2_000));
    assert_eq!(
        (state.int("desired"), state.int("waiting")),
        (Some(1), Some(0))
    );
    // Without a key each toggle counts.
    c.apply(&led, &Request::new(Change::Post(&toggle)), ms(2_000))
        .unwrap();
    assert_eq!(led.get(ms(2_000)).int("desired"), Some(0));
}

#[test]
fn a_key_reused_for_another_request_or_still_in_flight_is_refused() {
    let flip = Flip::new();
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let toggle = Attributes::new();
    let post = Request {
        key: Some("k"),
        ..Request::new(Change::Post(&toggle))
    };
    assert_eq!(c.admit(&flip, &post, ms(0)), Ok(Admission::Apply));
    assert_eq!(c.apply(&flip, &post, ms(1)), Err(Refused::KeyInFlight));
    let delete = Request {
        key: Some("k"),
        ..Request::new(Change::Delete)
    };
    assert_eq!(c.apply(&flip, &delete, ms(1)), Err(Refused::KeyReused));
    // The server gave up on the first (connection dropped): the key is free.
    c.abandon(&post);
    assert!(c.apply(&flip, &post, ms(2)).is_ok());
    assert_eq!(flip.posts.get(), 1);
    let long = "x".repeat(KEY_MAX + 1);
    let too_long = Request {
        key: Some(&long),
        ..Request::new(Change::Post(&toggle))
    };
    assert_eq!(c.apply(&flip, &too_long, ms(3)), Err(Refused::KeyTooLong));
}

/// Busy for its first `busy` POSTs, then a toggle.
struct Grumpy {
    busy: Cell<u32>,
    flip: Flip,
}

impl Resource for Grumpy {
    fn describe(&self) -> Description {
        self.flip.describe()
    }
    fn get(&self, now: Instant) -> Attributes {
        self.flip.get(now)
    }
    fn put(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        self.flip.put(patch, now)
    }
    fn post(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        if self.busy.get() > 0 {
            self.busy.set(self.busy.get() - 1);
            return Err(Error::Busy {
                retry_after: Duration::from_secs(1),
            });
        }
        self.flip.post(patch, now)
    }
    fn delete(&self, now: Instant) -> Result<Outcome, Error> {
        self.flip.delete(now)
    }
}

#[test]
fn a_refused_change_forgets_its_key_so_the_retry_is_tried_again() {
    let noun = Grumpy {
        busy: Cell::new(1),
        flip: Flip::new(),
    };
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let toggle = Attributes::new();
    let keyed = Request {
        key: Some("t-1"),
        ..Request::new(Change::Post(&toggle))
    };
    assert!(matches!(
        c.apply(&noun, &keyed, ms(0)),
        Err(Refused::Noun(Error::Busy { .. }))
    ));
    assert!(c.keys().is_empty(ms(0)));
    // Nothing was applied, so the retry is made, not replayed; then replayed.
    assert!(!c.apply(&noun, &keyed, ms(1_000)).unwrap().replayed);
    assert!(c.apply(&noun, &keyed, ms(2_000)).unwrap().replayed);
    assert_eq!(noun.flip.posts.get(), 1);
}

#[test]
fn a_full_key_table_refuses_new_keys_until_one_is_forgotten() {
    let flip = Flip::new();
    let config = CoordConfig {
        keys: KeyConfig {
            ttl: Duration::from_secs(60),
        },
        ..CoordConfig::default()
    };
    let mut c: Coordinator<2> = Coordinator::new(config);
    let toggle = Attributes::new();
    let keyed = |key| Request {
        key: Some(key),
        ..Request::new(Change::Post(&toggle))
    };
    c.apply(&flip, &keyed("a"), ms(0)).unwrap();
    c.apply(&flip, &keyed("b"), ms(10_000)).unwrap();
    assert_eq!(
        c.apply(&flip, &keyed("c"), ms(20_000)),
        Err(Refused::KeysFull {
            retry_after: Duration::from_secs(40)
        })
    );
    assert_eq!(flip.posts.get(), 2, "the refused request changed nothing");
    // Known keys are still answered while the table is full.
    assert!(c.apply(&flip, &keyed("a"), ms(20_000)).unwrap().replayed);
    // Unkeyed requests are not held up.
    assert!(c
        .apply(&flip, &Request::new(Change::Post(&toggle)), ms(20_000))
        .is_ok());
    // "a" is forgotten after its minute; "c" takes its place, and "a" is new.
    assert!(!c.apply(&flip, &keyed("c"), ms(60_000)).unwrap().replayed);
    assert_eq!(c.keys().len(ms(60_000)), 2);
    assert!(matches!(
        c.apply(&flip, &keyed("a"), ms(60_000)),
        Err(Refused::KeysFull { .. })
    ));
}

#[test]
fn weak_validators_hold_through_a_fade_and_strong_ones_do_not() {
    let rec = recorder();
    let led = led_with(&rec, RampConfig::FIFO_TEN_SECOND_FADE);
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let idle = Validators::of(&led, ms(0));
    let on = desired(1);
    c.apply(&led, &Request::new(Change::Put(&on)), ms(0))
        .unwrap();
    let accepted = Validators::of(&led, ms(0));
    assert_ne!(
        accepted.weak, idle.weak,
        "an accepted change is a new state"
    );
    let later = Validators::of(&led, ms(1_000));
    assert_eq!(later.weak, accepted.weak, "fading toward it is not");
    assert_ne!(
        later.strong, accepted.strong,
        "but every byte counts for strong"
    );
    assert_eq!(
        Validators::of(&led, ms(1_000)),
        later,
        "cheap and repeatable"
    );
}

#[test]
fn if_match_refuses_a_change_to_a_state_that_moved_on() {
    let flip = Flip::new();
    let mut c: Coordinator = Coordinator::new(CoordConfig::default());
    let toggle = Attributes::new();
    let seen = Validators::of(&flip, ms(0)).strong;
    let conditional = Request {
        if_match: Some(seen),
        ..Request::new(Change::Post(&toggle))
    };
    assert!(c.apply(&flip, &conditional, ms(0)).is_ok());
    assert_eq!(
        c.apply(&flip, &conditional, ms(1)),
        Err(Refused::PreconditionFailed)
    );
    assert_eq!(flip.posts.get(), 1);
}

#[test]
fn a_coordinator_is_small_and_fixed_in_size() {
    let size = std::mem::size_of::<Coordinator<8>>();
    assert!(size <= 1_024, "{size} bytes");
    let one = std::mem::size_of::<Coordinator<1>>();
    let per_key = (size - one) / 7;
    assert!(per_key <= 112, "{per_key} bytes a key");
}

mod own_noun {
    use super::*;
    use urest_core::controller::Snapshot;
    use urest_core::nouns::{RampNoun, Ramped};
    use urest_core::ramp::{Level, LEVEL_MAX};
    use urest_core::state::State;

    urest_core::state! {
        /// A fan's state.
        pub struct Fan {
            /// the speed to reach, in percent
            pub speed: u8 [range 0..=100],
            /// the speed now, in percent
            pub current: u8 [read_only],
        }
    }

    struct FanRamp;

    impl Ramped for FanRamp {
        type State = Fan;
        const KIND: &'static str = "fan";
        fn target(wanted: &Fan) -> Level {
            ((u32::from(wanted.speed) * u32::from(LEVEL_MAX) + 50) / 100) as Level
        }
        fn state(now: &Snapshot) -> Fan {
            let max = u32::from(LEVEL_MAX);
            let percent = |level: Level| ((u32::from(level) * 100 + max / 2) / max) as u8;
            Fan {
                speed: percent(now.eventual),
                current: percent(now.level),
            }
        }
    }

    fn speed(percent: u8) -> Attributes {
        Fan {
            speed: percent,
            ..Fan::default()
        }
        .writable()
    }

    #[test]
    fn a_noun_of_ones_own_gets_locks_keys_history_and_validators_for_nothing() {
        let rec = recorder();
        let fan: RampNoun<NoopRawMutex, MockPwm<'_, &'static VirtualClock, 64>, 4, FanRamp> =
            RampNoun::new(MockPwm::new(&rec, 1_000), RampConfig::FIFO_TEN_SECOND_FADE);
        let mut source = tokens();
        let mut c: Coordinator = Coordinator::new(CoordConfig::default());
        let half = speed(50);
        let full = speed(100);
        let first = c
            .apply(&fan, &Request::new(Change::Put(&half)), ms(0))
            .unwrap();
        let weak = Validators::of(&fan, ms(0)).weak;
        let granted = c.lock(&mut source, "panel", None, ms(100)).unwrap();
        // A keyed change refused by the lock is not remembered: after the
        // release the same request is made, not refused or replayed.
        let keyed = Request {
            key: Some("full-1"),
            ..Request::new(Change::Put(&full))
        };
        assert!(matches!(
            c.apply(&fan, &keyed, ms(200)),
            Err(Refused::Locked { .. })
        ));
        c.release(&granted.token, ms(300)).unwrap();
        let second = c.apply(&fan, &keyed, ms(400)).unwrap();
        assert!(!second.replayed);
        assert!(matches!(
            second.outcome,
            Outcome::Accepted { position: 1, .. }
        ));
        assert_ne!(Validators::of(&fan, ms(400)).weak, weak);
        let changes = fan.changes().expect("a RampNoun keeps its changes");
        let mut seen = Vec::new();
        changes.for_each(ms(400), &mut |c| seen.push((c.ticket, c.status)));
        assert_eq!(
            seen,
            vec![
                (ticket(&first), Status::Running),
                (ticket(&second), Status::Queued)
            ]
        );
        let cancelled = c.cancel(&fan, ticket(&second), None, ms(500)).unwrap();
        assert_eq!(cancelled.status, Status::Cancelled);
        assert_eq!(fan.get(ms(500)).int("speed"), Some(50));
    }
}
