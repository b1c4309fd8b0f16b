#!/usr/bin/env bash
# Prints the flash and static RAM of every board firmware, built in release
# with and without urest (its `baseline` feature: the same board and network
# setup, no nouns and no HTTP), and urest's share as the difference: the
# table in docs/performance.md.
#
# flash = text + data (initialised data is stored in flash and copied to
# RAM); static RAM = data + bss. Stacks and the heap-free task pools are in
# bss; the stack itself is what RAM is left.
#
# The last column is the bytes of the `core::fmt` functions a firmware has
# and its baseline lacks, listed by name after the table: the formatting
# urest brings in. A firmware that logs through defmt should need none; the
# boards' panic handler (panic-probe with print-defmt) prints panic
# messages, so a panic reachable in urest's code links the formatting its
# message needs (the size probe, with panic-halt, cannot show this).
#
# Needs llvm-size (from rustup's llvm-tools component, installed here if
# missing, or llvm-size / arm-none-eabi-size on the PATH) and nm (GNU's, or
# llvm-nm).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
export CARGO_TARGET_DIR="${FIRMWARE_TARGET_DIR:-$root/target/firmware}"

size_tool=""
sysroot_size="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-size"
if [[ ! -x "$sysroot_size" ]]; then
  rustup component add llvm-tools >/dev/null 2>&1 || true
fi
for tool in "$sysroot_size" llvm-size arm-none-eabi-size; do
  if command -v "$tool" >/dev/null 2>&1; then
    size_tool="$tool"
    break
  fi
done
[[ -n "$size_tool" ]] || { echo "no llvm-size found" >&2; exit 1; }
# GNU nm first, as in scripts/measure.sh: it demangles Rust names whole,
# where an llvm-nm may leave them half mangled (and `core::fmt` unseen).
nm_tool=""
for tool in nm "$(dirname "$sysroot_size")/llvm-nm" llvm-nm; do
  if command -v "$tool" >/dev/null 2>&1; then
    nm_tool="$tool"
    break
  fi
done
[[ -n "$nm_tool" ]] || { echo "no llvm-nm or nm found" >&2; exit 1; }

# firmware folder, target, binary name
boards=(
  "examples/rp2040-pico-w thumbv6m-none-eabi urest-rp2040-pico-w"
  "examples/nrf52840-dk thumbv7em-none-eabihf urest-nrf52840-dk"
  "examples/stm32-nucleo thumbv7em-none-eabihf urest-stm32-nucleo"
  "examples/qemu-mps2-an386 thumbv7em-none-eabihf qemu-mps2-an386"
)

# The Pico W is measured as a user would build it: with Wi-Fi credentials and
# radio files, here one-byte stand-ins so the figures are the code's own (the
# real radio files add about 233 KB; see examples/rp2040-pico-w/README.md).
stand_ins="$(mktemp -d)"
trap 'rm -rf -- "$stand_ins"' EXIT
for file in 43439A0.bin 43439A0_clm.bin nvram_rp2040.bin; do
  printf x >"$stand_ins/$file"
done
export WIFI_SSID=measure WIFI_PASSWORD=measure CYW43_FIRMWARE_DIR="$stand_ins"

# text data bss of an ELF, as three numbers.
sizes() {
  "$size_tool" "$1" | awk 'NR == 2 { print $1, $2, $3 }'
}

# The `core::fmt` functions of an ELF, one per line: name, a tab, size in
# bytes.
formatting() {
  "$nm_tool" --demangle --print-size "$1" |
    while read -r _ size kind name; do
      # `core..fmt`: a name an llvm-nm left half mangled.
      if [[ "$kind" == [tT] && ("$name" == *core::fmt* || "$name" == *core..fmt*) ]]; then
        printf '%s\t%d\n' "$name" "$((16#$size))"
      fi
    done |
    sort -u
}

printf '| firmware | flash with urest | flash without | urest flash | RAM with urest | RAM without | urest RAM | core::fmt urest adds |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
added_formatting=""
for entry in "${boards[@]}"; do
  read -r dir target binary <<<"$entry"
  elf="$CARGO_TARGET_DIR/$target/release/$binary"
  (cd "$dir" && cargo build --release --locked --quiet --features baseline)
  read -r b_text b_data b_bss <<<"$(sizes "$elf")"
  base_formatting="$(formatting "$elf")"
  (cd "$dir" && cargo build --release --locked --quiet)
  read -r f_text f_data f_bss <<<"$(sizes "$elf")"
  # Functions (name and size) the firmware has and its baseline lacks.
  added="$(comm -13 <(printf '%s\n' "$base_formatting") <(formatting "$elf"))"
  added_bytes=0
  while IFS=$'\t' read -r _ bytes; do
    added_bytes=$((added_bytes + ${bytes:-0}))
  done <<<"$added"
  if [[ -n "$added" ]]; then
    added_formatting+="${dir#examples/}:"$'\n'"$(sed 's/^/    /' <<<"$added")"$'\n'
  fi
  flash=$((f_text + f_data))
  base_flash=$((b_text + b_data))
  ram=$((f_data + f_bss))
  base_ram=$((b_data + b_bss))
  printf '| %s | %d | %d | %d | %d | %d | %d | %d |\n' "${dir#examples/}" \
    "$flash" "$base_flash" $((flash - base_flash)) "$ram" "$base_ram" $((ram - base_ram)) \
    "$added_bytes"
done
if [[ -n "$added_formatting" ]]; then
  printf '\n`core::fmt` functions each firmware has and its baseline lacks (bytes):\n%s' \
    "$added_formatting"
fi
