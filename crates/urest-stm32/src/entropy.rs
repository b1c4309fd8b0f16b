//! Lock-token entropy from an STM32's true random number generator.

use core::fmt;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use embassy_stm32::rng::{Instance, Rng};
use urest_core::coord::{Entropy, EntropyError};

/// How many times one 32-bit word is asked for before the RNG is given up
/// as failed. A word takes under a microsecond on an STM32F7's RNG at
/// 48 MHz (40 RNG clocks) and a few on newer ones; this many asks are
/// tens of milliseconds of a 216 MHz core.
const ASKS_PER_WORD: u32 = 100_000;

/// Entropy for urest's client locks from an STM32's RNG peripheral, an
/// analogue noise source with its own health checks.
///
/// Each 32-bit word is read with the RNG's error checks: a seed error (the
/// noise source stopped or stuck; embassy-stm32 resets the RNG for the
/// next try), a clock error (the RNG's clock too slow for the bus clock),
/// a word of zero (the reference manual's sign of a fault), or no word
/// after 100 000 asks (tens of milliseconds) all make [`fill`](Entropy::fill) return
/// [`EntropyError::Failed`], never a hang and never a guess. (embassy-stm32's
/// own `fill_bytes` retries for ever instead.)
///
/// Needs what [`Rng::new`] needs: the `RNG` peripheral, its interrupt bound
/// to `embassy_stm32::rng::InterruptHandler`, and the RNG's kernel clock
/// configured in `embassy_stm32::Config::rcc` — on an STM32F7 the 48 MHz
/// PLL48CLK (PLLQ, `mux.clk48sel`), as the NUCLEO-F767ZI firmware sets it;
/// embassy-stm32 panics in `Rng::new` without a clock, so set it up first.
///
/// ```no_run
/// use embassy_stm32::peripherals::RNG;
/// use embassy_stm32::rng::{self, Rng};
/// use urest_core::coord::{EntropyError, TokenSource};
/// use urest_stm32::Stm32Entropy;
///
/// embassy_stm32::bind_interrupts!(struct Irqs {
///     RNG => rng::InterruptHandler<RNG>;
/// });
///
/// fn tokens(p: embassy_stm32::Peripherals) -> Result<TokenSource<Stm32Entropy<'static, RNG>>, EntropyError> {
///     let mut rng = Rng::new(p.RNG, Irqs);
///     // The same RNG can seed the network stack first.
///     let _seed = rng.next_u64();
///     TokenSource::new(Stm32Entropy::new(rng))
/// }
/// ```
pub struct Stm32Entropy<'d, T: Instance> {
    rng: Rng<'d, T>,
}

impl<'d, T: Instance> Stm32Entropy<'d, T> {
    /// Entropy from `rng`.
    pub fn new(rng: Rng<'d, T>) -> Self {
        Stm32Entropy { rng }
    }

    /// The RNG back.
    pub fn into_inner(self) -> Rng<'d, T> {
        self.rng
    }
}

impl<T: Instance> Entropy for Stm32Entropy<'_, T> {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        // embassy-stm32 reports the RNG's errors only from its async fill.
        // urest asks for tokens inside a critical section, where nothing
        // can be awaited, so look at one word at a time: a word not ready
        // yet is asked for again, a bounded number of times.
        let mut waker_context = Context::from_waker(Waker::noop());
        for word in bytes.chunks_mut(4) {
            let mut asks = 0;
            loop {
                let fill = pin!(self.rng.async_fill_bytes(word));
                match fill.poll(&mut waker_context) {
                    Poll::Ready(Ok(())) => break,
                    Poll::Ready(Err(_)) => return Err(EntropyError::Failed),
                    Poll::Pending => {
                        asks += 1;
                        if asks >= ASKS_PER_WORD {
                            return Err(EntropyError::Failed);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl<T: Instance> fmt::Debug for Stm32Entropy<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stm32Entropy")
    }
}
