//! Connection slots shared fairly: a server serves at most `slots`
//! connections at once; a client beyond them waits while an idle or
//! dripping connection makes way for it, and is answered `503` only when it
//! has waited longer than the bound, and only once it has sent its request.
//! Real keep-alive clients beyond the slots all get answers. (The board has
//! its own number of slots, read timeout and wait bound: the tests ask the
//! target for them.)

mod common;

use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::time::{Duration, Instant};

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
fn a_client_beyond_the_slots_is_served_once_the_longest_idle_connection_makes_way() {
    let host = start(with_slots(2));
    let mut holders: Vec<Raw> = (0..host.slots())
        .map(|index| {
            let mut holder = Raw::connect(host.addr());
            holder.send(GET_LED).response().expect(200);
            if index == 0 {
                // So that the first is clearly the one idle longest.
                std::thread::sleep(Duration::from_millis(100));
            }
            holder
        })
        .collect();

    let asked = Instant::now();
    let mut extra = Raw::connect_once(host.addr());
    extra.send(GET_LED);
    let served = extra.response();
    assert_eq!(served.status, 200, "{served:#?}");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "served after {:?}",
        asked.elapsed()
    );
    assert!(holders[0].is_closed(), "the one idle longest made way");
    // The others kept their connections.
    for holder in &mut holders[1..] {
        holder.send(GET_LED).response().expect(200);
    }
}

/// A connection holding a slot with a request whose body never comes: it is
/// never interrupted.
fn busy_holder(addr: std::net::SocketAddr) -> Raw {
    let mut holder = Raw::connect(addr);
    holder.send(
        b"PUT /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{",
    );
    holder
}

#[test]
fn a_client_that_waits_longer_than_the_bound_is_answered_503_after_its_request() {
    if board::skips("a_client_that_waits_longer_than_the_bound_is_answered_503_after_its_request") {
        return;
    }
    let mut config = with_slots(1);
    config.queue_wait = Duration::from_millis(300);
    let host = start(config);
    let holders: Vec<Raw> = (0..host.slots())
        .map(|_| busy_holder(host.addr()))
        .collect();
    // Let every holder's head reach its slot before the extra client comes.
    std::thread::sleep(Duration::from_millis(200));

    let mut extra = Raw::connect_once(host.addr());
    let asked = Instant::now();
    extra.send(GET_LED);
    let refused = extra.response();
    let waited = asked.elapsed();
    assert_eq!(refused.status, 503, "{refused:#?}");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    // The board's clock and ours may differ by a little.
    assert!(
        waited + Duration::from_millis(50) >= host.queue_wait(),
        "answered after {waited:?}, within the wait bound"
    );
    assert!(extra.is_closed());

    // Once a holder's request is whole it is answered, and its slot serves.
    let mut holders = holders;
    let mut first = holders.remove(0);
    first.send(b"\"led\": 1}");
    assert_eq!(first.response().expect(200).json()["led"], 1);
    drop(first);
    eventually("the slot is free", || {
        let mut next = Raw::connect(host.addr());
        next.send(GET_LED);
        (next.try_response()?.status == 200).then_some(())
    });
}

#[test]
fn a_client_that_sends_nothing_while_it_waits_is_closed_without_an_answer() {
    let mut config = with_slots(1);
    config.queue_wait = Duration::from_millis(200);
    let host = start(config);
    let _holders: Vec<Raw> = (0..host.slots())
        .map(|_| busy_holder(host.addr()))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut silent = Raw::connect_once(host.addr());
    let connected = Instant::now();
    assert!(silent.is_closed(), "closed, and nothing was sent to it");
    assert!(
        connected.elapsed() < host.read_timeout(),
        "closed by the wait bound, not the read timeout"
    );
}

/// Sends a header that never ends, one byte every 100 ms, until dropped.
struct Drip {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drip {
    fn start(addr: std::net::SocketAddr) -> Drip {
        use std::io::Write as _;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
                return;
            };
            let _ = stream.write_all(b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
                if stream.write_all(b"a").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        Drip {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Drip {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn idle_and_dripping_connections_never_keep_a_client_waiting_a_second() {
    let host = start(with_slots(4));
    let slots = host.slots();
    for round in 0..3 {
        // Every slot taken by an attacker: half of them idle, the others
        // dripping a head, each round on fresh connections.
        let idle: Vec<Raw> = (0..slots / 2)
            .map(|_| {
                let mut raw = Raw::connect(host.addr());
                raw.send(GET_LED).response().expect(200);
                raw
            })
            .collect();
        let drips: Vec<Drip> = (slots / 2..slots)
            .map(|_| Drip::start(host.addr()))
            .collect();
        // The heads have been dripping for longer than a working client
        // takes to send one.
        std::thread::sleep(Duration::from_millis(600));
        let asked = Instant::now();
        let client = Client::new(&host);
        let reply = client.get("/led0");
        let waited = asked.elapsed();
        assert_eq!(reply.status, 200, "round {round}: {reply:?}");
        assert!(
            waited < Duration::from_secs(1),
            "round {round}: served after {waited:?}"
        );
        drop((client, idle, drips));
    }
}

#[test]
fn more_keep_alive_clients_than_slots_all_get_their_answers() {
    let host = start(with_slots(2));
    let clients = 4 * host.slots();
    let requests = 40;
    let answered = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    let client = Client::new(&host);
                    (0..requests)
                        .map(|_| client.get("/led0").status)
                        .filter(|status| *status == 200)
                        .count()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a client thread"))
            .collect::<Vec<_>>()
    });
    assert_eq!(answered, vec![requests; clients], "200s per client");
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
