#!/usr/bin/env bash
# Runs urest's HTTP integration tests (tests/*.rs at the repository root)
# against the emulated board instead of an in-process urest-host: boots the
# firmware examples/qemu-mps2-an386 on QEMU's mps2-an386 with the nouns the
# tests need and the tests' fade shape, runs the suites over real TCP
# through 127.0.0.1, and shuts the board down.
#
# What the board does differently from the host, and how each test copes,
# is written in one place: tests/common/board.rs.
#
# Environment:
#   UREST_BOARD_PORT  host port forwarded to the board (default: the first
#                     free one from 18080)
#   REPEAT            run the suites this many times on one boot (default 1)
#   FIRMWARE_TARGET_DIR, BOOT_TIMEOUT: see scripts/emulated-board.sh
# Needs: qemu-system-arm 7.2 or later, the thumbv7em-none-eabihf target.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# The board is built with exactly the nouns the tests expect of it.
nouns="$(grep -A1 'pub const BOARD_NOUNS' tests/common/board.rs | grep -o '"[^"]*"' | tr -d '"')"
[[ -n "$nouns" ]] || { echo "no BOARD_NOUNS in tests/common/board.rs" >&2; exit 1; }
noun_args=()
IFS=, read -r -a specs <<<"$nouns"
for spec in "${specs[@]}"; do
  noun_args+=(--noun "$spec")
done

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
port="${UREST_BOARD_PORT:-}"
if [[ -z "$port" ]]; then
  port=18080
  while listening "$port"; do
    port=$((port + 1))
  done
fi

work="$(mktemp -d)"
board_pid=""
finish() {
  if [[ -n "$board_pid" ]]; then
    kill "$board_pid" 2>/dev/null || true
    wait "$board_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap finish EXIT

started=$SECONDS
echo "== emulated board on 127.0.0.1:$port ($nouns)"
# The tests' fade shape (tests/common: 10 steps of 3 ms) and read timeout
# (5 s), so DELETE restores what the tests configure.
scripts/emulated-board.sh "$port" --steps 10 --step-ms 3 --read-timeout-ms 5000 --queue-wait-ms 2000 \
  "${noun_args[@]}" --log-file "$work/board.log" >"$work/board.out" 2>&1 &
board_pid=$!
until grep -q 'answers$' "$work/board.out" 2>/dev/null; do
  if ! kill -0 "$board_pid" 2>/dev/null; then
    cat "$work/board.out" "$work/board.log" 2>/dev/null >&2 || true
    echo "the emulated board did not come up" >&2
    exit 1
  fi
  sleep 0.2
done
echo "board up after $((SECONDS - started)) s (build included)"

export UREST_TEST_URL="http://127.0.0.1:$port" UREST_TEST_BOARD_LOG="$work/board.log"
status=0
for run in $(seq 1 "${REPEAT:-1}"); do
  echo "== HTTP suites against the board, run $run"
  suites_started=$SECONDS
  if ! cargo test --locked -p urest --test verbs --test statuses --test races --test slots; then
    status=1
    echo "== the board's last log lines:" >&2
    tail -n 40 "$work/board.log" >&2 || true
    break
  fi
  echo "run $run: suites took $((SECONDS - suites_started)) s"
done
if grep -q 'FAILED' "$work/board.log"; then
  grep 'FAILED' "$work/board.log" >&2
  status=1
fi
grep 'stack: deepest' "$work/board.log" | tail -n 1 || true
echo "emulated board: $((SECONDS - started)) s in all"
exit "$status"
