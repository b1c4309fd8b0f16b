//! The concurrency scenarios of the "Concurrent API Access" note as plain functions, so the same checks run
//! in host tests and in a test program on an emulated Cortex-M.
//!
//! Each scenario builds nouns over [`urest_mock`] hardware, plays clients
//! against them in a [`Simulation`] (virtual time, deterministic), and checks
//! the recorded duty cycles and states. Times are measured from the
//! simulation's clock at the start, so scenarios can share one simulation.
#![no_std]
#![deny(missing_docs)]
// A failure carries its message inline (no heap); it is returned once, at
// the end of a scenario, so its size costs nothing that matters.
#![allow(clippy::result_large_err)]

pub mod check;
mod locks;
mod rig;
mod scenarios;

pub use check::Failure;
pub use locks::{
    keyed_toggle_retried_toggles_once, lease_frees_a_dead_holders_lock,
    lock_keeps_a_sequence_whole, lock_keeps_changes_queued_before_it,
};
pub use scenarios::{fifo_in_arrival_order, SCENARIOS};

use urest_mock::Simulation;

/// One named scenario.
pub struct Scenario {
    /// A short name for reports.
    pub name: &'static str,
    /// Runs the scenario in the given simulation.
    pub run: fn(&'static Simulation) -> Result<(), Failure>,
}
