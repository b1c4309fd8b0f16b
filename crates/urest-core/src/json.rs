//! JSON text written straight into a byte buffer, without serde.
//!
//! Every body urest sends is a small object whose shape is known in
//! advance, so it is written piece by piece: fixed text (keys, braces and
//! commas) as it stands, values through the typed methods. serde's
//! serializer compiled one copy of its map machinery per value type; this
//! is one small body per kind of value. The bytes are the ones
//! serde-json-core 0.7 writes for the same values (no whitespace, strings
//! escaped the same way), which the tests hold it to.
//!
//! A piece that does not fit is not written and the writer remembers it,
//! so a body is a run of calls with no error to look at after each; the
//! caller asks once, at [`finish`](JsonWriter::finish).
//!
//! ```
//! use urest_core::json::JsonWriter;
//!
//! let mut buffer = [0u8; 64];
//! let mut out = JsonWriter::new(&mut buffer);
//! out.raw(br#"{"name":"#);
//! out.string("a \"quoted\" word");
//! out.raw(br#","count":"#);
//! out.integer(-12);
//! out.raw(b"}");
//! let len = out.finish().unwrap();
//! assert_eq!(&buffer[..len], br#"{"name":"a \"quoted\" word","count":-12}"#);
//! ```

use crate::attributes::{Attributes, Value};
use crate::decimal::{digit_count, write_digits, Fixed};

/// The buffer ran out of room before the end of the text.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Full;

/// Appends JSON text to a byte buffer while it fits.
#[derive(Debug)]
pub struct JsonWriter<'b> {
    buffer: &'b mut [u8],
    len: usize,
    full: bool,
}

impl<'b> JsonWriter<'b> {
    /// A writer that starts at the beginning of `buffer`.
    pub fn new(buffer: &'b mut [u8]) -> Self {
        JsonWriter {
            buffer,
            len: 0,
            full: false,
        }
    }

    /// How many bytes were written, or [`Full`] if any piece did not fit.
    pub fn finish(self) -> Result<usize, Full> {
        if self.full {
            Err(Full)
        } else {
            Ok(self.len)
        }
    }

    /// `text` as it stands: keys, braces, commas, or JSON written
    /// elsewhere. Out of line: a body is mostly calls of this, and each
    /// inlined copy of its bounds check and copy cost more than the call.
    #[inline(never)]
    pub fn raw(&mut self, text: &[u8]) {
        self.put(text);
    }

    /// [`raw`](Self::raw), inlined: for the pieces of a noun's state (the
    /// body every `GET` writes) and of strings and numbers, where the call
    /// cost more time than its few copies of the code cost room.
    #[inline(always)]
    fn put(&mut self, text: &[u8]) {
        let room = self
            .len
            .checked_add(text.len())
            .and_then(|end| self.buffer.get_mut(self.len..end));
        match room {
            Some(room) => {
                room.copy_from_slice(text);
                self.len += text.len();
            }
            None => self.full = true,
        }
    }

    /// `text` as a JSON string: quoted, with `"`, `\` and control
    /// characters escaped (`\n` and the like where JSON has a short form,
    /// `\u00XX` in upper-case hex otherwise), everything else as it is.
    pub fn string(&mut self, text: &str) {
        self.raw(b"\"");
        self.string_inside(text);
        self.raw(b"\"");
    }

    /// What [`string`](Self::string) writes between the quotes. Most
    /// text needs no escape (keys, names, a policy): it is copied in one
    /// pass into room taken once, each byte checked as it goes; from the
    /// first byte that needs an escape on, a byte at a time.
    /// Inlined: once into `string`, once where a state's keys are written.
    #[inline(always)]
    fn string_inside(&mut self, text: &str) {
        let mut rest = text.as_bytes();
        let room = self
            .len
            .checked_add(rest.len())
            .and_then(|end| self.buffer.get_mut(self.len..end));
        if let Some(room) = room {
            let mut copied = 0;
            for (slot, &byte) in room.iter_mut().zip(rest) {
                if needs_escape(byte) {
                    break;
                }
                *slot = byte;
                copied += 1;
            }
            self.len += copied;
            rest = rest.get(copied..).unwrap_or_default();
        }
        for &byte in rest {
            if needs_escape(byte) {
                self.escape(byte);
            } else {
                match self.buffer.get_mut(self.len) {
                    Some(slot) => {
                        *slot = byte;
                        self.len += 1;
                    }
                    None => self.full = true,
                }
            }
        }
    }

    /// One byte that [`needs_escape`], escaped.
    fn escape(&mut self, byte: u8) {
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0c => b'f',
            b'\r' => b'r',
            _ => {
                let hex = |nibble: u8| HEX_DIGITS.get(usize::from(nibble & 0x0f)).copied();
                let (high, low) = (hex(byte >> 4), hex(byte));
                self.raw(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    high.unwrap_or(b'0'),
                    low.unwrap_or(b'0'),
                ]);
                return;
            }
        };
        self.raw(&[b'\\', short]);
    }

    /// `number` in decimal digits.
    pub fn unsigned(&mut self, number: u64) {
        self.put_digits(number);
    }

    /// [`unsigned`](Self::unsigned), inlined where a state's integers are
    /// written. The digits are counted first and then written straight
    /// into the buffer, from the last: no copy from a scratch array.
    #[inline(always)]
    fn put_digits(&mut self, number: u64) {
        let count = digit_count(number);
        let room = self
            .len
            .checked_add(count)
            .and_then(|end| self.buffer.get_mut(self.len..end));
        match room {
            Some(room) => {
                write_digits(room, number);
                self.len += count;
            }
            None => self.full = true,
        }
    }

    /// `number` in decimal digits, after a `-` if it is negative.
    pub fn integer(&mut self, number: i64) {
        if number < 0 {
            self.raw(b"-");
        }
        self.unsigned(number.unsigned_abs());
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, value: bool) {
        self.raw(if value { b"true" } else { b"false" });
    }

    /// A decimal as a bare JSON number, with the digits its scale keeps.
    pub fn decimal(&mut self, number: Fixed) {
        let mut text = [0u8; 24];
        self.raw(number.write(&mut text).as_bytes());
    }

    /// One attribute's value.
    #[inline]
    pub fn value(&mut self, value: &Value) {
        match value {
            Value::Int(number) => self.integer(*number),
            Value::Bool(flag) => self.boolean(*flag),
            Value::Str(text) => self.string(text),
            Value::Decimal(number) => self.decimal(*number),
        }
    }

    /// `attributes` as one object, in their order: `{"key":value,..}`.
    pub fn attributes(&mut self, attributes: &Attributes) {
        let mut first = true;
        for (key, value) in attributes.iter() {
            // Each key's opening quote goes with the brace or comma before
            // it, and each piece is a constant, which an inlined copy
            // writes without a call.
            if first {
                self.put(b"{\"");
            } else {
                self.put(b",\"");
            }
            first = false;
            self.string_inside(key);
            self.put(b"\":");
            self.value(value);
        }
        if first {
            // No attribute, so no key opened the object.
            self.put(b"{");
        }
        self.put(b"}");
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Whether JSON needs `byte` escaped in a string. Bytes of multi-byte
/// characters never do: they are all 0x80 or above.
fn needs_escape(byte: u8) -> bool {
    byte == b'"' || byte == b'\\' || byte < 0x20
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attributes::Attributes;

    fn written(write: impl FnOnce(&mut JsonWriter<'_>)) -> heapless::Vec<u8, 256> {
        let mut buffer = [0u8; 256];
        let mut out = JsonWriter::new(&mut buffer);
        write(&mut out);
        let len = out.finish().unwrap();
        heapless::Vec::from_slice(&buffer[..len]).unwrap()
    }

    fn serde_of<T: serde::Serialize + ?Sized>(value: &T) -> heapless::Vec<u8, 256> {
        let mut buffer = [0u8; 256];
        let len = serde_json_core::to_slice(value, &mut buffer).unwrap();
        heapless::Vec::from_slice(&buffer[..len]).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_core_escapes_them() {
        // Every ASCII character, alone and between others, and a few
        // multi-byte ones.
        for code in 0u32..0x80 {
            let c = char::from_u32(code).unwrap();
            let mut alone = heapless::String::<8>::new();
            alone.push(c).unwrap();
            assert_eq!(written(|out| out.string(&alone)), serde_of(alone.as_str()));
            let mut between = heapless::String::<8>::new();
            for part in ['z', c, 'a'] {
                between.push(part).unwrap();
            }
            assert_eq!(
                written(|out| out.string(&between)),
                serde_of(between.as_str())
            );
        }
        for text in ["", "é", "€\n\"x\\", "\u{1f600}\u{7f}\u{1f}", "plain text"] {
            assert_eq!(written(|out| out.string(text)), serde_of(text));
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_core_writes_them() {
        for number in [0, 1, -1, 9, 10, -10, 65_535, i64::MAX, i64::MIN] {
            assert_eq!(written(|out| out.integer(number)), serde_of(&number));
        }
        for number in [0, 7, 10, 4_294_967_295, u64::MAX] {
            assert_eq!(written(|out| out.unsigned(number)), serde_of(&number));
        }
        for (units, scale) in [(0, 0), (271, 1), (-5, 2), (i64::MIN, 3), (i64::MAX, 18)] {
            let number = Fixed::new(units, scale);
            assert_eq!(written(|out| out.decimal(number)), serde_of(&number));
        }
        assert_eq!(written(|out| out.boolean(true)), serde_of(&true));
        assert_eq!(written(|out| out.boolean(false)), serde_of(&false));
    }

    #[test]
    fn attributes_are_written_as_serde_json_core_writes_them() {
        let mut attributes = Attributes::new();
        assert_eq!(
            written(|out| out.attributes(&attributes)),
            serde_of(&attributes)
        );
        attributes.set("led", Value::Int(-3)).unwrap();
        attributes.set("on", Value::Bool(true)).unwrap();
        attributes
            .set("na\"me\n", Value::text("a\tb\u{1}é"))
            .unwrap();
        attributes
            .set("celsius", Value::Decimal(Fixed::new(-271, 1)))
            .unwrap();
        assert_eq!(
            written(|out| out.attributes(&attributes)),
            serde_of(&attributes)
        );
    }

    #[test]
    fn a_piece_that_does_not_fit_is_remembered() {
        let mut buffer = [0u8; 4];
        let mut out = JsonWriter::new(&mut buffer);
        out.raw(b"abc");
        out.raw(b"de");
        out.raw(b"f");
        assert_eq!(out.finish(), Err(Full));
        for len in 0..8 {
            let mut buffer = [0u8; 8];
            let mut out = JsonWriter::new(&mut buffer[..len]);
            out.string("a\nb");
            assert_eq!(out.finish().is_ok(), len >= 6, "{len}");
        }
    }
}
