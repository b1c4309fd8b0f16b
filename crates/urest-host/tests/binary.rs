//! The `urest-host` binary as a user runs it: flags, the printed address,
//! the log, and a clean exit on SIGTERM or Ctrl-C.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use urest_host::MAX_DUTY;

const DEADLINE: Duration = Duration::from_secs(10);

/// The binary, running, with its stdout lines arriving on a channel.
struct Host {
    child: Child,
    lines: Receiver<String>,
    addr: String,
}

impl Host {
    fn start(args: &[&str]) -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_urest-host"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut host = Host {
            child,
            lines,
            addr: String::new(),
        };
        let listening = host.line_containing("listening on http://");
        let addr = listening
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("an address");
        host.addr = addr.to_owned();
        host
    }

    /// The next line of stdout that contains `text`.
    fn line_containing(&self, text: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no line with {text:?} on stdout"));
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Send `request` on a new connection and return the whole response.
    fn request(&self, request: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Wait for the process to exit and return whether it succeeded.
    fn exits_successfully(&mut self) -> bool {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            assert!(Instant::now() < deadline, "still running after the signal");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Every line printed after those already read, once the process ends.
    fn remaining_lines(&self) -> Vec<String> {
        self.lines.iter().collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The duty of a log line such as `[   0.123] green_led0 duty 6554/65535`.
fn duty_of(line: &str) -> u16 {
    line.split_once(" duty ")
        .and_then(|(_, fraction)| fraction.split_once(&format!("/{MAX_DUTY}")))
        .and_then(|(duty, _)| duty.parse().ok())
        .unwrap_or_else(|| panic!("no duty in {line:?}"))
}

const PUT_ON: &str = "PUT /green_led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                      Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"desired\": 1}";

#[test]
fn logs_requests_and_fade_steps_then_stops_on_sigterm() {
    // Steps long enough that a runner woken late on a busy machine still
    // writes levels between the ends (it skips to where the fade should be).
    let mut host = Host::start(&["--step-ms", "50"]);
    let response = host.request(PUT_ON);
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");

    let uri = host.line_containing("CLIENT URI");
    assert!(
        uri.ends_with("CLIENT URI : PUT /green_led0 HTTP/1.1"),
        "{uri}"
    );
    let body = host.line_containing("CLIENT BODY");
    assert!(body.ends_with(r#"{"desired": 1}"#), "{body}");
    let status = host.line_containing("SERVER: 202");
    assert!(status.contains(r#""ticket":1"#), "{status}");
    let step = host.line_containing("green_led0 duty ");
    let duty = duty_of(&step);
    assert!(
        duty > 0 && duty < MAX_DUTY,
        "the first write is a step between the ends: {step}"
    );
    // Stamped with seconds since start: "[   0.123] ...".
    let stamp = step
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .map(|(stamp, _)| stamp.trim().parse::<f64>());
    assert!(
        matches!(stamp, Some(Ok(seconds)) if seconds >= 0.0),
        "{step}"
    );
    let mut last = duty;
    while last != MAX_DUTY {
        let next = duty_of(&host.line_containing("green_led0 duty "));
        assert!(next > last, "the fade only rises: {next} after {last}");
        last = next;
    }

    host.signal("-TERM");
    assert!(host.exits_successfully());
    assert!(
        TcpStream::connect(&host.addr).is_err(),
        "no longer listening"
    );
}

/// `PUT_ON` with `Authorization: Bearer token`.
fn put_on_with(token: &str) -> String {
    PUT_ON.replace(
        "Connection: close\r\n",
        &format!("Connection: close\r\nAuthorization: Bearer {token}\r\n"),
    )
}

#[test]
fn the_authorization_header_never_reaches_the_log() {
    let mut host = Host::start(&["--token", "owner-7f3a9c", "--step-ms", "1"]);
    let refused = host.request(PUT_ON);
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let wrong = host.request(&put_on_with("owner-7f3a9d"));
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    let accepted = host.request(&put_on_with("owner-7f3a9c"));
    assert!(accepted.starts_with("HTTP/1.1 202"), "{accepted}");
    let mut heads = Vec::new();
    for _ in 0..3 {
        heads.push(host.line_containing("CLIENT HEAD"));
    }
    assert!(!heads[0].contains("Authorization"), "{}", heads[0]);
    for head in &heads[1..] {
        assert!(head.contains("'Authorization': '<redacted>'"), "{head}");
    }
    host.signal("-TERM");
    assert!(host.exits_successfully());
    for line in heads.iter().chain(&host.remaining_lines()) {
        assert!(!line.contains("owner-7f3a9"), "a token was logged: {line}");
    }
}

#[test]
fn bound_beyond_loopback_without_a_token_it_makes_one_up_and_prints_it_once() {
    let mut host = Host::start(&["--bind", "0.0.0.0", "--step-ms", "1"]);
    let announced = host.line_containing("Authorization: Bearer ");
    let token = announced
        .rsplit("Authorization: Bearer ")
        .next()
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(token.len(), 32, "{announced}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    let refused = host.request(PUT_ON);
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("WWW-Authenticate: Bearer realm=\"urest\""));
    let accepted = host.request(&put_on_with(&token));
    assert!(accepted.starts_with("HTTP/1.1 202"), "{accepted}");
    // Reads stay open.
    let read = host.request("GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert!(read.starts_with("HTTP/1.1 200"), "{read}");
    host.signal("-TERM");
    assert!(host.exits_successfully());
    let lines = host.remaining_lines();
    assert!(lines.iter().any(|line| line.contains("<redacted>")));
    for line in &lines {
        assert!(
            !line.contains(&token),
            "the token was printed again: {line}"
        );
    }
}

#[test]
fn quiet_prints_only_the_address_and_ctrl_c_stops_it() {
    let mut host = Host::start(&["--quiet", "--noun", "red=pwm:preempt", "--step-ms", "1"]);
    let response = host.request(&PUT_ON.replace("green_led0", "red"));
    assert!(response.starts_with("HTTP/1.1 202"), "{response}");
    let missing = host.request(PUT_ON);
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    host.signal("-INT");
    assert!(host.exits_successfully());
    assert_eq!(host.remaining_lines(), Vec::<String>::new());
}

#[test]
fn help_explains_flags_verbs_and_policies() {
    let output = Command::new(env!("CARGO_BIN_EXE_urest-host"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for text in [
        "--bind",
        "--port",
        "--noun",
        "--steps",
        "--step-ms",
        "--slots",
        "--read-timeout-ms",
        "--quiet",
        "--token",
        "--read-token",
        "--token-for-reads",
        "--allow-host",
        "--allow-origin",
        "fifo",
        "reject",
        "preempt",
        "DELETE",
        "Retry-After",
    ] {
        assert!(help.contains(text), "--help does not mention {text}");
    }
}

#[test]
fn bad_configurations_are_refused_with_a_reason() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_urest-host"))
            .args(["--port", "0"])
            .args(args)
            .output()
            .unwrap()
    };
    let bad_policy = run(&["--noun", "x=pwm:lifo"]);
    assert!(!bad_policy.status.success());
    assert!(String::from_utf8_lossy(&bad_policy.stderr).contains("lifo"));

    let twice = run(&["--noun", "x=simple", "--noun", "x=pwm"]);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("named twice"));
}
