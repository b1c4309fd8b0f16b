//! Arbitrary request bodies through `Attributes::decode`, against the schema
//! of a real noun, and the verb that takes the patch.
//!
//! The first input byte picks the noun (a PWM LED, a simple LED, or a
//! device whose state has every kind of attribute: integers, a boolean, a
//! string and decimals), the verb (PUT or POST) and the scratch size for
//! unescaping strings. The rest is the body. Decoding must not panic; a
//! patch it accepts must survive encoding and decoding again unchanged; the
//! noun must take it or refuse it with an error that formats; and its state
//! must still encode.
#![no_main]

use core::fmt::Write as _;

use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use libfuzzer_sys::fuzz_target;
use urest_core::attributes::Attributes;
use urest_core::controller::RampConfig;
use urest_core::decimal::Decimal;
use urest_core::nouns::{Device, DeviceNoun, PwmLed, SimpleLed};
use urest_core::resource::{Error, Resource};
use urest_core::time::Instant;
use urest_mock::{MockPin, MockPwm, PinLevel, Recorder, VirtualClock};

urest_core::state! {
    /// A made-up device with one attribute of each kind.
    pub struct Panel {
        /// a small integer
        pub level: u8 [range 0..=100],
        /// a wide signed integer
        pub offset: i64,
        /// a switch
        pub enabled: bool,
        /// a short label
        pub label: heapless::String<8>,
        /// a temperature in tenths
        pub setpoint: Decimal<1> [range 5.0..=30.0],
        /// a fine decimal with no narrower range
        pub gain: Decimal<3>,
        /// a read-only counter
        pub changes: u32 [read_only],
    }
}

struct PanelDevice;

impl Device for PanelDevice {
    type State = Panel;
    const KIND: &'static str = "panel";

    fn change(&mut self, _from: &Panel, to: &mut Panel) -> Result<(), Error> {
        to.changes = to.changes.wrapping_add(1);
        Ok(())
    }

    fn toggle(state: &mut Panel) {
        state.enabled = !state.enabled;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, body)) = data.split_first() else {
        return;
    };
    let clock = VirtualClock::new();
    let recorder: Recorder<&VirtualClock, 16> = Recorder::new(&clock);
    let pwm: PwmLed<NoopRawMutex, _, 2> = PwmLed::new(
        MockPwm::new(&recorder, 1_000),
        RampConfig::FIFO_TEN_SECOND_FADE,
    );
    let level = PinLevel::new();
    let led: SimpleLed<NoopRawMutex, _> =
        SimpleLed::new(MockPin::new(&level)).expect("the mock pin works");
    let panel: DeviceNoun<NoopRawMutex, _> = DeviceNoun::new(PanelDevice, Panel::default());

    // Bits 0-1: the noun; bit 2: PUT or POST; bits 3-7: scratch bytes, up
    // to urest-http's 64.
    let noun: &dyn Resource = match shape & 3 {
        0 => &pwm,
        1 => &led,
        _ => &panel,
    };
    let put = shape & 4 == 0;
    let mut scratch = [0u8; 64];
    let scratch = &mut scratch[..usize::from(shape >> 3) * 2 + 2];
    let schema = noun.describe().attributes;

    let mut text = String::new();
    let patch = match Attributes::decode(body, schema, scratch) {
        Ok(patch) => patch,
        Err(error) => {
            write!(text, "{error}").expect("an error formats");
            assert!(!text.is_empty());
            return;
        }
    };

    // Round trip: what was accepted encodes, and decodes to the same patch.
    let mut encoded = [0u8; 1024];
    let len = patch
        .encode(&mut encoded)
        .expect("an accepted patch encodes");
    let again = Attributes::decode(&encoded[..len], schema, &mut [0u8; 64]);
    assert_eq!(
        again.as_ref(),
        Ok(&patch),
        "{:?} decoded to {patch:?}, which encodes as {:?}",
        String::from_utf8_lossy(body),
        String::from_utf8_lossy(&encoded[..len])
    );

    let outcome = if put {
        noun.put(&patch, Instant::ZERO)
    } else {
        noun.post(&patch, Instant::ZERO)
    };
    if let Err(error) = outcome {
        write!(text, "{error}").expect("an error formats");
        assert!(!text.is_empty());
    }
    let state = noun.get(Instant::ZERO);
    state.encode(&mut encoded).expect("a state encodes");
});
