//! Stopping the host (what SIGTERM does) while a request is under way:
//! every request is answered or refused, and stopping never waits out the
//! read timeout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use urest_host::{HostConfig, Running};

/// Longer than any test may take: a read that waits this long has hung.
const PATIENCE: Duration = Duration::from_secs(15);

fn host() -> Running {
    urest_host::start(HostConfig {
        port: 0,
        quiet: true,
        // Long enough that waiting it out would fail the time bounds below.
        read_timeout: Duration::from_secs(12),
        ..HostConfig::default()
    })
    .expect("host starts")
}

fn connect(host: &Running) -> TcpStream {
    let client = TcpStream::connect(host.addr()).expect("connects");
    client.set_read_timeout(Some(PATIENCE)).expect("timeout");
    client
}

/// Stop `host` on another thread, as a signal would, timing how long it
/// takes.
fn stop_in_background(host: Running) -> thread::JoinHandle<Duration> {
    thread::spawn(move || {
        let started = Instant::now();
        host.stop().expect("host stops");
        started.elapsed()
    })
}

/// Everything the host sends until it closes the connection.
fn read_to_close(client: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let _ = client.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_request_told_to_continue_is_answered_when_the_host_stops() {
    let host = host();
    let mut client = connect(&host);
    let body = br#"{"led": 1}"#;
    write!(
        client,
        "PUT /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    )
    .expect("head sent");
    let mut go_ahead = [0u8; 25];
    client.read_exact(&mut go_ahead).expect("100 Continue");
    assert_eq!(&go_ahead, b"HTTP/1.1 100 Continue\r\n\r\n");

    let stopping = stop_in_background(host);
    thread::sleep(Duration::from_millis(200));
    client.write_all(body).expect("body sent");
    let answer = read_to_close(&mut client);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    let took = stopping.join().expect("stopper");
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
}

#[test]
fn half_a_request_does_not_hold_the_host_for_the_read_timeout() {
    let host = host();
    let mut client = connect(&host);
    client
        .write_all(b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .expect("half a head sent");
    // Let the host read what was sent, so the request is under way.
    thread::sleep(Duration::from_millis(200));

    let took = stop_in_background(host).join().expect("stopper");
    assert!(took < Duration::from_secs(5), "stopping took {took:?}");
    let answer = read_to_close(&mut client);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("Retry-After"), "{answer:?}");
}
