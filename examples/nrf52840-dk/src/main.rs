//! urest on the nRF52840-DK, reached over USB Ethernet at 10.42.0.61.
//!
//! - `green_led0`: LED1 (P0.13) on PWM0, fading over 10 s, changes queued (Fifo).
//! - `led0`: LED2 (P0.14), on or off at once.
//! - `temperature0`: the die temperature, read-only, refreshed every second.
//!
//! With the `baseline` feature: the same board and USB network, no urest.
#![no_std]
#![no_main]

#[cfg(not(feature = "baseline"))]
mod die_temperature;
mod network;

use defmt::{info, unwrap};
use embassy_executor::Spawner;
use embassy_nrf::config::{Config as ChipConfig, HfclkSource};
use embassy_nrf::rng::Rng;
use embassy_nrf::{bind_interrupts, peripherals, temp, usb};
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    USBD => usb::InterruptHandler<peripherals::USBD>;
    CLOCK_POWER => usb::vbus_detect::InterruptHandler;
    TEMP => temp::InterruptHandler;
});

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let mut chip = ChipConfig::default();
    // USB needs the 32 MHz crystal: the internal RC oscillator is too coarse.
    chip.hfclk_source = HfclkSource::ExternalXtal;
    let p = embassy_nrf::init(chip);
    // The hardware RNG seeds the network stack, then makes lock tokens.
    let mut rng = Rng::new_blocking(p.RNG);
    let stack = unwrap!(network::start(spawner, p.USBD, &mut rng));

    #[cfg(not(feature = "baseline"))]
    nouns::serve(spawner, stack, p.PWM0, p.P0_13, p.P0_14, p.TEMP, rng).await;
    #[cfg(feature = "baseline")]
    let _ = rng;

    stack.wait_link_up().await;
    info!("USB network up: try http://{}/", network::ADDRESS.address());
}

#[cfg(not(feature = "baseline"))]
mod nouns {
    use defmt::{info, unwrap, warn};
    use embassy_executor::Spawner;
    use embassy_nrf::gpio::{Output, OutputDrive};
    use embassy_nrf::mode::Blocking;
    use embassy_nrf::peripherals::{P0_13, P0_14, PWM0, TEMP};
    use embassy_nrf::pwm::SimplePwm;
    use embassy_nrf::rng::Rng;
    use embassy_nrf::temp::Temp;
    use embassy_nrf::Peri;
    use static_cell::StaticCell;
    use urest_embassy::embassy_net::Stack;
    use urest_embassy::urest_core::controller::RampConfig;
    use urest_embassy::urest_core::coord::CoordConfig;
    use urest_embassy::urest_core::nouns::PwmLed;
    use urest_embassy::urest_http::{Config, Coordination, DefmtObserver, Noun};
    use urest_embassy::{CriticalSectionRawMutex as Cs, Service};
    use urest_nrf::{led_config, off_level, simple_led, Channel, NrfEntropy, NrfSimpleLed};
    use urest_nrf::{Polarity, PwmChannel, PwmTiming, SharedPwm};

    use crate::die_temperature::{self, DieTemperature};
    use crate::Irqs;

    /// The DK's LEDs light when their pin is low.
    const DK_LED: Polarity = Polarity::ActiveLow;

    type GreenLed = PwmLed<Cs, PwmChannel<'static, 'static, Cs>, 8>;
    type Led = NrfSimpleLed<'static, Cs>;

    urest_embassy::fade_task!(fade_green_led0, GreenLed);
    urest_embassy::http_tasks!(http, slots = 4);

    #[embassy_executor::task]
    async fn refresh_temperature0(noun: &'static DieTemperature, mut sensor: Temp<'static>) {
        die_temperature::refresh(noun, &mut sensor).await
    }

    static PWM0_LEDS: StaticCell<SharedPwm<'static, Cs>> = StaticCell::new();
    static GREEN_LED0: StaticCell<GreenLed> = StaticCell::new();
    static LED0: StaticCell<Led> = StaticCell::new();
    static TEMPERATURE0: StaticCell<DieTemperature> = StaticCell::new();
    /// How many nouns the board serves.
    const NOUNS_SERVED: usize = 3;
    static NOUNS: StaticCell<[Noun<'static>; NOUNS_SERVED]> = StaticCell::new();
    /// Client locks and idempotency keys for every noun, lock tokens from
    /// the hardware RNG.
    static COORDINATION: StaticCell<Coordination<NrfEntropy<'static, Blocking>, NOUNS_SERVED>> =
        StaticCell::new();
    static SERVICE: StaticCell<Service<'static>> = StaticCell::new();

    pub async fn serve(
        spawner: Spawner,
        stack: Stack<'static>,
        pwm0: Peri<'static, PWM0>,
        led1: Peri<'static, P0_13>,
        led2: Peri<'static, P0_14>,
        temp: Peri<'static, TEMP>,
        rng: Rng<'static, Blocking>,
    ) {
        // LED1 on PWM0 channel 0; the other three channels have no pin.
        let polarities = [DK_LED; 4];
        let pwm = SimplePwm::new_1ch(pwm0, led1, &led_config(PwmTiming::LED, polarities));
        let pwm = PWM0_LEDS.init(unwrap!(SharedPwm::new(pwm, polarities)));
        let green_led0 = GREEN_LED0.init(PwmLed::new(
            unwrap!(pwm.channel(Channel::Ch0)),
            RampConfig::FIFO_TEN_SECOND_FADE,
        ));
        let led2 = Output::new(led2, off_level(DK_LED), OutputDrive::Standard);
        let led0 = LED0.init(simple_led(led2, DK_LED));
        let mut sensor = Temp::new(temp, Irqs);
        let temperature0 = TEMPERATURE0.init(DieTemperature::new("die_temperature"));
        die_temperature::read_into(temperature0, &mut sensor).await;

        // urest: the noun table, the service, and its tasks.
        let nouns = NOUNS.init([
            Noun::new("green_led0", green_led0),
            Noun::new("led0", led0),
            Noun::new("temperature0", temperature0),
        ]);
        // Changes need the token set when building with `UREST_TOKEN=...
        // cargo build`; unset, the board answers everyone (see
        // docs/security.md).
        let access = urest_embassy::access_from_build_env!("UREST_TOKEN");
        let service = Service::new(nouns, Config::default())
            .with_observer(&DefmtObserver)
            .with_optional_access(access);
        // Client locks need entropy for their tokens: if the RNG fails
        // urest's start-up check, serve without locks (their routes then
        // answer 501).
        let service = match Coordination::new(NrfEntropy::new(rng), CoordConfig::default()) {
            Ok(coordination) => {
                info!("urest: client locks on, tokens from the hardware RNG");
                // Sized for every noun above, so never refused.
                unwrap!(service.with_coordination(COORDINATION.init(coordination)))
            }
            Err(error) => {
                warn!("urest: client locks off: {}", error);
                service
            }
        };
        let service = SERVICE.init(service);
        spawner.spawn(unwrap!(fade_green_led0(green_led0)));
        spawner.spawn(unwrap!(refresh_temperature0(temperature0, sensor)));
        unwrap!(http::spawn(spawner, service, stack));
    }
}
