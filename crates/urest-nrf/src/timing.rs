//! The PWM clock divider and counter top for a wanted frequency.
//!
//! The nRF52840 PWM counts `PWM_CLK` = 16 MHz / 2^n, n = 0..=7 (16 MHz down
//! to 125 kHz), from 0 to its counter top. In up mode one period is `top`
//! counts, so the frequency is `PWM_CLK / top` and a duty cycle has `top + 1`
//! levels. The up-and-down counter halves the frequency.

use core::fmt;

use crate::duty::{TOP_MAX, TOP_MIN};

/// The PWM's clock before the prescaler: the 16 MHz HFCLK.
pub const PWM_BASE_CLOCK_HZ: u32 = 16_000_000;

/// The largest prescaler exponent: 16 MHz / 2^7 = 125 kHz.
pub const PRESCALER_SHIFT_MAX: u8 = 7;

/// A frequency or divider the PWM cannot produce.
///
/// ```
/// use urest_nrf::{PwmTiming, TimingError};
///
/// assert_eq!(PwmTiming::for_frequency(0), Err(TimingError::TooSlow { hz: 0 }));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TimingError {
    /// Slower than 125 kHz / 32766 (about 3.8 Hz).
    TooSlow {
        /// The frequency asked for.
        hz: u32,
    },
    /// Faster than 16 MHz / 3 (about 5.3 MHz).
    TooFast {
        /// The frequency asked for.
        hz: u32,
    },
    /// A prescaler exponent above [`PRESCALER_SHIFT_MAX`].
    Prescaler {
        /// The exponent asked for.
        shift: u8,
    },
    /// A counter top outside [`TOP_MIN`]`..=`[`TOP_MAX`].
    Top {
        /// The top asked for.
        top: u16,
    },
}

impl fmt::Display for TimingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimingError::TooSlow { hz } => write!(f, "{hz} Hz is below the slowest PWM period"),
            TimingError::TooFast { hz } => write!(f, "{hz} Hz is above the fastest PWM period"),
            TimingError::Prescaler { shift } => write!(
                f,
                "PWM prescaler 2^{shift} is above 2^{PRESCALER_SHIFT_MAX}"
            ),
            TimingError::Top { top } => {
                write!(f, "PWM counter top {top} is outside {TOP_MIN}..={TOP_MAX}")
            }
        }
    }
}

/// A PWM clock divider and counter top: the frequency and resolution of
/// every channel of one instance.
///
/// ```
/// use urest_nrf::PwmTiming;
///
/// let timing = PwmTiming::for_frequency(1_000).unwrap();
/// assert_eq!((timing.prescaler_shift(), timing.top()), (0, 16_000));
/// assert_eq!(timing.frequency_hz(), 1_000);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PwmTiming {
    shift: u8,
    top: u16,
}

impl PwmTiming {
    /// 10 kHz with 1600 duty levels (16 MHz, top 1600): no flicker a camera
    /// or an eye can catch, fine enough steps for a fade, and a short period,
    /// which matters because a duty change waits for the period to end.
    ///
    /// ```
    /// use urest_nrf::PwmTiming;
    ///
    /// assert_eq!(PwmTiming::LED.frequency_hz(), 10_000);
    /// assert_eq!(PwmTiming::LED.top(), 1_600);
    /// ```
    pub const LED: PwmTiming = PwmTiming {
        shift: 0,
        top: 1_600,
    };

    /// Divide the 16 MHz clock by `2^shift` and count to `top`.
    ///
    /// ```
    /// use urest_nrf::{PwmTiming, TimingError};
    ///
    /// let slow = PwmTiming::new(7, 1_250).unwrap(); // 125 kHz / 1250
    /// assert_eq!(slow.frequency_hz(), 100);
    /// assert_eq!(PwmTiming::new(8, 1_250), Err(TimingError::Prescaler { shift: 8 }));
    /// assert_eq!(PwmTiming::new(0, 2), Err(TimingError::Top { top: 2 }));
    /// ```
    pub const fn new(shift: u8, top: u16) -> Result<Self, TimingError> {
        if shift > PRESCALER_SHIFT_MAX {
            return Err(TimingError::Prescaler { shift });
        }
        if top < TOP_MIN || top > TOP_MAX {
            return Err(TimingError::Top { top });
        }
        Ok(PwmTiming { shift, top })
    }

    /// The finest timing for `hz` in up mode: the smallest divider whose top
    /// fits, the top rounded to the nearest count (so the frequency may be a
    /// little off where 16 MHz / 2^n does not divide by `hz`).
    ///
    /// ```
    /// use urest_nrf::{PwmTiming, TimingError};
    ///
    /// assert_eq!(PwmTiming::for_frequency(100).unwrap().top(), 20_000); // 2 MHz / 100
    /// assert_eq!(PwmTiming::for_frequency(100).unwrap().prescaler_shift(), 3);
    /// assert_eq!(PwmTiming::for_frequency(3), Err(TimingError::TooSlow { hz: 3 }));
    /// assert_eq!(PwmTiming::for_frequency(8_000_000), Err(TimingError::TooFast { hz: 8_000_000 }));
    /// ```
    pub const fn for_frequency(hz: u32) -> Result<Self, TimingError> {
        if hz == 0 {
            return Err(TimingError::TooSlow { hz });
        }
        let mut shift = 0;
        while shift <= PRESCALER_SHIFT_MAX {
            let clock = PWM_BASE_CLOCK_HZ >> shift;
            // Rounded to nearest; clock + hz / 2 cannot overflow (both below 2^31).
            let top = (clock + hz / 2) / hz;
            if top < TOP_MIN as u32 {
                return Err(TimingError::TooFast { hz });
            }
            if top <= TOP_MAX as u32 {
                return Ok(PwmTiming {
                    shift,
                    top: top as u16,
                });
            }
            shift += 1;
        }
        Err(TimingError::TooSlow { hz })
    }

    /// The prescaler exponent n: the PWM counts at 16 MHz / 2^n.
    ///
    /// ```
    /// use urest_nrf::PwmTiming;
    ///
    /// assert_eq!(PwmTiming::LED.prescaler_shift(), 0);
    /// ```
    pub const fn prescaler_shift(&self) -> u8 {
        self.shift
    }

    /// The counter top: counts per period, and the largest duty cycle.
    ///
    /// ```
    /// use urest_nrf::PwmTiming;
    ///
    /// assert_eq!(PwmTiming::new(4, 1_000).unwrap().top(), 1_000);
    /// ```
    pub const fn top(&self) -> u16 {
        self.top
    }

    /// The rate the counter counts at, in Hz.
    ///
    /// ```
    /// use urest_nrf::PwmTiming;
    ///
    /// assert_eq!(PwmTiming::new(4, 1_000).unwrap().clock_hz(), 1_000_000);
    /// ```
    pub const fn clock_hz(&self) -> u32 {
        PWM_BASE_CLOCK_HZ >> self.shift
    }

    /// The PWM frequency in up mode, in Hz, rounded to the nearest.
    ///
    /// ```
    /// use urest_nrf::PwmTiming;
    ///
    /// assert_eq!(PwmTiming::new(4, 1_000).unwrap().frequency_hz(), 1_000);
    /// assert_eq!(PwmTiming::new(0, 3).unwrap().frequency_hz(), 5_333_333);
    /// ```
    pub const fn frequency_hz(&self) -> u32 {
        let top = self.top as u32;
        (self.clock_hz() + top / 2) / top
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn led_timing_is_ten_kilohertz_at_full_clock() {
        assert_eq!(PwmTiming::for_frequency(10_000), Ok(PwmTiming::LED));
    }

    #[test]
    fn the_finest_divider_is_chosen() {
        // 16 MHz / 500 Hz = 32000 fits the counter; no need to divide.
        let timing = PwmTiming::for_frequency(500).unwrap();
        assert_eq!((timing.prescaler_shift(), timing.top()), (0, 32_000));
        // 16 MHz / 400 Hz = 40000 does not; 8 MHz / 400 Hz = 20000 does.
        let timing = PwmTiming::for_frequency(400).unwrap();
        assert_eq!((timing.prescaler_shift(), timing.top()), (1, 20_000));
    }

    #[test]
    fn the_ends_of_the_range() {
        // 125 kHz / 32766 = 3.81 Hz: 4 Hz fits, 3 Hz does not.
        let slowest = PwmTiming::for_frequency(4).unwrap();
        assert_eq!((slowest.prescaler_shift(), slowest.top()), (7, 31_250));
        assert_eq!(
            PwmTiming::for_frequency(3),
            Err(TimingError::TooSlow { hz: 3 })
        );
        // 16 MHz / 3 rounds to top 3; 16 MHz / 6.4 MHz = 2.5 rounds to 3 too.
        assert_eq!(PwmTiming::for_frequency(5_333_333).unwrap().top(), 3);
        assert_eq!(PwmTiming::for_frequency(6_400_000).unwrap().top(), 3);
        assert_eq!(
            PwmTiming::for_frequency(6_400_001),
            Err(TimingError::TooFast { hz: 6_400_001 })
        );
        assert_eq!(
            PwmTiming::for_frequency(u32::MAX),
            Err(TimingError::TooFast { hz: u32::MAX })
        );
    }

    #[test]
    fn every_frequency_that_fits_comes_back_close() {
        // Rounding the top to the nearest count keeps the frequency within
        // half a count of a period: under 1 % wherever top >= 50.
        for hz in (4..=320_000).step_by(997) {
            let timing = PwmTiming::for_frequency(hz).unwrap();
            assert!(timing.top() >= 50);
            let error = timing.frequency_hz().abs_diff(hz);
            assert!(error * 100 <= hz, "{hz} Hz came back as {timing:?}");
            // Nothing finer was possible.
            if timing.prescaler_shift() > 0 {
                let finer = (PWM_BASE_CLOCK_HZ >> (timing.prescaler_shift() - 1)) / hz;
                assert!(finer > u32::from(TOP_MAX) - 1);
            }
        }
    }

    #[test]
    fn explicit_timings_are_checked() {
        assert!(PwmTiming::new(PRESCALER_SHIFT_MAX, TOP_MAX).is_ok());
        assert_eq!(
            PwmTiming::new(0, TOP_MAX + 1),
            Err(TimingError::Top { top: TOP_MAX + 1 })
        );
        assert_eq!(
            PwmTiming::new(u8::MAX, 100),
            Err(TimingError::Prescaler { shift: u8::MAX })
        );
    }
}
