//! The LAN9118's register map, and the one place that touches it.
//!
//! The controller sits on a 32-bit memory bus: every register is one aligned
//! word, and the data FIFOs are ports that pop or push a word per access.
//! [`Registers`] is the whole of the driver's access to it, so the driver
//! runs on the host against a model of the chip, and [`Mmio`] is the real
//! thing.

/// A system control and status register of the LAN9118, by its byte offset
/// from the controller's base address.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Register {
    /// Receive data FIFO port: each read pops one word of the frame at the
    /// head.
    RxData = 0x00,
    /// Transmit data FIFO port: each write pushes one command or data word.
    TxData = 0x20,
    /// Receive status FIFO port: each read pops the status of the next frame.
    RxStatus = 0x40,
    /// Chip identification and revision.
    IdRev = 0x50,
    /// Interrupt pin configuration: enable, polarity, buffer type.
    IrqCfg = 0x54,
    /// Interrupt status; writing 1 to a bit clears it.
    IntSts = 0x58,
    /// Interrupt enable, one bit per source of [`Register::IntSts`].
    IntEn = 0x5c,
    /// Reads `0x8765_4321` when the bus works.
    ByteTest = 0x64,
    /// FIFO levels at which the FIFO interrupts fire.
    FifoInt = 0x68,
    /// Receive configuration: end alignment and data offset.
    RxCfg = 0x6c,
    /// Transmit configuration: transmitter on, status overrun allowed.
    TxCfg = 0x70,
    /// Hardware configuration; bit 0 starts a soft reset.
    HwCfg = 0x74,
    /// Receive FIFO fill: frames waiting and data bytes used.
    RxFifoInf = 0x7c,
    /// Transmit FIFO fill: statuses waiting and data bytes free.
    TxFifoInf = 0x80,
    /// Power management; bit 0 says the device is ready after reset.
    PmtCtrl = 0x84,
    /// Command port to the MAC's own registers.
    MacCsrCmd = 0xa4,
    /// Data port to the MAC's own registers.
    MacCsrData = 0xa8,
}

impl Register {
    /// The register's byte offset from the controller's base address.
    pub const fn offset(self) -> usize {
        self as usize
    }
}

/// What [`Register::ByteTest`] reads on a working bus in either byte order.
pub const BYTE_TEST_PATTERN: u32 = 0x8765_4321;

/// Bits of [`Register::IrqCfg`].
pub mod irq_cfg {
    /// The interrupt pin is enabled.
    pub const ENABLE: u32 = 1 << 8;
    /// The pin is active high.
    pub const ACTIVE_HIGH: u32 = 1 << 4;
    /// The pin is driven push-pull (not open drain).
    pub const PUSH_PULL: u32 = 1 << 0;
}

/// Bits of [`Register::IntSts`] and [`Register::IntEn`].
pub mod int {
    /// The PHY raised an interrupt (link change, here).
    pub const PHY: u32 = 1 << 18;
    /// More frame statuses wait than the receive status level.
    pub const RX_STATUS_LEVEL: u32 = 1 << 3;
    /// Every source at once, for clearing.
    pub const ALL: u32 = u32::MAX;
}

/// Bits of [`Register::TxCfg`].
pub mod tx_cfg {
    /// The transmitter is on.
    pub const TX_ON: u32 = 1 << 1;
    /// Transmission goes on when the transmit status FIFO is full, so the
    /// statuses need not be read.
    pub const STATUS_OVERRUN_ALLOWED: u32 = 1 << 2;
}

/// Bits of [`Register::HwCfg`].
pub mod hw_cfg {
    /// Soft reset: set to start, reads 1 until the reset is over.
    pub const SOFT_RESET: u32 = 1 << 0;
}

/// Bits of [`Register::PmtCtrl`].
pub mod pmt_ctrl {
    /// The device is ready to be accessed.
    pub const READY: u32 = 1 << 0;
}

/// Bits of [`Register::MacCsrCmd`].
pub mod mac_csr {
    /// Set to start an access; reads 1 until it is over.
    pub const BUSY: u32 = 1 << 31;
    /// The access reads (else it writes).
    pub const READ: u32 = 1 << 30;
}

/// Registers of the MAC, reached through [`Register::MacCsrCmd`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum MacRegister {
    /// MAC control: transmitter, receiver, duplex, address filtering.
    Control = 1,
    /// The upper two bytes of the station address.
    AddressHigh = 2,
    /// The lower four bytes of the station address.
    AddressLow = 3,
    /// PHY access command.
    MiiAccess = 6,
    /// PHY access data.
    MiiData = 7,
}

/// Bits of [`MacRegister::Control`].
pub mod mac_cr {
    /// Full duplex.
    pub const FULL_DUPLEX: u32 = 1 << 20;
    /// The transmitter is on.
    pub const TX_ENABLE: u32 = 1 << 3;
    /// The receiver is on.
    pub const RX_ENABLE: u32 = 1 << 2;
}

/// Bits of [`MacRegister::MiiAccess`].
pub mod mii_acc {
    /// Set to start an access; reads 1 until it is over.
    pub const BUSY: u32 = 1 << 0;
    /// The access writes (else it reads).
    pub const WRITE: u32 = 1 << 1;
}

/// Registers of the internal PHY (address 1), reached through
/// [`MacRegister::MiiAccess`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum PhyRegister {
    /// Basic status: bit 2 is the link.
    BasicStatus = 1,
    /// Interrupt source: reading it clears it.
    InterruptSource = 29,
    /// Interrupt mask.
    InterruptMask = 30,
}

/// The link bit of [`PhyRegister::BasicStatus`].
pub const PHY_LINK_UP: u32 = 1 << 2;

/// The PHY interrupts the driver asks for: link down, auto-negotiation
/// complete, energy detected.
pub const PHY_LINK_EVENTS: u32 = (1 << 4) | (1 << 6) | (1 << 7);

/// Word access to a LAN9118's registers.
///
/// Both methods take `&self`: a register access has effects (popping a
/// FIFO) that are the chip's, not the handle's. An interrupt handler may
/// hold a second handle to the same chip; the driver only ever has it write
/// [`Register::IntEn`].
pub trait Registers {
    /// Read one register (popping a word from a FIFO port).
    fn read(&self, register: Register) -> u32;
    /// Write one register (pushing a word to a FIFO port).
    fn write(&self, register: Register, value: u32);
}

/// The base address of the controller of QEMU's `mps2-an385` and
/// `mps2-an386` machines (and of the real MPS2 boards with those FPGA
/// images): a LAN9118-compatible LAN9220.
pub const MPS2_AN386_BASE: usize = 0x4020_0000;

/// The NVIC interrupt line (external interrupt 13) of the controller at
/// [`MPS2_AN386_BASE`].
pub const MPS2_AN386_IRQ: u16 = 13;

/// A LAN9118 on the memory bus at a fixed address.
///
/// ```
/// use urest_qemu_net::{Mmio, MPS2_AN386_BASE};
///
/// // SAFETY: on an MPS2 AN385/AN386 a LAN9118 is mapped there (this
/// // example only makes the handle; it never touches the device).
/// let nic = unsafe { Mmio::new(MPS2_AN386_BASE) };
/// assert_eq!(nic.base(), 0x4020_0000);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mmio {
    base: usize,
}

impl Mmio {
    /// A controller at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the address of a LAN9118-compatible controller mapped
    /// for 32-bit access, with nothing else using those 256 bytes except
    /// through other `Mmio` handles: every access through the handle reads
    /// or writes there.
    pub const unsafe fn new(base: usize) -> Mmio {
        Mmio { base }
    }

    /// The controller's base address.
    pub const fn base(&self) -> usize {
        self.base
    }

    fn address(&self, register: Register) -> *mut u32 {
        (self.base + register.offset()) as *mut u32
    }
}

impl Registers for Mmio {
    fn read(&self, register: Register) -> u32 {
        // SAFETY: `Mmio` is only made by `new`, whose caller promised a
        // LAN9118 at `base`. Every `Register` offset is a word-aligned register inside its
        // 256-byte window, so this is an aligned word read of device memory,
        // which Rust does not otherwise own.
        unsafe { core::ptr::read_volatile(self.address(register)) }
    }

    fn write(&self, register: Register, value: u32) {
        // SAFETY: as for `read`: an aligned word write to a register of the
        // device at `base`, which no Rust object aliases.
        unsafe { core::ptr::write_volatile(self.address(register), value) }
    }
}
