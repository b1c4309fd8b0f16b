//! What the QEMU test programs share: a panic or hard fault ends the run as
//! a failure that says why ([`fault`]'s handlers, linked into every program
//! that uses this crate), [`stack`] measures how deep the stack went,
//! [`tally`] reports checks the way `run.sh` reads them, and
//! [`time_driver`] runs embassy-time on SysTick (for `urest-qemu-embassy`
//! and the emulated board firmware, `examples/qemu-mps2-an386`).
#![no_std]

mod fault;
pub mod stack;
pub mod tally;
pub mod time_driver;

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
