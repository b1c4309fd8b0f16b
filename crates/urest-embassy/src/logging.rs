//! Logging through `defmt` or `log`, whichever feature is on (defmt if
//! both), and nothing at all otherwise.
//!
//! Format strings use only `{}` and `{:?}`, which both facades read alike.
//! Values that implement `Debug` but not `defmt::Format` go through
//! [`debug`]; those that are both (embassy-net's, urest's own) are logged
//! as they are, since `defmt::Debug2Format` formats through `core::fmt`,
//! which a defmt firmware otherwise need not link (1.7 KB of flash on a
//! Pico W).

/// `value`, printable with `{:?}` by either facade.
#[cfg(feature = "defmt")]
pub(crate) fn debug<T: core::fmt::Debug + ?Sized>(value: &T) -> defmt::Debug2Format<'_, T> {
    defmt::Debug2Format(value)
}

/// `value`, printable with `{:?}` by either facade.
#[cfg(not(feature = "defmt"))]
pub(crate) fn debug<T: core::fmt::Debug + ?Sized>(value: &T) -> &T {
    value
}

macro_rules! log_at {
    ($level:ident, $($arg:tt)+) => {{
        #[cfg(feature = "defmt")]
        defmt::$level!($($arg)+);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        log::$level!($($arg)+);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        if false {
            // Nothing logs. Type-check the arguments all the same, so a
            // build without a facade warns about nothing the others use.
            let _ = core::format_args!($($arg)+);
        }
    }};
}

macro_rules! error {
    ($($arg:tt)+) => { $crate::logging::log_at!(error, $($arg)+) };
}

macro_rules! warning {
    ($($arg:tt)+) => { $crate::logging::log_at!(warn, $($arg)+) };
}

macro_rules! info {
    ($($arg:tt)+) => { $crate::logging::log_at!(info, $($arg)+) };
}

macro_rules! debug_log {
    ($($arg:tt)+) => { $crate::logging::log_at!(debug, $($arg)+) };
}

pub(crate) use {debug_log, error, info, log_at, warning};
