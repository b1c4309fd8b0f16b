//! Access rules over an in-memory connection: tokens (401, 403), the
//! guessing limit (429) in virtual time, the Host check against DNS
//! rebinding (421), cross-site requests and CORS preflights.

#![cfg(feature = "access")]

mod support;

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use support::{empty_post, get, put, request, Response, Rig};
use urest_core::controller::Policy;
use urest_core::resource::Resource;
use urest_http::{Access, Limit, Token};

const OWNER: &str = "owner-7f3a9c";
const DASHBOARD: &str = "dash-21be";
const TOKENS: &[Token<'static>] = &[Token::change(OWNER), Token::read(DASHBOARD)];
const HOSTS: &[&str] = &["device"];
const ORIGIN: &str = "https://dashboard.example";

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Tokens on, reads open, answering to `device`, one listed origin.
fn guarded() -> &'static Access<'static> {
    leak(
        Access::new()
            .with_tokens(TOKENS)
            .with_hosts(HOSTS)
            .with_origins(&[ORIGIN]),
    )
}

/// `head` lines (each ending in CRLF) inserted after the request line.
fn with_headers(request: &str, headers: &str) -> String {
    let (line, rest) = request.split_once("\r\n").expect("a request line");
    format!("{line}\r\n{headers}{rest}")
}

fn bearer(request: &str, token: &str) -> String {
    with_headers(request, &format!("Authorization: Bearer {token}\r\n"))
}

/// One request on its own connection.
fn one(rig: &Rig, access: &'static Access<'static>, bytes: String) -> Response {
    let server = rig.server().with_access(access);
    let (_, response) = rig.serve(&server, async |client| {
        let response = client.request(bytes).await;
        client.close();
        response
    });
    response
}

fn one_from(rig: &Rig, access: &'static Access<'static>, peer: IpAddr, bytes: String) -> Response {
    let server = rig.server().with_access(access);
    let (_, response) = rig.serve_from(&server, peer, async |client| {
        let response = client.request(bytes).await;
        client.close();
        response
    });
    response
}

#[test]
fn a_change_without_a_token_is_401_before_its_body_is_read() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server().with_access(guarded());
    let (served, (response, closed)) = rig.serve(&server, async |client| {
        // The head promises a body that never comes: the answer must not
        // wait for it.
        let response = client
            .request("PUT /led HTTP/1.1\r\nHost: device\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n")
            .await;
        (response, client.closed_by_server().await)
    });
    assert_eq!(served, Ok(()));
    response.assert_problem(401);
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"urest\"")
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert!(closed);
    assert!(!rig.pin.is_high());
}

#[test]
fn a_wrong_token_is_401_invalid_token() {
    let rig = Rig::new(Policy::Fifo);
    for token in ["nope", "owner-7f3a9", "owner-7f3a9c0", "OWNER-7F3A9C", ""] {
        let response = one(
            &rig,
            guarded(),
            bearer(&put("/led", r#"{"led": 1}"#), token),
        );
        response.assert_problem(401);
        let challenge = response.header("www-authenticate").unwrap();
        assert!(
            challenge.starts_with("Bearer realm=\"urest\""),
            "{challenge}"
        );
    }
    let response = one(
        &rig,
        guarded(),
        bearer(&put("/led", r#"{"led": 1}"#), "nope"),
    );
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"urest\", error=\"invalid_token\"")
    );
    // Another scheme is no token at all.
    let basic = with_headers(&empty_post("/led"), "Authorization: Basic b3duZXI6eA==\r\n");
    let response = one(&rig, guarded(), basic);
    assert_eq!(
        response.header("www-authenticate"),
        Some("Bearer realm=\"urest\"")
    );
    assert!(!rig.pin.is_high());
}

#[test]
fn a_read_token_reads_but_may_not_change() {
    let rig = Rig::new(Policy::Fifo);
    let read = one(&rig, guarded(), bearer(&get("/led"), DASHBOARD));
    assert_eq!(read.status, 200, "{read:#?}");
    for change in [
        put("/led", r#"{"led": 1}"#),
        empty_post("/led"),
        request("DELETE", "/green_led0", ""),
    ] {
        let response = one(&rig, guarded(), bearer(&change, DASHBOARD));
        response.assert_problem(403);
        assert!(response
            .header("www-authenticate")
            .unwrap()
            .contains("insufficient_scope"));
    }
    assert!(!rig.pin.is_high());
}

#[test]
fn the_change_token_changes() {
    let rig = Rig::new(Policy::Fifo);
    let response = one(
        &rig,
        guarded(),
        bearer(&put("/led", r#"{"led": 1}"#), OWNER),
    );
    assert_eq!(response.status, 200, "{response:#?}");
    assert!(rig.pin.is_high());
    // Any case of the scheme, extra spaces.
    let toggle = with_headers(
        &empty_post("/led"),
        &format!("authorization: bearer   {OWNER}\r\n"),
    );
    assert_eq!(one(&rig, guarded(), toggle).status, 200);
    assert!(!rig.pin.is_high());
}

#[test]
fn reads_are_open_unless_the_integrator_says_otherwise() {
    let rig = Rig::new(Policy::Fifo);
    assert_eq!(one(&rig, guarded(), get("/led")).status, 200);
    assert_eq!(one(&rig, guarded(), get("/")).status, 200);
    let closed = leak(
        Access::new()
            .with_tokens(TOKENS)
            .with_hosts(HOSTS)
            .with_tokens_for_reads(true),
    );
    for read in [get("/led"), get("/"), request("OPTIONS", "/led", "")] {
        let response = one(&rig, closed, read.clone());
        assert_eq!(response.status, 401, "{read}");
        assert_eq!(
            one(&rig, closed, bearer(&read, DASHBOARD)).status,
            200,
            "{read}"
        );
    }
    let server = rig.server().with_access(closed);
    let (_, refused) = rig.serve(&server, async |client| {
        client.send(request("HEAD", "/led", "")).await;
        client.next_response(true).await
    });
    assert_eq!(refused.status, 401);
    let (_, head) = rig.serve(&server, async |client| {
        client
            .send(bearer(&request("HEAD", "/led", ""), DASHBOARD))
            .await;
        client.next_response(true).await
    });
    assert_eq!(head.status, 200);
}

#[test]
fn wrong_tokens_from_one_peer_are_slowed_down_in_virtual_time() {
    let rig = Rig::new(Policy::Fifo);
    let limit = Limit {
        failures: 3,
        lockout: std::time::Duration::from_secs(60),
    };
    let access = leak(
        Access::new()
            .with_tokens(TOKENS)
            .with_hosts(HOSTS)
            .with_limit(limit),
    );
    let guesser = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 66));
    let owner = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));
    let guess = |n: u32| bearer(&empty_post("/led"), &format!("guess-{n}"));
    for n in 0..3 {
        one_from(&rig, access, guesser, guess(n)).assert_problem(401);
    }
    let locked = one_from(&rig, access, guesser, guess(3));
    locked.assert_problem(429);
    assert_eq!(locked.header("retry-after"), Some("60"));
    assert_eq!(locked.header("connection"), Some("close"));
    // Even the right token is refused during the lockout: it must not tell
    // a guesser which guess was right.
    let right = bearer(&empty_post("/led"), OWNER);
    one_from(&rig, access, guesser, right.clone()).assert_problem(429);
    assert!(!rig.pin.is_high());
    // Another peer is not affected.
    assert_eq!(one_from(&rig, access, owner, right.clone()).status, 200);
    assert!(rig.pin.is_high());
    // Later, less is left. (Each wait is shorter than the read timeout, so
    // the connection is still open when the request comes.)
    let server = rig.server().with_access(access);
    for left in ["40", "20"] {
        let (_, later) = rig.serve_from(&server, guesser, async |client| {
            rig.sleep_ms(20_000).await;
            client.request(right.clone()).await
        });
        later.assert_problem(429);
        assert_eq!(later.header("retry-after"), Some(left));
    }
    // After the lockout, the right token works and clears the count.
    let (_, after) = rig.serve_from(&server, guesser, async |client| {
        rig.sleep_ms(20_000).await;
        client.request(right.clone()).await
    });
    assert_eq!(after.status, 200, "{after:#?}");
    one_from(&rig, access, guesser, guess(4)).assert_problem(401);
}

#[test]
fn without_a_peer_address_wrong_tokens_are_refused_but_not_counted() {
    let rig = Rig::new(Policy::Fifo);
    let access = guarded();
    for n in 0..20 {
        let guess = bearer(&empty_post("/led"), &format!("guess-{n}"));
        one(&rig, access, guess).assert_problem(401);
    }
    assert_eq!(
        one(&rig, access, bearer(&empty_post("/led"), OWNER)).status,
        200
    );
}

#[test]
fn a_name_the_device_does_not_answer_to_is_421_even_without_tokens() {
    let rig = Rig::new(Policy::Fifo);
    let open = leak(Access::new().with_hosts(HOSTS));
    for access in [open, guarded()] {
        for host in [
            "attacker.example",
            "attacker.example:80",
            "device.attacker.example",
            "",
        ] {
            let rebound = format!(
                "POST /led HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {OWNER}\r\n\r\n"
            );
            let response = one(&rig, access, rebound);
            response.assert_problem(421);
            assert_eq!(response.reason, "Misdirected Request");
            assert_eq!(response.header("connection"), Some("close"));
        }
        // An absolute-form target names the host too.
        let absolute = "GET http://attacker.example/led HTTP/1.1\r\nHost: device\r\n\r\n";
        one(&rig, access, absolute.to_owned()).assert_problem(421);
    }
    assert!(!rig.pin.is_high());
    for host in [
        "device",
        "DEVICE:8080",
        "192.168.1.20",
        "10.0.0.5:80",
        "[fe80::1]:80",
        "localhost:8080",
    ] {
        let response = one(
            &rig,
            open,
            format!("GET /led HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        );
        assert_eq!(response.status, 200, "{host}");
    }
    // No Host at all is accepted, as without access rules: a browser always
    // sends one, so its absence is never a rebinding page.
    let response = one(&rig, open, "GET /led HTTP/1.1\r\n\r\n".to_owned());
    assert_eq!(response.status, 200);
}

#[test]
fn a_preflight_from_a_listed_origin_is_answered_without_a_token() {
    let rig = Rig::new(Policy::Fifo);
    let preflight = format!(
        "OPTIONS /led HTTP/1.1\r\nHost: device\r\nOrigin: {ORIGIN}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type, authorization\r\n\r\n"
    );
    let server = rig.server().with_access(guarded());
    let (served, (answer, next)) = rig.serve(&server, async |client| {
        let answer = client.request(preflight.clone()).await;
        // The connection stays open for the real request.
        let next = client
            .request(with_headers(
                &bearer(&put("/led", r#"{"led": 1}"#), OWNER),
                &format!("Origin: {ORIGIN}\r\n"),
            ))
            .await;
        client.close();
        (answer, next)
    });
    assert_eq!(served, Ok(()));
    assert_eq!(answer.status, 204, "{answer:#?}");
    assert_eq!(answer.reason, "No Content");
    assert_eq!(answer.header("content-length"), None);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    let methods = answer.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("PUT") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = answer.header("access-control-allow-headers").unwrap();
    assert!(headers.contains("content-type") && headers.contains("authorization"));
    assert_eq!(answer.header("access-control-max-age"), Some("600"));
    assert_eq!(answer.header("vary"), Some("Origin"));
    assert!(answer.body.is_empty());

    assert_eq!(next.status, 200, "{next:#?}");
    assert_eq!(next.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(next.header("vary"), Some("Origin"));
    assert!(rig.pin.is_high());
}

#[test]
fn a_preflight_from_another_origin_is_403() {
    let rig = Rig::new(Policy::Fifo);
    let preflight = "OPTIONS /led HTTP/1.1\r\nHost: device\r\nOrigin: https://attacker.example\r\nAccess-Control-Request-Method: POST\r\n\r\n";
    let response = one(&rig, guarded(), preflight.to_owned());
    response.assert_problem(403);
    assert_eq!(response.header("access-control-allow-origin"), None);
    // With no origins listed at all, every preflight is refused, and no
    // response says Vary: Origin.
    let plain = leak(Access::new().with_hosts(HOSTS));
    let response = one(&rig, plain, preflight.to_owned());
    response.assert_problem(403);
    assert_eq!(response.header("vary"), None);
}

#[test]
fn plain_options_is_still_the_description() {
    let rig = Rig::new(Policy::Fifo);
    let response = one(&rig, guarded(), request("OPTIONS", "/led", ""));
    assert_eq!(response.status, 200);
    assert!(response.header("allow").is_some());
    assert_eq!(response.json()["name"], "led");
}

#[test]
fn responses_name_only_listed_origins() {
    let rig = Rig::new(Policy::Fifo);
    let listed = one(
        &rig,
        guarded(),
        with_headers(&get("/led"), &format!("Origin: {ORIGIN}\r\n")),
    );
    assert_eq!(listed.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(listed.header("vary"), Some("Origin"));
    let other = one(
        &rig,
        guarded(),
        with_headers(&get("/led"), "Origin: https://attacker.example\r\n"),
    );
    assert_eq!(other.status, 200);
    assert_eq!(other.header("access-control-allow-origin"), None);
    assert_eq!(other.header("vary"), Some("Origin"));
    // A refusal for a listed origin is readable by its page too.
    let refused = one(
        &rig,
        guarded(),
        with_headers(&empty_post("/led"), &format!("Origin: {ORIGIN}\r\n")),
    );
    refused.assert_problem(401);
    assert_eq!(refused.header("access-control-allow-origin"), Some(ORIGIN));
}

#[test]
fn a_cross_site_change_is_403_even_on_an_open_device() {
    let rig = Rig::new(Policy::Fifo);
    let open = leak(Access::new().with_hosts(HOSTS));
    // The empty POST toggle needs no Content-Type, so a page can send it
    // without a preflight; the Origin header gives it away.
    for origin in [
        "https://attacker.example",
        "null",
        "http://device.attacker.example",
    ] {
        let response = one(
            &rig,
            open,
            with_headers(&empty_post("/led"), &format!("Origin: {origin}\r\n")),
        );
        response.assert_problem(403);
        assert!(!rig.pin.is_high(), "{origin}");
    }
    // The device's own origin, and reads from anywhere, are fine.
    let own = with_headers(&empty_post("/led"), "Origin: http://device\r\n");
    assert_eq!(one(&rig, open, own).status, 200);
    assert!(rig.pin.is_high());
    let read = with_headers(&get("/led"), "Origin: https://attacker.example\r\n");
    assert_eq!(one(&rig, open, read).status, 200);
}

#[test]
fn a_long_origin_still_fits_the_response_head() {
    let rig = Rig::new(Policy::Fifo);
    let origin: &'static str = leak(format!("https://{}.example", "a".repeat(180))).as_str();
    let origins: &'static [&'static str] = leak([origin]);
    let access = leak(
        Access::new()
            .with_tokens(TOKENS)
            .with_hosts(HOSTS)
            .with_origins(origins),
    );
    let preflight = format!(
        "OPTIONS /led HTTP/1.1\r\nHost: device\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: PUT\r\n\r\n"
    );
    let answer = one(&rig, access, preflight);
    assert_eq!(answer.status, 204);
    assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
    // A 405 with Allow, a problem body, the origin and Vary.
    let patch = with_headers(
        &bearer(&request("PATCH", "/led", ""), OWNER),
        &format!("Origin: {origin}\r\n"),
    );
    let refused = one(&rig, access, patch);
    refused.assert_problem(405);
    assert_eq!(refused.header("access-control-allow-origin"), Some(origin));
}

/// The state of both nouns, as JSON bytes.
fn states(rig: &Rig) -> (Vec<u8>, Vec<u8>, bool) {
    let mut pwm = vec![0u8; 512];
    let mut led = vec![0u8; 64];
    let now = rig.now();
    let pwm_len = rig.pwm.get(now).encode(&mut pwm).unwrap();
    let led_len = rig.led.get(now).encode(&mut led).unwrap();
    pwm.truncate(pwm_len);
    led.truncate(led_len);
    (pwm, led, rig.pin.is_high())
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("PUT".to_owned()),
        Just("POST".to_owned()),
        Just("DELETE".to_owned()),
        Just("PATCH".to_owned()),
        Just("GET".to_owned()),
        Just("OPTIONS".to_owned()),
        "[A-Z]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/led".to_owned()),
        Just("/LED/".to_owned()),
        Just("/green_led0".to_owned()),
        Just("/%6Ced".to_owned()),
        Just("http://device/led".to_owned()),
        Just("/".to_owned()),
        Just("*".to_owned()),
        "/[a-z_0-9%]{0,12}",
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(r#"{"led": 1}"#.to_owned()),
        Just(r#"{"desired": 1}"#.to_owned()),
        Just(r#"{"desired": 1, "steps": 1, "step_ms": 0}"#.to_owned()),
        "[ -~]{0,40}",
    ]
}

/// Headers a forger might add: anything but a valid token.
fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 -]{0,30}".prop_map(|token| format!("Authorization: Bearer {token}")),
        Just(format!("Authorization: Bearer {DASHBOARD}")),
        Just(format!("Authorization: Basic {OWNER}")),
        Just(format!("Authorization: Bearer {OWNER}x")),
        Just(format!("Authorization: Bearer{OWNER}")),
        Just(format!("X-Authorization: Bearer {OWNER}")),
        Just(format!("Origin: {ORIGIN}")),
        Just("Access-Control-Request-Method: PUT".to_owned()),
        Just("Connection: close".to_owned()),
        Just("Expect: 100-continue".to_owned()),
        Just("Host: device".to_owned()),
        Just("Host: 127.0.0.1".to_owned()),
        "[A-Za-z-]{1,16}: [ -~]{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// With tokens on, no request without a change token changes a noun,
    /// whatever its verb, path, body and other headers.
    #[test]
    fn nothing_changes_without_a_change_token(
        method in method(),
        path in path(),
        body in body(),
        headers in prop::collection::vec(header(), 0..5),
        json in any::<bool>(),
    ) {
        let rig = Rig::new(Policy::Fifo);
        let before = states(&rig);
        let mut bytes = format!("{method} {path} HTTP/1.1\r\n");
        for header in &headers {
            bytes.push_str(header);
            bytes.push_str("\r\n");
        }
        if json {
            bytes.push_str("Content-Type: application/json\r\n");
        }
        bytes.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        let server = rig.server().with_access(guarded());
        let peer = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9));
        let _ = rig.serve_from(&server, peer, async |client| {
            client.send(&bytes).await;
            client.close();
            client.rest().await
        });
        prop_assert_eq!(states(&rig), before);
    }
}
