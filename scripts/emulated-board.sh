#!/usr/bin/env bash
# Boots the emulated board: the firmware examples/qemu-mps2-an386 (urest on
# embassy-net over a LAN9118) on QEMU's mps2-an386, with the board's HTTP
# port 80 forwarded to 127.0.0.1:PORT. Builds the firmware first if needed.
# Stays in the foreground until killed (Ctrl-C, SIGTERM), and stops QEMU
# with it.
#
#   scripts/emulated-board.sh PORT [--step-ms MS] [--steps N]
#       [--noun NAME=KIND[:POLICY]]... [--read-timeout-ms MS]
#       [--queue-wait-ms MS] [--log requests|hardware] [--log-file FILE]
#
# --noun (repeatable), --steps, --step-ms, --read-timeout-ms and
# --queue-wait-ms mean what they mean to urest-host (defaults:
# green_led0=pwm:fifo and led0=simple, 10 steps of 1000 ms, 30000 ms,
# 5000 ms). --log hardware leaves out the per-request
# lines (for load measurements); duty and pin changes are always logged.
# The board's log (semihosting) goes to stdout, or to FILE with --log-file.
#
# Prints one line, "board: http://127.0.0.1:PORT/ answers", once the API
# answers; exits with failure if QEMU stops or the API does not answer
# within BOOT_TIMEOUT seconds (default 60).
#
# The guest network is a documentation range (192.0.2.0/24, RFC 5737) with
# restrict=on: the board can reach nothing outside the QEMU process, and
# only 127.0.0.1:PORT reaches it.
#
# Environment: FIRMWARE_TARGET_DIR (default target/firmware, shared with
# scripts/build-boards.sh), BOOT_TIMEOUT.
# Needs: qemu-system-arm 7.2 or later, the thumbv7em-none-eabihf target.
set -euo pipefail

usage() {
  sed -n '9,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]] || usage
port="$1"
shift
nouns=()
steps=""
step_ms=""
read_timeout_ms=""
queue_wait_ms=""
log_kind=""
log_file=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --noun) nouns+=("${2:?--noun needs NAME=KIND[:POLICY]}"); shift 2 ;;
    --steps) steps="${2:?--steps needs a number}"; shift 2 ;;
    --step-ms) step_ms="${2:?--step-ms needs a number}"; shift 2 ;;
    --read-timeout-ms) read_timeout_ms="${2:?--read-timeout-ms needs a number}"; shift 2 ;;
    --queue-wait-ms) queue_wait_ms="${2:?--queue-wait-ms needs a number}"; shift 2 ;;
    --log) log_kind="${2:?--log needs requests or hardware}"; shift 2 ;;
    --log-file) log_file="${2:?--log-file needs a path}"; shift 2 ;;
    *) usage ;;
  esac
done

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
firmware_dir="$root/examples/qemu-mps2-an386"
target_dir="${FIRMWARE_TARGET_DIR:-$root/target/firmware}"
boot_timeout="${BOOT_TIMEOUT:-60}"

# The firmware reads its settings at build time (see its build.rs); cargo
# rebuilds only what they change.
(
  IFS=,
  export UREST_QEMU_NOUNS="${nouns[*]:-}"
  export UREST_QEMU_STEPS="$steps" UREST_QEMU_STEP_MS="$step_ms"
  export UREST_QEMU_READ_TIMEOUT_MS="$read_timeout_ms" UREST_QEMU_LOG="$log_kind"
  export UREST_QEMU_QUEUE_WAIT_MS="$queue_wait_ms"
  cd "$firmware_dir"
  CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --quiet
)
# QEMU runs a copy, so a rebuild with other settings cannot change it under
# the running board.
work="$(mktemp -d)"
elf="$work/qemu-mps2-an386.elf"
cp "$target_dir/thumbv7em-none-eabihf/release/qemu-mps2-an386" "$elf"

qemu_pid=""
stop() {
  if [[ -n "$qemu_pid" ]]; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

qemu=(qemu-system-arm -machine mps2-an386 -nographic
  -semihosting-config enable=on,target=native
  -nic "user,model=lan9118,restrict=on,net=192.0.2.0/24,hostfwd=tcp:127.0.0.1:$port-:80"
  -kernel "$elf")
if [[ -n "$log_file" ]]; then
  "${qemu[@]}" </dev/null >>"$log_file" 2>&1 &
else
  "${qemu[@]}" </dev/null &
fi
qemu_pid=$!

# The API answers once GET / gets a status line back.
answers() {
  local reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3>&-
  [[ "$reply" == "HTTP/1.1 200"* ]]
}

deadline=$((SECONDS + boot_timeout))
until answers 2>/dev/null; do
  if ! kill -0 "$qemu_pid" 2>/dev/null; then
    echo "board: QEMU stopped before the API answered" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "board: the API did not answer within ${boot_timeout}s" >&2
    exit 1
  fi
  sleep 0.2
done
echo "board: http://127.0.0.1:$port/ answers"

wait "$qemu_pid"
