//! Clients that coordinate, over real TCP on loopback with a real HTTP
//! client: client locks taken in turn, a client that dies holding one,
//! a toggle retried with one `Idempotency-Key`, and `Prefer: wait`.

mod common;

use std::time::{Duration, Instant};

use common::{board, config, eventually, start, Client, Reply};

/// `header: value` pairs for [`Client::send`].
fn token(value: &str) -> [(&str, &str); 1] {
    [("Lock-Token", value)]
}

fn lock(client: &Client, noun: &str, body: &str) -> Reply {
    client.send("POST", &format!("/{noun}/lock"), &[], body)
}

#[test]
fn two_clients_take_the_lock_in_turn() {
    if board::skips("two_clients_take_the_lock_in_turn") {
        return;
    }
    let host = start(config(&["green_led0=pwm:fifo"]));
    let (alice, bob) = (Client::new(&host), Client::new(&host));

    let granted = lock(&alice, "green_led0", r#"{"owner": "alice"}"#).expect(201);
    let held = granted
        .header("lock-token")
        .expect("a Lock-Token")
        .to_owned();
    assert_eq!(granted.header("location"), Some("/green_led0/lock"));

    // Bob is refused every change, and the lock itself, with the owner
    // named and the lease left as Retry-After.
    let refused = bob.put("/green_led0", r#"{"desired": 1}"#).expect(423);
    assert!(refused.body.contains("alice"), "{}", refused.body);
    let left = refused.retry_after_secs();
    assert!((29..=30).contains(&left), "{left}");
    lock(&bob, "green_led0", "").expect(423);
    // Reads are never locked, and anyone may see who holds it.
    bob.get("/green_led0").expect(200);
    let shown = bob.get("/green_led0/lock").expect(200).json();
    assert_eq!(shown["owner"], "alice");
    assert!(shown.get("token").is_none());

    // Alice's on, off, on, each waited for, is never interleaved with Bob.
    for desired in [1, 0, 1] {
        let done = alice.send(
            "PUT",
            "/green_led0",
            &[("Lock-Token", &held), ("Prefer", "wait=5")],
            &format!(r#"{{"desired": {desired}}}"#),
        );
        let done = done.expect(200);
        assert_eq!(done.header("preference-applied"), Some("wait"));
        assert_eq!(done.json()["desired"], desired);
        bob.post("/green_led0", "").expect(423);
    }
    let duties = host.probe().duties("green_led0").expect("a PWM noun");
    let full = *duties.iter().max().expect("duties were written");
    let reached: Vec<bool> = duties
        .iter()
        .filter(|&&duty| duty == 0 || duty == full)
        .map(|&duty| duty == full)
        .fold(Vec::new(), |mut ends, on| {
            if ends.last() != Some(&on) {
                ends.push(on);
            }
            ends
        });
    assert_eq!(reached, [false, true, false, true], "{duties:?}");

    alice
        .send("DELETE", "/green_led0/lock", &token(&held), "")
        .expect(204);
    let bobs = lock(&bob, "green_led0", r#"{"owner": "bob"}"#).expect(201);
    assert_ne!(bobs.header("lock-token"), Some(held.as_str()));
    // Alice's token is worth nothing now.
    alice
        .send("POST", "/green_led0", &token(&held), "")
        .expect(423);
}

#[test]
fn a_client_that_dies_holding_the_lock_frees_the_noun_when_its_lease_ends() {
    if board::skips("a_client_that_dies_holding_the_lock_frees_the_noun_when_its_lease_ends") {
        return;
    }
    let host = start(config(&["led=simple"]));
    let locked_at = Instant::now();
    {
        let doomed = Client::new(&host);
        lock(&doomed, "led", r#"{"owner": "doomed", "ttl_ms": 400}"#).expect(201);
        // The client goes away without releasing.
    }
    let survivor = Client::new(&host);
    let refused = survivor.post("/led", "");
    if locked_at.elapsed() < Duration::from_millis(400) {
        assert_eq!(refused.status, 423, "{}", refused.body);
        assert_eq!(refused.retry_after_secs(), 1, "rounded up");
    }
    let taken_at = eventually("the lease runs out", || {
        let reply = survivor.post("/led", "");
        (reply.status == 200).then(Instant::now)
    });
    assert!(taken_at - locked_at >= Duration::from_millis(400));
    survivor.get("/led/lock").expect(404);
}

#[test]
fn a_toggle_retried_with_one_key_toggles_once() {
    if board::skips("a_toggle_retried_with_one_key_toggles_once") {
        return;
    }
    let host = start(config(&["led=simple"]));
    let client = Client::new(&host);
    let key = [("Idempotency-Key", "\"toggle-7f3a\"")];
    for _ in 0..4 {
        let reply = client.send("POST", "/led", &key, "").expect(200);
        assert_eq!(reply.json()["led"], 1);
    }
    assert_eq!(host.probe().is_high("led"), Some(true));
    client
        .send("POST", "/led", &key, r#"{"led": 0}"#)
        .expect(422);
    // A new key is a new request.
    client
        .send(
            "POST",
            "/led",
            &[("Idempotency-Key", "\"toggle-7f3b\"")],
            "",
        )
        .expect(200);
    assert_eq!(host.probe().is_high("led"), Some(false));
}

#[test]
fn prefer_wait_answers_once_the_fade_is_done() {
    let host = start(config(&["green_led0=pwm:fifo"]));
    let client = Client::new(&host);
    client.settled("green_led0");
    let done = client
        .send(
            "PUT",
            "/green_led0",
            &[("Prefer", "wait=10")],
            r#"{"desired": 1}"#,
        )
        .expect(200);
    assert_eq!(done.header("preference-applied"), Some("wait"));
    let state = done.json();
    assert_eq!(state["desired"], 1);
    assert_eq!(state["waiting"], 0);
    assert_eq!(state["duty"], state["max_duty"], "{state}");
    let tag = done.header("etag").expect("an ETag").to_owned();
    client
        .get_with("/green_led0", "If-None-Match", &tag)
        .expect(304);
}
