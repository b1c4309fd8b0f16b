//! The blue user button B1 as a read-only noun: a noun of the board's own,
//! written against urest-core's `Resource` trait in a page.
//!
//! A task watches the pin and records each change; a GET reads the last
//! record and says how long ago it was made.

use core::cell::Cell;

use embassy_stm32::exti::ExtiInput;
use embassy_stm32::mode::Async;
use embassy_sync::blocking_mutex::Mutex;
use embassy_time::{Duration, Timer};
use urest_embassy::urest_core::attributes::{Access, AttributeSpec, Attributes, Kind, Value};
use urest_embassy::urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest_embassy::urest_core::time::{Clock, Instant};
use urest_embassy::{CriticalSectionRawMutex, EmbassyClock};

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "pressed",
        kind: Kind::Bool,
        access: Access::ReadOnly,
        doc: "whether the button is held down now",
    },
    AttributeSpec {
        key: "presses",
        kind: Kind::Int {
            min: 0,
            max: u32::MAX as i64,
        },
        access: Access::ReadOnly,
        doc: "how many times the button was pressed since the board started",
    },
    AttributeSpec {
        key: "age_ms",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "milliseconds since `pressed` last changed (since start if it never did)",
    },
];

/// Contacts bounce for a few milliseconds after an edge (B1 also has an RC
/// filter); the level read after this long is the one that counts.
const SETTLE: Duration = Duration::from_millis(20);

#[derive(Copy, Clone)]
struct Reading {
    pressed: bool,
    presses: u32,
    changed_at: Instant,
}

/// A push button, read by [`watch`] and served read-only.
pub struct UserButton {
    reading: Mutex<CriticalSectionRawMutex, Cell<Reading>>,
}

impl UserButton {
    /// Released, never pressed.
    pub const fn new() -> Self {
        UserButton {
            reading: Mutex::new(Cell::new(Reading {
                pressed: false,
                presses: 0,
                changed_at: Instant::ZERO,
            })),
        }
    }

    fn record(&self, pressed: bool, now: Instant) {
        self.reading.lock(|reading| {
            let last = reading.get();
            if last.pressed != pressed {
                reading.set(Reading {
                    pressed,
                    presses: last.presses.saturating_add(u32::from(pressed)),
                    changed_at: now,
                });
            }
        });
    }
}

impl Resource for UserButton {
    fn describe(&self) -> Description {
        Description {
            kind: "button",
            policy: None,
            attributes: SCHEMA,
            verbs: Verbs::READ_ONLY,
        }
    }

    fn get(&self, now: Instant) -> Attributes {
        let reading = self.reading.lock(Cell::get);
        let age = now.duration_since(reading.changed_at).as_millis();
        let mut state = Attributes::new();
        // Three keys, well within an `Attributes`' capacity.
        let _ = state.set("pressed", Value::Bool(reading.pressed));
        let _ = state.set("presses", Value::Int(i64::from(reading.presses)));
        let _ = state.set("age_ms", Value::Int(i64::try_from(age).unwrap_or(i64::MAX)));
        state
    }

    // `Verbs::READ_ONLY` keeps the server from calling these; they refuse
    // all the same.
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

/// Record every change of `input` (high while pressed) in `button`.
#[embassy_executor::task]
pub async fn watch(button: &'static UserButton, mut input: ExtiInput<'static, Async>) {
    loop {
        button.record(input.is_high(), EmbassyClock.now());
        input.wait_for_any_edge().await;
        Timer::after(SETTLE).await;
    }
}
