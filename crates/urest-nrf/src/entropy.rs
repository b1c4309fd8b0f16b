//! Lock-token entropy from the nRF52840's random number generator.

use core::fmt;

use embassy_nrf::mode::Mode;
use embassy_nrf::rng::Rng;
use urest_core::coord::{Entropy, EntropyError};

/// Entropy for urest's client-lock tokens from the nRF52840's RNG
/// peripheral, a hardware generator driven by thermal noise, with its
/// bias correction on.
///
/// [`new`](Self::new) turns bias correction on (embassy-nrf leaves it off),
/// so every bit is equally likely to be `0` or `1`. The price is speed:
/// the product specification gives about 120 µs a byte with it, so one
/// 16-byte token takes about 2 ms. Tokens are drawn only when a lock is
/// granted (and twice at start-up, for urest's check), with the RNG read
/// by its blocking API inside urest-http's critical section, so
/// interrupts wait that long each time a lock is granted.
///
/// The RNG cannot report a failure, so [`fill`](Entropy::fill) always
/// succeeds. Either mode of [`Rng`] works: `Rng::new_blocking(p.RNG)` needs
/// no interrupt binding.
///
/// ```no_run
/// use embassy_nrf::rng::Rng;
/// use urest_core::coord::{EntropyError, TokenSource};
/// use urest_nrf::NrfEntropy;
///
/// fn tokens(
///     p: embassy_nrf::Peripherals,
/// ) -> Result<TokenSource<NrfEntropy<'static, embassy_nrf::mode::Blocking>>, EntropyError> {
///     let mut rng = Rng::new_blocking(p.RNG);
///     // The same RNG can seed the network stack first.
///     let _seed = rng.blocking_next_u64();
///     TokenSource::new(NrfEntropy::new(rng))
/// }
/// ```
pub struct NrfEntropy<'d, M: Mode> {
    rng: Rng<'d, M>,
}

impl<'d, M: Mode> NrfEntropy<'d, M> {
    /// Entropy from `rng`, with its bias correction turned on.
    pub fn new(rng: Rng<'d, M>) -> Self {
        rng.set_bias_correction(true);
        NrfEntropy { rng }
    }

    /// The RNG back, bias correction still on.
    pub fn into_inner(self) -> Rng<'d, M> {
        self.rng
    }
}

impl<M: Mode> Entropy for NrfEntropy<'_, M> {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        self.rng.blocking_fill_bytes(bytes);
        Ok(())
    }
}

impl<M: Mode> fmt::Debug for NrfEntropy<'_, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NrfEntropy { bias_correction: true }")
    }
}
