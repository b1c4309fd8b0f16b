//! `embedded_hal::pwm::SetDutyCycle` for the channels of an embassy-nrf `SimplePwm`.
//!
//! embassy-nrf's `SimplePwm` drives up to four channels through one method,
//! `set_duty(channel, DutyCycle)`, and implements no `embedded-hal` PWM trait.
//! [`SharedPwm`] holds the `SimplePwm` behind a blocking mutex and hands out
//! one [`PwmChannel`] per channel; each is an independent `SetDutyCycle`
//! (a `PwmLed` of its own), and the mutex keeps two channels from writing
//! the shared duty buffer at once.

use core::cell::RefCell;

use embassy_nrf::gpio::Level;
use embassy_nrf::pwm::{CounterMode, DutyCycle, Prescaler, SimpleConfig, SimplePwm};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embedded_hal::pwm::{ErrorType, SetDutyCycle};

use crate::{Channel, ChannelBank, DutyError, DutyMap, Polarity, PwmTiming, SetupError};

/// The pin level that keeps an LED wired with `polarity` dark: the level
/// to give `Output::new`, and a PWM channel's idle level.
///
/// ```
/// use embassy_nrf::gpio::Level;
/// use urest_nrf::{off_level, Polarity};
///
/// assert_eq!(off_level(Polarity::ActiveLow), Level::High);
/// ```
pub fn off_level(polarity: Polarity) -> Level {
    Level::from(polarity.pin_high_when(false))
}

/// A `SimpleConfig` for LEDs: up counting at `timing`, and each channel's
/// idle level (what the pin shows while the PWM is disabled) dark for the
/// LED wired with `polarities[n]`. Drive strength stays standard (the DK's
/// LEDs draw a few milliamps).
///
/// ```no_run
/// use embassy_nrf::pwm::SimplePwm;
/// use embassy_nrf::Peripherals;
/// use urest_nrf::{led_config, Polarity, PwmTiming};
///
/// fn leds(p: Peripherals) {
///     let config = led_config(PwmTiming::LED, [Polarity::ActiveLow; 4]);
///     let _pwm = SimplePwm::new_2ch(p.PWM0, p.P0_13, p.P0_14, &config);
/// }
/// ```
pub fn led_config(timing: PwmTiming, polarities: [Polarity; 4]) -> SimpleConfig {
    let [p0, p1, p2, p3] = polarities.map(off_level);
    let mut config = SimpleConfig::default();
    config.counter_mode = CounterMode::Up;
    config.prescaler = prescaler(timing.prescaler_shift());
    config.max_duty = timing.top();
    config.ch0_idle_level = p0;
    config.ch1_idle_level = p1;
    config.ch2_idle_level = p2;
    config.ch3_idle_level = p3;
    config
}

fn prescaler(shift: u8) -> Prescaler {
    match shift {
        0 => Prescaler::Div1,
        1 => Prescaler::Div2,
        2 => Prescaler::Div4,
        3 => Prescaler::Div8,
        4 => Prescaler::Div16,
        5 => Prescaler::Div32,
        6 => Prescaler::Div64,
        // PwmTiming never holds more than 7.
        _ => Prescaler::Div128,
    }
}

/// The HAL's view of a decoder word: bit 15 set is its "inverted" polarity.
fn duty_cycle(word: u16) -> DutyCycle {
    DutyCycle::normal(word).with_inverted(word & 0x8000 != 0)
}

struct Shared<'d> {
    pwm: SimplePwm<'d>,
    bank: ChannelBank,
}

/// One PWM instance (PWM0..PWM3) shared by up to four [`PwmChannel`]s.
///
/// Every LED is dark once `new` returns. The counter top (and so every
/// channel's `max_duty_cycle`) is read from the `SimplePwm`; build it with
/// [`led_config`] or keep its `max_duty` within
/// [`TOP_MIN`](crate::TOP_MIN)`..=`[`TOP_MAX`](crate::TOP_MAX), and do not
/// change the top afterwards (this type does not let you).
///
/// `M` is the lock between channels. A duty change holds it while
/// `SimplePwm::set_duty` waits for the peripheral to load the new value,
/// up to one PWM period (100 µs at [`PwmTiming::LED`]): with
/// `CriticalSectionRawMutex` interrupts wait that long, so keep the period
/// short; `NoopRawMutex` blocks nothing but makes the channels usable from
/// one executor only.
///
/// The `SimplePwm` keeps the duty words EasyDMA reads inside itself, and
/// EasyDMA reads only RAM: keep a `SharedPwm` in a `static`
/// (`static_cell::StaticCell`) or on the stack, which is where it lands
/// anyway.
///
/// ```no_run
/// use embassy_nrf::pwm::SimplePwm;
/// use embassy_nrf::Peripherals;
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use embedded_hal::pwm::SetDutyCycle;
/// use urest_nrf::{led_config, Channel, Polarity, PwmTiming, SetupError, SharedPwm};
///
/// fn two_leds(p: Peripherals) -> Result<(), SetupError> {
///     let polarities = [Polarity::ActiveLow; 4]; // DK LED1 and LED2
///     let config = led_config(PwmTiming::LED, polarities);
///     let pwm = SimplePwm::new_2ch(p.PWM0, p.P0_13, p.P0_14, &config);
///     let shared: SharedPwm<'_, CriticalSectionRawMutex> = SharedPwm::new(pwm, polarities)?;
///     let mut led1 = shared.channel(Channel::Ch0)?;
///     let mut led2 = shared.channel(Channel::Ch1)?;
///     let _ = led1.set_duty_cycle_percent(25);
///     let _ = led2.set_duty_cycle_fully_on();
///     Ok(())
/// }
/// ```
pub struct SharedPwm<'d, M: RawMutex> {
    shared: Mutex<M, RefCell<Shared<'d>>>,
    top: u16,
}

impl<'d, M: RawMutex> SharedPwm<'d, M> {
    /// Take `pwm`, whose channel `n` drives an LED wired with
    /// `polarities[n]`, and darken every LED. Refuses a counter top this
    /// crate cannot drive (then `pwm` is dropped, which disconnects its pins).
    ///
    /// ```no_run
    /// use embassy_nrf::pwm::SimplePwm;
    /// use embassy_nrf::Peripherals;
    /// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// use urest_nrf::{led_config, Polarity, PwmTiming, SetupError, SharedPwm};
    ///
    /// fn one_led(p: Peripherals) -> Result<(), SetupError> {
    ///     let polarities = [Polarity::ActiveHigh; 4];
    ///     let pwm = SimplePwm::new_1ch(p.PWM1, p.P1_01, &led_config(PwmTiming::LED, polarities));
    ///     let shared: SharedPwm<'_, NoopRawMutex> = SharedPwm::new(pwm, polarities)?;
    ///     assert_eq!(shared.max_duty(), 1_600);
    ///     Ok(())
    /// }
    /// ```
    pub fn new(mut pwm: SimplePwm<'d>, polarities: [Polarity; 4]) -> Result<Self, SetupError> {
        let top = pwm.max_duty();
        let bank = ChannelBank::new(top, polarities)?;
        pwm.set_all_duties(bank.dark_words().map(duty_cycle));
        Ok(SharedPwm {
            shared: Mutex::new(RefCell::new(Shared { pwm, bank })),
            top,
        })
    }

    /// The counter top: every channel's `max_duty_cycle`.
    ///
    /// ```no_run
    /// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// use urest_nrf::SharedPwm;
    ///
    /// fn resolution(shared: &SharedPwm<'_, NoopRawMutex>) -> u16 {
    ///     shared.max_duty()
    /// }
    /// ```
    pub fn max_duty(&self) -> u16 {
        self.top
    }

    /// The `SetDutyCycle` of `channel`. Each channel is handed out once; a
    /// second request is refused with [`SetupError::ChannelTaken`]. A
    /// channel whose pin was not given to `SimplePwm` can be driven but
    /// shows nowhere.
    ///
    /// ```no_run
    /// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// use urest_nrf::{Channel, SetupError, SharedPwm};
    ///
    /// fn twice(shared: &SharedPwm<'_, NoopRawMutex>) {
    ///     let _first = shared.channel(Channel::Ch0);
    ///     assert!(matches!(shared.channel(Channel::Ch0), Err(SetupError::ChannelTaken(_))));
    /// }
    /// ```
    pub fn channel(&self, channel: Channel) -> Result<PwmChannel<'_, 'd, M>, SetupError> {
        let map = self
            .shared
            .lock(|shared| shared.borrow_mut().bank.claim(channel))?;
        Ok(PwmChannel {
            owner: self,
            channel,
            map,
        })
    }

    fn write(&self, channel: Channel, word: u16) {
        self.shared.lock(|shared| {
            shared
                .borrow_mut()
                .pwm
                .set_duty(channel.index(), duty_cycle(word));
        });
    }
}

/// One channel of a [`SharedPwm`]: an `embedded_hal::pwm::SetDutyCycle`
/// whose duty cycle is how long the LED is lit, whatever its polarity.
///
/// `max_duty_cycle` is the PWM's counter top; a duty cycle above it is
/// refused with a [`DutyError`] and changes nothing.
///
/// ```no_run
/// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
/// use urest_core::controller::RampConfig;
/// use urest_core::nouns::PwmLed;
/// use urest_nrf::{Channel, PwmChannel, SetupError, SharedPwm};
///
/// type Led<'a> = PwmLed<CriticalSectionRawMutex, PwmChannel<'a, 'a, CriticalSectionRawMutex>, 8>;
///
/// fn fading<'a>(shared: &'a SharedPwm<'a, CriticalSectionRawMutex>) -> Result<Led<'a>, SetupError> {
///     Ok(PwmLed::new(shared.channel(Channel::Ch0)?, RampConfig::FIFO_TEN_SECOND_FADE))
/// }
/// ```
pub struct PwmChannel<'a, 'd, M: RawMutex> {
    owner: &'a SharedPwm<'d, M>,
    channel: Channel,
    map: DutyMap,
}

impl<M: RawMutex> PwmChannel<'_, '_, M> {
    /// Which channel this is.
    ///
    /// ```no_run
    /// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// use urest_nrf::{Channel, PwmChannel};
    ///
    /// fn is_first(channel: &PwmChannel<'_, '_, NoopRawMutex>) -> bool {
    ///     channel.channel() == Channel::Ch0
    /// }
    /// ```
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// How its LED is wired.
    ///
    /// ```no_run
    /// use embassy_sync::blocking_mutex::raw::NoopRawMutex;
    /// use urest_nrf::{Polarity, PwmChannel};
    ///
    /// fn active_low(channel: &PwmChannel<'_, '_, NoopRawMutex>) -> bool {
    ///     channel.polarity() == Polarity::ActiveLow
    /// }
    /// ```
    pub fn polarity(&self) -> Polarity {
        self.map.polarity()
    }
}

impl<M: RawMutex> ErrorType for PwmChannel<'_, '_, M> {
    type Error = DutyError;
}

impl<M: RawMutex> SetDutyCycle for PwmChannel<'_, '_, M> {
    fn max_duty_cycle(&self) -> u16 {
        self.map.max_duty()
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), DutyError> {
        let word = self.map.word(duty)?;
        self.owner.write(self.channel, word);
        Ok(())
    }
}
