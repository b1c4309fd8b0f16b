//! Conditional requests: `ETag`, `If-None-Match` and `If-Match`.

mod support;

use support::{get, put, request, Rig};
use urest_core::controller::Policy;

/// `METHOD path` with one extra header and an optional JSON body.
fn with_header(method: &str, path: &str, header: &str, body: &str) -> String {
    if body.is_empty() {
        format!("{method} {path} HTTP/1.1\r\nHost: device\r\n{header}\r\n\r\n")
    } else {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: device\r\n{header}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    }
}

fn is_strong_tag(tag: &str) -> bool {
    tag.len() == 18
        && tag.starts_with('"')
        && tag.ends_with('"')
        && tag[1..17]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

#[test]
fn a_resting_noun_has_the_same_strong_etag_on_every_get_and_head() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (first, second, head, simple)) = rig.serve(&rig.server(), async |client| {
        let first = client.request(get("/green_led0")).await;
        rig.sleep_ms(5_000).await;
        let second = client.request(get("/green_led0")).await;
        client.send(request("HEAD", "/green_led0", "")).await;
        let head = client.next_response(true).await;
        let simple = client.request(get("/led")).await;
        client.close();
        (first, second, head, simple)
    });
    assert_eq!(served, Ok(()));
    let tag = first.header("etag").expect("GET has an ETag");
    assert!(is_strong_tag(tag), "{tag}");
    assert_eq!(second.header("etag"), Some(tag));
    assert_eq!(head.header("etag"), Some(tag));
    assert!(simple.header("etag").is_some_and(is_strong_tag));
    assert_ne!(simple.header("etag"), Some(tag));
}

#[test]
fn the_state_after_a_change_carries_its_etag() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (before, accepted, now, done)) = rig.serve(&rig.server(), async |client| {
        let before = client.request(get("/led")).await;
        let accepted = client
            .request(put("/green_led0", r#"{"desired": 1}"#))
            .await;
        let now = client.request(get("/green_led0")).await;
        let done = client.request(put("/led", r#"{"led": 1}"#)).await;
        client.close();
        (before, accepted, now, done)
    });
    assert_eq!(accepted.status, 202);
    assert!(accepted.header("etag").is_some_and(is_strong_tag));
    assert_eq!(accepted.header("etag"), now.header("etag"));
    assert_eq!(done.status, 200);
    assert!(done.header("etag").is_some_and(is_strong_tag));
    assert_ne!(done.header("etag"), before.header("etag"));
}

#[test]
fn if_none_match_with_the_current_tag_is_304_without_a_body() {
    let rig = Rig::new(Policy::Fifo);
    let (served, (tag, answers)) = rig.serve(&rig.server(), async |client| {
        let tag = client
            .request(get("/green_led0"))
            .await
            .header("etag")
            .unwrap()
            .to_string();
        let mut answers = Vec::new();
        for header in [
            format!("If-None-Match: {tag}"),
            format!("if-none-match: W/{tag}"),
            format!("If-None-Match: \"other\", {tag}"),
            "If-None-Match: *".to_string(),
            "If-None-Match: \"0000000000000000\"".to_string(),
        ] {
            answers.push(
                client
                    .request(with_header("GET", "/green_led0", &header, ""))
                    .await,
            );
        }
        client.close();
        (tag, answers)
    });
    assert_eq!(served, Ok(()));
    for not_modified in &answers[..4] {
        assert_eq!(not_modified.status, 304, "{not_modified:#?}");
        assert_eq!(not_modified.reason, "Not Modified");
        assert!(not_modified.body.is_empty());
        assert_eq!(not_modified.header("content-length"), None);
        assert_eq!(not_modified.header("etag"), Some(tag.as_str()));
    }
    let changed = &answers[4];
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json()["desired"], 0);
}

#[test]
fn if_match_with_another_tag_is_412_and_the_pwm_is_untouched() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (tag, stale, weak, state)) = rig.serve(&rig.server(), async |client| {
        let tag = client
            .request(get("/green_led0"))
            .await
            .header("etag")
            .unwrap()
            .to_string();
        let stale = client
            .request(with_header(
                "PUT",
                "/green_led0",
                "If-Match: \"0000000000000000\"",
                r#"{"desired": 1}"#,
            ))
            .await;
        // A weak tag never matches for If-Match, even with the same value.
        let weak = client
            .request(with_header(
                "PUT",
                "/green_led0",
                &format!("If-Match: W/{tag}"),
                r#"{"desired": 1}"#,
            ))
            .await;
        rig.sleep_ms(12_000).await;
        let state = client.request(get("/green_led0")).await;
        client.close();
        (tag, stale, weak, state)
    });
    stale.assert_problem(412);
    weak.assert_problem(412);
    assert_eq!(state.json()["desired"], 0);
    assert_eq!(state.json()["waiting"], 0);
    assert_eq!(state.header("etag"), Some(tag.as_str()));
    assert!(
        rig.recorder.writes().iter().all(|write| write.duty == 0),
        "the PWM was driven: {:?}",
        rig.recorder.writes()
    );
}

#[test]
fn if_match_star_or_the_current_tag_lets_the_change_through() {
    let rig = Rig::new(Policy::Fifo);
    let (_, (star, current, delete_stale)) = rig.serve(&rig.server(), async |client| {
        let star = client
            .request(with_header("PUT", "/led", "If-Match: *", r#"{"led": 1}"#))
            .await;
        let tag = star.header("etag").unwrap().to_string();
        let current = client
            .request(with_header(
                "POST",
                "/led",
                &format!("If-Match: \"1234567890abcdef\", {tag}"),
                r#"{"led": 0}"#,
            ))
            .await;
        // The tag of the state before the POST is stale now.
        let delete_stale = client
            .request(with_header(
                "DELETE",
                "/led",
                &format!("If-Match: {tag}"),
                "",
            ))
            .await;
        client.close();
        (star, current, delete_stale)
    });
    assert_eq!(star.status, 200, "{star:#?}");
    assert_eq!(current.status, 200, "{current:#?}");
    assert_eq!(current.json()["led"], 0);
    delete_stale.assert_problem(412);
}
