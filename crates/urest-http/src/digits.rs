//! Decimal numbers as text, without `core::fmt`.

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
            start: 20,
        };
        // 32-bit division is cheaper on small chips; most numbers fit.
        match u32::try_from(value) {
            Ok(mut rest) => loop {
                digits.push((rest % 10) as u8);
                rest /= 10;
                if rest == 0 {
                    break;
                }
            },
            Err(_) => {
                let mut rest = value;
                loop {
                    digits.push((rest % 10) as u8);
                    rest /= 10;
                    if rest == 0 {
                        break;
                    }
                }
            }
        }
        digits
    }

    fn push(&mut self, digit: u8) {
        self.start = self.start.saturating_sub(1);
        if let Some(byte) = self.bytes.get_mut(self.start) {
            *byte = b'0' + digit;
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }

    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::Digits;

    #[test]
    fn numbers_read_as_decimal() {
        assert_eq!(Digits::new(0).as_str(), "0");
        assert_eq!(Digits::new(7).as_str(), "7");
        assert_eq!(Digits::new(10).as_str(), "10");
        assert_eq!(Digits::new(65_535).as_str(), "65535");
        assert_eq!(Digits::new(u64::from(u32::MAX)).as_str(), "4294967295");
        assert_eq!(Digits::new(u64::from(u32::MAX) + 1).as_str(), "4294967296");
        assert_eq!(Digits::new(u64::MAX).as_str(), "18446744073709551615");
    }
}
