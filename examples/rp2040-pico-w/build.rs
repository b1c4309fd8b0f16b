//! Puts `memory.x` and the radio's firmware files where the build finds them.
//!
//! The CYW43439 radio runs firmware that is not in this repository (see the
//! README for where to get it and its licence). With `CYW43_FIRMWARE_DIR`
//! naming a directory that holds the three files, they are built into the
//! image. Without it, empty files stand in, so the firmware still builds
//! (in CI, for instance), and at boot it says what is missing instead of
//! starting the radio.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What the firmware needs from the radio's vendor, by file name.
const RADIO_FILES: [&str; 3] = ["43439A0.bin", "43439A0_clm.bin", "nvram_rp2040.bin"];

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo did not set OUT_DIR")?);

    copy(Path::new("memory.x"), &out.join("memory.x"))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    println!("cargo:rerun-if-env-changed=CYW43_FIRMWARE_DIR");
    // The credentials are read with option_env!; say so, so a change rebuilds.
    println!("cargo:rerun-if-env-changed=WIFI_SSID");
    println!("cargo:rerun-if-env-changed=WIFI_PASSWORD");

    match env::var_os("CYW43_FIRMWARE_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            for name in RADIO_FILES {
                let source = dir.join(name);
                if !source.is_file() {
                    return Err(format!(
                        "CYW43_FIRMWARE_DIR is {}, but it has no {name} \
                         (it needs {}; see README.md)",
                        dir.display(),
                        RADIO_FILES.join(", ")
                    ));
                }
                copy(&source, &out.join(name))?;
                println!("cargo:rerun-if-changed={}", source.display());
            }
        }
        None => {
            println!(
                "cargo:warning=CYW43_FIRMWARE_DIR is not set: building without the \
                 radio's firmware, so the Wi-Fi will not start (see README.md)"
            );
            for name in RADIO_FILES {
                write_if_changed(&out.join(name), &[])?;
            }
        }
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let bytes =
        fs::read(from).map_err(|error| format!("cannot read {}: {error}", from.display()))?;
    write_if_changed(to, &bytes)
}

/// Writes only when the content differs, so an unchanged file does not make
/// cargo rebuild the firmware.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    fs::write(path, bytes).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
