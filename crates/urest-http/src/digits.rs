//! Decimal numbers as text, without `core::fmt`.

use urest_core::decimal::{digit_count, write_digits};

/// The decimal digits of an unsigned number, written right to left into a
/// small array: enough for any `u64`.
pub(crate) struct Digits {
    bytes: [u8; 20],
    start: usize,
}

impl Digits {
    pub(crate) fn new(value: u64) -> Digits {
        let mut digits = Digits {
            bytes: [b'0'; 20],
            start: 20 - digit_count(value),
        };
        if let Some(into) = digits.bytes.get_mut(digits.start..) {
            write_digits(into, value);
        }
        digits
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn numbers_read_as_decimal() {
        assert_eq!(Digits::new(0).as_bytes(), b"0");
        assert_eq!(Digits::new(7).as_bytes(), b"7");
        assert_eq!(Digits::new(10).as_bytes(), b"10");
        assert_eq!(Digits::new(65_535).as_bytes(), b"65535");
        assert_eq!(Digits::new(u64::from(u32::MAX)).as_bytes(), b"4294967295");
        assert_eq!(
            Digits::new(u64::from(u32::MAX) + 1).as_bytes(),
            b"4294967296"
        );
        assert_eq!(Digits::new(u64::MAX).as_bytes(), b"18446744073709551615");
    }
}
