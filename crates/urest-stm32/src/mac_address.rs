//! A stable Ethernet MAC address for a board with none of its own.
//!
//! STM32 chips with Ethernet carry no assigned MAC address, but each has a
//! 96-bit unique ID. Hashing it gives every board its own address, the same
//! at every start, from the locally administered range (first byte `0x02`:
//! local bit set, multicast bit clear), which no vendor is assigned.

/// The locally administered unicast MAC address `02:xx:xx:xx:xx:xx` for a
/// chip whose 96-bit unique ID is `unique_id`: the last five bytes are the
/// first five of the ID's 64-bit FNV-1a hash.
///
/// ```
/// use urest_stm32::mac_address::from_unique_id;
///
/// let mac = from_unique_id(&[0x2a, 0x00, 0x3d, 0x00, 0x0b, 0x51, 0x37, 0x36, 0x31, 0x34, 0x35, 0x39]);
/// assert_eq!(mac[0], 0x02);
/// assert_eq!(mac, from_unique_id(&[0x2a, 0x00, 0x3d, 0x00, 0x0b, 0x51, 0x37, 0x36, 0x31, 0x34, 0x35, 0x39]));
/// ```
pub fn from_unique_id(unique_id: &[u8; 12]) -> [u8; 6] {
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    // The ID spells out lot, wafer and die position; neighbouring dies
    // differ in a byte or two, so hash rather than truncate.
    let hash = unique_id.iter().fold(FNV_OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
    });
    let [a, b, c, d, e, ..] = hash.to_be_bytes();
    [0x02, a, b, c, d, e]
}

/// This chip's address by [`from_unique_id`], read from its unique ID.
///
/// ```no_run
/// let mac = urest_stm32::mac_address::of_this_chip();
/// assert_eq!(mac[0], 0x02);
/// ```
#[cfg(feature = "hal")]
pub fn of_this_chip() -> [u8; 6] {
    from_unique_id(&embassy_stm32::uid::uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIE: [u8; 12] = [
        0x2a, 0x00, 0x3d, 0x00, 0x0b, 0x51, 0x37, 0x36, 0x31, 0x34, 0x35, 0x39,
    ];

    #[test]
    fn the_address_is_locally_administered_unicast() {
        for id in [[0; 12], [0xff; 12], DIE] {
            let first = from_unique_id(&id)[0];
            assert_eq!(first & 0b10, 0b10, "local bit");
            assert_eq!(first & 0b01, 0, "multicast bit");
        }
    }

    #[test]
    fn neighbouring_dies_get_different_addresses() {
        let mut neighbour = DIE;
        neighbour[0] += 1; // the next die along X
        assert_ne!(from_unique_id(&DIE), from_unique_id(&neighbour));
    }

    #[test]
    fn the_address_never_moves() {
        // FNV-1a 64 of twelve zero bytes is 0x5467b0da1d106495.
        assert_eq!(
            from_unique_id(&[0; 12]),
            [0x02, 0x54, 0x67, 0xb0, 0xda, 0x1d]
        );
    }
}
