//! The network over USB: the DK's nRF USB port becomes an Ethernet adapter
//! on the host (CDC-NCM), and embassy-net runs a fixed IPv4 address on it.

use defmt::info;
use embassy_executor::{SpawnError, Spawner};
use embassy_net::{Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_nrf::mode::Blocking;
use embassy_nrf::peripherals::USBD;
use embassy_nrf::rng::Rng;
use embassy_nrf::usb::vbus_detect::HardwareVbusDetect;
use embassy_nrf::usb::Driver;
use embassy_nrf::Peri;
use embassy_usb::class::cdc_ncm::embassy_net::{Device, Runner, State as NetState};
use embassy_usb::class::cdc_ncm::{CdcNcmClass, State as NcmState};
use embassy_usb::{Builder, UsbDevice};
use static_cell::StaticCell;

use crate::Irqs;

/// The board's address on the USB network. The host takes
/// [`HOST_ADDRESS`] on the same /24; see the README.
pub const ADDRESS: Ipv4Cidr = Ipv4Cidr::new(Ipv4Address::new(10, 42, 0, 61), 24);

/// The address the host gives its end of the USB network (not used by the
/// firmware, which answers whoever talks to it; named for the log).
pub const HOST_ADDRESS: Ipv4Address = Ipv4Address::new(10, 42, 0, 1);

/// Locally administered MAC addresses: `02`, "ures", then `d` for the
/// board and `h` for the host's end. The host's end is what the host's new
/// interface shows (`02:75:72:65:73:68`; Debian and Ubuntu name it
/// `enx027572657368` after it).
const DEVICE_MAC: [u8; 6] = [0x02, b'u', b'r', b'e', b's', b'd'];
const HOST_MAC: [u8; 6] = [0x02, b'u', b'r', b'e', b's', b'h'];

/// pid.codes' test VID/PID, for devices that never leave the lab.
const USB_VENDOR: u16 = 0x1209;
const USB_PRODUCT: u16 = 0x0001;

/// A full Ethernet frame, as CDC-NCM carries it.
const MTU: usize = 1514;
/// Frames buffered each way between USB and embassy-net.
const FRAMES: usize = 4;
/// Sockets embassy-net can hold: four HTTP slots and the turn-away
/// listener, and one to spare.
const SOCKETS: usize = 6;

type UsbDriver = Driver<'static, HardwareVbusDetect>;

/// Brings up USB and the network stack and spawns the tasks that run
/// them, its seed from `rng`. The stack has its address at once; the link
/// comes up when the host configures the USB device.
pub fn start(
    spawner: Spawner,
    usbd: Peri<'static, USBD>,
    rng: &mut Rng<'static, Blocking>,
) -> Result<Stack<'static>, SpawnError> {
    let driver = Driver::new(usbd, Irqs, HardwareVbusDetect::new(Irqs));

    let mut config = embassy_usb::Config::new(USB_VENDOR, USB_PRODUCT);
    config.manufacturer = Some("urest");
    config.product = Some("urest nRF52840-DK");
    config.serial_number = Some("nrf52840-dk");
    config.max_power = 100;
    config.max_packet_size_0 = 64;

    static CONFIG_DESCRIPTOR: StaticCell<[u8; 256]> = StaticCell::new();
    static BOS_DESCRIPTOR: StaticCell<[u8; 256]> = StaticCell::new();
    static CONTROL: StaticCell<[u8; 128]> = StaticCell::new();
    let mut builder = Builder::new(
        driver,
        config,
        CONFIG_DESCRIPTOR.init([0; 256]),
        BOS_DESCRIPTOR.init([0; 256]),
        &mut [], // no Microsoft OS descriptors
        CONTROL.init([0; 128]),
    );

    static NCM: StaticCell<NcmState> = StaticCell::new();
    let ncm = CdcNcmClass::new(&mut builder, NCM.init(NcmState::new()), HOST_MAC, 64);
    let usb = builder.build();

    static NET: StaticCell<NetState<MTU, FRAMES, FRAMES>> = StaticCell::new();
    let (ncm_runner, device) = ncm.into_embassy_net_device(NET.init(NetState::new()), DEVICE_MAC);

    let mut entropy = [0; 8];
    rng.blocking_fill_bytes(&mut entropy);
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: ADDRESS,
        gateway: None,
        dns_servers: Default::default(),
    });
    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
    let (stack, net_runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        u64::from_le_bytes(entropy),
    );

    spawner.spawn(run_usb(usb)?);
    spawner.spawn(run_ncm(ncm_runner)?);
    spawner.spawn(run_net(net_runner)?);
    info!(
        "USB network: board {}, host to take {}/24",
        ADDRESS.address(),
        HOST_ADDRESS
    );
    Ok(stack)
}

#[embassy_executor::task]
async fn run_usb(mut usb: UsbDevice<'static, UsbDriver>) -> ! {
    usb.run().await
}

#[embassy_executor::task]
async fn run_ncm(runner: Runner<'static, UsbDriver, MTU>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn run_net(mut runner: embassy_net::Runner<'static, Device<'static, MTU>>) -> ! {
    runner.run().await
}
