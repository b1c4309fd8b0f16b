//! Lock-token entropy from the ring oscillator's random bit.

use embassy_rp::clocks::RoscRng;
use urest_core::coord::{Entropy, EntropyError};

/// Entropy for urest's client-lock tokens from the RP2040's ring oscillator
/// (ROSC): each byte is eight reads of its `RANDOMBIT` register, through
/// [`embassy_rp::clocks::RoscRng`].
///
/// The RP2040 has no true random number generator, and this is **not a
/// certified TRNG**. The bit is the phase of a free-running oscillator
/// sampled by the system clock: consecutive samples are correlated, the
/// output is not whitened, and the RP2040 datasheet itself says it does
/// not meet the requirements of randomness for security systems. It is
/// unpredictable enough that a client on the network cannot guess another
/// client's lock token (128 bits of it) — which is all a lock token is for:
/// locks coordinate well-behaved clients, they are not access control (an
/// access token, `urest_http::Access`, is). Treat the tokens as no stronger
/// than that.
///
/// It is random only while the ROSC runs and the system clock does not: the
/// default `embassy_rp::init` configuration (crystal and PLLs, ROSC left
/// running) is right. A stopped ROSC (a clock configuration with
/// `rosc: None`, or dormant) gives one bit value throughout, and a core
/// clocked from the ROSC itself reads in step with it; the first is caught
/// by urest's start-up check (`Coordination::new` fails with
/// [`EntropyError::Stuck`]), the second is not — do not serve locks from a
/// board clocked by its ROSC.
///
/// Reading never fails, so [`fill`](Entropy::fill) always succeeds; 16
/// bytes (one token) take 128 register reads, a few microseconds.
///
/// ```no_run
/// use urest_core::coord::{EntropyError, TokenSource};
/// use urest_rp::RoscEntropy;
///
/// fn tokens() -> Result<TokenSource<RoscEntropy>, EntropyError> {
///     let _p = embassy_rp::init(Default::default()); // keeps the ROSC running
///     TokenSource::new(RoscEntropy::new())
/// }
/// ```
#[derive(Debug, Default)]
pub struct RoscEntropy {
    _private: (),
}

impl RoscEntropy {
    /// Entropy from the ring oscillator. It takes no peripheral: the ROSC
    /// keeps clocking whatever else uses it, and reading its random bit
    /// changes nothing.
    pub const fn new() -> Self {
        RoscEntropy { _private: () }
    }
}

impl Entropy for RoscEntropy {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        RoscRng.fill_bytes(bytes);
        Ok(())
    }
}
