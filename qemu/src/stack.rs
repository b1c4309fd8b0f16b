//! How deep the stack has been, read from the paint `cortex-m-rt` puts on
//! it at reset (feature `paint-stack`).

use cortex_m_rt::STACK_PAINT_VALUE;

extern "C" {
    // Both come from cortex-m-rt's `link.x` and our `memory.x`: the stack
    // occupies `_stack_end..._stack_start` and grows down.
    static _stack_start: u32;
    static _stack_end: u32;
}

/// The deepest the stack has been so far.
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

/// Scan the stack from its far end for the first word that is no longer
/// paint.
pub fn usage() -> Usage {
    let start = core::ptr::addr_of!(_stack_start) as usize;
    let end = core::ptr::addr_of!(_stack_end) as usize;
    let size = start.saturating_sub(end);
    let mut deepest = end;
    while deepest < start {
        // SAFETY: `deepest` is a word-aligned address inside the stack region
        // the linker reserved; words below the stack pointer are not in use,
        // and reading them volatile keeps the compiler from assuming values.
        let word = unsafe { core::ptr::read_volatile(deepest as *const u32) };
        if word != STACK_PAINT_VALUE {
            break;
        }
        deepest += core::mem::size_of::<u32>();
    }
    Usage {
        used: start - deepest,
        size,
    }
}
