//! Entity tags and the conditional request headers (RFC 9110 §8.8.3, §13).
//!
//! A noun's entity tag is its strong validator from urest-core, as sixteen
//! lower-case hexadecimal digits in quotes.

/// `"` + 16 hex digits + `"`.
pub(crate) const ETAG_LEN: usize = 18;

/// The entity tag of validator `value`, written without `core::fmt`.
pub(crate) fn render(value: u64) -> [u8; ETAG_LEN] {
    // The sixteen digits in order, eight from each half of the value,
    // placed by name: no loop, no index to check.
    let [a, b, c, d, e, f, g, h] = hex_digits((value >> 32) as u32);
    let [i, j, k, l, m, n, o, p] = hex_digits(value as u32);
    [b'"', a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, b'"']
}

/// The eight lower-case hex digits of `half`, most significant first,
/// worked out for all eight at once in one 64-bit word: three spreading
/// steps and one conversion for eight digits (on a Cortex-M0, which does
/// 64-bit arithmetic as two 32-bit halves, as few operations as four
/// digits at a time in 32 bits).
fn hex_digits(half: u32) -> [u8; 8] {
    // Spread the nibbles one to a byte, keeping their order: 0x12345678
    // becomes 0x0102030405060708.
    let mut word = u64::from(half);
    word = (word | (word << 16)) & 0x0000_ffff_0000_ffff;
    word = (word | (word << 8)) & 0x00ff_00ff_00ff_00ff;
    word = (word | (word << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // '0' + nibble, and 'a' - '0' - 10 = 39 more where the nibble is 10
    // or more (adding 6 carries exactly those into bit 4); no byte
    // overflows into the next. The 39s are masked in, not multiplied: a
    // Cortex-M0 multiplies 64 bits in software.
    let letters = ((word + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    // Each letter byte becomes 0xff: its 1 shifted into the next byte, less
    // itself (the top one borrows past the word, which wrapping allows).
    let where_letters = (letters << 8).wrapping_sub(letters);
    (word + 0x3030_3030_3030_3030 + (where_letters & 0x2727_2727_2727_2727)).to_be_bytes()
}

/// How two entity tags are compared.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Comparison {
    /// Both must be strong and equal (`If-Match`).
    Strong,
    /// Equal once any `W/` is set aside (`If-None-Match`).
    Weak,
}

/// Whether the field value `list` (`*`, or entity tags separated by
/// commas) matches the current strong tag `current`. A list that cannot be
/// read matches nothing.
pub(crate) fn list_matches(list: &[u8], current: u64, comparison: Comparison) -> bool {
    let list = list.trim_ascii();
    if list == b"*" {
        return true;
    }
    let ours = render(current);
    let mut rest = list;
    loop {
        rest = trim_start(rest);
        let weak = rest.len() >= 2 && rest.get(..2) == Some(b"W/".as_slice());
        if weak {
            rest = rest.get(2..).unwrap_or_default();
        }
        // An opaque tag: a quote, characters other than quotes, a quote.
        if rest.first() != Some(&b'"') {
            return false;
        }
        let Some(close) = rest.iter().skip(1).position(|&byte| byte == b'"') else {
            return false;
        };
        let end = close + 2;
        let tag = rest.get(..end).unwrap_or_default();
        let strong_enough = comparison == Comparison::Weak || !weak;
        if strong_enough && tag == ours.as_slice() {
            return true;
        }
        rest = trim_start(rest.get(end..).unwrap_or_default());
        match rest.split_first() {
            None => return false,
            Some((b',', after)) => rest = after,
            Some(_) => return false,
        }
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_start()
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn tags_are_sixteen_hex_digits_in_quotes() {
        assert_eq!(&render(0x1f), b"\"000000000000001f\"");
        assert_eq!(&render(u64::MAX), b"\"ffffffffffffffff\"");
        let mut value = 0x0123_4567_89ab_cdef_u64;
        for _ in 0..10_000 {
            let tag = render(value);
            assert_eq!(
                std::str::from_utf8(&tag),
                Ok(format!("\"{value:016x}\"").as_str())
            );
            value = value
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
        }
    }

    #[test]
    fn lists_match_by_the_comparison_asked_for() {
        let tag = 0xabc;
        let ours = "\"0000000000000abc\"";
        let weak = "W/\"0000000000000abc\"";
        let other = "\"0000000000000abd\"";
        for (list, strong, weak_match) in [
            ("*", true, true),
            (ours, true, true),
            (weak, false, true),
            (other, false, false),
            ("\"x\", W/\"y\" , \"0000000000000abc\"", true, true),
            ("\"x\" , W/\"0000000000000abc\"", false, true),
            ("0000000000000abc", false, false),
            ("\"0000000000000abc", false, false),
            ("", false, false),
        ] {
            let list = list.as_bytes();
            assert_eq!(
                list_matches(list, tag, Comparison::Strong),
                strong,
                "{list:?}"
            );
            assert_eq!(
                list_matches(list, tag, Comparison::Weak),
                weak_match,
                "{list:?}"
            );
        }
    }
}
