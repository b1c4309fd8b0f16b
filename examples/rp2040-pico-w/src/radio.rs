//! The Pico W's Wi-Fi: the CYW43439 radio on PIO SPI, embassy-net with DHCP,
//! and the on-board LED, which hangs off the radio chip.

use core::convert::Infallible;

use cyw43::{Control, JoinOptions, PowerManagementMode};
use cyw43_pio::{PioSpi, DEFAULT_CLOCK_DIVIDER};
use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_futures::select::{select, Either};
use embassy_net::{Config, DhcpConfig, Stack, StackResources};
use embassy_rp::clocks::RoscRng;
use embassy_rp::dma;
use embassy_rp::gpio::{Level, Output};
use embassy_rp::peripherals::{DMA_CH0, PIN_23, PIN_24, PIN_25, PIN_29, PIO0};
use embassy_rp::pio::{self, Pio};
use embassy_rp::{bind_interrupts, Peri};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Timer};
use embedded_hal::digital::{ErrorType, OutputPin};
use static_cell::StaticCell;

use crate::boot_error::BootError;

/// Sockets the stack can hold: DHCP, four HTTP slots and the turn-away.
const SOCKETS: usize = 6;
/// The name the Pico W gives the DHCP server; many routers list it.
const HOSTNAME: &str = "urest-pico-w";
/// How long to wait before trying to join again.
const REJOIN_DELAY: Duration = Duration::from_secs(5);

bind_interrupts!(struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
});

/// The radio's firmware, country table and board settings, built in by
/// `build.rs` from `CYW43_FIRMWARE_DIR`, or empty when that was not set.
struct RadioFiles {
    firmware: &'static cyw43::Aligned<cyw43::A4, [u8]>,
    country_table: &'static [u8],
    nvram: &'static cyw43::Aligned<cyw43::A4, [u8]>,
}

static RADIO_FILES: RadioFiles = RadioFiles {
    firmware: cyw43::aligned_bytes!(concat!(env!("OUT_DIR"), "/43439A0.bin")),
    country_table: include_bytes!(concat!(env!("OUT_DIR"), "/43439A0_clm.bin")),
    nvram: cyw43::aligned_bytes!(concat!(env!("OUT_DIR"), "/nvram_rp2040.bin")),
};

/// The network to join, fixed when the firmware is built.
#[derive(Copy, Clone)]
struct Credentials {
    ssid: &'static str,
    /// Empty for an open network.
    password: &'static str,
}

/// What the radio needs from the RP2040: the pins wired to the CYW43439 on
/// the Pico W (GP23 power, GP24 data, GP25 chip select, GP29 clock), one PIO
/// block for the radio's half-duplex SPI and a DMA channel to feed it.
pub struct RadioPins {
    pub power: Peri<'static, PIN_23>,
    pub data: Peri<'static, PIN_24>,
    pub chip_select: Peri<'static, PIN_25>,
    pub clock: Peri<'static, PIN_29>,
    pub pio: Peri<'static, PIO0>,
    pub dma: Peri<'static, DMA_CH0>,
}

/// Starts the radio and the network stack, and a task that joins the
/// network (again after every loss) and drives the on-board LED.
///
/// Returns at once with the stack; it gets its address from DHCP once joined,
/// and the task logs it.
pub async fn start(spawner: Spawner, pins: RadioPins) -> Result<Stack<'static>, BootError> {
    let credentials = credentials()?;
    if RADIO_FILES.firmware.is_empty()
        || RADIO_FILES.country_table.is_empty()
        || RADIO_FILES.nvram.is_empty()
    {
        return Err(BootError::NoRadioFirmware);
    }

    let power = Output::new(pins.power, Level::Low);
    let chip_select = Output::new(pins.chip_select, Level::High);
    let mut pio = Pio::new(pins.pio, Irqs);
    let spi = PioSpi::new(
        &mut pio.common,
        pio.sm0,
        DEFAULT_CLOCK_DIVIDER,
        pio.irq0,
        chip_select,
        pins.data,
        pins.clock,
        dma::Channel::new(pins.dma, Irqs),
    );

    static RADIO_STATE: StaticCell<cyw43::State> = StaticCell::new();
    let (device, mut control, radio) = cyw43::new(
        RADIO_STATE.init(cyw43::State::new()),
        power,
        spi,
        RADIO_FILES.firmware,
        RADIO_FILES.nvram,
    )
    .await;
    spawner.spawn(drive_radio(radio)?);
    control.init(RADIO_FILES.country_table).await;
    // A server should answer promptly: prefer responsiveness to the last
    // milliamps (cyw43's default is PowerSave, which naps longer).
    control
        .set_power_management(PowerManagementMode::Performance)
        .await;

    let mut dhcp = DhcpConfig::default();
    dhcp.hostname = heapless::String::try_from(HOSTNAME).ok();
    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
    let (stack, network) = embassy_net::new(
        device,
        Config::dhcpv4(dhcp),
        RESOURCES.init(StackResources::new()),
        random_seed(),
    );
    spawner.spawn(drive_network(network)?);
    spawner.spawn(stay_joined(control, stack, credentials)?);
    Ok(stack)
}

fn credentials() -> Result<Credentials, BootError> {
    let ssid = option_env!("WIFI_SSID")
        .filter(|ssid| !ssid.is_empty())
        .ok_or(BootError::NoSsid)?;
    let password = option_env!("WIFI_PASSWORD").ok_or(BootError::NoPassword)?;
    Ok(Credentials { ssid, password })
}

/// embassy-net randomises its TCP sequence numbers and ports from this.
fn random_seed() -> u64 {
    (0..8).fold(0, |seed, _| seed << 8 | u64::from(RoscRng::next_u8()))
}

type RadioBus = cyw43::SpiBus<Output<'static>, PioSpi<'static, PIO0, 0>>;

#[embassy_executor::task]
async fn drive_radio(radio: cyw43::Runner<'static, RadioBus>) -> ! {
    radio.run().await
}

#[embassy_executor::task]
async fn drive_network(mut network: embassy_net::Runner<'static, cyw43::NetDriver<'static>>) -> ! {
    network.run().await
}

/// The on-board LED's wanted state, from [`OnboardLed`] to the task that owns
/// the radio.
static ONBOARD_LED: Signal<CriticalSectionRawMutex, bool> = Signal::new();

/// The Pico W's on-board LED, on the radio chip's GPIO 0.
///
/// Setting it is a message to the radio, which only an async task can send:
/// this pin records the wanted state and returns at once, and
/// [`stay_joined`] applies it within a few milliseconds. Before the radio
/// runs (or in a firmware built without it) the LED stays dark.
#[cfg_attr(feature = "baseline", allow(dead_code))]
pub struct OnboardLed;

impl ErrorType for OnboardLed {
    type Error = Infallible;
}

impl OutputPin for OnboardLed {
    fn set_low(&mut self) -> Result<(), Infallible> {
        ONBOARD_LED.signal(false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        ONBOARD_LED.signal(true);
        Ok(())
    }
}

/// The radio chip's GPIO that lights the on-board LED.
const ONBOARD_LED_GPIO: u8 = 0;

/// Joins the network, logs the address DHCP gives, sets the on-board LED
/// when asked, and joins again whenever the link is lost.
#[embassy_executor::task]
async fn stay_joined(
    mut control: Control<'static>,
    stack: Stack<'static>,
    credentials: Credentials,
) -> ! {
    loop {
        join(&mut control, credentials).await;
        stack.wait_config_up().await;
        match stack.config_v4() {
            Some(config) => info!(
                "Wi-Fi: address {} (DHCP); try curl http://{}/",
                config.address,
                config.address.address()
            ),
            None => info!("Wi-Fi: up"),
        }
        while let Either::First(on) = select(ONBOARD_LED.wait(), stack.wait_link_down()).await {
            control.gpio_set(ONBOARD_LED_GPIO, on).await;
        }
        warn!("Wi-Fi: link to {} lost; joining again", credentials.ssid);
    }
}

async fn join(control: &mut Control<'static>, credentials: Credentials) {
    let options = if credentials.password.is_empty() {
        JoinOptions::new_open()
    } else {
        JoinOptions::new(credentials.password.as_bytes())
    };
    info!("Wi-Fi: joining {}", credentials.ssid);
    while let Err(failure) = control.join(credentials.ssid, options.clone()).await {
        warn!(
            "Wi-Fi: joining {} failed ({}); trying again in {} s",
            credentials.ssid,
            failure,
            REJOIN_DELAY.as_secs()
        );
        Timer::after(REJOIN_DELAY).await;
    }
}
