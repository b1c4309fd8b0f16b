//! Predictable bytes for lock tokens in tests, scenarios and figures.

use urest_core::coord::{Entropy, EntropyError};

/// A deterministic stand-in for a hardware random number generator
/// (xorshift64), so that every run of a test, scenario or figure is the
/// same run, on the host and under QEMU.
///
/// Predictable bytes make guessable lock tokens: never use this on a
/// device. A board passes its hardware RNG to
/// [`TokenSource::new`](urest_core::coord::TokenSource::new) (or to
/// `urest_http::Coordination::new`) instead.
///
/// ```
/// use urest_core::coord::TokenSource;
/// use urest_mock::MockEntropy;
///
/// let mut tokens = TokenSource::new(MockEntropy::new(7)).unwrap();
/// let (first, second) = (tokens.mint().unwrap(), tokens.mint().unwrap());
/// assert!(!first.matches(&second));
/// ```
#[derive(Clone, Debug)]
pub struct MockEntropy(u64);

impl MockEntropy {
    /// A generator from `seed` (zero is replaced, as xorshift needs a set
    /// bit).
    pub fn new(seed: u64) -> MockEntropy {
        MockEntropy(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
}

impl Entropy for MockEntropy {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        for byte in bytes {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            // The high byte: xorshift's low bits are its weakest.
            *byte = self.0.to_be_bytes()[0];
        }
        Ok(())
    }
}
