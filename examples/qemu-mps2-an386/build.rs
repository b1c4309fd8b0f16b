//! Puts `memory.x` on the linker's path, and turns the build-time settings
//! (environment variables, all optional) into `settings.rs`:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `UREST_QEMU_NOUNS` | nouns, comma-separated `NAME=KIND[:POLICY]` as `urest-host --noun` takes them (`pwm` or `simple`; `fifo`, `reject` or `preempt`) | `green_led0=pwm:fifo,led0=simple` |
//! | `UREST_QEMU_STEPS` | steps of a full fade | `10` |
//! | `UREST_QEMU_STEP_MS` | milliseconds each step holds | `1000` |
//! | `UREST_QEMU_READ_TIMEOUT_MS` | HTTP read timeout | `30000` |
//! | `UREST_QEMU_QUEUE_WAIT_MS` | how long a client waits for a free connection slot before it is answered `503` | `5000` |
//! | `UREST_QEMU_LOG` | `requests` (every request and response, and every duty and pin change) or `hardware` (duty and pin changes only) | `requests` |
//!
//! A bad setting fails the build with a message that says why.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// Most PWM and simple nouns the firmware has room for (`src/main.rs`).
const MAX_PWM: usize = 4;
const MAX_SIMPLE: usize = 4;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("memory.x", out.join("memory.x")).expect("memory.x is readable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(why) => panic!("bad build setting: {why}"),
    };
    fs::write(out.join("settings.rs"), settings.to_rust()).expect("OUT_DIR is writable");
}

struct Settings {
    nouns: Vec<(String, Option<&'static str>)>,
    steps: u16,
    step_ms: u64,
    read_timeout_ms: u64,
    queue_wait_ms: u64,
    log_requests: bool,
}

fn setting(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok().filter(|value| !value.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match setting(name) {
        None => Ok(default),
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a number")),
    }
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let spec = setting("UREST_QEMU_NOUNS")
            .unwrap_or_else(|| "green_led0=pwm:fifo,led0=simple".to_owned());
        let nouns = spec
            .split(',')
            .map(str::trim)
            .filter(|noun| !noun.is_empty())
            .map(parse_noun)
            .collect::<Result<Vec<_>, _>>()?;
        if nouns.is_empty() {
            return Err("UREST_QEMU_NOUNS names no noun".to_owned());
        }
        for (index, (name, _)) in nouns.iter().enumerate() {
            if nouns[..index].iter().any(|(other, _)| other == name) {
                return Err(format!("noun {name:?} is named twice"));
            }
        }
        let pwm = nouns.iter().filter(|(_, policy)| policy.is_some()).count();
        if pwm > MAX_PWM || nouns.len() - pwm > MAX_SIMPLE {
            return Err(format!(
                "at most {MAX_PWM} pwm and {MAX_SIMPLE} simple nouns fit (raise MAX_PWM / MAX_SIMPLE in build.rs and src/main.rs)"
            ));
        }
        let steps = number("UREST_QEMU_STEPS", 10u16)?;
        if steps == 0 {
            return Err("UREST_QEMU_STEPS must be at least 1".to_owned());
        }
        let step_ms = number("UREST_QEMU_STEP_MS", 1000u64)?;
        let read_timeout_ms = number("UREST_QEMU_READ_TIMEOUT_MS", 30_000u64)?;
        let queue_wait_ms = number("UREST_QEMU_QUEUE_WAIT_MS", 5_000u64)?;
        let log_requests = match setting("UREST_QEMU_LOG").as_deref().map(str::trim) {
            None | Some("requests") => true,
            Some("hardware") => false,
            Some(other) => {
                return Err(format!(
                    "UREST_QEMU_LOG={other:?}: expected requests or hardware"
                ))
            }
        };
        Ok(Settings {
            nouns,
            steps,
            step_ms,
            read_timeout_ms,
            queue_wait_ms,
            log_requests,
        })
    }

    fn to_rust(&self) -> String {
        let mut rust = String::from("// Written by build.rs from the UREST_QEMU_* variables.\n");
        rust.push_str("pub const NOUNS: &[NounSpec] = &[\n");
        for (name, policy) in &self.nouns {
            let _ = match policy {
                Some(policy) => writeln!(rust, "    NounSpec::pwm({name:?}, Policy::{policy}),"),
                None => writeln!(rust, "    NounSpec::simple({name:?}),"),
            };
        }
        rust.push_str("];\n");
        let _ = writeln!(rust, "pub const STEPS: u16 = {};", self.steps);
        let _ = writeln!(rust, "pub const STEP_MS: u64 = {};", self.step_ms);
        let _ = writeln!(
            rust,
            "pub const READ_TIMEOUT_MS: u64 = {};",
            self.read_timeout_ms
        );
        let _ = writeln!(
            rust,
            "pub const QUEUE_WAIT_MS: u64 = {};",
            self.queue_wait_ms
        );
        let _ = writeln!(
            rust,
            "pub const LOG_REQUESTS: bool = {};",
            self.log_requests
        );
        rust
    }
}

/// `NAME=KIND[:POLICY]`, as `urest-host --noun` reads it; `None` for a
/// simple noun, else the policy's variant name.
fn parse_noun(spec: &str) -> Result<(String, Option<&'static str>), String> {
    let (name, kind) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} is not NAME=KIND[:POLICY]"))?;
    let path_safe = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    if name.is_empty() || !name.bytes().all(path_safe) {
        return Err(format!(
            "noun name {name:?} must be ASCII letters, digits, '_', '-' or '.'"
        ));
    }
    let policy = match kind {
        "simple" => None,
        "pwm" | "pwm:fifo" => Some("Fifo"),
        "pwm:reject" => Some("Reject"),
        "pwm:preempt" => Some("Preempt"),
        other => {
            return Err(format!(
                "{name}: kind {other:?} is not simple, pwm, pwm:fifo, pwm:reject or pwm:preempt"
            ))
        }
    };
    Ok((name.to_owned(), policy))
}
