//! The task that applies a slow noun's transitions.

use core::future::Future;

use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_hal::pwm::SetDutyCycle;
use urest_core::controller::RampController;
use urest_core::nouns::{PwmLed, RampNoun, Ramped};

use crate::clock::EmbassyClock;

/// A noun whose transitions one task applies, step by step: the only writer
/// of its output.
///
/// Implemented for [`RampController`], [`PwmLed`] and [`RampNoun`]; a noun of your
/// own that owns a `RampController` implements it by forwarding to its
/// controller. Spawn one task per noun that runs
/// [`run_fades`](Self::run_fades); [`fade_task!`](crate::fade_task)
/// declares that task for a noun type.
///
/// ```
/// use core::convert::Infallible;
/// use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// use urest_core::controller::{RampConfig, RampController};
/// use urest_embassy::{Fading, NoopRawMutex};
///
/// /// A fan whose speed ramps like an LED fades.
/// struct Fan {
///     motor: RampController<NoopRawMutex, Pwm, 4>,
/// }
///
/// impl Fading for Fan {
///     async fn run_fades(&self) {
///         self.motor.run_fades().await
///     }
/// }
/// # struct Pwm;
/// # impl ErrorType for Pwm { type Error = Infallible; }
/// # impl SetDutyCycle for Pwm {
/// #     fn max_duty_cycle(&self) -> u16 { 100 }
/// #     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
/// # }
/// # let _ = Fan { motor: RampController::new(Pwm, RampConfig::FIFO_TEN_SECOND_FADE) };
/// ```
pub trait Fading {
    /// Apply transitions as clients ask for them, in embassy time. Returns
    /// only if the output reports an error (after logging it with the
    /// `defmt` or `log` feature); the noun then stays where it was and
    /// later changes are accepted but not applied.
    fn run_fades(&self) -> impl Future<Output = ()>;
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> Fading for RampController<M, P, Q> {
    async fn run_fades(&self) {
        let Err(error) = self.run(&EmbassyClock, &mut embassy_time::Delay).await;
        crate::logging::error!(
            "fades stopped: the PWM output failed ({:?})",
            crate::logging::debug(&error)
        );
    }
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize> Fading for PwmLed<M, P, Q> {
    fn run_fades(&self) -> impl Future<Output = ()> {
        self.controller().run_fades()
    }
}

impl<M: RawMutex, P: SetDutyCycle, const Q: usize, R: Ramped> Fading for RampNoun<M, P, Q, R> {
    fn run_fades(&self) -> impl Future<Output = ()> {
        self.controller().run_fades()
    }
}
