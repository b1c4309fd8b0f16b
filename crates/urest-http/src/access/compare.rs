//! Comparing secrets without telling a timing observer where they differ.

use core::hint::black_box;

/// Whether `presented` equals `secret`, taking the same time wherever the
/// two first differ.
///
/// Every byte of `secret` is looked at whatever `presented` holds, and the
/// differences are folded together without an early exit, so the time taken
/// depends on the length of `secret` (and on whether `presented` is shorter,
/// which says no more than the lengths differ), never on how many leading
/// bytes a guess got right.
///
/// ```
/// use urest_http::constant_time_eq;
///
/// assert!(constant_time_eq(b"s3cret", b"s3cret"));
/// assert!(!constant_time_eq(b"s3cret", b"s3creT"));
/// assert!(!constant_time_eq(b"s3cret", b"s3cre"));
/// assert!(!constant_time_eq(b"", b"x"));
/// ```
pub fn constant_time_eq(presented: &[u8], secret: &[u8]) -> bool {
    let mut difference = u8::from(presented.len() != secret.len());
    for (index, wanted) in secret.iter().enumerate() {
        // Past the end of a shorter guess, compare with the secret's own
        // complement: always different, and the same work as a real byte.
        let given = presented.get(index).copied().unwrap_or(!*wanted);
        difference |= black_box(given ^ *wanted);
    }
    black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_only_when_every_byte_and_the_length_agree() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abd", b"abc"));
        assert!(!constant_time_eq(b"xbc", b"abc"));
        assert!(!constant_time_eq(b"ab", b"abc"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"abc", b""));
        // A guess that is the secret plus a suffix is not the secret.
        assert!(!constant_time_eq(b"abc\0", b"abc"));
    }

    #[test]
    fn every_single_byte_change_is_noticed() {
        let secret = *b"0123456789abcdef";
        for index in 0..secret.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut guess = secret;
                guess[index] ^= flip;
                assert!(!constant_time_eq(&guess, &secret), "{index} {flip}");
            }
        }
    }
}
