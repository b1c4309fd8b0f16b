//! The RP2040's on-chip temperature sensor: from ADC reading to degrees.
//!
//! The sensor is a diode on ADC input 4 whose voltage falls by 1.721 mV per
//! degree Celsius from 0.706 V at 27 °C (RP2040 datasheet, section 4.9.5).
//! It reads the die, a few degrees warmer than the air, and one ADC step is
//! about half a degree; the datasheet warns the slope varies from chip to
//! chip, so treat the result as a trend rather than a thermometer.

/// The ADC reference on the Pico and Pico W: the 3.3 V supply, in microvolts.
pub const PICO_ADC_REFERENCE_MICROVOLTS: u32 = 3_300_000;

/// Sensor voltage at 27 °C, in microvolts.
const MICROVOLTS_AT_27_C: i64 = 706_000;
/// How much the sensor voltage falls per degree, in microvolts.
const MICROVOLTS_PER_DEGREE: i64 = 1_721;
/// Full scale of the 12-bit ADC.
const ADC_STEPS: i64 = 4_096;

/// The die temperature in thousandths of a degree Celsius for a 12-bit
/// reading `raw` of the temperature sensor, with the ADC referenced to
/// `reference_microvolts` (3.3 V on a Pico: [`PICO_ADC_REFERENCE_MICROVOLTS`]).
///
/// Any input gives a number; a reading above 4095 is not one the ADC makes.
///
/// ```
/// use urest_rp::temperature::{millicelsius, PICO_ADC_REFERENCE_MICROVOLTS};
///
/// // 0.706 V is 27 °C; 876 is the nearest reading at 3.3 V.
/// let warm = millicelsius(876, PICO_ADC_REFERENCE_MICROVOLTS);
/// assert!((26_500..=27_500).contains(&warm));
/// // A lower voltage is a warmer die.
/// assert!(millicelsius(860, PICO_ADC_REFERENCE_MICROVOLTS) > warm);
/// ```
pub fn millicelsius(raw: u16, reference_microvolts: u32) -> i32 {
    // 27 °C - (V - 0.706 V) / 1.721 mV, in millidegrees over a common
    // denominator so only one division rounds.
    let denominator = ADC_STEPS * MICROVOLTS_PER_DEGREE;
    let above_27 =
        (i64::from(raw) * i64::from(reference_microvolts) - MICROVOLTS_AT_27_C * ADC_STEPS) * 1_000;
    let below_27 = (above_27 + denominator / 2).div_euclid(denominator);
    // Real readings land within ±2 000 °C; only a made-up reference voltage
    // can leave the i32 range, and then the nearest bound is the answer.
    (27_000 - below_27).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    const VREF: u32 = PICO_ADC_REFERENCE_MICROVOLTS;

    #[test]
    fn the_datasheet_point_is_27_degrees() {
        // 876 × 3.3 V / 4096 = 705.76 mV, 0.24 mV under 0.706 V: a seventh
        // of a degree warmer than 27 °C.
        assert_eq!(millicelsius(876, VREF), 27_138);
    }

    #[test]
    fn one_adc_step_is_about_half_a_degree() {
        let step = millicelsius(876, VREF) - millicelsius(877, VREF);
        assert_eq!(step, 468);
    }

    #[test]
    fn room_and_hot() {
        // About 20 °C and 60 °C.
        let room = millicelsius(891, VREF);
        assert!((19_500..=20_500).contains(&room), "{room}");
        let hot = millicelsius(806, VREF);
        assert!((59_500..=60_500).contains(&hot), "{hot}");
    }

    #[test]
    fn every_reading_gives_a_number() {
        assert_eq!(millicelsius(0, VREF), 437_227);
        assert_eq!(millicelsius(4_095, VREF), -1_479_795);
        assert_eq!(millicelsius(u16::MAX, u32::MAX), i32::MIN);
        for raw in 1..4_096 {
            assert!(millicelsius(raw, VREF) < millicelsius(raw - 1, VREF));
        }
    }
}
