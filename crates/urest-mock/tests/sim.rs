//! The simulation's promises: time jumps only when everything waits, in
//! deadline order, and a deadlock is reported rather than hung on.

use std::cell::RefCell;

use embassy_futures::join::join3;
use embassy_futures::select::{select, Either};
use embassy_futures::yield_now;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::signal::Signal;
use embedded_hal_async::delay::DelayNs;
use urest_core::time::{Clock, Instant};
use urest_mock::sim::MAX_SLEEPERS;
use urest_mock::{Simulation, Stalled};

fn simulation() -> &'static Simulation {
    Box::leak(Box::new(Simulation::new()))
}

#[test]
fn sleepers_wake_in_deadline_order_at_their_deadlines() {
    let sim = simulation();
    let log = RefCell::new(Vec::new());
    let sleeper = |name: &'static str, ms: u32| {
        let log = &log;
        async move {
            sim.delay().delay_ms(ms).await;
            log.borrow_mut().push((name, sim.clock().now()));
        }
    };
    sim.run(
        Instant::from_millis(10_000),
        join3(
            sleeper("late", 3_000),
            sleeper("early", 1_000),
            sleeper("middle", 2_000),
        ),
    )
    .unwrap();
    assert_eq!(
        log.into_inner(),
        vec![
            ("early", Instant::from_millis(1_000)),
            ("middle", Instant::from_millis(2_000)),
            ("late", Instant::from_millis(3_000)),
        ]
    );
}

#[test]
fn time_does_not_pass_while_a_task_can_run() {
    let sim = simulation();
    let signal: Signal<NoopRawMutex, ()> = Signal::new();
    let seen = sim
        .run(Instant::from_millis(10_000), async {
            let waiter = async {
                signal.wait().await;
                sim.clock().now()
            };
            let busy = async {
                // Many polls of work that never sleeps, then a signal.
                for _ in 0..100 {
                    yield_now().await;
                }
                signal.signal(());
            };
            let mut delay = sim.delay();
            let sleeper = delay.delay_ms(5_000);
            join3(waiter, busy, sleeper).await.0
        })
        .unwrap();
    assert_eq!(seen, Instant::ZERO);
    assert_eq!(sim.clock().now(), Instant::from_millis(5_000));
}

#[test]
fn a_deadlock_is_reported() {
    let sim = simulation();
    let signal: Signal<NoopRawMutex, ()> = Signal::new();
    assert_eq!(
        sim.run(Instant::from_millis(1_000), signal.wait()),
        Err(Stalled::Deadlock { at: Instant::ZERO })
    );
}

#[test]
fn a_time_limit_stops_a_runaway() {
    let sim = simulation();
    let limit = Instant::from_millis(1_000);
    assert_eq!(
        sim.run(limit, sim.delay().delay_ms(5_000)),
        Err(Stalled::TimeLimit { limit })
    );
}

#[test]
fn timeouts_that_lose_their_race_do_not_fill_the_simulation() {
    let sim = simulation();
    let rounds = 2 * MAX_SLEEPERS as u32;
    let finished = sim.run(Instant::from_millis(10_000), async {
        for _ in 0..rounds {
            // A 1 ms pause always beats the 5 s timeout, whose deadline is
            // left behind when the timeout is dropped.
            let (mut timeout, mut pause) = (sim.delay(), sim.delay());
            let raced = select(timeout.delay_ms(5_000), pause.delay_ms(1)).await;
            assert!(matches!(raced, Either::Second(())));
        }
        sim.clock().now()
    });
    assert_eq!(finished, Ok(Instant::from_millis(u64::from(rounds))));
}

#[test]
fn a_task_that_spins_on_due_delays_is_reported_not_hung() {
    let sim = simulation();
    let spun = sim.run(Instant::from_millis(1_000), async {
        let mut delay = sim.delay();
        loop {
            // A deadline already reached: ready at once, for ever.
            delay.delay_us(0).await;
        }
    });
    assert_eq!(spun, Err(Stalled::Livelock { at: Instant::ZERO }));
}

#[test]
fn a_task_that_only_yields_is_reported_not_hung() {
    let sim = simulation();
    let spun = sim.run(Instant::from_millis(1_000), async {
        loop {
            yield_now().await;
        }
    });
    assert_eq!(spun, Err(Stalled::Livelock { at: Instant::ZERO }));
}
