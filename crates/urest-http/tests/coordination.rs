//! Clients that coordinate over HTTP: client locks (`/{noun}/lock`,
//! `Lock-Token`, `423`), `Idempotency-Key` replays and `Prefer: wait`,
//! over the in-memory rig in virtual time.

#![cfg(feature = "coordination")]

mod support;

use core::time::Duration;

use support::{empty_post, get, put, request, Clock, Response, Rig};
use urest_core::controller::Policy;
use urest_core::coord::{CoordConfig, LeaseConfig};
use urest_http::{Config, Coordination, Server, TooFewPlaces};
use urest_mock::MockEntropy;

type Coord = Coordination<MockEntropy, 2, 4>;

fn coordination(config: CoordConfig) -> &'static Coord {
    Box::leak(Box::new(
        Coordination::new(MockEntropy::new(0x2545_f491_4f6c_dd1d), config).expect("entropy works"),
    ))
}

fn coordinated(rig: &Rig, coord: &'static Coord, config: Config) -> Server<'static, Clock> {
    rig.server_with(config)
        .with_coordination(coord)
        .expect("a place for every noun")
}

/// A request with extra header lines (each ending in CRLF) after `Host`.
fn with_headers(method: &str, path: &str, headers: &str, body: &str) -> String {
    let plain = request(method, path, body);
    plain.replacen("Host: device\r\n", &format!("Host: device\r\n{headers}"), 1)
}

/// `PUT /green_led0 {"desired": desired}` with `Prefer: wait=seconds`.
fn waiting_put(seconds: u32, desired: u8) -> String {
    with_headers(
        "PUT",
        "/green_led0",
        &format!("Prefer: wait={seconds}\r\n"),
        &format!(r#"{{"desired": {desired}}}"#),
    )
}

/// `METHOD path`, empty, carrying `Lock-Token: token`.
fn with_token(method: &str, path: &str, token: &str) -> String {
    with_headers(method, path, &format!("Lock-Token: {token}\r\n"), "")
}

fn token_of(response: &Response) -> String {
    response
        .header("lock-token")
        .expect("a Lock-Token header")
        .to_owned()
}

#[test]
fn a_lock_is_granted_shown_renewed_and_released() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let (served, replies) = rig.serve(&server, async |client| {
        let unlocked = client.request(get("/led/lock")).await;
        let granted = client
            .request(request(
                "POST",
                "/led/lock",
                r#"{"owner": "alice", "ttl_ms": 10000}"#,
            ))
            .await;
        let token = token_of(&granted);
        let shown = client.request(get("/led/lock")).await;
        let again = client
            .request(request("POST", "/led/lock", r#"{"owner": "bob"}"#))
            .await;
        rig.sleep_ms(4_000).await;
        let renewed = client
            .request(with_headers(
                "POST",
                "/led/lock",
                // Spaces and tabs around the value are no part of it.
                &format!("Lock-Token: \t <{token}> \t\r\n"),
                "",
            ))
            .await;
        let released = client
            .request(with_token("DELETE", "/led/lock", &token))
            .await;
        let after = client.request(get("/led/lock")).await;
        client.close();
        (
            unlocked, granted, token, shown, again, renewed, released, after,
        )
    });
    assert_eq!(served, Ok(()));
    let (unlocked, granted, token, shown, again, renewed, released, after) = replies;
    unlocked.assert_problem(404);

    assert_eq!(granted.status, 201, "{granted:#?}");
    assert_eq!(granted.reason, "Created");
    assert_eq!(granted.header("location"), Some("/led/lock"));
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|byte| byte.is_ascii_hexdigit()));
    let body = granted.json();
    assert_eq!(body["token"], token.as_str());
    assert_eq!(body["owner"], "alice");
    assert_eq!(body["expires_in_ms"], 10_000);

    // Everyone sees who holds it, never the token.
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.json(),
        serde_json::json!({"owner": "alice", "expires_in_ms": 10_000})
    );

    // A second lock is refused while the first is held, naming the owner.
    let problem = again.assert_problem(423);
    assert_eq!(again.reason, "Locked");
    assert_eq!(problem["title"], "Locked");
    assert!(
        problem["detail"].as_str().unwrap().contains("alice"),
        "{problem}"
    );
    assert_eq!(again.header("retry-after"), Some("10"));

    // Renewal with the token (in angle brackets too) restarts the default lease.
    assert_eq!(renewed.status, 200, "{renewed:#?}");
    assert_eq!(renewed.json()["expires_in_ms"], 30_000);
    assert_eq!(released.status, 204);
    assert_eq!(released.body, b"");
    after.assert_problem(404);
}

#[test]
fn changes_without_the_token_are_locked_out_and_reads_never_are() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let (_, (granted, refused, read, own, cancel)) = rig.serve(&server, async |client| {
        let granted = client.request(request("POST", "/led/lock", "")).await;
        let token = token_of(&granted);
        let refused = client.request(put("/led", r#"{"led": 1}"#)).await;
        let read = client.request(get("/led")).await;
        let own = client
            .request(with_headers(
                "PUT",
                "/led",
                &format!("Lock-Token: {token}\r\n"),
                r#"{"led": 1}"#,
            ))
            .await;
        // The lock of one noun leaves the others alone.
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        let cancel = client
            .request(request("DELETE", "/green_led0/changes/1", ""))
            .await;
        client.close();
        (granted, refused, read, own, cancel)
    });
    assert_eq!(granted.status, 201);
    assert_eq!(granted.json()["owner"], "");
    let problem = refused.assert_problem(423);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another client"),
        "{problem}"
    );
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(read.status, 200);
    assert_eq!(read.header("lock-info"), Some("expires_in_ms=30000"));
    assert_eq!(own.status, 200, "{own:#?}");
    assert_eq!(own.header("lock-info"), None, "only reads show the lock");
    assert!(rig.led.is_on());
    assert_eq!(cancel.status, 200, "{cancel:#?}");
}

#[test]
fn a_lease_that_runs_out_frees_the_noun_and_its_token_is_worthless() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let (_, (during, after, stale_renew, stale_release, garbled)) =
        rig.serve(&server, async |client| {
            let granted = client
                .request(request("POST", "/led/lock", r#"{"ttl_ms": 2000}"#))
                .await;
            let token = token_of(&granted);
            rig.sleep_ms(1_500).await;
            let during = client.request(empty_post("/led")).await;
            rig.sleep_ms(600).await;
            let after = client.request(empty_post("/led")).await;
            let stale_renew = client
                .request(with_token("POST", "/led/lock", &token))
                .await;
            let stale_release = client
                .request(with_token("DELETE", "/led/lock", &token))
                .await;
            let garbled = client
                .request(with_token("POST", "/led/lock", "not-a-token"))
                .await;
            client.close();
            (during, after, stale_renew, stale_release, garbled)
        });
    during.assert_problem(423);
    assert_eq!(during.header("retry-after"), Some("1"));
    assert_eq!(after.status, 200, "{after:#?}");
    stale_renew.assert_problem(409);
    stale_release.assert_problem(409);
    // A Lock-Token that is no token renews nothing and takes no new lock.
    garbled.assert_problem(409);
}

#[test]
fn a_cancel_needs_the_lock_token_while_the_noun_is_locked() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let (_, (refused, cancelled)) = rig.serve(&server, async |client| {
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        let granted = client
            .request(request("POST", "/green_led0/lock", ""))
            .await;
        let token = token_of(&granted);
        let refused = client
            .request(request("DELETE", "/green_led0/changes/1", ""))
            .await;
        let cancelled = client
            .request(with_token("DELETE", "/green_led0/changes/1", &token))
            .await;
        client.close();
        (refused, cancelled)
    });
    refused.assert_problem(423);
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.json()["status"], "cancelled");
}

#[test]
fn a_toggle_retried_with_one_key_toggles_once() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let keyed = "Idempotency-Key:  \"8e03978e-40d5-43e8\"\t\r\n";
    let (_, (first, retries, other_body)) = rig.serve(&server, async |client| {
        let toggle = with_headers("POST", "/led", keyed, "");
        let first = client.request(&toggle).await;
        let mut retries = Vec::new();
        for _ in 0..3 {
            retries.push(client.request(&toggle).await);
        }
        let other_body = client
            .request(with_headers("POST", "/led", keyed, r#"{"led": 0}"#))
            .await;
        client.close();
        (first, retries, other_body)
    });
    assert_eq!(first.status, 200);
    assert_eq!(first.json(), serde_json::json!({"led": 1}));
    for retry in &retries {
        assert_eq!(retry.status, 200);
        assert_eq!(retry.json(), serde_json::json!({"led": 1}));
    }
    assert!(rig.led.is_on(), "toggled once, not four times");
    other_body.assert_problem(422);
}

#[test]
fn a_replayed_202_names_the_same_ticket_and_queues_nothing() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let keyed = "Idempotency-Key: fade-up-1\r\n";
    let (_, (first, retry, listed)) = rig.serve(&server, async |client| {
        let fade = with_headers("PUT", "/green_led0", keyed, r#"{"desired": 1}"#);
        let first = client.request(&fade).await;
        rig.sleep_ms(3_000).await;
        let retry = client.request(&fade).await;
        let listed = client.request(get("/green_led0/changes")).await;
        client.close();
        (first, retry, listed)
    });
    assert_eq!(first.status, 202);
    assert_eq!(retry.status, 202);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.json()["ticket"], first.json()["ticket"]);
    assert_eq!(retry.json()["eta_ms"], 7_000, "the ETA moved on");
    let listed = listed.json();
    assert_eq!(
        listed["changes"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
}

#[test]
fn a_key_is_refused_when_too_long_and_a_failed_change_is_not_remembered() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let long = format!("Idempotency-Key: {}\r\n", "k".repeat(65));
    let (_, (too_long, bad, fixed)) = rig.serve(&server, async |client| {
        let too_long = client
            .request(with_headers("POST", "/led", &long, ""))
            .await;
        let key = "Idempotency-Key: retry-me\r\n";
        let bad = client
            .request(with_headers("PUT", "/led", key, r#"{"led": 7}"#))
            .await;
        let fixed = client
            .request(with_headers("PUT", "/led", key, r#"{"led": 1}"#))
            .await;
        client.close();
        (too_long, bad, fixed)
    });
    too_long.assert_problem(400);
    bad.assert_problem(422);
    // The refused PUT was forgotten with its key, so the retry is made.
    assert_eq!(fixed.status, 200, "{fixed:#?}");
    assert!(rig.led.is_on());
}

#[test]
fn prefer_wait_answers_200_once_the_fade_is_done() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server();
    let (_, (waited, at)) = rig.serve(&server, async |client| {
        let waited = client.request(waiting_put(30, 1)).await;
        (waited, rig.now())
    });
    assert_eq!(waited.status, 200, "{waited:#?}");
    assert_eq!(waited.header("preference-applied"), Some("wait"));
    assert!(waited.header("etag").is_some());
    assert_eq!(waited.json()["desired"], 1);
    // The ten-second fade, and no more than the recheck period after it.
    assert!(
        at.as_micros() >= 10_000_000 && at.as_micros() <= 10_100_000,
        "{at:?}"
    );
}

#[test]
fn prefer_wait_gives_the_usual_202_when_the_wait_is_over_first() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server_with(Config {
        max_wait: Duration::from_secs(3),
        ..Config::default()
    });
    let (_, (waited, at)) = rig.serve(&server, async |client| {
        let waited = client.request(waiting_put(60, 1)).await;
        (waited, rig.now())
    });
    assert_eq!(waited.status, 202);
    assert_eq!(waited.header("preference-applied"), None);
    assert_eq!(waited.header("location"), Some("/green_led0/changes/1"));
    assert_eq!(waited.json()["eta_ms"], 7_000);
    assert_eq!(at.as_micros(), 3_000_000, "capped by Config::max_wait");
}

#[test]
fn a_waiting_client_learns_that_its_change_was_cancelled() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server();
    let (waited, cancel) = rig.serve_two(
        &server,
        async |client| client.request(waiting_put(30, 1)).await,
        async |other| {
            rig.sleep_ms(2_000).await;
            other
                .request(request("DELETE", "/green_led0/changes/1", ""))
                .await
        },
    );
    assert_eq!(cancel.status, 200);
    assert_eq!(waited.status, 200, "{waited:#?}");
    assert_eq!(waited.json()["status"], "cancelled");
}

#[test]
fn coordination_must_have_a_place_for_every_noun() {
    let rig = Rig::new(Policy::Fifo);
    let small: &'static Coordination<MockEntropy, 1, 4> = Box::leak(Box::new(
        Coordination::new(MockEntropy::new(7), CoordConfig::default()).expect("entropy works"),
    ));
    let refused = rig.server().with_coordination(small).err();
    assert_eq!(
        refused,
        Some(TooFewPlaces {
            places: 1,
            nouns: 2
        })
    );
}

#[test]
fn without_coordination_locks_are_not_implemented() {
    let rig = Rig::new(Policy::Fifo);
    let (_, locked) = rig.serve(&rig.server(), async |client| {
        let locked = client.request(request("POST", "/led/lock", "")).await;
        client.close();
        locked
    });
    locked.assert_problem(501);
    assert_eq!(locked.reason, "Not Implemented");
}

#[test]
fn a_lease_longer_than_the_maximum_is_cut_to_it() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig {
        lease: LeaseConfig {
            default_ttl: Duration::from_secs(5),
            max_ttl: Duration::from_secs(20),
        },
        ..CoordConfig::default()
    });
    let server = coordinated(&rig, coord, Config::default());
    let (_, (long, bad)) = rig.serve(&server, async |client| {
        let long = client
            .request(request("POST", "/led/lock", r#"{"ttl_ms": 3600000}"#))
            .await;
        let bad = client
            .request(request("POST", "/green_led0/lock", r#"{"ttl_ms": "soon"}"#))
            .await;
        client.close();
        (long, bad)
    });
    assert_eq!(long.json()["expires_in_ms"], 20_000);
    let problem = bad.assert_problem(422);
    assert_eq!(problem["attribute"], "ttl_ms");
}

#[test]
fn a_read_shows_how_long_the_noun_stays_locked() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    let (_, (before, during, head, after)) = rig.serve(&server, async |client| {
        let before = client.request(get("/led")).await;
        let granted = client
            .request(request(
                "POST",
                "/led/lock",
                r#"{"owner": "kitchen panel", "ttl_ms": 5000}"#,
            ))
            .await;
        rig.sleep_ms(1_200).await;
        let during = client.request(get("/led")).await;
        client
            .send("HEAD /led HTTP/1.1\r\nHost: device\r\n\r\n")
            .await;
        let head = client.next_response(true).await;
        let token = token_of(&granted);
        client
            .request(with_token("DELETE", "/led/lock", &token))
            .await;
        let after = client.request(get("/led")).await;
        client.close();
        (before, during, head, after)
    });
    assert_eq!(before.header("lock-info"), None);
    assert_eq!(during.header("lock-info"), Some("expires_in_ms=3800"));
    assert_eq!(head.header("lock-info"), during.header("lock-info"));
    assert_eq!(after.header("lock-info"), None);
}

#[test]
fn the_index_shows_each_lock_in_entries_of_one_length() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let server = coordinated(&rig, coord, Config::default());
    // A response buffer of the smallest size, too small for the index,
    // which then goes in pieces.
    let (_, (before, during)) = rig.serve_sized(&server, 1024, 1024, async |client| {
        let before = client.request(get("/")).await;
        client
            .request(request("POST", "/led/lock", r#"{"ttl_ms": 45000}"#))
            .await;
        rig.sleep_ms(500).await;
        let during = client.request(get("/")).await;
        client.close();
        (before, during)
    });
    assert_eq!(before.status, 200);
    let locks = |index: &Response| -> Vec<u64> {
        index.json()["nouns"]
            .as_array()
            .expect("a list of nouns")
            .iter()
            .map(|noun| noun["lock_expires_in_ms"].as_u64().expect("a number"))
            .collect()
    };
    assert_eq!(locks(&before), [0, 0]);
    assert_eq!(locks(&during), [0, 44_500]);
    // The same length locked or not, so a lock taken while an index is
    // sent in pieces cannot break its Content-Length.
    assert_eq!(before.body.len(), during.body.len());
    assert!(before.body.len() > 1024, "sent in pieces");
    assert!(before
        .text()
        .contains(r#""lock_expires_in_ms":         0,"#));
}

#[test]
fn an_index_without_coordination_says_nothing_of_locks() {
    let rig = Rig::new(Policy::Fifo);
    let (_, index) = rig.serve(&rig.server(), async |client| {
        let index = client.request(get("/")).await;
        client.close();
        index
    });
    assert!(!index.text().contains("lock"), "{}", index.text());
}

#[test]
fn a_reject_refusal_is_never_delayed_by_prefer_wait() {
    let rig = Rig::new(Policy::Reject);
    let server = rig.server();
    let (_, (first, refused, at)) = rig.serve(&server, async |client| {
        let first = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        let refused = client.request(waiting_put(30, 0)).await;
        let at = rig.now();
        client.close();
        (first, refused, at)
    });
    assert_eq!(first.status, 202);
    refused.assert_problem(503);
    assert_eq!(refused.header("preference-applied"), None);
    assert_eq!(at.as_micros(), 0, "answered at once");
}

/// Keeps every response body an observer is shown.
#[derive(Default)]
struct Bodies(std::cell::RefCell<Vec<String>>);

impl urest_http::Observer for Bodies {
    fn response(&self, _status: u16, body: &[u8]) {
        self.0
            .borrow_mut()
            .push(String::from_utf8_lossy(body).into_owned());
    }
}

#[test]
fn an_observer_never_sees_a_lock_token() {
    let rig = Rig::new(Policy::Fifo);
    let coord = coordination(CoordConfig::default());
    let bodies: &'static Bodies = Box::leak(Box::default());
    let server = coordinated(&rig, coord, Config::default()).with_observer(bodies);
    let (_, (granted, renewed)) = rig.serve(&server, async |client| {
        let granted = client.request(request("POST", "/led/lock", "")).await;
        let token = token_of(&granted);
        let renewed = client
            .request(with_token("POST", "/led/lock", &token))
            .await;
        client.close();
        (granted, renewed)
    });
    let token = token_of(&granted);
    assert_eq!(
        renewed.json()["token"],
        token.as_str(),
        "the client gets it"
    );
    let seen = bodies.0.borrow();
    assert_eq!(seen.len(), 2);
    for body in seen.iter() {
        assert!(!body.contains(&token), "{body}");
        assert!(
            body.contains(&format!(r#""token":"{}""#, "*".repeat(32))),
            "{body}"
        );
    }
}
