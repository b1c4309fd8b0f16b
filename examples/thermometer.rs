//! A sensor noun of your own, fed by a task: a thermometer that reads
//! `21.5`, with the reading's age.
//!
//! Verbs never wait, so the sensor (here a stand-in for an I2C part whose
//! read takes a while) is read by a task of its own that publishes each
//! reading; GET answers at once with the last one and `age_ms`.
//!
//! ```sh
//! cargo run --example thermometer
//! curl -s http://127.0.0.1:8083/room     # {"celsius":21.5,"age_ms":740}
//! curl -s -X OPTIONS http://127.0.0.1:8083/room
//! ```

mod common;

use core::time::Duration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use urest::core::decimal::Decimal;
use urest::core::nouns::SensorNoun;
use urest::core::time::Clock;
use urest::http::Noun;
use urest_host::HostClock;

// --- The noun: its state. ---
urest::core::state! {
    /// What the thermometer reports.
    struct Reading {
        /// the air temperature, in °C
        celsius: Decimal<1> [read_only],
    }
}
// --- End of the noun. ---

/// Stands in for an async I2C read of a temperature sensor, in tenths of
/// a degree Celsius.
async fn read_sensor(round: i64) -> i64 {
    tokio::time::sleep(Duration::from_millis(30)).await;
    210 + round % 10
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let room: SensorNoun<NoopRawMutex, Reading> = SensorNoun::new("thermometer");
    let nouns = [Noun::new("room", &room)];
    let clock = HostClock::new();
    // The refresh task: read, publish with the time it was taken, wait.
    let refresh = async {
        for round in 0.. {
            let decicelsius = read_sensor(round).await;
            room.publish(
                Reading {
                    celsius: Decimal(decicelsius),
                },
                clock.now(),
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    };
    let serving = common::serve_one_at_a_time("127.0.0.1:8083", &nouns, clock);
    tokio::select! {
        () = refresh => unreachable!("the refresh task runs for ever"),
        result = serving => result,
    }
}
