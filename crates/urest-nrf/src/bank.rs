//! The four channels of one PWM instance: each LED's map, and which are handed out.

use core::fmt;

use crate::duty::{DutyMap, TopError};
use crate::Polarity;

/// One of the four outputs of a PWM instance.
///
/// ```
/// use urest_nrf::Channel;
///
/// assert_eq!(Channel::Ch2.index(), 2);
/// assert_eq!(Channel::ALL.len(), 4);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Channel {
    /// Channel 0: the first pin given to `SimplePwm::new_*ch`.
    Ch0,
    /// Channel 1: the second pin.
    Ch1,
    /// Channel 2: the third pin.
    Ch2,
    /// Channel 3: the fourth pin.
    Ch3,
}

impl Channel {
    /// All four, in order.
    pub const ALL: [Channel; 4] = [Channel::Ch0, Channel::Ch1, Channel::Ch2, Channel::Ch3];

    /// The channel's number, 0 to 3.
    ///
    /// ```
    /// use urest_nrf::Channel;
    ///
    /// assert_eq!(Channel::Ch0.index(), 0);
    /// ```
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Why a shared PWM or one of its channels could not be set up.
///
/// ```
/// use urest_nrf::{Channel, ChannelBank, Polarity, SetupError};
///
/// let mut bank = ChannelBank::new(1_000, [Polarity::ActiveLow; 4]).unwrap();
/// bank.claim(Channel::Ch1).unwrap();
/// assert_eq!(bank.claim(Channel::Ch1), Err(SetupError::ChannelTaken(Channel::Ch1)));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SetupError {
    /// The PWM's counter top is one this crate cannot drive LEDs with.
    Top(TopError),
    /// The channel was handed out already; two owners would overwrite each
    /// other's duty cycle.
    ChannelTaken(Channel),
}

impl From<TopError> for SetupError {
    fn from(error: TopError) -> Self {
        SetupError::Top(error)
    }
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Top(error) => error.fmt(f),
            SetupError::ChannelTaken(channel) => {
                write!(f, "PWM channel {} is already in use", channel.index())
            }
        }
    }
}

/// The bookkeeping of one PWM instance shared by up to four channels: the
/// [`DutyMap`] of each (one counter top, a polarity per LED) and which of
/// them have been handed out. It touches no hardware;
/// `SharedPwm` keeps one beside the `SimplePwm`.
///
/// ```
/// use urest_nrf::{Channel, ChannelBank, Polarity};
///
/// let polarities = [Polarity::ActiveLow, Polarity::ActiveHigh, Polarity::ActiveLow, Polarity::ActiveLow];
/// let mut bank = ChannelBank::new(1_600, polarities).unwrap();
/// // Every LED starts dark, whichever way it is wired.
/// assert_eq!(bank.dark_words(), [0x0000, 0x8000, 0x0000, 0x0000]);
/// let map = bank.claim(Channel::Ch1).unwrap();
/// assert_eq!(map.polarity(), Polarity::ActiveHigh);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChannelBank {
    maps: [DutyMap; 4],
    claimed: [bool; 4],
}

impl ChannelBank {
    /// The bank of a PWM counting to `top`, channel `n` driving an LED wired
    /// with `polarities[n]` (give any polarity for a channel without a pin).
    ///
    /// ```
    /// use urest_nrf::{ChannelBank, Polarity};
    ///
    /// assert!(ChannelBank::new(1_600, [Polarity::ActiveLow; 4]).is_ok());
    /// assert!(ChannelBank::new(0, [Polarity::ActiveLow; 4]).is_err());
    /// ```
    pub fn new(top: u16, polarities: [Polarity; 4]) -> Result<Self, TopError> {
        let [p0, p1, p2, p3] = polarities;
        Ok(ChannelBank {
            maps: [
                DutyMap::new(top, p0)?,
                DutyMap::new(top, p1)?,
                DutyMap::new(top, p2)?,
                DutyMap::new(top, p3)?,
            ],
            claimed: [false; 4],
        })
    }

    /// The word of each channel that keeps its LED dark.
    ///
    /// ```
    /// use urest_nrf::{ChannelBank, Polarity};
    ///
    /// let bank = ChannelBank::new(1_600, [Polarity::ActiveHigh; 4]).unwrap();
    /// assert_eq!(bank.dark_words(), [0x8000; 4]);
    /// ```
    pub fn dark_words(&self) -> [u16; 4] {
        self.maps.map(|map| map.dark_word())
    }

    /// The map of `channel`, marking it handed out; a second claim is refused.
    ///
    /// ```
    /// use urest_nrf::{Channel, ChannelBank, Polarity};
    ///
    /// let mut bank = ChannelBank::new(1_600, [Polarity::ActiveLow; 4]).unwrap();
    /// assert_eq!(bank.claim(Channel::Ch0).unwrap().max_duty(), 1_600);
    /// assert!(bank.claim(Channel::Ch0).is_err());
    /// assert!(bank.claim(Channel::Ch3).is_ok());
    /// ```
    pub fn claim(&mut self, channel: Channel) -> Result<DutyMap, SetupError> {
        let index = channel.index();
        if self.claimed[index] {
            return Err(SetupError::ChannelTaken(channel));
        }
        self.claimed[index] = true;
        Ok(self.maps[index])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_can_be_claimed_once() {
        let mut bank = ChannelBank::new(1_000, [Polarity::ActiveLow; 4]).unwrap();
        for channel in Channel::ALL {
            assert!(bank.claim(channel).is_ok());
        }
        for channel in Channel::ALL {
            assert_eq!(bank.claim(channel), Err(SetupError::ChannelTaken(channel)));
        }
    }

    #[test]
    fn a_refused_claim_changes_nothing() {
        let mut bank = ChannelBank::new(1_000, [Polarity::ActiveLow; 4]).unwrap();
        bank.claim(Channel::Ch2).unwrap();
        let before = bank.clone();
        assert!(bank.claim(Channel::Ch2).is_err());
        assert_eq!(bank, before);
    }

    #[test]
    fn each_channel_keeps_its_own_polarity() {
        let polarities = [
            Polarity::ActiveHigh,
            Polarity::ActiveLow,
            Polarity::ActiveLow,
            Polarity::ActiveHigh,
        ];
        let mut bank = ChannelBank::new(500, polarities).unwrap();
        for (channel, polarity) in Channel::ALL.into_iter().zip(polarities) {
            let map = bank.claim(channel).unwrap();
            assert_eq!(map.polarity(), polarity);
            assert_eq!(map.max_duty(), 500);
        }
        assert_eq!(bank.dark_words(), [0x8000, 0, 0, 0x8000]);
    }

    #[test]
    fn a_bad_top_is_reported() {
        assert_eq!(
            ChannelBank::new(40_000, [Polarity::ActiveLow; 4]),
            Err(TopError { top: 40_000 })
        );
    }

    #[test]
    fn channel_numbers() {
        let numbers = Channel::ALL.map(Channel::index);
        assert_eq!(numbers, [0, 1, 2, 3]);
    }
}
