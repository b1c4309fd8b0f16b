//! Running the scenarios and reporting each in the format `run.sh` checks.

use core::fmt::Write;

use urest_mock::Simulation;
use urest_scenarios::Scenario;

use urest_qemu::stack;

/// Run every scenario in `scenarios` in order and print one line each, the
/// deepest stack any of them used, and a closing `N passed, M failed` to
/// `out`. Whether every scenario passed, at least one ran, and the stack
/// stayed in bounds.
pub fn run_all(scenarios: &[Scenario], sim: &'static Simulation, out: &mut impl Write) -> bool {
    let mut passed = 0usize;
    let mut failed = 0usize;
    let mut deepest: Option<(stack::Usage, &str)> = None;
    for scenario in scenarios {
        // Printed before running so a panic's report lands on this line.
        let _ = write!(out, "scenario {} ... ", scenario.name);
        stack::repaint();
        let result = (scenario.run)(sim);
        let usage = stack::usage();
        if deepest.is_none_or(|(most, _)| usage.used > most.used) {
            deepest = Some((usage, scenario.name));
        }
        match result {
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
    let mut stack_ok = true;
    match deepest {
        None => {
            let _ = writeln!(out, "no scenarios to run: nothing was tested");
        }
        Some((usage, name)) => {
            let _ = writeln!(
                out,
                "stack: deepest {} of {} bytes, in scenario {name}",
                usage.used, usage.size
            );
            if usage.overflowed() {
                stack_ok = false;
                let _ = writeln!(out, "stack: no paint left, so it may have overflowed");
            }
        }
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    failed == 0 && passed > 0 && stack_ok
}
