//! The race of the "Concurrent API Access" note, over HTTP: two clients change one PWM LED while it
//! fades. Whatever the policy, the duty log never shows two fades taking
//! turns (Figure 2 of the "Concurrent API Access" note), and each policy keeps its promise.

mod common;

use std::collections::BTreeMap;
use std::num::NonZeroU16;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{config, eventually, ramps, start, Client, Raw};
use urest::core::ramp::{Brightness, Easing, Ramp};
use urest::core::time::Instant as CoreInstant;
use urest_host::MAX_DUTY;
use urest_mock::interleaving::{find_interleaving, reversals};

/// Wait until `noun` has gone up at least `steps` steps of its fade.
fn wait_for_steps(client: &Client, noun: &str, steps: u64) {
    eventually(&format!("{noun} is {steps} steps up"), || {
        let duty = client.state(noun)["duty"].as_u64()?;
        (duty >= steps * u64::from(MAX_DUTY) / 10).then_some(())
    });
}

#[test]
fn fifo_finishes_the_fade_on_then_fades_off() {
    let mut config = config(&["green_led0=pwm:fifo"]);
    config.step_time = Duration::from_millis(50);
    let host = start(config);
    let (a, b) = (Client::new(&host), Client::new(&host));

    let first = a.put("/green_led0", r#"{"desired": 1}"#).expect(202).json();
    wait_for_steps(&a, "green_led0", 2);
    let second = b.put("/green_led0", r#"{"desired": 0}"#).expect(202).json();
    // B was answered while A's fade still ran, and queued behind it.
    assert_eq!(second["state"]["heading"], 1, "{second}");
    assert_eq!(second["state"]["desired"], 0, "{second}");
    assert_eq!(second["position"], 1);
    assert!(second["ticket"].as_u64() > first["ticket"].as_u64());

    let end = b.settled("green_led0");
    assert_eq!(
        (end["current"].clone(), end["duty"].clone()),
        (0.into(), 0.into())
    );
    let duties = host.probe().duties("green_led0").unwrap();
    assert_eq!(find_interleaving(&duties), None, "{duties:?}");
    assert_eq!(reversals(&duties), 1, "{duties:?}");
    let fades = ramps(&duties);
    assert_eq!(fades.len(), 2, "{duties:?}");
    assert_eq!(
        fades[0].last(),
        Some(&MAX_DUTY),
        "a full fade on first: {duties:?}"
    );
    assert_eq!(fades[1].last(), Some(&0), "{duties:?}");
}

#[test]
fn preempt_turns_back_from_where_it_is_without_a_jump() {
    let mut config = config(&["preempt_led=pwm:preempt"]);
    config.step_time = Duration::from_millis(50);
    let host = start(config);
    let (a, b) = (Client::new(&host), Client::new(&host));

    a.put("/preempt_led", r#"{"desired": 1}"#).expect(202);
    wait_for_steps(&a, "preempt_led", 3);
    let before_b = host.probe().duties("preempt_led").unwrap().len();
    let turned = b
        .put("/preempt_led", r#"{"desired": 0}"#)
        .expect(202)
        .json();
    assert_eq!(
        turned["state"]["desired"], 0,
        "the latest command wins at once"
    );
    assert_eq!(turned["position"], 0);

    b.settled("preempt_led");
    let duties = host.probe().duties("preempt_led").unwrap();
    assert_eq!(find_interleaving(&duties), None, "{duties:?}");
    assert_eq!(reversals(&duties), 1, "{duties:?}");
    let (turn, &peak) = duties
        .iter()
        .enumerate()
        .max_by_key(|&(_, duty)| duty)
        .unwrap();
    assert!(peak < MAX_DUTY, "turned back before the end: {duties:?}");
    assert!(turn + 1 >= before_b, "turned only once B asked: {duties:?}");
    // Up along A's fade, then down along a fade that starts where A's
    // stopped: no write leaves either (a runner that wakes late may skip a
    // step, never jump off the path).
    let on = fade(0, MAX_DUTY, 10);
    let back = fade(peak, 0, 10);
    assert!(
        duties[..=turn].iter().all(|duty| on.contains(duty)),
        "{duties:?}"
    );
    assert!(
        duties[turn + 1..].iter().all(|duty| back.contains(duty)),
        "{duties:?}"
    );
    let first_after_b = duties[before_b];
    assert!(
        before_b <= turn || back.contains(&first_after_b),
        "B's first write {first_after_b} does not continue from {}: {duties:?}",
        duties[before_b - 1]
    );
}

#[test]
fn reject_refuses_with_the_time_left_rounded_up() {
    let mut config = config(&["reject_led=pwm:reject"]);
    // A 1.2 s fade: the time left is far from a whole second when B asks.
    config.step_time = Duration::from_millis(120);
    let host = start(config);
    let (a, b) = (Client::new(&host), Client::new(&host));

    a.put("/reject_led", r#"{"desired": 1}"#).expect(202);
    let asked = Instant::now();
    let left_ms = b.state("reject_led")["remaining_ms"].as_u64().unwrap();
    let refused = b.put("/reject_led", r#"{"desired": 0}"#);
    let elapsed_ms = u64::try_from(asked.elapsed().as_millis()).unwrap();
    assert_eq!(refused.status, 503, "{refused:#?}");
    let retry = refused.retry_after_secs();
    // The time left when B's PUT arrived lies between these two readings.
    let earliest = left_ms.saturating_sub(elapsed_ms).div_ceil(1000).max(1);
    // GET reports whole milliseconds, cut down.
    let latest = (left_ms + 1).div_ceil(1000);
    assert!(
        (earliest..=latest).contains(&retry),
        "{retry} s for {left_ms} ms left"
    );

    let end = a.settled("reject_led");
    assert_eq!(end["duty"], end["max_duty"], "A's fade ran to the end");
    let duties = host.probe().duties("reject_led").unwrap();
    assert_eq!(reversals(&duties), 0, "nothing of B's ran: {duties:?}");
    // Once free, the noun takes B's change (in quick steps, to save time).
    b.put("/reject_led", r#"{"desired": 0, "step_ms": 3}"#)
        .expect(202);
    assert_eq!(b.settled("reject_led")["duty"], 0);
    assert_eq!(
        find_interleaving(&host.probe().duties("reject_led").unwrap()),
        None
    );
}

/// Step counts whose fades share no level but the ends: fractions k/p with
/// distinct prime denominators differ by at least 1/(53 * 47), which is
/// about 26 duty units.
const PRIMES: [u16; 16] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53];

#[test]
fn sixteen_clients_at_once_are_applied_in_acceptance_order() {
    let mut config = config(&["green_led0=pwm:fifo"]);
    config.step_time = Duration::from_millis(2);
    config.slots = std::num::NonZeroUsize::new(PRIMES.len() + 4).unwrap();
    let host = start(config);
    let addr = host.addr();
    let start_line = Arc::new(Barrier::new(PRIMES.len()));

    // Client i asks for `desired` i % 2 in a fade of PRIMES[i] steps, so
    // the levels of each fade in the duty log say whose change it was.
    // With a slot for each, every client connects before the start line;
    // with fewer (the board), clients wait their turn after it.
    let slot_each = host.slots() >= PRIMES.len();
    let clients: Vec<_> = PRIMES
        .iter()
        .enumerate()
        .map(|(i, &steps)| {
            let start_line = start_line.clone();
            std::thread::spawn(move || {
                let body = format!(r#"{{"desired": {}, "steps": {steps}}}"#, i % 2);
                let request = format!(
                    "PUT /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if slot_each {
                    let mut raw = Raw::connect(addr);
                    start_line.wait();
                    raw.send(request.as_bytes());
                    (i, raw.response())
                } else {
                    start_line.wait();
                    (i, Raw::once_admitted(addr, request.as_bytes()))
                }
            })
        })
        .collect();
    let replies: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();

    // Accepted changes by ticket, each with the (target, steps) of the
    // clients that got it: a change that repeats the one before it shares
    // its ticket. One that found the LED idle where it asked is done (200).
    let mut by_ticket: BTreeMap<u64, Vec<(u16, u16)>> = BTreeMap::new();
    for (i, reply) in &replies {
        let target = u16::try_from(i % 2).unwrap();
        match reply.status {
            202 => {
                let ticket = reply.json()["ticket"].as_u64().unwrap();
                by_ticket
                    .entry(ticket)
                    .or_default()
                    .push((target, PRIMES[*i]));
            }
            200 => assert_eq!(reply.json()["desired"], target, "client {i}: {reply:#?}"),
            _ => panic!("client {i} refused: {reply:#?}"),
        }
    }
    Client::new(&host).settled("green_led0");
    let duties = host.probe().duties("green_led0").unwrap();

    // Each direction of travel in the log is one fade: one per ticket, in
    // ticket order, each run to its end along the steps its client asked
    // for.
    let fades = ramps(&duties);
    assert_eq!(
        fades.len(),
        by_ticket.len(),
        "one fade per accepted change: {duties:?}"
    );
    for (fade_duties, (ticket, holders)) in fades.iter().zip(&by_ticket) {
        let (from, to) = (fade_duties[0], *fade_duties.last().unwrap());
        let target = u16::from(to == MAX_DUTY);
        assert!(
            to == 0 || to == MAX_DUTY,
            "ticket {ticket}'s fade stopped half-way: {duties:?}"
        );
        let steps = PRIMES
            .iter()
            .copied()
            .filter(|&steps| {
                fade_duties
                    .iter()
                    .all(|duty| fade(from, to, steps).contains(duty))
            })
            .collect::<Vec<_>>();
        assert!(
            holders
                .iter()
                .any(|&(want, step_count)| want == target && steps.contains(&step_count)),
            "ticket {ticket} was given to {holders:?}, but the fade in its place went to {target} \
             in steps of {steps:?}: {fade_duties:?}"
        );
    }
}

/// The duties of a linear fade from `from` to `to` at `steps` steps per
/// full swing, as the core computes them.
fn fade(from: u16, to: u16, steps: u16) -> Vec<u16> {
    let steps = NonZeroU16::new(steps).unwrap();
    let ramp = Ramp::between(
        from,
        to,
        CoreInstant::ZERO,
        steps,
        Duration::from_millis(1),
        Easing::Linear,
    );
    (0..=ramp.steps().get())
        .map(|step| Brightness::Linear.duty(ramp.level_at_step(step), MAX_DUTY))
        .collect()
}
