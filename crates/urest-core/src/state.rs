//! Typed state: a noun's state as a plain Rust struct.
//!
//! The [`state!`](crate::state!) macro declares the struct and, from the same
//! lines, its [schema](crate::attributes::AttributeSpec): each field's key,
//! kind, range, access and one-line doc. Nothing is kept in step by hand.
//! A noun built on it ([`DeviceNoun`](crate::nouns::DeviceNoun),
//! [`SensorNoun`](crate::nouns::SensorNoun)) then reads and writes the
//! fields, while requests are still checked against the schema before they
//! reach it, so errors name the key and what it accepts.
//!
//! ```
//! use urest_core::attributes::{Access, Kind};
//! use urest_core::state::State;
//!
//! urest_core::state! {
//!     /// A thermostat's state.
//!     pub struct Thermostat {
//!         /// the temperature to hold, in °C
//!         pub setpoint: u8 [range 5..=30],
//!         /// whether the heater is running
//!         pub heating: bool [read_only],
//!     }
//! }
//!
//! let spec = &Thermostat::SCHEMA[0];
//! assert_eq!((spec.key, spec.kind), ("setpoint", Kind::Int { min: 5, max: 30 }));
//! assert_eq!(Thermostat::SCHEMA[1].access, Access::ReadOnly);
//! assert_eq!(Thermostat::SCHEMA[1].doc, "whether the heater is running");
//! ```

use heapless::String;

use crate::attributes::{
    Access, AttributeError, AttributeSpec, Attributes, Kind, Problem, Value, MAX_STRING,
};
use crate::decimal::{units_of, Decimal, Fixed, MAX_SCALE};

/// A Rust type that can be one field of a [`State`]: its JSON kind, and the
/// conversions to and from an attribute [`Value`].
///
/// Implemented for `bool`, the integers up to 32 bits, `i64`,
/// [`Decimal`] (fixed point: `21.5`), and `heapless::String<N>` (for `N` up
/// to [`MAX_STRING`]).
///
/// ```
/// use urest_core::attributes::{Kind, Value};
/// use urest_core::state::AttributeValue;
///
/// assert_eq!(u8::KIND, Kind::Int { min: 0, max: 255 });
/// assert_eq!(u8::from_value(&Value::Int(300)), None);
/// assert_eq!(true.to_value(), Value::Bool(true));
/// ```
pub trait AttributeValue: Sized {
    /// The kind, over the type's whole range.
    const KIND: Kind;

    /// The value to report.
    fn to_value(&self) -> Value;

    /// The field from a decoded value, or `None` if it does not fit.
    fn from_value(value: &Value) -> Option<Self>;
}

impl AttributeValue for bool {
    const KIND: Kind = Kind::Bool;

    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }

    fn from_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
}

macro_rules! integer_attribute {
    ($($integer:ty),*) => {$(
        impl AttributeValue for $integer {
            const KIND: Kind = Kind::Int {
                min: <$integer>::MIN as i64,
                max: <$integer>::MAX as i64,
            };

            fn to_value(&self) -> Value {
                Value::Int(i64::from(*self))
            }

            fn from_value(value: &Value) -> Option<Self> {
                value.as_int().and_then(|value| <$integer>::try_from(value).ok())
            }
        }
    )*};
}

integer_attribute!(u8, u16, u32, i8, i16, i32, i64);

impl<const N: usize> AttributeValue for String<N> {
    const KIND: Kind = Kind::Str {
        max_len: if N < MAX_STRING { N } else { MAX_STRING },
    };

    fn to_value(&self) -> Value {
        Value::text(self)
    }

    fn from_value(value: &Value) -> Option<Self> {
        value.as_str().and_then(|text| String::try_from(text).ok())
    }
}

impl<const SCALE: u8> AttributeValue for Decimal<SCALE> {
    const KIND: Kind = Kind::Decimal {
        scale: if SCALE < MAX_SCALE { SCALE } else { MAX_SCALE },
        min: i64::MIN,
        max: i64::MAX,
    };

    fn to_value(&self) -> Value {
        Value::Decimal(self.fixed())
    }

    fn from_value(value: &Value) -> Option<Self> {
        match value.as_fixed() {
            Some(Fixed { units, scale }) if scale == Fixed::new(0, SCALE).scale => {
                Some(Decimal(units))
            }
            _ => None,
        }
    }
}

/// A noun's state as a struct; declare one with [`state!`](crate::state!).
///
/// `Default` is the state DELETE returns the writable fields to.
pub trait State: Clone + Default {
    /// One spec per field, in declaration order.
    const SCHEMA: &'static [AttributeSpec];

    /// [`SCHEMA`](State::SCHEMA) followed by [`AGE`]: what a
    /// [`SensorNoun`](crate::nouns::SensorNoun) reports.
    const SCHEMA_WITH_AGE: &'static [AttributeSpec];

    /// Every field as an attribute.
    fn to_attributes(&self) -> Attributes;

    /// Set the fields that `patch` names. The first value that does not fit
    /// its field is named in the error and leaves the remaining fields as
    /// they were (a patch decoded against [`SCHEMA`](State::SCHEMA) always
    /// fits).
    fn merge(&mut self, patch: &Attributes) -> Result<(), AttributeError>;

    /// The writable fields of `self` as a patch.
    fn writable(&self) -> Attributes {
        let mut patch = Attributes::new();
        for (key, value) in self.to_attributes().iter() {
            if Self::SCHEMA
                .iter()
                .any(|spec| spec.key == key && spec.is_writable())
            {
                let _ = patch.set(key, value.clone());
            }
        }
        patch
    }

    /// The first writable key that `patch` lacks, as a
    /// [`Problem::Missing`] error: PUT sets the whole state.
    fn require_writable(patch: &Attributes) -> Result<(), AttributeError> {
        match Self::SCHEMA
            .iter()
            .find(|spec| spec.is_writable() && patch.get(spec.key).is_none())
        {
            Some(spec) => Err(AttributeError::new(spec.key, Problem::Missing)),
            None => Ok(()),
        }
    }
}

/// The key a [`SensorNoun`](crate::nouns::SensorNoun) adds to its state:
/// how old the reading is.
pub const AGE: AttributeSpec = AttributeSpec {
    key: "age_ms",
    kind: Kind::Int {
        min: 0,
        max: i64::MAX,
    },
    access: Access::ReadOnly,
    doc: "milliseconds since the reading was taken",
};

/// One field's value from `patch` into `field`, for [`state!`](crate::state!).
#[doc(hidden)]
pub fn merge_field<T: AttributeValue>(
    field: &mut T,
    key: &'static str,
    kind: Kind,
    patch: &Attributes,
) -> Result<(), AttributeError> {
    if let Some(value) = patch.get(key) {
        *field = T::from_value(value)
            .ok_or_else(|| AttributeError::new(key, Problem::WrongType(kind)))?;
    }
    Ok(())
}

/// `kind` narrowed to `min..=max` when it is a number, for
/// [`state!`](crate::state!)'s `[range ..]`. Evaluated at compile time
/// only: the bounds are literals, integer or decimal.
#[doc(hidden)]
pub const fn with_range(kind: Kind, min: f64, max: f64) -> Kind {
    match kind {
        Kind::Int { .. } => Kind::Int {
            min: units_of(min, 0),
            max: units_of(max, 0),
        },
        Kind::Decimal { scale, .. } => Kind::Decimal {
            scale,
            min: units_of(min, scale),
            max: units_of(max, scale),
        },
        other => other,
    }
}

/// A doc comment's text as one line for the schema.
#[doc(hidden)]
pub const fn doc_line(doc: &'static str) -> &'static str {
    doc.trim_ascii()
}

/// Declare a noun's state: a struct whose fields are its attributes.
///
/// Each field's `///` comment becomes its doc in the index. After a
/// field's type, `[read_only]` marks what clients may not write and
/// `[range min..=max]` narrows an integer (otherwise its type's range
/// applies; a [`Decimal`] takes decimal bounds, `[range 5.0..=30.0]`);
/// both together read `[read_only, range 0..=100]`. Field types implement
/// [`AttributeValue`]. The struct derives `Clone`, `Debug`, `Default` and
/// `PartialEq` and implements [`State`].
///
/// A state has at most [`MAX_ATTRIBUTES`](crate::attributes::MAX_ATTRIBUTES)
/// fields (checked when it compiles; one fewer for a
/// [`SensorNoun`](crate::nouns::SensorNoun), which adds `age_ms`). Fields
/// take doc comments and no other attributes; the key is the field's name.
///
/// ```
/// use urest_core::state::State;
///
/// urest_core::state! {
///     /// A relay's state.
///     pub struct Relay {
///         /// whether the contacts are closed
///         pub closed: bool,
///         /// how many times the relay has closed
///         pub cycles: u32 [read_only],
///     }
/// }
///
/// let relay = Relay { closed: true, cycles: 3 };
/// let mut buffer = [0u8; 64];
/// let len = relay.to_attributes().encode(&mut buffer).unwrap();
/// assert_eq!(&buffer[..len], br#"{"closed":true,"cycles":3}"#);
/// ```
#[macro_export]
macro_rules! state {
    (
        $(#[$outer:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:expr])*
                $field_vis:vis $field:ident : $type:ty $([$($marker:tt)*])?
            ),* $(,)?
        }
    ) => {
        $(#[$outer])*
        #[derive(Clone, Debug, Default, PartialEq)]
        $vis struct $name {
            $(
                $(#[doc = $doc])*
                $field_vis $field: $type,
            )*
        }

        const _: () = assert!(
            <$name as $crate::state::State>::SCHEMA.len() <= $crate::attributes::MAX_ATTRIBUTES,
            "a state has at most urest_core::attributes::MAX_ATTRIBUTES fields",
        );

        impl $crate::state::State for $name {
            const SCHEMA: &'static [$crate::attributes::AttributeSpec] = &[
                $($crate::state!(@spec $field, $type, [$($doc),*], [$($($marker)*)?])),*
            ];
            const SCHEMA_WITH_AGE: &'static [$crate::attributes::AttributeSpec] = &[
                $($crate::state!(@spec $field, $type, [$($doc),*], [$($($marker)*)?]),)*
                $crate::state::AGE
            ];

            fn to_attributes(&self) -> $crate::attributes::Attributes {
                let mut state = $crate::attributes::Attributes::new();
                $(
                    let _ = state.set(
                        stringify!($field),
                        $crate::state::AttributeValue::to_value(&self.$field),
                    );
                )*
                state
            }

            fn merge(
                &mut self,
                patch: &$crate::attributes::Attributes,
            ) -> Result<(), $crate::attributes::AttributeError> {
                $(
                    $crate::state::merge_field(
                        &mut self.$field,
                        stringify!($field),
                        const { $crate::state!(@kind $type, [$($($marker)*)?]) },
                        patch,
                    )?;
                )*
                Ok(())
            }
        }
    };
    (@spec $field:ident, $type:ty, [$($doc:expr),*], [$($marker:tt)*]) => {
        $crate::attributes::AttributeSpec {
            key: stringify!($field),
            kind: $crate::state!(@kind $type, [$($marker)*]),
            access: $crate::state!(@access [$($marker)*]),
            doc: $crate::state::doc_line(concat!("", $($doc),*)),
        }
    };
    // The markers in `[..]` after a field's type, in any order.
    (@kind $type:ty, []) => {
        <$type as $crate::state::AttributeValue>::KIND
    };
    (@kind $type:ty, [range $min:literal ..= $max:literal $(, $($rest:tt)*)?]) => {
        $crate::state::with_range(
            <$type as $crate::state::AttributeValue>::KIND,
            $min as f64,
            $max as f64,
        )
    };
    (@kind $type:ty, [read_only $(, $($rest:tt)*)?]) => {
        $crate::state!(@kind $type, [$($($rest)*)?])
    };
    (@access []) => { $crate::attributes::Access::ReadWrite };
    (@access [read_only $($rest:tt)*]) => { $crate::attributes::Access::ReadOnly };
    (@access [range $min:literal ..= $max:literal $(, $($rest:tt)*)?]) => {
        $crate::state!(@access [$($($rest)*)?])
    };
}
