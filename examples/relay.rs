//! A noun of your own, served over HTTP from your own tokio program.
//!
//! A relay that counts its switching cycles (relays wear out): `closed` is a
//! boolean clients set, `cycles` a read-only counter, `DELETE` opens it. The
//! same `urest-http` server that runs on a board serves it here over a tokio
//! `TcpStream`, one connection at a time.
//!
//! ```sh
//! cargo run --example relay
//! curl -s -X PUT -H 'Content-Type: application/json' -d '{"closed": true}' http://127.0.0.1:8081/relay
//! curl -s http://127.0.0.1:8081/relay          # {"closed":true,"cycles":1}
//! curl -s -X PUT -H 'Content-Type: application/json' -d '{"closed": 1}' http://127.0.0.1:8081/relay
//! # 422: attribute "closed" must be boolean
//! ```

mod common;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal::digital::{OutputPin, PinState};
use urest::core::nouns::{Device, DeviceNoun};
use urest::core::resource::Error;
use urest::http::Noun;
use urest_host::HostClock;
use urest_mock::{MockPin, PinLevel};

// --- The noun: its state, and what a change does to the hardware. ---
urest::core::state! {
    /// What a relay reports.
    struct RelayState {
        /// whether the contacts are closed
        closed: bool,
        /// how many times the relay has closed
        cycles: u32 [read_only],
    }
}

/// A relay on a digital output that counts how often it closed.
struct Relay<P>(P);

impl<P: OutputPin> Device for Relay<P> {
    type State = RelayState;
    const KIND: &'static str = "relay";

    fn change(&mut self, from: &RelayState, to: &mut RelayState) -> Result<(), Error> {
        // Setting what is already set is no cycle: PUT stays idempotent.
        if to.closed != from.closed {
            let level = PinState::from(to.closed);
            self.0.set_state(level).map_err(|_| Error::Hardware)?;
            to.cycles = to.cycles.saturating_add(u32::from(to.closed));
        }
        Ok(())
    }

    fn toggle(state: &mut RelayState) {
        state.closed = !state.closed;
    }
}
// --- End of the noun. ---

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let level = PinLevel::new();
    let relay: DeviceNoun<NoopRawMutex, _> =
        DeviceNoun::new(Relay(MockPin::new(&level)), RelayState::default());
    let nouns = [Noun::new("relay", &relay)];
    common::serve_one_at_a_time("127.0.0.1:8081", &nouns, HostClock::new()).await
}
