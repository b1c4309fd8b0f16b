//! Draws the duty-against-time figures of `docs/concurrency.md` from mock
//! recordings, so the pictures show what the code does rather than what
//! someone remembered it doing.
//!
//! [`scenario`] plays the design note's two-client story in virtual time —
//! once with lock-less ramps, once per [`Policy`](urest_core::controller::Policy)
//! against a real [`PwmLed`](urest_core::nouns::PwmLed) — and keeps every
//! write to the mock pin. [`figures`] turns those recordings into captioned
//! [`svg`] step plots. The binary writes them:
//!
//! ```text
//! cargo run -p duty-plot -- docs/figures
//! ```

#![deny(missing_docs)]

pub mod figures;
pub mod scenario;
pub mod svg;
