//! urest on a Raspberry Pi Pico W, over its Wi-Fi.
//!
//! Serves on port 80:
//! - `green_led0`: an LED on GP15 (GP15 → 330 Ω → LED → GND) that fades on
//!   and off over ten seconds, changes queued in order (Fifo);
//! - `led0`: the on-board LED, switched at once;
//! - `chip_temperature`: the RP2040's die temperature, read-only.
//!
//! Build with `WIFI_SSID`, `WIFI_PASSWORD` and `CYW43_FIRMWARE_DIR` set; see
//! README.md.
#![no_std]
#![no_main]

mod boot_error;
#[cfg(not(feature = "baseline"))]
mod chip_temperature;
mod radio;

use defmt::info;
use embassy_executor::Spawner;
use embassy_time::Timer;
use {defmt_rtt as _, panic_probe as _};

use boot_error::BootError;
use radio::RadioPins;

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    if let Err(error) = start(spawner).await {
        loop {
            // Repeated, so a probe attached after boot still sees why.
            error.explain();
            Timer::after_secs(10).await;
        }
    }
}

async fn start(spawner: Spawner) -> Result<(), BootError> {
    let p = embassy_rp::init(Default::default());
    info!("urest on a Pico W: starting");
    let radio = RadioPins {
        power: p.PIN_23,
        data: p.PIN_24,
        chip_select: p.PIN_25,
        clock: p.PIN_29,
        pio: p.PIO0,
        dma: p.DMA_CH0,
    };
    let stack = radio::start(spawner, radio).await?;

    #[cfg(not(feature = "baseline"))]
    nouns::serve(
        spawner,
        stack,
        nouns::Board {
            green_led0_slice: p.PWM_SLICE7,
            green_led0_pin: p.PIN_15,
            adc: p.ADC,
            temperature_sensor: p.ADC_TEMP_SENSOR,
        },
    )?;
    #[cfg(feature = "baseline")]
    let _ = stack;
    Ok(())
}

/// The nouns this board serves, and the urest glue.
#[cfg(not(feature = "baseline"))]
mod nouns {
    use embassy_executor::Spawner;
    use embassy_net::Stack;
    use embassy_rp::adc::{self, Adc};
    use embassy_rp::peripherals::{ADC, ADC_TEMP_SENSOR, PIN_15, PWM_SLICE7};
    use embassy_rp::{bind_interrupts, Peri};
    use static_cell::StaticCell;
    use urest_embassy::urest_core::controller::RampConfig;
    use urest_embassy::urest_core::coord::CoordConfig;
    use urest_embassy::urest_core::nouns::{PwmLed, SimpleLed};
    use urest_embassy::urest_http::{Config, Coordination, DefmtObserver, Noun};
    use urest_embassy::{CriticalSectionRawMutex, Service};
    use urest_rp::{LedPwm, RoscEntropy, DEFAULT_LED_FREQUENCY_HZ};

    use crate::boot_error::BootError;
    use crate::chip_temperature::{self, ChipTemperature};
    use crate::radio::OnboardLed;

    type GreenLed = PwmLed<CriticalSectionRawMutex, LedPwm<'static>, 8>;
    type Led = SimpleLed<CriticalSectionRawMutex, OnboardLed>;

    urest_embassy::fade_task!(fade_green_led0, GreenLed);
    urest_embassy::http_tasks!(http, slots = 4);

    static GREEN_LED0: StaticCell<GreenLed> = StaticCell::new();
    static LED0: StaticCell<Led> = StaticCell::new();
    static CHIP_TEMPERATURE: ChipTemperature = ChipTemperature::new("temperature");
    /// How many nouns the board serves.
    const NOUNS_SERVED: usize = 3;
    static NOUNS: StaticCell<[Noun<'static>; NOUNS_SERVED]> = StaticCell::new();
    /// Client locks and idempotency keys for every noun, lock tokens from
    /// the ring oscillator (the RP2040 has no TRNG: see `RoscEntropy`).
    static COORDINATION: StaticCell<Coordination<RoscEntropy, NOUNS_SERVED>> = StaticCell::new();
    static SERVICE: StaticCell<Service<'static>> = StaticCell::new();

    bind_interrupts!(struct Irqs {
        ADC_IRQ_FIFO => adc::InterruptHandler;
    });

    /// The peripherals the nouns use.
    pub struct Board {
        pub green_led0_slice: Peri<'static, PWM_SLICE7>,
        pub green_led0_pin: Peri<'static, PIN_15>,
        pub adc: Peri<'static, ADC>,
        pub temperature_sensor: Peri<'static, ADC_TEMP_SENSOR>,
    }

    /// Declares the nouns and serves them on `stack`.
    pub fn serve(spawner: Spawner, stack: Stack<'static>, board: Board) -> Result<(), BootError> {
        let pwm = LedPwm::on_channel_b(
            board.green_led0_slice,
            board.green_led0_pin,
            DEFAULT_LED_FREQUENCY_HZ,
        )?;
        let green_led0 = GREEN_LED0.init(PwmLed::new(pwm, RampConfig::FIFO_TEN_SECOND_FADE));
        let led0 = LED0.init(urest_rp::simple_led(OnboardLed));
        let adc = Adc::new(board.adc, Irqs, adc::Config::default());
        let sensor = adc::Channel::new_temp_sensor(board.temperature_sensor);

        let nouns = NOUNS.init([
            Noun::new("green_led0", green_led0),
            Noun::new("led0", led0),
            Noun::new("chip_temperature", &CHIP_TEMPERATURE),
        ]);
        let service = Service::new(nouns, Config::default()).with_observer(&DefmtObserver);
        // Changes need the token set when building with `UREST_TOKEN=...
        // cargo build`; unset, the board answers everyone (see
        // docs/security.md).
        let access = urest_embassy::access_from_build_env!("UREST_TOKEN");
        let service = service.with_optional_access(access);
        // Client locks need entropy for their tokens: without it (the ROSC
        // stopped), serve without locks; their routes then answer 501.
        let service = match Coordination::new(RoscEntropy::new(), CoordConfig::default()) {
            Ok(coordination) => {
                defmt::info!("urest: client locks on, tokens from the ring oscillator");
                service.with_coordination(COORDINATION.init(coordination))?
            }
            Err(error) => {
                defmt::warn!("urest: client locks off: {}", error);
                service
            }
        };
        let service = SERVICE.init(service);
        spawner.spawn(fade_green_led0(green_led0)?);
        spawner.spawn(chip_temperature::refresh(adc, sensor, &CHIP_TEMPERATURE)?);
        http::spawn(spawner, service, stack)?;
        defmt::info!("urest: serving green_led0, led0 and chip_temperature on port 80");
        Ok(())
    }
}
