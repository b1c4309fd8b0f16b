//! How deep the stack has been, read from the paint `cortex-m-rt` puts on
//! it at reset (feature `paint-stack`) and that [`repaint`] renews between
//! scenarios or checks.

use core::mem::size_of;
use core::ptr::addr_of;

use cortex_m_rt::STACK_PAINT_VALUE;

extern "C" {
    // Both come from cortex-m-rt's `link.x` and our `memory.x`: the stack
    // occupies `_stack_end.._stack_start` and grows down.
    static _stack_start: u32;
    static _stack_end: u32;
}

/// Bytes left unpainted just below the stack pointer, for whatever the
/// painting loop itself pushes.
const MARGIN: usize = 64;

/// The deepest the stack has been since it was last painted.
#[derive(Copy, Clone)]
pub struct Usage {
    /// Bytes between the top of the stack and the deepest scrubbed word.
    pub used: usize,
    /// Bytes the stack has in all.
    pub size: usize,
}

impl Usage {
    /// Whether no paint is left: the stack reached its end, and may have
    /// gone past it.
    pub fn overflowed(&self) -> bool {
        self.used >= self.size
    }
}

fn bounds() -> (usize, usize) {
    (
        addr_of!(_stack_end) as usize,
        addr_of!(_stack_start) as usize,
    )
}

/// Paint the free part of the stack again, so the next [`usage`] measures
/// only what runs from now on.
#[inline(never)]
pub fn repaint() {
    let (end, _) = bounds();
    // This function's own frame is the lowest in use.
    let below_us = (cortex_m::register::msp::read() as usize).saturating_sub(MARGIN);
    let mut word = end;
    while word + size_of::<u32>() <= below_us {
        // SAFETY: `word` is a word-aligned address in the stack region the
        // linker reserved, below every frame in use, so nothing lives there.
        // An interrupt taken meanwhile pushes its frames there, but pops them
        // before this loop resumes (one core), so none is live when we write.
        unsafe { core::ptr::write_volatile(word as *mut u32, STACK_PAINT_VALUE) };
        word += size_of::<u32>();
    }
}

/// Scan the stack from its far end for the first word that is no longer
/// paint.
pub fn usage() -> Usage {
    let (end, start) = bounds();
    let mut deepest = end;
    while deepest < start {
        // SAFETY: `deepest` is a word-aligned address in the stack region the
        // linker reserved; reading it volatile keeps the compiler from
        // assuming what unused stack holds.
        let word = unsafe { core::ptr::read_volatile(deepest as *const u32) };
        if word != STACK_PAINT_VALUE {
            break;
        }
        deepest += size_of::<u32>();
    }
    Usage {
        used: start - deepest,
        size: start.saturating_sub(end),
    }
}
