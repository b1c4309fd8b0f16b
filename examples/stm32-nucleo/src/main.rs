//! urest on a NUCLEO-F767ZI: the green user LED fades (`green_led0`), the
//! blue one switches (`led0`) and the blue user button reads (`button0`),
//! all over the board's Ethernet port with an address from DHCP.
//!
//! Build with `--features baseline` for the same board and network setup
//! without urest, to measure what urest adds.
#![no_std]
#![no_main]

#[cfg(not(feature = "baseline"))]
mod button;
mod network;

use defmt::{info, unwrap};
use embassy_executor::Spawner;
use embassy_stm32::exti::{self, ExtiInput};
use embassy_stm32::gpio::{Level, Output, OutputType, Pull, Speed};
use embassy_stm32::interrupt::typelevel::EXTI15_10;
use embassy_stm32::peripherals::RNG;
use embassy_stm32::rng::{self, Rng};
use embassy_stm32::time::{khz, mhz};
use embassy_stm32::timer::low_level::CountingMode;
use embassy_stm32::timer::simple_pwm::{PwmPin, SimplePwm};
use embassy_stm32::{bind_interrupts, eth};
use {defmt_rtt as _, panic_probe as _};

bind_interrupts!(struct Irqs {
    ETH => eth::InterruptHandler;
    RNG => rng::InterruptHandler<RNG>;
    EXTI15_10 => exti::InterruptHandler<EXTI15_10>;
});

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());

    let mac = urest_stm32::mac_address::of_this_chip();
    let [m0, m1, m2, m3, m4, m5] = mac;
    info!(
        "NUCLEO-F767ZI at 216 MHz, MAC {=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}:{=u8:02x}",
        m0, m1, m2, m3, m4, m5
    );
    // The RNG seeds the network stack, then makes lock tokens.
    let mut rng = Rng::new(p.RNG, Irqs);
    let random = rng.next_u64();
    let pins = network::EthernetPins {
        eth: p.ETH,
        sma: p.ETH_SMA,
        ref_clk: p.PA1,
        mdio: p.PA2,
        crs_dv: p.PA7,
        mdc: p.PC1,
        rxd0: p.PC4,
        rxd1: p.PC5,
        tx_en: p.PG11,
        txd0: p.PG13,
        txd1: p.PB13,
    };
    let stack = unwrap!(network::start(spawner, pins, Irqs, mac, random));

    // User LEDs and button (UM1974): LD1 green on PB0 (TIM3_CH3), LD2 blue
    // on PB7, both lit when driven high; B1 on PC13, high while pressed.
    let green_pin = PwmPin::new(p.PB0, OutputType::PushPull);
    let green_pwm = SimplePwm::new(
        p.TIM3,
        None,
        None,
        Some(green_pin),
        None,
        khz(1),
        CountingMode::EdgeAlignedUp,
    );
    let blue = Output::new(p.PB7, Level::Low, Speed::Low);
    let user_button = ExtiInput::new(p.PC13, p.EXTI13, Pull::None, Irqs);

    #[cfg(not(feature = "baseline"))]
    unwrap!(nouns::serve(
        spawner,
        stack,
        green_pwm,
        blue,
        user_button,
        rng
    ));
    #[cfg(feature = "baseline")]
    {
        let _unserved = (green_pwm, blue, user_button, stack, rng);
        core::future::pending::<()>().await;
    }
}

/// The urest part: the nouns, the task that fades the green LED, and the
/// HTTP connection slots.
#[cfg(not(feature = "baseline"))]
mod nouns {
    use defmt::{info, unwrap, warn};
    use embassy_executor::{SpawnError, Spawner};
    use embassy_net::Stack;
    use embassy_stm32::exti::ExtiInput;
    use embassy_stm32::gpio::Output;
    use embassy_stm32::mode::Async;
    use embassy_stm32::peripherals::{RNG, TIM3};
    use embassy_stm32::rng::Rng;
    use embassy_stm32::timer::simple_pwm::SimplePwm;
    use static_cell::StaticCell;
    use urest_embassy::urest_core::controller::RampConfig;
    use urest_embassy::urest_core::coord::CoordConfig;
    use urest_embassy::urest_http::{Config, Coordination, DefmtObserver, Noun};
    use urest_embassy::{CriticalSectionRawMutex, Service};
    use urest_stm32::{pin_led, timer_led, PinLed, Stm32Entropy, TimerLed};

    use crate::button::{self, UserButton};

    /// A fading LED with up to 8 changes waiting behind the running one.
    type GreenLed = TimerLed<'static, CriticalSectionRawMutex, TIM3, 8>;

    static GREEN_LED0: StaticCell<GreenLed> = StaticCell::new();
    static LED0: StaticCell<PinLed<'static, CriticalSectionRawMutex>> = StaticCell::new();
    static BUTTON0: UserButton = UserButton::new("button");
    /// How many nouns the board serves.
    const NOUNS_SERVED: usize = 3;
    static NOUNS: StaticCell<[Noun<'static>; NOUNS_SERVED]> = StaticCell::new();
    /// Client locks and idempotency keys for every noun, lock tokens from
    /// the RNG peripheral.
    static COORDINATION: StaticCell<Coordination<Stm32Entropy<'static, RNG>, NOUNS_SERVED>> =
        StaticCell::new();
    static SERVICE: StaticCell<Service<'static>> = StaticCell::new();

    urest_embassy::fade_task!(fade_green_led0, GreenLed);
    urest_embassy::http_tasks!(http, slots = 4);

    pub fn serve(
        spawner: Spawner,
        stack: Stack<'static>,
        green_pwm: SimplePwm<'static, TIM3>,
        blue: Output<'static>,
        user_button: ExtiInput<'static, Async>,
        rng: Rng<'static, RNG>,
    ) -> Result<(), SpawnError> {
        // A timer whose period does not fit a u16 duty is a build mistake.
        let green = unwrap!(timer_led(
            green_pwm.split().ch3,
            RampConfig::FIFO_TEN_SECOND_FADE
        ));
        let green = GREEN_LED0.init(green);
        let nouns = NOUNS.init([
            Noun::new("green_led0", green),
            Noun::new("led0", LED0.init(pin_led(blue))),
            Noun::new("button0", &BUTTON0),
        ]);
        // Changes need the token set when building with `UREST_TOKEN=...
        // cargo build`; unset, the board answers everyone (see
        // docs/security.md).
        let access = urest_embassy::access_from_build_env!("UREST_TOKEN");
        let service = Service::new(nouns, Config::default())
            .with_observer(&DefmtObserver)
            .with_optional_access(access);
        // Client locks need entropy for their tokens: if the RNG fails
        // urest's start-up check (a seed or clock error), serve without
        // locks (their routes then answer 501).
        let service = match Coordination::new(Stm32Entropy::new(rng), CoordConfig::default()) {
            Ok(coordination) => {
                info!("urest: client locks on, tokens from the RNG");
                // Sized for every noun above, so never refused.
                unwrap!(service.with_coordination(COORDINATION.init(coordination)))
            }
            Err(error) => {
                warn!("urest: client locks off: {}", error);
                service
            }
        };
        spawner.spawn(fade_green_led0(green)?);
        spawner.spawn(button::watch(&BUTTON0, user_button)?);
        http::spawn(spawner, SERVICE.init(service), stack)?;
        info!("urest: serving green_led0, led0 and button0 on port 80");
        Ok(())
    }
}

/// 216 MHz from the 8 MHz clock that the ST-LINK's MCO feeds into OSC_IN
/// (a clock signal, not a crystal: HSE bypass). 8 MHz / 4 × 216 = 432 MHz
/// VCO; ÷2 = 216 MHz system clock, ÷9 = 48 MHz for the RNG. APB1 runs at
/// 54 MHz and APB2 at 108 MHz (their maxima), so the timers on APB1 (TIM3
/// among them) count at 108 MHz.
fn clocks() -> embassy_stm32::Config {
    use embassy_stm32::rcc::{
        mux, AHBPrescaler, APBPrescaler, Hse, HseMode, Pll, PllMul, PllPDiv, PllPreDiv, PllQDiv,
        PllSource, Sysclk,
    };
    let mut config = embassy_stm32::Config::default();
    config.rcc.hse = Some(Hse {
        freq: mhz(8),
        mode: HseMode::Bypass,
    });
    config.rcc.pll_src = PllSource::HSE;
    config.rcc.pll = Some(Pll {
        prediv: PllPreDiv::DIV4,
        mul: PllMul::MUL216,
        divp: Some(PllPDiv::DIV2),
        divq: Some(PllQDiv::DIV9),
        divr: None,
    });
    config.rcc.sys = Sysclk::PLL1_P;
    config.rcc.ahb_pre = AHBPrescaler::DIV1;
    config.rcc.apb1_pre = APBPrescaler::DIV4;
    config.rcc.apb2_pre = APBPrescaler::DIV2;
    config.rcc.mux.clk48sel = mux::Clk48sel::PLL1_Q;
    config
}
