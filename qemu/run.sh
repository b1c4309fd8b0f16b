#!/usr/bin/env bash
# Runs urest's test programs on emulated Cortex-M under QEMU:
#   urest-qemu          the concurrency scenarios, in virtual time
#   urest-qemu-embassy  the policies and an HTTP exchange on a real embassy
#                       executor, with embassy-time on SysTick (real time)
#
# For each machine below and each program: build it in release mode, run it
# under qemu-system-arm with semihosting, print what it says, and fail if it
# fails. Before that: check that urest-core and urest-mock build for both
# instruction sets, and that this workspace is formatted and clippy-clean.
# Every program runs on every machine even if an earlier run failed; the
# script fails at the end if any did.
#
# Needs (installs none of it):
#   - a Rust toolchain with rustfmt, clippy and the targets
#     thumbv6m-none-eabi and thumbv7em-none-eabihf
#       (rustup target add thumbv6m-none-eabi thumbv7em-none-eabihf)
#   - qemu-system-arm 7.2 or later, with the microbit and mps2-an386 machines
#       (Debian: apt-get install qemu-system-arm)
#   - coreutils `timeout`
#   - optional: llvm-size, arm-none-eabi-size or rust-size, to print the
#     programs' text/data/bss (Debian: llvm or binutils-arm-none-eabi)
#
# Environment:
#   QEMU_TIMEOUT  seconds each program may run on a machine before it counts
#                 as failed (default 120)
#
# Exit status: 0 only if every check passed and every program ran on every
# machine to `N passed, 0 failed` with N > 0 and exited with success.
set -euo pipefail

QEMU_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd -- "$QEMU_DIR/.." && pwd)"
QEMU_TIMEOUT="${QEMU_TIMEOUT:-120}"

# target triple -> QEMU machine. The QEMU command line for each target is the
# `runner` in .cargo/config.toml; each program's memory map is
# machines/<machine>/<layout>/memory.x (see build.rs).
MACHINES=(
  "thumbv6m-none-eabi microbit"
  "thumbv7em-none-eabihf mps2-an386"
)

# The test programs (binaries of this package), each run on every machine.
PROGRAMS=(
  urest-qemu
  urest-qemu-embassy
)

section() {
  printf '\n=== %s\n' "$*"
}

section "urest-core and urest-mock build for Cortex-M"
# Cargo finds .cargo/config.toml from the working directory, so build the
# library crates from the root, away from this workspace's linker flags.
for target in thumbv6m-none-eabi thumbv7em-none-eabihf; do
  (cd "$ROOT_DIR" && cargo build -p urest-core -p urest-mock --target "$target")
done

cd "$QEMU_DIR"

section "qemu workspace: fmt and clippy"
cargo fmt --check
# .cargo/config.toml names both targets, so this lints both builds.
cargo clippy --all-targets -- -D warnings

section "qemu workspace: release build"
cargo build --release

# Where cargo put the programs, wherever CARGO_TARGET_DIR or config moved it.
target_dir="$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"

size_tool=""
for tool in llvm-size arm-none-eabi-size rust-size; do
  if command -v "$tool" >/dev/null 2>&1; then
    size_tool="$tool"
    break
  fi
done

log="$(mktemp)"
trap 'rm -f -- "$log"' EXIT

failed_runs=()
for entry in "${MACHINES[@]}"; do
  read -r target machine <<<"$entry"
  for program in "${PROGRAMS[@]}"; do
    binary="$target_dir/$target/release/$program"
    section "$program on $machine ($target)"
    if [[ -n "$size_tool" ]]; then
      "$size_tool" "$binary"
    fi
    # `cargo run` starts the runner from .cargo/config.toml; `timeout` ends
    # its whole process group, QEMU included, if the program hangs.
    set +e
    timeout "$QEMU_TIMEOUT" cargo run --release --target "$target" --bin "$program" \
      </dev/null 2>&1 | tee "$log"
    status="${PIPESTATUS[0]}"
    set -e
    summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
    run="$program on $machine"
    if [[ "$status" -eq 124 ]]; then
      echo "$run: timed out after ${QEMU_TIMEOUT}s"
      failed_runs+=("$run")
    elif [[ "$status" -ne 0 ]]; then
      echo "$run: exited with status $status"
      if grep -q 'Lockup' "$log"; then
        # The fault handler itself had no stack: see machines/*/*/memory.x.
        echo "$run: QEMU reports a lockup, most likely a stack overflow"
      fi
      failed_runs+=("$run")
    elif [[ ! "$summary" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
      echo "$run: exited with success but did not report all checks passing"
      failed_runs+=("$run")
    fi
  done
done

section "summary"
if [[ "${#failed_runs[@]}" -gt 0 ]]; then
  printf 'qemu runs FAILED: %s\n' "${failed_runs[@]}"
  exit 1
fi
echo "every program passed on every machine"
