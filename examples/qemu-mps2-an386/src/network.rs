//! The board's network: its LAN9118 through `urest-qemu-net`, and an
//! embassy-net stack on a fixed address of QEMU's user-mode network.
//!
//! QEMU is started with `-nic user,model=lan9118,restrict=on,
//! net=192.0.2.0/24,hostfwd=tcp:127.0.0.1:PORT-:80`: the guest network is a
//! documentation range (RFC 5737), QEMU's router is `192.0.2.2`, the first
//! address it forwards to is `192.0.2.15`, and `restrict=on` keeps the
//! guest from reaching anything outside the QEMU process.

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use embassy_executor::{SpawnError, Spawner};
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use static_cell::StaticCell;
use urest_qemu_net::{InitError, Lan9118, Mmio, Wakeup, MPS2_AN386_BASE, MPS2_AN386_IRQ};

/// The board's address: where QEMU's `hostfwd` delivers by default.
pub const ADDRESS: Ipv4Address = Ipv4Address::new(192, 0, 2, 15);
/// QEMU's user-mode router.
const GATEWAY: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

/// TCP sockets: four HTTP slots and the turn-away task, and one spare.
const SOCKETS: usize = 6;

type Device = Lan9118<'static, Mmio>;

static WAKEUP: Wakeup = Wakeup::new();
// SAFETY: the MPS2 AN386 maps its LAN9118 at MPS2_AN386_BASE, and nothing
// but this handle (copied into the driver and the interrupt handler)
// touches those 256 bytes.
static NIC: Mmio = unsafe { Mmio::new(MPS2_AN386_BASE) };

/// The controller's NVIC line.
#[derive(Copy, Clone)]
struct EthernetInterrupt;

// SAFETY: MPS2_AN386_IRQ (13) is one of the AN386's 32 external
// interrupts, so it is a valid NVIC line number.
unsafe impl InterruptNumber for EthernetInterrupt {
    fn number(self) -> u16 {
        MPS2_AN386_IRQ
    }
}

/// Why the network did not come up.
pub enum NetworkError {
    /// The LAN9118 did not answer or start.
    Controller(InitError),
    /// The network task could not be spawned.
    Spawn(SpawnError),
}

impl core::fmt::Display for NetworkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NetworkError::Controller(why) => write!(f, "{why}"),
            NetworkError::Spawn(why) => write!(f, "the network task: {why:?}"),
        }
    }
}

/// Bring the controller up, start the network task, and hand back the
/// stack on [`ADDRESS`].
pub fn start(spawner: Spawner) -> Result<Stack<'static>, NetworkError> {
    static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();
    let driver = Lan9118::new(NIC, &WAKEUP).map_err(NetworkError::Controller)?;
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(ADDRESS, 24),
        gateway: Some(GATEWAY),
        dns_servers: heapless::Vec::new(),
    });
    // No entropy source on this machine: TCP's initial sequence numbers
    // only need to differ between boots, not to be secret, here.
    let seed = 0x7572_6573_7471_656d ^ embassy_time::Instant::now().as_ticks();
    let (stack, runner) =
        embassy_net::new(driver, config, RESOURCES.init(StackResources::new()), seed);
    spawner.spawn(run(runner).map_err(NetworkError::Spawn)?);
    // SAFETY: the handler only wakes a task and masks the controller; no
    // critical section of this program relies on line 13 being masked.
    unsafe { NVIC::unmask(EthernetInterrupt) };
    Ok(stack)
}

#[embassy_executor::task]
async fn run(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

/// Every external interrupt lands here (cortex-m-rt's table without a
/// device crate); the controller's is the only one enabled.
#[cortex_m_rt::exception]
unsafe fn DefaultHandler(irqn: i16) {
    if irqn == MPS2_AN386_IRQ as i16 {
        WAKEUP.on_interrupt(&NIC);
    } else {
        crate::console::line(format_args!("FAILED: unexpected interrupt {irqn}"));
        urest_qemu::exit(false);
    }
}
