//! One connection over time: keep-alive, pipelining, closing, HTTP/1.0,
//! `100 Continue`, observers, and several connections served at once.

mod support;

use std::convert::Infallible;

use embassy_futures::join::{join, join3};
use serde_json::json;
use support::{get, put, serve_then_close, Client, Pipe, Rig, ServerEnd, TIME_LIMIT};
use urest_core::controller::Policy;
use urest_core::time::Instant;
use urest_http::{Buffers, ConnectionError};

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let rig = Rig::new(Policy::Fifo);
    let (served, responses) = rig.serve(&rig.server(), async |client| {
        let mut responses = Vec::new();
        for body in [r#"{"led":1}"#, r#"{"led":0}"#, r#"{"led":1}"#] {
            responses.push(client.request(put("/led", body)).await);
            responses.push(client.request(get("/led")).await);
        }
        client.close();
        responses
    });
    assert_eq!(served, Ok(()), "the peer closing is an orderly end");
    let states: Vec<_> = responses.iter().map(|r| r.json()["led"].clone()).collect();
    assert_eq!(
        states,
        [json!(1), json!(1), json!(0), json!(0), json!(1), json!(1)]
    );
    assert!(responses.iter().all(|r| r.header("connection").is_none()));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let rig = Rig::new(Policy::Fifo);
    let (served, responses) = rig.serve(&rig.server(), async |client| {
        let burst = format!(
            "{}{}{}{}",
            get("/led"),
            put("/led", r#"{"led": 1}"#),
            get("/LED"),
            get("/nothing")
        );
        client.send(burst).await;
        client.close();
        let mut responses = Vec::new();
        for _ in 0..4 {
            responses.push(client.response().await);
        }
        assert!(client.closed_by_server().await);
        responses
    });
    assert_eq!(served, Ok(()));
    let statuses: Vec<_> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 404]);
    assert_eq!(responses[0].json(), json!({"led": 0}));
    assert_eq!(responses[2].json(), json!({"led": 1}));
}

#[test]
fn pipelined_requests_arriving_byte_by_byte_are_answered() {
    let rig = Rig::new(Policy::Fifo);
    let (_, responses) = rig.serve(&rig.server(), async |client| {
        let burst = format!("{}{}", put("/led", r#"{"led": 1}"#), get("/led"));
        for byte in burst.as_bytes() {
            client.send([*byte]).await;
        }
        client.close();
        (client.response().await, client.response().await)
    });
    assert_eq!(responses.0.json(), json!({"led": 1}));
    assert_eq!(responses.1.json(), json!({"led": 1}));
}

#[test]
fn connection_close_is_honoured_and_echoed() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (response, closed)) = rig.serve(&rig.server(), async |client| {
        let closing = "GET /led HTTP/1.1\r\nHost: device\r\nConnection: close\r\n\r\n";
        // The request after `Connection: close` must not be served.
        client
            .send(format!("{closing}{}", put("/led", r#"{"led": 1}"#)))
            .await;
        let response = client.response().await;
        (response, client.closed_by_server().await)
    });
    assert_eq!(served, Ok(()));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(closed);
    assert!(!rig.pin.is_high());
}

#[test]
fn http_1_0_closes_unless_asked_to_keep_alive() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (plain, closed)) = rig.serve(&rig.server(), async |client| {
        let plain = client.request("GET /led HTTP/1.0\r\n\r\n").await;
        (plain, client.closed_by_server().await)
    });
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("connection"), Some("close"));
    assert!(closed);

    let (served, (kept, second)) = rig.serve(&rig.server(), async |client| {
        let kept = client
            .request("GET /led HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            .await;
        let second = client
            .request("GET /led HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .await;
        client.close();
        (kept, second)
    });
    assert_eq!(served, Ok(()));
    assert_eq!(kept.header("connection"), Some("keep-alive"));
    assert_eq!(second.status, 200);
}

#[test]
fn peer_closing_mid_request_is_reported() {
    let rig = Rig::new(Policy::Fifo);
    let (served, ()) = rig.serve(&rig.server(), async |client| {
        client.send("PUT /led HTTP/1.1\r\nContent-Length: 9\r\nContent-Type: application/json\r\n\r\n{\"le").await;
        client.close();
    });
    assert_eq!(served, Err(ConnectionError::ClosedMidRequest));
    assert!(!rig.pin.is_high());
}

#[test]
fn expect_100_continue_gets_the_go_ahead_before_the_body() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (interim, last)) = rig.serve(&rig.server(), async |client| {
        client
            .send("PUT /led HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n")
            .await;
        let interim = client.response().await;
        client.send("{\"led\":1}").await;
        let last = client.response().await;
        client.close();
        (interim, last)
    });
    assert_eq!(interim.status, 100);
    assert_eq!(last.status, 200);
    assert_eq!(last.json(), json!({"led": 1}));
}

#[test]
fn expect_100_continue_with_the_body_already_sent_gets_no_go_ahead() {
    let rig = Rig::new(Policy::Fifo);
    let (served, first) = rig.serve(&rig.server(), async |client| {
        let first = client
            .request("PUT /led HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"led\":1}")
            .await;
        client.close();
        first
    });
    assert_eq!(served, Ok(()));
    assert_eq!(first.status, 200, "no 100 for a body that is already here");
    assert_eq!(first.json(), json!({"led": 1}));
}

#[test]
fn peer_closing_mid_head_is_reported() {
    let rig = Rig::new(Policy::Fifo);
    let (served, ()) = rig.serve(&rig.server(), async |client| {
        client.send("GET /led HTTP/1.1\r\nHost: dev").await;
        client.close();
    });
    assert_eq!(served, Err(ConnectionError::ClosedMidRequest));
}

/// Bytes of a request that came behind an answered one are a request
/// under way, not an idle connection: its clock runs from when the first
/// request was answered, and it ends in a `408`, not a silent close.
#[test]
fn a_pipelined_request_left_unfinished_is_answered_408() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (first, second, at)) = rig.serve(&rig.server(), async |client| {
        client.send(format!("{}GET /le", get("/led"))).await;
        let first = client.response().await;
        let second = client.response().await;
        (first, second, rig.now())
    });
    assert_eq!(served, Ok(()));
    assert_eq!(first.status, 200);
    second.assert_problem(408);
    // A head, so the head timeout applies.
    assert_eq!(at, Instant::ZERO + urest_http::Config::DEFAULT_HEAD_TIMEOUT);
}

#[test]
fn a_body_too_large_awaiting_the_go_ahead_is_refused_at_once() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (refused, at, closed)) = rig.serve(&rig.server(), async |client| {
        let refused = client
            .request("PUT /led HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
            .await;
        (refused, rig.now(), client.closed_by_server().await)
    });
    refused.assert_problem(413);
    assert_eq!(at, Instant::ZERO, "the client is not kept waiting");
    assert_eq!(refused.header("connection"), Some("close"));
    assert!(closed);
}

/// What an observer is told (feature `observe`).
#[cfg(feature = "observe")]
mod observed {
    use std::cell::RefCell;

    use urest_http::{Observer, RequestInfo};

    use super::*;

    /// Remembers what the server reports.
    #[derive(Default)]
    struct Log(RefCell<Vec<String>>);

    impl Observer for Log {
        fn request(&self, request: &RequestInfo<'_>) {
            let agent = request
                .header("user-agent")
                .map(|v| String::from_utf8_lossy(v).into_owned());
            self.0.borrow_mut().push(format!(
                "{} {} 1.{} {:?} {} headers {}",
                request.method,
                request.path,
                request.version,
                agent,
                request.headers.len(),
                String::from_utf8_lossy(request.body)
            ));
        }

        fn response(&self, status: u16, body: &[u8]) {
            self.0
                .borrow_mut()
                .push(format!("{status} {}", String::from_utf8_lossy(body)));
        }
    }

    #[test]
    fn observer_sees_each_request_and_response() {
        let rig = Rig::new(Policy::Fifo);
        let log = Log::default();
        let server = rig.server().with_observer(&log);
        let (served, ()) = rig.serve(&server, async |client| {
            client
                .request("PUT /led?x=1 HTTP/1.1\r\nUser-Agent: curl/8\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"led\":1}")
                .await;
            client.request("GET /missing HTTP/1.1\r\n\r\n").await;
            client.request("BAD\r\n\r\n").await;
        });
        assert_eq!(served, Ok(()));
        let log = log.0.borrow();
        assert_eq!(log.len(), 5, "{log:#?}");
        assert_eq!(
            log[0],
            r#"PUT /led?x=1 1.1 Some("curl/8") 3 headers {"led":1}"#
        );
        assert_eq!(log[1], r#"200 {"led":1}"#);
        assert_eq!(log[2], "GET /missing 1.1 None 0 headers ");
        assert!(log[3].starts_with("404 {"), "{}", log[3]);
        // A head that does not parse is reported only as its response.
        assert!(log[4].starts_with("400 {"), "{}", log[4]);
    }
}

#[test]
fn a_slow_client_does_not_hold_up_another_connection() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server();
    let (slow_in, slow_out, fast_in, fast_out) =
        (Pipe::new(), Pipe::new(), Pipe::new(), Pipe::new());
    let slow = Client::new(&slow_in, &slow_out);
    let fast = Client::new(&fast_in, &fast_out);
    let mut slow_end = ServerEnd {
        inbound: &slow_in,
        outbound: &slow_out,
    };
    let mut fast_end = ServerEnd {
        inbound: &fast_in,
        outbound: &fast_out,
    };
    let (mut slow_request, mut slow_response) = (vec![0u8; 1024], vec![0u8; 1024]);
    let (mut fast_request, mut fast_response) = (vec![0u8; 1024], vec![0u8; 1024]);
    let mut slow_buffers = Buffers::new(&mut slow_request, &mut slow_response);
    let mut fast_buffers = Buffers::new(&mut fast_request, &mut fast_response);
    let (mut slow_delay, mut fast_delay) = (rig.sim.delay(), rig.sim.delay());

    let serve_slow = serve_then_close(&server, &mut slow_end, &mut slow_delay, &mut slow_buffers);
    let serve_fast = serve_then_close(&server, &mut fast_end, &mut fast_delay, &mut fast_buffers);
    let clients = async {
        slow.send(
            "PUT /led HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{",
        )
        .await;
        let fast_answer = fast.request(put("/led", r#"{"led": 1}"#)).await;
        let answered_at = rig.now();
        fast.close();
        let slow_answer = slow.response().await;
        (fast_answer, answered_at, slow_answer, rig.now())
    };
    let ((slow_served, fast_served), (fast_answer, answered_at, slow_answer, refused_at)) = rig
        .sim
        .run(TIME_LIMIT, join(join(serve_slow, serve_fast), clients))
        .expect("simulation runs");
    assert_eq!((slow_served, fast_served), (Ok(()), Ok(())));
    assert_eq!(fast_answer.status, 200);
    assert_eq!(
        answered_at,
        Instant::ZERO,
        "the fast client waited for nobody"
    );
    slow_answer.assert_problem(408);
    assert_eq!(refused_at, Instant::from_millis(30_000));
    assert!(rig.pin.is_high());
}

#[test]
fn a_peer_that_stops_reading_is_dropped_after_the_timeout() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server();
    let (inbound, outbound) = (Pipe::new(), Pipe::bounded(32));
    let client = Client::new(&inbound, &outbound);
    let mut end = ServerEnd {
        inbound: &inbound,
        outbound: &outbound,
    };
    let (mut request, mut response) = (vec![0u8; 1024], vec![0u8; 2048]);
    let mut buffers = Buffers::new(&mut request, &mut response);
    let mut delay = rig.sim.delay();
    let (served, at) = rig
        .sim
        .run(TIME_LIMIT, async {
            client.send(get("/")).await;
            let served = server.serve(&mut end, &mut delay, &mut buffers).await;
            (served, rig.now())
        })
        .expect("simulation runs");
    assert_eq!(served, Err(ConnectionError::<Infallible>::Stalled));
    assert_eq!(at, Instant::from_millis(30_000));
    assert_eq!(outbound.buffered(), 32, "the server wrote what fitted");
}

#[test]
fn buffers_too_small_for_an_error_response_are_refused_up_front() {
    let rig = Rig::new(Policy::Fifo);
    let (served, ()) = rig.serve_sized(&rig.server(), 1024, 512, async |_client| {});
    assert_eq!(served, Err(ConnectionError::BuffersTooSmall));
    let (served, ()) = rig.serve_sized(&rig.server(), 64, 1024, async |_client| {});
    assert_eq!(served, Err(ConnectionError::BuffersTooSmall));
}

#[test]
fn three_connections_share_one_server() {
    let rig = Rig::new(Policy::Fifo);
    let server = rig.server();
    let pipes: Vec<(Pipe, Pipe)> = (0..3).map(|_| (Pipe::new(), Pipe::new())).collect();
    let mut memory: Vec<(Vec<u8>, Vec<u8>)> =
        (0..3).map(|_| (vec![0u8; 1024], vec![0u8; 1024])).collect();
    let mut slots: Vec<_> = memory
        .iter_mut()
        .zip(&pipes)
        .map(|((request, response), (inbound, outbound))| {
            (
                Buffers::new(request, response),
                ServerEnd { inbound, outbound },
                rig.sim.delay(),
            )
        })
        .collect();
    let clients: Vec<_> = pipes
        .iter()
        .map(|(inbound, outbound)| Client::new(inbound, outbound))
        .collect();
    let [(a_buffers, a_end, a_delay), (b_buffers, b_end, b_delay), (c_buffers, c_end, c_delay)] =
        &mut slots[..]
    else {
        unreachable!("three slots")
    };
    let serving = join3(
        serve_then_close(&server, a_end, a_delay, a_buffers),
        serve_then_close(&server, b_end, b_delay, b_buffers),
        serve_then_close(&server, c_end, c_delay, c_buffers),
    );
    let script = async {
        let on = clients[0].request(put("/led", r#"{"led": 1}"#)).await;
        let seen_by_b = clients[1].request(get("/led")).await;
        let toggled = clients[2].request(support::empty_post("/led")).await;
        let seen_by_a = clients[0].request(get("/led")).await;
        clients.iter().for_each(Client::close);
        (
            on.json(),
            seen_by_b.json(),
            toggled.json(),
            seen_by_a.json(),
        )
    };
    let (served, states) = rig
        .sim
        .run(TIME_LIMIT, join(serving, script))
        .expect("simulation runs");
    assert_eq!(served, (Ok(()), Ok(()), Ok(())));
    assert_eq!(
        states,
        (
            json!({"led": 1}),
            json!({"led": 1}),
            json!({"led": 0}),
            json!({"led": 0})
        )
    );
}
