//! Every scenario on the host, plus the Fifo property over many more arrival
//! patterns than the target runs.

use proptest::prelude::*;
use urest_mock::Simulation;
use urest_scenarios::{fifo_in_arrival_order, SCENARIOS};

fn simulation() -> &'static Simulation {
    // Wakers handed out by a simulation may outlive a test; one leak per test.
    Box::leak(Box::new(Simulation::new()))
}

#[test]
fn every_scenario_passes() {
    let mut failures = Vec::new();
    for scenario in SCENARIOS {
        if let Err(failure) = (scenario.run)(simulation()) {
            failures.push(format!("{}: {failure}", scenario.name));
        }
    }
    assert!(
        failures.is_empty(),
        "failed scenarios:\n{}",
        failures.join("\n")
    );
}

#[test]
fn scenarios_can_share_one_simulation() {
    let sim = simulation();
    for scenario in SCENARIOS {
        (scenario.run)(sim).unwrap_or_else(|failure| panic!("{}: {failure}", scenario.name));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn fifo_applies_any_arrival_pattern_in_order(seed in any::<u32>(), clients in 2usize..=16) {
        let outcome = fifo_in_arrival_order(simulation(), seed, clients);
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }
}

// Each coordination scenario on its own, so a broken rule names itself.

#[test]
fn a_lock_keeps_one_clients_sequence_whole() {
    urest_scenarios::lock_keeps_a_sequence_whole(simulation()).unwrap();
}

#[test]
fn a_dead_holders_lease_ends_by_itself() {
    urest_scenarios::lease_frees_a_dead_holders_lock(simulation()).unwrap();
}

#[test]
fn a_change_queued_before_a_lock_keeps_its_place() {
    urest_scenarios::lock_keeps_changes_queued_before_it(simulation()).unwrap();
}

#[test]
fn a_keyed_toggle_retried_three_times_toggles_once() {
    urest_scenarios::keyed_toggle_retried_toggles_once(simulation()).unwrap();
}
