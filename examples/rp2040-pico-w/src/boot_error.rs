//! Why the firmware stopped starting up, and how to say so in the log.

use defmt::error;
use embassy_executor::SpawnError;

/// What kept the firmware from serving.
pub enum BootError {
    /// The firmware was built without `CYW43_FIRMWARE_DIR`.
    NoRadioFirmware,
    /// The firmware was built without `WIFI_SSID`.
    NoSsid,
    /// The firmware was built without `WIFI_PASSWORD` (set it empty for an
    /// open network).
    NoPassword,
    /// The LED's PWM frequency is out of the slice's reach.
    #[cfg(not(feature = "baseline"))]
    Pwm(urest_rp::FrequencyError),
    /// The client locks have fewer places than the board has nouns.
    #[cfg(not(feature = "baseline"))]
    Coordination(urest_embassy::urest_http::TooFewPlaces),
    /// A task could not be spawned (its pool is full).
    Spawn(SpawnError),
}

impl From<SpawnError> for BootError {
    fn from(error: SpawnError) -> Self {
        BootError::Spawn(error)
    }
}

#[cfg(not(feature = "baseline"))]
impl From<urest_rp::FrequencyError> for BootError {
    fn from(error: urest_rp::FrequencyError) -> Self {
        BootError::Pwm(error)
    }
}

#[cfg(not(feature = "baseline"))]
impl From<urest_embassy::urest_http::TooFewPlaces> for BootError {
    fn from(error: urest_embassy::urest_http::TooFewPlaces) -> Self {
        BootError::Coordination(error)
    }
}

impl BootError {
    /// Says in the log what is wrong and how to fix it.
    pub fn explain(&self) {
        match self {
            BootError::NoRadioFirmware => error!(
                "Wi-Fi not started: this firmware was built without the CYW43439 radio firmware. \
                 Rebuild with CYW43_FIRMWARE_DIR set to a directory holding 43439A0.bin, \
                 43439A0_clm.bin and nvram_rp2040.bin (see README.md)."
            ),
            BootError::NoSsid => error!(
                "Wi-Fi not started: this firmware was built without WIFI_SSID. \
                 Rebuild with WIFI_SSID and WIFI_PASSWORD set."
            ),
            BootError::NoPassword => error!(
                "Wi-Fi not started: this firmware was built without WIFI_PASSWORD. \
                 Rebuild with it set (WIFI_PASSWORD= for an open network)."
            ),
            #[cfg(not(feature = "baseline"))]
            BootError::Pwm(error) => error!("green_led0 not started: {}", error),
            #[cfg(not(feature = "baseline"))]
            BootError::Coordination(error) => error!("urest not started: {}", error),
            BootError::Spawn(error) => error!("not started: {}", error),
        }
    }
}
