//! Client locks with leases: one holder per noun, for a bounded time.

use core::time::Duration;

use super::token::{Entropy, LockToken, TokenSource};
use super::Refused;
use crate::time::Instant;

/// Longest owner name kept, in bytes; longer names are cut at a character
/// boundary.
///
/// ```
/// assert_eq!(urest_core::coord::OWNER_MAX, 32);
/// ```
pub const OWNER_MAX: usize = 32;

/// The name a lock holder gave, shown to everyone the lock refuses.
///
/// ```
/// use urest_core::coord::Owner;
///
/// let owner: Owner = "kitchen-panel".try_into().unwrap();
/// assert_eq!(owner.as_str(), "kitchen-panel");
/// ```
pub type Owner = heapless::String<OWNER_MAX>;

/// How long leases last.
///
/// ```
/// use core::time::Duration;
/// use urest_core::coord::LeaseConfig;
///
/// let config = LeaseConfig::default();
/// assert_eq!(config.default_ttl, Duration::from_secs(30));
/// assert_eq!(config.ttl(Some(Duration::from_secs(3_600))), config.max_ttl);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeaseConfig {
    /// The lease of a lock or renewal that names none: 30 s.
    pub default_ttl: Duration,
    /// The longest lease granted; longer requests get this: 5 minutes.
    pub max_ttl: Duration,
}

impl LeaseConfig {
    /// 30 s unless asked, at most 5 minutes.
    pub const DEFAULT: LeaseConfig = LeaseConfig {
        default_ttl: Duration::from_secs(30),
        max_ttl: Duration::from_secs(300),
    };

    /// The lease granted for a request of `asked`.
    pub fn ttl(&self, asked: Option<Duration>) -> Duration {
        asked.unwrap_or(self.default_ttl).min(self.max_ttl)
    }
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig::DEFAULT
    }
}

/// A lock as everyone may see it: who holds it and until when. Never the
/// token.
///
/// ```
/// use urest_core::coord::LockInfo;
/// use urest_core::time::Instant;
///
/// let info = LockInfo { owner: "alice".try_into().unwrap(), expires_at: Instant::from_millis(30_000) };
/// assert_eq!(info.remaining(Instant::from_millis(25_000)).as_secs(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LockInfo {
    /// The name the holder gave (empty if none).
    pub owner: Owner,
    /// When the lease runs out unless renewed.
    pub expires_at: Instant,
}

impl LockInfo {
    /// Time left on the lease at `now`.
    pub fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.duration_since(now)
    }
}

/// A lock just granted: the token goes to the client that asked, once.
///
/// ```
/// use urest_core::coord::{Lease, LeaseConfig, TokenSource};
/// # use urest_core::coord::{Entropy, EntropyError};
/// use urest_core::time::Instant;
/// # struct Trng(u64);
/// # impl Entropy for Trng {
/// #     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
/// #         for byte in bytes { self.0 ^= self.0 << 13; self.0 ^= self.0 >> 7; self.0 ^= self.0 << 17; *byte = self.0 as u8; }
/// #         Ok(())
/// #     }
/// # }
///
/// let mut tokens = TokenSource::new(Trng(0x6c07_8965_2f1b_03d5)).unwrap();
/// let mut lease = Lease::new(LeaseConfig::DEFAULT);
/// let granted = lease.lock(&mut tokens, "alice", None, Instant::ZERO).unwrap();
/// // The client keeps the token; everyone else sees the owner and expiry.
/// let token = granted.token.to_hex();
/// assert_eq!(token.len(), 32);
/// assert_eq!(lease.show(Instant::ZERO), Some(granted.info));
/// ```
#[derive(Clone, Debug)]
pub struct Granted {
    /// The secret the holder sends with every change, renewal and release.
    pub token: LockToken,
    /// Who holds it and until when.
    pub info: LockInfo,
}

#[derive(Clone, Debug)]
struct Held {
    token: LockToken,
    info: LockInfo,
}

/// The client lock of one noun: free, or held until its lease runs out.
///
/// A pure state machine: every call takes `now`, and a lease past its end
/// is free again at once, with no task to expire it.
///
/// ```
/// use core::time::Duration;
/// use urest_core::coord::{Entropy, EntropyError, Lease, LeaseConfig, Refused, TokenSource};
/// use urest_core::time::Instant;
/// # struct Trng(u64);
/// # impl Entropy for Trng {
/// #     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
/// #         for byte in bytes { self.0 ^= self.0 << 13; self.0 ^= self.0 >> 7; self.0 ^= self.0 << 17; *byte = self.0 as u8; }
/// #         Ok(())
/// #     }
/// # }
///
/// let mut tokens = TokenSource::new(Trng(0x2545_f491_4f6c_dd1d)).unwrap();
/// let mut lease = Lease::new(LeaseConfig::DEFAULT);
/// let granted = lease.lock(&mut tokens, "alice", None, Instant::ZERO).unwrap();
/// let later = Instant::from_millis(10_000);
/// assert!(lease.permit(Some(&granted.token), later).is_ok());
/// assert!(matches!(lease.permit(None, later), Err(Refused::Locked { .. })));
/// // Nobody renews: 30 s on, the noun is free again.
/// assert!(lease.permit(None, Instant::from_millis(30_000)).is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Lease {
    config: LeaseConfig,
    held: Option<Held>,
}

impl Lease {
    /// A free lock.
    pub const fn new(config: LeaseConfig) -> Self {
        Lease { config, held: None }
    }

    /// The lease settings.
    pub fn config(&self) -> LeaseConfig {
        self.config
    }

    /// Take the lock for `owner` for `ttl` (the default lease if `None`, at
    /// most the maximum). Refused while someone holds it, the caller too:
    /// a holder renews instead.
    pub fn lock<E: Entropy>(
        &mut self,
        tokens: &mut TokenSource<E>,
        owner: &str,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<Granted, Refused> {
        if let Some(held) = self.holder(now) {
            return Err(locked(&held.info, now));
        }
        let token = tokens.mint().map_err(Refused::Entropy)?;
        let info = LockInfo {
            owner: owner_name(owner),
            expires_at: now + self.config.ttl(ttl),
        };
        self.held = Some(Held {
            token,
            info: info.clone(),
        });
        Ok(Granted { token, info })
    }

    /// Extend the lease to `ttl` from `now` (the default lease if `None`).
    pub fn renew(
        &mut self,
        token: &LockToken,
        ttl: Option<Duration>,
        now: Instant,
    ) -> Result<LockInfo, Refused> {
        let expires_at = now + self.config.ttl(ttl);
        let held = self.held_by(token, now)?;
        held.info.expires_at = expires_at;
        Ok(held.info.clone())
    }

    /// Give the lock up.
    pub fn release(&mut self, token: &LockToken, now: Instant) -> Result<(), Refused> {
        self.held_by(token, now)?;
        self.held = None;
        Ok(())
    }

    /// Who holds the lock at `now`, if anyone.
    pub fn show(&self, now: Instant) -> Option<LockInfo> {
        self.holder(now).map(|held| held.info.clone())
    }

    /// May a change carrying `token` (or none) go ahead at `now`? Yes when
    /// the noun is not locked or the token is the holder's; otherwise
    /// [`Refused::Locked`] with the owner and the time left.
    pub fn permit(&self, token: Option<&LockToken>, now: Instant) -> Result<(), Refused> {
        match (self.holder(now), token) {
            (None, _) => Ok(()),
            (Some(held), Some(token)) if held.token.matches(token) => Ok(()),
            (Some(held), _) => Err(locked(&held.info, now)),
        }
    }

    fn holder(&self, now: Instant) -> Option<&Held> {
        self.held.as_ref().filter(|held| now < held.info.expires_at)
    }

    fn held_by(&mut self, token: &LockToken, now: Instant) -> Result<&mut Held, Refused> {
        let held = match self.held.as_mut() {
            Some(held) if now < held.info.expires_at => held,
            _ => return Err(Refused::NotLocked),
        };
        if !held.token.matches(token) {
            return Err(locked(&held.info, now));
        }
        Ok(held)
    }
}

fn locked(info: &LockInfo, now: Instant) -> Refused {
    Refused::Locked {
        owner: info.owner.clone(),
        remaining: info.remaining(now),
    }
}

fn owner_name(owner: &str) -> Owner {
    let mut end = owner.len().min(OWNER_MAX);
    while !owner.is_char_boundary(end) {
        end -= 1;
    }
    let mut name = Owner::new();
    // Cut to the capacity above.
    let _ = name.push_str(&owner[..end]);
    name
}
