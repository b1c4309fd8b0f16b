#!/usr/bin/env bash
# Load figures for one URL with hey, as a markdown table.
#
#   scripts/hey-figures.sh URL [SECONDS]
#
# Runs six loads one after another, with hey's default flags except for the
# concurrency, the duration (SECONDS, default 8) and keep-alive:
#
#   hey -z 8s -c C URL                      for C = 1, 16, 64
#   hey -z 8s -c C -disable-keepalive URL   for C = 1, 16, 64
#
# and prints, for each, the 200 responses per second (over hey's measured
# total time), the count of responses with any other status (by code), and
# hey's transport errors (its "Error distribution": the count, and the kinds,
# each message without its request and addresses, such as "connection reset
# by peer" or "EOF").
#
# Set HEY_FIGURES_RAW=DIR to keep hey's full output (and stderr) of each run
# in DIR.
# On a fresh machine it installs hey first (apt-get, through sudo unless run
# as root).
set -euo pipefail

usage() {
  echo "usage: $0 URL [SECONDS]" >&2
  exit 2
}

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  usage
fi
url=$1
seconds=${2:-8}
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  usage
fi
raw_dir=${HEY_FIGURES_RAW:-}

if ! command -v hey >/dev/null; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update
  "${as_root[@]}" apt-get install -y hey
fi

[ -z "$raw_dir" ] || mkdir -p "$raw_dir"
out=$(mktemp)
log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT

# Reads hey's text output on stdin and prints the last four cells of a row.
summarise() {
  awk '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^Summary:/                  { section = "summary"; next }
    /^Status code distribution:/ { section = "status"; next }
    /^Error distribution:/       { section = "error"; next }
    /^[^ \t]/                    { section = ""; next }
    section == "summary" && $1 == "Total:" { total = $2 + 0 }
    section == "status" && match($0, /\[[0-9]+\][ \t]+[0-9]+/) {
      split(substr($0, RSTART, RLENGTH), f, /[][ \t]+/)
      code = f[2]; count = f[3] + 0
      if (code == "200") ok += count
      else { other[code] += count; others += count }
    }
    section == "error" && match($0, /^[ \t]*\[[0-9]+\]/) {
      count = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", count)
      # The kind is the message without the request and the addresses
      # (the client port differs on every line): "Get \"URL\": read tcp
      # A->B: read: connection reset by peer" counts as "connection reset
      # by peer".
      kind = trim(substr($0, RSTART + RLENGTH))
      sub(/^[A-Za-z]+ "?[^ ]*"?: /, "", kind)
      sub(/^(read|write|dial) (tcp|tcp4|tcp6) [^ ]*: /, "", kind)
      sub(/^(read|write|connect): /, "", kind)
      if (!(kind in kinds)) order[++nkinds] = kind
      kinds[kind] += count; errors += count
    }
    END {
      if (total <= 0) { print "| (no summary from hey) | | |"; exit 1 }
      otext = others + 0
      if (others) {
        sep = " ("
        for (code in other) { otext = otext sep code ": " other[code]; sep = ", " }
        otext = otext ")"
      }
      etext = errors + 0
      if (errors) {
        sep = " ("
        for (i = 1; i <= nkinds; i++) {
          etext = etext sep order[i] ": " kinds[order[i]]; sep = "; "
        }
        etext = etext ")"
      }
      gsub(/\|/, "\\|", etext)
      printf "| %.0f | %s | %s |\n", ok / total, otext, etext
    }
  '
}

status=0
echo "| clients | keep-alive | 200/s | other statuses | transport errors (kinds) |"
echo "|---:|---|---:|---|---|"
for keep_alive in yes no; do
  flags=()
  [ "$keep_alive" = yes ] || flags=(-disable-keepalive)
  for clients in 1 16 64; do
    # hey's stderr carries the Go HTTP client's own log (e.g. "Unsolicited
    # response received on idle HTTP channel"): kept with the raw output only.
    hey -z "${seconds}s" -c "$clients" "${flags[@]}" "$url" >"$out" 2>"$log"
    if [ -n "$raw_dir" ]; then
      cp "$out" "$raw_dir/c${clients}-keepalive-${keep_alive}.txt"
      cp "$log" "$raw_dir/c${clients}-keepalive-${keep_alive}.stderr.txt"
    fi
    printf '| %s | %s ' "$clients" "$keep_alive"
    summarise <"$out" || status=1
  done
done
exit "$status"
