//! The LAN9118's word-level protocol as pure functions: what a frame's
//! receive status says, how many FIFO words a frame takes, the command words
//! that announce a frame to the transmitter, how bytes sit in FIFO words,
//! and the indirect MAC and PHY access commands.
//!
//! The driver is configured so that no frame carries padding or an offset:
//! receive data starts at the first byte of a word and ends on a word
//! boundary (`RX_CFG` = 0), and each transmitted frame is one buffer that
//! starts on a word and is padded to a word (command A's offset and end
//! alignment are 0). The arithmetic here is for that configuration.

use crate::registers::{mac_csr, mii_acc, MacRegister, PhyRegister};

/// Bytes in one FIFO word.
pub const WORD: usize = 4;

/// Bytes of the frame check sequence the controller leaves at the end of
/// every received frame.
pub const FCS_LEN: usize = 4;

/// The longest Ethernet frame the driver passes on, without its FCS:
/// 1500 bytes of payload, 14 of header.
pub const MAX_FRAME: usize = 1514;

/// The shortest frame worth passing on: an Ethernet header.
pub const MIN_FRAME: usize = 14;

/// The PHY inside the LAN9118 answers at this MII address.
pub const INTERNAL_PHY: u32 = 1;

/// FIFO words needed for `bytes` bytes starting on a word boundary.
///
/// ```
/// use urest_qemu_net::protocol::words_for;
///
/// assert_eq!(words_for(0), 0);
/// assert_eq!(words_for(1), 1);
/// assert_eq!(words_for(64), 16);
/// assert_eq!(words_for(65), 17);
/// ```
pub const fn words_for(bytes: usize) -> usize {
    bytes.div_ceil(WORD)
}

/// The status the controller gives each received frame, popped from the
/// receive status FIFO before the frame's data.
///
/// ```
/// use urest_qemu_net::protocol::RxStatus;
///
/// // A 60-byte frame: the status counts its 4-byte FCS too.
/// let status = RxStatus(64 << 16);
/// assert_eq!(status.packet_len(), 64);
/// assert_eq!(status.fifo_words(), 16);
/// assert_eq!(status.frame_len(), Some(60));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RxStatus(pub u32);

impl RxStatus {
    /// Bit 15: the frame had an error (CRC, length, collision, runt, too
    /// long); its data must still be read out and dropped.
    pub const ERROR_SUMMARY: u32 = 1 << 15;
    /// Bit 30: the frame failed the address filter (only delivered when the
    /// MAC is told to receive everything).
    pub const FILTER_FAILED: u32 = 1 << 30;

    /// Bytes the frame takes in the data FIFO, FCS included (bits 16..30).
    pub const fn packet_len(self) -> usize {
        ((self.0 >> 16) & 0x3fff) as usize
    }

    /// Words to read from the data FIFO to take the whole frame out, so the
    /// next frame starts at the FIFO's head.
    pub const fn fifo_words(self) -> usize {
        words_for(self.packet_len())
    }

    /// Whether the controller flagged the frame as bad.
    pub const fn is_bad(self) -> bool {
        self.0 & (Self::ERROR_SUMMARY | Self::FILTER_FAILED) != 0
    }

    /// The Ethernet frame's length without its FCS, if the frame is good
    /// and between [`MIN_FRAME`] and [`MAX_FRAME`] long; `None` means read
    /// its words out and drop them.
    pub const fn frame_len(self) -> Option<usize> {
        if self.is_bad() {
            return None;
        }
        match self.packet_len().checked_sub(FCS_LEN) {
            Some(len) if len >= MIN_FRAME && len <= MAX_FRAME => Some(len),
            _ => None,
        }
    }
}

/// Frames waiting in the receive FIFO, from `RX_FIFO_INF` (bits 16..24).
///
/// ```
/// use urest_qemu_net::protocol::rx_frames_waiting;
///
/// assert_eq!(rx_frames_waiting(0x0002_0180), 2);
/// ```
pub const fn rx_frames_waiting(rx_fifo_inf: u32) -> u32 {
    (rx_fifo_inf >> 16) & 0xff
}

/// Bytes free in the transmit data FIFO, from `TX_FIFO_INF` (bits 0..16).
///
/// ```
/// use urest_qemu_net::protocol::tx_bytes_free;
///
/// assert_eq!(tx_bytes_free(0x0003_1200), 0x1200);
/// ```
pub const fn tx_bytes_free(tx_fifo_inf: u32) -> usize {
    (tx_fifo_inf & 0xffff) as usize
}

/// Bytes of transmit FIFO a frame of `len` bytes needs: its two command
/// words and its data, padded to a word.
///
/// ```
/// use urest_qemu_net::protocol::tx_fifo_bytes;
///
/// assert_eq!(tx_fifo_bytes(60), 68);
/// assert_eq!(tx_fifo_bytes(61), 72);
/// ```
pub const fn tx_fifo_bytes(len: usize) -> usize {
    2 * WORD + words_for(len) * WORD
}

/// The two command words that precede a frame in the transmit FIFO, for a
/// frame sent as one buffer of `len` bytes.
///
/// ```
/// use urest_qemu_net::protocol::TxCommand;
///
/// let command = TxCommand::single_buffer(60, 7);
/// assert_eq!(command.a, 0x0000_303c); // first and last segment, 60 bytes
/// assert_eq!(command.b, 0x0007_003c); // tag 7, frame of 60 bytes
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TxCommand {
    /// Command A: this buffer's size, offset and end alignment, and whether
    /// it is the first and last segment of the frame.
    pub a: u32,
    /// Command B: the whole frame's length and a tag echoed in its status.
    pub b: u32,
}

impl TxCommand {
    /// Command A bit 13: the buffer starts a frame.
    pub const FIRST_SEGMENT: u32 = 1 << 13;
    /// Command A bit 12: the buffer ends a frame.
    pub const LAST_SEGMENT: u32 = 1 << 12;
    /// Buffer size and frame length fields are 11 bits wide.
    pub const LEN_MASK: u32 = 0x7ff;

    /// Commands for a frame of `len` bytes (at most [`MAX_FRAME`]; longer
    /// lengths are cut to the 11-bit field) in one word-aligned buffer,
    /// tagged `tag`.
    pub const fn single_buffer(len: usize, tag: u16) -> TxCommand {
        let len = (if len > MAX_FRAME { MAX_FRAME } else { len }) as u32 & Self::LEN_MASK;
        TxCommand {
            a: Self::FIRST_SEGMENT | Self::LAST_SEGMENT | len,
            b: ((tag as u32) << 16) | len,
        }
    }
}

/// The FIFO words carrying `bytes`, four to a word, first byte in the low
/// byte, the last word padded with zeros.
///
/// ```
/// use urest_qemu_net::protocol::words_of;
///
/// let words: Vec<u32> = words_of(&[1, 2, 3, 4, 5]).collect();
/// assert_eq!(words, [0x0403_0201, 0x0000_0005]);
/// ```
pub fn words_of(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks(WORD).map(|chunk| {
        let mut word = [0u8; WORD];
        for (slot, byte) in word.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        u32::from_le_bytes(word)
    })
}

/// Store the `index`th FIFO word of a frame into `buffer`, in the byte
/// order [`words_of`] reads; bytes past the end of `buffer` are dropped.
///
/// ```
/// use urest_qemu_net::protocol::store_word;
///
/// let mut frame = [0u8; 6];
/// store_word(&mut frame, 0, 0x0403_0201);
/// store_word(&mut frame, 1, 0x0807_0605);
/// assert_eq!(frame, [1, 2, 3, 4, 5, 6]);
/// ```
pub fn store_word(buffer: &mut [u8], index: usize, word: u32) {
    let start = index.saturating_mul(WORD);
    let end = start.saturating_add(WORD).min(buffer.len());
    if let Some(place) = buffer.get_mut(start..end) {
        let bytes = word.to_le_bytes();
        place.copy_from_slice(bytes.get(..place.len()).unwrap_or_default());
    }
}

/// The `MAC_CSR_CMD` word that starts an access to `register` of the MAC.
///
/// ```
/// use urest_qemu_net::protocol::mac_csr_command;
/// use urest_qemu_net::registers::MacRegister;
///
/// assert_eq!(mac_csr_command(MacRegister::AddressLow, true), 0xc000_0003);
/// assert_eq!(mac_csr_command(MacRegister::Control, false), 0x8000_0001);
/// ```
pub const fn mac_csr_command(register: MacRegister, read: bool) -> u32 {
    let direction = if read { mac_csr::READ } else { 0 };
    mac_csr::BUSY | direction | register as u32
}

/// The MII access word that starts a read or write of `register` of the
/// internal PHY.
///
/// ```
/// use urest_qemu_net::protocol::mii_command;
/// use urest_qemu_net::registers::PhyRegister;
///
/// assert_eq!(mii_command(PhyRegister::BasicStatus, false), 0x0841);
/// assert_eq!(mii_command(PhyRegister::InterruptMask, true), 0x0f83);
/// ```
pub const fn mii_command(register: PhyRegister, write: bool) -> u32 {
    let direction = if write { mii_acc::WRITE } else { 0 };
    (INTERNAL_PHY << 11) | ((register as u32) << 6) | direction | mii_acc::BUSY
}

/// The station address from the MAC's `ADDRL` and `ADDRH` registers, first
/// byte on the wire in the low byte of `ADDRL`.
///
/// ```
/// use urest_qemu_net::protocol::mac_address;
///
/// // QEMU's default NIC address.
/// assert_eq!(mac_address(0x1200_5452, 0x5634), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
/// ```
pub const fn mac_address(low: u32, high: u32) -> [u8; 6] {
    let [a, b, c, d] = low.to_le_bytes();
    let [e, f, _, _] = high.to_le_bytes();
    [a, b, c, d, e, f]
}

/// Whether `address` can be a station's own: not all zeros, and not a
/// group (multicast or broadcast) address.
///
/// ```
/// use urest_qemu_net::protocol::is_station_address;
///
/// assert!(is_station_address([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
/// assert!(!is_station_address([0; 6]));
/// assert!(!is_station_address([0xff; 6]));
/// ```
pub const fn is_station_address(address: [u8; 6]) -> bool {
    let [a, b, c, d, e, f] = address;
    let zero = (a | b | c | d | e | f) == 0;
    !zero && a & 1 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_read_word_by_word_comes_back_whole_for_every_length() {
        for len in 0..=70 {
            let frame: [u8; 70] = core::array::from_fn(|i| i as u8 ^ 0x5a);
            let frame = &frame[..len];
            let mut back = [0u8; 70];
            let mut count = 0;
            for (index, word) in words_of(frame).enumerate() {
                store_word(&mut back[..len], index, word);
                count += 1;
            }
            assert_eq!(count, words_for(len), "len {len}");
            assert_eq!(&back[..len], frame, "len {len}");
        }
    }

    #[test]
    fn the_fcs_counts_in_the_words_to_read_but_not_in_the_frame() {
        // 61-byte frame + 4-byte FCS = 65 bytes = 17 words.
        let status = RxStatus(65 << 16);
        assert_eq!(status.fifo_words(), 17);
        assert_eq!(status.frame_len(), Some(61));
        // The largest frame fits, one byte more does not.
        assert_eq!(
            RxStatus(((MAX_FRAME + FCS_LEN) as u32) << 16).frame_len(),
            Some(MAX_FRAME)
        );
        let too_long = RxStatus(((MAX_FRAME + FCS_LEN + 1) as u32) << 16);
        assert_eq!(too_long.frame_len(), None);
        assert_eq!(too_long.fifo_words(), 380);
    }

    #[test]
    fn bad_and_runt_frames_are_dropped_but_still_read_out() {
        let good = 64u32 << 16;
        assert_eq!(RxStatus(good | RxStatus::ERROR_SUMMARY).frame_len(), None);
        assert_eq!(RxStatus(good | RxStatus::FILTER_FAILED).frame_len(), None);
        assert_eq!(RxStatus(good | RxStatus::ERROR_SUMMARY).fifo_words(), 16);
        // Broadcast (bit 13) and multicast (bit 10) flags are not errors.
        assert_eq!(RxStatus(good | 1 << 13 | 1 << 10).frame_len(), Some(60));
        // Shorter than a header once the FCS is off, or shorter than an FCS.
        assert_eq!(RxStatus(17 << 16).frame_len(), None);
        assert_eq!(RxStatus(3 << 16).frame_len(), None);
        assert_eq!(RxStatus(18 << 16).frame_len(), Some(14));
    }

    #[test]
    fn the_length_field_ignores_the_bits_around_it() {
        let status = RxStatus(0xc000_0000 | (100 << 16) | 0xffff & !(1 << 15));
        assert_eq!(status.packet_len(), 100);
    }

    #[test]
    fn transmit_commands_carry_the_length_twice_and_the_tag_once() {
        let command = TxCommand::single_buffer(MAX_FRAME, 0xbeef);
        assert_eq!(command.a & TxCommand::LEN_MASK, MAX_FRAME as u32);
        assert_eq!(command.b & 0xffff, MAX_FRAME as u32);
        assert_eq!(command.b >> 16, 0xbeef);
        // No offset (bits 16..21) and 4-byte end alignment (bits 24..26).
        assert_eq!(command.a & 0x031f_0000, 0);
        // A length beyond the field is cut rather than spilling into flags.
        let cut = TxCommand::single_buffer(5000, 0);
        assert_eq!(
            cut.a,
            TxCommand::FIRST_SEGMENT | TxCommand::LAST_SEGMENT | 1514
        );
    }

    #[test]
    fn fifo_room_counts_commands_and_padding() {
        assert_eq!(tx_fifo_bytes(0), 8);
        assert_eq!(tx_fifo_bytes(1), 12);
        assert_eq!(tx_fifo_bytes(MAX_FRAME), 8 + 1516);
    }

    #[test]
    fn store_word_never_writes_outside_the_buffer() {
        let mut buffer = [0u8; 5];
        store_word(&mut buffer, 1, 0xaabb_ccdd);
        assert_eq!(buffer, [0, 0, 0, 0, 0xdd]);
        store_word(&mut buffer, 2, 0x1122_3344);
        store_word(&mut buffer, usize::MAX, 0x1122_3344);
        assert_eq!(buffer, [0, 0, 0, 0, 0xdd]);
    }

    #[test]
    fn fifo_information_fields() {
        assert_eq!(rx_frames_waiting(0xff00_0000), 0);
        assert_eq!(rx_frames_waiting(0x00ff_ffff), 0xff);
        assert_eq!(tx_bytes_free(0xffff_0000), 0);
    }

    #[test]
    fn station_address_round_trip_through_the_address_registers() {
        let address = [0x02, 0x00, 0xc0, 0xff, 0xee, 0x01];
        let low = u32::from_le_bytes([address[0], address[1], address[2], address[3]]);
        let high = u32::from(address[4]) | u32::from(address[5]) << 8;
        assert_eq!(mac_address(low, high), address);
        assert!(is_station_address(address));
        assert!(!is_station_address([0x01, 0, 0x5e, 0, 0, 1]));
    }
}
