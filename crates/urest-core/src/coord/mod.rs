//! Clients that coordinate: client locks with leases, idempotency keys,
//! validators for conditional requests, and the changes of a noun as
//! resources — for any [`Resource`], with no code in the noun.
//!
//! A server keeps one [`Coordinator`] beside each noun (behind the same
//! mutex it serves that noun with) and one [`TokenSource`] for all of them.
//! Changing requests go through [`Coordinator::apply`] (or
//! [`admit`](Coordinator::admit) and [`finish`](Coordinator::finish) when
//! the body arrives later); reads go to the noun directly and are never
//! locked. Everything here is a pure state machine over
//! [`Instant`]s: leases and keys expire by the clock passed in, with no task.
//!
//! Memory is fixed at build time: per noun, one lease (token, owner name of
//! [`OWNER_MAX`] bytes, expiry) and `K` idempotency keys of at most
//! [`KEY_MAX`] bytes with their outcome. A `Coordinator<K>` takes about
//! `128 + 104 × K` bytes (960 bytes for the default `K = 8`, measured both
//! on a 64-bit host and on thumbv6m).
//! Changes as resources live in the noun's
//! [`RampController`](crate::controller::RampController): the queue plus
//! the last [`HISTORY`](crate::controller::HISTORY) finished changes.

mod idempotency;
mod lease;
mod token;
mod validators;
mod wait;

use core::fmt;
use core::time::Duration;

pub use idempotency::{Fingerprint, KeyConfig, Keys, Recall, KEY_MAX};
pub use lease::{Granted, Lease, LeaseConfig, LockInfo, Owner, OWNER_MAX};
pub use token::{Entropy, EntropyError, LockToken, NoEntropy, TokenSource, TOKEN_BYTES};
pub use validators::{Validator, Validators};
pub use wait::{wait_deadline, wait_for, wait_step, WaitStep};

use crate::attributes::Attributes;
use crate::controller::{CancelError, ChangeStatus, Ticket};
use crate::resource::{Error, Outcome, Resource};
use crate::time::Instant;

/// A changing verb and what it carries.
///
/// ```
/// use urest_core::attributes::Attributes;
/// use urest_core::coord::Change;
///
/// let toggle = Attributes::new();
/// assert_eq!(Change::Post(&toggle).verb(), "POST");
/// assert_eq!(Change::Delete.verb(), "DELETE");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Change<'a> {
    /// Set the state exactly.
    Put(&'a Attributes),
    /// Update the state; an empty patch may toggle.
    Post(&'a Attributes),
    /// Return to the defaults.
    Delete,
}

impl Change<'_> {
    /// The HTTP method name.
    pub fn verb(&self) -> &'static str {
        match self {
            Change::Put(_) => "PUT",
            Change::Post(_) => "POST",
            Change::Delete => "DELETE",
        }
    }

    /// What recognises this request when it comes again.
    pub fn fingerprint(&self) -> Fingerprint {
        match self {
            Change::Put(patch) | Change::Post(patch) => {
                validators::fingerprint(self.verb(), Some(patch))
            }
            Change::Delete => validators::fingerprint(self.verb(), None),
        }
    }

    /// Make the change on `noun`.
    pub fn apply(&self, noun: &dyn Resource, now: Instant) -> Result<Outcome, Error> {
        match self {
            Change::Put(patch) => noun.put(patch, now),
            Change::Post(patch) => noun.post(patch, now),
            Change::Delete => noun.delete(now),
        }
    }
}

/// A changing request with what the client sent to coordinate.
///
/// ```
/// use urest_core::attributes::Attributes;
/// use urest_core::coord::{Change, Request};
///
/// let toggle = Attributes::new();
/// let request = Request { key: Some("retry-safe-1"), ..Request::new(Change::Post(&toggle)) };
/// assert!(request.token.is_none());
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Request<'a> {
    /// The verb and its patch.
    pub change: Change<'a>,
    /// The lock token, if the client holds the lock.
    pub token: Option<&'a LockToken>,
    /// The idempotency key, if the client sent one.
    pub key: Option<&'a str>,
    /// Apply only if the noun's strong validator is this one.
    pub if_match: Option<Validator>,
}

impl<'a> Request<'a> {
    /// `change` with no token, key or condition.
    pub fn new(change: Change<'a>) -> Self {
        Request {
            change,
            token: None,
            key: None,
            if_match: None,
        }
    }
}

/// Why a coordinated request was refused. Nothing was changed.
///
/// The statuses the HTTP layer is expected to give are in brackets.
///
/// ```
/// use core::time::Duration;
/// use urest_core::coord::{Owner, Refused};
///
/// let refused = Refused::Locked { owner: Owner::try_from("alice").unwrap(), remaining: Duration::from_secs(12) };
/// assert_eq!(refused.to_string(), "locked by alice for 12000 ms more");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Refused {
    /// Another client holds the noun's lock, or the token is not the
    /// holder's (423 or 409).
    Locked {
        /// The name the holder gave.
        owner: Owner,
        /// Time left on its lease.
        remaining: Duration,
    },
    /// Renew or release, but the noun is not locked (its lease may have run
    /// out) (409).
    NotLocked,
    /// No lock token could be drawn (503).
    Entropy(EntropyError),
    /// The idempotency key was used with a different request (422).
    KeyReused,
    /// The request with this idempotency key is still being made (409).
    KeyInFlight,
    /// The idempotency key is longer than [`KEY_MAX`] bytes (400).
    KeyTooLong,
    /// Every place for idempotency keys is taken (503 with Retry-After).
    KeysFull {
        /// Time until a place frees up.
        retry_after: Duration,
    },
    /// The noun's state no longer matches the validator sent (412).
    PreconditionFailed,
    /// The noun keeps no changes to look up or cancel (404).
    NoChanges,
    /// The change could not be cancelled (409 when finished, 404 when
    /// unknown).
    Cancel(CancelError),
    /// The noun refused the change itself.
    Noun(Error),
}

impl Refused {
    /// How long the client should wait before trying again, where waiting
    /// helps: the lease left on a lock, the time until a key's place frees
    /// up, or what the noun said.
    ///
    /// ```
    /// use core::time::Duration;
    /// use urest_core::coord::Refused;
    ///
    /// let full = Refused::KeysFull { retry_after: Duration::from_secs(40) };
    /// assert_eq!(full.retry_after(), Some(Duration::from_secs(40)));
    /// assert_eq!(Refused::KeyReused.retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Refused::Locked { remaining, .. } => Some(*remaining),
            Refused::KeysFull { retry_after } => Some(*retry_after),
            Refused::Noun(error) => error.retry_after(),
            _ => None,
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Locked { owner, remaining } => {
                write!(f, "locked by {owner} for {} ms more", remaining.as_millis())
            }
            Refused::NotLocked => f.write_str("the noun is not locked"),
            Refused::Entropy(error) => error.fmt(f),
            Refused::KeyReused => {
                f.write_str("the idempotency key was used for a different request")
            }
            Refused::KeyInFlight => {
                f.write_str("the request with this idempotency key is still being made")
            }
            Refused::KeyTooLong => f.write_str("the idempotency key is too long"),
            Refused::KeysFull { retry_after } => write!(
                f,
                "too many idempotency keys remembered; try again in {} ms",
                retry_after.as_millis()
            ),
            Refused::PreconditionFailed => f.write_str("the state has changed"),
            Refused::NoChanges => f.write_str("this noun keeps no changes"),
            Refused::Cancel(error) => error.fmt(f),
            Refused::Noun(error) => error.fmt(f),
        }
    }
}

/// The answer to a coordinated change.
///
/// ```
/// use urest_core::coord::Reply;
/// use urest_core::resource::Outcome;
///
/// let replay = Reply { outcome: Outcome::Done, replayed: true };
/// assert!(replay.outcome.is_done());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Reply {
    /// How the change went (for a replay: how it went the first time).
    pub outcome: Outcome,
    /// Whether this is the first answer again, with nothing applied.
    pub replayed: bool,
}

/// What [`Coordinator::admit`] decided.
///
/// A server that reads the body after admitting the request:
///
/// ```
/// use urest_core::attributes::Attributes;
/// use urest_core::coord::{Admission, Change, CoordConfig, Coordinator, Refused, Request};
/// use urest_core::nouns::SimpleLed;
/// use urest_core::resource::Resource;
/// use urest_core::time::Instant;
/// # use core::convert::Infallible;
/// # use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// # use embedded_hal::digital::{ErrorType, OutputPin};
/// # struct Pin;
/// # impl ErrorType for Pin { type Error = Infallible; }
/// # impl OutputPin for Pin {
/// #     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
/// #     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
/// # }
///
/// let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// let mut coordinator: Coordinator<4> = Coordinator::new(CoordConfig::default());
/// let toggle = Attributes::new();
/// let request = Request { key: Some("k"), ..Request::new(Change::Post(&toggle)) };
/// let now = Instant::ZERO;
/// assert_eq!(coordinator.admit(&led, &request, now), Ok(Admission::Apply));
/// // A retry while the first is still being made:
/// assert_eq!(coordinator.admit(&led, &request, now), Err(Refused::KeyInFlight));
/// let result = request.change.apply(&led, now);
/// coordinator.finish(&request, &result, now);
/// assert!(matches!(coordinator.admit(&led, &request, now), Ok(Admission::Replay(_))));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Admission {
    /// Make the change, then call [`Coordinator::finish`].
    Apply,
    /// Answer with this and make no change.
    Replay(Outcome),
}

/// How a [`Coordinator`] is set up.
///
/// ```
/// use urest_core::coord::CoordConfig;
///
/// let config = CoordConfig::default();
/// assert_eq!(config.lease.default_ttl.as_secs(), 30);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CoordConfig {
    /// Lease lengths of client locks.
    pub lease: LeaseConfig,
    /// How long idempotency keys are remembered.
    pub keys: KeyConfig,
}

/// Locks, idempotency keys and preconditions for one noun, whatever noun it
/// is. `K` is how many idempotency keys it remembers at once.
///
/// Order of checks for a change: a known idempotency key is answered first
/// (a replay changes nothing, so even a lock taken since does not stop the
/// client learning its first outcome); then the lock; then `if_match`;
/// then the noun.
///
/// ```
/// use core::cell::Cell;
/// use urest_core::attributes::Attributes;
/// use urest_core::coord::{Change, CoordConfig, Coordinator, Refused, Request, TokenSource};
/// # use urest_core::coord::{Entropy, EntropyError};
/// use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
/// use urest_core::time::Instant;
/// # struct Trng(u64);
/// # impl Entropy for Trng {
/// #     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
/// #         for byte in bytes { self.0 ^= self.0 << 13; self.0 ^= self.0 >> 7; self.0 ^= self.0 << 17; *byte = self.0 as u8; }
/// #         Ok(())
/// #     }
/// # }
///
/// /// A noun of one's own that knows nothing of locks or keys.
/// struct Flip(Cell<bool>);
/// impl Resource for Flip {
///     fn describe(&self) -> Description { Description { kind: "flip", policy: None, attributes: &[], verbs: Verbs::ALL } }
///     fn get(&self, _: Instant) -> Attributes { Attributes::new() }
///     fn put(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
///     fn post(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { self.0.set(!self.0.get()); Ok(Outcome::Done) }
///     fn delete(&self, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
/// }
///
/// let flip = Flip(Cell::new(false));
/// let mut tokens = TokenSource::new(Trng(0x853c_49e6_748f_ea9b)).unwrap();
/// let mut coordinator: Coordinator<8> = Coordinator::new(CoordConfig::default());
/// let now = Instant::ZERO;
/// let toggle = Attributes::new();
///
/// // A toggle retried three times with one key toggles once.
/// let keyed = Request { key: Some("k1"), ..Request::new(Change::Post(&toggle)) };
/// for _ in 0..3 {
///     coordinator.apply(&flip, &keyed, now).unwrap();
/// }
/// assert!(flip.0.get());
///
/// // Locked by alice: bob's change is refused, hers goes ahead.
/// let granted = coordinator.lock(&mut tokens, "alice", None, now).unwrap();
/// let bob = Request::new(Change::Post(&toggle));
/// assert!(matches!(coordinator.apply(&flip, &bob, now), Err(Refused::Locked { .. })));
/// let alice = Request { token: Some(&granted.token), ..bob };
/// assert!(coordinator.apply(&flip, &alice, now).is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Coordinator<const K: usize = 8> {
    lease: Lease,
    keys: Keys<K>,
}

impl<const K: usize> Coordinator<K> {
    /// Unlocked, with no keys seen.
    pub const fn new(config: CoordConfig) -> Self {
        Coordinator {
            lease: Lease::new(config.lease),
            keys: Keys::new(config.keys),
        }
    }

    /// Make `request`'s change on `noun` at `now` if the lock, the key and
    /// the condition allow; a retry with a known key gets its first outcome
    /// back and changes nothing.
    pub fn apply(
        &mut self,
        noun: &dyn Resource,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<Reply, Refused> {
        if let Admission::Replay(outcome) = self.admit(noun, request, now)? {
            return Ok(Reply {
                outcome,
                replayed: true,
            });
        }
        let result = request.change.apply(noun, now);
        self.finish(request, &result, now);
        result
            .map(|outcome| Reply {
                outcome,
                replayed: false,
            })
            .map_err(Refused::Noun)
    }

    /// The first half of [`apply`](Self::apply), for a server that admits a
    /// request before it makes the change: check key, lock and condition,
    /// and hold the key in flight. After [`Admission::Apply`], call
    /// [`finish`](Self::finish) (or [`abandon`](Self::abandon)).
    pub fn admit(
        &mut self,
        noun: &dyn Resource,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<Admission, Refused> {
        let fingerprint = request.change.fingerprint();
        if let Some(key) = request.key {
            if let Recall::Replay(outcome) = self.keys.recall(key, fingerprint, now)? {
                return Ok(Admission::Replay(outcome));
            }
        }
        self.lease.permit(request.token, now)?;
        if let Some(expected) = request.if_match {
            if Validators::of(noun, now).strong != expected {
                return Err(Refused::PreconditionFailed);
            }
        }
        if let Some(key) = request.key {
            self.keys.admit(key, fingerprint, now)?;
        }
        Ok(Admission::Apply)
    }

    /// Keep the answer to an admitted request (see [`Keys::record`]).
    pub fn finish(&mut self, request: &Request<'_>, result: &Result<Outcome, Error>, now: Instant) {
        if let Some(key) = request.key {
            self.keys.record(key, result, now);
        }
    }

    /// Forget an admitted request whose change was never made.
    pub fn abandon(&mut self, request: &Request<'_>) {
        if let Some(key) = request.key {
            self.keys.abandon(key);
        }
    }

    /// Cancel `ticket` on `noun` (a changing operation: refused while
    /// another client holds the lock).
    pub fn cancel(
        &mut self,
        noun: &dyn Resource,
        ticket: Ticket,
        token: Option<&LockToken>,
        now: Instant,
    ) -> Result<ChangeStatus, Refused> {
        self.lease.permit(token, now)?;
        let changes = noun.changes().ok_or(Refused::NoChanges)?;
        changes.cancel(ticket, now).map_err(Refused::Cancel)
    }

    /// Lock the noun (see [`Lease::lock`]).
    pub fn lock<E: Entropy>(
        &mut self,
        tokens: &mut TokenSource<E>,
        owner: &str,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<Granted, Refused> {
        self.lease.lock(tokens, owner, ttl, now)
    }

    /// Extend the lease (see [`Lease::renew`]).
    pub fn renew(
        &mut self,
        token: &LockToken,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<LockInfo, Refused> {
        self.lease.renew(token, ttl, now)
    }

    /// Give the lock up (see [`Lease::release`]).
    pub fn release(&mut self, token: &LockToken, now: Instant) -> Result<(), Refused> {
        self.lease.release(token, now)
    }

    /// Who holds the lock at `now` (see [`Lease::show`]).
    pub fn lock_info(&self, now: Instant) -> Option<LockInfo> {
        self.lease.show(now)
    }

    /// The lease alone.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// The idempotency keys alone.
    pub fn keys(&self) -> &Keys<K> {
        &self.keys
    }
}
