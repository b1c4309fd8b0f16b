//! Which bytes each part of a request may hold: one table for every class,
//! a bit per class in a byte per value, so that the classes take 256 bytes
//! of flash rather than 256 each.

/// One class of bytes (or a set of them), as a bit of [`CLASSES`].
#[derive(Copy, Clone)]
pub(crate) struct ByteClass(u8);

impl ByteClass {
    /// Token characters (RFC 9110 §5.6.2): methods and header names.
    pub(crate) const TOKEN: ByteClass = ByteClass(1);
    /// The bytes of a request target: visible ASCII and any non-ASCII byte.
    pub(crate) const TARGET: ByteClass = ByteClass(2);
    /// The bytes of a header value: tab, space, visible ASCII, non-ASCII.
    pub(crate) const VALUE: ByteClass = ByteClass(4);
    /// The bytes that make a target more than `/name`: a query or
    /// fragment, an escape, a segment below.
    pub(crate) const BEYOND_NAME: ByteClass = ByteClass(8);

    /// Whether `byte` is of this class.
    #[inline(always)]
    pub(crate) fn holds(self, byte: u8) -> bool {
        CLASSES[usize::from(byte)] & self.0 != 0
    }
}

const fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(
            byte,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The classes of each byte value, built at compile time.
static CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut index = 0;
    while index < 256 {
        let byte = index as u8;
        let mut class = 0;
        if is_token(byte) {
            class |= ByteClass::TOKEN.0;
        }
        if matches!(byte, b'!'..=0x7e | 0x80..=0xff) {
            class |= ByteClass::TARGET.0;
        }
        if matches!(byte, b'\t' | b' '..=0x7e | 0x80..=0xff) {
            class |= ByteClass::VALUE.0;
        }
        if matches!(byte, b'?' | b'#' | b'%' | b'/') {
            class |= ByteClass::BEYOND_NAME.0;
        }
        classes[index] = class;
        index += 1;
    }
    classes
};

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::ByteClass;

    fn members(class: ByteClass) -> Vec<u8> {
        (0..=u8::MAX).filter(|&byte| class.holds(byte)).collect()
    }

    #[test]
    fn each_class_holds_the_bytes_its_grammar_names() {
        let mut token: Vec<u8> = (b'0'..=b'9')
            .chain(b'A'..=b'Z')
            .chain(b'a'..=b'z')
            .collect();
        token.extend_from_slice(b"!#$%&'*+-.^_`|~");
        token.sort_unstable();
        assert_eq!(members(ByteClass::TOKEN), token);
        let target: Vec<u8> = (b'!'..=0x7e).chain(0x80..=0xff).collect();
        assert_eq!(members(ByteClass::TARGET), target);
        let value: Vec<u8> = [b'\t']
            .into_iter()
            .chain(b' '..=0x7e)
            .chain(0x80..=0xff)
            .collect();
        assert_eq!(members(ByteClass::VALUE), value);
        assert_eq!(members(ByteClass::BEYOND_NAME), b"#%/?".to_vec());
    }
}
