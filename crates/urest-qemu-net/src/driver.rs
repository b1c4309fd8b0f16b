//! The embassy-net driver: bringing the controller up, and moving frames
//! between its FIFOs and embassy-net's tokens.

use core::task::Context;

use embassy_net_driver::{Capabilities, Driver, HardwareAddress, LinkState};
use embassy_sync::waitqueue::AtomicWaker;

use crate::protocol::{
    is_station_address, mac_address, mac_csr_command, mii_command, rx_frames_waiting, store_word,
    tx_bytes_free, tx_fifo_bytes, words_for, words_of, RxStatus, TxCommand, FCS_LEN, MAX_FRAME,
};
use crate::registers::{
    hw_cfg, int, irq_cfg, mac_cr, mac_csr, mii_acc, pmt_ctrl, tx_cfg, MacRegister, PhyRegister,
    Register, Registers, BYTE_TEST_PATTERN, PHY_LINK_EVENTS, PHY_LINK_UP,
};

/// How many times a busy bit is read before the driver gives up on it. The
/// datasheet's longest wait (a soft reset) is well under a millisecond; this
/// is far more reads than fit in one on any bus the chip sits on.
const POLL_LIMIT: u32 = 100_000;

/// Receive buffer: the longest frame with its FCS, in whole words.
const RX_BUFFER: usize = words_for(MAX_FRAME + FCS_LEN) * crate::protocol::WORD;

/// The interrupt sources the driver runs on: a frame has arrived, or the
/// PHY saw the link change.
const WANTED_INTERRUPTS: u32 = int::RX_STATUS_LEVEL | int::PHY;

/// Why the controller could not be brought up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InitError {
    /// `BYTE_TEST` did not read `0x8765_4321`: no LAN9118 at that address,
    /// or the bus is set up wrongly. Holds what it read.
    NotResponding {
        /// What `BYTE_TEST` read.
        byte_test: u32,
    },
    /// The soft reset did not finish, or the device never said it was
    /// ready after it.
    ResetTimedOut,
    /// An access to a MAC or PHY register did not finish.
    MacTimedOut,
    /// The controller holds no usable station address (its EEPROM is
    /// blank or holds a group address).
    NoStationAddress {
        /// The address it holds.
        address: [u8; 6],
    },
}

impl core::fmt::Display for InitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InitError::NotResponding { byte_test } => write!(
                f,
                "no LAN9118 answers: BYTE_TEST reads {byte_test:#010x}, not {BYTE_TEST_PATTERN:#010x}"
            ),
            InitError::ResetTimedOut => f.write_str("the LAN9118 did not come out of reset"),
            InitError::MacTimedOut => f.write_str("a LAN9118 MAC or PHY access did not finish"),
            InitError::NoStationAddress { address } => {
                write!(f, "the LAN9118 holds no usable MAC address ({address:02x?})")
            }
        }
    }
}

/// Where the controller's interrupt wakes the driver.
///
/// Put one in a `static`, hand it to [`Lan9118::new`], and call
/// [`on_interrupt`](Self::on_interrupt) from the controller's interrupt
/// handler.
///
/// ```
/// use urest_qemu_net::{Mmio, Wakeup, MPS2_AN386_BASE};
///
/// static WAKEUP: Wakeup = Wakeup::new();
/// // SAFETY: the MPS2 AN385/AN386 maps its LAN9118 there.
/// static NIC: Mmio = unsafe { Mmio::new(MPS2_AN386_BASE) };
///
/// /// Called from the interrupt handler of line `MPS2_AN386_IRQ`.
/// fn ethernet_interrupt() {
///     WAKEUP.on_interrupt(&NIC);
/// }
/// ```
pub struct Wakeup {
    waker: AtomicWaker,
}

impl Wakeup {
    /// Nothing registered yet.
    pub const fn new() -> Wakeup {
        Wakeup {
            waker: AtomicWaker::new(),
        }
    }

    /// The controller interrupted: mask its interrupts (so the line drops
    /// and the handler is not entered again at once) and wake the network
    /// task, which reads what happened and unmasks them.
    ///
    /// Writes only `INT_EN`, a single register write, so it cannot upset
    /// an access sequence the driver was in the middle of.
    pub fn on_interrupt(&self, registers: &impl Registers) {
        registers.write(Register::IntEn, 0);
        self.waker.wake();
    }
}

impl Default for Wakeup {
    fn default() -> Self {
        Wakeup::new()
    }
}

impl core::fmt::Debug for Wakeup {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Wakeup")
    }
}

/// An SMSC LAN9118 Ethernet controller as an embassy-net driver.
///
/// Interrupt-driven for reception and link changes: the controller raises
/// its interrupt when a frame's status arrives or the PHY sees the link
/// change; [`Wakeup::on_interrupt`] masks it and wakes the network task,
/// which drains the receive FIFO and unmasks. Transmission copies a frame
/// into the transmit FIFO at once, so it only waits if the FIFO is full,
/// which a lightly loaded device never sees; then it polls (the chip's
/// FIFO-level interrupt is not used; QEMU does not model it).
///
/// `R` is how registers are reached: [`Mmio`](crate::Mmio) on hardware or
/// QEMU, a model of the chip in tests.
///
/// ```no_run
/// use embassy_net_driver::Driver;
/// use urest_qemu_net::{Lan9118, Mmio, Wakeup, MPS2_AN386_BASE};
///
/// static WAKEUP: Wakeup = Wakeup::new();
///
/// // SAFETY: the MPS2 AN385/AN386 maps its LAN9118 there.
/// let nic = unsafe { Mmio::new(MPS2_AN386_BASE) };
/// let driver = Lan9118::new(nic, &WAKEUP).expect("a LAN9118 answers");
/// println!("MAC {:02x?}", driver.station_address());
/// // hand `driver` to embassy_net::new(...)
/// ```
pub struct Lan9118<'w, R: Registers> {
    registers: R,
    wakeup: &'w Wakeup,
    address: [u8; 6],
    link: LinkState,
    /// The transmit status tag of the next frame, counted only to tell
    /// frames apart when debugging.
    tag: u16,
    rx: [u8; RX_BUFFER],
    tx: [u8; MAX_FRAME],
}

impl<'w, R: Registers> Lan9118<'w, R> {
    /// Reset the controller and bring it up: station address from its
    /// EEPROM, transmitter and receiver on, full duplex, the receive and
    /// link interrupts enabled on an active-high push-pull line.
    ///
    /// Fails if no controller answers, or it does not come out of reset.
    pub fn new(registers: R, wakeup: &'w Wakeup) -> Result<Self, InitError> {
        let byte_test = registers.read(Register::ByteTest);
        if byte_test != BYTE_TEST_PATTERN {
            return Err(InitError::NotResponding { byte_test });
        }
        registers.write(Register::IntEn, 0);
        registers.write(Register::HwCfg, hw_cfg::SOFT_RESET);
        wait_until(|| registers.read(Register::HwCfg) & hw_cfg::SOFT_RESET == 0)
            .ok_or(InitError::ResetTimedOut)?;
        wait_until(|| registers.read(Register::PmtCtrl) & pmt_ctrl::READY != 0)
            .ok_or(InitError::ResetTimedOut)?;

        let mut driver = Lan9118 {
            registers,
            wakeup,
            address: [0; 6],
            link: LinkState::Down,
            tag: 0,
            rx: [0; RX_BUFFER],
            tx: [0; MAX_FRAME],
        };
        let low = driver.mac_read(MacRegister::AddressLow)?;
        let high = driver.mac_read(MacRegister::AddressHigh)?;
        driver.address = mac_address(low, high);
        if !is_station_address(driver.address) {
            return Err(InitError::NoStationAddress {
                address: driver.address,
            });
        }

        // No data offset, 4-byte end alignment: frames start and end on
        // words (see `protocol`).
        driver.registers.write(Register::RxCfg, 0);
        driver.registers.write(
            Register::TxCfg,
            tx_cfg::TX_ON | tx_cfg::STATUS_OVERRUN_ALLOWED,
        );
        // Interrupt as soon as one frame status waits (level 0).
        driver.registers.write(Register::FifoInt, 0);
        driver.mac_write(
            MacRegister::Control,
            mac_cr::FULL_DUPLEX | mac_cr::TX_ENABLE | mac_cr::RX_ENABLE,
        )?;
        driver.phy_write(PhyRegister::InterruptMask, PHY_LINK_EVENTS)?;
        // Reading the source clears what reset left there.
        driver.phy_read(PhyRegister::InterruptSource)?;
        driver.link = driver.read_link()?;
        driver.registers.write(
            Register::IrqCfg,
            irq_cfg::ENABLE | irq_cfg::ACTIVE_HIGH | irq_cfg::PUSH_PULL,
        );
        driver.registers.write(Register::IntSts, int::ALL);
        driver.registers.write(Register::IntEn, WANTED_INTERRUPTS);
        Ok(driver)
    }

    /// The controller's Ethernet address.
    pub fn station_address(&self) -> [u8; 6] {
        self.address
    }

    /// The register access the driver was made with.
    pub fn registers(&self) -> &R {
        &self.registers
    }

    /// Take the interrupt sources in hand and unmask them. Called with the
    /// network task's waker already registered, so an interrupt from here
    /// on wakes it; what arrived before is found by the caller's own check.
    fn rearm(&mut self) {
        let pending = self.registers.read(Register::IntSts);
        self.registers
            .write(Register::IntSts, pending & int::RX_STATUS_LEVEL);
        if pending & int::PHY != 0 {
            // Reading the PHY's source register clears the PHY interrupt.
            let cleared = self.phy_read(PhyRegister::InterruptSource);
            self.link = match cleared.and_then(|_| self.read_link()) {
                Ok(link) => link,
                Err(_) => LinkState::Down,
            };
        }
        self.registers.write(Register::IntEn, WANTED_INTERRUPTS);
    }

    fn tx_has_room(&self) -> bool {
        tx_bytes_free(self.registers.read(Register::TxFifoInf)) >= tx_fifo_bytes(MAX_FRAME)
    }

    /// Pop the next good frame into the receive buffer; drop bad ones on
    /// the way. Returns its length, or `None` once the FIFO is empty.
    fn pop_frame(&mut self) -> Option<usize> {
        while rx_frames_waiting(self.registers.read(Register::RxFifoInf)) > 0 {
            let status = RxStatus(self.registers.read(Register::RxStatus));
            let words = status.fifo_words();
            match status.frame_len() {
                Some(len) => {
                    for index in 0..words {
                        let word = self.registers.read(Register::RxData);
                        store_word(&mut self.rx, index, word);
                    }
                    return Some(len);
                }
                None => {
                    // Read the frame out word by word: the chip's
                    // fast-forward would be quicker for long frames, but
                    // QEMU's model of it loses track of the FIFO's fill.
                    for _ in 0..words {
                        self.registers.read(Register::RxData);
                    }
                }
            }
        }
        None
    }

    fn read_link(&self) -> Result<LinkState, InitError> {
        let status = self.phy_read(PhyRegister::BasicStatus)?;
        Ok(if status & PHY_LINK_UP != 0 {
            LinkState::Up
        } else {
            LinkState::Down
        })
    }

    fn mac_wait(&self) -> Result<(), InitError> {
        wait_until(|| self.registers.read(Register::MacCsrCmd) & mac_csr::BUSY == 0)
            .ok_or(InitError::MacTimedOut)
    }

    fn mac_read(&self, register: MacRegister) -> Result<u32, InitError> {
        self.mac_wait()?;
        self.registers
            .write(Register::MacCsrCmd, mac_csr_command(register, true));
        self.mac_wait()?;
        Ok(self.registers.read(Register::MacCsrData))
    }

    fn mac_write(&self, register: MacRegister, value: u32) -> Result<(), InitError> {
        self.mac_wait()?;
        self.registers.write(Register::MacCsrData, value);
        self.registers
            .write(Register::MacCsrCmd, mac_csr_command(register, false));
        self.mac_wait()
    }

    fn mii_wait(&self) -> Result<(), InitError> {
        for _ in 0..POLL_LIMIT {
            if self.mac_read(MacRegister::MiiAccess)? & mii_acc::BUSY == 0 {
                return Ok(());
            }
        }
        Err(InitError::MacTimedOut)
    }

    fn phy_read(&self, register: PhyRegister) -> Result<u32, InitError> {
        self.mii_wait()?;
        self.mac_write(MacRegister::MiiAccess, mii_command(register, false))?;
        self.mii_wait()?;
        Ok(self.mac_read(MacRegister::MiiData)? & 0xffff)
    }

    fn phy_write(&self, register: PhyRegister, value: u32) -> Result<(), InitError> {
        self.mii_wait()?;
        self.mac_write(MacRegister::MiiData, value & 0xffff)?;
        self.mac_write(MacRegister::MiiAccess, mii_command(register, true))?;
        self.mii_wait()
    }
}

/// Poll `done` up to [`POLL_LIMIT`] times; `Some` once it holds.
fn wait_until(mut done: impl FnMut() -> bool) -> Option<()> {
    (0..POLL_LIMIT).any(|_| done()).then_some(())
}

impl<R: Registers> core::fmt::Debug for Lan9118<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Lan9118")
            .field("address", &self.address)
            .field("link_up", &(self.link == LinkState::Up))
            .finish_non_exhaustive()
    }
}

impl<R: Registers> Driver for Lan9118<'_, R> {
    type RxToken<'a>
        = RxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = TxToken<'a, R>
    where
        Self: 'a;

    fn receive(&mut self, cx: &mut Context) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        self.wakeup.waker.register(cx.waker());
        self.rearm();
        // A received frame comes with the right to answer it at once, so
        // take none while the transmitter could not take the answer.
        if !self.tx_has_room() {
            cx.waker().wake_by_ref();
            return None;
        }
        let len = self.pop_frame()?;
        let Lan9118 {
            registers,
            tag,
            rx,
            tx,
            ..
        } = self;
        let frame = rx.get_mut(..len)?;
        Some((
            RxToken { frame },
            TxToken {
                registers,
                tag,
                buffer: tx,
            },
        ))
    }

    fn transmit(&mut self, cx: &mut Context) -> Option<Self::TxToken<'_>> {
        if !self.tx_has_room() {
            // No FIFO-level interrupt to wait for: try again on the next
            // poll.
            cx.waker().wake_by_ref();
            return None;
        }
        Some(TxToken {
            registers: &self.registers,
            tag: &mut self.tag,
            buffer: &mut self.tx,
        })
    }

    fn link_state(&mut self, cx: &mut Context) -> LinkState {
        self.wakeup.waker.register(cx.waker());
        self.rearm();
        self.link
    }

    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::default();
        capabilities.max_transmission_unit = MAX_FRAME;
        capabilities
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.address)
    }
}

/// A received frame, already out of the controller's FIFO.
pub struct RxToken<'a> {
    frame: &'a mut [u8],
}

impl embassy_net_driver::RxToken for RxToken<'_> {
    fn consume<T, F>(self, f: F) -> T
    where
        F: FnOnce(&mut [u8]) -> T,
    {
        f(self.frame)
    }
}

/// Room for one frame in the controller's transmit FIFO.
pub struct TxToken<'a, R: Registers> {
    registers: &'a R,
    tag: &'a mut u16,
    buffer: &'a mut [u8; MAX_FRAME],
}

impl<R: Registers> embassy_net_driver::TxToken for TxToken<'_, R> {
    /// Build the frame in the driver's buffer, then push its commands and
    /// words into the FIFO; the controller sends it once the last word is
    /// in. `len` is at most the MTU the driver reports; a longer one would
    /// be cut to it.
    fn consume<T, F>(self, len: usize, f: F) -> T
    where
        F: FnOnce(&mut [u8]) -> T,
    {
        let frame = &mut self.buffer[..len.min(MAX_FRAME)];
        let result = f(frame);
        let command = TxCommand::single_buffer(frame.len(), *self.tag);
        *self.tag = self.tag.wrapping_add(1);
        self.registers.write(Register::TxData, command.a);
        self.registers.write(Register::TxData, command.b);
        for word in words_of(frame) {
            self.registers.write(Register::TxData, word);
        }
        result
    }
}
