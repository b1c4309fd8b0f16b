//! Every error status the API promises, provoked over real TCP: malformed
//! requests through a raw socket, the rest through a real client too.

mod common;

use std::time::Duration;

use common::{config, start, Client, Raw, Reply, Target};

/// A PUT of `body` to `/green_led0` with extra header lines.
fn put(extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "PUT /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[track_caller]
fn assert_problem(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{reply:#?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{reply:#?}"
    );
    let problem = reply.json();
    assert_eq!(problem["status"], status, "{problem}");
    assert!(
        problem["title"].is_string() && problem["detail"].is_string(),
        "{problem}"
    );
}

fn answer_to(host: &Target, request: &[u8]) -> Reply {
    let mut raw = Raw::connect(host.addr());
    raw.send(request);
    raw.response()
}

#[test]
fn malformed_requests_are_400() {
    let host = start(config(&["green_led0=pwm"]));
    let request_line = answer_to(&host, b"GET /green_led0 HTTP/9\r\n\r\n");
    assert_problem(&request_line, 400);
    let header = answer_to(&host, b"GET /green_led0 HTTP/1.1\r\nHost t\r\n\r\n");
    assert_problem(&header, 400);
    let json = answer_to(
        &host,
        &put("Content-Type: application/json\r\n", "{\"desired\": 1"),
    );
    assert_problem(&json, 400);
    let not_an_object = Client::new(&host).put("/green_led0", "[1]");
    assert_problem(&not_an_object, 400);
    // Nothing refused changed anything.
    assert_eq!(Client::new(&host).state("green_led0")["desired"], 0);
    let duties = host.probe().duties("green_led0").unwrap();
    assert!(duties.iter().all(|&duty| duty == 0), "{duties:?}");
}

#[test]
fn unknown_nouns_are_404() {
    let host = start(config(&["green_led0=pwm"]));
    let reply = Client::new(&host).get("/blue_led9");
    assert_problem(&reply, 404);
    assert!(reply.json()["detail"]
        .as_str()
        .unwrap()
        .contains("/blue_led9"));
}

#[test]
fn unknown_methods_are_405_with_allow() {
    let host = start(config(&["green_led0=pwm"]));
    let on_noun = answer_to(
        &host,
        b"PATCH /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_problem(&on_noun, 405);
    let allow = on_noun.header("allow").expect("Allow");
    assert!(allow.contains("PUT") && allow.contains("DELETE"), "{allow}");
    let on_index = Client::new(&host).delete("/");
    assert_problem(&on_index, 405);
    assert_eq!(on_index.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn a_request_that_stalls_is_408_and_closed() {
    let mut config = config(&["green_led0=pwm"]);
    config.read_timeout = Duration::from_millis(150);
    let host = start(config);
    let mut raw = Raw::connect(host.addr());
    raw.send(b"PUT /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 14\r\n\r\n{\"desi");
    let reply = raw.response();
    assert_problem(&reply, 408);
    assert!(raw.is_closed());
    assert_eq!(Client::new(&host).state("green_led0")["desired"], 0);
}

#[test]
fn a_body_without_a_length_is_411() {
    let host = start(config(&["green_led0=pwm"]));
    let reply = answer_to(
        &host,
        b"PUT /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Transfer-Encoding: chunked\r\n\r\nE\r\n{\"desired\": 1}\r\n0\r\n\r\n",
    );
    assert_problem(&reply, 411);
}

#[test]
fn a_body_too_large_is_413() {
    let host = start(config(&["green_led0=pwm"]));
    let body = format!(
        r#"{{"desired": 1{}}}"#,
        " ".repeat(urest_host::REQUEST_BUFFER)
    );
    let reply = Client::new(&host).put("/green_led0", &body);
    assert_problem(&reply, 413);
    assert_eq!(Client::new(&host).state("green_led0")["desired"], 0);
}

#[test]
fn a_body_that_is_not_json_is_415() {
    let host = start(config(&["green_led0=pwm"]));
    let reply = answer_to(
        &host,
        &put("Content-Type: text/plain\r\n", r#"{"desired": 1}"#),
    );
    assert_problem(&reply, 415);
    let untyped = answer_to(&host, &put("", r#"{"desired": 1}"#));
    assert_problem(&untyped, 415);
}

#[test]
fn a_wrong_attribute_is_422_and_named() {
    let host = start(config(&["green_led0=pwm", "led0=simple"]));
    let client = Client::new(&host);
    for (noun, body, attribute) in [
        ("green_led0", r#"{"desired": 5}"#, "desired"),
        ("green_led0", r#"{"desired": "on"}"#, "desired"),
        ("green_led0", r#"{"colour": 1}"#, "colour"),
        ("green_led0", r#"{"duty": 100}"#, "duty"),
        ("green_led0", "{}", "desired"),
        ("led0", r#"{"led": true}"#, "led"),
    ] {
        let reply = client.put(&format!("/{noun}"), body);
        assert_problem(&reply, 422);
        assert_eq!(reply.json()["attribute"], attribute, "{body}: {reply:#?}");
    }
}

#[test]
fn a_head_too_large_is_431() {
    let host = start(config(&["green_led0=pwm"]));
    let cookie = "c".repeat(urest_host::REQUEST_BUFFER);
    let reply = answer_to(
        &host,
        format!("GET /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n")
            .as_bytes(),
    );
    assert_problem(&reply, 431);
    let many: String = (0..40).map(|n| format!("X-{n}: {n}\r\n")).collect();
    let reply = answer_to(
        &host,
        format!("GET /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n{many}\r\n").as_bytes(),
    );
    assert_problem(&reply, 431);
}

#[test]
fn a_busy_reject_noun_is_503_with_retry_after() {
    let mut config = config(&["reject_led=pwm:reject"]);
    // A 5 s fade: long enough that a busy machine cannot finish it mid-test.
    config.step_time = Duration::from_millis(500);
    let host = start(config);
    let client = Client::new(&host);
    client.put("/reject_led", r#"{"desired": 1}"#).expect(202);
    let reply = client.put("/reject_led", r#"{"desired": 0}"#);
    assert_problem(&reply, 503);
    let retry = reply.retry_after_secs();
    assert!(
        (1..=5).contains(&retry),
        "a 5 s fade has at most 5 s left: {retry}"
    );
}

#[test]
fn a_full_fifo_queue_is_503_with_retry_after() {
    let mut config = config(&["green_led0=pwm:fifo"]);
    // A 5 s fade: long enough that a busy machine cannot finish it mid-test.
    config.step_time = Duration::from_millis(500);
    let host = start(config);
    let mut raw = Raw::connect(host.addr());
    let request = |desired: u8| {
        put(
            "Content-Type: application/json\r\n",
            &format!(r#"{{"desired": {desired}}}"#),
        )
    };
    // One running, then alternate so that no change repeats the one before.
    raw.send(&request(1));
    assert_eq!(raw.response().expect(202).json()["position"], 0);
    for place in 1..=urest_host::QUEUE_CAPACITY {
        raw.send(&request((place % 2 == 0) as u8));
        assert_eq!(raw.response().expect(202).json()["position"], place);
    }
    raw.send(&request((urest_host::QUEUE_CAPACITY % 2 == 1) as u8));
    let full = raw.response();
    assert_problem(&full, 503);
    let retry = full.retry_after_secs();
    assert!(
        (1..=5).contains(&retry),
        "the running 5 s fade frees a place: {retry}"
    );
    // The refusal left the queue as it was.
    let state = Client::new(&host).state("green_led0");
    assert_eq!(state["waiting"], urest_host::QUEUE_CAPACITY);
}
