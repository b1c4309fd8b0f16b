//! A noun of this board's own: the RP2040's die temperature, read-only.
//!
//! A task reads the sensor every few seconds and records the reading; GET
//! shows the last one and how old it is, so a client can tell a fresh value
//! from a stale one. Reading the ADC takes time, so the noun never reads it
//! while answering.

use core::cell::Cell;

use embassy_rp::adc::{self, Adc};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_time::{Duration, Timer};
use urest_embassy::urest_core::attributes::{Access, AttributeSpec, Attributes, Kind, Value};
use urest_embassy::urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest_embassy::urest_core::time::{Clock, Instant};
use urest_embassy::EmbassyClock;
use urest_rp::temperature::{millicelsius, PICO_ADC_REFERENCE_MICROVOLTS};

/// How often the sensor is read.
const REFRESH_PERIOD: Duration = Duration::from_secs(2);

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "millicelsius",
        kind: Kind::Int {
            min: i32::MIN as i64,
            max: i32::MAX as i64,
        },
        access: Access::ReadOnly,
        doc: "the die temperature at the last reading, in thousandths of a degree Celsius",
    },
    AttributeSpec {
        key: "age_ms",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "how long ago that reading was taken",
    },
];

#[derive(Copy, Clone)]
struct Reading {
    millicelsius: i32,
    taken: Instant,
}

/// The on-chip temperature sensor as a noun. Until the first reading, GET
/// shows no attributes.
pub struct ChipTemperature {
    last: Mutex<CriticalSectionRawMutex, Cell<Option<Reading>>>,
}

impl ChipTemperature {
    pub const fn new() -> Self {
        ChipTemperature {
            last: Mutex::new(Cell::new(None)),
        }
    }

    fn record(&self, reading: Reading) {
        self.last.lock(|last| last.set(Some(reading)));
    }
}

impl Resource for ChipTemperature {
    fn describe(&self) -> Description {
        Description {
            kind: "temperature",
            policy: None,
            attributes: SCHEMA,
            verbs: Verbs::READ_ONLY,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        let mut state = Attributes::new();
        if let Some(reading) = self.last.lock(Cell::get) {
            let age = now.duration_since(reading.taken).as_millis();
            let _ = state.set("millicelsius", Value::Int(reading.millicelsius.into()));
            let _ = state.set("age_ms", Value::Int(age.try_into().unwrap_or(i64::MAX)));
        }
        state
    }

    // `Verbs::READ_ONLY` has the server refuse these before they get here.
    fn put(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }

    fn post(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }

    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }
}

/// Reads the sensor into `noun` every [`REFRESH_PERIOD`], for ever.
#[embassy_executor::task]
pub async fn refresh(
    mut adc: Adc<'static, adc::Async>,
    mut sensor: adc::Channel<'static>,
    noun: &'static ChipTemperature,
) -> ! {
    loop {
        match adc.read(&mut sensor).await {
            Ok(raw) => noun.record(Reading {
                millicelsius: millicelsius(raw, PICO_ADC_REFERENCE_MICROVOLTS),
                taken: EmbassyClock.now(),
            }),
            Err(error) => defmt::warn!("chip_temperature: ADC read failed: {}", error),
        }
        Timer::after(REFRESH_PERIOD).await;
    }
}
