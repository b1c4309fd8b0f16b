//! Every error status: problem details that name what is wrong, the
//! connection kept where HTTP allows, and nothing half-applied.

mod support;

use core::time::Duration;

use embassy_futures::select::{select, Either};
use serde_json::json;
use support::{get, put, request, Response, Rig};
use urest_core::attributes::{Access, AttributeSpec, Attributes, Kind};
use urest_core::controller::Policy;
use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
use urest_core::time::Instant;
use urest_http::{Config, Noun, Server};

fn detail(problem: &serde_json::Value) -> &str {
    problem["detail"].as_str().expect("detail is text")
}

#[test]
fn malformed_request_line_is_400_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (response, closed)) = rig.serve(&rig.server(), async |client| {
        // The valid request after the bad line must not be served.
        client
            .send(format!("GET /led HTTP/1.1 extra\r\n\r\n{}", get("/led")))
            .await;
        let response = client.response().await;
        (response, client.closed_by_server().await)
    });
    assert_eq!(served, Ok(()));
    response.assert_problem(400);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(closed, "nothing may follow a 400 for a bad head");
}

#[test]
fn malformed_header_is_400_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (response, closed)) = rig.serve(&rig.server(), async |client| {
        let response = client
            .request("GET /led HTTP/1.1\r\nBad Header: x\r\n\r\n")
            .await;
        (response, client.closed_by_server().await)
    });
    assert_eq!(served, Ok(()));
    let problem = response.assert_problem(400);
    assert!(detail(&problem).contains("header"), "{problem}");
    assert!(closed);
}

#[test]
fn malformed_json_is_400_and_the_connection_stays_usable() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (bad, next)) = rig.serve(&rig.server(), async |client| {
        let bad = client.request(put("/led", r#"{"led": 1"#)).await;
        let next = client.request(get("/led")).await;
        client.close();
        (bad, next)
    });
    let problem = bad.assert_problem(400);
    assert!(detail(&problem).contains("JSON"), "{problem}");
    assert_eq!(bad.header("connection"), None);
    assert_eq!(next.json(), json!({"led": 0}), "nothing was applied");
}

#[test]
fn invalid_content_length_is_400_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (response, closed)) = rig.serve(&rig.server(), async |client| {
        let response = client
            .request("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1x\r\n\r\n{}")
            .await;
        (response, client.closed_by_server().await)
    });
    let problem = response.assert_problem(400);
    assert!(detail(&problem).contains("Content-Length"), "{problem}");
    assert!(closed);
}

/// Two `Content-Length` headers that agree leave no doubt where the body
/// ends (RFC 9110 §8.6); only disagreeing ones are refused.
#[test]
fn repeated_content_length_that_agrees_is_accepted() {
    let rig = Rig::new(Policy::Fifo);
    let (served, response) = rig.serve(&rig.server(), async |client| {
        let response = client
            .request("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\ncontent-length: 9\r\n\r\n{\"led\":1}")
            .await;
        client.close();
        response
    });
    assert_eq!(served, Ok(()));
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"led": 1}));
}

#[test]
fn unsupported_media_type_is_415() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (text, untyped, next)) = rig.serve(&rig.server(), async |client| {
        let text = client
            .request("PUT /led HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n{\"led\":1}")
            .await;
        let untyped = client
            .request("POST /led HTTP/1.1\r\nContent-Length: 9\r\n\r\n{\"led\":1}")
            .await;
        let next = client.request(get("/led")).await;
        client.close();
        (text, untyped, next)
    });
    let problem = text.assert_problem(415);
    assert!(detail(&problem).contains("application/json"), "{problem}");
    untyped.assert_problem(415);
    assert_eq!(
        next.json(),
        json!({"led": 0}),
        "a refused body changes nothing"
    );
}

#[test]
fn unknown_wrong_type_missing_and_read_only_attributes_are_422_naming_them() {
    let rig = Rig::new(Policy::Fifo);
    let (_, responses) = rig.serve(&rig.server(), async |client| {
        let mut responses = Vec::new();
        for (path, body) in [
            ("/green_led0", r#"{"colour": "red"}"#),
            ("/green_led0", r#"{"desired": "on"}"#),
            ("/green_led0", r#"{}"#),
            ("/green_led0", r#"{"current": 1}"#),
            ("/led", r#"{"led": 2}"#),
            ("/green_led0", r#"{"desired": 1, "stepms": 5}"#),
        ] {
            responses.push(client.request(put(path, body)).await);
        }
        responses.push(client.request(get("/green_led0")).await);
        client.close();
        responses
    });
    let expectations = [
        ("colour", "unknown attribute \"colour\""),
        ("desired", "must be integer"),
        ("desired", "is required"),
        ("current", "read-only"),
        ("led", "0..=1"),
        ("stepms", "unknown attribute \"stepms\""),
    ];
    for (response, (attribute, phrase)) in responses.iter().zip(expectations) {
        let problem = response.assert_problem(422);
        assert_eq!(problem["attribute"], attribute, "{problem}");
        assert!(detail(&problem).contains(phrase), "{problem}");
    }
    let unknown = responses[0].json();
    assert!(
        detail(&unknown).contains("\"desired\" (integer 0..=1)"),
        "an unknown attribute's detail lists the writable ones: {unknown}"
    );
    let state = responses.last().unwrap().json();
    assert_eq!(
        (state["desired"].as_i64(), state["waiting"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(
        rig.recorder.writes().iter().all(|write| write.duty == 0),
        "the output never moved"
    );
}

#[test]
fn put_without_content_length_is_411_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (response, closed)) = rig.serve(&rig.server(), async |client| {
        let response = client
            .request("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\n\r\n")
            .await;
        (response, client.closed_by_server().await)
    });
    let problem = response.assert_problem(411);
    assert!(detail(&problem).contains("Content-Length"), "{problem}");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(closed);
}

#[test]
fn chunked_body_is_411_not_misread() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (response, closed)) = rig.serve(&rig.server(), async |client| {
        let response = client
            .request(
                "PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
                 9\r\n{\"led\":1}\r\n0\r\n\r\n",
            )
            .await;
        (response, client.closed_by_server().await)
    });
    let problem = response.assert_problem(411);
    assert!(detail(&problem).contains("chunked"), "{problem}");
    assert!(closed, "the chunks must not be read as a request");
    assert!(!rig.pin.is_high());
}

#[test]
fn body_larger_than_the_buffer_is_413_and_drained() {
    let rig = Rig::new(Policy::Fifo);
    let body = format!(r#"{{"led": 1, "padding": "{}"}}"#, "x".repeat(3_000));
    let (served, (refused, next)) = rig.serve(&rig.server(), async |client| {
        // The following request arrives in the same bytes as the body's end.
        client
            .send(format!("{}{}", put("/led", &body), get("/led")))
            .await;
        let refused = client.response().await;
        let next = client.response().await;
        client.close();
        (refused, next)
    });
    assert_eq!(served, Ok(()));
    let problem = refused.assert_problem(413);
    assert!(
        detail(&problem).contains(&body.len().to_string()),
        "{problem}"
    );
    assert_eq!(
        refused.header("connection"),
        None,
        "a drained body keeps the connection"
    );
    assert_eq!(next.status, 200);
    assert_eq!(next.json(), json!({"led": 0}));
}

/// The server drains at most 16 KiB of a refused body; exactly that much
/// is still drained.
#[test]
fn body_of_exactly_the_drain_limit_is_413_and_drained() {
    const DRAIN_LIMIT: usize = 16 * 1024;
    let rig = Rig::new(Policy::Fifo);
    let (served, (refused, next)) = rig.serve(&rig.server(), async |client| {
        client
            .send(format!(
                "PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {DRAIN_LIMIT}\r\n\r\n"
            ))
            .await;
        // Let the server take the head alone, so all of the body is unread.
        rig.sleep_ms(1).await;
        client
            .send(format!("{}{}", "x".repeat(DRAIN_LIMIT), get("/led")))
            .await;
        let refused = client.response().await;
        let next = client.response().await;
        client.close();
        (refused, next)
    });
    assert_eq!(served, Ok(()));
    refused.assert_problem(413);
    assert_eq!(refused.header("connection"), None);
    assert_eq!(next.status, 200);
}

#[test]
fn body_too_large_to_drain_is_413_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (refused, closed)) = rig.serve(&rig.server(), async |client| {
        let refused = client
            .request("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
            .await;
        (refused, client.closed_by_server().await)
    });
    refused.assert_problem(413);
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(closed);
}

#[test]
fn head_larger_than_the_buffer_is_431_and_closes() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (long, closed)) = rig.serve(&rig.server(), async |client| {
        let cookie = "c".repeat(2_000);
        let long = client
            .request(format!("GET /led HTTP/1.1\r\nCookie: {cookie}\r\n\r\n"))
            .await;
        (long, client.closed_by_server().await)
    });
    assert_eq!(served, Ok(()));
    long.assert_problem(431);
    assert_eq!(long.header("connection"), Some("close"));
    assert!(closed);
}

#[test]
fn too_many_headers_is_431() {
    let rig = Rig::new(Policy::Fifo);
    let (_, response) = rig.serve(&rig.server(), async |client| {
        let headers: String = (0..40).map(|i| format!("X-{i}: {i}\r\n")).collect();
        client
            .request(format!("GET /led HTTP/1.1\r\n{headers}\r\n"))
            .await
    });
    let problem = response.assert_problem(431);
    assert!(detail(&problem).contains("headers"), "{problem}");
}

#[test]
fn unfinished_head_is_408_after_the_head_timeout() {
    let rig = Rig::new(Policy::Fifo);
    let start = rig.now();
    let (served, (response, at)) = rig.serve(&rig.server(), async |client| {
        client.send("GET /led HTTP/1.1\r\nHost: dev").await;
        let response = client.response().await;
        (response, rig.now())
    });
    assert_eq!(served, Ok(()));
    let problem = response.assert_problem(408);
    assert!(detail(&problem).contains("head"), "{problem}");
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(at.duration_since(start), Config::DEFAULT_HEAD_TIMEOUT);
}

#[test]
fn a_head_dripped_a_byte_a_second_is_408_at_the_head_timeout() {
    let rig = Rig::new(Policy::Fifo);
    let start = rig.now();
    let (_, (response, at)) = rig.serve(&rig.server(), async |client| {
        let dripping = async {
            for byte in "GET /led HTTP/1.1\r\nHost: device\r\nX-Slow: yes\r\n".chars() {
                client.send(byte.to_string()).await;
                rig.sleep_ms(1_000).await;
            }
        };
        let answered = async {
            let response = client.response().await;
            (response, rig.now())
        };
        match select(answered, dripping).await {
            Either::First(answer) => answer,
            Either::Second(()) => panic!("the whole head was dripped without an answer"),
        }
    });
    response.assert_problem(408);
    assert_eq!(at.duration_since(start), Config::DEFAULT_HEAD_TIMEOUT);
}

#[test]
fn the_head_timeout_is_never_longer_than_the_read_timeout() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server_with(Config {
        read_timeout: Duration::from_secs(2),
        head_timeout: Duration::from_secs(60),
        ..Config::default()
    });
    let start = rig.now();
    let (_, (response, at)) = rig.serve(&server, async |client| {
        client.send("GET /led HTTP/1.1\r\n").await;
        let response = client.response().await;
        (response, rig.now())
    });
    response.assert_problem(408);
    assert_eq!(at.duration_since(start), Duration::from_secs(2));
}

#[test]
fn a_slow_body_is_bound_by_the_read_timeout_not_the_head_timeout() {
    let rig = Rig::new(Policy::Fifo);
    let (_, response) = rig.serve(&rig.server(), async |client| {
        client
            .send("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"led\"")
            .await;
        rig.sleep_ms(20_000).await;
        client.send(":1}").await;
        let response = client.response().await;
        client.close();
        response
    });
    assert_eq!(response.status, 200);
}

#[test]
fn unfinished_body_is_408_and_a_configured_timeout_is_used() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server_with(Config {
        read_timeout: Duration::from_secs(5),
        ..Config::default()
    });
    let start = rig.now();
    let (_, (response, at)) = rig.serve(&server, async |client| {
        client
            .send("PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"led\"")
            .await;
        let response = client.response().await;
        (response, rig.now())
    });
    response.assert_problem(408);
    assert_eq!(at.duration_since(start), Duration::from_secs(5));
    assert!(!rig.pin.is_high(), "half a body applies nothing");
}

#[test]
fn a_slow_head_that_finishes_within_the_head_timeout_is_served() {
    let rig = Rig::new(Policy::Fifo);
    let (_, response) = rig.serve(&rig.server(), async |client| {
        client.send("GET /led HTTP/1.1\r\n").await;
        rig.sleep_ms(4_900).await;
        client.send("Host: device\r\n\r\n").await;
        let response = client.response().await;
        client.close();
        response
    });
    assert_eq!(response.status, 200);
}

#[test]
fn idle_keep_alive_connection_is_closed_without_a_response() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (first, closed, at)) = rig.serve(&rig.server(), async |client| {
        let first = client.request(get("/led")).await;
        let closed = client.closed_by_server().await;
        (first, closed, rig.now())
    });
    assert_eq!(served, Ok(()));
    assert_eq!(first.status, 200);
    assert!(closed, "an idle connection gets no 408");
    assert_eq!(at, Instant::from_millis(30_000));
}

#[test]
fn busy_noun_is_503_with_retry_after_and_the_rejected_put_changes_nothing() {
    let rig = Rig::new(Policy::Reject);
    let (_, (accepted, refused, later_refused, state, next)) =
        rig.serve(&rig.server(), async |client| {
            let accepted = client
                .request(put("/green_led0", r#"{"desired": 1}"#))
                .await;
            rig.sleep_ms(4_000).await;
            let refused = client
                .request(put("/green_led0", r#"{"desired": 0, "steps": 2}"#))
                .await;
            rig.sleep_ms(500).await;
            let later_refused = client
                .request(put("/green_led0", r#"{"desired": 0}"#))
                .await;
            let state = client.request(get("/green_led0")).await;
            rig.sleep_ms(6_000).await;
            let next = client
                .request(put("/green_led0", r#"{"desired": 0}"#))
                .await;
            client.close();
            (accepted, refused, later_refused, state, next)
        });
    assert_eq!(accepted.status, 202);
    let problem = refused.assert_problem(503);
    assert_eq!(refused.header("retry-after"), Some("6"));
    assert!(detail(&problem).contains("green_led0"), "{problem}");
    later_refused.assert_problem(503);
    assert_eq!(
        later_refused.header("retry-after"),
        Some("6"),
        "5.5 s rounds up"
    );

    let state = state.json();
    assert_eq!(
        state["desired"], 1,
        "still heading where the accepted PUT said"
    );
    assert_eq!(state["steps"], 10, "the refused PUT's shape was not taken");
    assert_eq!(state["remaining_ms"], 5_500);
    assert_eq!(next.status, 202);
    assert_eq!(next.json()["ticket"], 2, "the refusals issued no ticket");
    let ramp_up: Vec<u16> = rig
        .recorder
        .writes()
        .iter()
        .filter(|write| write.at <= Instant::from_millis(10_000))
        .map(|write| write.duty)
        .collect();
    assert!(
        ramp_up.is_sorted(),
        "the refused changes never moved the output down: {ramp_up:?}"
    );
    assert_eq!(ramp_up.last(), Some(&1_000));
}

#[test]
fn full_fifo_queue_is_503_with_retry_after() {
    let rig = Rig::new(Policy::Fifo);
    let (_, responses) = rig.serve(&rig.server(), async |client| {
        let mut responses = Vec::new();
        for desired in [1, 0, 1] {
            responses.push(
                client
                    .request(put("/green_led0", &format!(r#"{{"desired": {desired}}}"#)))
                    .await,
            );
        }
        rig.sleep_ms(2_300).await;
        responses.push(
            client
                .request(put("/green_led0", r#"{"desired": 0}"#))
                .await,
        );
        responses.push(client.request(get("/green_led0")).await);
        client.close();
        responses
    });
    let positions: Vec<_> = responses[..3]
        .iter()
        .map(|r| (r.status, r.json()["position"].clone()))
        .collect();
    assert_eq!(
        positions,
        [(202, json!(0)), (202, json!(1)), (202, json!(2))]
    );
    let problem = responses[3].assert_problem(503);
    assert!(detail(&problem).contains("queue"), "{problem}");
    assert_eq!(
        responses[3].header("retry-after"),
        Some("8"),
        "7.7 s rounds up"
    );
    assert_eq!(responses[4].json()["waiting"], 2);
}

/// A noun that conflicts on PUT, says it supports neither POST nor DELETE,
/// and would refuse them anyway.
struct Locked;

const LOCK: &[AttributeSpec] = &[AttributeSpec {
    key: "holder",
    kind: Kind::Str { max_len: 16 },
    access: Access::ReadWrite,
    doc: "who holds the lock",
}];

impl Resource for Locked {
    fn describe(&self) -> Description {
        Description {
            kind: "lock",
            policy: None,
            attributes: LOCK,
            verbs: Verbs {
                put: true,
                post: false,
                delete: false,
            },
        }
    }
    fn get(&self, _now: Instant) -> Attributes {
        Attributes::new()
    }
    fn put(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::Conflict)
    }
    fn post(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }
    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        Err(Error::NotSupported)
    }
}

#[test]
fn conflict_is_409_and_an_unsupported_verb_is_405_with_allow() {
    let rig = Rig::new(Policy::Fifo);
    let nouns = [Noun {
        name: "lock",
        resource: &Locked,
    }];
    let server = Server::new(&nouns, rig.sim.clock(), Config::default());
    let (_, (conflict, unsupported, options, escaped)) = rig.serve(&server, async |client| {
        let conflict = client.request(put("/lock", r#"{"holder": "ann"}"#)).await;
        let unsupported = client.request(request("DELETE", "/lock", "")).await;
        let options = client.request(request("OPTIONS", "/lock", "")).await;
        let escaped = client
            .request(put("/lock", r#"{"hol\u0064er": "b\"ob"}"#))
            .await;
        client.close();
        (conflict, unsupported, options, escaped)
    });
    let problem = conflict.assert_problem(409);
    assert!(detail(&problem).contains("lock"), "{problem}");
    unsupported.assert_problem(405);
    // Exactly what the noun says it supports.
    assert_eq!(unsupported.header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    assert_eq!(options.header("allow"), Some("GET, HEAD, PUT, OPTIONS"));
    // Escaped strings decode through the scratch area and reach the noun.
    escaped.assert_problem(409);
}

/// A read-only noun: a thermometer. Counts the changing verbs that reach it.
struct Thermometer {
    changes: std::cell::Cell<u32>,
}

const READING: &[AttributeSpec] = &[AttributeSpec {
    key: "celsius",
    kind: Kind::Int { min: -40, max: 125 },
    access: Access::ReadOnly,
    doc: "the temperature",
}];

impl Resource for Thermometer {
    fn describe(&self) -> Description {
        Description {
            kind: "thermometer",
            policy: None,
            attributes: READING,
            verbs: Verbs::READ_ONLY,
        }
    }
    fn get(&self, _now: Instant) -> Attributes {
        let mut state = Attributes::new();
        let _ = state.set("celsius", urest_core::attributes::Value::Int(21));
        state
    }
    fn put(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        self.changes.set(self.changes.get() + 1);
        Ok(Outcome::Done)
    }
    fn post(&self, _patch: &Attributes, _now: Instant) -> Result<Outcome, Error> {
        self.changes.set(self.changes.get() + 1);
        Ok(Outcome::Done)
    }
    fn delete(&self, _now: Instant) -> Result<Outcome, Error> {
        self.changes.set(self.changes.get() + 1);
        Ok(Outcome::Done)
    }
}

#[test]
fn a_read_only_noun_refuses_changes_with_405_before_reading_the_body() {
    let rig = Rig::new(Policy::Fifo);
    let thermometer = Thermometer {
        changes: std::cell::Cell::new(0),
    };
    let nouns = [Noun {
        name: "temp",
        resource: &thermometer,
    }];
    let server = Server::new(&nouns, rig.sim.clock(), Config::default());
    let (_, replies) = rig.serve(&server, async |client| {
        let mut replies = Vec::new();
        // Valid, invalid and non-JSON bodies alike: the verb is the problem.
        for (method, body) in [
            ("PUT", r#"{"celsius": 30}"#),
            ("POST", "not json"),
            ("DELETE", ""),
        ] {
            replies.push(client.request(request(method, "/temp", body)).await);
        }
        replies.push(client.request(request("OPTIONS", "/temp", "")).await);
        replies.push(client.request(get("/temp")).await);
        client.close();
        replies
    });
    for refused in &replies[..3] {
        refused.assert_problem(405);
        assert_eq!(refused.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    assert_eq!(replies[3].header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(
        replies[3].json()["allow"],
        "GET, HEAD, OPTIONS",
        "the body says so too"
    );
    assert_eq!(replies[4].json(), json!({"celsius": 21}));
    assert_eq!(
        thermometer.changes.get(),
        0,
        "no changing verb reached the noun"
    );
}

#[test]
fn hardware_failure_is_500_and_changes_nothing() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (failed, state)) = rig.serve(&rig.server(), async |client| {
        rig.pin.set_failing(true);
        let failed = client.request(put("/led", r#"{"led": 1}"#)).await;
        rig.pin.set_failing(false);
        let state = client.request(get("/led")).await;
        client.close();
        (failed, state)
    });
    let problem = failed.assert_problem(500);
    assert!(detail(&problem).contains("hardware"), "{problem}");
    assert_eq!(state.json(), json!({"led": 0}));
    assert!(!rig.pin.is_high());
}

#[test]
fn no_free_slot_response_is_a_complete_503() {
    let mut buffer = [0u8; 512];
    let len = urest_http::write_no_free_slot(&mut buffer, 0).expect("fits");
    let mut headers = [httparse::EMPTY_HEADER; 8];
    let mut parsed = httparse::Response::new(&mut headers);
    let head_len = match parsed.parse(&buffer[..len]).unwrap() {
        httparse::Status::Complete(head_len) => head_len,
        httparse::Status::Partial => panic!("incomplete head"),
    };
    let response = Response {
        status: parsed.code.unwrap(),
        reason: parsed.reason.unwrap().to_string(),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect(),
        body: buffer[head_len..len].to_vec(),
    };
    response.assert_problem(503);
    assert_eq!(
        response.header("retry-after"),
        Some("1"),
        "at least one second"
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(
        response.header("content-length"),
        Some((len - head_len).to_string().as_str())
    );
    assert!(urest_http::write_no_free_slot(&mut [0u8; 64], 3).is_none());
}
