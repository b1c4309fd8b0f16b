//! Client locks and idempotency keys for every noun of a server, shared by
//! all its connections.
//!
//! The rules live in [`urest_core::coord`]; this is only their storage —
//! one [`Coordinator`] per noun and one [`TokenSource`] — behind a critical
//! section, as the server's other shared table is.

use core::cell::RefCell;
use core::fmt;
use core::time::Duration;

use critical_section::Mutex;
use urest_core::coord::{
    Admission, CoordConfig, Coordinator, Entropy, EntropyError, Granted, LockInfo, LockToken,
    Refused, Request, TokenSource,
};
use urest_core::resource::{Error, Outcome, Resource};
use urest_core::time::Instant;

/// Client locks and idempotency keys for up to `N` nouns, each noun
/// remembering up to `K` keys. Attach it with
/// [`Server::with_coordination`](crate::Server::with_coordination).
///
/// It needs a source of entropy for lock tokens — a board's hardware RNG,
/// or the operating system on a host — and checks it at once: there are no
/// locks without one, and never tokens from a counter. Its memory is fixed:
/// about `N × (128 + 104 × K)` bytes for the nouns (the size of a
/// [`Coordinator<K>`]) plus the entropy source.
///
/// Everything in it sits behind one critical section, as the server's other
/// shared table does; a lock token is drawn inside it. With a slow RNG that
/// is interrupt latency on every lock granted: the nRF52840's RNG with bias
/// correction takes about 2 ms for a token's 16 bytes (from its datasheet,
/// not measured here). Other requests hold it for microseconds.
///
/// ```
/// use core::convert::Infallible;
/// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
/// use embedded_hal::digital::{ErrorType, OutputPin};
/// use urest_core::coord::{CoordConfig, Entropy, EntropyError, NoEntropy};
/// use urest_core::nouns::SimpleLed;
/// use urest_core::time::{Clock, Instant};
/// use urest_http::{Config, Coordination, Noun, Server};
/// # struct Pin;
/// # impl ErrorType for Pin { type Error = Infallible; }
/// # impl OutputPin for Pin {
/// #     fn set_low(&mut self) -> Result<(), Infallible> { Ok(()) }
/// #     fn set_high(&mut self) -> Result<(), Infallible> { Ok(()) }
/// # }
/// # struct Boot;
/// # impl Clock for Boot { fn now(&self) -> Instant { Instant::ZERO } }
///
/// /// Stands in for a HAL's RNG peripheral.
/// struct Trng(u64);
/// impl Entropy for Trng {
///     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
///         for byte in bytes {
///             // xorshift, for the example only: use real entropy on a board.
///             self.0 ^= self.0 << 13;
///             self.0 ^= self.0 >> 7;
///             self.0 ^= self.0 << 17;
///             *byte = self.0 as u8;
///         }
///         Ok(())
///     }
/// }
///
/// // No entropy, no locks: refused at start-up.
/// assert!(Coordination::<_, 1>::new(NoEntropy, CoordConfig::default()).is_err());
///
/// let led: SimpleLed<NoopRawMutex, Pin> = SimpleLed::new(Pin).unwrap();
/// let nouns = [Noun::new("led", &led)];
/// let coordination: Coordination<_, 1> =
///     Coordination::new(Trng(0x853c_49e6_748f_ea9b), CoordConfig::default()).unwrap();
/// let server = Server::new(&nouns, Boot, Config::default())
///     .with_coordination(&coordination)
///     .unwrap();
/// assert_eq!(server.nouns().len(), 1);
/// ```
pub struct Coordination<E: Entropy, const N: usize, const K: usize = 8> {
    state: Mutex<RefCell<Shared<E, N, K>>>,
}

struct Shared<E: Entropy, const N: usize, const K: usize> {
    tokens: TokenSource<E>,
    nouns: [Coordinator<K>; N],
}

impl<E: Entropy, const N: usize, const K: usize> Coordination<E, N, K> {
    /// Coordination for up to `N` nouns with `config`, drawing lock tokens
    /// from `entropy`; refused if `entropy` fails or looks stuck (see
    /// [`TokenSource::new`]).
    pub fn new(entropy: E, config: CoordConfig) -> Result<Self, EntropyError> {
        let tokens = TokenSource::new(entropy)?;
        Ok(Coordination {
            state: Mutex::new(RefCell::new(Shared {
                tokens,
                nouns: core::array::from_fn(|_| Coordinator::new(config)),
            })),
        })
    }

    /// Run `f` on the coordinator of noun `index` and the token source.
    fn with<R>(
        &self,
        index: usize,
        f: impl FnOnce(&mut Coordinator<K>, &mut TokenSource<E>) -> R,
    ) -> Option<R> {
        critical_section::with(|cs| {
            let mut shared = self.state.borrow_ref_mut(cs);
            let Shared { tokens, nouns } = &mut *shared;
            nouns
                .get_mut(index)
                .map(|coordinator| f(coordinator, tokens))
        })
    }
}

impl<E: Entropy, const N: usize, const K: usize> fmt::Debug for Coordination<E, N, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Coordination")
            .field("nouns", &N)
            .field("keys_per_noun", &K)
            .finish()
    }
}

/// Why [`Server::with_coordination`](crate::Server::with_coordination)
/// refused a [`Coordination`]: it has fewer places than the server has
/// nouns.
///
/// ```
/// use urest_http::TooFewPlaces;
///
/// let refused = TooFewPlaces { places: 2, nouns: 3 };
/// assert_eq!(refused.to_string(), "coordination for 2 nouns, but the server has 3");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TooFewPlaces {
    /// The nouns the coordination has room for (its `N`).
    pub places: usize,
    /// The nouns the server serves.
    pub nouns: usize,
}

impl fmt::Display for TooFewPlaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coordination for {} nouns, but the server has {}",
            self.places, self.nouns
        )
    }
}

/// What the server asks of a [`Coordination`], whatever its entropy source
/// and sizes, by the index of the noun in the server's table. A noun
/// without a place (which `with_coordination` rules out) is never locked
/// and remembers no keys.
pub(crate) trait Coordinate {
    /// How many nouns there are places for.
    fn places(&self) -> usize;
    fn admit(
        &self,
        index: usize,
        noun: &dyn Resource,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<Admission, Refused>;
    fn finish(
        &self,
        index: usize,
        request: &Request<'_>,
        result: &Result<Outcome, Error>,
        now: Instant,
    );
    fn abandon(&self, index: usize, request: &Request<'_>);
    /// May a change with `token` (or none) be made on noun `index`?
    fn permit(&self, index: usize, token: Option<&LockToken>, now: Instant) -> Result<(), Refused>;
    fn lock(
        &self,
        index: usize,
        owner: &str,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<Granted, Refused>;
    fn renew(
        &self,
        index: usize,
        token: &LockToken,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<LockInfo, Refused>;
    fn release(&self, index: usize, token: &LockToken, now: Instant) -> Result<(), Refused>;
    fn lock_info(&self, index: usize, now: Instant) -> Option<LockInfo>;
}

impl<E: Entropy, const N: usize, const K: usize> Coordinate for Coordination<E, N, K> {
    fn places(&self) -> usize {
        N
    }

    fn admit(
        &self,
        index: usize,
        noun: &dyn Resource,
        request: &Request<'_>,
        now: Instant,
    ) -> Result<Admission, Refused> {
        self.with(index, |coordinator, _| {
            coordinator.admit(noun, request, now)
        })
        .unwrap_or(Ok(Admission::Apply))
    }

    fn finish(
        &self,
        index: usize,
        request: &Request<'_>,
        result: &Result<Outcome, Error>,
        now: Instant,
    ) {
        self.with(index, |coordinator, _| {
            coordinator.finish(request, result, now)
        });
    }

    fn abandon(&self, index: usize, request: &Request<'_>) {
        self.with(index, |coordinator, _| coordinator.abandon(request));
    }

    fn permit(&self, index: usize, token: Option<&LockToken>, now: Instant) -> Result<(), Refused> {
        self.with(index, |coordinator, _| {
            coordinator.lease().permit(token, now)
        })
        .unwrap_or(Ok(()))
    }

    fn lock(
        &self,
        index: usize,
        owner: &str,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<Granted, Refused> {
        self.with(index, |coordinator, tokens| {
            coordinator.lock(tokens, owner, ttl, now)
        })
        .unwrap_or(Err(Refused::NotLocked))
    }

    fn renew(
        &self,
        index: usize,
        token: &LockToken,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<LockInfo, Refused> {
        self.with(index, |coordinator, _| coordinator.renew(token, ttl, now))
            .unwrap_or(Err(Refused::NotLocked))
    }

    fn release(&self, index: usize, token: &LockToken, now: Instant) -> Result<(), Refused> {
        self.with(index, |coordinator, _| coordinator.release(token, now))
            .unwrap_or(Err(Refused::NotLocked))
    }

    fn lock_info(&self, index: usize, now: Instant) -> Option<LockInfo> {
        self.with(index, |coordinator, _| coordinator.lock_info(now))
            .flatten()
    }
}
