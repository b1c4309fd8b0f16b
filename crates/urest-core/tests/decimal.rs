//! Decimals in fixed point: decoded from request text and encoded as bare
//! JSON numbers, with no floating point on the way.

use urest_core::attributes::{Attributes, DecodeError, Kind, Problem, Value};
use urest_core::decimal::{Decimal, Fixed, ParseError};
use urest_core::state::State;

urest_core::state! {
    /// A thermostat.
    pub struct Thermostat {
        /// a label
        pub label: heapless::String<8>,
        /// the temperature to hold, in °C
        pub setpoint: Decimal<1> [range 5.0..=30.0],
        /// the temperature now, in °C
        pub celsius: Decimal<2> [read_only],
        /// whether to hold the setpoint
        pub enabled: bool,
    }
}

fn decode(body: &str) -> Result<Attributes, DecodeError> {
    Attributes::decode(body.as_bytes(), Thermostat::SCHEMA, &mut [0; 32])
}

fn problem(body: &str) -> (String, Problem) {
    match decode(body) {
        Err(DecodeError::Attribute(error)) => (error.key().to_string(), error.problem()),
        other => panic!("{body}: expected an attribute error, got {other:?}"),
    }
}

#[test]
fn the_schema_carries_the_scale_and_decimal_bounds() {
    assert_eq!(
        Thermostat::SCHEMA[1].kind,
        Kind::Decimal {
            scale: 1,
            min: 50,
            max: 300
        }
    );
}

#[test]
fn decimals_decode_from_their_text_among_other_values() {
    let patch = decode(r#"{"label": "a,b:\"}", "setpoint": 21.5, "enabled": true}"#).unwrap();
    assert_eq!(
        patch.get("setpoint").and_then(Value::as_fixed),
        Some(Fixed::new(215, 1))
    );
    let mut state = Thermostat::default();
    state.merge(&patch).unwrap();
    assert_eq!(state.setpoint, Decimal(215));
    assert_eq!(state.label.as_str(), "a,b:\"}");
    for (text, units) in [("21", 210), ("  7.0 ", 70), ("30.00", 300), ("5", 50)] {
        let patch = decode(&format!(r#"{{"setpoint":{text}}}"#)).unwrap();
        assert_eq!(
            patch.get("setpoint").and_then(Value::as_fixed),
            Some(Fixed::new(units, 1))
        );
    }
}

#[test]
fn a_bad_decimal_names_its_key_and_what_it_accepts() {
    let kind = Thermostat::SCHEMA[1].kind;
    for body in [
        r#"{"setpoint": 30.1}"#,
        r#"{"setpoint": 4.9}"#,
        r#"{"setpoint": 21.55}"#,
        r#"{"setpoint": 99999999999999999999}"#,
    ] {
        assert_eq!(
            problem(body),
            ("setpoint".into(), Problem::NotAccepted(kind)),
            "{body}"
        );
    }
    for body in [
        r#"{"setpoint": "21.5"}"#,
        r#"{"setpoint": true}"#,
        r#"{"setpoint": 2.15e1}"#,
        r#"{"setpoint": [21]}"#,
        r#"{"setpoint": null}"#,
    ] {
        assert_eq!(
            problem(body),
            ("setpoint".into(), Problem::WrongType(kind)),
            "{body}"
        );
    }
    assert_eq!(problem(r#"{"celsius": 20.25}"#).1, Problem::ReadOnly);
    let error = decode(r#"{"setpoint": 31}"#).unwrap_err();
    assert_eq!(
        error.to_string(),
        "attribute \"setpoint\" must be number in 5.0..=30.0 with at most 1 digit after the point"
    );
}

/// serde-json-core skips a value it is not asked to type (as a decimal's is)
/// by eating bytes up to the next `,`, `}` or `]`, so it lets through a
/// quote or a bracket in the middle of one. Such a value is not a number:
/// it must be refused naming its key, never stand in as zero.
#[test]
fn a_decimal_with_a_stray_quote_or_bracket_is_not_a_number() {
    let kind = Thermostat::SCHEMA[1].kind;
    for body in [
        r#"{"setpoint":in": 1e3}"#,
        r#"{"setpoint": 7"}"#,
        r#"{"setpoint": x", "enabled": true}"#,
        r#"{"setpoint": 1{"a": 2}"#,
        r#"{"enabled": true, "setpoint": 1[2}"#,
    ] {
        assert_eq!(
            problem(body),
            ("setpoint".into(), Problem::WrongType(kind)),
            "{body}"
        );
    }
}

#[test]
fn decimals_encode_as_bare_numbers() {
    let state = Thermostat {
        setpoint: Decimal(215),
        celsius: Decimal(-5),
        ..Thermostat::default()
    };
    let mut buffer = [0u8; 96];
    let len = state.to_attributes().encode(&mut buffer).unwrap();
    assert_eq!(
        std::str::from_utf8(&buffer[..len]).unwrap(),
        r#"{"label":"","setpoint":21.5,"celsius":-0.05,"enabled":false}"#
    );
}

#[test]
fn fixed_point_text_round_trips_at_the_limits() {
    for units in [i64::MIN, i64::MAX, 0, -1, 1, 123_456_789] {
        for scale in [0, 1, 3, 9] {
            let text = Fixed::new(units, scale).to_string();
            assert_eq!(
                Fixed::parse(text.as_bytes(), scale),
                Ok(Fixed::new(units, scale)),
                "{text}"
            );
        }
    }
    assert_eq!(Fixed::parse(b"-", 1), Err(ParseError::NotDecimal));
    assert_eq!(Fixed::parse(b"1.", 1), Err(ParseError::NotDecimal));
    assert_eq!(Fixed::parse(b".5", 1), Err(ParseError::NotDecimal));
    for past_the_limits in [
        &b"9223372036854775808"[..],
        b"-9223372036854775809",
        b"922337203685477580.8",
        b"18446744073709551616",
        b"99999999999999999999999",
    ] {
        assert_eq!(
            Fixed::parse(past_the_limits, 0),
            Err(ParseError::NotRepresentable)
        );
    }
    assert_eq!(
        Fixed::parse(b"922337203685477580.8", 1),
        Err(ParseError::NotRepresentable)
    );
    assert_eq!(
        Fixed::parse(b"-922337203685477580.8", 1),
        Ok(Fixed::new(i64::MIN, 1))
    );
}
