//! Every verb on both kinds of noun, over real TCP against a running host.

mod common;

use common::{config, start, Client, Raw};
use urest_mock::interleaving::find_interleaving;

#[test]
fn a_pwm_led_fades_on_toggles_and_resets() {
    let host = start(config(&["green_led0=pwm:fifo"]));
    let client = Client::new(&host);

    let idle = client.get("/green_led0").expect(200);
    assert_eq!(idle.header("content-type"), Some("application/json"));
    let idle = idle.json();
    assert_eq!(
        (idle["desired"].clone(), idle["current"].clone()),
        (0.into(), 0.into())
    );
    assert_eq!(idle["policy"], "fifo");

    let on = client
        .put("/green_led0", r#"{"desired": 1}"#)
        .expect(202)
        .json();
    assert_eq!(on["state"]["desired"], 1);
    assert_eq!(on["position"], 0);
    assert!(on["ticket"].is_u64() && on["eta_ms"].is_u64(), "{on}");
    let lit = client.settled("green_led0");
    assert_eq!(lit["current"], 1);
    assert_eq!(lit["duty"], lit["max_duty"]);

    // An empty POST toggles.
    let toggled = client.post("/green_led0", "{}").expect(202).json();
    assert_eq!(toggled["state"]["desired"], 0);
    assert_eq!(client.settled("green_led0")["duty"], 0);

    // A POST of the shape alone changes later fades and nothing else.
    let reshaped = client
        .post("/green_led0", r#"{"steps": 4, "step_ms": 2}"#)
        .expect(200)
        .json();
    assert_eq!(
        (reshaped["steps"].clone(), reshaped["step_ms"].clone()),
        (4.into(), 2.into())
    );
    assert_eq!(reshaped["desired"], 0);

    client.put("/green_led0", r#"{"desired": 1}"#).expect(202);
    // DELETE goes back to off with the configured shape, whatever runs.
    let reset = client.delete("/green_led0");
    assert!(matches!(reset.status, 200 | 202), "{reset:#?}");
    let off = client.settled("green_led0");
    assert_eq!(off["current"], 0);
    assert_eq!(off["duty"], 0);
    assert_eq!(
        (off["steps"].clone(), off["step_ms"].clone()),
        (10.into(), 3.into())
    );

    let duties = host.probe().duties("green_led0").unwrap();
    assert_eq!(find_interleaving(&duties), None, "{duties:?}");
    assert_eq!(duties.iter().max(), Some(&u16::MAX), "{duties:?}");
    assert_eq!(duties.last(), Some(&0));
}

#[test]
fn a_simple_led_switches_at_once() {
    let host = start(config(&["led0=simple"]));
    let client = Client::new(&host);
    let probe = host.probe();

    assert_eq!(client.state("led0")["led"], 0);
    assert_eq!(
        client.put("/led0", r#"{"led": 1}"#).expect(200).json()["led"],
        1
    );
    assert_eq!(probe.is_high("led0"), Some(true));
    assert_eq!(client.post("/led0", "").expect(200).json()["led"], 0);
    assert_eq!(probe.is_high("led0"), Some(false));
    assert_eq!(
        client.post("/led0", r#"{"led": 1}"#).expect(200).json()["led"],
        1
    );
    assert_eq!(client.state("led0")["led"], 1);
    assert_eq!(client.delete("/led0").expect(200).json()["led"], 0);
    assert_eq!(probe.is_high("led0"), Some(false));
}

#[test]
fn head_answers_like_get_without_a_body() {
    let host = start(config(&["green_led0=pwm", "led0=simple"]));
    let client = Client::new(&host);
    for path in ["/", "/green_led0", "/led0"] {
        let get = client.get(path).expect(200);
        let head = client.head(path).expect(200);
        assert_eq!(head.body, "", "{path}");
        assert_eq!(
            head.header("content-type"),
            get.header("content-type"),
            "{path}"
        );
        // The raw client sees the length a GET would have had.
        let mut raw = Raw::connect(host.addr());
        raw.send(format!("HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes());
        let head = raw.head_response();
        assert_eq!(head.status, 200);
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}"
        );
    }
}

#[test]
fn options_describe_nouns_and_what_they_allow() {
    let host = start(config(&["preempt_led=pwm:preempt", "led0=simple"]));
    let client = Client::new(&host);

    let pwm = client.options("/preempt_led").expect(200);
    let allow = pwm.header("allow").expect("an Allow header").to_owned();
    for verb in ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"] {
        assert!(allow.contains(verb), "{allow} lacks {verb}");
    }
    let pwm = pwm.json();
    assert_eq!(pwm["kind"], "pwm_led");
    assert_eq!(pwm["policy"], "preempt");
    let keys: Vec<&str> = pwm["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|attribute| attribute["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"desired") && keys.contains(&"duty"),
        "{keys:?}"
    );

    let simple = client.options("/led0").expect(200).json();
    assert_eq!(simple["kind"], "simple_led");
    assert_eq!(simple["policy"], serde_json::Value::Null);

    let index = client.options("/").expect(200);
    let allow = index.header("allow").expect("an Allow header");
    assert!(allow.contains("GET") && !allow.contains("PUT"), "{allow}");
}

#[test]
fn the_index_lists_every_noun_in_order() {
    // Not in alphabetical order; the emulated board is built with these.
    let host = start(config(&[
        "green_led0=pwm:fifo",
        "led0=simple",
        "reject_led=pwm:reject",
        "preempt_led=pwm:preempt",
    ]));
    let index = Client::new(&host).get("/").expect(200).json();
    let nouns: Vec<(&str, &str)> = index["nouns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|noun| {
            (
                noun["name"].as_str().unwrap(),
                noun["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        nouns,
        [
            ("green_led0", "pwm_led"),
            ("led0", "simple_led"),
            ("reject_led", "pwm_led"),
            ("preempt_led", "pwm_led")
        ]
    );
}

#[test]
fn one_connection_carries_many_requests() {
    let host = start(config(&["green_led0=pwm", "led0=simple"]));
    let mut raw = Raw::connect(host.addr());
    let put = |noun: &str, body: &str| {
        format!(
            "PUT /{noun} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };

    raw.send(b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(raw.response().expect(200).json()["led"], 0);
    raw.send(put("led0", r#"{"led":1}"#).as_bytes());
    assert_eq!(raw.response().expect(200).json()["led"], 1);
    raw.send(put("green_led0", r#"{"desired":1}"#).as_bytes());
    assert_eq!(raw.response().expect(202).json()["state"]["desired"], 1);
    // Two requests in one write: answered in order.
    raw.send(b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_eq!(raw.response().expect(200).json()["led"], 1);
    assert_eq!(raw.response().expect(200).json()["desired"], 1);
    raw.send(b"DELETE /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let last = raw.response().expect(200);
    assert_eq!(last.header("connection"), Some("close"));
    assert!(raw.is_closed());
    assert_eq!(host.probe().is_high("led0"), Some(false));
}

#[test]
fn get_is_answered_mid_fade_and_while_changes_wait() {
    // Slow fades (10 s each), so a GET that waited for them would see them done.
    let mut slow = config(&["green_led0=pwm:fifo"]);
    slow.step_time = std::time::Duration::from_secs(1);
    let host = start(slow);
    let client = Client::new(&host);
    client.put("/green_led0", r#"{"desired": 1}"#).expect(202);
    let queued = client
        .put("/green_led0", r#"{"desired": 0}"#)
        .expect(202)
        .json();
    assert_eq!(queued["position"], 1);
    for _ in 0..3 {
        let state = client.get("/green_led0").expect(200).json();
        assert_eq!(
            (
                &state["desired"],
                &state["heading"],
                &state["current"],
                &state["waiting"]
            ),
            (&0.into(), &1.into(), &0.into(), &1.into()),
            "answered while A's fade runs and B's waits: {state}"
        );
        assert!(state["remaining_ms"].as_u64().unwrap() > 10_000, "{state}");
    }
    // DELETE is not held up either, and ends the wait: done at once if the
    // first step has not come yet (the LED is still off), else fading off.
    let reset = client.delete("/green_led0");
    let state = match reset.status {
        200 => reset.json(),
        _ => reset.expect(202).json()["state"].clone(),
    };
    assert_eq!(
        (&state["desired"], &state["waiting"]),
        (&0.into(), &0.into())
    );
}

#[test]
fn an_accepted_change_is_located_and_followed_to_done() {
    let host = start(config(&["green_led0=pwm:fifo"]));
    let client = Client::new(&host);

    let accepted = client.put("/green_led0", r#"{"desired": 1}"#).expect(202);
    let ticket = accepted.json()["ticket"].as_u64().expect("a ticket");
    let location = accepted
        .header("location")
        .expect("a 202 says where the change is")
        .to_string();
    assert_eq!(location, format!("/green_led0/changes/{ticket}"));

    let change = client.get(&location).expect(200).json();
    assert_eq!(change["ticket"], ticket);
    assert!(
        change["status"] == "running" || change["status"] == "done",
        "{change}"
    );
    client.settled("green_led0");
    let change = client.get(&location).expect(200).json();
    assert_eq!(change["status"], "done");
    assert_eq!(change["eta_ms"], 0);

    // Finished: it can no longer be cancelled.
    client.delete(&location).expect(409);
}

#[test]
fn a_get_with_the_current_etag_is_not_modified() {
    let host = start(config(&["green_led0=pwm:fifo"]));
    let client = Client::new(&host);

    client.settled("green_led0");
    let first = client.get("/green_led0").expect(200);
    let tag = first.header("etag").expect("an ETag").to_string();
    assert!(
        tag.starts_with('"') && tag.ends_with('"') && tag.len() == 18,
        "{tag}"
    );

    let again = client
        .get_with("/green_led0", "If-None-Match", &tag)
        .expect(304);
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    assert!(again.body.is_empty());

    let other = client
        .get_with("/green_led0", "If-None-Match", "\"0000000000000000\"")
        .expect(200);
    assert_eq!(other.json(), first.json());
}
