//! Cheap validators of a noun's state, for conditional requests.

use super::idempotency::Fingerprint;
use crate::attributes::{Attributes, Value};
use crate::resource::{Description, Resource};
use crate::time::Instant;

/// A 64-bit validator of a representation; the HTTP layer shows it as an
/// entity tag (strong, or weak with `W/`).
///
/// ```
/// use urest_core::coord::Validator;
///
/// let tag = Validator(0x1f);
/// assert_eq!(format!("\"{:016x}\"", tag.0), "\"000000000000001f\"");
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Validator(pub u64);

impl Validator {
    /// The strong validator of `state`: [`Validators::of_state`]'s
    /// `strong`, without the weak one (which needs the schema searched for
    /// each attribute), for the `ETag` every response with a state carries.
    ///
    /// ```
    /// use urest_core::attributes::{Attributes, Value};
    /// use urest_core::coord::{Validator, Validators};
    /// use urest_core::resource::{Description, Verbs};
    ///
    /// let about = Description { kind: "fixed", policy: None, attributes: &[], verbs: Verbs::READ_ONLY };
    /// let mut state = Attributes::new();
    /// state.set("x", Value::Int(1)).unwrap();
    /// assert_eq!(Validator::of_attributes(&state), Validators::of_state(&about, &state).strong);
    /// ```
    ///
    /// The validators cover the state alone, not the noun's kind: a tag is
    /// only ever compared with tags of the same noun (RFC 9110 §8.8.1), whose
    /// kind never changes, and hashing it cost as much as the state.
    pub fn of_attributes(state: &Attributes) -> Validator {
        let mut strong = Fnv::new();
        for (key, value) in state.iter() {
            strong.entry(key, value);
        }
        Validator(strong.finish())
    }
}

/// The validators of a noun's state at one instant.
///
/// - `strong` covers every attribute the noun reports. It changes whenever
///   any byte of the state would: a fading [`PwmLed`](crate::nouns::PwmLed)
///   reports `remaining_ms`, so while a change is under way its strong
///   validator moves every millisecond (and its `duty` every step); once
///   idle it holds still.
/// - `weak` covers only the attributes clients may write (for a PWM LED:
///   `desired`, `steps`, `step_ms`), or all of them for a noun that has
///   none. It changes when a change is accepted, not while it fades: two
///   reads during one fade are "the same state, still on its way", which is
///   what a weak validator means.
///
/// ```
/// use urest_core::coord::Validators;
/// # use urest_core::attributes::{Attributes, Value};
/// # use urest_core::resource::{Description, Error, Outcome, Resource, Verbs};
/// # use urest_core::time::Instant;
/// # struct Fixed;
/// # impl Resource for Fixed {
/// #     fn describe(&self) -> Description { Description { kind: "fixed", policy: None, attributes: &[], verbs: Verbs::READ_ONLY } }
/// #     fn get(&self, _: Instant) -> Attributes { let mut a = Attributes::new(); a.set("x", Value::Int(1)).unwrap(); a }
/// #     fn put(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
/// #     fn post(&self, _: &Attributes, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
/// #     fn delete(&self, _: Instant) -> Result<Outcome, Error> { Err(Error::NotSupported) }
/// # }
///
/// let now = Instant::ZERO;
/// let first = Validators::of(&Fixed, now);
/// assert_eq!(first, Validators::of(&Fixed, Instant::from_millis(5)));
/// // Nothing writable: the weak validator covers everything too.
/// assert_eq!(first.weak, first.strong);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Validators {
    /// Every attribute.
    pub strong: Validator,
    /// The writable attributes only (or every one if none is writable).
    pub weak: Validator,
}

impl Validators {
    /// The validators of `noun` as [`Resource::get`] shows it at `now`.
    pub fn of(noun: &dyn Resource, now: Instant) -> Validators {
        Validators::of_state(&noun.describe(), &noun.get(now))
    }

    /// The validators of `state`, a state of the noun `about` describes:
    /// for a state already read, so it is neither read twice nor held
    /// twice.
    pub fn of_state(about: &Description, state: &Attributes) -> Validators {
        let writable = |key: &str| {
            about
                .attributes
                .iter()
                .any(|spec| spec.key == key && spec.is_writable())
        };
        let any_writable = state.iter().any(|(key, _)| writable(key));
        let mut strong = Fnv::new();
        let mut weak = Fnv::new();
        for (key, value) in state.iter() {
            strong.entry(key, value);
            if !any_writable || writable(key) {
                weak.entry(key, value);
            }
        }
        Validators {
            strong: Validator(strong.finish()),
            weak: Validator(weak.finish()),
        }
    }
}

/// The fingerprint of a verb named `verb` carrying `patch`, independent of
/// the order of its attributes.
pub(crate) fn fingerprint(verb: &str, patch: Option<&Attributes>) -> Fingerprint {
    let mut hash = Fnv::new();
    hash.bytes(verb.as_bytes());
    let mut sum = hash.finish();
    for (key, value) in patch.into_iter().flat_map(Attributes::iter) {
        let mut entry = Fnv::new();
        entry.entry(key, value);
        sum = sum.wrapping_add(entry.finish());
    }
    Fingerprint(sum)
}

/// A 64-bit hash in the manner of FNV-1a, fed a machine word at a time
/// rather than a byte at a time: a state's keys are a handful of words,
/// so a validator costs a few multiplications instead of one per byte
/// (a Cortex-M0 multiplies 64 bits in software). Small, no tables. Not
/// collision resistant, and not used where that matters (keys are kept
/// verbatim).
///
/// Every step `(hash ^ word) * PRIME` is a bijection of the hash for a
/// given word and of the word for a given hash (the prime is odd), so two
/// sequences of words that differ in one word always hash apart. Each
/// piece of text is fed with its length (see [`bytes`](Fnv::bytes)), so
/// the sequence of words says where every piece ends, and two different
/// states never give the same sequence.
struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Self {
        Fnv(Self::OFFSET)
    }

    /// A text of fewer than eight bytes (most keys) as one word: its bytes
    /// (little-endian, padded with zeros) and its length in the top byte,
    /// which none of its bytes reaches. A longer one as its length, whose
    /// top byte is zero, then its words, the last one padded with zeros.
    /// The first word says which form follows, and how many words.
    fn bytes(&mut self, bytes: &[u8]) {
        if bytes.len() < 8 {
            self.word(tail_word(bytes) | ((bytes.len() as u64) << 56));
            return;
        }
        self.word(bytes.len() as u64);
        let mut rest = bytes;
        while let Some((chunk, more)) = rest.split_first_chunk::<8>() {
            self.word(u64::from_le_bytes(*chunk));
            rest = more;
        }
        if !rest.is_empty() {
            self.word(tail_word(rest));
        }
    }

    /// Folds a whole number in at once: one multiplication instead of
    /// eight, which matters on a Cortex-M0 (no 64-bit multiply).
    fn word(&mut self, word: u64) {
        self.0 ^= word;
        self.0 = self.0.wrapping_mul(Self::PRIME);
    }

    // Inline: a state's validator hashes an entry per attribute, and the
    // call cost as much as hashing a short key.
    #[inline(always)]
    fn entry(&mut self, key: &str, value: &Value) {
        self.bytes(key.as_bytes());
        // A marker of the variant, so that 1, true and "1" differ; each
        // variant's content has a fixed number of words, or (a string) its
        // length first, so no two values hash the same sequence.
        match value {
            Value::Int(number) => {
                self.word(0xfe);
                self.word(*number as u64);
            }
            Value::Bool(flag) => self.word(0xfd00 | u64::from(*flag)),
            Value::Str(text) => {
                self.word(0xfc);
                self.bytes(text.as_bytes());
            }
            Value::Decimal(number) => {
                self.word(0xfb00 | u64::from(number.scale));
                self.word(number.units as u64);
            }
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fewer than eight bytes of `tail` as a little-endian word, read in
/// at most three pieces (four, two and one bytes) rather than byte by byte.
fn tail_word(tail: &[u8]) -> u64 {
    let mut word = 0;
    let mut shift = 0;
    let mut rest = tail;
    if let Some((four, more)) = rest.split_first_chunk::<4>() {
        word |= u64::from(u32::from_le_bytes(*four));
        shift = 32;
        rest = more;
    }
    if let Some((two, more)) = rest.split_first_chunk::<2>() {
        word |= u64::from(u16::from_le_bytes(*two)) << shift;
        shift += 16;
        rest = more;
    }
    if let Some(&one) = rest.first() {
        word |= u64::from(one) << shift;
    }
    word
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::decimal::Fixed;

    fn hash_of(value: Value) -> u64 {
        let mut hash = Fnv::new();
        hash.entry("x", &value);
        hash.finish()
    }

    #[test]
    fn values_of_different_types_hash_apart() {
        let hashes = [
            hash_of(Value::Int(1)),
            hash_of(Value::Bool(true)),
            hash_of(Value::text("1")),
            hash_of(Value::Decimal(Fixed::new(1, 0))),
            hash_of(Value::Decimal(Fixed::new(1, 1))),
            hash_of(Value::Int(0)),
            hash_of(Value::Bool(false)),
            hash_of(Value::text("")),
        ];
        for (index, hash) in hashes.iter().enumerate() {
            for other in hashes.iter().skip(index + 1) {
                assert_ne!(hash, other);
            }
        }
    }

    #[test]
    fn a_tail_reads_as_its_bytes_padded_with_zeros() {
        let bytes = [0x81, 0x02, 0xf3, 0x04, 0x05, 0xa6, 0x07];
        for len in 0..=bytes.len() {
            let mut padded = [0; 8];
            padded[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(tail_word(&bytes[..len]), u64::from_le_bytes(padded));
        }
    }

    /// The hash of an entry `1` under each of `keys`, in order.
    fn hash_of_keys(keys: &[&str]) -> u64 {
        let mut hash = Fnv::new();
        for key in keys {
            hash.entry(key, &Value::Int(1));
        }
        hash.finish()
    }

    /// The hash of one entry `x` holding `text`.
    fn hash_of_text(text: &str) -> u64 {
        let mut hash = Fnv::new();
        hash.entry("x", &Value::text(text));
        hash.finish()
    }

    #[test]
    fn where_a_text_ends_counts() {
        assert_ne!(hash_of_keys(&["ab", "c"]), hash_of_keys(&["a", "bc"]));
        assert_ne!(hash_of_keys(&["a"]), hash_of_keys(&["a\0"]));
        assert_ne!(hash_of_keys(&["abcdefgh"]), hash_of_keys(&["abcdefgh\0"]));
        assert_ne!(hash_of_text("abcdefghi"), hash_of_text("abcdefgh"));
        assert_ne!(hash_of_text(""), hash_of_text("\0"));
        // A long text's length word against a short text's one word.
        assert_ne!(hash_of_text("abcdefgh"), hash_of_text("\u{8}"));
        assert_ne!(hash_of_keys(&["\0\0\0\0\0\0\0\0"]), hash_of_keys(&[""]));
    }

    #[test]
    fn a_change_in_any_byte_of_a_key_or_text_changes_the_hash() {
        let text = "abcdefghijklmnopq";
        for len in 0..=text.len() {
            let key = &text[..len];
            for at in 0..len {
                let mut changed = std::string::String::from(key);
                changed.replace_range(at..=at, "Z");
                assert_ne!(hash_of_keys(&[&changed]), hash_of_keys(&[key]));
                assert_ne!(hash_of_text(&changed), hash_of_text(key));
            }
        }
    }
}
