//! From an `embedded-hal` duty cycle to the word the nRF PWM reads for a channel.
//!
//! The PWM's decoder reads one 16-bit word per channel: bits 14..0 are the
//! compare value, bit 15 the edge polarity. With bit 15 set the output is
//! high while the counter is below the compare value, with it clear it is
//! low; the rest of the period it is the other level. A compare value above
//! the counter top makes no edge at all, so the first level is held for the
//! whole period. (embassy-nrf's `DutyCycle::inverted` is the bit-15-set
//! word, `DutyCycle::normal` the clear one.)
//!
//! So a duty `d` out of `top` lights the LED for `d` counts of each period
//! when the word's first level is the LED's lit level and its compare value
//! is `d`; full duty uses [`HOLD`] so the LED stays lit without a one-count
//! gap. The mapping is the same for the up and the up-and-down counter.

use core::fmt;

use crate::Polarity;

/// The smallest counter top the PWM accepts.
pub const TOP_MIN: u16 = 3;

/// The largest counter top this crate accepts: one below the hardware's
/// 32767, so that [`HOLD`] is above it and full duty makes no edge.
pub const TOP_MAX: u16 = 32_766;

/// The compare value of full duty: above every accepted top, so the first
/// level of the word is held for the whole period.
pub const HOLD: u16 = 0x7FFF;

/// Bit 15 of a word: the output starts the period high.
const STARTS_HIGH: u16 = 0x8000;

/// A duty cycle above [`DutyMap::max_duty`]. Nothing was written.
///
/// ```
/// use urest_nrf::{DutyError, DutyMap, Polarity};
///
/// let map = DutyMap::new(1_000, Polarity::ActiveLow).unwrap();
/// assert_eq!(map.word(1_001), Err(DutyError { duty: 1_001, max: 1_000 }));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DutyError {
    /// The duty cycle asked for.
    pub duty: u16,
    /// The largest duty cycle the channel takes.
    pub max: u16,
}

impl fmt::Display for DutyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "duty cycle {} is above the maximum {}",
            self.duty, self.max
        )
    }
}

impl embedded_hal::pwm::Error for DutyError {
    fn kind(&self) -> embedded_hal::pwm::ErrorKind {
        embedded_hal::pwm::ErrorKind::Other
    }
}

/// A counter top outside [`TOP_MIN`]`..=`[`TOP_MAX`].
///
/// ```
/// use urest_nrf::{DutyMap, Polarity, TopError};
///
/// assert_eq!(DutyMap::new(2, Polarity::ActiveLow), Err(TopError { top: 2 }));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TopError {
    /// The counter top found.
    pub top: u16,
}

impl fmt::Display for TopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PWM counter top {} is outside {}..={}",
            self.top, TOP_MIN, TOP_MAX
        )
    }
}

/// How one channel turns duty cycles into words: the counter top (which is
/// also the largest duty cycle) and the LED's polarity.
///
/// ```
/// use urest_nrf::{DutyMap, Polarity};
///
/// let map = DutyMap::new(1_600, Polarity::ActiveLow).unwrap();
/// assert_eq!(map.max_duty(), 1_600);
/// assert_eq!(map.word(0).unwrap(), 0); // starts low, rises at once: held high, dark
/// assert_eq!(map.word(400).unwrap(), 400); // low (lit) for 400 of 1600 counts
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DutyMap {
    top: u16,
    polarity: Polarity,
}

impl DutyMap {
    /// The map for a PWM whose counter top is `top`, driving an LED wired
    /// with `polarity`.
    ///
    /// ```
    /// use urest_nrf::{DutyMap, Polarity};
    ///
    /// assert!(DutyMap::new(3, Polarity::ActiveHigh).is_ok());
    /// assert!(DutyMap::new(32_767, Polarity::ActiveHigh).is_err());
    /// ```
    pub const fn new(top: u16, polarity: Polarity) -> Result<Self, TopError> {
        if top < TOP_MIN || top > TOP_MAX {
            return Err(TopError { top });
        }
        Ok(DutyMap { top, polarity })
    }

    /// The largest duty cycle: the counter top.
    ///
    /// ```
    /// use urest_nrf::{DutyMap, Polarity};
    ///
    /// assert_eq!(DutyMap::new(255, Polarity::ActiveHigh).unwrap().max_duty(), 255);
    /// ```
    pub const fn max_duty(&self) -> u16 {
        self.top
    }

    /// How the LED is wired.
    ///
    /// ```
    /// use urest_nrf::{DutyMap, Polarity};
    ///
    /// let map = DutyMap::new(255, Polarity::ActiveLow).unwrap();
    /// assert_eq!(map.polarity(), Polarity::ActiveLow);
    /// ```
    pub const fn polarity(&self) -> Polarity {
        self.polarity
    }

    /// The word that lights the LED for `duty` counts of every period.
    ///
    /// ```
    /// use urest_nrf::{DutyMap, Polarity, HOLD};
    ///
    /// let map = DutyMap::new(1_000, Polarity::ActiveHigh).unwrap();
    /// assert_eq!(map.word(250).unwrap(), 0x8000 | 250); // starts high, falls at 250
    /// assert_eq!(map.word(1_000).unwrap(), 0x8000 | HOLD); // held high
    /// assert!(map.word(1_001).is_err());
    /// ```
    pub const fn word(&self, duty: u16) -> Result<u16, DutyError> {
        if duty > self.top {
            return Err(DutyError {
                duty,
                max: self.top,
            });
        }
        let compare = if duty == self.top { HOLD } else { duty };
        Ok(compare | self.first_level())
    }

    /// The word that keeps the LED dark: [`word`](Self::word)`(0)`.
    ///
    /// ```
    /// use urest_nrf::{DutyMap, Polarity};
    ///
    /// let map = DutyMap::new(1_000, Polarity::ActiveLow).unwrap();
    /// assert_eq!(Ok(map.dark_word()), map.word(0));
    /// ```
    pub const fn dark_word(&self) -> u16 {
        self.first_level()
    }

    /// Bit 15 such that the period starts with the LED lit.
    const fn first_level(&self) -> u16 {
        if self.polarity.lit_is_high() {
            STARTS_HIGH
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The datasheet's wave counter in up mode, counted one tick at a time:
    /// for how many of the `top` counts of a period the pin is high.
    fn high_counts(word: u16, top: u16) -> u32 {
        let compare = word & 0x7FFF;
        let starts_high = word & 0x8000 != 0;
        (0..top)
            .filter(|&counter| (counter < compare) == starts_high)
            .count() as u32
    }

    fn lit_counts(word: u16, top: u16, polarity: Polarity) -> u32 {
        let high = high_counts(word, top);
        if polarity.lit_is_high() {
            high
        } else {
            u32::from(top) - high
        }
    }

    const POLARITIES: [Polarity; 2] = [Polarity::ActiveHigh, Polarity::ActiveLow];

    #[test]
    fn every_duty_lights_the_led_for_that_many_counts() {
        for top in [TOP_MIN, 4, 10, 255, 1_000, 1_600] {
            for polarity in POLARITIES {
                let map = DutyMap::new(top, polarity).unwrap();
                for duty in 0..=top {
                    let word = map.word(duty).unwrap();
                    assert_eq!(
                        lit_counts(word, top, polarity),
                        u32::from(duty),
                        "top {top}, {polarity:?}, duty {duty}, word {word:#06x}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_largest_top_still_reaches_both_ends() {
        for polarity in POLARITIES {
            let map = DutyMap::new(TOP_MAX, polarity).unwrap();
            assert_eq!(lit_counts(map.word(0).unwrap(), TOP_MAX, polarity), 0);
            assert_eq!(
                lit_counts(map.word(TOP_MAX).unwrap(), TOP_MAX, polarity),
                u32::from(TOP_MAX)
            );
            assert_eq!(
                lit_counts(map.word(TOP_MAX / 2).unwrap(), TOP_MAX, polarity),
                u32::from(TOP_MAX / 2)
            );
        }
    }

    #[test]
    fn full_duty_makes_no_edge() {
        for top in [TOP_MIN, 1_600, TOP_MAX] {
            for polarity in POLARITIES {
                let word = DutyMap::new(top, polarity).unwrap().word(top).unwrap();
                assert!(word & 0x7FFF > top, "the compare value must exceed the top");
            }
        }
    }

    #[test]
    fn active_low_dark_is_a_pin_held_high() {
        let map = DutyMap::new(1_600, Polarity::ActiveLow).unwrap();
        assert_eq!(high_counts(map.dark_word(), 1_600), 1_600);
        assert_eq!(high_counts(map.word(1_600).unwrap(), 1_600), 0);
    }

    #[test]
    fn polarity_is_only_bit_15() {
        for duty in [0, 1, 799, 1_599, 1_600] {
            let high = DutyMap::new(1_600, Polarity::ActiveHigh).unwrap();
            let low = DutyMap::new(1_600, Polarity::ActiveLow).unwrap();
            assert_eq!(high.word(duty).unwrap() ^ low.word(duty).unwrap(), 0x8000);
        }
    }

    #[test]
    fn duties_above_the_top_are_refused_not_clamped() {
        let map = DutyMap::new(1_000, Polarity::ActiveLow).unwrap();
        for duty in [1_001, 0x7FFF, 0x8000, u16::MAX] {
            assert_eq!(map.word(duty), Err(DutyError { duty, max: 1_000 }));
        }
    }

    #[test]
    fn tops_outside_the_range_are_refused() {
        for top in [0, 1, 2, TOP_MAX + 1, u16::MAX] {
            assert_eq!(
                DutyMap::new(top, Polarity::ActiveLow),
                Err(TopError { top })
            );
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            DutyError { duty: 7, max: 5 }.to_string(),
            "duty cycle 7 is above the maximum 5"
        );
        assert_eq!(
            TopError { top: 2 }.to_string(),
            "PWM counter top 2 is outside 3..=32766"
        );
    }
}
