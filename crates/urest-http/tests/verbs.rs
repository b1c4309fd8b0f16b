//! Every verb on both kinds of noun, as seen over HTTP.

mod support;

use serde_json::json;
use support::{empty_post, get, post, put, request, Rig};
use urest_core::controller::Policy;

#[test]
fn simple_led_get_put_post_delete() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (start, on, toggled, toggled_without_length, set, off)) =
        rig.serve(&rig.server(), async |client| {
            let start = client.request(get("/led")).await;
            let on = client.request(put("/led", r#"{"led": 1}"#)).await;
            assert!(rig.pin.is_high());
            let toggled = client.request(empty_post("/led")).await;
            assert!(!rig.pin.is_high());
            let toggled_without_length = client.request(request("POST", "/led", "")).await;
            let set = client.request(post("/led", r#"{"led": 1}"#)).await;
            let off = client.request(request("DELETE", "/led", "")).await;
            client.close();
            (start, on, toggled, toggled_without_length, set, off)
        });
    assert_eq!(served, Ok(()));
    for response in [&start, &on, &toggled, &toggled_without_length, &set, &off] {
        assert_eq!(response.status, 200, "{response:#?}");
        assert_eq!(response.header("content-type"), Some("application/json"));
    }
    assert_eq!(start.json(), json!({"led": 0}));
    assert_eq!(on.json(), json!({"led": 1}));
    assert_eq!(toggled.json(), json!({"led": 0}));
    assert_eq!(toggled_without_length.json(), json!({"led": 1}));
    assert_eq!(set.json(), json!({"led": 1}));
    assert_eq!(off.json(), json!({"led": 0}));
    assert!(!rig.pin.is_high());
}

#[test]
fn json_content_type_with_parameters_is_accepted() {
    let rig = Rig::new(Policy::Fifo);
    let (_, response) = rig.serve(&rig.server(), async |client| {
        let body = r#"{"led":1}"#;
        let response = client
            .request(format!(
                "PUT /led HTTP/1.1\r\nHost: device\r\ncontent-type: Application/JSON; charset=utf-8\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ))
            .await;
        client.close();
        response
    });
    assert_eq!(response.status, 200, "{response:#?}");
    assert!(rig.pin.is_high());
}

#[test]
fn head_on_a_noun_has_gets_headers_and_no_body() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (got, head)) = rig.serve(&rig.server(), async |client| {
        let got = client.request(get("/green_led0")).await;
        client.send(request("HEAD", "/green_led0", "")).await;
        let head = client.next_response(true).await;
        client.close();
        assert!(client.closed_by_server().await, "HEAD sent a body");
        (got, head)
    });
    assert_eq!(served, Ok(()));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), got.header("content-type"));
    assert_eq!(
        head.header("content-length"),
        Some(got.body.len().to_string().as_str())
    );
}

#[test]
fn pwm_led_change_is_accepted_with_ticket_position_and_eta_then_completes() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (accepted, fading, done, again)) = rig.serve(&rig.server(), async |client| {
        let accepted = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        rig.sleep_ms(4_000).await;
        let fading = client.request(get("/green_led0")).await;
        rig.sleep_ms(6_000).await;
        let done = client.request(get("/green_led0")).await;
        let again = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        client.close();
        (accepted, fading, done, again)
    });
    assert_eq!(served, Ok(()));

    assert_eq!(accepted.status, 202);
    let body = accepted.json();
    assert_eq!(body["ticket"], 1);
    assert_eq!(body["position"], 0);
    assert_eq!(body["eta_ms"], 10_000);
    assert_eq!(body["state"]["desired"], 1);
    assert_eq!(body["state"]["current"], 0);
    assert_eq!(body["state"]["remaining_ms"], 10_000);

    let fading = fading.json();
    assert_eq!(
        (fading["desired"].as_i64(), fading["current"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(fading["duty"], 400, "four of ten steps up at 4 s");

    assert_eq!(done.status, 200);
    let done = done.json();
    assert_eq!(
        (done["current"].as_i64(), done["duty"].as_i64()),
        (Some(1), Some(1_000))
    );
    assert_eq!(rig.recorder.last().map(|write| write.duty), Some(1_000));

    // Already on and idle: nothing to wait for.
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["current"], 1);
}

#[test]
fn pwm_led_post_toggles_behind_the_running_change_and_delete_cancels() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (first, toggle, deleted, settled)) = rig.serve(&rig.server(), async |client| {
        let first = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        let toggle = client.request(empty_post("/green_led0")).await;
        rig.sleep_ms(2_000).await;
        let deleted = client.request(request("DELETE", "/green_led0", "")).await;
        rig.sleep_ms(15_000).await;
        let settled = client.request(get("/green_led0")).await;
        client.close();
        (first, toggle, deleted, settled)
    });
    assert_eq!(first.status, 202);
    assert_eq!(toggle.status, 202);
    let toggle = toggle.json();
    assert_eq!(toggle["ticket"], 2);
    assert_eq!(toggle["position"], 1);
    assert_eq!(toggle["eta_ms"], 20_000);
    assert_eq!(toggle["state"]["waiting"], 1);

    assert_eq!(deleted.status, 202);
    let deleted = deleted.json();
    assert_eq!(
        deleted["state"]["waiting"], 0,
        "DELETE cancels the waiting toggle"
    );
    assert_eq!(deleted["state"]["desired"], 0);
    assert_eq!(deleted["position"], 0);

    let settled = settled.json();
    assert_eq!(
        (settled["current"].as_i64(), settled["duty"].as_i64()),
        (Some(0), Some(0))
    );
}

#[test]
fn pwm_led_post_with_shape_only_sets_the_shape() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (shaped, accepted)) = rig.serve(&rig.server(), async |client| {
        let shaped = client
            .request(post("/green_led0", r#"{"steps": 4, "step_ms": 250}"#))
            .await;
        let accepted = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        client.close();
        (shaped, accepted)
    });
    assert_eq!(shaped.status, 200);
    let shaped = shaped.json();
    assert_eq!(
        (shaped["steps"].as_i64(), shaped["step_ms"].as_i64()),
        (Some(4), Some(250))
    );
    assert_eq!(shaped["desired"], 0, "a shape alone starts nothing");
    assert_eq!(accepted.json()["eta_ms"], 1_000);
}
