//! Lock-token entropy from the ring oscillator's random bit.

use embassy_rp::clocks::RoscRng;
use sha2_const_stable::Sha256;
use urest_core::coord::{Entropy, EntropyError};

/// Raw bytes (of eight `RANDOMBIT` reads each) hashed into each 32 bytes
/// given out: 4096 raw bits for 256.
const RAW_PER_BLOCK: usize = 512;
/// Raw bytes read and checked at a time.
const CHUNK: usize = 64;
/// What each block's hash starts with, so its output is this source's own.
const LABEL: &[u8] = b"urest-rp RoscEntropy v1";

/// Entropy for urest's client-lock tokens from the RP2040's ring oscillator
/// (ROSC): its `RANDOMBIT` register, read through
/// [`embassy_rp::clocks::RoscRng`], checked, and condensed with SHA-256.
///
/// The RP2040 has no true random number generator, and this is **not a
/// certified TRNG**. The bit is the state of a free-running oscillator
/// sampled by the system clock: consecutive reads are correlated and
/// biased, and the RP2040 datasheet itself says it does not meet the
/// requirements of randomness for security systems. So the raw bits are
/// not given out as they are: every 32 bytes given out are the SHA-256 of
/// 4096 raw bits, which stays unpredictable as long as each raw bit holds
/// at least a sixteenth of a bit of entropy. That makes 128-bit lock tokens
/// no client can guess — which is all a lock token is for: locks coordinate
/// well-behaved clients, they are not access control (an access token,
/// `urest_http::Access`, is). Treat the tokens as no stronger than that.
///
/// The raw bits are random only while the ROSC runs and the cores are not
/// clocked from it. The default `embassy_rp::init` configuration (crystal
/// and PLLs, ROSC left running) is right. Each 64 raw bytes are checked
/// before they are used: a stopped ROSC (a clock configuration with
/// `rosc: None`, or dormant) reads one value throughout, and a ROSC locked
/// to a harmonic of the bus repeats a few byte values; either makes
/// [`fill`](Entropy::fill) fail with [`EntropyError::Stuck`], so urest's
/// start-up check (`Coordination::new`) refuses the source. The check
/// cannot see subtler faults: do not serve locks from a board clocked by
/// its ROSC.
///
/// Cost: 4096 register reads and a SHA-256 of 512 bytes for each 32 bytes
/// (about 2.3 KB of flash), on the order of a millisecond at 125 MHz (an
/// estimate, not measured on silicon), spent only when a lock is granted
/// (and twice at start-up) — inside urest-http's critical section, so
/// interrupts wait that long.
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
    /// Blocks given out so far, hashed in so no two blocks share an input.
    blocks: u64,
}

impl RoscEntropy {
    /// Entropy from the ring oscillator. It takes no peripheral: the ROSC
    /// keeps clocking whatever else uses it, and reading its random bit
    /// changes nothing.
    pub const fn new() -> Self {
        RoscEntropy { blocks: 0 }
    }

    /// 32 bytes: the SHA-256 of [`RAW_PER_BLOCK`] checked raw bytes that
    /// `read` gives (the ROSC's, but for tests).
    fn block(&mut self, mut read: impl FnMut(&mut [u8])) -> Result<[u8; 32], EntropyError> {
        let mut hash = Sha256::new()
            .update(LABEL)
            .update(&self.blocks.to_le_bytes());
        let mut raw = [0u8; CHUNK];
        for _ in 0..RAW_PER_BLOCK / CHUNK {
            read(&mut raw);
            if looks_stuck(&raw) {
                return Err(EntropyError::Stuck);
            }
            hash = hash.update(&raw);
        }
        self.blocks = self.blocks.wrapping_add(1);
        Ok(hash.finalize())
    }
}

/// Whether `raw` looks like an oscillator that does not run freely: almost
/// all ones or all zeros, or only a few distinct byte values (a pattern
/// locked to the bus clock). Loose on purpose: it must never refuse a
/// working ROSC, whose raw bits are biased and correlated.
fn looks_stuck(raw: &[u8; CHUNK]) -> bool {
    let bits = (CHUNK * 8) as u32;
    let ones: u32 = raw.iter().map(|byte| byte.count_ones()).sum();
    let mut seen = [0u32; 8];
    for byte in raw {
        seen[usize::from(byte >> 5)] |= 1 << (byte & 31);
    }
    let distinct: u32 = seen.iter().map(|word| word.count_ones()).sum();
    ones < bits / 16 || ones > bits - bits / 16 || distinct < 4
}

impl Entropy for RoscEntropy {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        for out in bytes.chunks_mut(32) {
            let block = self.block(|raw| RoscRng.fill_bytes(raw))?;
            out.copy_from_slice(&block[..out.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_or_locked_oscillator_looks_stuck() {
        assert!(looks_stuck(&[0; CHUNK]));
        assert!(looks_stuck(&[0xff; CHUNK]));
        let alternating: [u8; CHUNK] = core::array::from_fn(|i| [0x55, 0xaa][i % 2]);
        assert!(looks_stuck(&alternating));
        // Nearly all zeros: a few ones in 512 bits.
        let mut sparse = [0u8; CHUNK];
        sparse[..8].copy_from_slice(&[1, 2, 4, 8, 16, 32, 64, 128]);
        assert!(looks_stuck(&sparse));
    }

    /// Bytes of a fixed xorshift, standing in for the raw bits.
    fn xorshift(mut state: u64) -> impl FnMut(&mut [u8]) {
        move |raw| {
            for byte in raw {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = state as u8;
            }
        }
    }

    #[test]
    fn blocks_are_hashed_and_numbered() {
        let mut entropy = RoscEntropy::new();
        let first = entropy.block(xorshift(7)).unwrap();
        let second = entropy.block(xorshift(7)).unwrap();
        // The same raw bits give another block: the count is hashed in.
        assert_ne!(first, second);
        assert_eq!(entropy.blocks, 2);
        // A stopped oscillator is refused, and counts no block.
        assert_eq!(entropy.block(|raw| raw.fill(0)), Err(EntropyError::Stuck));
        assert_eq!(entropy.blocks, 2);
    }

    #[test]
    fn biased_correlated_bits_pass() {
        // Runs of equal bits, as a sampled oscillator gives: still passes.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let raw: [u8; CHUNK] = core::array::from_fn(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Bytes made of two runs: 0b1110_0000 and the like.
            let split = (state % 9) as u32;
            let high = state & 0x100 != 0;
            let run = 0xffu8.checked_shr(split).unwrap_or(0);
            if high {
                !run
            } else {
                run
            }
        });
        assert!(!looks_stuck(&raw));
    }
}
