//! Async code in virtual time.
//!
//! [`Simulation::run`] polls a future (usually a `join` or `select` of
//! several tasks) like an executor would. When nothing is left to do but
//! wait — no task woke another during the last poll — it moves its
//! [`VirtualClock`] straight to the earliest [`VirtualDelay`] deadline and
//! wakes the tasks waiting for it. A test that ramps an LED for ten seconds
//! therefore runs in microseconds, and always in the same order.

use core::cell::{Cell, RefCell};
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use core::time::Duration;

use critical_section::Mutex;
use embedded_hal_async::delay::DelayNs;
use heapless::Vec;
use urest_core::time::{Clock, Instant};

use crate::clock::VirtualClock;

/// How many sleeping futures a simulation tracks at once.
pub const MAX_SLEEPERS: usize = 32;

/// How many polls, and delays found already due, a simulation allows at one
/// instant before it reports [`Stalled::Livelock`]: far more than any
/// working test needs, and reached in well under a second by a task that
/// never lets time pass.
pub const MAX_SPINS_PER_INSTANT: u32 = 1_000_000;

/// Why [`Simulation::run`] gave up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stalled {
    /// Every task waits and none waits for time: a deadlock.
    Deadlock {
        /// When it happened.
        at: Instant,
    },
    /// The next deadline is past the simulation's time limit.
    TimeLimit {
        /// The limit.
        limit: Instant,
    },
    /// All [`MAX_SLEEPERS`] deadline slots were taken by other tasks' (other
    /// wakers') deadlines when one more went to sleep.
    TooManySleepers,
    /// Tasks kept running without ever letting time pass (polled, or finding
    /// their delays already due, [`MAX_SPINS_PER_INSTANT`] times at one
    /// instant): code that would spin for ever on a real executor.
    Livelock {
        /// When it happened.
        at: Instant,
    },
}

/// A virtual clock plus the deadlines of everything sleeping on it.
///
/// A simulation lives for the whole program (`static`, or leaked in a host
/// test) because wakers it hands out may be kept by the code under test.
///
/// ```
/// use embedded_hal_async::delay::DelayNs;
/// use urest_core::time::{Clock, Instant};
/// use urest_mock::Simulation;
///
/// static SIM: Simulation = Simulation::new();
/// let slept = SIM.run(Instant::from_millis(60_000), async {
///     let mut delay = SIM.delay();
///     delay.delay_ms(10_000).await;
///     SIM.clock().now()
/// });
/// assert_eq!(slept, Ok(Instant::from_millis(10_000)));
/// ```
pub struct Simulation {
    clock: VirtualClock,
    sleepers: Mutex<RefCell<Vec<(Instant, Waker), MAX_SLEEPERS>>>,
    woken: AtomicBool,
    overflowed: AtomicBool,
    /// Polls and due delays since time last moved. Behind a critical
    /// section rather than an atomic: Cortex-M0 has no atomic add.
    spins: Mutex<Cell<u32>>,
}

impl Simulation {
    /// A simulation at [`Instant::ZERO`] with nothing sleeping.
    pub const fn new() -> Self {
        Simulation {
            clock: VirtualClock::new(),
            sleepers: Mutex::new(RefCell::new(Vec::new())),
            woken: AtomicBool::new(false),
            overflowed: AtomicBool::new(false),
            spins: Mutex::new(Cell::new(0)),
        }
    }

    /// The simulation's clock.
    pub fn clock(&self) -> &VirtualClock {
        &self.clock
    }

    /// A delay that sleeps in this simulation's time.
    pub fn delay(&'static self) -> VirtualDelay {
        VirtualDelay { sim: self }
    }

    /// Poll `future` to completion in virtual time, giving up with
    /// [`Stalled`] on deadlock or when time would pass `limit`.
    ///
    /// Runs one after another may share a simulation: the clock carries on
    /// from where the last run left it, so measure from `clock().now()`.
    pub fn run<F: Future>(&'static self, limit: Instant, future: F) -> Result<F::Output, Stalled> {
        self.forget_sleepers();
        let result = self.poll_to_end(limit, future);
        // The futures that slept are gone with `future`.
        self.forget_sleepers();
        result
    }

    fn forget_sleepers(&self) {
        critical_section::with(|cs| self.sleepers.borrow_ref_mut(cs).clear());
        self.overflowed.store(false, Ordering::SeqCst);
        critical_section::with(|cs| self.spins.borrow(cs).set(0));
    }

    /// Count one more poll or due delay at this instant; `true` once there
    /// have been too many.
    fn spin(&self) -> bool {
        critical_section::with(|cs| {
            let spins = self.spins.borrow(cs);
            let before = spins.get();
            spins.set(before.saturating_add(1));
            before >= MAX_SPINS_PER_INSTANT
        })
    }

    fn poll_to_end<F: Future>(
        &'static self,
        limit: Instant,
        future: F,
    ) -> Result<F::Output, Stalled> {
        let waker = self.waker();
        let mut context = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            self.woken.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return Ok(output);
            }
            if self.overflowed.load(Ordering::SeqCst) {
                return Err(Stalled::TooManySleepers);
            }
            if self.spin() {
                return Err(Stalled::Livelock {
                    at: self.clock.now(),
                });
            }
            if self.woken.load(Ordering::SeqCst) {
                continue;
            }
            // Quiescent: only the passage of time can make progress.
            let now = self.clock.now();
            let next = critical_section::with(|cs| {
                self.sleepers.borrow_ref(cs).iter().map(|(at, _)| *at).min()
            });
            match next {
                None => return Err(Stalled::Deadlock { at: now }),
                Some(at) if at > limit => return Err(Stalled::TimeLimit { limit }),
                Some(at) => self.wake_until(at),
            }
        }
    }

    /// Move the clock to `at` and wake everything due by then.
    fn wake_until(&self, at: Instant) {
        let before = self.clock.now();
        self.clock.set(at);
        // Only time that really moved ends a spin: a clock that cannot
        // advance must not hide a livelock.
        if self.clock.now() > before {
            critical_section::with(|cs| self.spins.borrow(cs).set(0));
        }
        let mut due: Vec<Waker, MAX_SLEEPERS> = Vec::new();
        critical_section::with(|cs| {
            let mut sleepers = self.sleepers.borrow_ref_mut(cs);
            let mut index = 0;
            while index < sleepers.len() {
                if sleepers[index].0 <= at {
                    let (_, waker) = sleepers.swap_remove(index);
                    // `due` has the same capacity as `sleepers`.
                    let _ = due.push(waker);
                } else {
                    index += 1;
                }
            }
        });
        for waker in due {
            waker.wake();
        }
    }

    fn sleep_until(&self, deadline: Instant, waker: &Waker) {
        critical_section::with(|cs| {
            let mut sleepers = self.sleepers.borrow_ref_mut(cs);
            let already = sleepers
                .iter()
                .any(|(at, known)| *at == deadline && known.will_wake(waker));
            if already || sleepers.push((deadline, waker.clone())).is_ok() {
                return;
            }
            // Full, typically of deadlines whose futures were dropped (a
            // timeout that lost a `select`), which stay until they pass. A
            // task woken early is just polled again and sleeps anew, so the
            // deadline can share a slot with the same waker's, woken at the
            // earlier of the two.
            match sleepers
                .iter_mut()
                .find(|(_, known)| known.will_wake(waker))
            {
                Some((at, _)) => *at = (*at).min(deadline),
                None => self.overflowed.store(true, Ordering::SeqCst),
            }
        });
    }

    fn waker(&'static self) -> Waker {
        let data = (&self.woken as *const AtomicBool).cast::<()>();
        // SAFETY: the data pointer is a `&'static AtomicBool`, and every
        // vtable function treats it as exactly that.
        unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
    }
}

impl Default for Simulation {
    fn default() -> Self {
        Simulation::new()
    }
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_raw, wake_raw, wake_raw, drop_raw);

fn clone_raw(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake_raw(data: *const ()) {
    // SAFETY: made only by `Simulation::waker` from a `&'static AtomicBool`.
    let woken = unsafe { &*data.cast::<AtomicBool>() };
    woken.store(true, Ordering::SeqCst);
}

fn drop_raw(_: *const ()) {}

/// A `DelayNs` that sleeps in a [`Simulation`]'s virtual time.
#[derive(Copy, Clone)]
pub struct VirtualDelay {
    sim: &'static Simulation,
}

impl VirtualDelay {
    /// Sleep until the simulation's clock reaches `deadline`.
    pub async fn until(&self, deadline: Instant) {
        poll_fn(|context| {
            // A task that keeps finding its deadline passed never returns
            // to the simulation; past the limit it is made to, so that the
            // simulation can report the livelock instead of hanging.
            if self.sim.clock.now() >= deadline && !self.sim.spin() {
                return Poll::Ready(());
            }
            if self.sim.clock.now() >= deadline {
                context.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.sim.sleep_until(deadline, context.waker());
            Poll::Pending
        })
        .await
    }
}

impl DelayNs for VirtualDelay {
    async fn delay_ns(&mut self, ns: u32) {
        let deadline = self.sim.clock.now() + Duration::from_nanos(u64::from(ns));
        self.until(deadline).await;
    }
}
