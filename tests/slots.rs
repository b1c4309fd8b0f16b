//! Connection slots: a host serves at most `slots` connections at once and
//! answers any more at once with 503, so no client waits unanswered; it
//! stops cleanly with connections open. (The board has its own number of
//! slots and read timeout: the tests ask the target for them.)

mod common;

use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::time::Duration;

use common::{board, config, eventually, start, start_host, Client, Raw, DEADLINE};

const GET_LED: &[u8] = b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

fn with_slots(slots: usize) -> urest_host::HostConfig {
    let mut config = config(&["led0=simple"]);
    config.slots = NonZeroUsize::new(slots).unwrap();
    config.read_timeout = Duration::from_secs(60);
    config
}

#[test]
fn a_second_slot_keeps_working_while_one_client_idles() {
    let host = start(with_slots(2));
    let mut idle = Raw::connect(host.addr());
    idle.send(GET_LED).response().expect(200);

    // Connections one after another, each closed by the host once
    // answered, all get the free slot.
    for led in [1, 0, 1, 0, 1] {
        let body = format!(r#"{{"led": {led}}}"#);
        let mut once = Raw::connect(host.addr());
        once.send(
            format!(
                "PUT /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        assert_eq!(once.response().expect(200).json()["led"], led);
        assert!(once.is_closed());
    }
    // So does a real client, which keeps its connection for the next request.
    let client = Client::new(&host);
    assert_eq!(client.get("/led0").expect(200).json()["led"], 1);
    assert_eq!(client.post("/led0", "").expect(200).json()["led"], 0);
    // The idle client was kept all along.
    idle.send(GET_LED);
    assert_eq!(idle.response().expect(200).json()["led"], 0);
}

#[test]
fn a_client_beyond_the_slots_is_answered_503_at_once() {
    let host = start(with_slots(1));
    let mut holders: Vec<Raw> = (0..host.slots())
        .map(|_| {
            let mut holder = Raw::connect(host.addr());
            holder.send(GET_LED).response().expect(200);
            holder
        })
        .collect();

    let mut extra = Raw::connect_once(host.addr());
    extra.send(GET_LED);
    let refused = extra.response();
    assert_eq!(refused.status, 503, "{refused:#?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert!(extra.is_closed());
    drop(extra);
    // A real client is told too, rather than left waiting.
    let told = host.once_turn_away_is_free(|| Client::new(&host).try_get("/led0"));
    assert_eq!(told.status, 503, "{told:#?}");

    // Once a holder leaves, its slot is free again.
    drop(holders.pop());
    eventually("the slot is free", || {
        let mut next = Raw::connect(host.addr());
        next.send(GET_LED);
        (next.try_response()?.status == 200).then_some(())
    });
}

#[test]
fn stopping_closes_idle_connections_and_returns() {
    if board::skips("stopping_closes_idle_connections_and_returns") {
        return;
    }
    let host = start_host(with_slots(4));
    let addr = host.addr();
    let mut idle = Raw::connect(addr);
    idle.send(GET_LED).response().expect(200);
    let mut silent = Raw::connect(addr);

    let (stopped, wait) = mpsc::channel();
    std::thread::spawn(move || stopped.send(host.stop().is_ok()));
    // The read timeout is a minute; stopping must not wait for it.
    assert_eq!(wait.recv_timeout(DEADLINE), Ok(true));
    assert!(idle.is_closed());
    assert!(silent.is_closed());
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "no longer listening"
    );
}

#[test]
fn an_idle_client_gives_its_slot_back_after_the_read_timeout() {
    let mut config = with_slots(1);
    config.read_timeout = Duration::from_millis(100);
    let host = start(config);
    assert!(host.read_timeout() < DEADLINE, "the test waits for it");
    let mut idle: Vec<Raw> = (0..host.slots())
        .map(|_| {
            let mut raw = Raw::connect(host.addr());
            raw.send(GET_LED).response().expect(200);
            raw
        })
        .collect();
    // Closed without a response: nothing was asked.
    for raw in &mut idle {
        assert!(raw.is_closed());
    }
    eventually("the slot is free", || {
        let mut next = Raw::connect(host.addr());
        next.send(GET_LED);
        (next.try_response()?.status == 200).then_some(())
    });
}
