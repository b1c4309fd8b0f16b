//! urest on an emulated board: QEMU's MPS2 AN386 (Cortex-M4F) serves mock
//! LEDs over HTTP through its LAN9118 Ethernet, with the same
//! `urest-embassy` layer as the real boards, so tests can curl it.
//!
//! Board setup is here and in `network.rs`; the nouns come from the
//! build-time settings (`settings.rs`, default `green_led0` a Fifo PWM LED
//! fading in ten steps of a second, and `led0` a simple LED). Everything
//! the board says goes to the host through semihosting (`console.rs`),
//! every duty and pin change included (`mock.rs`).
#![no_std]
#![no_main]

mod console;
#[cfg(not(feature = "baseline"))]
mod mock;
mod network;
// The baseline serves nothing, so most settings go unread.
#[cfg_attr(feature = "baseline", allow(dead_code))]
mod settings;

use embassy_executor::Spawner;
use embassy_net::Stack;
use embassy_time::Timer;

#[cfg(not(feature = "baseline"))]
use {
    core::num::NonZeroU16,
    core::time::Duration,
    heapless::Vec,
    static_cell::StaticCell,
    urest_embassy::urest_core::controller::{RampConfig, RampShape},
    urest_embassy::urest_core::nouns::{PwmLed, SimpleLed},
    urest_embassy::urest_core::ramp::{Brightness, Easing},
    urest_embassy::urest_core::resource::Resource,
    urest_embassy::urest_http::{Config, LogObserver, Noun, SlotPolicy},
    urest_embassy::{CriticalSectionRawMutex, Service},
};

#[cfg(not(feature = "baseline"))]
use crate::{
    mock::{LoggedPin, LoggedPwm},
    settings::Kind,
};

/// Room for nouns of each kind (build.rs refuses more).
#[cfg(not(feature = "baseline"))]
const MAX_PWM: usize = 4;
#[cfg(not(feature = "baseline"))]
const MAX_SIMPLE: usize = 4;
/// Changes a PWM noun queues under Fifo: as many as `urest-host`'s.
#[cfg(not(feature = "baseline"))]
const QUEUE: usize = 32;

#[cfg(not(feature = "baseline"))]
type PwmNoun = PwmLed<CriticalSectionRawMutex, LoggedPwm, QUEUE>;
#[cfg(not(feature = "baseline"))]
type SimpleNoun = SimpleLed<CriticalSectionRawMutex, LoggedPin>;

#[cfg(not(feature = "baseline"))]
urest_embassy::fade_task!(fade, PwmNoun, pool_size = 4);
#[cfg(not(feature = "baseline"))]
urest_embassy::http_tasks!(http, slots = 4);

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        fail(format_args!("the core peripherals were already taken"));
    };
    urest_qemu::time_driver::start(peripherals.SYST);
    console::init(settings::LOG_REQUESTS);
    let stack = match network::start(spawner) {
        Ok(stack) => stack,
        Err(why) => fail(format_args!("the network did not start: {why}")),
    };
    stack.wait_config_up().await;
    #[cfg(not(feature = "baseline"))]
    if let Err(why) = serve(spawner, stack) {
        fail(format_args!("urest did not start: {why}"));
    }
    announce(stack);
    watch_the_stack().await
}

/// Declare the nouns of the build-time settings and serve them on port 80.
#[cfg(not(feature = "baseline"))]
fn serve(spawner: Spawner, stack: Stack<'static>) -> Result<(), ServeError> {
    static PWM_NOUNS: [StaticCell<PwmNoun>; MAX_PWM] = [const { StaticCell::new() }; MAX_PWM];
    static SIMPLE_NOUNS: [StaticCell<SimpleNoun>; MAX_SIMPLE] =
        [const { StaticCell::new() }; MAX_SIMPLE];
    static NOUNS: StaticCell<Vec<Noun<'static>, { MAX_PWM + MAX_SIMPLE }>> = StaticCell::new();
    static SERVICE: StaticCell<Service<'static>> = StaticCell::new();

    let shape = RampShape {
        steps: NonZeroU16::new(settings::STEPS).unwrap_or(NonZeroU16::MIN),
        step_time: Duration::from_millis(settings::STEP_MS),
        easing: Easing::Linear,
    };
    let (mut pwm_cells, mut simple_cells) = (PWM_NOUNS.iter(), SIMPLE_NOUNS.iter());
    let mut nouns = Vec::new();
    for spec in settings::NOUNS {
        let resource: &'static dyn Resource = match spec.kind {
            Kind::Pwm(policy) => {
                let ramp = RampConfig {
                    policy,
                    shape,
                    brightness: Brightness::Linear,
                    initial: 0,
                };
                let cell = pwm_cells.next().ok_or(ServeError::TooManyNouns)?;
                let led = cell.init(PwmLed::new(LoggedPwm::new(spec.name), ramp));
                spawner.spawn(fade(led)?);
                led
            }
            Kind::Simple => {
                let cell = simple_cells.next().ok_or(ServeError::TooManyNouns)?;
                let Ok(led) = SimpleLed::new(LoggedPin::new(spec.name));
                cell.init(led)
            }
        };
        let noun = Noun {
            name: spec.name,
            resource,
        };
        nouns.push(noun).map_err(|_| ServeError::TooManyNouns)?;
    }
    let config = Config {
        read_timeout: Duration::from_millis(settings::READ_TIMEOUT_MS),
        ..Config::default()
    };
    let slot_policy = SlotPolicy {
        queue_wait: Duration::from_millis(settings::QUEUE_WAIT_MS),
        ..SlotPolicy::default()
    };
    let service = Service::new(NOUNS.init(nouns), config).with_slot_policy(slot_policy);
    let service = match settings::LOG_REQUESTS {
        true => service.with_observer(&LogObserver),
        false => service,
    };
    // Changes need the token set when building with `UREST_TOKEN=... cargo
    // build`; unset, the board answers everyone (see docs/security.md).
    let access = urest_embassy::access_from_build_env!("UREST_TOKEN");
    let service = service.with_optional_access(access);
    http::spawn(spawner, SERVICE.init(service), stack)?;
    Ok(())
}

/// Why serving did not start.
#[cfg(not(feature = "baseline"))]
enum ServeError {
    /// More nouns than statics for them.
    TooManyNouns,
    /// A task could not be spawned.
    Spawn(embassy_executor::SpawnError),
}

#[cfg(not(feature = "baseline"))]
impl core::fmt::Display for ServeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ServeError::TooManyNouns => f.write_str("more nouns than room for them"),
            ServeError::Spawn(why) => write!(f, "a task did not spawn: {why:?}"),
        }
    }
}

#[cfg(not(feature = "baseline"))]
impl From<embassy_executor::SpawnError> for ServeError {
    fn from(error: embassy_executor::SpawnError) -> Self {
        ServeError::Spawn(error)
    }
}

/// Say where the board listens and what it serves.
fn announce(stack: Stack<'static>) {
    let address = stack.config_v4().map(|config| config.address.address());
    console::line(format_args!(
        "board: up at {:?}, port 80 (forwarded from the host by QEMU)",
        address.unwrap_or(network::ADDRESS)
    ));
    #[cfg(not(feature = "baseline"))]
    for spec in settings::NOUNS {
        match spec.kind {
            Kind::Pwm(policy) => console::line(format_args!(
                "noun /{}: PWM LED, {}, {} steps of {} ms",
                spec.name,
                policy.name(),
                settings::STEPS,
                settings::STEP_MS
            )),
            Kind::Simple => console::line(format_args!("noun /{}: simple LED", spec.name)),
        }
    }
    // No entropy source on this machine, and lock tokens are never made
    // from a counter or the clock: served without `Service::with_coordination`.
    #[cfg(not(feature = "baseline"))]
    console::line(format_args!(
        "client locks: off (no entropy source on this board; /NOUN/lock answers 501)"
    ));
}

/// Report the deepest the stack has been while starting, then paint it
/// afresh and report the deepest it goes while serving, each time it goes
/// deeper.
async fn watch_the_stack() -> ! {
    let start = urest_qemu::stack::usage();
    console::line(format_args!(
        "stack: deepest {} of {} bytes while starting",
        start.used, start.size
    ));
    urest_qemu::stack::repaint();
    let mut deepest = 0;
    loop {
        let usage = urest_qemu::stack::usage();
        if usage.used > deepest {
            deepest = usage.used;
            console::line(format_args!(
                "stack: deepest {} of {} bytes",
                usage.used, usage.size
            ));
        }
        Timer::after(embassy_time::Duration::from_millis(500)).await;
    }
}

/// Say why the board cannot go on, and stop QEMU with failure.
fn fail(why: core::fmt::Arguments<'_>) -> ! {
    console::line(format_args!("FAILED: {why}"));
    urest_qemu::exit(false)
}
