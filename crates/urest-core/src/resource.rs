//! The [`Resource`] trait: one noun of the API and the verbs that act on it.

use core::fmt;
use core::time::Duration;

use crate::attributes::{AttributeError, AttributeSpec, Attributes, DecodeError};
use crate::controller::{Changes, Policy, Ticket};
use crate::time::{whole_millis, Instant};

/// Which of the changing verbs a noun supports. Reading (GET, HEAD) and
/// describing (OPTIONS) always work.
///
/// A front end answers a verb the noun does not support before reading its
/// body, and lists exactly the supported ones in `Allow`.
///
/// ```
/// use urest_core::resource::Verbs;
///
/// // A temperature sensor: read it, nothing else.
/// let sensor = Verbs::READ_ONLY;
/// assert!(!sensor.put && !sensor.post && !sensor.delete);
/// assert!(Verbs::ALL.put && Verbs::ALL.post && Verbs::ALL.delete);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Verbs {
    /// PUT sets the state.
    pub put: bool,
    /// POST updates the state.
    pub post: bool,
    /// DELETE resets the state.
    pub delete: bool,
}

impl Verbs {
    /// PUT, POST and DELETE.
    pub const ALL: Verbs = Verbs {
        put: true,
        post: true,
        delete: true,
    };

    /// None of them: the noun can only be read.
    pub const READ_ONLY: Verbs = Verbs {
        put: false,
        post: false,
        delete: false,
    };
}

/// What a noun is, for the index and for `OPTIONS`.
///
/// ```
/// use urest_core::resource::{Description, Verbs};
///
/// let about = Description {
///     kind: "simple_led",
///     policy: None,
///     attributes: &[],
///     verbs: Verbs::ALL,
/// };
/// assert_eq!(about.kind, "simple_led");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Description {
    /// A short type name, such as `"pwm_led"`.
    pub kind: &'static str,
    /// How concurrent changes are handled, for nouns that change slowly.
    pub policy: Option<Policy>,
    /// Every attribute the state reports, and which ones clients may write.
    pub attributes: &'static [AttributeSpec],
    /// The changing verbs the noun supports; the others are never called.
    pub verbs: Verbs,
}

/// How a verb that changed something went.
///
/// ```
/// use urest_core::resource::Outcome;
///
/// assert!(Outcome::Done.is_done());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// The change is complete; the state shows it (HTTP `200 OK`).
    Done,
    /// The change is accepted and will complete later (HTTP `202 Accepted`).
    Accepted {
        /// Identifies the change for as long as the noun runs.
        ticket: Ticket,
        /// `0` if the change is being applied now, otherwise how many changes
        /// run before it.
        position: u16,
        /// When the change is expected to be complete, if nothing preempts it.
        completes_at: Instant,
    },
}

impl Outcome {
    /// Whether the change is already complete.
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done)
    }
}

/// The kind of an [`Error`], for mapping to a protocol status.
///
/// ```
/// use urest_core::resource::{Error, ErrorKind};
/// use core::time::Duration;
///
/// let busy = Error::Busy { retry_after: Duration::from_secs(3) };
/// assert_eq!(busy.kind(), ErrorKind::Busy);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request body is not a JSON object (HTTP 400).
    Malformed,
    /// An attribute is unknown, read-only, missing or of the wrong type or
    /// range (HTTP 422).
    InvalidAttribute,
    /// The noun is busy and refuses changes until it is free (HTTP 503).
    Busy,
    /// The noun's queue of deferred changes is full (HTTP 503).
    QueueFull,
    /// The change conflicts with the noun's current state, for example a lock
    /// held by another client (HTTP 409).
    Conflict,
    /// The noun does not support this verb (HTTP 405). Prefer saying so in
    /// [`Description::verbs`], so the verb is refused before its body is read.
    NotSupported,
    /// The hardware failed (HTTP 500).
    Hardware,
}

/// Why a verb failed. In every case the noun's state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The request body is not a JSON object.
    Malformed(serde_json_core::de::Error),
    /// One attribute is wrong; the error names it.
    Attribute(AttributeError),
    /// The noun refuses changes while it is busy (the Reject policy).
    Busy {
        /// How long until it is free.
        retry_after: Duration,
    },
    /// The queue of deferred changes is full (the Fifo policy).
    QueueFull {
        /// How long until a place in the queue frees up.
        retry_after: Duration,
    },
    /// The change conflicts with the noun's state.
    Conflict,
    /// The noun does not support this verb.
    NotSupported,
    /// The hardware reported an error.
    Hardware,
}

impl Error {
    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed(_) => ErrorKind::Malformed,
            Error::Attribute(_) => ErrorKind::InvalidAttribute,
            Error::Busy { .. } => ErrorKind::Busy,
            Error::QueueFull { .. } => ErrorKind::QueueFull,
            Error::Conflict => ErrorKind::Conflict,
            Error::NotSupported => ErrorKind::NotSupported,
            Error::Hardware => ErrorKind::Hardware,
        }
    }

    /// How long the client should wait before trying again, where waiting helps.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Busy { retry_after } | Error::QueueFull { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(error: DecodeError) -> Self {
        match error {
            DecodeError::Malformed(error) => Error::Malformed(error),
            DecodeError::Attribute(error) => Error::Attribute(error),
        }
    }
}

impl From<AttributeError> for Error {
    fn from(error: AttributeError) -> Self {
        Error::Attribute(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(error) => write!(f, "body is not a JSON object: {error}"),
            Error::Attribute(error) => error.fmt(f),
            Error::Busy { retry_after } => write!(
                f,
                "busy with a transition; try again in {} ms",
                whole_millis(*retry_after)
            ),
            Error::QueueFull { retry_after } => write!(
                f,
                "queue of waiting changes is full; try again in {} ms",
                whole_millis(*retry_after)
            ),
            Error::Conflict => f.write_str("the change conflicts with the current state"),
            Error::NotSupported => f.write_str("this noun does not support that verb"),
            Error::Hardware => f.write_str("the hardware reported an error"),
        }
    }
}

/// One noun of the API.
///
/// The trait is object-safe: a server holds its nouns as `&dyn Resource`
/// without a heap. Verbs take `&self` and never wait: a noun that changes
/// slowly accepts the change and applies it in its own task (see
/// [`RampController::run`](crate::controller::RampController::run)), so
/// reads are answered at once while changes are under way.
///
/// Every verb either succeeds or leaves the state exactly as it was.
///
/// ```
/// use core::cell::Cell;
/// use urest_core::attributes::{Access, AttributeSpec, Attributes, Kind, Value};
/// use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
/// use urest_core::time::Instant;
///
/// /// A counter that POST increments.
/// struct Counter(Cell<i64>);
///
/// const SCHEMA: &[AttributeSpec] = &[AttributeSpec {
///     key: "count",
///     kind: Kind::Int { min: 0, max: 1_000 },
///     access: Access::ReadWrite,
///     doc: "how many times POST was called",
/// }];
///
/// impl Resource for Counter {
///     fn describe(&self) -> Description {
///         Description { kind: "counter", policy: None, attributes: SCHEMA, verbs: Verbs::ALL }
///     }
///     fn get(&self, _now: Instant) -> Attributes {
///         let mut state = Attributes::new();
///         let _ = state.set("count", Value::Int(self.0.get()));
///         state
///     }
///     fn put(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
///         let count = patch.int("count").ok_or(Error::NotSupported)?;
///         self.0.set(count);
///         Ok(Outcome::Done)
///     }
///     fn post(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
///         self.0.set(self.0.get() + 1);
///         Ok(Outcome::Done)
///     }
///     fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
///         self.0.set(0);
///         Ok(Outcome::Done)
///     }
/// }
///
/// let counter = Counter(Cell::new(0));
/// let noun: &dyn Resource = &counter;
/// noun.post(&Attributes::new(), Instant::ZERO).unwrap();
/// assert_eq!(noun.get(Instant::ZERO).int("count"), Some(1));
/// ```
pub trait Resource {
    /// What the noun is and which attributes it has.
    fn describe(&self) -> Description;

    /// The current state (HTTP GET).
    fn get(&self, now: Instant) -> Attributes;

    /// Set the state exactly (HTTP PUT). Repeating a PUT has the same effect
    /// as making it once.
    fn put(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error>;

    /// Update the state (HTTP POST). May not be idempotent: an empty patch
    /// toggles the built-in LEDs.
    fn post(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error>;

    /// Return to the default state, cancelling waiting changes (HTTP DELETE).
    fn delete(&self, now: Instant) -> Result<Outcome, Error>;

    /// The changes this noun accepted to complete later, as resources: their
    /// status, a list, and cancelling. `None` (the default) for nouns whose
    /// changes are always [`Outcome::Done`].
    ///
    /// The ready slow nouns ([`PwmLed`](crate::nouns::PwmLed),
    /// [`RampNoun`](crate::nouns::RampNoun)) answer with their
    /// [`RampController`](crate::controller::RampController); a noun of one's
    /// own on a `RampNoun` needs no code for it.
    ///
    /// ```
    /// use urest_core::attributes::Attributes;
    /// use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
    /// use urest_core::time::Instant;
    ///
    /// struct Button;
    /// impl Resource for Button {
    ///     fn describe(&self) -> Description {
    ///         Description { kind: "button", policy: None, attributes: &[], verbs: Verbs::READ_ONLY }
    ///     }
    ///     fn get(&self, _: Instant) -> Attributes { Attributes::new() }
    ///     fn put(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
    ///     fn post(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
    ///     fn delete(&self, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
    /// }
    /// assert!(Button.changes().is_none());
    /// ```
    fn changes(&self) -> Option<&dyn Changes> {
        None
    }
}
