//! The original MicroPython urest's `_slow_on` and `_slow_off` as they were before the lock: two
//! ramps that each believe they own the pin.
//!
//! They exist only to show the hazard, in tests and figures. Nothing stops a second ramp from
//! starting while the first still runs, so two of them on one pin write it
//! in turns, one up, one down.

use core::cell::RefCell;
use core::num::NonZeroU16;
use core::time::Duration;

use embedded_hal::pwm::SetDutyCycle;
use embedded_hal_async::delay::DelayNs;

/// Raise `pin` from off to fully on in `steps` equal steps of `step_time`,
/// writing the level at the start of each step, as the original MicroPython urest's `_slow_on` does.
///
/// The borrow of `pin` lasts for one write only, so another ramp can write
/// the same pin while this one sleeps — which is the point.
///
/// ```
/// use core::cell::RefCell;
/// use core::num::NonZeroU16;
/// use core::time::Duration;
/// use urest_core::time::Instant;
/// use urest_mock::{MockPwm, Recorder, Simulation};
///
/// static SIM: Simulation = Simulation::new();
/// let recorder: Recorder<_, 16> = Recorder::new(SIM.clock());
/// let pin = RefCell::new(MockPwm::new(&recorder, 100));
/// let steps = NonZeroU16::new(4).unwrap();
/// let ramp = urest_mock::naive::slow_on(&pin, SIM.delay(), steps, Duration::from_secs(1));
/// SIM.run(Instant::from_millis(10_000), ramp).unwrap().unwrap();
/// assert_eq!(recorder.duties().as_slice(), &[0, 25, 50, 75, 100]);
/// ```
pub async fn slow_on<P: SetDutyCycle, D: DelayNs>(
    pin: &RefCell<P>,
    mut delay: D,
    steps: NonZeroU16,
    step_time: Duration,
) -> Result<(), P::Error> {
    let steps = steps.get();
    for step in 0..steps {
        pin.borrow_mut().set_duty_cycle_fraction(step, steps)?;
        sleep(&mut delay, step_time).await;
    }
    pin.borrow_mut().set_duty_cycle_fully_on()
}

/// Lower `pin` from fully on to off in `steps` equal steps of `step_time`,
/// starting by writing fully on whatever the pin showed, as the original MicroPython urest's
/// `_slow_off` does.
///
/// ```
/// use core::cell::RefCell;
/// use core::num::NonZeroU16;
/// use core::time::Duration;
/// use urest_core::time::Instant;
/// use urest_mock::{MockPwm, Recorder, Simulation};
///
/// static SIM: Simulation = Simulation::new();
/// let recorder: Recorder<_, 16> = Recorder::new(SIM.clock());
/// let pin = RefCell::new(MockPwm::new(&recorder, 100));
/// let steps = NonZeroU16::new(4).unwrap();
/// let ramp = urest_mock::naive::slow_off(&pin, SIM.delay(), steps, Duration::from_secs(1));
/// SIM.run(Instant::from_millis(10_000), ramp).unwrap().unwrap();
/// assert_eq!(recorder.duties().as_slice(), &[100, 75, 50, 25, 0]);
/// ```
pub async fn slow_off<P: SetDutyCycle, D: DelayNs>(
    pin: &RefCell<P>,
    mut delay: D,
    steps: NonZeroU16,
    step_time: Duration,
) -> Result<(), P::Error> {
    let steps = steps.get();
    for step in (1..=steps).rev() {
        pin.borrow_mut().set_duty_cycle_fraction(step, steps)?;
        sleep(&mut delay, step_time).await;
    }
    pin.borrow_mut().set_duty_cycle_fully_off()
}

async fn sleep<D: DelayNs>(delay: &mut D, time: Duration) {
    // `DelayNs` counts in u32 microseconds; a step of over an hour is not a
    // ramp anyone draws, so clamping is enough.
    let micros = u32::try_from(time.as_micros()).unwrap_or(u32::MAX);
    delay.delay_us(micros).await;
}
