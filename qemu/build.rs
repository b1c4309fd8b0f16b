//! Links the `memory.x` of the QEMU machine that runs this target.
//!
//! Each target has exactly one machine here, so the target triple is enough
//! to choose; `cortex-m-rt`'s `link.x` then finds `memory.x` on the search
//! path set below.

use std::env;
use std::path::PathBuf;

/// The machine directory under `machines/` for each supported target.
const MACHINES: &[(&str, &str)] = &[
    ("thumbv6m-none-eabi", "microbit"),
    ("thumbv7em-none-eabihf", "mps2-an386"),
];

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let Some((_, machine)) = MACHINES.iter().find(|(triple, _)| *triple == target) else {
        // Host builds (`cargo fmt`, editors) need no linker script.
        if target.starts_with("thumb") {
            panic!("no QEMU machine for target {target}; add one to MACHINES in build.rs");
        }
        return;
    };
    let manifest = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let Some(dir) = manifest.map(|root| root.join("machines").join(machine)) else {
        panic!("cargo did not set CARGO_MANIFEST_DIR");
    };
    println!("cargo:rustc-link-search={}", dir.display());
    println!("cargo:rerun-if-changed={}", dir.join("memory.x").display());
    println!("cargo:rerun-if-changed=build.rs");
}
