//! A noun of the board's own: the nRF52840's on-chip temperature sensor,
//! read-only, refreshed by a task of its own.
//!
//! The sensor measures the die, not the room: expect a few degrees above
//! ambient while the radio or USB works. Resolution 0.25 °C.

use core::cell::Cell;

use embassy_nrf::temp::Temp;
use embassy_sync::blocking_mutex::Mutex;
use embassy_time::{Duration, Ticker};
use urest_embassy::urest_core::attributes::{Access, AttributeSpec, Attributes, Kind, Value};
use urest_embassy::urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest_embassy::urest_core::time::{Clock, Instant};
use urest_embassy::{CriticalSectionRawMutex, EmbassyClock};

/// How often the task reads the sensor (one reading takes about 36 µs).
const REFRESH: Duration = Duration::from_secs(1);

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "millicelsius",
        kind: Kind::Int {
            min: -100_000,
            max: 200_000,
        },
        access: Access::ReadOnly,
        doc: "die temperature in thousandths of a degree Celsius, in steps of 250",
    },
    AttributeSpec {
        key: "age_ms",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "how long ago the value was read",
    },
    AttributeSpec {
        key: "period_ms",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "how often the value is read",
    },
];

#[derive(Copy, Clone)]
struct Reading {
    millicelsius: i32,
    taken: Instant,
}

/// The last reading of the die temperature and when it was taken.
pub struct DieTemperature {
    last: Mutex<CriticalSectionRawMutex, Cell<Reading>>,
}

impl DieTemperature {
    /// Reads the sensor once, so the noun has a value from the start.
    pub async fn first_reading(sensor: &mut Temp<'_>) -> Self {
        DieTemperature {
            last: Mutex::new(Cell::new(read(sensor).await)),
        }
    }

    /// Reads the sensor every [`REFRESH`], for ever.
    pub async fn refresh(&self, sensor: &mut Temp<'_>) -> ! {
        let mut ticker = Ticker::every(REFRESH);
        loop {
            ticker.next().await;
            let reading = read(sensor).await;
            self.last.lock(|last| last.set(reading));
        }
    }
}

async fn read(sensor: &mut Temp<'_>) -> Reading {
    // The sensor counts quarter degrees.
    let quarters = sensor.read().await.to_bits();
    Reading {
        millicelsius: quarters.saturating_mul(250),
        taken: EmbassyClock.now(),
    }
}

impl Resource for DieTemperature {
    fn describe(&self) -> Description {
        Description {
            kind: "die_temperature",
            policy: None,
            attributes: SCHEMA,
            verbs: Verbs::READ_ONLY,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        let last = self.last.lock(Cell::get);
        let age_ms = i64::try_from(now.duration_since(last.taken).as_millis()).unwrap_or(i64::MAX);
        let mut state = Attributes::new();
        // Three entries always fit.
        let _ = state.set("millicelsius", Value::Int(i64::from(last.millicelsius)));
        let _ = state.set("age_ms", Value::Int(age_ms));
        let _ = state.set(
            "period_ms",
            Value::Int(i64::try_from(REFRESH.as_millis()).unwrap_or(i64::MAX)),
        );
        state
    }

    // The front end refuses these before they get here (`Verbs::READ_ONLY`).
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
