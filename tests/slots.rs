//! Connection slots: a host serves at most `slots` connections at once and
//! answers any more at once with 503, so no client waits unanswered; it
//! stops cleanly with connections open.

mod common;

use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::time::Duration;

use common::{config, eventually, start, Client, Raw, DEADLINE};

const GET_LED: &[u8] = b"GET /led0 HTTP/1.1\r\nHost: t\r\n\r\n";

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
                "PUT /led0 HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
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
    let mut holder = Raw::connect(host.addr());
    holder.send(GET_LED).response().expect(200);

    let mut extra = Raw::connect(host.addr());
    extra.send(GET_LED);
    let refused = extra.response();
    assert_eq!(refused.status, 503, "{refused:#?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert!(extra.is_closed());
    // A real client is told too, rather than left waiting.
    assert_eq!(Client::new(&host).get("/led0").status, 503);

    // Once the holder leaves, its slot is free again.
    drop(holder);
    eventually("the slot is free", || {
        let mut next = Raw::connect(host.addr());
        next.send(GET_LED);
        (next.response().status == 200).then_some(())
    });
}

#[test]
fn stopping_closes_idle_connections_and_returns() {
    let host = start(with_slots(4));
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
    let mut idle = Raw::connect(host.addr());
    idle.send(GET_LED).response().expect(200);
    // Closed without a response: nothing was asked.
    assert!(idle.is_closed());
    eventually("the slot is free", || {
        let mut next = Raw::connect(host.addr());
        next.send(GET_LED);
        (next.response().status == 200).then_some(())
    });
}
