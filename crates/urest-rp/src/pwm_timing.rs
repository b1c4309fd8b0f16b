//! How fast an RP2040 PWM slice counts, and how far, to run at a frequency.
//!
//! A slice's counter advances once every `divider` system-clock cycles and
//! wraps after `top + 1` counts, so one period lasts
//! `divider × (top + 1)` clock cycles. The divider is an 8.4 fixed-point
//! number from 1 to 255 15/16. This module is plain arithmetic with no
//! hardware access, so it is tested on the host.

use core::fmt;

/// The PWM frequency the LED helpers use unless told otherwise: 1 kHz.
///
/// The original MicroPython urest ran its LED PWM at 100 Hz. That is above
/// the flicker a person notices looking straight at a steady LED, but not
/// when the eye or the LED moves (a fading LED seen from the side of the eye
/// shows a stroboscopic trail) and not for a phone camera, which films
/// 100 Hz PWM as rolling bands. At 1 kHz none of that is visible, and the
/// slice still counts to about 64 500 per period at the default 125 MHz
/// system clock, so the dimmest steps of a fade stay as fine as at 100 Hz.
///
/// ```
/// use urest_rp::{PwmTiming, DEFAULT_LED_FREQUENCY_HZ};
///
/// let timing = PwmTiming::for_frequency(125_000_000, DEFAULT_LED_FREQUENCY_HZ).unwrap();
/// assert!(timing.full_on_duty() > 60_000);
/// ```
pub const DEFAULT_LED_FREQUENCY_HZ: u32 = 1_000;

/// The smallest divider, 1.0, in sixteenths.
const MIN_DIVIDER_SIXTEENTHS: u32 = 16;
/// The largest divider the hardware takes, 255 15/16, in sixteenths.
const MAX_DIVIDER_SIXTEENTHS: u32 = 0xFFF;
/// The most counts a period may have. A compare value of `top + 1` holds the
/// output high for the whole period, and it must fit the 16-bit compare
/// register, so `top` stops one short of `u16::MAX`.
const MAX_COUNTS: u32 = u16::MAX as u32;
/// The fewest counts a period may have: one off, one on.
const MIN_COUNTS: u32 = 2;

/// Why a PWM frequency cannot be set.
///
/// ```
/// use urest_rp::{FrequencyError, PwmTiming};
///
/// assert_eq!(
///     PwmTiming::for_frequency(125_000_000, 5),
///     Err(FrequencyError::TooLow { lowest_hz: 8 }),
/// );
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrequencyError {
    /// Zero hertz asks for no PWM at all.
    Zero,
    /// Even the largest divider and the longest period run faster than this.
    TooLow {
        /// The lowest whole frequency this system clock can give.
        lowest_hz: u32,
    },
    /// A period would be shorter than two counts, leaving no duty cycle
    /// between off and on.
    TooHigh {
        /// The highest frequency this system clock can give (half of it).
        highest_hz: u32,
    },
}

impl fmt::Display for FrequencyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrequencyError::Zero => f.write_str("a PWM frequency of 0 Hz is not possible"),
            FrequencyError::TooLow { lowest_hz } => {
                write!(f, "PWM frequency too low: the lowest is {lowest_hz} Hz")
            }
            FrequencyError::TooHigh { highest_hz } => {
                write!(f, "PWM frequency too high: the highest is {highest_hz} Hz")
            }
        }
    }
}

/// A PWM slice's divider and wrap point for one frequency.
///
/// [`for_frequency`](PwmTiming::for_frequency) picks the smallest divider
/// that lets the period fit the 16-bit counter, so the counter runs as fast
/// as it can and the duty cycle has as many steps as possible.
///
/// ```
/// use urest_rp::PwmTiming;
///
/// // The original MicroPython urest's 100 Hz on a 125 MHz RP2040.
/// let timing = PwmTiming::for_frequency(125_000_000, 100).unwrap();
/// assert_eq!(timing.divider_sixteenths(), 306); // 19 2/16
/// assert_eq!(timing.top(), 65_358);
/// assert_eq!(timing.frequency_millihertz(125_000_000), 100_001);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PwmTiming {
    divider_sixteenths: u16,
    top: u16,
}

impl PwmTiming {
    /// The timing nearest to `frequency_hz` for a slice clocked at
    /// `clock_hz` (the system clock, `embassy_rp::clocks::clk_sys_freq()`).
    ///
    /// The period is rounded to the nearest whole count, so the frequency
    /// reached can differ slightly from the one asked for; read it back with
    /// [`frequency_millihertz`](PwmTiming::frequency_millihertz). At the
    /// frequencies an LED wants the difference is far below one percent.
    ///
    /// ```
    /// use urest_rp::{FrequencyError, PwmTiming};
    ///
    /// let clock = 125_000_000;
    /// assert!(PwmTiming::for_frequency(clock, 1_000).is_ok());
    /// assert_eq!(PwmTiming::for_frequency(clock, 0), Err(FrequencyError::Zero));
    /// assert_eq!(
    ///     PwmTiming::for_frequency(clock, 70_000_000),
    ///     Err(FrequencyError::TooHigh { highest_hz: 62_500_000 }),
    /// );
    /// ```
    pub const fn for_frequency(clock_hz: u32, frequency_hz: u32) -> Result<Self, FrequencyError> {
        if frequency_hz == 0 {
            return Err(FrequencyError::Zero);
        }
        let highest_hz = clock_hz / MIN_COUNTS;
        if frequency_hz > highest_hz {
            return Err(FrequencyError::TooHigh { highest_hz });
        }
        // Counter ticks per period, in sixteenths of a clock cycle: the
        // divider has four fraction bits, so work in sixteenths throughout.
        let cycles_sixteenths = clock_hz as u64 * 16;
        let divider = ceil_div(cycles_sixteenths, frequency_hz as u64 * MAX_COUNTS as u64);
        let divider = if divider < MIN_DIVIDER_SIXTEENTHS as u64 {
            MIN_DIVIDER_SIXTEENTHS as u64
        } else {
            divider
        };
        if divider > MAX_DIVIDER_SIXTEENTHS as u64 {
            let lowest = ceil_div(
                cycles_sixteenths,
                MAX_DIVIDER_SIXTEENTHS as u64 * MAX_COUNTS as u64,
            );
            return Err(FrequencyError::TooLow {
                lowest_hz: lowest as u32,
            });
        }
        let per_period = frequency_hz as u64 * divider;
        // Round to the nearest count. The divider was chosen so this is at
        // most MAX_COUNTS, and frequency_hz <= clock_hz / 2 keeps it at
        // least MIN_COUNTS whenever the divider is the smallest one.
        let counts = (cycles_sixteenths + per_period / 2) / per_period;
        if counts < MIN_COUNTS as u64 {
            return Err(FrequencyError::TooHigh { highest_hz });
        }
        Ok(PwmTiming {
            divider_sixteenths: divider as u16,
            top: (counts - 1) as u16,
        })
    }

    /// The clock divider as an 8.4 fixed-point number: sixteenths of a
    /// cycle, from 16 (1.0) to 4095 (255 15/16). This is the value of the
    /// slice's `DIV` register.
    pub const fn divider_sixteenths(&self) -> u16 {
        self.divider_sixteenths
    }

    /// Where the counter wraps: a period is `top + 1` counts. At most
    /// 65 534, so that [`full_on_duty`](PwmTiming::full_on_duty) fits in 16
    /// bits.
    pub const fn top(&self) -> u16 {
        self.top
    }

    /// The compare value that holds the output high for the whole period:
    /// `top + 1`. The duty cycle runs from 0 (off) to this (fully on), so it
    /// is also the number of brightness steps.
    pub const fn full_on_duty(&self) -> u16 {
        // top <= MAX_COUNTS - 1, so this cannot overflow.
        self.top + 1
    }

    /// The frequency this timing gives on a `clock_hz` clock, in millihertz,
    /// rounded to the nearest.
    pub const fn frequency_millihertz(&self, clock_hz: u32) -> u64 {
        let per_period = self.divider_sixteenths as u64 * self.full_on_duty() as u64;
        (clock_hz as u64 * 16 * 1_000 + per_period / 2) / per_period
    }
}

const fn ceil_div(numerator: u64, denominator: u64) -> u64 {
    numerator.div_ceil(denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RP2040_DEFAULT_CLOCK: u32 = 125_000_000;

    /// Every frequency the timing reaches, in millihertz.
    fn reached(clock: u32, hz: u32) -> u64 {
        match PwmTiming::for_frequency(clock, hz) {
            Ok(timing) => timing.frequency_millihertz(clock),
            Err(error) => panic!("{hz} Hz at {clock} Hz: {error}"),
        }
    }

    #[test]
    fn default_led_frequency_at_125_mhz() {
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, DEFAULT_LED_FREQUENCY_HZ);
        // 125 MHz / 1 kHz = 125 000 cycles: a divider of 31/16 leaves 64 516
        // counts, the most that fit.
        assert_eq!(
            timing,
            Ok(PwmTiming {
                divider_sixteenths: 31,
                top: 64_515
            })
        );
        assert_eq!(reached(RP2040_DEFAULT_CLOCK, 1_000), 1_000_002);
    }

    #[test]
    fn original_urest_frequency_at_125_mhz() {
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 100);
        assert_eq!(
            timing,
            Ok(PwmTiming {
                divider_sixteenths: 306,
                top: 65_358
            })
        );
    }

    #[test]
    fn an_exact_fit_uses_divider_one() {
        // 125 MHz / 62 500 counts = 2 kHz with no division.
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 2_000);
        assert_eq!(
            timing,
            Ok(PwmTiming {
                divider_sixteenths: 16,
                top: 62_499
            })
        );
    }

    #[test]
    fn high_frequencies_keep_divider_one_and_shrink_the_period() {
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 1_000_000);
        assert_eq!(
            timing,
            Ok(PwmTiming {
                divider_sixteenths: 16,
                top: 124
            })
        );
    }

    #[test]
    fn the_highest_frequency_is_half_the_clock() {
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 62_500_000);
        assert_eq!(
            timing,
            Ok(PwmTiming {
                divider_sixteenths: 16,
                top: 1
            })
        );
        assert_eq!(
            PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 62_500_001),
            Err(FrequencyError::TooHigh {
                highest_hz: 62_500_000
            })
        );
    }

    #[test]
    fn the_lowest_frequency_needs_the_largest_divider() {
        // 125 MHz / (255 15/16 × 65 535) = 7.45 Hz.
        assert_eq!(
            PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 7),
            Err(FrequencyError::TooLow { lowest_hz: 8 })
        );
        let timing = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 8);
        assert!(matches!(timing, Ok(t) if t.divider_sixteenths() <= 0xFFF));
        assert!(reached(RP2040_DEFAULT_CLOCK, 8).abs_diff(8_000) < 10);
    }

    #[test]
    fn zero_hertz_is_refused() {
        assert_eq!(
            PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, 0),
            Err(FrequencyError::Zero)
        );
    }

    #[test]
    fn a_stopped_clock_gives_no_frequency() {
        assert_eq!(
            PwmTiming::for_frequency(0, 1_000),
            Err(FrequencyError::TooHigh { highest_hz: 0 })
        );
        assert_eq!(
            PwmTiming::for_frequency(1, 1),
            Err(FrequencyError::TooHigh { highest_hz: 0 })
        );
    }

    #[test]
    fn overclocked_and_slow_clocks() {
        // 133 MHz (the RP2040's rated top) and 48 MHz (running from the USB PLL).
        for clock in [133_000_000, 48_000_000, 200_000_000] {
            for hz in [100, 1_000, 20_000] {
                let error = reached(clock, hz).abs_diff(u64::from(hz) * 1_000);
                assert!(error * 1_000 <= u64::from(hz) * 1_000, "{hz} Hz at {clock}");
            }
        }
    }

    #[test]
    fn every_timing_is_within_the_hardware_limits_and_close() {
        for clock in [12_000_000, 48_000_000, 125_000_000, 133_000_000, u32::MAX] {
            let mut hz = 1;
            while hz <= clock / 2 {
                if let Ok(timing) = PwmTiming::for_frequency(clock, hz) {
                    assert!((16..=0xFFF).contains(&timing.divider_sixteenths()));
                    assert!(timing.top() >= 1 && timing.top() < u16::MAX);
                    assert_eq!(timing.full_on_duty(), timing.top() + 1);
                    // Rounding the period to a whole count costs at most half
                    // a count, relative to the counts in a period.
                    let wanted = u64::from(hz) * 1_000;
                    let error = timing.frequency_millihertz(clock).abs_diff(wanted);
                    let counts = u64::from(timing.full_on_duty());
                    assert!(
                        error * 2 * (counts - 1) <= wanted + 2 * counts,
                        "{hz} Hz at {clock} Hz reached {} mHz",
                        timing.frequency_millihertz(clock)
                    );
                }
                hz = hz.saturating_mul(3) / 2 + 1;
            }
        }
    }

    #[test]
    fn the_divider_is_the_smallest_that_fits() {
        for hz in [8, 50, 100, 240, 1_000, 1_907, 1_908, 5_000] {
            let Ok(timing) = PwmTiming::for_frequency(RP2040_DEFAULT_CLOCK, hz) else {
                panic!("{hz} Hz refused");
            };
            let divider = u64::from(timing.divider_sixteenths());
            if divider > 16 {
                // One sixteenth less would need more counts than fit.
                let cycles = u64::from(RP2040_DEFAULT_CLOCK) * 16;
                assert!(cycles > u64::from(hz) * (divider - 1) * 65_535, "{hz} Hz");
            }
        }
    }

    #[test]
    fn errors_read_well() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            FrequencyError::TooLow { lowest_hz: 8 }.to_string(),
            "PWM frequency too low: the lowest is 8 Hz"
        );
    }
}
