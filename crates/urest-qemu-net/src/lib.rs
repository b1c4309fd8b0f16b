//! An [embassy-net](https://docs.rs/embassy-net) driver for the SMSC LAN9118
//! Ethernet controller, as QEMU's `mps2-an385` and `mps2-an386` machines
//! model it, so a firmware's real network stack (smoltcp through
//! embassy-net) can be run and tested on emulated Cortex-M.
//!
//! - [`Lan9118`]: the driver. It resets the controller, takes the station
//!   address from it (QEMU's `-nic ...,mac=` or its default
//!   `52:54:00:12:34:56`), and moves frames between the controller's FIFOs
//!   and embassy-net. Reception and link changes are interrupt-driven.
//! - [`Wakeup`]: what the controller's interrupt handler calls.
//! - [`Registers`] and [`Mmio`]: the only access to the chip, so the driver
//!   also runs against a model of the chip on the host.
//! - [`protocol`]: the chip's word-level protocol (frame status, FIFO word
//!   counts, transmit commands, byte order) as pure functions.
//!
//! On the MPS2 AN385/AN386 the controller sits at [`MPS2_AN386_BASE`] and
//! interrupts on line [`MPS2_AN386_IRQ`].
//!
//! ```no_run
//! use urest_qemu_net::{Lan9118, Mmio, Wakeup, MPS2_AN386_BASE};
//!
//! static WAKEUP: Wakeup = Wakeup::new();
//! // SAFETY: the MPS2 AN385/AN386 maps its LAN9118 there.
//! static NIC: Mmio = unsafe { Mmio::new(MPS2_AN386_BASE) };
//!
//! /// The handler of interrupt line 13 calls this.
//! fn on_ethernet_interrupt() {
//!     WAKEUP.on_interrupt(&NIC);
//! }
//!
//! fn network() -> Result<Lan9118<'static, Mmio>, urest_qemu_net::InitError> {
//!     let driver = Lan9118::new(NIC, &WAKEUP)?;
//!     // unmask line 13 in the NVIC, then pass `driver` to `embassy_net::new`
//!     Ok(driver)
//! }
//! ```
//!
//! What it does not do: multicast filtering (IPv4 unicast and broadcast
//! only), checksum offload (the LAN9118 has none), reading transmit
//! statuses (the transmitter is told to go on without them), or 16-bit bus
//! mode.
#![no_std]
#![deny(missing_docs)]

mod driver;
pub mod protocol;
pub mod registers;

pub use driver::{InitError, Lan9118, RxToken, TxToken, Wakeup};
pub use registers::{Mmio, Register, Registers, MPS2_AN386_BASE, MPS2_AN386_IRQ};

/// The examples of the README, checked as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
