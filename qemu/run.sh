#!/usr/bin/env bash
# Runs the urest concurrency scenarios on emulated Cortex-M under QEMU.
#
# For each machine below: build the test program in release mode, run it
# under qemu-system-arm with semihosting, print what it says, and fail if it
# fails. Before that: check that urest-core and urest-mock build for both
# instruction sets, and that this workspace is formatted and clippy-clean.
# Every machine runs even if an earlier one failed; the script fails at the
# end if any did.
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
#   QEMU_TIMEOUT  seconds each machine may run before it counts as failed
#                 (default 120)
#
# Exit status: 0 only if every check passed and every machine ran all its
# scenarios to `N passed, 0 failed` with N > 0 and exited with success.
set -euo pipefail

QEMU_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd -- "$QEMU_DIR/.." && pwd)"
QEMU_TIMEOUT="${QEMU_TIMEOUT:-120}"

# target triple -> QEMU machine. The QEMU command line for each target is the
# `runner` in .cargo/config.toml; the memory map is machines/<machine>/memory.x.
MACHINES=(
  "thumbv6m-none-eabi microbit"
  "thumbv7em-none-eabihf mps2-an386"
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

failed_machines=()
for entry in "${MACHINES[@]}"; do
  read -r target machine <<<"$entry"
  program="$target_dir/$target/release/urest-qemu"
  section "$machine ($target)"
  if [[ -n "$size_tool" ]]; then
    "$size_tool" "$program"
  fi
  # `cargo run` starts the runner from .cargo/config.toml; `timeout` ends
  # its whole process group, QEMU included, if the program hangs.
  set +e
  timeout "$QEMU_TIMEOUT" cargo run --release --target "$target" \
    </dev/null 2>&1 | tee "$log"
  status="${PIPESTATUS[0]}"
  set -e
  summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
  if [[ "$status" -eq 124 ]]; then
    echo "$machine: timed out after ${QEMU_TIMEOUT}s"
    failed_machines+=("$machine")
  elif [[ "$status" -ne 0 ]]; then
    echo "$machine: exited with status $status"
    if grep -q 'Lockup' "$log"; then
      # The fault handler itself had no stack: see machines/*/memory.x.
      echo "$machine: QEMU reports a lockup, most likely a stack overflow"
    fi
    failed_machines+=("$machine")
  elif [[ ! "$summary" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
    echo "$machine: exited with success but did not report all scenarios passing"
    failed_machines+=("$machine")
  fi
done

section "summary"
if [[ "${#failed_machines[@]}" -gt 0 ]]; then
  echo "qemu scenarios FAILED on: ${failed_machines[*]}"
  exit 1
fi
echo "qemu scenarios passed on every machine"
