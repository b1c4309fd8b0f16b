//! Which target reaches what: the index, nouns by name in any case, and
//! OPTIONS.

mod support;

use support::{get, request, Rig};
use urest_core::controller::Policy;
use urest_core::resource::Resource;
use urest_http::{Config, Noun, Server};

#[test]
fn index_lists_every_noun_with_kind_policy_and_attributes() {
    let rig = Rig::new(Policy::Fifo);
    let (served, index) = rig.serve(&rig.server(), async |client| {
        let response = client.request(get("/")).await;
        client.close();
        response
    });
    assert_eq!(served, Ok(()));
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-type"), Some("application/json"));
    let nouns = index.json()["nouns"]
        .as_array()
        .expect("nouns is a list")
        .clone();
    assert_eq!(nouns.len(), 2);

    let pwm = &nouns[0];
    assert_eq!(pwm["name"], "green_led0");
    assert_eq!(pwm["kind"], "pwm_led");
    assert_eq!(pwm["policy"], "fifo");
    let desired = pwm["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["key"] == "desired")
        .expect("desired is listed");
    assert_eq!(desired["type"], "integer");
    assert_eq!(
        (desired["min"].as_i64(), desired["max"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(desired["access"], "read-write");
    let policy = pwm["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|attribute| attribute["key"] == "policy")
        .expect("policy is listed");
    assert_eq!(policy["type"], "string");
    assert_eq!(policy["max_len"], 8);
    assert_eq!(policy["access"], "read-only");

    let simple = &nouns[1];
    assert_eq!(simple["name"], "led");
    assert_eq!(simple["kind"], "simple_led");
    assert!(simple["policy"].is_null());
    assert_eq!(simple["attributes"][0]["key"], "led");
    assert_eq!(simple["attributes"][0]["access"], "read-write");
}

/// Listings sent in pieces, measured by an observer (feature `observe`).
#[cfg(feature = "observe")]
mod observed {
    use std::cell::RefCell;

    use urest_http::{Buffers, Observer, RESPONSE_HEAD_ROOM};

    use super::*;

    /// Remembers the length of each response body as the server reports it.
    #[derive(Default)]
    struct BodyLengths(RefCell<Vec<usize>>);

    impl Observer for BodyLengths {
        fn response(&self, _status: u16, body: &[u8]) {
            self.0.borrow_mut().push(body.len());
        }
    }

    #[test]
    fn listings_too_large_for_the_response_buffer_are_sent_in_pieces() {
        let rig = Rig::new(Policy::Reject);
        let lengths = BodyLengths::default();
        let server = rig.server().with_observer(&lengths);
        let fetch = |response_len| {
            rig.serve_sized(&server, 1024, response_len, async |client| {
                let index = client.request(get("/")).await;
                let description = client.request(request("OPTIONS", "/green_led0", "")).await;
                client.send(request("HEAD", "/", "")).await;
                let head = client.next_response(true).await;
                client.close();
                (index, description, head)
            })
        };
        let (served_whole, whole) = fetch(8192);
        let small = Buffers::MIN_RESPONSE;
        let (served_pieces, pieces) = fetch(small);
        assert_eq!((served_whole, served_pieces), (Ok(()), Ok(())));
        assert!(
            pieces.1.body.len() > small - RESPONSE_HEAD_ROOM,
            "the description must not fit the small buffer: {} bytes",
            pieces.1.body.len()
        );
        assert_eq!(
            (pieces.0.status, pieces.1.status, pieces.2.status),
            (200, 200, 200)
        );
        assert_eq!(pieces.0.body, whole.0.body);
        assert_eq!(pieces.1.body, whole.1.body);
        assert_eq!(pieces.1.header("allow"), whole.1.header("allow"));
        assert_eq!(
            pieces.2.header("content-length"),
            whole.2.header("content-length")
        );
        assert_eq!(pieces.0.json()["nouns"][0]["policy"], "reject");
        // Sent whole, a body is reported; sent in pieces, it cannot be.
        let (index, description) = (whole.0.body.len(), whole.1.body.len());
        assert_eq!(*lengths.0.borrow(), [index, description, 0, 0, 0, 0]);
    }
}

#[test]
fn head_of_the_index_has_gets_length_and_no_body() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (full, head)) = rig.serve(&rig.server(), async |client| {
        let full = client.request(get("/")).await;
        client.send(request("HEAD", "/", "")).await;
        let head = client.next_response(true).await;
        client.close();
        assert!(client.closed_by_server().await, "HEAD sent a body");
        (full, head)
    });
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(full.body.len().to_string().as_str())
    );
}

#[test]
fn noun_names_match_in_any_case_and_ignore_the_query() {
    let rig = Rig::new(Policy::Fifo);
    let (_, statuses) = rig.serve(&rig.server(), async |client| {
        let mut statuses = Vec::new();
        for path in [
            "/LED",
            "/Led?verbose=1",
            "/green_LED0",
            "/led/",
            "/%6Ced",
            "http://device/led",
        ] {
            let response = client.request(get(path)).await;
            statuses.push((path, response.status, response.json()));
        }
        client.close();
        statuses
    });
    for (path, status, body) in statuses {
        assert_eq!(status, 200, "{path}");
        assert!(body.is_object(), "{path}: {body}");
    }
}

#[test]
fn unknown_noun_is_404_naming_the_path() {
    let rig = Rig::new(Policy::Fifo);
    let (served, responses) = rig.serve(&rig.server(), async |client| {
        let missing = client.request(get("/red_led")).await;
        let nested = client.request(get("/led/extra")).await;
        let still_open = client.request(get("/led")).await;
        client.close();
        (missing, nested, still_open)
    });
    assert_eq!(served, Ok(()));
    let problem = responses.0.assert_problem(404);
    assert!(
        problem["detail"].as_str().unwrap().contains("/red_led"),
        "{problem}"
    );
    responses.1.assert_problem(404);
    assert_eq!(
        responses.2.status, 200,
        "a 404 leaves the connection usable"
    );
}

#[test]
fn a_name_as_long_as_a_noun_but_spelt_otherwise_is_404() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (other, escaped)) = rig.serve(&rig.server(), async |client| {
        let other = client.request(get("/lex")).await;
        let escaped = client.request(get("/%6Cex")).await;
        client.close();
        (other, escaped)
    });
    assert_eq!(served, Ok(()));
    other.assert_problem(404);
    escaped.assert_problem(404);
}

#[test]
fn options_on_a_noun_allows_every_verb_and_describes_it() {
    let rig = Rig::new(Policy::Preempt);
    let (_, response) = rig.serve(&rig.server(), async |client| {
        let response = client.request(request("OPTIONS", "/green_led0", "")).await;
        client.close();
        response
    });
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("allow"),
        Some("GET, HEAD, PUT, POST, DELETE, OPTIONS")
    );
    let description = response.json();
    assert_eq!(description["name"], "green_led0");
    assert_eq!(description["policy"], "preempt");
    let attributes = description["attributes"]
        .as_array()
        .expect("attributes is a list");
    assert_eq!(attributes.len(), rig.pwm.describe().attributes.len());
    assert!(attributes
        .iter()
        .any(|attribute| attribute["key"] == "step_ms"));
}

#[test]
fn options_on_the_index_and_the_server() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (index, server)) = rig.serve(&rig.server(), async |client| {
        let index = client.request(request("OPTIONS", "/", "")).await;
        let server = client.request(request("OPTIONS", "*", "")).await;
        client.close();
        (index, server)
    });
    assert_eq!(index.status, 200);
    assert_eq!(index.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(index.header("content-length"), Some("0"));
    assert_eq!(server.status, 200);
    assert_eq!(
        server.header("allow"),
        Some("GET, HEAD, PUT, POST, DELETE, OPTIONS")
    );
}

#[test]
fn methods_other_than_the_allowed_are_405_with_allow() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (patch, put_index, lower_case, star)) = rig.serve(&rig.server(), async |client| {
        let patch = client
            .request(request("PATCH", "/led", r#"{"led":1}"#))
            .await;
        let put_index = client.request(request("PUT", "/", r#"{"led":1}"#)).await;
        let lower_case = client.request(request("get", "/led", "")).await;
        let star = client.request(request("GET", "*", "")).await;
        client.close();
        (patch, put_index, lower_case, star)
    });
    patch.assert_problem(405);
    assert_eq!(
        patch.header("allow"),
        Some("GET, HEAD, PUT, POST, DELETE, OPTIONS")
    );
    assert!(!rig.pin.is_high(), "PATCH changed the LED");
    put_index.assert_problem(405);
    assert_eq!(put_index.header("allow"), Some("GET, HEAD, OPTIONS"));
    lower_case.assert_problem(405);
    star.assert_problem(400);
}

#[test]
fn a_table_whose_names_differ_only_in_case_is_refused() {
    let rig = Rig::new(Policy::Fifo);
    let clashing = [
        Noun::new("led", rig.led),
        Noun::new("green_led0", rig.pwm),
        Noun::new("LED", rig.pwm),
    ];
    let refused = Server::try_new(&clashing, rig.sim.clock(), Config::default())
        .expect_err("the second `led` is unreachable");
    assert_eq!(refused.first(), "led");
    assert_eq!(refused.second(), "LED");
    assert!(refused.to_string().contains("LED"), "{refused}");
    assert!(Server::try_new(rig.nouns, rig.sim.clock(), Config::default()).is_ok());
}
