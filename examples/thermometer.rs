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

use core::time::Duration;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_io_adapters::tokio_1::FromTokio;
use urest::core::decimal::Decimal;
use urest::core::nouns::SensorNoun;
use urest::core::time::Clock;
use urest::http::{Buffers, Config, Noun, Server};
use urest_host::{HostClock, TokioDelay};

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
    let nouns = [Noun {
        name: "room",
        resource: &room,
    }];
    let clock = HostClock::new();
    let server = Server::new(&nouns, clock, Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8083").await?;
    println!("serving http://127.0.0.1:8083/room");
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
    let serving = async {
        let (mut request, mut response) = ([0u8; 1024], [0u8; 1024]);
        loop {
            let (stream, peer) = listener.accept().await?;
            let mut connection = FromTokio::new(stream);
            let mut buffers = Buffers::new(&mut request, &mut response);
            let served: Result<(), _> = server
                .serve(&mut connection, &mut TokioDelay, &mut buffers)
                .await;
            if let Err(error) = served {
                println!("{peer}: {error:?}");
            }
        }
    };
    tokio::select! {
        () = refresh => unreachable!("the refresh task runs for ever"),
        result = serving => result,
    }
}
