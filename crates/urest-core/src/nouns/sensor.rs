//! Read-only nouns whose state a task publishes.

use core::cell::RefCell;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;

use crate::attributes::{Attributes, Value, MAX_ATTRIBUTES};
use crate::resource::{Description, Error, Outcome, Resource, Verbs};
use crate::state::{State, AGE};
use crate::time::Instant;

/// A read-only noun that shows the last state a task published, and its age.
///
/// Verbs never wait, so a sensor behind an async bus (I2C, an ADC) is read
/// by a task of its own, which calls [`publish`](SensorNoun::publish) with
/// each reading. GET shows the reading's fields plus `age_ms`, how long ago
/// it was taken, so a client can tell a fresh value from a stale one;
/// before the first reading GET shows no attributes. PUT, POST and DELETE
/// are refused (`405`).
///
/// ```
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_core::nouns::SensorNoun;
/// use urest_core::resource::Resource;
/// use urest_core::time::Instant;
/// use core::time::Duration;
///
/// urest_core::state! {
///     /// A thermometer's reading.
///     pub struct Thermometer {
///         /// temperature, in tenths of a degree Celsius
///         pub decicelsius: i16 [read_only],
///     }
/// }
///
/// static ROOM: SensorNoun<CriticalSectionRawMutex, Thermometer> = SensorNoun::new("thermometer");
///
/// // In the task, after each read:
/// ROOM.publish(Thermometer { decicelsius: 215 }, Instant::ZERO);
///
/// let state = ROOM.get(Instant::ZERO + Duration::from_millis(1500));
/// assert_eq!((state.int("decicelsius"), state.int("age_ms")), (Some(215), Some(1500)));
/// ```
pub struct SensorNoun<M: RawMutex, S: State> {
    kind: &'static str,
    latest: Mutex<M, RefCell<Option<(S, Instant)>>>,
}

impl<M: RawMutex, S: State> SensorNoun<M, S> {
    /// A sensor with no reading yet; `kind` names it in the index.
    pub const fn new(kind: &'static str) -> Self {
        const {
            assert!(
                S::SCHEMA_WITH_AGE.len() <= MAX_ATTRIBUTES,
                "a sensor's state has at most MAX_ATTRIBUTES - 1 fields: age_ms is added"
            )
        };
        SensorNoun {
            kind,
            latest: Mutex::new(RefCell::new(None)),
        }
    }

    /// Record a reading taken at `taken`.
    pub fn publish(&self, reading: S, taken: Instant) {
        self.latest
            .lock(|latest| *latest.borrow_mut() = Some((reading, taken)));
    }

    /// The last reading and when it was taken, if there is one.
    pub fn latest(&self) -> Option<(S, Instant)> {
        self.latest.lock(|latest| latest.borrow().clone())
    }
}

impl<M: RawMutex, S: State> Resource for SensorNoun<M, S> {
    fn describe(&self) -> Description {
        Description {
            kind: self.kind,
            policy: None,
            attributes: S::SCHEMA_WITH_AGE,
            verbs: Verbs::READ_ONLY,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        self.latest.lock(|latest| match &*latest.borrow() {
            Some((reading, taken)) => {
                let mut state = reading.to_attributes();
                let age = now.duration_since(*taken).as_millis();
                let age = i64::try_from(age).unwrap_or(i64::MAX);
                let _ = state.set(AGE.key, Value::Int(age));
                state
            }
            None => Attributes::new(),
        })
    }

    // `Verbs::READ_ONLY` has a server refuse these before they get here.
    fn put(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }

    fn post(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }

    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }
}
