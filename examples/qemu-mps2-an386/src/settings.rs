//! What the firmware serves and how, fixed at build time by the
//! `UREST_QEMU_*` environment variables (see `build.rs`), so tests can boot
//! a board with fast fades and the nouns they need.

use urest_embassy::urest_core::controller::Policy;

/// What a noun drives.
#[derive(Copy, Clone, Debug)]
pub enum Kind {
    /// A mock PWM LED that fades, under a policy.
    Pwm(Policy),
    /// A mock LED on a digital pin.
    Simple,
}

/// One noun: its path segment and what it drives.
#[derive(Copy, Clone, Debug)]
pub struct NounSpec {
    pub name: &'static str,
    pub kind: Kind,
}

impl NounSpec {
    const fn pwm(name: &'static str, policy: Policy) -> NounSpec {
        NounSpec {
            name,
            kind: Kind::Pwm(policy),
        }
    }

    const fn simple(name: &'static str) -> NounSpec {
        NounSpec {
            name,
            kind: Kind::Simple,
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/settings.rs"));
