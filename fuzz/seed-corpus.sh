#!/usr/bin/env bash
# Rebuild the seed corpora of the fuzz targets from the test suites.
#
#   fuzz/seed-corpus.sh            # writes fuzz/seeds/<target>/
#   fuzz/seed-corpus.sh OUT_DIR    # writes OUT_DIR/<target>/
#
# http_request gets every raw request string of the HTTP test suites
# (string literals that hold "HTTP/1." and a CRLF) and every request the
# tests build with the support helpers (get, put, post, empty_post,
# request), rebuilt the way the helpers build them. json_attributes gets
# every body those helpers are given, plus a few written here, once per
# noun. Each seed is named by its SHA-1, as libFuzzer names corpus files,
# so running the script twice gives the same files.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/fuzz/seeds}"
mkdir -p "$out/http_request" "$out/json_attributes"

python3 - "$root" "$out" <<'PY'
import hashlib, pathlib, re, sys

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
sources = sorted((root / "crates/urest-http/tests").glob("*.rs")) + sorted((root / "tests").glob("*.rs"))

# The first byte of an http_request input shapes the connection (see
# fuzz_targets/http_request.rs): 0x37 is whole reads, a 1 KiB request
# buffer and a 2 KiB response buffer, the clock standing still; 0x30 is
# the same one byte at a time.
HTTP_SHAPES = [0x37, 0x30]
# The first byte of a json_attributes input: bits 0-1 the noun (PWM LED,
# simple LED, panel), bit 2 POST instead of PUT, 0xF8 the full 64-byte
# scratch.
JSON_SHAPES = [0xF8, 0xF9, 0xFA, 0xFC, 0xFD, 0xFE]

LITERAL = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)
ESCAPE = re.compile(r'\\(?:\n\s*|x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]+)\}|(.))', re.S)
SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", '"': '"', "'": "'", "0": "\0"}

def unescape(text):
    def one(m):
        if m.group(1):
            return chr(int(m.group(1), 16))
        if m.group(2):
            return chr(int(m.group(2), 16))
        if m.group(3) is not None:
            return SIMPLE.get(m.group(3), m.group(3))
        return ""  # a line continuation
    return ESCAPE.sub(one, text)

def literals(code):
    """(start, end, value) of each string literal in `code`."""
    for m in LITERAL.finditer(code):
        value = m.group(2) if m.group(3) is None else unescape(m.group(3))
        yield m.start(), m.end(), value

def request(method, path, body):
    if not body:
        return f"{method} {path} HTTP/1.1\r\nHost: device\r\n\r\n"
    return (f"{method} {path} HTTP/1.1\r\nHost: device\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}")

requests, bodies = set(), set()
for source in sources:
    # Comments quote requests too, but not always as whole literals.
    code = "\n".join(l for l in source.read_text().splitlines() if not l.lstrip().startswith("//"))
    found = list(literals(code))
    for start, end, value in found:
        if "HTTP/1." in value and "\r\n" in value:
            requests.add(value)
    # Helper calls: a name, "(", then string literal arguments.
    for call in re.finditer(r'\b(get|put|post|empty_post|request)\(', code):
        args = []
        at = call.end()
        for start, end, value in found:
            if start < at:
                continue
            gap = code[at:start].strip()
            if gap not in ("", ","):
                break
            args.append(value)
            at = end
        name = call.group(1)
        if name in ("get", "empty_post") and len(args) >= 1:
            if name == "get":
                requests.add(request("GET", args[0], ""))
            else:
                requests.add(f"POST {args[0]} HTTP/1.1\r\nHost: device\r\nContent-Length: 0\r\n\r\n")
        elif name in ("put", "post") and len(args) >= 2:
            requests.add(request(name.upper(), args[0], args[1]))
            bodies.add(args[1])
        elif name == "request" and len(args) >= 3:
            requests.add(request(args[0], args[1], args[2]))
            if args[2]:
                bodies.add(args[2])

# Requests no test spells out whole.
requests |= {
    request("GET", "/", ""),
    request("HEAD", "/green_led0", ""),
    request("OPTIONS", "/led", ""),
    request("DELETE", "/green_led0", ""),
    request("PUT", "/green_led0", '{"desired": 1, "steps": 4, "step_ms": 250}'),
    "PUT /led HTTP/1.1\r\nHost: device\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n{\"led\": 1}",
    "POST /led HTTP/1.1\r\nHost: device\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "GET /led HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /led HTTP/1.1\r\nConnection: close\r\n\r\n",
}
bodies |= {
    '{"desired": 1}', '{"desired": 0}', '{"led": 1}', '{"led": true}', '{}', ' ', '',
    '{"desired": 1, "steps": 10, "step_ms": 1000}', '{"steps": 0}', '{"desired": 1.5}',
    '{"level": 50, "offset": -9223372036854775808, "enabled": true, "label": "a\\"b\\u00e9",'
    ' "setpoint": 21.5, "gain": -0.125}',
    '{"setpoint": 5.0, "gain": 1e3}', '{"label": "\\ud83d\\ude00"}', '{"changes": 1}',
    '{"level": 101}', '[1]', '{"led": 1,}', '{"led": 1} x',
    # The first crash json_attributes found: a decimal with a stray quote.
    '{"setpoint":in": 1e3}',
}

def write(directory, data):
    name = hashlib.sha1(data).hexdigest()
    (out / directory / name).write_bytes(data)

for text in requests:
    for shape in HTTP_SHAPES:
        write("http_request", bytes([shape]) + text.encode())
for body in bodies:
    for shape in JSON_SHAPES:
        write("json_attributes", bytes([shape]) + body.encode())
print(f"{len(requests)} requests, {len(bodies)} bodies -> {out}")
PY
