//! The host's nouns, built from their specs over mock hardware, and the
//! [`Probe`] through which tests read that hardware from another thread.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest_core::controller::{RampConfig, RampController, RampShape};
use urest_core::nouns::{PwmLed, SimpleLed};
use urest_core::ramp::{Brightness, Easing};
use urest_core::resource::Resource;
use urest_mock::{PinLevel, Write};

use crate::clock::HostClock;
use crate::config::{HostConfig, NounKind};
use crate::error::Error;
use crate::hardware::{HostRecorder, LoggedPwm, RecordingPwm, SharedPin, MAX_DUTY};
use crate::log::Logger;

/// How many changes a Fifo PWM noun queues behind the running one; enough
/// for sixteen clients at once with room to spare.
pub const QUEUE_CAPACITY: usize = 32;

/// The PWM output of a host noun.
pub type HostPwm = LoggedPwm<RecordingPwm>;

/// The controller that owns a host PWM noun's output. Verbs, runner and
/// server share one thread, so no real lock is needed.
pub type HostController = RampController<NoopRawMutex, HostPwm, QUEUE_CAPACITY>;

enum Hardware {
    // Boxed: the queue makes a PWM LED twenty times the size of a pin.
    Pwm(Box<PwmLed<NoopRawMutex, HostPwm, QUEUE_CAPACITY>>),
    Simple(SimpleLed<NoopRawMutex, SharedPin>),
}

/// One noun of a running host, with its mock hardware.
pub(crate) struct HostNoun {
    name: String,
    hardware: Hardware,
}

/// The built nouns and the probe that reads their hardware.
pub(crate) struct Nouns {
    pub(crate) nouns: Vec<HostNoun>,
    pub(crate) probe: Probe,
}

impl Nouns {
    /// Build every noun of `config`, each starting off.
    pub(crate) fn build(
        config: &HostConfig,
        logger: Logger,
        clock: HostClock,
    ) -> Result<Self, Error> {
        let shape = RampShape {
            steps: config.steps,
            step_time: config.step_time,
            easing: Easing::Linear,
        };
        let mut nouns = Vec::with_capacity(config.nouns.len());
        let mut probe = Probe::default();
        for spec in &config.nouns {
            let hardware = match spec.kind {
                NounKind::Pwm(policy) => {
                    let recorder = Arc::new(HostRecorder::new(clock));
                    probe.recorders.insert(spec.name.clone(), recorder.clone());
                    let pwm =
                        LoggedPwm::new(&spec.name, RecordingPwm::new(recorder, MAX_DUTY), logger);
                    let ramp = RampConfig {
                        policy,
                        shape,
                        brightness: Brightness::Linear,
                        initial: 0,
                    };
                    Hardware::Pwm(Box::new(PwmLed::new(pwm, ramp)))
                }
                NounKind::Simple => {
                    let level = Arc::new(PinLevel::new());
                    probe.pins.insert(spec.name.clone(), level.clone());
                    let pin = SharedPin::new(&spec.name, level, logger);
                    let led =
                        SimpleLed::new(pin).map_err(|_| Error::Hardware(spec.name.clone()))?;
                    Hardware::Simple(led)
                }
            };
            nouns.push(HostNoun {
                name: spec.name.clone(),
                hardware,
            });
        }
        Ok(Nouns { nouns, probe })
    }
}

impl HostNoun {
    /// The path segment it is served under.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The noun as the HTTP layer sees it.
    pub(crate) fn resource(&self) -> &dyn Resource {
        match &self.hardware {
            Hardware::Pwm(led) => led.as_ref(),
            Hardware::Simple(led) => led,
        }
    }

    /// The ramp controller whose runner must run, for PWM nouns.
    pub(crate) fn controller(&self) -> Option<&HostController> {
        match &self.hardware {
            Hardware::Pwm(led) => Some(led.controller()),
            Hardware::Simple(_) => None,
        }
    }
}

/// Reads a running host's mock hardware, from any thread.
///
/// Cloning is cheap: clones read the same hardware.
#[derive(Clone, Default)]
pub struct Probe {
    recorders: HashMap<String, Arc<HostRecorder>>,
    pins: HashMap<String, Arc<PinLevel>>,
}

impl Probe {
    /// Every duty write to PWM noun `name` so far, oldest first, stamped on
    /// the host's clock; `None` if there is no such PWM noun.
    pub fn writes(&self, name: &str) -> Option<Vec<Write>> {
        let recorder = self.recorders.get(name)?;
        Some(recorder.writes().iter().copied().collect())
    }

    /// The duties of [`writes`](Self::writes), oldest first.
    pub fn duties(&self, name: &str) -> Option<Vec<u16>> {
        let writes = self.writes(name)?;
        Some(writes.iter().map(|write| write.duty).collect())
    }

    /// Writes to PWM noun `name` that the recording had no room for.
    pub fn dropped(&self, name: &str) -> Option<usize> {
        Some(self.recorders.get(name)?.dropped())
    }

    /// Whether simple noun `name`'s pin is high; `None` if there is no such
    /// simple noun.
    pub fn is_high(&self, name: &str) -> Option<bool> {
        Some(self.pins.get(name)?.is_high())
    }
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("pwm", &self.recorders.keys().collect::<Vec<_>>())
            .field("pins", &self.pins.keys().collect::<Vec<_>>())
            .finish()
    }
}
