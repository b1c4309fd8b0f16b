//! The blue user button B1 as a read-only noun: a noun of the board's own,
//! a typed state served by urest-core's `SensorNoun`.
//!
//! A task watches the pin and publishes each change; a GET shows the last
//! one and, as `age_ms`, how long ago it was made.

use embassy_stm32::exti::ExtiInput;
use embassy_stm32::mode::Async;
use embassy_time::{Duration, Timer};
use urest_embassy::urest_core::nouns::SensorNoun;
use urest_embassy::urest_core::time::Clock;
use urest_embassy::{CriticalSectionRawMutex, EmbassyClock};

urest_embassy::urest_core::state! {
    /// What the button reports (GET adds `age_ms`, the time since `pressed` last changed).
    pub struct ButtonState {
        /// whether the button is held down now
        pub pressed: bool [read_only],
        /// how many times the button was pressed since the board started
        pub presses: u32 [read_only],
    }
}

/// A push button, read by [`watch`] and served read-only.
pub type UserButton = SensorNoun<CriticalSectionRawMutex, ButtonState>;

/// Contacts bounce for a few milliseconds after an edge (B1 also has an RC
/// filter); the level read after this long is the one that counts.
const SETTLE: Duration = Duration::from_millis(20);

/// Publish every change of `input` (high while pressed) in `button`.
#[embassy_executor::task]
pub async fn watch(button: &'static UserButton, mut input: ExtiInput<'static, Async>) {
    loop {
        let pressed = input.is_high();
        let last = button.latest().map(|(state, _)| state);
        if last.as_ref().map(|state| state.pressed) != Some(pressed) {
            let presses = last.map_or(0, |state| state.presses);
            let presses = presses.saturating_add(u32::from(pressed));
            button.publish(ButtonState { pressed, presses }, EmbassyClock.now());
        }
        input.wait_for_any_edge().await;
        Timer::after(SETTLE).await;
    }
}
