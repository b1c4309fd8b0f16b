#!/usr/bin/env bash
# Prints what one request costs and what urest takes on a Cortex-M0+, for
# the current tree: the figures of docs/performance.md ("Instructions per
# request and the size probe").
#
# - Instructions per request: crates/urest-http/examples/count_requests
#   serves N requests (the bytes `hey` sends) from memory through
#   `Server::serve`, under callgrind, counting only inside its `serve_all`; run
#   for 1,000 and 2,000 requests, the difference divided by 1,000 is one
#   request, keep-alive.
# - Flash and RAM: examples/size-probe, urest-core and urest-http serving
#   two nouns in four slots, built in release for thumbv6m-none-eabi; text,
#   rodata, data and bss of the ELF, the size of one slot's `serve` future
#   (from rustc's -Zprint-type-sizes), and cargo bloat's top crates.
#
# - urest's own code, module by module: the text of every function whose
#   name is first of all urest-core's or urest-http's (from the symbol
#   table; `nm -S`; the futures of `serve` and of the fade runner, which
#   the compiler inlines into the probe's join and block_on, count too),
#   and the read-only data, nearly all of it urest's (strings of problem
#   details, attribute docs, header names, tables).
# - urest-http's features: the probe's flash with each of access,
#   coordination and observe compiled in alone, and all three, against
#   none; then with access or coordination in use (the probe calls
#   with_access or with_coordination).
#
# Needs valgrind (installed with apt-get if missing), llvm-size or size, nm,
# and the thumbv6m-none-eabi target; cargo-bloat is installed if missing, and
# skipped with a note if it cannot be.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
host_target="${CARGO_TARGET_DIR:-$root/target}"
firmware_target="${FIRMWARE_TARGET_DIR:-$root/target/firmware}"

if ! command -v valgrind >/dev/null 2>&1; then
  apt-get install -y valgrind >/dev/null
fi

echo "== instructions per request (callgrind, inside serve_all; x86_64 host, release)"
cargo build --release --locked --quiet -p urest-http --example count_requests
counter="$host_target/release/examples/count_requests"
collected() {
  valgrind --tool=callgrind --toggle-collect='*serve_all*' \
    --callgrind-out-file=/dev/null "$counter" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
for verb in get put; do
  one="$(collected "$verb" 1000)"
  two="$(collected "$verb" 2000)"
  echo "$verb: $(((two - one) / 1000)) instructions per request"
done

echo "== size probe (thumbv6m-none-eabi, release: two nouns, four slots)"
probe="$firmware_target/thumbv6m-none-eabi/release/urest-size-probe"
# Build the probe, with the cargo arguments given (features).
build_probe() {
  (cd examples/size-probe && CARGO_TARGET_DIR="$firmware_target" cargo build --release --locked --quiet "$@")
}
build_probe
size_tool=""
for tool in llvm-size arm-none-eabi-size size; do
  if command -v "$tool" >/dev/null 2>&1; then
    size_tool="$tool"
    break
  fi
done
section() {
  "$size_tool" -A "$probe" | awk -v name="$1" '$1 == name { print $2 }'
}
text="$(section .text)"
vectors="$(section .vector_table)"
rodata="$(section .rodata)"
data="$(section .data)"
bss="$(section .bss)"
# Flash: what is stored in it (initialised data included).
flash() {
  echo $(($(section .text) + $(section .vector_table) + $(section .rodata) + $(section .data)))
}
echo "text $text (+ $vectors vector table), rodata $rodata: flash $(flash) bytes"
echo "data $data, bss $bss (the four slots' buffers: 4 x 2,048)"
# The serve future of one slot, from the compiler's type layouts (a -Z
# flag, allowed on stable by RUSTC_BOOTSTRAP, for this measurement only).
future="$(
  cd examples/size-probe &&
    CARGO_TARGET_DIR="$firmware_target/type-sizes" RUSTC_BOOTSTRAP=1 \
      cargo rustc --release --locked --quiet -- -Zprint-type-sizes 2>/dev/null |
    sed -n 's/^print-type-size type: `{async fn body of urest_http::Server<.*>::serve<Wire, Spin>()}`: \([0-9]*\) bytes.*/\1/p' |
    head -n 1
)"
echo "one slot: its two buffers (1,024 + 1,024), Buffers 24 bytes, serve future ${future:-?} bytes"

echo "== cargo bloat --crates (size probe)"
if ! command -v cargo-bloat >/dev/null 2>&1; then
  cargo install cargo-bloat --locked >/dev/null 2>&1 || true
fi
if command -v cargo-bloat >/dev/null 2>&1; then
  (cd examples/size-probe && CARGO_TARGET_DIR="$firmware_target" cargo bloat --release --crates -n 10 2>/dev/null | grep -v '^Note:' | grep -v '^$')
else
  echo "(cargo-bloat could not be installed; skipped)"
fi

echo "== urest's own code in the size probe, by module (bytes of text)"
# GNU nm demangles Rust names whole; llvm-nm may leave them half mangled.
nm_tool="$(command -v nm || command -v llvm-nm)"
"$nm_tool" -S -C "$probe" | awk -v rodata="$rodata" '
  # Any awk: no strtonum.
  function hex(digits,    value, i) {
    value = 0
    for (i = 1; i <= length(digits); i++) {
      value = value * 16 + index("0123456789abcdef", tolower(substr(digits, i, 1))) - 1
    }
    return value
  }
  $3 ~ /^[tT]$/ {
    size = hex($2)
    name = $0
    sub(/^[^ ]+ [^ ]+ [tT] /, "", name)
    # The first urest path in the name: a trait impl counts where its
    # type lives, a generic helper where its caller does; but an impl of
    # a urest-http trait for a urest-core type can only be urest-http code.
    owner = name
    if (match(name, / as urest_http::/)) owner = substr(name, RSTART + 4)
    module = ""
    if (match(owner, /urest_(core|http)::[a-z_]+/)) module = substr(owner, RSTART, RLENGTH)
    # The slots'"'"' serve futures and the fade runner are inlined into the
    # probe'"'"'s join and block_on, under embassy-futures'"'"' names: urest'"'"'s
    # code all the same.
    if (name ~ /^embassy_futures::(join::MaybeDone<.*>::poll|block_on::block_on)$/) module = "serve and run futures (in block_on)"
    if (module != "") {
      text[module] += size
      total += size
    }
  }
  END {
    for (module in text) printf "%7d  %s\n", text[module], module | "sort -rn"
    close("sort -rn")
    printf "text %d + rodata %d = %d bytes (%.1f KiB)\n", total, rodata, total + rodata, (total + rodata) / 1024
  }'

echo "== urest-http's features (size probe flash, one at a time, against none)"
# Compiled in and unused: what a firmware that never calls with_access,
# with_coordination or with_observer pays for leaving the default features
# on. In use: the probe calls with_access or with_coordination; a board
# adds its entropy source and log lines (docs/performance.md, "What each
# feature costs"). Last in this script: it leaves the probe built with other
# features.
none="$(flash)"
echo "none: $none bytes"
for feature in access coordination observe; do
  build_probe --features "urest-http/$feature"
  echo "$feature: +$(($(flash) - none)) bytes"
done
build_probe --features linked-unused
echo "all three: +$(($(flash) - none)) bytes"
for feature in access coordination; do
  build_probe --features "$feature-in-use"
  echo "$feature in use: +$(($(flash) - none)) bytes"
done
