//! State attributes: the flat JSON object of a noun.
//!
//! A noun's state is an object of key → integer, string or boolean, for
//! example `{"desired": 1, "current": 0}`. Each noun declares its keys in a
//! [schema](AttributeSpec); request bodies are decoded against that schema
//! (so unknown keys and wrong types are caught with the key named, and a
//! rejected body changes nothing) and states are encoded into a
//! caller-provided buffer. Bodies are read by a small reader of our own that
//! reads JSON exactly as `serde-json-core` does, faults included; states
//! are written without serde when they hold no strings, else through
//! `serde-json-core`. Nothing allocates.

use core::fmt;

use heapless::{String, Vec};

use crate::decimal::Fixed;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// The most attributes one noun's state may hold.
pub const MAX_ATTRIBUTES: usize = 12;

/// The longest string value, in bytes.
pub const MAX_STRING: usize = 32;

/// The longest key that an error can name, in bytes (longer keys are cut).
pub const MAX_KEY: usize = 32;

/// A string value or key, stored inline.
pub type Text = String<MAX_STRING>;

/// One attribute value.
///
/// ```
/// use urest_core::attributes::Value;
///
/// let on = Value::Int(1);
/// assert_eq!(on.as_int(), Some(1));
/// assert_eq!(Value::Bool(true).as_int(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Value {
    /// A JSON integer.
    Int(i64),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON string of at most [`MAX_STRING`] bytes.
    Str(Text),
    /// A JSON number in fixed point, such as `21.5`.
    Decimal(Fixed),
}

impl Value {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(value) => Some(*value),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(value) => Some(value),
            _ => None,
        }
    }

    /// The decimal, if this is one.
    pub fn as_fixed(&self) -> Option<Fixed> {
        match self {
            Value::Decimal(value) => Some(*value),
            _ => None,
        }
    }

    /// A string value from static text, cut to [`MAX_STRING`] bytes.
    pub fn text(text: &str) -> Value {
        Value::Str(truncated(text))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(value) => serializer.serialize_i64(*value),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::Str(value) => serializer.serialize_str(value),
            Value::Decimal(value) => value.serialize(serializer),
        }
    }
}

/// The type of an attribute and the values it accepts.
///
/// ```
/// use urest_core::attributes::Kind;
///
/// let switch = Kind::Int { min: 0, max: 1 };
/// assert_eq!(switch.type_name(), "integer");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Kind {
    /// An integer in `min..=max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// `true` or `false`.
    Bool,
    /// A string of at most `max_len` bytes (never more than [`MAX_STRING`]).
    Str {
        /// Longest accepted string, in bytes.
        max_len: usize,
    },
    /// A decimal number with up to `scale` digits after the point, held as
    /// an integer count of `10^-scale` (see [`crate::decimal`]).
    Decimal {
        /// Digits after the point, at most [`MAX_SCALE`](crate::decimal::MAX_SCALE).
        scale: u8,
        /// Smallest accepted value, in units of `10^-scale`.
        min: i64,
        /// Largest accepted value, in units of `10^-scale`.
        max: i64,
    },
}

impl Kind {
    /// The JSON type name, as used in error messages and the index.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Int { .. } => "integer",
            Kind::Bool => "boolean",
            Kind::Str { .. } => "string",
            Kind::Decimal { .. } => "number",
        }
    }

    /// What the kind accepts beyond its type, as in an error message:
    /// ` in 0..=1`, ` of at most 8 bytes`,
    /// ` in 5.0..=30.0 with at most 1 digit after the point`.
    pub fn write_accepts(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Int { min, max } => write!(f, " in {min}..={max}"),
            Kind::Str { max_len } => write!(f, " of at most {max_len} bytes"),
            Kind::Bool => Ok(()),
            Kind::Decimal { scale, min, max } => write!(
                f,
                " in {}..={} with at most {scale} digit{} after the point",
                Fixed::new(min, scale),
                Fixed::new(max, scale),
                if scale == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Whether clients may write an attribute.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Access {
    /// Reported by GET; rejected in a request body.
    ReadOnly,
    /// Reported by GET and accepted by PUT and POST.
    ReadWrite,
}

/// One key of a noun's schema.
///
/// ```
/// use urest_core::attributes::{Access, AttributeSpec, Kind};
///
/// const DESIRED: AttributeSpec = AttributeSpec {
///     key: "desired",
///     kind: Kind::Int { min: 0, max: 1 },
///     access: Access::ReadWrite,
///     doc: "where the output is going: 0 off, 1 on",
/// };
/// assert!(DESIRED.is_writable());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AttributeSpec {
    /// The JSON key. Matched exactly (keys are case-sensitive, as in JSON).
    pub key: &'static str,
    /// Its type and range.
    pub kind: Kind,
    /// Whether clients may write it.
    pub access: Access,
    /// One line for people reading the index.
    pub doc: &'static str,
}

impl AttributeSpec {
    /// Whether a request body may carry this key.
    pub fn is_writable(&self) -> bool {
        self.access == Access::ReadWrite
    }
}

/// What is wrong with one attribute of a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Problem {
    /// The noun has no attribute of that name.
    Unknown,
    /// The attribute exists but clients may not write it.
    ReadOnly,
    /// The value has the wrong JSON type; the expected kind is given.
    WrongType(Kind),
    /// An integer outside the accepted range.
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A string longer than the attribute accepts.
    TooLong {
        /// Longest accepted string, in bytes.
        max_len: usize,
    },
    /// A value of the right type that the kind does not accept: a decimal
    /// out of range or more precise than its scale.
    NotAccepted(Kind),
    /// The key appears twice in one body.
    Duplicate,
    /// The verb needs this attribute and the body lacks it.
    Missing,
}

/// An attribute error: which key, and what is wrong with it.
///
/// ```
/// use urest_core::attributes::{AttributeError, Problem};
///
/// let error = AttributeError::new("colour", Problem::Unknown);
/// assert_eq!(error.key(), "colour");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AttributeError {
    key: String<MAX_KEY>,
    problem: Problem,
}

impl AttributeError {
    /// An error about `key` (cut to [`MAX_KEY`] bytes).
    pub fn new(key: &str, problem: Problem) -> Self {
        AttributeError {
            key: truncated(key),
            problem,
        }
    }

    /// The key the error is about.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What is wrong with it.
    pub fn problem(&self) -> Problem {
        self.problem
    }
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match self.problem {
            Problem::Unknown => write!(f, "unknown attribute \"{key}\""),
            Problem::ReadOnly => write!(f, "attribute \"{key}\" is read-only"),
            Problem::WrongType(kind) | Problem::NotAccepted(kind) => {
                write!(f, "attribute \"{key}\" must be {}", kind.type_name())?;
                kind.write_accepts(f)
            }
            Problem::OutOfRange { min, max } => {
                write!(f, "attribute \"{key}\" must be in {min}..={max}")
            }
            Problem::TooLong { max_len } => {
                write!(f, "attribute \"{key}\" must be at most {max_len} bytes")
            }
            Problem::Duplicate => write!(f, "attribute \"{key}\" appears more than once"),
            Problem::Missing => write!(f, "attribute \"{key}\" is required"),
        }
    }
}

/// Why a request body could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeError {
    /// Not a JSON object (or not JSON at all).
    Malformed(serde_json_core::de::Error),
    /// Well-formed JSON that the schema refuses.
    Attribute(AttributeError),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Malformed(error) => write!(f, "body is not a JSON object: {error}"),
            DecodeError::Attribute(error) => error.fmt(f),
        }
    }
}

/// A flat set of attributes: a decoded request body, or a noun's state.
///
/// Keys are the `&'static str` of the noun's schema, so a patch never
/// borrows the request buffer.
///
/// ```
/// use urest_core::attributes::{Access, Attributes, AttributeSpec, Kind, Value};
///
/// const SCHEMA: &[AttributeSpec] = &[AttributeSpec {
///     key: "led",
///     kind: Kind::Int { min: 0, max: 1 },
///     access: Access::ReadWrite,
///     doc: "0 off, 1 on",
/// }];
///
/// let patch = Attributes::decode(br#"{"led": 1}"#, SCHEMA, &mut [0; 32]).unwrap();
/// assert_eq!(patch.get("led"), Some(&Value::Int(1)));
///
/// let mut buffer = [0u8; 64];
/// let len = patch.encode(&mut buffer).unwrap();
/// assert_eq!(&buffer[..len], br#"{"led":1}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes {
    entries: Vec<(&'static str, Value), MAX_ATTRIBUTES>,
}

impl Attributes {
    /// No attributes.
    pub const fn new() -> Self {
        Attributes {
            entries: Vec::new(),
        }
    }

    /// Add or replace `key`. Returns the value back if the set is full.
    // Inline so that a noun building its state in a local can have it
    // built in its caller's place: an out-of-line call takes the local's
    // address, and the whole set (some 600 bytes) is then copied out.
    #[inline]
    pub fn set(&mut self, key: &'static str, value: Value) -> Result<(), Value> {
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = value;
            return Ok(());
        }
        self.entries.push((key, value)).map_err(|(_, value)| value)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The integer value of `key`, if present and an integer.
    pub fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_int)
    }

    /// Whether there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The attributes in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Decode a request body against `schema`.
    ///
    /// An empty body (or one of only whitespace) decodes as no attributes.
    /// Every key must be in the schema and writable, every value of the right
    /// type and in range; the first offending key is named in the error.
    /// `scratch` holds unescaped strings and bounds their length; a key
    /// with escapes too long for it is still read, and refused as unknown.
    pub fn decode(
        body: &[u8],
        schema: &'static [AttributeSpec],
        scratch: &mut [u8],
    ) -> Result<Attributes, DecodeError> {
        let mut patch = Attributes::new();
        patch.decode_in_place(body, schema, scratch)?;
        Ok(patch)
    }

    /// [`decode`](Self::decode) into this set, whose attributes it
    /// replaces. A set is some 600 bytes on a Cortex-M: decoded where it
    /// will be used, it is never copied from one frame to the next. On an
    /// error the set holds what was read before the fault.
    ///
    /// ```
    /// use urest_core::attributes::{Access, Attributes, AttributeSpec, Kind, Value};
    ///
    /// const SCHEMA: &[AttributeSpec] = &[AttributeSpec {
    ///     key: "led",
    ///     kind: Kind::Int { min: 0, max: 1 },
    ///     access: Access::ReadWrite,
    ///     doc: "0 off, 1 on",
    /// }];
    ///
    /// let mut patch = Attributes::new();
    /// patch.decode_in_place(br#"{"led": 1}"#, SCHEMA, &mut [0; 32]).unwrap();
    /// assert_eq!(patch.get("led"), Some(&Value::Int(1)));
    /// assert!(patch.decode_in_place(br#"{"led": 2}"#, SCHEMA, &mut [0; 32]).is_err());
    /// ```
    pub fn decode_in_place(
        &mut self,
        body: &[u8],
        schema: &'static [AttributeSpec],
        scratch: &mut [u8],
    ) -> Result<(), DecodeError> {
        self.entries.clear();
        if body.iter().all(u8::is_ascii_whitespace) || decode_plain(body, schema, self).is_some() {
            return Ok(());
        }
        self.entries.clear();
        decode_general(body, schema, scratch, self)
    }
}

/// The general case: any JSON, with each fault named, filling the empty
/// `patch` in place. In place because an attribute set is some 700 bytes,
/// and every copy of one costs that much stack. Out of line so that the
/// common case pays none of it.
///
/// It reads bodies exactly as urest did through serde-json-core 0.7, in one
/// pass instead of two: a syntax pass over the whole object, whose error
/// (as serde-json-core names it) wins, and a schema pass whose first fault
/// names its key. The schema's verdict on each value is worked out as the
/// syntax pass goes by it, and kept only if the syntax holds to the end.
/// Written by hand because serde's visitors and serde-json-core's
/// deserializer cost about 7 KB of flash on a Cortex-M0; the unit tests
/// hold it to the serde-json-core decoder it replaces.
#[inline(never)]
fn decode_general(
    body: &[u8],
    schema: &'static [AttributeSpec],
    scratch: &mut [u8],
    patch: &mut Attributes,
) -> Result<(), DecodeError> {
    let mut reader = Reader {
        body,
        at: 0,
        scratch: Some(scratch),
    };
    let mut failure = None;
    let walked = reader
        .object(&mut |reader| {
            let key = reader.string()?;
            let text: String<MAX_KEY> = truncated(key);
            let whole = text.len() == key.len();
            reader.colon()?;
            if failure.is_some() {
                return reader.skip_value();
            }
            // A key longer than any name kept whole is no name of the
            // schema, even if its first bytes are one.
            let spec = whole
                .then(|| schema.iter().find(|spec| spec.key == text.as_str()))
                .flatten();
            let problem = match spec {
                None => Some(Problem::Unknown),
                Some(spec) if !spec.is_writable() => Some(Problem::ReadOnly),
                Some(spec) if patch.get(spec.key).is_some() => Some(Problem::Duplicate),
                Some(_) => None,
            };
            let (Some(spec), None) = (spec, problem) else {
                failure = problem.map(|problem| AttributeError { key: text, problem });
                return reader.skip_value();
            };
            let (read, whole_value) = reader.value(spec.kind)?;
            let problem = match read {
                // Pushed, not set: the key is not there yet (a duplicate
                // was refused above), so there is nothing to replace.
                Ok(value) => match patch.entries.push((spec.key, value)) {
                    Err(_) => Some(Problem::Unknown),
                    // Kept, as the schema pass did, before it met the rest.
                    Ok(()) if !whole_value => Some(Problem::WrongType(spec.kind)),
                    Ok(()) => None,
                },
                Err(problem) => Some(problem.unwrap_or(Problem::WrongType(spec.kind))),
            };
            failure = problem.map(|problem| AttributeError { key: text, problem });
            Ok(())
        })
        .and_then(|()| reader.end());
    match walked {
        Ok(()) => {}
        Err(error) => {
            // The syntax pass came first: nothing of the schema pass counts.
            patch.entries.clear();
            return Err(match error {
                Fault::EscapedStringIsTooLong => blame_long_string(body, schema),
                error => DecodeError::Malformed(error),
            });
        }
    }
    match failure {
        Some(attribute) => Err(DecodeError::Attribute(attribute)),
        None => with_decimals(patch, body, schema),
    }
}

/// How serde-json-core names a fault in a body.
type Fault = serde_json_core::de::Error;

/// Where [`skip_value`](Reader::skip_value) stands.
#[derive(Copy, Clone)]
enum Skip {
    /// A value starts here.
    Value,
    /// Just inside a list's `[` or an object's `{`.
    First,
    /// Past a comma in a list: an element must follow.
    Element,
    /// Past a comma in an object: a key must follow.
    Key,
    /// A value has ended; what follows depends on the container around it.
    After,
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Container {
    List,
    Object,
}

/// The lists and objects open around a point of a body, innermost last,
/// a bit each: deep enough for any body a connection buffer holds (each
/// level takes a byte of it).
struct Nesting {
    objects: [u32; NESTING_WORDS],
    depth: usize,
}

/// 2,048 levels, in 256 bytes.
const NESTING_WORDS: usize = 64;

impl Nesting {
    fn new() -> Self {
        Nesting {
            objects: [0; NESTING_WORDS],
            depth: 0,
        }
    }

    /// One level deeper. A body nested deeper than 2,048 levels is refused
    /// as not what the decoder expects.
    fn push(&mut self, container: Container) -> Result<(), Fault> {
        let word = self
            .objects
            .get_mut(self.depth / 32)
            .ok_or(Fault::CustomError)?;
        let bit = 1u32 << (self.depth % 32);
        match container {
            Container::Object => *word |= bit,
            Container::List => *word &= !bit,
        }
        self.depth += 1;
        Ok(())
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn innermost(&self) -> Option<Container> {
        let level = self.depth.checked_sub(1)?;
        let word = self.objects.get(level / 32)?;
        Some(if word & (1 << (level % 32)) != 0 {
            Container::Object
        } else {
            Container::List
        })
    }
}

/// Reads JSON the way serde-json-core 0.7's deserializer does, with the same
/// faults at the same places, including what it lets through: a number or
/// a word is skipped up to the next `,`, `}` or `]` without a look at its
/// bytes, a list may start with a comma, and a `\u` escape's four bytes are
/// read as `u32::from_str_radix` reads them.
struct Reader<'b, 's> {
    body: &'b [u8],
    /// The next byte to read.
    at: usize,
    /// Where strings with escapes are unescaped; without one, strings are
    /// read as they are written.
    scratch: Option<&'s mut [u8]>,
}

/// A piece of a string's text between its quotes.
enum Fragment<'t> {
    /// Text with no escape in it.
    Text(&'t str),
    /// What one escape stands for.
    Escaped(char),
}

impl<'b> Reader<'b, '_> {
    fn peek(&self) -> Option<u8> {
        self.body.get(self.at).copied()
    }

    /// The next byte after any whitespace, not read. Out of line: the
    /// reader calls it at every step, and inlined it is a loop at each.
    #[inline(never)]
    fn space(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.peek()
    }

    /// Nothing but whitespace is left.
    fn end(&mut self) -> Result<(), Fault> {
        match self.space() {
            Some(_) => Err(Fault::TrailingCharacters),
            None => Ok(()),
        }
    }

    /// The `:` after a key. Out of line: called from three places.
    #[inline(never)]
    fn colon(&mut self) -> Result<(), Fault> {
        match self.space().ok_or(Fault::EofWhileParsingObject)? {
            b':' => {
                self.at += 1;
                Ok(())
            }
            _ => Err(Fault::ExpectedColon),
        }
    }

    /// An object: `each` is called at each key, and reads the key, its
    /// colon and its value. `each` is called through a pointer, so that
    /// this is compiled once for the two kinds of object there are.
    fn object(
        &mut self,
        each: &mut dyn FnMut(&mut Self) -> Result<(), Fault>,
    ) -> Result<(), Fault> {
        match self.space().ok_or(Fault::EofWhileParsingValue)? {
            b'{' => self.at += 1,
            _ => return Err(Fault::InvalidType),
        }
        let mut first = true;
        loop {
            let next = match self.space().ok_or(Fault::EofWhileParsingObject)? {
                b'}' => break,
                b',' if !first => {
                    self.at += 1;
                    self.space()
                }
                byte if first => {
                    first = false;
                    Some(byte)
                }
                _ => return Err(Fault::ExpectedObjectCommaOrEnd),
            };
            match next.ok_or(Fault::EofWhileParsingValue)? {
                b'"' => each(self)?,
                b'}' => return Err(Fault::TrailingComma),
                _ => return Err(Fault::KeyMustBeAString),
            }
        }
        self.at += 1;
        Ok(())
    }

    /// Any value, checked and forgotten, faults as serde-json-core finds
    /// them. Not recursive: the lists and objects open around the point
    /// reached are kept as bits, one a level, so a body nested a thousand
    /// levels deep costs no more stack than a flat one (recursing, as
    /// serde-json-core does, took 40 to 88 bytes a level on a Cortex-M0,
    /// and a 1 KiB body of `[`s would overflow a micro:bit's stack).
    fn skip_value(&mut self) -> Result<(), Fault> {
        let mut open = Nesting::new();
        let mut step = Skip::Value;
        loop {
            let container = open.innermost();
            let eof = match (step, container) {
                (Skip::Value | Skip::Element | Skip::Key, _) => Fault::EofWhileParsingValue,
                (_, None) => return Ok(()),
                (_, Some(Container::List)) => Fault::EofWhileParsingList,
                (_, Some(Container::Object)) => Fault::EofWhileParsingObject,
            };
            let byte = self.space().ok_or(eof)?;
            // One read of the next byte, and one match on the step, the
            // container and the byte: each way out (closing, comma, key) is
            // written once for the step before a container's first element
            // or member and the step after one, which differ only where an
            // arm names `Skip::First`.
            step = match (step, container, byte) {
                (Skip::Value, _, b'"') => {
                    self.string()?;
                    Skip::After
                }
                (Skip::Value, _, b'[' | b'{') => {
                    self.at += 1;
                    open.push(if byte == b'[' {
                        Container::List
                    } else {
                        Container::Object
                    })?;
                    Skip::First
                }
                (Skip::Value, _, b',' | b'}' | b']') => return Err(Fault::ExpectedSomeValue),
                (Skip::Value, _, _) => {
                    self.skip_scalar()?;
                    Skip::After
                }
                (Skip::Element, _, b']') | (Skip::Key, _, b'}') => {
                    return Err(Fault::TrailingComma)
                }
                (Skip::Element, _, _) => Skip::Value,
                (Skip::Key | Skip::First, Some(Container::Object), b'"') => self.member_key()?,
                (Skip::Key, _, _) => return Err(Fault::KeyMustBeAString),
                (_, Some(Container::List), b']') | (_, Some(Container::Object), b'}') => {
                    self.at += 1;
                    open.pop();
                    Skip::After
                }
                // A comma may come before a list's first element, and does
                // not count as one.
                (_, Some(Container::List), b',') => {
                    self.at += 1;
                    Skip::Element
                }
                (Skip::First, Some(Container::List), _) => Skip::Value,
                (_, Some(Container::List), _) => return Err(Fault::ExpectedListCommaOrEnd),
                (Skip::First, _, _) => return Err(Fault::KeyMustBeAString),
                (_, _, b',') => {
                    self.at += 1;
                    Skip::Key
                }
                _ => return Err(Fault::ExpectedObjectCommaOrEnd),
            };
        }
    }

    /// A member's key and colon; its value comes next.
    fn member_key(&mut self) -> Result<Skip, Fault> {
        self.string()?;
        self.colon()?;
        Ok(Skip::Value)
    }

    /// A number or a word: every byte up to the next `,`, `}` or `]`.
    fn skip_scalar(&mut self) -> Result<(), Fault> {
        loop {
            match self.peek() {
                Some(b',' | b'}' | b']') => return Ok(()),
                Some(_) => self.at += 1,
                None => return Err(Fault::EofWhileParsingString),
            }
        }
    }

    /// A string's text between its quotes, escapes as written, and whether
    /// it has any.
    fn raw_string(&mut self) -> Result<(&'b str, bool), Fault> {
        match self.space().ok_or(Fault::EofWhileParsingValue)? {
            b'"' => self.at += 1,
            _ => return Err(Fault::InvalidType),
        }
        let start = self.at;
        let mut escaped = false;
        loop {
            match self.peek() {
                Some(b'"') => break,
                // The byte after a backslash is never the closing quote.
                Some(b'\\') => {
                    self.at += 2;
                    escaped = true;
                }
                Some(_) => self.at += 1,
                None => return Err(Fault::EofWhileParsingString),
            }
        }
        let text = self.body.get(start..self.at).unwrap_or_default();
        self.at += 1;
        let text = core::str::from_utf8(text).map_err(|_| Fault::InvalidUnicodeCodePoint)?;
        Ok((text, escaped))
    }

    /// A string, unescaped into the scratch buffer if it has escapes and
    /// there is one.
    fn string(&mut self) -> Result<&str, Fault> {
        let (raw, escaped) = self.raw_string()?;
        let Some(scratch) = self.scratch.as_deref_mut() else {
            return Ok(raw);
        };
        if !escaped {
            return Ok(raw);
        }
        let mut len = 0;
        unescape(raw, &mut |piece| {
            let end = len + piece.len();
            scratch
                .get_mut(len..end)
                .ok_or(Fault::EscapedStringIsTooLong)?
                .copy_from_slice(piece.as_bytes());
            len = end;
            Ok(())
        })?;
        let unescaped = scratch.get(..len).unwrap_or_default();
        core::str::from_utf8(unescaped).map_err(|_| Fault::InvalidUnicodeCodePoint)
    }

    /// The value of an attribute of `kind`, read as its type, or what is
    /// wrong with it (`None`: the type, which the caller names, so that
    /// it is made in one place), and whether it was all of the value's
    /// text (else it is of the wrong type); a fault in the syntax around
    /// it stops the reading.
    fn value(&mut self, kind: Kind) -> Result<(Result<Value, Option<Problem>>, bool), Fault> {
        let start = self.at;
        let first = self.space();
        if let (Kind::Str { max_len }, Some(b'"')) = (kind, first) {
            let max_len = max_len.min(MAX_STRING);
            let text = self.string()?;
            let read = if text.len() <= max_len {
                Ok(Value::Str(truncated(text)))
            } else {
                Err(Some(Problem::TooLong { max_len }))
            };
            return Ok((read, true));
        }
        // An integer or a boolean is read on its own, and must be all of
        // what the syntax pass skips as the value, but for whitespace.
        let mut typed = Reader {
            body: self.body,
            at: start,
            scratch: None,
        };
        let read = match kind {
            Kind::Decimal { scale, .. } if !matches!(first, None | Some(b'"' | b'[' | b'{')) => {
                // Read from the body's text afterwards: a placeholder, and
                // nothing here to check against the rest of the value.
                typed.at = self.body.len();
                Ok(Value::Decimal(Fixed::new(0, scale)))
            }
            Kind::Int { min, max } => match typed.int() {
                Ok(number) if (min..=max).contains(&number) => Ok(Value::Int(number)),
                Ok(_) | Err(Fault::InvalidNumber) => Err(Some(Problem::OutOfRange { min, max })),
                Err(_) => Err(None),
            },
            Kind::Bool => typed.boolean().map(Value::Bool).map_err(|_| None),
            _ => Err(None),
        };
        self.skip_value()?;
        // Only whitespace between what was read and the value's end.
        typed.space();
        Ok((read, typed.at >= self.at))
    }

    /// An integer, as serde-json-core reads an `i64`: a `-`, then `0` or
    /// digits without a leading zero; what follows is left unread.
    fn int(&mut self) -> Result<i64, Fault> {
        let negative = match self.space().ok_or(Fault::EofWhileParsingValue)? {
            b'-' => {
                self.at += 1;
                true
            }
            _ => false,
        };
        match self.peek().ok_or(Fault::EofWhileParsingValue)? {
            b'0' => {
                self.at += 1;
                Ok(0)
            }
            first @ b'1'..=b'9' => {
                self.at += 1;
                let limit = crate::decimal::magnitude_limit(negative);
                let mut magnitude = u64::from(first - b'0');
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    self.at += 1;
                    magnitude = crate::decimal::append_digit(magnitude, digit, limit)
                        .ok_or(Fault::InvalidNumber)?;
                }
                Ok(crate::decimal::signed(magnitude, negative))
            }
            _ => Err(Fault::InvalidType),
        }
    }

    /// `true` or `false`; what follows is left unread.
    fn boolean(&mut self) -> Result<bool, Fault> {
        let (word, value): (&[u8], bool) = match self.space().ok_or(Fault::EofWhileParsingValue)? {
            b't' => (b"true", true),
            b'f' => (b"false", false),
            _ => return Err(Fault::InvalidType),
        };
        let end = self.at + word.len();
        if self.body.get(self.at..end) != Some(word) {
            return Err(Fault::ExpectedSomeIdent);
        }
        self.at = end;
        Ok(value)
    }
}

/// The first piece of the text of a string, and the text after it.
fn next_fragment(escaped: &str) -> Result<(Fragment<'_>, &str), Fault> {
    let Some(after) = escaped.strip_prefix('\\') else {
        let end = escaped
            .bytes()
            .position(|byte| byte == b'\\')
            .unwrap_or(escaped.len());
        let (text, rest) = (escaped.get(..end), escaped.get(end..));
        return Ok((
            Fragment::Text(text.unwrap_or_default()),
            rest.unwrap_or_default(),
        ));
    };
    // Every escape is an ASCII letter or sign after the backslash.
    let (Some(&letter), Some(rest)) = (after.as_bytes().first(), after.get(1..)) else {
        return Err(Fault::InvalidEscapeSequence);
    };
    let (code, rest) = match letter {
        b'u' => {
            let (Some(digits), Some(rest)) = (rest.get(..4), rest.get(4..)) else {
                return Err(Fault::InvalidEscapeSequence);
            };
            (hex_code(digits), rest)
        }
        _ => {
            let code = SHORT_ESCAPES
                .iter()
                .find(|(written, _)| *written == letter)
                .map(|(_, meant)| u32::from(*meant));
            (code, rest)
        }
    };
    let c = code
        .and_then(char::from_u32)
        .ok_or(Fault::InvalidEscapeSequence)?;
    Ok((Fragment::Escaped(c), rest))
}

/// The escapes of one letter, and the byte each stands for: a table, which
/// takes less code than a branch for each.
const SHORT_ESCAPES: [(u8, u8); 8] = [
    (b'"', b'"'),
    (b'\\', b'\\'),
    (b'/', b'/'),
    (b'b', 0x08),
    (b'f', 0x0C),
    (b'n', b'\n'),
    (b'r', b'\r'),
    (b't', b'\t'),
];

/// The number the four bytes of a `\u` escape write, read as
/// `u32::from_str_radix(digits, 16)` reads them, `+` sign included, but
/// without its code for every radix and integer type. Four hex digits at
/// most: no overflow.
fn hex_code(digits: &str) -> Option<u32> {
    let digits = digits.strip_prefix('+').unwrap_or(digits);
    let mut code = 0;
    for byte in digits.bytes() {
        code = code * 16 + char::from(byte).to_digit(16)?;
    }
    Some(code)
}

/// Why a body whose syntax pass stopped at a string with escapes too long
/// for the scratch buffer is refused. Keys are compared with the schema
/// escape by escape, needing no buffer, so a valid body with such a key is
/// refused naming its first unknown key, as any other would be. Otherwise
/// the long string was a value (or the body is broken): malformed. Out
/// of line: a rare case, which inlined took more code.
#[inline(never)]
fn blame_long_string(body: &[u8], schema: &'static [AttributeSpec]) -> DecodeError {
    let mut unknown = None;
    let mut reader = Reader {
        body,
        at: 0,
        scratch: None,
    };
    let walked = reader
        .object(&mut |reader| {
            let escaped = reader.string()?;
            let unescaped = unescaped_prefix(escaped).map_err(|_| Fault::CustomError)?;
            // Compared with the schema only while no key is blamed yet.
            if unknown.is_none() && !schema.iter().any(|spec| unescapes_to(escaped, spec.key)) {
                unknown = Some(unescaped);
            }
            reader.colon()?;
            reader.skip_value()
        })
        .and_then(|()| reader.end());
    match (walked, unknown) {
        // The key as unescaped: already cut to what an error keeps.
        (Ok(()), Some(key)) => DecodeError::Attribute(AttributeError {
            key,
            problem: Problem::Unknown,
        }),
        (Ok(()), None) => DecodeError::Malformed(Fault::EscapedStringIsTooLong),
        (Err(error), _) => DecodeError::Malformed(error),
    }
}

/// Call `each` with the pieces of what the JSON string content `escaped`
/// unescapes to, in order: text without escapes, or what one escape stands
/// for. Stops at the first bad escape or fault of `each`. One walk, through
/// a pointer, for every reader of escapes: compiled once.
fn unescape(escaped: &str, each: &mut dyn FnMut(&str) -> Result<(), Fault>) -> Result<(), Fault> {
    let mut rest = escaped;
    while !rest.is_empty() {
        let (fragment, after) = next_fragment(rest)?;
        let mut encoded = [0u8; 4];
        each(match fragment {
            Fragment::Text(text) => text,
            Fragment::Escaped(c) => c.encode_utf8(&mut encoded),
        })?;
        rest = after;
    }
    Ok(())
}

/// Whether the JSON string content `escaped` unescapes to `wanted` (never
/// if an escape is bad).
fn unescapes_to(escaped: &str, wanted: &str) -> bool {
    let mut rest = wanted.as_bytes();
    let walked = unescape(escaped, &mut |piece| {
        // Any fault stops the walk: this one, that the texts differ.
        rest = rest
            .strip_prefix(piece.as_bytes())
            .ok_or(Fault::CustomError)?;
        Ok(())
    });
    walked.is_ok() && rest.is_empty()
}

/// The start of what `escaped` unescapes to, as much as a key in an error
/// keeps; every escape is checked, even past that.
fn unescaped_prefix(escaped: &str) -> Result<String<MAX_KEY>, Fault> {
    let mut prefix: String<MAX_KEY> = String::new();
    let mut full = false;
    unescape(escaped, &mut |piece| {
        if !full {
            let room = MAX_KEY - prefix.len();
            let cut = prefix_within(piece, room);
            full = cut.len() < piece.len();
            // Cannot fail: the cut fits.
            let _ = prefix.push_str(cut);
        }
        Ok(())
    })?;
    Ok(prefix)
}

impl Attributes {
    /// Encode as a JSON object into `buffer`, returning the length written.
    // Inline: a few lines around the writer, on every state's way out.
    #[inline]
    pub fn encode(&self, buffer: &mut [u8]) -> Result<usize, serde_json_core::ser::Error> {
        let mut out = crate::json::JsonWriter::new(buffer);
        out.attributes(self);
        out.finish()
            .map_err(|_| serde_json_core::ser::Error::BufferFull)
    }
}

/// The common case without serde: an object of writable integer and
/// boolean attributes in range, keys without escapes, integers in their
/// plainest form. `None` for anything else, which the general reader then
/// reads (and refuses, if it must, naming the fault); `Some` only where it
/// would decode the same attributes. Fills the empty `patch` in place; on
/// `None` it holds some of the attributes.
fn decode_plain(
    body: &[u8],
    schema: &'static [AttributeSpec],
    patch: &mut Attributes,
) -> Option<()> {
    let mut rest = skip_space(body).strip_prefix(b"{")?;
    rest = skip_space(rest);
    if let Some(after) = rest.strip_prefix(b"}") {
        return skip_space(after).is_empty().then_some(());
    }
    loop {
        let quoted = rest.strip_prefix(b"\"")?;
        let end = quoted.iter().position(|&byte| byte == b'"')?;
        let key = quoted.get(..end)?;
        if key.iter().any(|&byte| byte == b'\\' || byte < 0x20) {
            return None;
        }
        let spec = schema.iter().find(|spec| spec.key.as_bytes() == key)?;
        if !spec.is_writable() || patch.get(spec.key).is_some() {
            return None;
        }
        rest = skip_space(quoted.get(end + 1..)?).strip_prefix(b":")?;
        rest = skip_space(rest);
        let value_len = rest
            .iter()
            .position(|&byte| matches!(byte, b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'))?;
        let text = rest.get(..value_len)?;
        let value = match (spec.kind, text) {
            (Kind::Bool, b"true") => Value::Bool(true),
            (Kind::Bool, b"false") => Value::Bool(false),
            (Kind::Int { min, max }, text) => {
                let number = plain_integer(text)?;
                if !(min..=max).contains(&number) {
                    return None;
                }
                Value::Int(number)
            }
            _ => return None,
        };
        // Pushed, not set: a key already there was refused above.
        patch.entries.push((spec.key, value)).ok()?;
        rest = skip_space(rest.get(value_len..)?);
        match rest {
            [b',', more @ ..] => rest = skip_space(more),
            [b'}', more @ ..] => return skip_space(more).is_empty().then_some(()),
            _ => return None,
        }
    }
}

/// `bytes` after any JSON whitespace.
fn skip_space(bytes: &[u8]) -> &[u8] {
    let spaces = bytes
        .iter()
        .take_while(|&&byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .count();
    bytes.get(spaces..).unwrap_or_default()
}

/// `0` or an integer without leading zeros, perhaps negative (not `-0`),
/// of at most 18 digits (longer ones are left to serde-json-core).
fn plain_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', digits @ ..] => (true, digits),
        digits => (false, digits),
    };
    match digits {
        [b'0'] if !negative => return Some(0),
        [b'1'..=b'9', ..] if digits.len() <= 18 => {}
        _ => return None,
    }
    let mut total: i64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        // At most 18 digits: no overflow.
        total = total * 10 + i64::from(byte - b'0');
    }
    Some(if negative { -total } else { total })
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// `text`, or as many of its characters as `N` bytes hold. Out of line: it
/// is called from several places in the decoder.
#[inline(never)]
fn truncated<const N: usize>(text: &str) -> String<N> {
    let mut out = String::new();
    // Cannot fail: the prefix fits. Cut at a byte count rather than pushed
    // a character at a time, which takes less code.
    let _ = out.push_str(prefix_within(text, N));
    out
}

/// The longest start of `text` of at most `len` bytes that ends between
/// two characters.
fn prefix_within(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    // Ends at 0 at the latest, which is always a boundary.
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// Fill in the decimals of `patch`, which the schema pass skipped, from the
/// text of their values in `body` (a well-formed object whose keys came into
/// `patch` in order, each once).
fn with_decimals(
    patch: &mut Attributes,
    body: &[u8],
    schema: &[AttributeSpec],
) -> Result<(), DecodeError> {
    if !patch
        .iter()
        .any(|(_, value)| matches!(value, Value::Decimal(_)))
    {
        return Ok(());
    }
    // The spec of the first entry refused, and whether as of the wrong type
    // (else as not accepted): the error is made once, below.
    let mut refused = None;
    // How many values the scan found the text of: always the first ones,
    // as it counts them from 0.
    let mut scanned = 0;
    each_top_level_value(body, |index, text| {
        scanned = index + 1;
        let Some((key, Value::Decimal(_))) = patch.entries.get(index) else {
            return;
        };
        let key = *key;
        let Some(spec) = schema.iter().find(|spec| spec.key == key) else {
            return;
        };
        let Kind::Decimal { scale, min, max } = spec.kind else {
            return;
        };
        match crate::decimal::Fixed::parse(text, scale) {
            Ok(value) if (min..=max).contains(&value.units) => {
                if let Some(entry) = patch.entries.get_mut(index) {
                    entry.1 = Value::Decimal(value);
                }
            }
            Ok(_) | Err(crate::decimal::ParseError::NotRepresentable) => {
                refused.get_or_insert((spec, false));
            }
            Err(crate::decimal::ParseError::NotDecimal) => {
                refused.get_or_insert((spec, true));
            }
        }
    });
    // serde-json-core skips an untyped value by eating bytes up to the next
    // `,`, `}` or `]`, so it lets a quote or a bracket through in the middle
    // of one (`{"setpoint": 7"}`), which throws the scan out of step. Such a
    // value is no number: refuse it rather than keep the placeholder.
    let refused = refused.or_else(|| {
        let unscanned = patch.entries.get(scanned..).unwrap_or_default();
        let unread = unscanned.iter().find_map(|(key, value)| {
            matches!(value, Value::Decimal(_))
                .then(|| schema.iter().find(|spec| spec.key == *key))
                .flatten()
        });
        unread.map(|spec| (spec, true))
    });
    let Some((spec, wrong_type)) = refused else {
        return Ok(());
    };
    let problem = if wrong_type {
        Problem::WrongType(spec.kind)
    } else {
        Problem::NotAccepted(spec.kind)
    };
    Err(DecodeError::Attribute(AttributeError::new(
        spec.key, problem,
    )))
}

/// Call `each` with the index and trimmed text of every value of the
/// top-level object in `body`, which must be well-formed JSON.
fn each_top_level_value(body: &[u8], mut each: impl FnMut(usize, &[u8])) {
    let (mut depth, mut index) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    let mut value_start = None;
    for (at, &byte) in body.iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        let ends_value = match byte {
            b'"' => {
                in_string = true;
                false
            }
            b'{' | b'[' => {
                depth += 1;
                false
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                depth == 0
            }
            b':' if depth == 1 => {
                value_start = Some(at + 1);
                false
            }
            b',' => depth == 1,
            _ => false,
        };
        if ends_value {
            if let Some(start) = value_start.take() {
                each(index, body[start..at].trim_ascii());
                index += 1;
            }
        }
    }
}

/// The decoder that [`decode_general`] replaced, through serde and
/// serde-json-core, kept to hold the new one to it.
#[cfg(test)]
mod serde_oracle {
    use super::*;
    use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
    use serde::Deserializer;
    use serde_json_core::str::EscapedStringFragment;

    /// The general case, through serde-json-core: any JSON, with each fault
    /// named, filling the empty `patch` in place. In place because an attribute
    /// set is some 700 bytes, and every copy of one that serde's visitors and
    /// `Result`s would make costs that much stack (4.8 KiB in all on a Cortex-M
    /// when they were returned by value, more than a micro:bit-sized stack
    /// could spare). Out of line so that the common case pays none of it.
    pub(super) fn decode_with_serde(
        body: &[u8],
        schema: &'static [AttributeSpec],
        scratch: &mut [u8],
        patch: &mut Attributes,
    ) -> Result<(), DecodeError> {
        // Syntax first, so that broken JSON is never mistaken for a value of
        // the wrong type in the schema-driven pass below.
        let mut syntax = serde_json_core::de::Deserializer::new(body, Some(&mut *scratch));
        ObjectSyntax
            .deserialize(&mut syntax)
            .and_then(|()| syntax.end().map(|_| ()))
            .map_err(|error| match error {
                serde_json_core::de::Error::EscapedStringIsTooLong => {
                    blame_long_string(body, schema)
                }
                error => DecodeError::Malformed(error),
            })?;
        let mut failure = None;
        let seed = PatchSeed {
            schema,
            failure: &mut failure,
            patch: &mut *patch,
        };
        let mut deserializer = serde_json_core::de::Deserializer::new(body, Some(scratch));
        let decoded = seed.deserialize(&mut deserializer);
        let decoded = decoded.and_then(|()| deserializer.end().map(|_| ()));
        match (decoded, failure) {
            (Ok(()), _) => with_decimals(patch, body, schema),
            // The syntax is sound, so the schema pass stopped at a value: a
            // rejection of ours, or a value serde-json-core could not read as
            // the expected type (`"1"`, `true`, or `1.5`, whose `.5` it meets
            // only after the `1`).
            (Err(error), Some(attribute)) => Err(DecodeError::Attribute(refine(attribute, &error))),
            (Err(error), None) => Err(DecodeError::Malformed(error)),
        }
    }

    /// Drives serde-json-core with the schema, so each value is parsed as the
    /// type its key expects and a mismatch can name the key.
    struct PatchSeed<'f> {
        schema: &'static [AttributeSpec],
        failure: &'f mut Option<AttributeError>,
        /// Where the attributes go, empty at the start.
        patch: &'f mut Attributes,
    }

    impl<'de> DeserializeSeed<'de> for PatchSeed<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for PatchSeed<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object of attributes")
        }

        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(Key { text: key, whole }) = map.next_key_seed(KeySeed)? {
                // A key longer than any name kept whole is no name of the
                // schema, even if its first bytes are one.
                let spec = whole
                    .then(|| self.schema.iter().find(|spec| spec.key == key.as_str()))
                    .flatten();
                let Some(spec) = spec else {
                    return Err(self.fail(&key, Problem::Unknown));
                };
                if !spec.is_writable() {
                    return Err(self.fail(&key, Problem::ReadOnly));
                }
                if self.patch.get(spec.key).is_some() {
                    return Err(self.fail(&key, Problem::Duplicate));
                }
                // Blamed if parsing stops from here until the next key: either
                // inside serde-json-core's parser, before any visitor sees the
                // value, or just after a number that went on as a fraction.
                *self.failure = Some(AttributeError::new(&key, Problem::WrongType(spec.kind)));
                let value = match map.next_value_seed(ValueSeed(spec.kind))? {
                    Ok(value) => value,
                    Err(problem) => return Err(self.fail(&key, problem)),
                };
                if self.patch.set(spec.key, value).is_err() {
                    return Err(self.fail(&key, Problem::Unknown));
                }
            }
            Ok(())
        }
    }

    impl PatchSeed<'_> {
        fn fail<E: de::Error>(&mut self, key: &str, problem: Problem) -> E {
            *self.failure = Some(AttributeError::new(key, problem));
            E::custom("attribute rejected")
        }
    }

    /// An integer too long for `i64` stops serde-json-core with `InvalidNumber`:
    /// out of range, not of the wrong type.
    fn refine(blamed: AttributeError, error: &serde_json_core::de::Error) -> AttributeError {
        match (blamed.problem(), error) {
            (
                Problem::WrongType(Kind::Int { min, max }),
                serde_json_core::de::Error::InvalidNumber,
            ) => AttributeError::new(blamed.key(), Problem::OutOfRange { min, max }),
            _ => blamed,
        }
    }

    /// Accepts any JSON object, checking only its syntax.
    struct ObjectSyntax;

    impl<'de> DeserializeSeed<'de> for ObjectSyntax {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for ObjectSyntax {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_key_seed(KeySeed)?.is_some() {
                map.next_value::<de::IgnoredAny>()?;
            }
            Ok(())
        }
    }

    struct KeySeed;

    /// A key as read: its first [`MAX_KEY`] bytes, and whether that is all.
    struct Key {
        text: String<MAX_KEY>,
        whole: bool,
    }

    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Key;

        fn deserialize<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for KeySeed {
        type Value = Key;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string key")
        }

        fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
            let text: String<MAX_KEY> = truncated(key);
            Ok(Key {
                whole: text.len() == key.len(),
                text,
            })
        }
    }

    /// Parses one value as `kind`; range and length problems come back as
    /// `Ok(Err(problem))` so the caller can name the key.
    struct ValueSeed(Kind);

    impl<'de> DeserializeSeed<'de> for ValueSeed {
        type Value = Result<Value, Problem>;

        fn deserialize<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            match self.0 {
                // Not through f64: float parsing would cost kilobytes of flash
                // and stack on a Cortex-M, and JSON integers need none of it.
                Kind::Int { .. } => deserializer.deserialize_i64(self),
                Kind::Bool => deserializer.deserialize_bool(self),
                Kind::Str { .. } => deserializer.deserialize_str(self),
                // serde-json-core reads fractions only as floats; the value is
                // skipped here and read from the body's text afterwards.
                Kind::Decimal { .. } => deserializer.deserialize_ignored_any(self),
            }
        }
    }

    impl<'de> Visitor<'de> for ValueSeed {
        type Value = Result<Value, Problem>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0.type_name())
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(match self.0 {
                Kind::Int { min, max } if (min..=max).contains(&value) => Ok(Value::Int(value)),
                Kind::Int { min, max } => Err(Problem::OutOfRange { min, max }),
                kind => Err(Problem::WrongType(kind)),
            })
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            match i64::try_from(value) {
                Ok(value) => self.visit_i64(value),
                Err(_) => Ok(match self.0 {
                    Kind::Int { min, max } => Err(Problem::OutOfRange { min, max }),
                    kind => Err(Problem::WrongType(kind)),
                }),
            }
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(match self.0 {
                Kind::Decimal { scale, .. } => Ok(Value::Decimal(Fixed::new(0, scale))),
                kind => Err(Problem::WrongType(kind)),
            })
        }

        fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
            Ok(match self.0 {
                Kind::Bool => Ok(Value::Bool(value)),
                kind => Err(Problem::WrongType(kind)),
            })
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
            Ok(match self.0 {
                Kind::Str { max_len } if value.len() <= max_len.min(MAX_STRING) => {
                    Ok(Value::Str(truncated(value)))
                }
                Kind::Str { max_len } => Err(Problem::TooLong {
                    max_len: max_len.min(MAX_STRING),
                }),
                kind => Err(Problem::WrongType(kind)),
            })
        }
    }

    /// Why a body whose syntax pass stopped at a string with escapes too long
    /// for the scratch buffer is refused. Keys are compared with the schema
    /// escape by escape, needing no buffer, so a valid body with such a key is
    /// refused naming its first unknown key, as any other would be. Otherwise
    /// the long string was a value (or the body is broken): malformed.
    fn blame_long_string(body: &[u8], schema: &'static [AttributeSpec]) -> DecodeError {
        let mut unknown = None;
        let mut keys = serde_json_core::de::Deserializer::new(body, None);
        let walked = RawKeys {
            schema,
            unknown: &mut unknown,
        }
        .deserialize(&mut keys)
        .and_then(|()| keys.end().map(|_| ()));
        match (walked, unknown) {
            (Ok(()), Some(key)) => {
                DecodeError::Attribute(AttributeError::new(&key, Problem::Unknown))
            }
            (Ok(()), None) => {
                DecodeError::Malformed(serde_json_core::de::Error::EscapedStringIsTooLong)
            }
            (Err(error), _) => DecodeError::Malformed(error),
        }
    }

    /// Walks a JSON object read without unescaping, checking each key's
    /// escapes and noting the first key that is not in the schema.
    struct RawKeys<'u> {
        schema: &'static [AttributeSpec],
        unknown: &'u mut Option<String<MAX_KEY>>,
    }

    impl<'de> DeserializeSeed<'de> for RawKeys<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
            deserializer.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for RawKeys<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(escaped) = map.next_key_seed(RawKey)? {
                let known = self
                    .schema
                    .iter()
                    .any(|spec| matches!(unescapes_to(escaped, spec.key), Ok(true)));
                let unescaped = unescaped_prefix(escaped)
                    .map_err(|_| de::Error::custom("invalid escape in a key"))?;
                if !known && self.unknown.is_none() {
                    *self.unknown = Some(unescaped);
                }
                map.next_value::<de::IgnoredAny>()?;
            }
            Ok(())
        }
    }

    /// A key exactly as written between its quotes.
    struct RawKey;

    impl<'de> DeserializeSeed<'de> for RawKey {
        type Value = &'de str;

        fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<&'de str, D::Error> {
            deserializer.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for RawKey {
        type Value = &'de str;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string key")
        }

        fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<&'de str, E> {
            Ok(key)
        }
    }

    /// Whether the JSON string content `escaped` unescapes to `wanted`.
    fn unescapes_to(
        escaped: &str,
        wanted: &str,
    ) -> Result<bool, serde_json_core::str::StringUnescapeError> {
        let mut rest = wanted.as_bytes();
        for fragment in serde_json_core::str::EscapedStr(escaped).fragments() {
            let mut encoded = [0u8; 4];
            let piece = match fragment? {
                EscapedStringFragment::NotEscaped(text) => text.as_bytes(),
                EscapedStringFragment::Escaped(c) => c.encode_utf8(&mut encoded).as_bytes(),
            };
            match rest.strip_prefix(piece) {
                Some(after) => rest = after,
                None => return Ok(false),
            }
        }
        Ok(rest.is_empty())
    }

    /// The start of what `escaped` unescapes to, as much as a key in an error
    /// keeps; every escape is checked, even past that.
    fn unescaped_prefix(
        escaped: &str,
    ) -> Result<String<MAX_KEY>, serde_json_core::str::StringUnescapeError> {
        let mut prefix = String::new();
        let mut full = false;
        for fragment in serde_json_core::str::EscapedStr(escaped).fragments() {
            let fragment = fragment?;
            if full {
                continue;
            }
            let mut chars_buffer = [0u8; 4];
            let text = match fragment {
                EscapedStringFragment::NotEscaped(text) => text,
                EscapedStringFragment::Escaped(c) => c.encode_utf8(&mut chars_buffer),
            };
            for c in text.chars() {
                if prefix.push(c).is_err() {
                    full = true;
                    break;
                }
            }
        }
        Ok(prefix)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::serde_oracle::decode_with_serde;
    use super::*;
    use crate::decimal::Fixed;

    /// The first five kinds of [`EVERY_KIND`]: no decimal.
    const SCHEMA: &[AttributeSpec] = EVERY_KIND.split_at(5).0;

    #[test]
    fn plain_decoding_agrees_with_serde_json_core() {
        let bodies: &[&str] = &[
            r#"{"led":1}"#,
            r#"{"led": 0}"#,
            " \t\r\n{ \"led\" :\n-5 , \"on\":true}\n ",
            r#"{"on":false,"led":1}"#,
            r#"{}"#,
            r#"{"led":2}"#,
            r#"{"led":-6}"#,
            r#"{"led":-0}"#,
            r#"{"led":01}"#,
            r#"{"led":1.0}"#,
            r#"{"led":1e0}"#,
            r#"{"led":"1"}"#,
            r#"{"led":true}"#,
            r#"{"on":1}"#,
            r#"{"on":tru}"#,
            r#"{"led":1,"led":1}"#,
            r#"{"led":1,}"#,
            r#"{"led":1}x"#,
            r#"{"led":1"#,
            r#"{"le\u0064":1}"#,
            r#"{"duty":1}"#,
            r#"{"nope":1}"#,
            r#"{"name":"a"}"#,
            r#"{"big":9223372036854775807}"#,
            r#"{"big":-9223372036854775808}"#,
            r#"{"big":9223372036854775808}"#,
            r#"["led",1]"#,
            r#"{"led" 1}"#,
            r#"{"led":}"#,
            r#"{,"led":1}"#,
        ];
        for body in bodies {
            let mut scratch = [0u8; 64];
            let mut plain = Attributes::new();
            if decode_plain(body.as_bytes(), SCHEMA, &mut plain).is_some() {
                let mut general = Attributes::new();
                let decoded =
                    decode_with_serde(body.as_bytes(), SCHEMA, &mut scratch, &mut general);
                assert_eq!(decoded.map(|()| general), Ok(plain.clone()), "{body}");
                let full = Attributes::decode(body.as_bytes(), SCHEMA, &mut scratch);
                assert_eq!(full, Ok(plain), "{body}");
            }
        }
        let mut plain = Attributes::new();
        assert!(decode_plain(br#"{"led":1,"on":true}"#, SCHEMA, &mut plain).is_some());
    }

    /// The schema of the comparisons below: every kind, a read-only key.
    const EVERY_KIND: &[AttributeSpec] = &[
        AttributeSpec {
            key: "led",
            kind: Kind::Int { min: -5, max: 1 },
            access: Access::ReadWrite,
            doc: "",
        },
        AttributeSpec {
            key: "big",
            kind: Kind::Int {
                min: i64::MIN,
                max: i64::MAX,
            },
            access: Access::ReadWrite,
            doc: "",
        },
        AttributeSpec {
            key: "on",
            kind: Kind::Bool,
            access: Access::ReadWrite,
            doc: "",
        },
        AttributeSpec {
            key: "duty",
            kind: Kind::Int { min: 0, max: 9 },
            access: Access::ReadOnly,
            doc: "",
        },
        AttributeSpec {
            key: "name",
            kind: Kind::Str { max_len: 8 },
            access: Access::ReadWrite,
            doc: "",
        },
        AttributeSpec {
            key: "temp",
            kind: Kind::Decimal {
                scale: 1,
                min: -50,
                max: 500,
            },
            access: Access::ReadWrite,
            doc: "",
        },
        AttributeSpec {
            key: "\u{e9}t\u{e9}",
            kind: Kind::Bool,
            access: Access::ReadWrite,
            doc: "",
        },
    ];

    /// Decodes `body` with both the hand-written reader and serde-json-core
    /// (through the same front door, so the plain path is the same for
    /// both) and checks that they agree on the outcome and the patch.
    fn agree(body: &[u8], scratch_len: usize) {
        let (mut ours, mut theirs) = ([0u8; 64], [0u8; 64]);
        let scratch_len = scratch_len.min(64);
        let (mut new, mut old) = (Attributes::new(), Attributes::new());
        let decoded = new.decode_in_place(body, EVERY_KIND, &mut ours[..scratch_len]);
        let expected = if body.iter().all(u8::is_ascii_whitespace)
            || decode_plain(body, EVERY_KIND, &mut old).is_some()
        {
            Ok(())
        } else {
            old.entries.clear();
            decode_with_serde(body, EVERY_KIND, &mut theirs[..scratch_len], &mut old)
        };
        assert_eq!(
            (&decoded, &new),
            (&expected, &old),
            "{:?} with {scratch_len} bytes of scratch",
            String::<256>::try_from(core::str::from_utf8(body).unwrap_or("(not UTF-8)"))
        );
    }

    #[test]
    fn the_reader_agrees_with_serde_json_core_on_edge_cases() {
        let bodies: &[&str] = &[
            r#"{"led":1}"#,
            r#"{"led": 01}"#,
            r#"{"led": 1 2}"#,
            r#"{"led": 1"}"#,
            r#"{"led": -}"#,
            r#"{"led": --1}"#,
            r#"{"led": -a}"#,
            r#"{"led": 1.5}"#,
            r#"{"led": 99999999999999999999}"#,
            r#"{"big": -9223372036854775809}"#,
            r#"{"led": [1]}"#,
            r#"{"led": {"a": 1}}"#,
            r#"{"led": "1"}"#,
            r#"{"on": true }"#,
            r#"{"on": truex}"#,
            r#"{"on": tru}"#,
            r#"{"on": nul}"#,
            r#"{"name": "abcdefgh"}"#,
            r#"{"name": "abcdefghi"}"#,
            r#"{"name": "a\nb"}"#,
            r#"{"name": "\u+041"}"#,
            r#"{"name": "\u-041"}"#,
            r#"{"name": "\ud800"}"#,
            r#"{"name": "\uD83D\uDE00"}"#,
            r#"{"name": "\x"}"#,
            r#"{"name": "\"}"#,
            r#"{"name": "\\"}"#,
            r#"{"name": 1}"#,
            r#"{"temp": 21.5}"#,
            r#"{"temp": 21.55}"#,
            r#"{"temp": 7"}"#,
            r#"{"temp": "7"}"#,
            r#"{"temp": [7]}"#,
            r#"{"temp": null}"#,
            r#"{"temp": 1e1}"#,
            r#"{"temp": 100}"#,
            r#"{"temp": 1, "temp": 2}"#,
            r#"{"\u00e9t\u00e9": true}"#,
            "{\"\u{e9}t\u{e9}\": true}",
            r#"{"nope": 1, "led": 5}"#,
            r#"{"led": 5, "nope": 1}"#,
            r#"{"duty": 1}"#,
            r#"{"led": 1, "led": 1}"#,
            r#"{"led": 1,}"#,
            r#"{,"led": 1}"#,
            r#"{"led" 1}"#,
            r#"{"led":}"#,
            r#"{"led":,}"#,
            r#"{"led": 1] "#,
            r#"{"x": [,1 2]}"#,
            r#"{"x": [1 2]}"#,
            r#"{"x": [1,]}"#,
            r#"{"x": [,]}"#,
            r#"{"x": [}"#,
            r#"{"x": {"a" 1}}"#,
            r#"{"x": {1: 1}}"#,
            r#"{"x": {"a": 1,}}"#,
            r#"{"x": "\u00"}"#,
            r#"{"a\u0041aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": 1}"#,
            r#"{"l\u0065d": 1, "x": "\u0041aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
            r#"{"x": "\u0041aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "y": 1"#,
            r#"{"\u0041aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\q": 1}"#,
            r#"[]"#,
            r#"1"#,
            r#""#,
            r#"{"#,
            r#"{"led""#,
            r#"{"led":"#,
            r#"{"led":1"#,
            r#"{"led":1}}"#,
            "{\"led\":\u{0}1}",
        ];
        for body in bodies {
            for scratch_len in [0, 4, 8, 64] {
                agree(body.as_bytes(), scratch_len);
            }
        }
        agree(b"{\"name\": \"\xff\"}", 64);
        agree(b"{\"\xff\": 1}", 64);
    }

    /// Pieces that bodies are made of, valid and not.
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\"",
        "\\",
        "\"led\"",
        "\"on\"",
        "\"name\"",
        "\"big\"",
        "\"duty\"",
        "\"temp\"",
        "\"x\"",
        "\"l\\u0065d\"",
        "\"\\u+06c\"",
        "\"\\u00e9t\\u00e9\"",
        "\"a\\\"b\"",
        "\"\\\\\"",
        "\"\\ud800\"",
        "\"\\q\"",
        "\"abcdefghij\"",
        "\"\\u0041bcdefgh\"",
        "1",
        "-",
        "0",
        "01",
        "-5",
        "2",
        "1.5",
        "21.5",
        "1e3",
        "9223372036854775808",
        "-9223372036854775808",
        "true",
        "false",
        "null",
        "tru",
        "x",
        "\t",
        "\n",
        "é",
    ];

    proptest::proptest! {
        #[test]
        fn the_reader_agrees_with_serde_json_core_on_any_pieces(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..24),
            scratch_len in 0usize..24,
        ) {
            let body: std::string::String = pieces.concat();
            agree(body.as_bytes(), scratch_len);
        }

        #[test]
        fn the_reader_agrees_with_serde_json_core_on_objects(
            members in proptest::collection::vec(
                (proptest::sample::select(&PIECES[9..25]), proptest::sample::select(&PIECES[9..])),
                0..6,
            ),
            space in proptest::sample::select(&[""," ", "\n\t"][..]),
            scratch_len in 0usize..24,
        ) {
            let mut body = std::string::String::from("{");
            for (index, (key, value)) in members.iter().enumerate() {
                if index > 0 {
                    body.push(',');
                }
                body.push_str(space);
                body.push_str(key);
                body.push(':');
                body.push_str(space);
                body.push_str(value);
            }
            body.push('}');
            agree(body.as_bytes(), scratch_len);
        }

        #[test]
        fn the_reader_agrees_with_serde_json_core_on_any_bytes(
            body in proptest::collection::vec(proptest::sample::select(&b"{}[]:,\" \\ledon1-0.tru\xc3\xa9"[..]), 0..32),
            scratch_len in 0usize..24,
        ) {
            agree(&body, scratch_len);
        }
    }

    #[test]
    fn deep_nesting_is_skipped_as_serde_json_core_skips_it() {
        let mut bodies = std::vec::Vec::new();
        // Up to the 2,048 levels kept: `mixed` takes two a repetition.
        for depth in [1, 31, 32, 33, 64, 500, 1_000] {
            let lists = "[".repeat(2 * depth) + &"]".repeat(2 * depth);
            let objects = r#"{"a":"#.repeat(depth) + "1" + &"}".repeat(depth);
            let mixed = r#"[{"a":"#.repeat(depth) + "[]" + &"}]".repeat(depth);
            for value in [lists, objects, mixed] {
                bodies.push(std::format!(r#"{{"led": {value}}}"#));
                bodies.push(std::format!(r#"{{"name": {value}, "led": 1}}"#));
                // Unclosed by one, and closed by one too many.
                bodies.push(std::format!(r#"{{"led": {}}}"#, &value[..value.len() - 1]));
                bodies.push(std::format!(r#"{{"led": {value}]}}"#));
            }
        }
        for body in &bodies {
            agree(body.as_bytes(), 8);
        }
    }

    #[test]
    fn nesting_deeper_than_the_levels_kept_is_refused() {
        let depth = NESTING_WORDS * 32 + 1;
        let body = std::format!(r#"{{"led": {}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        assert_eq!(
            Attributes::decode(body.as_bytes(), SCHEMA, &mut [0u8; 8]),
            Err(DecodeError::Malformed(Fault::CustomError))
        );
    }

    #[test]
    fn long_text_is_cut_between_characters() {
        let key = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé";
        assert_eq!(key.len(), MAX_KEY + 1);
        let error = AttributeError::new(key, Problem::Unknown);
        assert_eq!(error.key(), &key[..MAX_KEY - 1]);
        assert_eq!(Value::text("ok"), Value::Str(truncated("ok")));
        assert_eq!(truncated::<4>("ab€"), "ab");
        assert_eq!(truncated::<5>("ab€"), "ab€");
    }

    #[test]
    fn plain_encoding_is_serde_json_cores() {
        let mut sets = [
            Attributes::new(),
            Attributes::new(),
            Attributes::new(),
            Attributes::new(),
        ];
        for (index, number) in [0, 1, -1, 9, 10, -10, 65_535, i64::MAX, i64::MIN]
            .into_iter()
            .enumerate()
        {
            let keys = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
            let _ = sets[0].set(keys[index], Value::Int(number));
        }
        let _ = sets[1].set("on", Value::Bool(true));
        let _ = sets[1].set("off", Value::Bool(false));
        let _ = sets[1].set("t", Value::Decimal(Fixed::new(-2150, 2)));
        let _ = sets[1].set("u", Value::Decimal(Fixed::new(5, 1)));
        let mut text = Text::new();
        let _ = text.push_str("say \"hi\"\n");
        let _ = sets[2].set("led", Value::Int(1));
        let _ = sets[2].set("name", Value::Str(text));
        let _ = sets[3].set("quo\"te", Value::Int(1));
        for attributes in &sets {
            let (mut ours, mut serde) = ([0u8; 256], [0u8; 256]);
            let len = attributes.encode(&mut ours).unwrap();
            let expected = serde_json_core::to_slice(attributes, &mut serde).unwrap();
            assert_eq!(ours[..len], serde[..expected]);
        }
        // Too small a buffer fails the same way.
        let mut small = [0u8; 8];
        assert!(sets[0].encode(&mut small).is_err());
    }

    #[test]
    fn integers_of_every_length_encode_as_serde_json_cores() {
        let mut power = 1i64;
        for _ in 0..19 {
            for number in [power - 1, power, -power, -(power - 1), power + 1] {
                let mut attributes = Attributes::new();
                let _ = attributes.set("n", Value::Int(number));
                let (mut ours, mut serde) = ([0u8; 64], [0u8; 64]);
                let len = attributes.encode(&mut ours).unwrap();
                let expected = serde_json_core::to_slice(&attributes, &mut serde).unwrap();
                assert_eq!(ours[..len], serde[..expected], "{number}");
                // One byte short of room is refused.
                assert!(attributes.encode(&mut ours[..len - 1]).is_err());
            }
            power = power.saturating_mul(10);
        }
    }

    #[test]
    fn hex_codes_are_read_as_from_str_radix_reads_them() {
        let bytes = "09afAFgG+- \u{e9}".as_bytes();
        for a in bytes {
            for b in bytes {
                for c in bytes {
                    for d in bytes {
                        let four = [*a, *b, *c, *d];
                        let Ok(digits) = core::str::from_utf8(&four) else {
                            continue;
                        };
                        let expected = u32::from_str_radix(digits, 16).ok();
                        assert_eq!(hex_code(digits), expected, "{digits}");
                    }
                }
            }
        }
    }
}
