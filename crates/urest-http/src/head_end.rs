//! Spotting the end of a request head in bytes that arrive in pieces.

/// Watches a byte stream for the blank line that ends an HTTP request head.
///
/// Lenient as HTTP/1.1 parsers are: `\r` is ignored, so `\r\n\r\n`,
/// `\n\n` and `\n\r\n` all end the head. Used to answer a turned-away
/// client only once it has sent its request, so the answer is not
/// unsolicited.
///
/// ```
/// use urest_http::HeadEnd;
///
/// let mut head = HeadEnd::default();
/// assert!(!head.feed(b"GET / HTTP/1.1\r\nHost: board\r"));
/// assert!(head.feed(b"\n\r\n"));
/// assert!(head.is_complete());
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeadEnd {
    /// Line feeds in a row, `\r` aside; two end the head.
    line_feeds: u8,
}

impl HeadEnd {
    /// Take the next bytes of the stream; returns whether the head has
    /// ended (now or before).
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        for &byte in bytes {
            if self.is_complete() {
                break;
            }
            match byte {
                b'\n' => self.line_feeds += 1,
                b'\r' => {}
                _ => self.line_feeds = 0,
            }
        }
        self.is_complete()
    }

    /// Whether the blank line has been seen.
    pub fn is_complete(&self) -> bool {
        self.line_feeds >= 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends_when_fed_in(pieces: &[&[u8]]) -> Option<usize> {
        let mut head = HeadEnd::default();
        pieces.iter().position(|piece| head.feed(piece))
    }

    #[test]
    fn the_blank_line_ends_the_head_however_it_is_split() {
        let request = b"PUT /led0 HTTP/1.1\r\nHost: b\r\n\r\n{\"led\":1}";
        for split in 0..request.len() {
            let (first, second) = request.split_at(split);
            let end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let expected = if split >= end { Some(0) } else { Some(1) };
            assert_eq!(
                ends_when_fed_in(&[first, second]),
                expected,
                "split at {split}"
            );
        }
    }

    #[test]
    fn bare_line_feeds_end_it_too() {
        assert_eq!(ends_when_fed_in(&[b"GET / HTTP/1.0\n\n"]), Some(0));
        assert_eq!(ends_when_fed_in(&[b"GET / HTTP/1.0\n\r\n"]), Some(0));
    }

    #[test]
    fn a_single_line_break_does_not() {
        assert_eq!(
            ends_when_fed_in(&[b"GET / HTTP/1.1\r\n", b"Host: b\r\n"]),
            None
        );
        assert_eq!(ends_when_fed_in(&[b""]), None);
    }
}
