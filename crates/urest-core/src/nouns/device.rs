//! Nouns that change at once, from a [`Device`] and its typed [`State`].

use core::cell::RefCell;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;

use crate::attributes::Attributes;
use crate::resource::{Description, Error, Outcome, Resource, Verbs};
use crate::state::State;
use crate::time::Instant;

/// The hardware behind a noun that changes at once: what a change does.
///
/// [`DeviceNoun`] does the rest: it keeps the state, checks every request
/// against [`State::SCHEMA`] (so a bad key or value is a `422` naming it),
/// and calls [`change`](Device::change) with the state the request asks for.
///
/// ```
/// use core::cell::Cell;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use urest_core::nouns::{Device, DeviceNoun};
/// use urest_core::resource::{Error, Resource};
/// use urest_core::time::Instant;
///
/// urest_core::state! {
///     /// A fan's state.
///     pub struct Fan {
///         /// speed, in percent of full
///         pub speed: u8 [range 0..=100],
///     }
/// }
///
/// /// The speed last written to the (pretend) hardware.
/// struct FanOutput<'a>(&'a Cell<u8>);
///
/// impl Device for FanOutput<'_> {
///     type State = Fan;
///     const KIND: &'static str = "fan";
///     fn change(&mut self, _from: &Fan, to: &mut Fan) -> Result<(), Error> {
///         self.0.set(to.speed);
///         Ok(())
///     }
/// }
///
/// let written = Cell::new(0);
/// let fan: DeviceNoun<NoopRawMutex, _> = DeviceNoun::new(FanOutput(&written), Fan::default());
/// let error = fan.put(&urest_core::attributes::Attributes::new(), Instant::ZERO).unwrap_err();
/// assert_eq!(error.to_string(), "attribute \"speed\" is required");
/// ```
pub trait Device {
    /// The state clients read and write.
    type State: State;

    /// A short type name for the index, such as `"relay"`.
    const KIND: &'static str;

    /// Drive the hardware from `from` to `to`.
    ///
    /// `to` is the current state with the request's writable keys applied;
    /// set its read-only fields (a counter, a measured level) to what they
    /// are after the change. On `Ok`, `to` becomes the state; on `Err` the
    /// state stays `from`.
    fn change(&mut self, from: &Self::State, to: &mut Self::State) -> Result<(), Error>;

    /// What a POST with an empty body asks for, starting from the current
    /// state: for example flip a switch. By default it asks for no change.
    fn toggle(_state: &mut Self::State) {}
}

/// A noun that changes at once: a [`Device`] and its current state.
///
/// PUT sets every writable key (each is required), POST sets the keys it
/// names (an empty POST asks for [`Device::toggle`]), DELETE returns the
/// writable keys to the state's `Default`. Every verb answers
/// [`Outcome::Done`]. `M` guards the device and state, as in the built-in
/// nouns.
pub struct DeviceNoun<M: RawMutex, D: Device> {
    inner: Mutex<M, RefCell<(D, D::State)>>,
}

impl<M: RawMutex, D: Device> DeviceNoun<M, D> {
    /// Serve `device`, whose hardware is in `initial` now.
    pub const fn new(device: D, initial: D::State) -> Self {
        DeviceNoun {
            inner: Mutex::new(RefCell::new((device, initial))),
        }
    }

    /// The current state.
    pub fn state(&self) -> D::State {
        self.inner.lock(|inner| inner.borrow().1.clone())
    }

    /// Apply `ask` to a copy of the state and hand it to the device.
    fn apply(
        &self,
        ask: impl FnOnce(&mut D::State) -> Result<(), Error>,
    ) -> Result<Outcome, Error> {
        self.inner.lock(|inner| {
            let (device, state) = &mut *inner.borrow_mut();
            let mut wanted = state.clone();
            ask(&mut wanted)?;
            device.change(state, &mut wanted)?;
            *state = wanted;
            Ok(Outcome::Done)
        })
    }
}

impl<M: RawMutex, D: Device> Resource for DeviceNoun<M, D> {
    fn describe(&self) -> Description {
        Description {
            kind: D::KIND,
            policy: None,
            attributes: D::State::SCHEMA,
            verbs: Verbs::ALL,
        }
    }

    fn get(&self, _now: Instant) -> Attributes {
        self.inner.lock(|inner| inner.borrow().1.to_attributes())
    }

    fn put(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        D::State::require_writable(patch)?;
        self.apply(|wanted| Ok(wanted.merge(patch)?))
    }

    fn post(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        if patch.is_empty() {
            return self.apply(|wanted| {
                D::toggle(wanted);
                Ok(())
            });
        }
        self.apply(|wanted| Ok(wanted.merge(patch)?))
    }

    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        let defaults = D::State::default().writable();
        self.apply(|wanted| Ok(wanted.merge(&defaults)?))
    }
}
