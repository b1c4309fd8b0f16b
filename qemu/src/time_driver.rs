//! embassy-time on Cortex-M: one tick a millisecond, deadlines checked on
//! every SysTick interrupt.
//!
//! What "now" is depends on the machine. On the micro:bit it is the count
//! of SysTick interrupts (QEMU models a SysTick on every Cortex-M machine,
//! the nRF51 included, though the real chip has none and would use its
//! RTC). A count of interrupts falls behind whenever QEMU delivers them
//! late and merges them, as it does when the host is busy. On the MPS2
//! AN386, "now" is read from the CMSDK APB timer 0 instead, a 32-bit
//! counter at the 25 MHz peripheral clock, whose value QEMU computes from
//! its virtual clock, so the board's time keeps up with the host's however
//! late the interrupts come.
//!
//! The timer queue is embassy-time-queue-utils' integrated queue, whose
//! entries live in the executor's task headers, so it has no capacity to
//! run out of.

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

/// Counts SysTick interrupts: each is a tick.
#[cfg(qemu_machine = "microbit")]
struct Clock {
    ticks: u64,
}

#[cfg(qemu_machine = "microbit")]
impl Clock {
    const fn new() -> Clock {
        Clock { ticks: 0 }
    }

    fn on_systick(&mut self) {
        self.ticks += 1;
    }

    fn now(&mut self) -> u64 {
        self.ticks
    }

    fn start(&mut self) {}
}

/// Reads the CMSDK APB timer 0 (hw/arm/mps2.c maps it at 0x4000_0000,
/// clocked at SYSCLK), counting down from `u32::MAX` and reloading, and
/// extends its count to 64 bits. It wraps every 171 s; SysTick reads it a
/// thousand times a second, so no wrap goes unseen.
#[cfg(qemu_machine = "mps2-an386")]
struct Clock {
    running: bool,
    /// Cycles counted since the last wrap, at the last reading.
    last: u32,
    wraps: u64,
}

#[cfg(qemu_machine = "mps2-an386")]
impl Clock {
    const CTRL: *mut u32 = 0x4000_0000 as *mut u32;
    const VALUE: *mut u32 = 0x4000_0004 as *mut u32;
    const RELOAD: *mut u32 = 0x4000_0008 as *mut u32;
    const ENABLE: u32 = 1;

    const fn new() -> Clock {
        Clock {
            running: false,
            last: 0,
            wraps: 0,
        }
    }

    fn on_systick(&mut self) {}

    fn now(&mut self) -> u64 {
        if !self.running {
            return 0;
        }
        // SAFETY: VALUE is a word-aligned register of the APB timer 0,
        // which the MPS2 machine maps at 0x4000_0000 and nothing else in
        // the program uses.
        let value = unsafe { core::ptr::read_volatile(Clock::VALUE) };
        let counted = u32::MAX - value;
        if counted < self.last {
            self.wraps += 1;
        }
        self.last = counted;
        ((self.wraps << 32) | u64::from(counted)) / u64::from(CYCLES_PER_TICK)
    }

    fn start(&mut self) {
        // SAFETY: CTRL and RELOAD are word-aligned registers of the APB
        // timer 0 (see `now`). Writing RELOAD also loads the count.
        unsafe {
            core::ptr::write_volatile(Clock::RELOAD, u32::MAX);
            core::ptr::write_volatile(Clock::CTRL, Clock::ENABLE);
        }
        self.running = true;
    }
}

struct State {
    clock: Clock,
    /// The tick at which the queue next has a timer due.
    alarm: u64,
    queue: Queue,
}

struct SysTickDriver {
    state: Mutex<RefCell<State>>,
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.state.borrow_ref_mut(cs).clock.now())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut state = self.state.borrow_ref_mut(cs);
            let now = state.clock.now();
            let State { alarm, queue, .. } = &mut *state;
            if queue.schedule_wake(at, waker) {
                // Wakes at once whatever is already due, `at` included.
                *alarm = queue.next_expiration(now);
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    state: Mutex::new(RefCell::new(State {
        clock: Clock::new(),
        alarm: u64::MAX,
        queue: Queue::new(),
    })),
});

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let mut state = DRIVER.state.borrow_ref_mut(cs);
        state.clock.on_systick();
        let now = state.clock.now();
        if now >= state.alarm {
            state.alarm = state.queue.next_expiration(now);
        }
    });
}

/// Start ticking. Until then time stands at zero.
pub fn start(mut systick: SYST) {
    critical_section::with(|cs| DRIVER.state.borrow_ref_mut(cs).clock.start());
    systick.set_clock_source(SystClkSource::Core);
    systick.set_reload(CYCLES_PER_TICK - 1);
    systick.clear_current();
    systick.enable_interrupt();
    systick.enable_counter();
}
