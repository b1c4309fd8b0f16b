//! What the QEMU test programs share: a panic or hard fault ends the run as
//! a failure that says why ([`fault`]'s handlers, linked into every program
//! that uses this crate), and [`stack`] measures how deep the stack went.
#![no_std]

mod fault;
pub mod stack;

use cortex_m_semihosting::debug;

/// Exit QEMU with success or failure; spin if a debugger resumes us anyway.
pub fn exit(passed: bool) -> ! {
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}
