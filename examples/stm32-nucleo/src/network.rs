//! Ethernet on the NUCLEO-F767ZI: the on-board LAN8742A PHY over RMII, and
//! an embassy-net stack that takes its address by DHCP.

use defmt::{info, warn};
use embassy_executor::{SpawnError, Spawner};
use embassy_net::{DhcpConfig, Stack, StackResources};
use embassy_stm32::eth::{self, Ethernet, GenericPhy, PacketQueue, Sma};
use embassy_stm32::interrupt::typelevel::{Binding, ETH as EthInterrupt};
use embassy_stm32::peripherals::{ETH, ETH_SMA, PA1, PA2, PA7, PB13, PC1, PC4, PC5, PG11, PG13};
use embassy_stm32::Peri;
use static_cell::StaticCell;

/// The name the board gives the DHCP server, so routers list it by name.
pub const HOSTNAME: &str = "urest-nucleo";

/// Sockets the stack can hold: DHCP's, and one per TCP connection.
const SOCKETS: usize = 8;

/// The LAN8742A answers on SMI address 0 (its PHYAD0 strap on the board).
const PHY_ADDRESS: u8 = 0;

/// The Ethernet peripheral and the RMII pins the board wires to its PHY
/// (UM1974, the Nucleo-144 user manual, "Ethernet").
pub struct EthernetPins {
    pub eth: Peri<'static, ETH>,
    pub sma: Peri<'static, ETH_SMA>,
    pub ref_clk: Peri<'static, PA1>,
    pub mdio: Peri<'static, PA2>,
    pub crs_dv: Peri<'static, PA7>,
    pub mdc: Peri<'static, PC1>,
    pub rxd0: Peri<'static, PC4>,
    pub rxd1: Peri<'static, PC5>,
    pub tx_en: Peri<'static, PG11>,
    pub txd0: Peri<'static, PG13>,
    pub txd1: Peri<'static, PB13>,
}

type Device = Ethernet<'static, ETH, GenericPhy<Sma<'static, ETH_SMA>>>;

/// Bring up Ethernet with `mac`, start the stack's tasks (`random` from
/// the RNG makes its sequence numbers and ports unpredictable) and ask for an
/// address by DHCP. The stack is usable at once; it carries traffic once
/// the link is up and the lease is in, which the log reports.
pub fn start(
    spawner: Spawner,
    pins: EthernetPins,
    irq: impl Binding<EthInterrupt, eth::InterruptHandler> + 'static,
    mac: [u8; 6],
    random: u64,
) -> Result<Stack<'static>, SpawnError> {
    static PACKETS: StaticCell<PacketQueue<4, 4>> = StaticCell::new();
    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();

    let phy = GenericPhy::new(Sma::new(pins.sma, pins.mdio, pins.mdc), PHY_ADDRESS);
    let device: Device = Ethernet::new_with_phy(
        PACKETS.init(PacketQueue::new()),
        pins.eth,
        irq,
        pins.ref_clk,
        pins.crs_dv,
        pins.rxd0,
        pins.rxd1,
        pins.txd0,
        pins.txd1,
        pins.tx_en,
        mac,
        phy,
    );

    let mut dhcp = DhcpConfig::default();
    // HOSTNAME is shorter than any hostname limit, so this cannot fail.
    dhcp.hostname = HOSTNAME.try_into().ok();
    let config = embassy_net::Config::dhcpv4(dhcp);
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        random,
    );

    spawner.spawn(run_stack(runner)?);
    spawner.spawn(report_address(stack)?);
    Ok(stack)
}

#[embassy_executor::task]
async fn run_stack(mut runner: embassy_net::Runner<'static, Device>) -> ! {
    runner.run().await
}

/// Log every lease, so the board's address shows in the defmt log.
#[embassy_executor::task]
async fn report_address(stack: Stack<'static>) -> ! {
    loop {
        stack.wait_config_up().await;
        if let Some(config) = stack.config_v4() {
            info!(
                "DHCP lease: address {} (gateway {})",
                config.address.address(),
                config.gateway
            );
        }
        stack.wait_config_down().await;
        warn!("network down (link lost or lease ended); asking DHCP again");
    }
}
