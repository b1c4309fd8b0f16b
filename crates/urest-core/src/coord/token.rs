//! Unguessable lock tokens, drawn from an entropy source the integrator
//! passes in.

use core::fmt;

/// A source of unpredictable bytes: a hardware random number generator, or
/// a cryptographically secure generator seeded from one.
///
/// The trait is deliberately tiny so any HAL's RNG fits in a few lines (a
/// `rand_core` generator too: call its `fill_bytes`). Never implement it
/// with a counter, a clock or a fixed seed: lock tokens are only as
/// unguessable as these bytes.
///
/// ```
/// use urest_core::coord::{Entropy, EntropyError};
///
/// /// Stands in for a HAL's TRNG peripheral.
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
/// let mut bytes = [0u8; 4];
/// Trng(0x9e37_79b9_7f4a_7c15).fill(&mut bytes).unwrap();
/// ```
pub trait Entropy {
    /// Fill all of `bytes` with unpredictable bytes, or say why not.
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError>;
}

impl<E: Entropy + ?Sized> Entropy for &mut E {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        (**self).fill(bytes)
    }
}

/// Stands for "this board has no entropy source": [`TokenSource::new`]
/// refuses it, so client locks cannot start on predictable tokens.
///
/// ```
/// use urest_core::coord::{EntropyError, NoEntropy, TokenSource};
///
/// assert_eq!(TokenSource::new(NoEntropy).err(), Some(EntropyError::Missing));
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct NoEntropy;

impl Entropy for NoEntropy {
    fn fill(&mut self, _bytes: &mut [u8]) -> Result<(), EntropyError> {
        Err(EntropyError::Missing)
    }
}

/// Why no token could be drawn.
///
/// ```
/// use urest_core::coord::EntropyError;
///
/// assert_eq!(EntropyError::Stuck.to_string(), "the entropy source repeats itself");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EntropyError {
    /// There is no entropy source.
    Missing,
    /// The source reported a failure (a hardware RNG's seed or clock error).
    Failed,
    /// The start-up check saw the source give the same bytes twice, or one
    /// byte value throughout: it is not random.
    Stuck,
}

impl fmt::Display for EntropyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntropyError::Missing => "no entropy source: client locks need one for their tokens",
            EntropyError::Failed => "the entropy source failed",
            EntropyError::Stuck => "the entropy source repeats itself",
        })
    }
}

/// Bytes in a [`LockToken`]: 128 bits.
///
/// ```
/// assert_eq!(urest_core::coord::TOKEN_BYTES * 8, 128);
/// ```
pub const TOKEN_BYTES: usize = 16;

/// The secret that proves a client holds a lock.
///
/// Compared in constant time; shown as 32 lower-case hex digits.
///
/// ```
/// use urest_core::coord::LockToken;
///
/// let token = LockToken::parse("000102030405060708090a0b0c0d0e0f").unwrap();
/// assert_eq!(token.to_hex().as_str(), "000102030405060708090a0b0c0d0e0f");
/// assert!(token.matches(&token));
/// assert!(LockToken::parse("not a token").is_none());
/// ```
#[derive(Copy, Clone)]
pub struct LockToken([u8; TOKEN_BYTES]);

impl LockToken {
    /// The token written as 32 hex digits (any case), as a client sends it
    /// back; `None` for anything else.
    pub fn parse(text: &str) -> Option<LockToken> {
        let text = text.as_bytes();
        if text.len() != 2 * TOKEN_BYTES {
            return None;
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
        }
        Some(LockToken(bytes))
    }

    /// The token as 32 lower-case hex digits.
    pub fn to_hex(&self) -> heapless::String<{ 2 * TOKEN_BYTES }> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = heapless::String::new();
        for byte in self.0 {
            // 32 digits exactly fit the capacity.
            let _ = text.push(char::from(DIGITS[usize::from(byte >> 4)]));
            let _ = text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        text
    }

    /// Whether `other` is the same token, in time that does not depend on
    /// where they differ.
    pub fn matches(&self, other: &LockToken) -> bool {
        let mut difference = 0u8;
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            difference |= a ^ b;
        }
        core::hint::black_box(difference) == 0
    }
}

impl fmt::Debug for LockToken {
    /// Never prints the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockToken(..)")
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Where lock tokens come from: an [`Entropy`] source that passed a check
/// at start-up. One per server is enough; every noun's lock draws from it.
///
/// ```
/// use urest_core::coord::{Entropy, EntropyError, TokenSource};
///
/// struct Stuck;
/// impl Entropy for Stuck {
///     fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
///         bytes.fill(0);
///         Ok(())
///     }
/// }
/// assert_eq!(TokenSource::new(Stuck).err(), Some(EntropyError::Stuck));
/// ```
pub struct TokenSource<E: Entropy> {
    entropy: E,
}

impl<E: Entropy> TokenSource<E> {
    /// Check `entropy` once and keep it: a missing or failing source, or one
    /// that gives the same bytes twice or one byte value throughout, is
    /// refused here, at start-up, rather than at the first lock.
    pub fn new(mut entropy: E) -> Result<Self, EntropyError> {
        let mut first = [0u8; TOKEN_BYTES];
        let mut second = [0u8; TOKEN_BYTES];
        entropy.fill(&mut first)?;
        entropy.fill(&mut second)?;
        let flat = |bytes: &[u8; TOKEN_BYTES]| bytes.iter().all(|b| *b == bytes[0]);
        if first == second || flat(&first) || flat(&second) {
            return Err(EntropyError::Stuck);
        }
        Ok(TokenSource { entropy })
    }

    /// A fresh token.
    pub fn mint(&mut self) -> Result<LockToken, EntropyError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        self.entropy.fill(&mut bytes)?;
        Ok(LockToken(bytes))
    }
}
