#!/usr/bin/env bash
# Builds urest for real boards, as CI must: each adapter crate on its own
# (its HAL cannot share a build with the others'): on the host, its tests
# (the chip-free arithmetic) and clippy on every target; for its chip, clippy
# -D warnings, build and rustdoc -D warnings. Then
# each firmware under examples/ in release (rustfmt, clippy -D warnings,
# build). Real boards are verified here by building only; nothing runs on
# silicon.
#
# Every firmware is a workspace of its own; they share one target directory
# (FIRMWARE_TARGET_DIR, default target/firmware) so the embassy crates they
# have in common build once per target.
#
# Needs: the thumbv6m-none-eabi and thumbv7em-none-eabihf targets
# (scripts/test-all.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# crate, target, features (may be empty)
adapters=(
  "urest-rp thumbv6m-none-eabi"
  "urest-nrf thumbv7em-none-eabihf nrf52840"
  "urest-stm32 thumbv7em-none-eabihf stm32f767zi"
)

firmware=(
  examples/rp2040-pico-w
  examples/nrf52840-dk
  examples/stm32-nucleo
  examples/qemu-mps2-an386
  examples/size-probe
)

export FIRMWARE_TARGET_DIR="${FIRMWARE_TARGET_DIR:-$root/target/firmware}"

for entry in "${adapters[@]}"; do
  read -r crate target features <<<"$entry"
  args=(--locked -p "$crate" --target "$target")
  [[ -n "${features:-}" ]] && args+=(--features "$features")
  echo "== $crate on the host"
  cargo clippy --locked -p "$crate" --all-targets -- -D warnings
  cargo test --locked -p "$crate"
  echo "== $crate for $target ${features:+($features)}"
  cargo clippy "${args[@]}" -- -D warnings
  cargo build "${args[@]}"
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps "${args[@]}"
done

for dir in "${firmware[@]}"; do
  echo "== firmware $dir (release)"
  (
    cd "$dir"
    cargo fmt --check
    CARGO_TARGET_DIR="$FIRMWARE_TARGET_DIR" cargo clippy --release --locked -- -D warnings
    CARGO_TARGET_DIR="$FIRMWARE_TARGET_DIR" cargo build --release --locked
  )
done

# The size probe's measuring features (scripts/measure.sh builds it with
# each): linted here so they build when measured.
echo "== firmware examples/size-probe with its measuring features (clippy)"
(
  cd examples/size-probe
  CARGO_TARGET_DIR="$FIRMWARE_TARGET_DIR" cargo clippy --release --locked \
    --features linked-unused,access-in-use,coordination-in-use -- -D warnings
)
