//! Access rules of the host program as a real HTTP client sees them:
//! tokens, scopes, the guessing limit, the Host check against DNS rebinding
//! and CORS. Always against an in-process host (the emulated board is built
//! without a token).

mod common;

use common::{config, start_host, Raw};
use urest_host::TokenSpec;

const OWNER: &str = "0f3b8e2c9d4a7165b2e0c4f8a1d3e7b9";
const DASHBOARD: &str = "dash-4c1e9b";
const ORIGIN: &str = "https://dashboard.lan";

fn guarded() -> urest_host::Running {
    let mut config = config(&["led0=simple"]);
    config.tokens = vec![TokenSpec::change(OWNER), TokenSpec::read(DASHBOARD)];
    config.allow_hosts = vec!["lights.lan".into()];
    config.allow_origins = vec![ORIGIN.into()];
    start_host(config)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(common::DEADLINE))
        .build()
        .new_agent()
}

fn put_led(host: &urest_host::Running, token: Option<&str>) -> (u16, Option<String>) {
    let mut request = agent()
        .put(format!("{}/led0", host.url()))
        .header("Content-Type", "application/json");
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let response = request.send(r#"{"led": 1}"#).expect("an answer");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), challenge)
}

#[test]
fn a_real_client_needs_the_change_token_to_change() {
    let host = guarded();
    let (status, challenge) = put_led(&host, None);
    assert_eq!(status, 401);
    assert_eq!(challenge.as_deref(), Some("Bearer realm=\"urest\""));
    assert_eq!(put_led(&host, Some("wrong")).0, 401);
    assert_eq!(put_led(&host, Some(DASHBOARD)).0, 403);
    assert_eq!(host.probe().is_high("led0"), Some(false));
    assert_eq!(put_led(&host, Some(OWNER)).0, 200);
    assert_eq!(host.probe().is_high("led0"), Some(true));
    // Reads stay open.
    let read = agent()
        .get(format!("{}/led0", host.url()))
        .call()
        .expect("an answer");
    assert_eq!(read.status().as_u16(), 200);
}

#[test]
fn guessing_is_answered_429_with_retry_after() {
    let host = guarded();
    for n in 0..5 {
        assert_eq!(put_led(&host, Some(&format!("guess{n}"))).0, 401);
    }
    let mut raw = Raw::connect(host.addr());
    let reply = raw
        .send(
            format!(
                "POST /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {OWNER}\r\n\r\n"
            )
            .as_bytes(),
        )
        .response()
        .expect(429);
    assert_eq!(reply.retry_after_secs(), 60);
    assert_eq!(host.probe().is_high("led0"), Some(false));
}

#[test]
fn a_rebound_name_is_421_and_a_listed_name_is_served() {
    let host = guarded();
    let rebound = format!(
        "PUT /led0 HTTP/1.1\r\nHost: attacker.example\r\nAuthorization: Bearer {OWNER}\r\n\
         Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"led\": 1}}"
    );
    Raw::connect(host.addr())
        .send(rebound.as_bytes())
        .response()
        .expect(421);
    assert_eq!(host.probe().is_high("led0"), Some(false));
    Raw::connect(host.addr())
        .send(b"GET /led0 HTTP/1.1\r\nHost: lights.lan:8080\r\n\r\n")
        .response()
        .expect(200);
}

#[test]
fn a_listed_origin_gets_its_preflight_and_others_do_not() {
    let host = guarded();
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization\r\n\r\n"
        )
    };
    let answer = Raw::connect(host.addr())
        .send(preflight(ORIGIN).as_bytes())
        .head_response()
        .expect(204);
    assert_eq!(answer.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(answer.header("vary"), Some("Origin"));
    Raw::connect(host.addr())
        .send(preflight("https://attacker.example").as_bytes())
        .response()
        .expect(403);
}
