//! A noun of the board's own: the nRF52840's on-chip temperature sensor,
//! read-only, refreshed by a task of its own.
//!
//! The sensor measures the die, not the room: expect a few degrees above
//! ambient while the radio or USB works. Resolution 0.25 °C.

use embassy_nrf::temp::Temp;
use embassy_time::{Duration, Ticker};
use urest_embassy::urest_core::decimal::Decimal;
use urest_embassy::urest_core::nouns::SensorNoun;
use urest_embassy::urest_core::time::Clock;
use urest_embassy::{CriticalSectionRawMutex, EmbassyClock};

/// How often the task reads the sensor (one reading takes about 36 µs).
const REFRESH: Duration = Duration::from_secs(1);

urest_embassy::urest_core::state! {
    /// What the sensor reports (GET adds `age_ms`).
    pub struct DieReading {
        /// the die temperature at the last reading, in °C
        pub celsius: Decimal<2> [read_only],
        /// how often the sensor is read, in milliseconds
        pub period_ms: u32 [read_only],
    }
}

/// The on-chip temperature sensor as a noun.
pub type DieTemperature = SensorNoun<CriticalSectionRawMutex, DieReading>;

/// Reads the sensor into `noun` once.
pub async fn read_into(noun: &DieTemperature, sensor: &mut Temp<'_>) {
    // The sensor counts quarter degrees: 25 hundredths each.
    let quarters = sensor.read().await.to_bits();
    let reading = DieReading {
        celsius: Decimal(i64::from(quarters) * 25),
        period_ms: REFRESH.as_millis().try_into().unwrap_or(u32::MAX),
    };
    noun.publish(reading, EmbassyClock.now());
}

/// Reads the sensor into `noun` every [`REFRESH`], for ever.
pub async fn refresh(noun: &DieTemperature, sensor: &mut Temp<'_>) -> ! {
    let mut ticker = Ticker::every(REFRESH);
    loop {
        ticker.next().await;
        read_into(noun, sensor).await;
    }
}
