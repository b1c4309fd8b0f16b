//! Running the scenarios and reporting each in the format `run.sh` checks.

use core::fmt::Write;

use urest_mock::Simulation;
use urest_qemu::tally::Tally;
use urest_scenarios::Scenario;

/// Run every scenario in `scenarios` in order and report each to `out`.
/// Whether every scenario passed, at least one ran, and the stack stayed in
/// bounds.
pub fn run_all(scenarios: &[Scenario], sim: &'static Simulation, out: &mut impl Write) -> bool {
    let mut tally = Tally::new(out, "scenario");
    for scenario in scenarios {
        tally.begin(scenario.name);
        tally.end((scenario.run)(sim));
    }
    tally.finish()
}
