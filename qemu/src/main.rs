//! The urest concurrency scenarios as a bare-metal test program for QEMU.
//!
//! Runs every scenario in one [`Simulation`], prints `scenario NAME ... ok`
//! or `... FAILED: why` for each and a closing `N passed, M failed` through
//! semihosting, and exits QEMU with success only if every scenario passed.
//! A panic or hard fault is reported the same way and fails the run.
#![no_std]
#![no_main]

mod report;

use cortex_m_rt::entry;
use cortex_m_semihosting::hio;
use urest_mock::Simulation;
// The panic and hard-fault handlers come with the shared crate.
use urest_qemu as _;

/// The one simulation every scenario runs in, in turn. It lives for the
/// whole program because wakers it hands out may be kept by the code under
/// test.
static SIM: Simulation = Simulation::new();

#[entry]
fn main() -> ! {
    // Without a host console there is no one to report to; the exit code
    // still tells.
    let passed = match hio::hstdout() {
        Ok(mut console) => report::run_all(urest_scenarios::SCENARIOS, &SIM, &mut console),
        Err(()) => false,
    };
    urest_qemu::exit(passed)
}
