//! embassy-time on the Cortex-M SysTick: one tick a millisecond.
//!
//! SysTick counts the core clock down and interrupts each time it wraps;
//! every interrupt is one tick of a 64-bit count, which is embassy's "now".
//! The timer queue is embassy-time-queue-utils' integrated queue, whose
//! entries live in the executor's task headers, so it has no capacity to
//! run out of. Deadlines are checked on every tick.
//!
//! QEMU models a SysTick on every Cortex-M machine, the nRF51 included
//! (the real chip has none and would use its RTC instead); a tick is a
//! millisecond of QEMU's virtual clock, which follows the host's.

use core::cell::RefCell;
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::{Driver, TICK_HZ};
use embassy_time_queue_utils::Queue;

/// The core clock QEMU gives the machine: hw/arm/nrf51_soc.c fixes HCLK at
/// 16 MHz.
#[cfg(qemu_machine = "microbit")]
const CORE_CLOCK_HZ: u64 = 16_000_000;
/// The core clock QEMU gives the machine: hw/arm/mps2.c runs SYSCLK at
/// 25 MHz.
#[cfg(qemu_machine = "mps2-an386")]
const CORE_CLOCK_HZ: u64 = 25_000_000;

/// SysTick's reload value is 24 bits wide, and a tick must be a whole
/// number of core cycles for the count to keep time.
const CYCLES_PER_TICK: u32 = {
    assert!(
        CORE_CLOCK_HZ.is_multiple_of(TICK_HZ),
        "a tick must be whole core cycles"
    );
    let cycles = CORE_CLOCK_HZ / TICK_HZ;
    assert!(
        cycles >= 1 && cycles <= 1 << 24,
        "SysTick cannot count a tick"
    );
    cycles as u32
};

struct State {
    /// SysTick interrupts since [`start`].
    ticks: u64,
    /// The tick at which the queue next has a timer due.
    alarm: u64,
    queue: Queue,
}

struct SysTickDriver {
    state: Mutex<RefCell<State>>,
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.state.borrow_ref(cs).ticks)
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut state = self.state.borrow_ref_mut(cs);
            let State {
                ticks,
                alarm,
                queue,
            } = &mut *state;
            if queue.schedule_wake(at, waker) {
                // Wakes at once whatever is already due, `at` included.
                *alarm = queue.next_expiration(*ticks);
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    state: Mutex::new(RefCell::new(State {
        ticks: 0,
        alarm: u64::MAX,
        queue: Queue::new(),
    })),
});

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let mut state = DRIVER.state.borrow_ref_mut(cs);
        state.ticks += 1;
        if state.ticks >= state.alarm {
            let now = state.ticks;
            state.alarm = state.queue.next_expiration(now);
        }
    });
}

/// Start ticking. Until then time stands at zero.
pub fn start(mut systick: SYST) {
    systick.set_clock_source(SystClkSource::Core);
    systick.set_reload(CYCLES_PER_TICK - 1);
    systick.clear_current();
    systick.enable_interrupt();
    systick.enable_counter();
}
