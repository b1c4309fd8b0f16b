//! The access rules of a running host over loopback: tokens and their
//! scopes, the limit on guessing, the Host check against DNS rebinding,
//! cross-site changes and CORS preflights.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use urest_host::{HostConfig, Running, TokenSpec};

const OWNER: &str = "owner-7f3a9c";
const DASHBOARD: &str = "dash-21be";
const ORIGIN: &str = "https://dashboard.example";

fn start(config: HostConfig) -> Running {
    urest_host::start(HostConfig {
        port: 0,
        quiet: true,
        step_time: Duration::from_millis(1),
        ..config
    })
    .expect("the host starts")
}

fn guarded() -> Running {
    start(HostConfig {
        tokens: vec![TokenSpec::change(OWNER), TokenSpec::read(DASHBOARD)],
        allow_hosts: vec!["lights.lan".into()],
        allow_origins: vec![ORIGIN.into()],
        ..HostConfig::default()
    })
}

/// A request to `/led0` with `extra` header lines, on its own connection;
/// the whole response.
fn call(host: &Running, method: &str, extra: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(host.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let typed = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/json\r\n".to_owned()
    };
    let request = format!(
        "{method} /led0 HTTP/1.1\r\nConnection: close\r\n{extra}{typed}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn host_line(host: &Running) -> String {
    format!("Host: {}\r\n", host.addr())
}

fn bearer(host: &Running, token: &str) -> String {
    format!("{}Authorization: Bearer {token}\r\n", host_line(host))
}

const ON: &str = r#"{"led": 1}"#;

fn status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

#[test]
fn on_loopback_without_tokens_nothing_is_needed() {
    let host = start(HostConfig::default());
    let response = call(&host, "PUT", &host_line(&host), ON);
    assert_eq!(status(&response), 200, "{response}");
    assert_eq!(host.probe().is_high("led0"), Some(true));
    assert_eq!(host.generated_token(), None);
}

#[test]
fn tokens_and_scopes() {
    let host = guarded();
    let missing = call(&host, "PUT", &host_line(&host), ON);
    assert_eq!(status(&missing), 401, "{missing}");
    assert!(missing.contains("\r\nWWW-Authenticate: Bearer realm=\"urest\"\r\n"));
    assert!(missing.contains("\r\nContent-Type: application/problem+json\r\n"));
    let wrong = call(&host, "PUT", &bearer(&host, "owner-7f3a9d"), ON);
    assert_eq!(status(&wrong), 401, "{wrong}");
    assert!(wrong.contains("error=\"invalid_token\""));
    let read_only = call(&host, "PUT", &bearer(&host, DASHBOARD), ON);
    assert_eq!(status(&read_only), 403, "{read_only}");
    assert_eq!(host.probe().is_high("led0"), Some(false));
    let read = call(&host, "GET", &bearer(&host, DASHBOARD), "");
    assert_eq!(status(&read), 200, "{read}");
    let open_read = call(&host, "GET", &host_line(&host), "");
    assert_eq!(status(&open_read), 200, "{open_read}");
    let changed = call(&host, "PUT", &bearer(&host, OWNER), ON);
    assert_eq!(status(&changed), 200, "{changed}");
    assert_eq!(host.probe().is_high("led0"), Some(true));
}

#[test]
fn reads_can_need_a_token_too() {
    let host = start(HostConfig {
        tokens: vec![TokenSpec::read(DASHBOARD)],
        tokens_for_reads: true,
        ..HostConfig::default()
    });
    assert_eq!(status(&call(&host, "GET", &host_line(&host), "")), 401);
    assert_eq!(
        status(&call(&host, "GET", &bearer(&host, DASHBOARD), "")),
        200
    );
}

#[test]
fn guessing_from_one_address_is_429_with_retry_after() {
    let host = guarded();
    for n in 0..5 {
        let guess = call(&host, "POST", &bearer(&host, &format!("guess-{n}")), "");
        assert_eq!(status(&guess), 401, "{guess}");
    }
    let locked = call(&host, "POST", &bearer(&host, "guess-5"), "");
    assert_eq!(status(&locked), 429, "{locked}");
    assert!(locked.contains("\r\nRetry-After: 60\r\n"), "{locked}");
    // The right token waits too, for the same address.
    let right = call(&host, "POST", &bearer(&host, OWNER), "");
    assert_eq!(status(&right), 429, "{right}");
    assert_eq!(host.probe().is_high("led0"), Some(false));
}

#[test]
fn names_the_host_does_not_answer_to_are_421() {
    let host = start(HostConfig {
        allow_hosts: vec!["lights.lan".into()],
        ..HostConfig::default()
    });
    for name in [
        "attacker.example",
        "attacker.example:8080",
        "lights.lan.attacker.example",
    ] {
        let rebound = call(&host, "PUT", &format!("Host: {name}\r\n"), ON);
        assert_eq!(status(&rebound), 421, "{rebound}");
        assert!(rebound.starts_with("HTTP/1.1 421 Misdirected Request\r\n"));
    }
    assert_eq!(host.probe().is_high("led0"), Some(false));
    let port = host.addr().port();
    for name in [
        format!("lights.lan:{port}"),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
    ] {
        let response = call(&host, "GET", &format!("Host: {name}\r\n"), "");
        assert_eq!(status(&response), 200, "{name}: {response}");
    }
}

#[test]
fn cross_site_changes_are_403_and_listed_origins_get_cors() {
    let host = guarded();
    // A page elsewhere sending the toggle, which needs no preflight.
    let forged = call(
        &host,
        "POST",
        &format!("{}Origin: https://attacker.example\r\n", host_line(&host)),
        "",
    );
    assert_eq!(status(&forged), 403, "{forged}");
    assert!(!forged.contains("Access-Control-Allow-Origin"));
    assert_eq!(host.probe().is_high("led0"), Some(false));

    let preflight = call(
        &host,
        "OPTIONS",
        &format!(
            "{}Origin: {ORIGIN}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: authorization, content-type\r\n",
            host_line(&host)
        ),
        "",
    );
    assert!(
        preflight.starts_with("HTTP/1.1 204 No Content\r\n"),
        "{preflight}"
    );
    assert!(preflight.contains(&format!("\r\nAccess-Control-Allow-Origin: {ORIGIN}\r\n")));
    assert!(preflight.contains("\r\nAccess-Control-Allow-Headers: content-type, authorization, if-match, if-none-match, lock-token, idempotency-key, prefer\r\n"));
    assert!(preflight.contains("\r\nAccess-Control-Max-Age: 600\r\n"));
    assert!(preflight.contains("\r\nVary: Origin\r\n"));

    let from_dashboard = call(
        &host,
        "PUT",
        &format!("{}Origin: {ORIGIN}\r\n", bearer(&host, OWNER)),
        ON,
    );
    assert_eq!(status(&from_dashboard), 200, "{from_dashboard}");
    // A page's script may read the headers that coordinate clients.
    assert!(from_dashboard.contains(
        "\r\nAccess-Control-Expose-Headers: ETag, Location, Retry-After, Lock-Token, Lock-Info, Preference-Applied\r\n"
    ));
    assert!(from_dashboard.contains(&format!("\r\nAccess-Control-Allow-Origin: {ORIGIN}\r\n")));
    assert_eq!(host.probe().is_high("led0"), Some(true));
}

#[test]
fn bound_beyond_loopback_without_a_token_one_is_made_up() {
    let host = start(HostConfig {
        bind: "0.0.0.0".parse().unwrap(),
        ..HostConfig::default()
    });
    let token = host.generated_token().expect("a token").to_owned();
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], host.addr().port()));
    let call_to = |extra: &str| {
        let mut stream = TcpStream::connect(loopback).unwrap();
        let request = format!(
            "POST /led0 HTTP/1.1\r\nHost: {loopback}\r\nConnection: close\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    assert_eq!(status(&call_to("")), 401);
    let toggled = call_to(&format!("Authorization: Bearer {token}\r\n"));
    assert_eq!(status(&toggled), 200, "{toggled}");
    assert_eq!(host.probe().is_high("led0"), Some(true));
}
