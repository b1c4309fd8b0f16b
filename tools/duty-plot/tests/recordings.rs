//! The recordings behind the figures show what each figure's caption claims.

use duty_plot::scenario::{self, Recording, B_ARRIVES};
use urest_core::controller::Policy;
use urest_core::coord::Refused;
use urest_core::resource::{ErrorKind, Outcome};
use urest_mock::interleaving::{find_interleaving, leg_ends};
use urest_mock::Write;

fn under(policy: Policy) -> Recording {
    scenario::with_policy(policy).expect("the story runs to the end")
}

/// Consecutive pairs of writes whose duty differs.
fn moves(recording: &Recording) -> Vec<(Write, Write)> {
    recording
        .writes
        .windows(2)
        .filter(|pair| pair[0].duty != pair[1].duty)
        .map(|pair| (pair[0], pair[1]))
        .collect()
}

/// How far the first write that raised the duty raised it: one step.
fn up_step(recording: &Recording) -> u16 {
    moves(recording)
        .into_iter()
        .find(|(before, after)| after.duty > before.duty)
        .map(|(before, after)| after.duty - before.duty)
        .expect("the duty rises at least once")
}

fn outcome_of(recording: &Recording, client: &str) -> Outcome {
    recording
        .request_of(client)
        .and_then(|request| request.answer.clone())
        .expect("the client was answered")
        .expect("the client's change was accepted")
}

#[test]
fn without_a_lock_the_two_ramps_write_the_pin_in_turns() {
    let fight = scenario::without_lock().expect("the story runs to the end");
    let duties = fight.duties();
    let at = find_interleaving(&duties).expect("the ramps interleave");
    assert!(
        fight.writes[at].at > B_ARRIVES,
        "the fight starts only once B has arrived"
    );
}

#[test]
fn no_policy_lets_two_ramps_interleave() {
    for policy in Policy::ALL {
        let recording = under(policy);
        assert_eq!(
            find_interleaving(&recording.duties()),
            None,
            "{policy:?}: {:?}",
            recording.duties()
        );
    }
}

#[test]
fn fifo_reaches_full_scale_then_runs_bs_change_down_to_off() {
    let fifo = under(Policy::Fifo);
    let duties = fifo.duties();
    let top = duties
        .iter()
        .position(|&duty| duty == fifo.max_duty)
        .expect("A's ramp reaches full scale");
    assert!(duties[..=top].windows(2).all(|pair| pair[0] <= pair[1]));
    assert!(duties[top..].windows(2).all(|pair| pair[0] >= pair[1]));
    assert_eq!(duties.last(), Some(&0));
    assert!(matches!(
        outcome_of(&fifo, "B"),
        Outcome::Accepted { position: 1, .. }
    ));
}

#[test]
fn reject_refuses_b_until_a_would_be_done_and_never_lowers_the_duty() {
    let reject = under(Policy::Reject);
    let duties = reject.duties();
    assert!(
        duties.windows(2).all(|pair| pair[0] <= pair[1]),
        "{duties:?}"
    );
    assert_eq!(duties.last(), Some(&reject.max_duty));

    let Outcome::Accepted { completes_at, .. } = outcome_of(&reject, "A") else {
        panic!("A's ramp takes time, so it is accepted, not done");
    };
    let refusal = reject
        .request_of("B")
        .and_then(|request| request.answer.clone())
        .expect("B was answered")
        .expect_err("B is refused");
    assert_eq!(refusal.kind(), ErrorKind::Busy);
    assert_eq!(
        refusal.retry_after(),
        Some(completes_at.duration_since(B_ARRIVES))
    );
}

#[test]
fn preempt_turns_back_from_the_level_reached_at_the_same_rate() {
    let preempt = under(Policy::Preempt);
    let step = up_step(&preempt);
    let level_when_b_arrives = preempt.duty_at(B_ARRIVES).expect("A's ramp has begun");

    let downs: Vec<_> = moves(&preempt)
        .into_iter()
        .filter(|(before, after)| after.duty < before.duty)
        .collect();
    let (first_before, first_down) = *downs.first().expect("B's change lowers the duty");
    assert!(first_down.at > B_ARRIVES);
    // No jump: the turn starts from what the pin showed when B arrived.
    assert_eq!(first_before.duty, level_when_b_arrives);
    // Levels live on a 16-bit scale and are rounded onto the PWM's, so a
    // step may differ from another by one count.
    for (before, after) in &downs {
        assert!(
            (before.duty - after.duty).abs_diff(step) <= 1,
            "{:?}",
            preempt.duties()
        );
    }
    assert!(first_down.duty.abs_diff(level_when_b_arrives - step) <= 1);
    assert!(preempt.duties().iter().all(|&duty| duty < preempt.max_duty));
    assert_eq!(preempt.duties().last(), Some(&0));
}

#[test]
fn under_a_lock_as_sequence_is_whole_and_b_is_refused_until_the_release() {
    let story = scenario::locked_sequence().expect("the story runs to the end");
    let (_, released) = story.held;
    for attempt in story.refused_tries() {
        assert!(
            attempt.at < released,
            "B is refused only while A holds the lock"
        );
        let Err(Refused::Locked { owner, remaining }) = &attempt.answer else {
            panic!("B's try at {:?} is refused as locked", attempt.at);
        };
        assert_eq!(owner.as_str(), "A");
        assert_eq!(*remaining, story.lock.expires_at.duration_since(attempt.at));
    }
    assert!(story.refused_tries().count() >= 2);
    let b_in = story
        .attempts
        .iter()
        .find(|attempt| attempt.client == "B" && attempt.answer.is_ok())
        .expect("B gets in");
    assert!(b_in.at >= released);
    assert!(b_in.at < released + scenario::B_TRIES_EVERY);

    let duties = story.recording.duties();
    assert_eq!(find_interleaving(&duties), None, "{duties:?}");
    let max = story.recording.max_duty;
    let until_b: Vec<u16> = story
        .recording
        .writes
        .iter()
        .filter(|write| write.at < b_in.at)
        .map(|write| write.duty)
        .collect();
    assert_eq!(leg_ends(&until_b).collect::<Vec<_>>(), [max, 0, max]);
    assert_eq!(leg_ends(&duties).collect::<Vec<_>>(), [max, 0, max, 0]);
}
