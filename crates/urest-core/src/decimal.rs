//! Decimal numbers in fixed point: `21.5` without floating point.
//!
//! A decimal attribute is an integer count of units of `10^-scale`: with
//! scale 1, `21.5` is 215 units. Writing and reading them is integer
//! arithmetic on digits, so a firmware never links float parsing or
//! formatting for them.

use core::fmt;

use serde::{Serialize, Serializer};

/// The largest scale (digits after the point) a decimal may have.
pub const MAX_SCALE: u8 = 9;

/// A decimal in units of `10^-SCALE`, for a field of a
/// [`state!`](crate::state!): `Decimal<1>(215)` reads `21.5`.
///
/// `SCALE` is at most [`MAX_SCALE`] (larger scales are treated as that).
///
/// ```
/// use urest_core::decimal::Decimal;
///
/// let celsius: Decimal<1> = Decimal(215);
/// assert_eq!(celsius.to_string(), "21.5");
/// assert_eq!(Decimal::<2>(-5).to_string(), "-0.05");
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Decimal<const SCALE: u8>(pub i64);

impl<const SCALE: u8> Decimal<SCALE> {
    /// The value as a runtime-scaled [`Fixed`].
    pub const fn fixed(self) -> Fixed {
        Fixed::new(self.0, SCALE)
    }
}

impl<const SCALE: u8> fmt::Display for Decimal<SCALE> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fixed().fmt(f)
    }
}

/// A decimal with its scale carried at run time: what an attribute
/// [`Value`](crate::attributes::Value) holds.
///
/// Written as a bare JSON number: by urest's
/// [`JsonWriter`](crate::json::JsonWriter), and by its serde `Serialize`
/// through `serialize_bytes`, which serde-json-core copies as it is.
///
/// ```
/// use urest_core::decimal::Fixed;
///
/// assert_eq!(Fixed::new(2150, 2).to_string(), "21.50");
/// assert_eq!(Fixed::parse(b"21.5", 2), Ok(Fixed::new(2150, 2)));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Fixed {
    /// The value in units of `10^-scale`.
    pub units: i64,
    /// Digits after the point, at most [`MAX_SCALE`].
    pub scale: u8,
}

/// Why text is not a decimal of the wanted scale.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ParseError {
    /// Not a plain decimal number (`21`, `-0.5`); exponents are refused too.
    NotDecimal,
    /// A decimal with more significant digits after the point than the
    /// scale keeps, or too large for the units.
    NotRepresentable,
}

const fn power_of_ten(scale: u8) -> u64 {
    let mut power = 1u64;
    let mut left = if scale > MAX_SCALE { MAX_SCALE } else { scale };
    while left > 0 {
        power *= 10;
        left -= 1;
    }
    power
}

/// The largest magnitude an `i64` of that sign holds: `i64::MIN`'s is one
/// more than `i64::MAX`'s.
pub(crate) fn magnitude_limit(negative: bool) -> u64 {
    i64::MAX.unsigned_abs() + u64::from(negative)
}

/// `number` with the ASCII digit `digit` written after it, if that is at
/// most `limit`. The multiplication's overflow is ruled out by comparing
/// with a constant, not found by a checked 64-bit multiplication: a
/// Cortex-M0 multiplies 64 bits in software, and checking took two.
/// Shared by the integers and the decimals of a body.
#[inline(never)]
pub(crate) fn append_digit(number: u64, digit: u8, limit: u64) -> Option<u64> {
    if number > u64::MAX / 10 {
        return None;
    }
    let next = (number * 10).checked_add(u64::from(digit - b'0'))?;
    (next <= limit).then_some(next)
}

/// The `i64` of a magnitude at most [`magnitude_limit`] of its sign.
pub(crate) fn signed(magnitude: u64, negative: bool) -> i64 {
    if negative {
        0i64.wrapping_sub_unsigned(magnitude)
    } else {
        0i64.wrapping_add_unsigned(magnitude)
    }
}

impl Fixed {
    /// `units` of `10^-scale` (a scale over [`MAX_SCALE`] is taken as that).
    pub const fn new(units: i64, scale: u8) -> Self {
        Fixed {
            units,
            scale: if scale > MAX_SCALE { MAX_SCALE } else { scale },
        }
    }

    /// Read a JSON number such as `21`, `21.5` or `-0.25` in units of
    /// `10^-scale`. Trailing zeros past the scale are fine; other digits
    /// past it are refused rather than rounded.
    pub fn parse(text: &[u8], scale: u8) -> Result<Fixed, ParseError> {
        let scale = Fixed::new(0, scale).scale;
        let (negative, digits) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
            Some(point) => (
                digits.get(..point).unwrap_or_default(),
                digits.get(point + 1..),
            ),
            None => (digits, None),
        };
        let is_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
        if !is_digits(whole) || fraction.is_some_and(|part| !is_digits(part)) {
            return Err(ParseError::NotDecimal);
        }
        let fraction = fraction.unwrap_or_default();
        let kept_len = fraction.len().min(usize::from(scale));
        let (kept, dropped) = fraction.split_at_checked(kept_len).unwrap_or_default();
        if dropped.iter().any(|&b| b != b'0') {
            return Err(ParseError::NotRepresentable);
        }
        // The whole digits, the fraction's kept digits and zeros up to the
        // scale, each appended by one out-of-line call.
        let limit = magnitude_limit(negative);
        let mut units: u64 = 0;
        let zeros = [b'0'; MAX_SCALE as usize];
        let padding = zeros.get(kept_len..usize::from(scale)).unwrap_or_default();
        for part in [whole, kept, padding] {
            for &digit in part {
                units = append_digit(units, digit, limit).ok_or(ParseError::NotRepresentable)?;
            }
        }
        Ok(Fixed::new(signed(units, negative), scale))
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; 24];
        f.write_str(self.write(&mut text))
    }
}

impl Fixed {
    /// The decimal as text (as `Display` writes it, without `core::fmt`),
    /// written from the end of `text` back: at most 21 bytes (sign, 19
    /// digits, point).
    ///
    /// ```
    /// use urest_core::decimal::Fixed;
    ///
    /// let mut text = [0u8; 24];
    /// assert_eq!(Fixed::new(-2150, 2).write(&mut text), "-21.50");
    /// ```
    pub fn write(self, text: &mut [u8; 24]) -> &str {
        let mut rest = self.units.unsigned_abs();
        let mut at = text.len();
        let mut put = |byte: u8| {
            // Never short: at most 19 digits, a point and a sign.
            if let Some(next) = at.checked_sub(1) {
                at = next;
                if let Some(slot) = text.get_mut(next) {
                    *slot = byte;
                }
            }
        };
        // One loop from the last digit: `scale` of them after the point,
        // then the point, then at least one before it. No split into whole
        // and fraction first, which is two more 64-bit divisions.
        let mut digits = 0u8;
        loop {
            if digits == self.scale && digits > 0 {
                put(b'.');
            }
            put(b'0' + (rest % 10) as u8);
            rest /= 10;
            digits += 1;
            if rest == 0 && digits > self.scale {
                break;
            }
        }
        if self.units < 0 {
            put(b'-');
        }
        // Only ASCII digits, '.' and '-' were written.
        core::str::from_utf8(text.get(at..).unwrap_or_default()).unwrap_or("0")
    }
}

impl Serialize for Fixed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = [0u8; 24];
        serializer.serialize_bytes(self.write(&mut text).as_bytes())
    }
}

/// How many decimal digits `number` has (`0` has one), counted by
/// comparison rather than division: a Cortex-M0 divides in software.
///
/// ```
/// use urest_core::decimal::digit_count;
///
/// assert_eq!(digit_count(0), 1);
/// assert_eq!(digit_count(99), 2);
/// assert_eq!(digit_count(100), 3);
/// assert_eq!(digit_count(u64::MAX), 20);
/// ```
#[inline(always)]
pub const fn digit_count(number: u64) -> usize {
    let mut count = 1;
    let mut bound = 10u64;
    // 10^19 is the last power of ten a u64 holds.
    while count < 20 && number >= bound {
        count += 1;
        bound = bound.wrapping_mul(10);
    }
    count
}

/// Write the decimal digits of `number` into `into`, from its last byte
/// back: with `into` [`digit_count`] bytes long, exactly the number.
/// Written in place, with no scratch array to copy from, and in 32-bit
/// arithmetic where the number fits (cheaper on small chips; most do).
///
/// ```
/// use urest_core::decimal::{digit_count, write_digits};
///
/// let mut text = [0u8; 20];
/// let len = digit_count(4096);
/// write_digits(&mut text[..len], 4096);
/// assert_eq!(&text[..len], b"4096");
/// ```
#[inline(always)]
pub fn write_digits(into: &mut [u8], number: u64) {
    match u32::try_from(number) {
        Ok(mut rest) => {
            for slot in into.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
        }
        Err(_) => {
            let mut rest = number;
            for slot in into.iter_mut().rev() {
                *slot = b'0' + (rest % 10) as u8;
                rest /= 10;
            }
        }
    }
}

/// `value` in units of `10^-scale`, rounded half away from zero, for
/// compile-time bounds such as `[range 5.0..=30.0]`.
#[doc(hidden)]
pub const fn units_of(value: f64, scale: u8) -> i64 {
    let scaled = value * power_of_ten(scale) as f64;
    if scaled < 0.0 {
        (scaled - 0.5) as i64
    } else {
        (scaled + 0.5) as i64
    }
}
