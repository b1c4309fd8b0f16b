//! Links the `memory.x` of the QEMU machine that runs this target, in the
//! layout each test program needs.
//!
//! Each target has exactly one machine here, so the target triple is enough
//! to choose the machine; each program then has its own directory under the
//! machine's (its memory split differs: the scenarios keep their futures on
//! the stack, embassy keeps its tasks in statics). `cortex-m-rt`'s `link.x`
//! finds `memory.x` on the linker search path set below, per program.

use std::env;
use std::path::PathBuf;

/// The machine directory under `machines/` for each supported target. The
/// programs see it as `cfg(qemu_machine = "...")`, for what differs between
/// machines in code (the core clock).
const MACHINES: &[(&str, &str)] = &[
    ("thumbv6m-none-eabi", "microbit"),
    ("thumbv7em-none-eabihf", "mps2-an386"),
];

/// Each binary and the directory under its machine's that holds its
/// `memory.x`.
const PROGRAMS: &[(&str, &str)] = &[
    ("urest-qemu", "scenarios"),
    ("urest-qemu-embassy", "embassy"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let machines = MACHINES.iter().map(|(_, machine)| format!("\"{machine}\""));
    let names: Vec<String> = machines.collect();
    println!(
        "cargo:rustc-check-cfg=cfg(qemu_machine, values({}))",
        names.join(", ")
    );
    let target = env::var("TARGET").unwrap_or_default();
    let Some((_, machine)) = MACHINES.iter().find(|(triple, _)| *triple == target) else {
        // Host builds (`cargo fmt`, editors) need no linker script.
        if target.starts_with("thumb") {
            panic!("no QEMU machine for target {target}; add one to MACHINES in build.rs");
        }
        return;
    };
    println!("cargo:rustc-cfg=qemu_machine=\"{machine}\"");
    let manifest = env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let Some(machine_dir) = manifest.map(|root| root.join("machines").join(machine)) else {
        panic!("cargo did not set CARGO_MANIFEST_DIR");
    };
    for (program, layout) in PROGRAMS {
        let dir = machine_dir.join(layout);
        // Per binary, so each program's link sees exactly one memory.x.
        println!("cargo:rustc-link-arg-bin={program}=-L{}", dir.display());
        println!("cargo:rerun-if-changed={}", dir.join("memory.x").display());
    }
}
