//! A noun of this board's own: the RP2040's die temperature, read-only.
//!
//! A task reads the sensor every few seconds and publishes the reading; GET
//! shows the last one and how old it is, so a client can tell a fresh value
//! from a stale one. Reading the ADC takes time, so the noun never reads it
//! while answering. Until the first reading, GET shows no attributes.

use embassy_rp::adc::{self, Adc};
use embassy_time::{Duration, Timer};
use urest_embassy::urest_core::decimal::Decimal;
use urest_embassy::urest_core::nouns::SensorNoun;
use urest_embassy::urest_core::time::Clock;
use urest_embassy::{CriticalSectionRawMutex, EmbassyClock};
use urest_rp::temperature::{millicelsius, PICO_ADC_REFERENCE_MICROVOLTS};

/// How often the sensor is read.
const REFRESH_PERIOD: Duration = Duration::from_secs(2);

urest_embassy::urest_core::state! {
    /// What the sensor reports (GET adds `age_ms`).
    pub struct ChipReading {
        /// the die temperature at the last reading, in °C (the sensor is good to a few degrees)
        pub celsius: Decimal<1> [read_only],
    }
}

/// The on-chip temperature sensor as a noun.
pub type ChipTemperature = SensorNoun<CriticalSectionRawMutex, ChipReading>;

/// Reads the sensor into `noun` every [`REFRESH_PERIOD`], for ever.
#[embassy_executor::task]
pub async fn refresh(
    mut adc: Adc<'static, adc::Async>,
    mut sensor: adc::Channel<'static>,
    noun: &'static ChipTemperature,
) -> ! {
    loop {
        match adc.read(&mut sensor).await {
            Ok(raw) => {
                let tenths = millicelsius(raw, PICO_ADC_REFERENCE_MICROVOLTS) / 100;
                let reading = ChipReading {
                    celsius: Decimal(i64::from(tenths)),
                };
                noun.publish(reading, EmbassyClock.now());
            }
            Err(error) => defmt::warn!("chip_temperature: ADC read failed: {}", error),
        }
        Timer::after(REFRESH_PERIOD).await;
    }
}
