//! Running the scenarios and reporting each in the format `run.sh` checks.

use core::fmt::Write;

use urest_mock::Simulation;

use crate::selfcheck::Scenario;
use crate::stack;

/// Run every scenario in `scenarios` in order, print one line each, the
/// stack used and a closing `N passed, M failed` to `out`. Whether every
/// scenario passed, at least one ran, and the stack stayed in bounds.
pub fn run_all(scenarios: &[Scenario], sim: &'static Simulation, out: &mut impl Write) -> bool {
    let mut passed = 0usize;
    let mut failed = 0usize;
    for scenario in scenarios {
        // Printed before running so a panic's report lands on this line.
        let _ = write!(out, "scenario {} ... ", scenario.name);
        match (scenario.run)(sim) {
            Ok(()) => {
                passed += 1;
                let _ = writeln!(out, "ok");
            }
            Err(why) => {
                failed += 1;
                let _ = writeln!(out, "FAILED: {why}");
            }
        }
    }
    if scenarios.is_empty() {
        let _ = writeln!(out, "no scenarios to run: nothing was tested");
    }
    let usage = stack::usage();
    let _ = writeln!(out, "stack: {} of {} bytes used", usage.used, usage.size);
    if usage.overflowed() {
        let _ = writeln!(out, "stack: no paint left, so it may have overflowed");
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    failed == 0 && passed > 0 && !usage.overflowed()
}
