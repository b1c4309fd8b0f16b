//! A slow noun of your own: a fan that spins up and down over seconds,
//! reusing urest's ramp controller and its policies.
//!
//! Clients set `speed` (percent); the fan gets there in ten steps over five
//! seconds while `current` shows where it is. Changes that arrive meanwhile
//! queue (Fifo) and are answered `202 Accepted` with a ticket. The whole
//! noun is the state and the two functions of `Ramped`.
//!
//! ```sh
//! cargo run --example fan
//! curl -s -X PUT -H 'Content-Type: application/json' -d '{"speed": 80}' http://127.0.0.1:8082/fan
//! curl -s http://127.0.0.1:8082/fan            # {"speed":80,"current":24,"waiting":0}
//! curl -s -X DELETE http://127.0.0.1:8082/fan  # spin down
//! ```

mod common;

use core::convert::Infallible;
use core::time::Duration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal::pwm::{ErrorType, SetDutyCycle};
use urest::core::controller::{Policy, RampConfig, RampShape, Snapshot};
use urest::core::nouns::{RampNoun, Ramped};
use urest::core::ramp::{Level, LEVEL_MAX};
use urest::http::Noun;
use urest_host::{HostClock, TokioDelay};

// --- The noun: its state, and how it maps onto the output's level. ---
urest::core::state! {
    /// What a fan reports.
    struct FanState {
        /// the speed the fan is going to, in percent
        speed: u8 [range 0..=100],
        /// the speed now, in percent
        current: u8 [read_only],
        /// changes queued behind the running one
        waiting: u8 [read_only],
    }
}

struct Fan;

impl Ramped for Fan {
    type State = FanState;
    const KIND: &'static str = "fan";

    fn target(wanted: &FanState) -> Level {
        (u32::from(wanted.speed) * u32::from(LEVEL_MAX) / 100) as Level
    }

    fn state(now: &Snapshot) -> FanState {
        let max = u32::from(LEVEL_MAX);
        let percent = |level: Level| ((u32::from(level) * 100 + max / 2) / max) as u8;
        let waiting = u8::try_from(now.waiting).unwrap_or(u8::MAX);
        FanState {
            speed: percent(now.eventual),
            current: percent(now.level),
            waiting,
        }
    }
}
// --- End of the noun. ---

/// Stands in for the fan's PWM output.
struct FanPwm;

impl ErrorType for FanPwm {
    type Error = Infallible;
}

impl SetDutyCycle for FanPwm {
    fn max_duty_cycle(&self) -> u16 {
        1_000
    }

    fn set_duty_cycle(&mut self, _duty: u16) -> Result<(), Infallible> {
        Ok(())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let config = RampConfig {
        policy: Policy::Fifo,
        shape: RampShape {
            step_time: Duration::from_millis(500),
            ..RampShape::TEN_SECOND_FADE
        },
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    let fan: RampNoun<NoopRawMutex, FanPwm, 4, Fan> = RampNoun::new(FanPwm, config);
    let nouns = [Noun::new("fan", &fan)];
    let clock = HostClock::new();
    // The controller's runner moves the fan; the server answers at once.
    let runner = async {
        let Err(never) = fan.controller().run(&clock, &mut TokioDelay).await;
        match never {}
    };
    let serving = common::serve_one_at_a_time("127.0.0.1:8082", &nouns, clock);
    tokio::select! {
        () = runner => unreachable!("the fan's output cannot fail"),
        result = serving => result,
    }
}
