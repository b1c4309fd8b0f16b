//! Judging checks; [`urest_qemu::tally`] reports them.

pub use urest_scenarios::check::{ensure, ensure_eq, ensure_legs, Failure};

/// What a check concluded.
pub type Verdict = Result<(), Failure>;
