//! Entity tags and the conditional request headers (RFC 9110 §8.8.3, §13).
//!
//! A noun's entity tag is its strong validator from urest-core, as sixteen
//! lower-case hexadecimal digits in quotes.

/// `"` + 16 hex digits + `"`.
pub(crate) const ETAG_LEN: usize = 18;

/// The entity tag of validator `value`, written without `core::fmt`.
pub(crate) fn render(value: u64) -> [u8; ETAG_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tag = [b'"'; ETAG_LEN];
    // A byte of the value, most significant first, gives two digits: eight
    // table look-ups of a nibble each, with no branch per digit.
    let digits = tag.get_mut(1..17).unwrap_or_default();
    for (pair, byte) in digits.chunks_exact_mut(2).zip(value.to_be_bytes()) {
        if let [high, low] = pair {
            *high = HEX[usize::from(byte >> 4)];
            *low = HEX[usize::from(byte & 0xf)];
        }
    }
    tag
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
    use super::*;

    #[test]
    fn tags_are_sixteen_hex_digits_in_quotes() {
        assert_eq!(&render(0x1f), b"\"000000000000001f\"");
        assert_eq!(&render(u64::MAX), b"\"ffffffffffffffff\"");
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
