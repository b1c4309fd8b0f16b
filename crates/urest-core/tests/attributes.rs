//! Decoding request bodies against a schema and encoding states.

use urest_core::attributes::{
    Access, AttributeSpec, Attributes, DecodeError, Kind, Problem, Value, MAX_ATTRIBUTES,
};

const SCHEMA: &[AttributeSpec] = &[
    AttributeSpec {
        key: "level",
        kind: Kind::Int { min: -5, max: 100 },
        access: Access::ReadWrite,
        doc: "a number",
    },
    AttributeSpec {
        key: "enabled",
        kind: Kind::Bool,
        access: Access::ReadWrite,
        doc: "a switch",
    },
    AttributeSpec {
        key: "label",
        kind: Kind::Str { max_len: 8 },
        access: Access::ReadWrite,
        doc: "a name",
    },
    AttributeSpec {
        key: "uptime",
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
        },
        access: Access::ReadOnly,
        doc: "read only",
    },
];

fn decode(body: &str) -> Result<Attributes, DecodeError> {
    Attributes::decode(body.as_bytes(), SCHEMA, &mut [0; 16])
}

fn refused(body: &str) -> (String, Problem) {
    match decode(body) {
        Err(DecodeError::Attribute(error)) => (error.key().to_owned(), error.problem()),
        other => panic!("{body}: expected an attribute error, got {other:?}"),
    }
}

#[test]
fn all_three_types_decode() {
    let patch = decode(r#"{"level": -5, "enabled": true, "label": "kitchen"}"#).unwrap();
    assert_eq!(patch.get("level"), Some(&Value::Int(-5)));
    assert_eq!(patch.get("enabled"), Some(&Value::Bool(true)));
    assert_eq!(patch.get("label").and_then(Value::as_str), Some("kitchen"));
    assert_eq!(patch.len(), 3);
}

#[test]
fn empty_bodies_are_empty_patches() {
    assert!(decode("").unwrap().is_empty());
    assert!(decode(" \r\n").unwrap().is_empty());
    assert!(decode("{}").unwrap().is_empty());
}

#[test]
fn escaped_strings_are_unescaped() {
    let patch = decode(r#"{"label": "a\"b\u00e9"}"#).unwrap();
    assert_eq!(patch.get("label").and_then(Value::as_str), Some("a\"bé"));
}

#[test]
fn integers_must_be_written_as_integers() {
    let integer = Kind::Int { min: -5, max: 100 };
    for body in [
        r#"{"level": 1.5}"#,
        r#"{"level": 2.0}"#,
        r#"{"level": 1e1}"#,
    ] {
        assert_eq!(
            refused(body),
            ("level".into(), Problem::WrongType(integer)),
            "{body}"
        );
    }
    assert_eq!(decode(r#"{"level": -0}"#).unwrap().int("level"), Some(0));
}

#[test]
fn a_fraction_is_blamed_on_its_own_key_not_the_next() {
    let integer = Kind::Int { min: -5, max: 100 };
    assert_eq!(
        refused(r#"{"enabled": true, "level": 3.25, "label": "x"}"#),
        ("level".into(), Problem::WrongType(integer))
    );
}

#[test]
fn each_problem_names_its_key() {
    let integer = Kind::Int { min: -5, max: 100 };
    let cases = [
        (r#"{"colour": 1}"#, "colour", Problem::Unknown),
        (r#"{"uptime": 1}"#, "uptime", Problem::ReadOnly),
        (
            r#"{"level": 101}"#,
            "level",
            Problem::OutOfRange { min: -5, max: 100 },
        ),
        (
            r#"{"level": 99999999999999999999}"#,
            "level",
            Problem::OutOfRange { min: -5, max: 100 },
        ),
        (r#"{"level": "1"}"#, "level", Problem::WrongType(integer)),
        (r#"{"level": true}"#, "level", Problem::WrongType(integer)),
        (r#"{"level": null}"#, "level", Problem::WrongType(integer)),
        (r#"{"level": [1]}"#, "level", Problem::WrongType(integer)),
        (
            r#"{"enabled": 1}"#,
            "enabled",
            Problem::WrongType(Kind::Bool),
        ),
        (
            r#"{"label": 1}"#,
            "label",
            Problem::WrongType(Kind::Str { max_len: 8 }),
        ),
        (
            r#"{"label": "far too long"}"#,
            "label",
            Problem::TooLong { max_len: 8 },
        ),
        (r#"{"level": 1, "level": 2}"#, "level", Problem::Duplicate),
    ];
    for (body, key, problem) in cases {
        assert_eq!(refused(body), (key.to_owned(), problem), "{body}");
    }
}

#[test]
fn the_first_bad_key_is_named_even_after_good_ones() {
    assert_eq!(
        refused(r#"{"level": 3, "enabled": false, "mystery": 0}"#),
        ("mystery".into(), Problem::Unknown)
    );
}

#[test]
fn broken_json_is_malformed() {
    for body in [
        "{",
        "[1, 2]",
        "\"desired\"",
        "1",
        r#"{"level": }"#,
        r#"{"level": 1,}"#,
        r#"{"level": 1} trailing"#,
        r#"{level: 1}"#,
    ] {
        assert!(
            matches!(decode(body), Err(DecodeError::Malformed(_))),
            "{body}: {:?}",
            decode(body)
        );
    }
}

#[test]
fn errors_read_as_sentences() {
    let DecodeError::Attribute(error) = decode(r#"{"level": "x"}"#).unwrap_err() else {
        panic!("expected an attribute error");
    };
    assert_eq!(
        error.to_string(),
        r#"attribute "level" must be integer in -5..=100"#
    );
}

#[test]
fn encoding_keeps_order_and_types() {
    let mut state = Attributes::new();
    state.set("desired", Value::Int(1)).unwrap();
    state.set("ready", Value::Bool(false)).unwrap();
    state.set("policy", Value::text("fi\"fo")).unwrap();
    state.set("desired", Value::Int(0)).unwrap();
    let mut buffer = [0u8; 64];
    let len = state.encode(&mut buffer).unwrap();
    assert_eq!(
        std::str::from_utf8(&buffer[..len]).unwrap(),
        r#"{"desired":0,"ready":false,"policy":"fi\"fo"}"#
    );
    assert!(
        state.encode(&mut [0u8; 8]).is_err(),
        "a short buffer is an error, not a panic"
    );
}

#[test]
fn a_full_set_refuses_more() {
    const KEYS: [&str; MAX_ATTRIBUTES + 1] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
    ];
    let mut state = Attributes::new();
    for key in &KEYS[..MAX_ATTRIBUTES] {
        state.set(key, Value::Int(0)).unwrap();
    }
    assert_eq!(
        state.set(KEYS[MAX_ATTRIBUTES], Value::Int(7)),
        Err(Value::Int(7))
    );
}

#[test]
fn an_escaped_key_longer_than_the_scratch_is_unknown_not_malformed() {
    // 40 escaped letters unescape to 40 bytes: more than the 16-byte scratch
    // `decode` passes, but valid JSON naming no attribute.
    let key = "\\u0061".repeat(40);
    let body = format!(r#"{{"level": 1, "{key}": 1}}"#);
    let (named, problem) = refused(&body);
    assert_eq!(problem, Problem::Unknown);
    assert!(named.starts_with("aaaa"), "{named}");
    // First offending key still wins when it comes before the long one.
    let body = format!(r#"{{"mystery": 1, "{key}": 1}}"#);
    assert_eq!(refused(&body), ("mystery".into(), Problem::Unknown));
    // A long escaped key whose JSON is broken later is still malformed.
    let body = format!(r#"{{"{key}": 1,}}"#);
    assert!(matches!(decode(&body), Err(DecodeError::Malformed(_))));
    // So is a long key with an invalid escape.
    let body = format!(r#"{{"{key}\q": 1}}"#);
    assert!(matches!(decode(&body), Err(DecodeError::Malformed(_))));
}

/// A schema whose one name is as long as a key can be kept whole.
const LONG_NAMED: &[AttributeSpec] = &[AttributeSpec {
    key: "a_name_of_exactly_thirty_two_byt",
    kind: Kind::Int { min: 0, max: 9 },
    access: Access::ReadWrite,
    doc: "a number with a long name",
}];

#[test]
fn a_key_that_only_begins_with_a_long_name_is_unknown() {
    assert_eq!(LONG_NAMED[0].key.len(), urest_core::attributes::MAX_KEY);
    let exact = Attributes::decode(
        br#"{"a_name_of_exactly_thirty_two_byt": 1}"#,
        LONG_NAMED,
        &mut [0; 64],
    );
    assert!(exact.is_ok(), "{exact:?}");
    for body in [
        r#"{"a_name_of_exactly_thirty_two_bytes": 1}"#,
        // Escaped, so the plain short path cannot take it.
        r#"{"a_name_of_exactly_thirty_two_byt\u0065": 1}"#,
    ] {
        match Attributes::decode(body.as_bytes(), LONG_NAMED, &mut [0; 64]) {
            Err(DecodeError::Attribute(error)) => {
                assert_eq!(error.problem(), Problem::Unknown, "{body}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
}
