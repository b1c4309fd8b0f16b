//! Idempotency keys: a retried change gets its first outcome back instead
//! of being applied again.

use core::time::Duration;

use heapless::Vec;

use super::Refused;
use crate::resource::{Error, Outcome};
use crate::time::Instant;

/// Longest idempotency key accepted, in bytes. Keys are kept verbatim, so
/// one client cannot forge another's key by a hash collision.
///
/// ```
/// assert_eq!(urest_core::coord::KEY_MAX, 64);
/// ```
pub const KEY_MAX: usize = 64;

/// How a request is recognised as the same one again: a 64-bit FNV-1a hash
/// of the verb and the attributes it carries (in any order).
///
/// ```
/// use urest_core::attributes::{Attributes, Value};
/// use urest_core::coord::Change;
///
/// let mut on = Attributes::new();
/// on.set("desired", Value::Int(1)).unwrap();
/// let put = Change::Put(&on).fingerprint();
/// assert_eq!(put, Change::Put(&on).fingerprint());
/// assert_ne!(put, Change::Post(&on).fingerprint());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fingerprint(pub u64);

/// How many keys are remembered and for how long.
///
/// ```
/// use core::time::Duration;
/// use urest_core::coord::KeyConfig;
///
/// assert_eq!(KeyConfig::default().ttl, Duration::from_secs(300));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KeyConfig {
    /// How long a key is remembered after its change was accepted, and how
    /// long a key being processed is held at most: 5 minutes.
    pub ttl: Duration,
}

impl KeyConfig {
    /// Keys remembered for 5 minutes.
    pub const DEFAULT: KeyConfig = KeyConfig {
        ttl: Duration::from_secs(300),
    };
}

impl Default for KeyConfig {
    fn default() -> Self {
        KeyConfig::DEFAULT
    }
}

#[derive(Clone, Debug)]
enum Seen {
    /// Admitted; the change is being made.
    InFlight,
    /// Made; this was the answer.
    Answered(Outcome),
}

#[derive(Clone, Debug)]
struct Entry {
    key: heapless::String<KEY_MAX>,
    fingerprint: Fingerprint,
    seen: Seen,
    forget_at: Instant,
}

/// What the key table says about a keyed request.
///
/// ```
/// use urest_core::coord::{Fingerprint, KeyConfig, Keys, Recall};
/// use urest_core::time::Instant;
///
/// let keys: Keys<2> = Keys::new(KeyConfig::DEFAULT);
/// assert_eq!(keys.recall("new-key", Fingerprint(1), Instant::ZERO), Ok(Recall::New));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Recall {
    /// A key not seen recently: make the change, then
    /// [`record`](Keys::record) the answer.
    New,
    /// The same request was answered: give this outcome again and change
    /// nothing.
    Replay(Outcome),
}

/// The idempotency keys one noun has seen recently, at most `K` of them.
///
/// A key is remembered from admission for [`KeyConfig::ttl`]: while its
/// change is made ("in flight") and after it was answered. A change that
/// failed is forgotten at once, so its retry is tried afresh: nothing was
/// applied. When all `K` places are taken by keys still remembered, a new
/// key is refused with [`Refused::KeysFull`] and the time until a place
/// frees up; no remembered key is ever dropped early, so a retry is never
/// applied twice.
///
/// ```
/// use urest_core::coord::{Fingerprint, KeyConfig, Keys, Recall, Refused};
/// use urest_core::resource::Outcome;
/// use urest_core::time::Instant;
///
/// let mut keys: Keys<4> = Keys::new(KeyConfig::DEFAULT);
/// let now = Instant::ZERO;
/// assert_eq!(keys.admit("k1", Fingerprint(7), now), Ok(Recall::New));
/// assert_eq!(keys.admit("k1", Fingerprint(7), now), Err(Refused::KeyInFlight));
/// keys.record("k1", &Ok(Outcome::Done), now);
/// assert_eq!(keys.admit("k1", Fingerprint(7), now), Ok(Recall::Replay(Outcome::Done)));
/// assert_eq!(keys.admit("k1", Fingerprint(8), now), Err(Refused::KeyReused));
/// ```
#[derive(Clone, Debug)]
pub struct Keys<const K: usize> {
    config: KeyConfig,
    entries: Vec<Entry, K>,
}

impl<const K: usize> Keys<K> {
    /// No keys seen.
    pub const fn new(config: KeyConfig) -> Self {
        Keys {
            config,
            entries: Vec::new(),
        }
    }

    /// How many keys are remembered at `now`.
    pub fn len(&self, now: Instant) -> usize {
        self.entries.iter().filter(|e| now < e.forget_at).count()
    }

    /// Whether no key is remembered at `now`.
    pub fn is_empty(&self, now: Instant) -> bool {
        self.len(now) == 0
    }

    /// What `key` with `fingerprint` means at `now`, without admitting it.
    pub fn recall(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: Instant,
    ) -> Result<Recall, Refused> {
        let Some(entry) = self.find(key, now) else {
            if key.len() > KEY_MAX {
                return Err(Refused::KeyTooLong);
            }
            return Ok(Recall::New);
        };
        if entry.fingerprint != fingerprint {
            return Err(Refused::KeyReused);
        }
        match entry.seen {
            Seen::InFlight => Err(Refused::KeyInFlight),
            Seen::Answered(outcome) => Ok(Recall::Replay(outcome)),
        }
    }

    /// [`recall`](Self::recall), and for a new key take a place for it and
    /// mark it in flight until [`record`](Self::record) or
    /// [`abandon`](Self::abandon).
    pub fn admit(
        &mut self,
        key: &str,
        fingerprint: Fingerprint,
        now: Instant,
    ) -> Result<Recall, Refused> {
        let recall = self.recall(key, fingerprint, now)?;
        if recall != Recall::New {
            return Ok(recall);
        }
        self.entries.retain(|e| now < e.forget_at);
        let mut text = heapless::String::new();
        text.push_str(key).map_err(|_| Refused::KeyTooLong)?;
        let entry = Entry {
            key: text,
            fingerprint,
            seen: Seen::InFlight,
            forget_at: now + self.config.ttl,
        };
        if let Err(entry) = self.entries.push(entry) {
            let free_at = self
                .entries
                .iter()
                .map(|e| e.forget_at)
                .min()
                .unwrap_or(entry.forget_at);
            return Err(Refused::KeysFull {
                retry_after: free_at.duration_since(now),
            });
        }
        Ok(Recall::New)
    }

    /// Keep the answer to the change admitted under `key`: an outcome is
    /// replayed to retries for [`KeyConfig::ttl`] from `now`; an error
    /// forgets the key (nothing was applied, so a retry may try again).
    pub fn record(&mut self, key: &str, result: &Result<Outcome, Error>, now: Instant) {
        match result {
            Ok(outcome) => {
                let ttl = self.config.ttl;
                if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
                    entry.seen = Seen::Answered(*outcome);
                    entry.forget_at = now + ttl;
                }
            }
            Err(_) => self.abandon(key),
        }
    }

    /// Forget `key`: its change was never made (the connection dropped
    /// before the body arrived, say).
    pub fn abandon(&mut self, key: &str) {
        self.entries.retain(|e| e.key != key);
    }

    fn find(&self, key: &str, now: Instant) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.key == key && now < e.forget_at)
    }
}
