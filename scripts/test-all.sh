#!/usr/bin/env bash
# Runs every test of urest: host tests of all crates (unit, doc, integration over
# loopback), the no_std builds for Cortex-M, the board adapters and firmware
# builds (scripts/build-boards.sh), and the concurrency scenarios on emulated
# Cortex-M0 and Cortex-M3/M4 under QEMU.
#
# On a fresh machine it installs what it needs first: the thumb targets
# (rustup) and qemu-system-arm (apt-get, through sudo unless run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf)
installed=$(rustup target list --installed)
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$installed" || rustup target add "$target"
done
if ! command -v qemu-system-arm >/dev/null; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  "${as_root[@]}" apt-get install -y qemu-system-arm
fi

echo "== host tests (every crate but the board adapters: scripts/build-boards.sh)"
cargo test --locked
# urest-http without access rules, coordination and the observer's hook (its
# default features), as a lean firmware builds it. Doc tests are left out: their examples
# attach the rules.
cargo test --locked -p urest-http --no-default-features --lib --tests

echo "== no_std builds"
for target in thumbv6m-none-eabi thumbv7em-none-eabihf; do
  cargo build --locked -p urest-core -p urest-mock -p urest-http -p urest-scenarios -p urest-embassy --target "$target"
  cargo build --locked -p urest-http --no-default-features --target "$target"
  cargo build --locked -p urest --features embassy,defmt --target "$target"
done

echo "== boards: adapters for their chips, every firmware in release"
scripts/build-boards.sh

if [ -x qemu/run.sh ]; then
  echo "== scenarios on emulated Cortex-M"
  qemu/run.sh
fi

echo "== HTTP suites against the emulated board (QEMU mps2-an386, LAN9118)"
scripts/test-emulated-board.sh
