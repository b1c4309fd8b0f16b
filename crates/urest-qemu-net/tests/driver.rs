//! The driver against a model of the LAN9118, written from the datasheet's
//! description of its registers: FIFOs that pop a word per read, busy bits
//! that stay set for a few reads, write-one-to-clear interrupt status, an
//! interrupt line that is the OR of enabled sources.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use embassy_net_driver::{Driver, HardwareAddress, LinkState, RxToken as _, TxToken as _};
use urest_qemu_net::protocol::{words_for, words_of, RxStatus, TxCommand, MAX_FRAME};
use urest_qemu_net::registers::{int, irq_cfg, mac_cr, tx_cfg, PHY_LINK_EVENTS};
use urest_qemu_net::{InitError, Lan9118, Register, Registers, Wakeup};

const ADDRESS: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
/// Reads a busy bit stays set after an access starts.
const BUSY_READS: u32 = 2;
const TX_FIFO_BYTES: u32 = 4608;

#[derive(Default)]
struct Chip {
    byte_test: u32,
    reset_reads: u32,
    rx_status: VecDeque<u32>,
    rx_data: VecDeque<u32>,
    underflows: usize,
    int_sts: u32,
    int_en: u32,
    irq_cfg: u32,
    rx_cfg: u32,
    tx_cfg: u32,
    fifo_int: u32,
    mac_control: u32,
    mac_data: u32,
    mac_busy_reads: u32,
    mii_access: u32,
    mii_data: u32,
    phy_mask: u32,
    phy_source: u32,
    link_up: bool,
    tx_words: Vec<u32>,
    tx_free: u32,
    sent: Vec<Vec<u8>>,
    tx_errors: Vec<String>,
}

impl Chip {
    fn new() -> Chip {
        Chip {
            byte_test: 0x8765_4321,
            link_up: true,
            tx_free: TX_FIFO_BYTES,
            ..Chip::default()
        }
    }

    fn mac_register(&mut self, index: u32) -> u32 {
        match index {
            1 => self.mac_control,
            2 => u32::from(ADDRESS[4]) | u32::from(ADDRESS[5]) << 8,
            3 => u32::from_le_bytes([ADDRESS[0], ADDRESS[1], ADDRESS[2], ADDRESS[3]]),
            6 => self.mii_access,
            7 => self.mii_data,
            other => panic!("read of MAC register {other}"),
        }
    }

    fn set_mac_register(&mut self, index: u32, value: u32) {
        match index {
            1 => self.mac_control = value,
            6 => {
                let register = (value >> 6) & 0x1f;
                assert_eq!((value >> 11) & 0x1f, 1, "the internal PHY is at 1");
                assert_eq!(value & 1, 1, "an MII access sets its busy bit");
                if value & 2 != 0 {
                    match register {
                        30 => self.phy_mask = self.mii_data,
                        other => panic!("write of PHY register {other}"),
                    }
                } else {
                    self.mii_data = match register {
                        1 => 0x7809 | if self.link_up { 0x24 } else { 0 },
                        29 => std::mem::take(&mut self.phy_source),
                        30 => self.phy_mask,
                        other => panic!("read of PHY register {other}"),
                    };
                }
                self.mii_access = value & !1;
            }
            7 => self.mii_data = value,
            other => panic!("write of MAC register {other}"),
        }
    }

    fn interrupt_status(&self) -> u32 {
        let phy = if self.phy_source & self.phy_mask != 0 {
            int::PHY
        } else {
            0
        };
        self.int_sts | phy
    }

    /// The interrupt line, as the NVIC sees it.
    fn irq_line(&self) -> bool {
        let wanted = irq_cfg::ENABLE | irq_cfg::ACTIVE_HIGH | irq_cfg::PUSH_PULL;
        assert_eq!(self.irq_cfg, wanted, "an active-high push-pull line");
        self.interrupt_status() & self.int_en != 0
    }

    /// A frame arrives from the wire, with `flags` in its status.
    fn deliver(&mut self, frame: &[u8], flags: u32) {
        if self.mac_control & mac_cr::RX_ENABLE == 0 {
            return;
        }
        let mut bytes = frame.to_vec();
        bytes.extend_from_slice(&[0xfc; 4]);
        self.rx_status
            .push_back(((bytes.len() as u32) << 16) | flags);
        self.rx_data.extend(words_of(&bytes));
        self.int_sts |= int::RX_STATUS_LEVEL;
    }

    fn link_changes(&mut self, up: bool) {
        self.link_up = up;
        self.phy_source |= if up { 1 << 6 } else { 1 << 4 };
    }

    fn transmit_word(&mut self, word: u32) {
        self.tx_words.push(word);
        let [a, b, data @ ..] = self.tx_words.as_slice() else {
            return;
        };
        let size = (a & 0x7ff) as usize;
        if data.len() < words_for(size) {
            return;
        }
        if a & TxCommand::FIRST_SEGMENT == 0 || a & TxCommand::LAST_SEGMENT == 0 {
            self.tx_errors
                .push(format!("not a single-buffer frame: {a:#x}"));
        }
        if a & 0x031f_0000 != 0 {
            self.tx_errors
                .push(format!("offset or end alignment: {a:#x}"));
        }
        if (b & 0x7ff) as usize != size {
            self.tx_errors
                .push(format!("buffer {size} vs frame {}", b & 0x7ff));
        }
        let bytes: Vec<u8> = data.iter().flat_map(|word| word.to_le_bytes()).collect();
        self.sent.push(bytes[..size].to_vec());
        self.tx_words.clear();
    }
}

/// The model behind the `Registers` trait, shared with the test.
#[derive(Clone)]
struct Model(Rc<RefCell<Chip>>);

impl Model {
    fn new(chip: Chip) -> Model {
        Model(Rc::new(RefCell::new(chip)))
    }

    fn chip(&self) -> std::cell::RefMut<'_, Chip> {
        self.0.borrow_mut()
    }
}

impl Registers for Model {
    fn read(&self, register: Register) -> u32 {
        let mut chip = self.chip();
        match register {
            Register::RxData => match chip.rx_data.pop_front() {
                Some(word) => word,
                None => {
                    chip.underflows += 1;
                    0
                }
            },
            Register::RxStatus => chip.rx_status.pop_front().unwrap_or(0),
            Register::ByteTest => chip.byte_test,
            Register::IdRev => 0x0118_0001,
            Register::HwCfg => {
                if chip.reset_reads > 0 {
                    chip.reset_reads -= 1;
                    1
                } else {
                    0x0005_0000
                }
            }
            Register::PmtCtrl => u32::from(chip.reset_reads == 0),
            Register::IntSts => chip.interrupt_status(),
            Register::IntEn => chip.int_en,
            Register::IrqCfg => chip.irq_cfg,
            Register::RxFifoInf => {
                let used = chip.rx_data.len() as u32 * 4;
                (chip.rx_status.len() as u32) << 16 | used
            }
            Register::TxFifoInf => chip.tx_free,
            Register::MacCsrCmd => {
                if chip.mac_busy_reads > 0 {
                    chip.mac_busy_reads -= 1;
                    1 << 31
                } else {
                    0
                }
            }
            Register::MacCsrData => chip.mac_data,
            Register::RxCfg => chip.rx_cfg,
            Register::TxCfg => chip.tx_cfg,
            Register::FifoInt => chip.fifo_int,
            Register::TxData => panic!("read of the transmit FIFO"),
        }
    }

    fn write(&self, register: Register, value: u32) {
        let mut chip = self.chip();
        match register {
            Register::TxData => chip.transmit_word(value),
            Register::IntSts => chip.int_sts &= !value,
            Register::IntEn => chip.int_en = value,
            Register::IrqCfg => chip.irq_cfg = value,
            Register::HwCfg => {
                if value & 1 != 0 {
                    let (byte_test, link_up) = (chip.byte_test, chip.link_up);
                    *chip = Chip {
                        byte_test,
                        link_up,
                        reset_reads: 3,
                        tx_free: TX_FIFO_BYTES,
                        ..Chip::default()
                    };
                }
            }
            Register::RxCfg => chip.rx_cfg = value,
            Register::TxCfg => chip.tx_cfg = value,
            Register::FifoInt => chip.fifo_int = value,
            Register::MacCsrData => chip.mac_data = value,
            Register::MacCsrCmd => {
                assert_eq!(chip.mac_busy_reads, 0, "a MAC access while one is busy");
                let index = value & 0xf;
                if value & (1 << 30) != 0 {
                    chip.mac_data = chip.mac_register(index);
                } else {
                    let data = chip.mac_data;
                    chip.set_mac_register(index, data);
                }
                chip.mac_busy_reads = BUSY_READS;
            }
            other => panic!("write of {other:?}"),
        }
    }
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn wakes(counter: &Arc<Counter>) -> usize {
    counter.0.load(Ordering::SeqCst)
}

fn started(wakeup: &Wakeup) -> (Model, Lan9118<'_, Model>) {
    let model = Model::new(Chip::new());
    let driver = Lan9118::new(model.clone(), wakeup).expect("the model answers");
    (model, driver)
}

fn frame(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

fn receive_one(driver: &mut Lan9118<'_, Model>, cx: &mut Context<'_>) -> Option<Vec<u8>> {
    let (rx, _tx) = driver.receive(cx)?;
    Some(rx.consume(|bytes| bytes.to_vec()))
}

#[test]
fn starting_resets_the_chip_and_turns_everything_on() {
    let wakeup = Wakeup::new();
    let (model, driver) = started(&wakeup);
    assert_eq!(driver.station_address(), ADDRESS);
    assert_eq!(
        driver.hardware_address(),
        HardwareAddress::Ethernet(ADDRESS)
    );
    let chip = model.chip();
    assert_eq!(chip.reset_reads, 0, "waited for the reset to end");
    assert_eq!(
        chip.mac_control,
        mac_cr::FULL_DUPLEX | mac_cr::TX_ENABLE | mac_cr::RX_ENABLE
    );
    assert_eq!(chip.tx_cfg, tx_cfg::TX_ON | tx_cfg::STATUS_OVERRUN_ALLOWED);
    assert_eq!(chip.rx_cfg, 0, "no offset, word end alignment");
    assert_eq!(chip.phy_mask, PHY_LINK_EVENTS);
    assert_eq!(chip.int_en, int::RX_STATUS_LEVEL | int::PHY);
    assert!(!chip.irq_line(), "nothing pending after start");
    assert_eq!(driver.capabilities().max_transmission_unit, MAX_FRAME);
}

#[test]
fn a_chip_that_does_not_answer_is_an_error() {
    let wakeup = Wakeup::new();
    let model = Model::new(Chip {
        byte_test: 0xffff_ffff,
        ..Chip::new()
    });
    assert_eq!(
        Lan9118::new(model, &wakeup).err(),
        Some(InitError::NotResponding {
            byte_test: 0xffff_ffff
        })
    );
}

#[test]
fn frames_of_every_length_come_through_whole_and_leave_the_fifo_aligned() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let lengths = [14, 15, 16, 17, 42, 60, 61, 62, 63, 64, 590, 1513, MAX_FRAME];
    for (seed, &len) in lengths.iter().enumerate() {
        model.chip().deliver(&frame(len, seed as u8), 0);
    }
    for (seed, &len) in lengths.iter().enumerate() {
        assert_eq!(
            receive_one(&mut driver, &mut cx),
            Some(frame(len, seed as u8)),
            "frame of {len} bytes"
        );
    }
    assert_eq!(receive_one(&mut driver, &mut cx), None);
    let chip = model.chip();
    assert!(chip.rx_data.is_empty() && chip.rx_status.is_empty());
    assert_eq!(chip.underflows, 0);
}

#[test]
fn bad_frames_are_skipped_without_losing_the_next() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let mut cx = Context::from_waker(Waker::noop());
    {
        let mut chip = model.chip();
        chip.deliver(&frame(61, 1), RxStatus::ERROR_SUMMARY);
        chip.deliver(&frame(1600, 2), 0);
        chip.deliver(&frame(9, 3), 0);
        chip.deliver(&frame(100, 4), RxStatus::FILTER_FAILED);
        // Broadcast: flagged, but good.
        chip.deliver(&frame(77, 5), 1 << 13);
    }
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(77, 5)));
    assert_eq!(receive_one(&mut driver, &mut cx), None);
    assert!(model.chip().rx_data.is_empty());
}

#[test]
fn the_interrupt_wakes_the_task_and_the_task_rearms_it() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);

    assert_eq!(receive_one(&mut driver, &mut cx), None);
    assert!(!model.chip().irq_line());
    model.chip().deliver(&frame(60, 9), 0);
    assert!(model.chip().irq_line(), "a frame raises the line");

    // The handler masks the chip and wakes the registered task.
    wakeup.on_interrupt(&model);
    assert!(!model.chip().irq_line(), "masked until the task runs");
    assert_eq!(wakes(&counter), 1);

    // The task takes the frame, acknowledges, and unmasks.
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(60, 9)));
    assert_eq!(receive_one(&mut driver, &mut cx), None);
    assert_eq!(model.chip().int_en, int::RX_STATUS_LEVEL | int::PHY);
    assert!(!model.chip().irq_line());

    // A frame that lands between the task's check and its sleep still
    // raises the line, since the waker was registered first.
    model.chip().deliver(&frame(60, 10), 0);
    assert!(model.chip().irq_line());
}

#[test]
fn frames_sent_are_the_bytes_built_with_the_right_commands() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let mut cx = Context::from_waker(Waker::noop());
    let lengths = [14, 42, 60, 61, 62, 63, 1000, MAX_FRAME];
    for (seed, &len) in lengths.iter().enumerate() {
        let token = driver.transmit(&mut cx).expect("room in the FIFO");
        token.consume(len, |buffer| {
            buffer.copy_from_slice(&frame(len, seed as u8))
        });
    }
    let chip = model.chip();
    assert!(chip.tx_errors.is_empty(), "{:?}", chip.tx_errors);
    assert!(chip.tx_words.is_empty(), "no half-written frame");
    let expected: Vec<Vec<u8>> = lengths
        .iter()
        .enumerate()
        .map(|(seed, &len)| frame(len, seed as u8))
        .collect();
    assert_eq!(chip.sent, expected);
}

#[test]
fn an_answer_can_be_sent_with_the_token_that_came_with_a_frame() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let mut cx = Context::from_waker(Waker::noop());
    model.chip().deliver(&frame(42, 1), 0);
    let (rx, tx) = driver.receive(&mut cx).expect("a frame");
    let request = rx.consume(|bytes| bytes.to_vec());
    tx.consume(request.len(), |buffer| {
        buffer.copy_from_slice(&request);
        buffer.reverse();
    });
    let mut reversed = frame(42, 1);
    reversed.reverse();
    assert_eq!(model.chip().sent, [reversed]);
}

#[test]
fn a_full_transmit_fifo_gives_no_token_and_asks_to_be_polled_again() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    model.chip().tx_free = 1000;
    assert!(driver.transmit(&mut cx).is_none());
    assert_eq!(wakes(&counter), 1);
    // Nor is a frame taken in that its answer could not be sent.
    model.chip().deliver(&frame(60, 0), 0);
    assert!(driver.receive(&mut cx).is_none());
    assert_eq!(model.chip().rx_status.len(), 1, "left in the FIFO");
    model.chip().tx_free = TX_FIFO_BYTES;
    assert!(driver.transmit(&mut cx).is_some());
    assert_eq!(receive_one(&mut driver, &mut cx), Some(frame(60, 0)));
}

#[test]
fn link_changes_interrupt_and_show_in_the_link_state() {
    let wakeup = Wakeup::new();
    let (model, mut driver) = started(&wakeup);
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(driver.link_state(&mut cx) == LinkState::Up);

    model.chip().link_changes(false);
    assert!(model.chip().irq_line(), "the PHY raises the line");
    wakeup.on_interrupt(&model);
    assert_eq!(wakes(&counter), 1);
    assert!(driver.link_state(&mut cx) == LinkState::Down);
    assert!(
        !model.chip().irq_line(),
        "reading the PHY's source cleared it"
    );

    model.chip().link_changes(true);
    wakeup.on_interrupt(&model);
    assert!(driver.link_state(&mut cx) == LinkState::Up);
}
