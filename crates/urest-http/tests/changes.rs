//! Changes as resources: `Location` on `202`, looking a change up, the
//! list of a noun's changes, and cancelling.

mod support;

use support::{empty_post, get, put, request, Rig};
use urest_core::controller::Policy;

#[test]
fn an_accepted_change_is_located_and_goes_from_running_to_done() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (accepted, toggle, running, queued, done)) =
        rig.serve(&rig.server(), async |client| {
            let accepted = client
                .request(put("/green_led0", r#"{"desired": 1}"#))
                .await;
            let toggle = client.request(empty_post("/green_led0")).await;
            rig.sleep_ms(4_000).await;
            let running = client.request(get("/green_led0/changes/1")).await;
            let queued = client.request(get("/green_led0/changes/2/")).await;
            rig.sleep_ms(6_000).await;
            let done = client.request(get("/green_led0/changes/1")).await;
            client.close();
            (accepted, toggle, running, queued, done)
        });
    assert_eq!(served, Ok(()));
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.header("location"), Some("/green_led0/changes/1"));
    assert_eq!(toggle.header("location"), Some("/green_led0/changes/2"));

    assert_eq!(running.status, 200, "{running:#?}");
    assert_eq!(running.header("content-type"), Some("application/json"));
    let running = running.json();
    assert_eq!(running["ticket"], 1);
    assert_eq!(running["status"], "running");
    assert_eq!(running["position"], 0);
    assert_eq!(running["eta_ms"], 6_000);
    assert!(running["target"].as_u64().is_some_and(|level| level > 0));

    let queued = queued.json();
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["position"], 1);
    assert_eq!(queued["eta_ms"], 16_000);
    assert_eq!(queued["target"], 0);

    let done = done.json();
    assert_eq!(done["status"], "done");
    assert_eq!(done["eta_ms"], 0);
}

#[test]
fn the_list_holds_every_change_remembered_oldest_first() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (empty, listed)) = rig.serve(&rig.server(), async |client| {
        let empty = client.request(get("/green_led0/changes")).await;
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        client.request(empty_post("/green_led0")).await;
        client.request(empty_post("/green_led0")).await;
        let listed = client.request(get("/green_led0/changes/")).await;
        client.close();
        (empty, listed)
    });
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json(), serde_json::json!({"changes": []}));
    let listed = listed.json();
    let changes = listed["changes"].as_array().expect("a list");
    let seen: Vec<_> = changes
        .iter()
        .map(|change| {
            (
                change["ticket"].as_u64(),
                change["status"].as_str(),
                change["position"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some(1), Some("running"), Some(0)),
            (Some(2), Some("queued"), Some(1)),
            (Some(3), Some("queued"), Some(2)),
        ]
    );
}

#[test]
fn cancelling_a_queued_change_moves_those_behind_it_up() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (cancelled, behind, again)) = rig.serve(&rig.server(), async |client| {
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        client.request(empty_post("/green_led0")).await;
        client.request(empty_post("/green_led0")).await;
        let cancelled = client
            .request(request("DELETE", "/green_led0/changes/2", ""))
            .await;
        let behind = client.request(get("/green_led0/changes/3")).await;
        let again = client
            .request(request("DELETE", "/green_led0/changes/2", ""))
            .await;
        client.close();
        (cancelled, behind, again)
    });
    assert_eq!(cancelled.status, 200, "{cancelled:#?}");
    let cancelled = cancelled.json();
    assert_eq!(cancelled["ticket"], 2);
    assert_eq!(cancelled["status"], "cancelled");
    let behind = behind.json();
    assert_eq!(behind["status"], "queued");
    assert_eq!(behind["position"], 1);
    again.assert_problem(409);
}

#[test]
fn cancelling_the_running_change_holds_the_level_it_reached() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (cancelled, state)) = rig.serve(&rig.server(), async |client| {
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        rig.sleep_ms(4_000).await;
        let cancelled = client
            .request(request("DELETE", "/green_led0/changes/1", ""))
            .await;
        rig.sleep_ms(10_000).await;
        let state = client.request(get("/green_led0")).await;
        client.close();
        (cancelled, state)
    });
    assert_eq!(cancelled.status, 200, "{cancelled:#?}");
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(state.json()["duty"], 400);
    assert_eq!(rig.recorder.last().map(|write| write.duty), Some(400));
}

#[test]
fn finished_unknown_and_absent_changes_are_refused() {
    let rig = Rig::new(Policy::Fifo);
    let (_, answers) = rig.serve(&rig.server(), async |client| {
        client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        rig.sleep_ms(11_000).await;
        let mut answers = Vec::new();
        for raw in [
            request("DELETE", "/green_led0/changes/1", ""),
            get("/green_led0/changes/99"),
            request("DELETE", "/green_led0/changes/99", ""),
            get("/green_led0/changes/abc"),
            get("/green_led0/changes/4294967296"),
            get("/green_led0/changes/1/more"),
            get("/green_led0/other"),
            get("/led/changes"),
            get("/led/changes/1"),
            put("/green_led0/changes/1", "{}"),
            request("DELETE", "/green_led0/changes", ""),
        ] {
            answers.push(client.request(raw).await);
        }
        client.close();
        answers
    });
    answers[0].assert_problem(409);
    for unknown in &answers[1..9] {
        unknown.assert_problem(404);
    }
    let put_on_change = answers[9].assert_problem(405);
    assert!(put_on_change.is_object());
    assert_eq!(
        answers[9].header("allow"),
        Some("GET, HEAD, DELETE, OPTIONS")
    );
    answers[10].assert_problem(405);
    assert_eq!(answers[10].header("allow"), Some("GET, HEAD, OPTIONS"));
}

/// Eight finished changes, one running and two queued: the most a PWM LED
/// with a queue of two remembers.
async fn fill_history(rig: &Rig, client: &support::Client<'_>) {
    for ticket in 1..=10 {
        client.request(empty_post("/green_led0")).await;
        let path = format!("/green_led0/changes/{ticket}");
        assert_eq!(
            client.request(request("DELETE", &path, "")).await.status,
            200
        );
        rig.sleep_ms(1).await;
    }
    for _ in 0..3 {
        assert_eq!(client.request(empty_post("/green_led0")).await.status, 202);
    }
}

#[test]
fn a_full_history_fits_the_default_response_buffer() {
    let rig = Rig::new(Policy::Fifo);
    let (_, listed) = rig.serve(&rig.server(), async |client| {
        fill_history(&rig, client).await;
        let listed = client.request(get("/green_led0/changes")).await;
        client.close();
        listed
    });
    assert_eq!(listed.status, 200, "{listed:#?}");
    let listed = listed.json();
    let tickets: Vec<_> = listed["changes"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|change| change["ticket"].as_u64().unwrap())
        .collect();
    assert_eq!(tickets, (3..=13).collect::<Vec<_>>());
}

#[test]
fn a_list_too_long_for_a_small_response_buffer_is_refused_whole() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (listed, one)) = rig.serve_sized(&rig.server(), 1024, 1024, async |client| {
        fill_history(&rig, client).await;
        let listed = client.request(get("/green_led0/changes")).await;
        let one = client.request(get("/green_led0/changes/13")).await;
        client.close();
        (listed, one)
    });
    // Eleven changes need about 900 bytes; the smallest buffer keeps 256
    // of its 1024 for the head. The list is refused, never cut short.
    let problem = listed.assert_problem(500);
    assert!(problem["detail"].as_str().unwrap().contains("does not fit"));
    assert_eq!(one.status, 200);
}
