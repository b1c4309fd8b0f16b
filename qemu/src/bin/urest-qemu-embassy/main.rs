//! urest on a real embassy executor, in real time, as a bare-metal test
//! program for QEMU.
//!
//! Where `urest-qemu` runs the scenarios in virtual time, this program runs
//! the library the way firmware does: tasks on embassy-executor's thread-mode
//! executor, time from embassy-time over a SysTick driver of its own. It
//! checks each policy's promise with clients in separate tasks, and serves
//! one HTTP exchange through `urest_http::Server::serve` between two tasks.
//!
//! It prints `check NAME ... ok` or `... FAILED: why` for each check and a
//! closing `N passed, M failed` through semihosting, and exits QEMU with
//! success only if every check passed. A panic or hard fault is reported
//! the same way and fails the run.
#![no_std]
#![no_main]
// A failure carries its message inline (no heap) and is returned once, at
// the end of a check, as in urest-scenarios.
#![allow(clippy::result_large_err)]

mod clock;
mod http;
mod policies;
mod verdict;

use core::fmt::Write;

use cortex_m_semihosting::hio;
use embassy_executor::Spawner;
use urest_qemu::exit;

use crate::policies::Bench;
use crate::verdict::Failure;
use urest_qemu::tally::Tally;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        exit(false);
    };
    let host_start = host_centis();
    urest_qemu::time_driver::start(peripherals.SYST);
    // Without a host console there is no one to report to; the exit code
    // still tells.
    let Ok(mut console) = hio::hstdout() else {
        exit(false);
    };
    let passed = run_all(spawner, &mut console, host_start).await;
    exit(passed);
}

async fn run_all(spawner: Spawner, out: &mut impl Write, host_start: usize) -> bool {
    let mut tally = Tally::new(out, "check");
    // The LEDs are shared with the tasks that drive them, so they live for
    // the whole program.
    let Some(benches) = cortex_m::singleton!(: [Bench; 3] = policies::benches()) else {
        tally.begin("setup");
        tally.end(Err(Failure::new(format_args!("benches already taken"))));
        return tally.finish();
    };
    let benches: &'static [Bench; 3] = benches;
    for bench in benches {
        tally.begin(bench.name());
        tally.end(policies::check(spawner, bench).await);
    }

    // The Fifo LED, idle by now, is the PWM LED the server serves.
    let [fifo, ..] = benches;
    let green_led0 = fifo.led();
    match http::Client::connect(spawner, green_led0) {
        Ok(mut client) => {
            tally.begin("http: PUT /led answers 200 and sets the pin");
            tally.end(client.put_led().await);
            tally.begin("http: PUT /led with a wrong-typed value answers 422");
            tally.end(client.put_led_wrong_type().await);
            tally.begin("http: PUT /led with a value nested 400 levels deep answers 422");
            tally.end(client.put_led_deeply_nested().await);
            tally.begin("http: PUT /led with a stale If-Match answers 412");
            tally.end(client.put_led_if_match_stale().await);
            tally.begin("http: GET /green_led0 answers 200 with its state as JSON");
            tally.end(client.get_green_led0().await);
            tally.begin("http: serve returns once the client closes");
            tally.end(client.closed().await);
        }
        Err(why) => {
            tally.begin("http: start the server task");
            tally.end(Err(why));
        }
    }
    // How the SysTick driver's time compares with the host's: a sanity
    // check for whoever reads the log, not a pass condition (QEMU can fall
    // behind the host under load).
    tally.note(format_args!(
        "time: {} ms passed on embassy's clock, {} ms on the host's",
        embassy_time::Instant::now().as_millis(),
        host_centis().saturating_sub(host_start).saturating_mul(10)
    ));
    tally.finish()
}

/// The host's clock in hundredths of a second (semihosting SYS_CLOCK).
fn host_centis() -> usize {
    // SAFETY: SYS_CLOCK takes no argument and only reads the host's clock.
    unsafe { cortex_m_semihosting::syscall!(CLOCK) }
}
