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

use std::cell::RefCell;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embedded_hal::digital::{OutputPin, PinState};
use embedded_io_adapters::tokio_1::FromTokio;
use urest::core::attributes::{
    Access, AttributeError, AttributeSpec, Attributes, Kind, Problem, Value,
};
use urest::core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest::core::time::Instant;
use urest::http::{Buffers, Config, Noun, Server};
use urest_host::{HostClock, TokioDelay};
use urest_mock::{MockPin, PinLevel};

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "closed",
        kind: Kind::Bool,
        access: Access::ReadWrite,
        doc: "whether the contacts are closed",
    },
    AttributeSpec {
        key: "cycles",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "how many times the relay has closed",
    },
];

struct Coil<P> {
    pin: P,
    closed: bool,
    cycles: i64,
}

/// A relay on a digital output that counts how often it closed.
struct Relay<P: OutputPin> {
    coil: Mutex<NoopRawMutex, RefCell<Coil<P>>>,
}

impl<P: OutputPin> Relay<P> {
    fn new(pin: P) -> Self {
        Relay {
            coil: Mutex::new(RefCell::new(Coil {
                pin,
                closed: false,
                cycles: 0,
            })),
        }
    }

    fn switch(&self, closed: bool) -> Result<Outcome, Error> {
        self.coil.lock(|coil| {
            let mut coil = coil.borrow_mut();
            if coil.closed == closed {
                // Setting what is already set is no cycle: PUT stays idempotent.
                return Ok(Outcome::Done);
            }
            coil.pin
                .set_state(PinState::from(closed))
                .map_err(|_| Error::Hardware)?;
            coil.closed = closed;
            coil.cycles += i64::from(closed);
            Ok(Outcome::Done)
        })
    }
}

impl<P: OutputPin> Resource for Relay<P> {
    fn describe(&self) -> Description {
        Description {
            kind: "relay",
            policy: None,
            attributes: SCHEMA,
            verbs: Verbs::ALL,
        }
    }

    fn get(&self, _now: Instant) -> Attributes {
        self.coil.lock(|coil| {
            let coil = coil.borrow();
            let mut state = Attributes::new();
            let _ = state.set("closed", Value::Bool(coil.closed));
            let _ = state.set("cycles", Value::Int(coil.cycles));
            state
        })
    }

    fn put(&self, patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        let closed = patch
            .get("closed")
            .and_then(Value::as_bool)
            .ok_or_else(|| AttributeError::new("closed", Problem::Missing))?;
        self.switch(closed)
    }

    fn post(&self, patch: &Attributes, now: Instant) -> Result<Outcome, Error> {
        if patch.is_empty() {
            let closed = self.coil.lock(|coil| coil.borrow().closed);
            return self.switch(!closed);
        }
        self.put(patch, now)
    }

    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        self.switch(false)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let level = PinLevel::new();
    let relay = Relay::new(MockPin::new(&level));
    let nouns = [Noun {
        name: "relay",
        resource: &relay,
    }];
    let server = Server::new(&nouns, HostClock::new(), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
    println!("serving http://127.0.0.1:8081/relay");
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
}
