//! Panics and hard faults end the run as a failure, saying why.
//!
//! Both write through a fresh semihosting handle rather than the
//! `hprintln!` console: the fault may have struck while that console was
//! borrowed.

use core::fmt::Write;
use core::panic::PanicInfo;

use cortex_m_rt::{exception, ExceptionFrame};
use cortex_m_semihosting::hio;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = writeln!(out, "FAILED: panicked: {info}");
        let _ = writeln!(out, "aborted: a panic stops the whole run");
    }
    fail()
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    if let Ok(mut out) = hio::hstdout() {
        let _ = writeln!(out, "FAILED: hard fault at pc {:#010x}", frame.pc());
        let _ = writeln!(out, "aborted: a hard fault stops the whole run");
    }
    fail()
}

fn fail() -> ! {
    crate::exit(false)
}
