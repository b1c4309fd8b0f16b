//! The log never holds up serving: with stdout a pipe that nobody reads,
//! every request is still answered and SIGTERM still stops the host; the
//! lines dropped meanwhile are counted once the pipe is read again.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// Enough requests to fill the pipe (64 KiB on Linux) and the log's queue
/// of lines many times over: each logs a line of more than a kilobyte.
const REQUESTS: usize = 500;
/// Far longer than a request takes: one not answered by then is stuck.
const ANSWER_PATIENCE: Duration = Duration::from_secs(5);
/// How long the host may take to exit after SIGTERM.
const EXIT_PATIENCE: Duration = Duration::from_secs(5);

/// The binary, with its stdout a pipe this test reads only when it says so.
struct Host {
    child: Child,
    addr: SocketAddr,
    stdout: Option<BufReader<ChildStdout>>,
    stderr: Option<ChildStderr>,
}

impl Host {
    fn start() -> Host {
        let mut child = Command::new(env!("CARGO_BIN_EXE_urest-host"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take();
        // Read up to the listening line on a thread, so a host that never prints
        // it fails the test instead of hanging it.
        let (send, receive) = mpsc::channel();
        thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            while !line.contains("listening on") {
                line.clear();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
            }
            let _ = send.send((line, stdout));
        });
        let (line, stdout) = receive
            .recv_timeout(ANSWER_PATIENCE)
            .expect("the host prints where it listens");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Host {
            child,
            addr,
            stdout: Some(stdout),
            stderr,
        }
    }

    /// Send `REQUESTS` requests, one connection each, and check that every
    /// one is answered `200` in time.
    fn answers_every_request(&self) {
        let request = format!(
            "GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {}\r\nConnection: close\r\n\r\n",
            "p".repeat(1000)
        );
        for number in 1..=REQUESTS {
            match exchange(self.addr, &request) {
                Ok(answer) if answer.starts_with("HTTP/1.1 200") => {}
                Ok(answer) => panic!("request {number} of {REQUESTS} got {answer:?}"),
                Err(error) => panic!(
                    "request {number} of {REQUESTS} was not answered within \
                     {ANSWER_PATIENCE:?} ({error}): is the host stuck writing its log?"
                ),
            }
        }
    }

    /// From now on, read stdout on a thread; its lines arrive on the
    /// channel, which closes when the host closes stdout.
    fn read_stdout(&mut self) -> Receiver<String> {
        let stdout = self.stdout.take().expect("stdout not read yet");
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        lines
    }

    /// SIGTERM, then wait for a successful exit; returns what the host
    /// wrote to stderr.
    fn terminate(&mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + EXIT_PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waits") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "still running {EXIT_PATIENCE:?} after SIGTERM"
            );
            thread::sleep(Duration::from_millis(10));
        };
        assert!(status.success(), "{status}");
        let mut stderr = String::new();
        if let Some(mut pipe) = self.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        stderr
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send `request` on a new connection and read the answer to its end.
fn exchange(addr: SocketAddr, request: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, ANSWER_PATIENCE)?;
    stream.set_read_timeout(Some(ANSWER_PATIENCE))?;
    stream.set_write_timeout(Some(ANSWER_PATIENCE))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The count of a line such as
/// `[  12.345] LOG: 1234 lines dropped: stdout is not being read`.
fn dropped_count(line: &str) -> Option<usize> {
    let (_, rest) = line.split_once("] LOG: ")?;
    let (count, rest) = rest.split_once(' ')?;
    rest.ends_with("dropped: stdout is not being read")
        .then(|| count.parse().ok())
        .flatten()
}

/// Lines from `lines` until none arrives for `quiet`.
fn lines_until_quiet(lines: &Receiver<String>, quiet: Duration) -> Vec<String> {
    let mut read = Vec::new();
    while let Ok(line) = lines.recv_timeout(quiet) {
        read.push(line);
    }
    read
}

#[test]
fn an_unread_stdout_holds_up_neither_requests_nor_sigterm() {
    let mut host = Host::start();
    host.answers_every_request();
    // The pipe is still open and still unread.
    let stderr = host.terminate();
    assert!(
        stderr.contains("log lines dropped: stdout is not being read"),
        "the drops are reported on stderr when stdout cannot take it: {stderr:?}"
    );
}

#[test]
fn dropped_lines_are_counted_once_stdout_is_read_again() {
    let mut host = Host::start();
    host.answers_every_request();
    let lines = host.read_stdout();
    let backlog = lines_until_quiet(&lines, Duration::from_millis(500));
    assert!(
        backlog.iter().all(|line| dropped_count(line).is_none()),
        "no report before a line has room"
    );

    // The next line is the first with room since the drops: the count
    // comes first.
    let answer = exchange(
        host.addr,
        "GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    .expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    let report = lines.recv_timeout(ANSWER_PATIENCE).expect("a line");
    let dropped = dropped_count(&report).unwrap_or_else(|| panic!("not a report: {report:?}"));
    assert!(report.starts_with('['), "stamped like every line: {report}");
    let after = lines_until_quiet(&lines, Duration::from_millis(500));
    assert!(
        after.iter().any(|line| line.contains("SERVER: 200")),
        "{after:?}"
    );

    // Every line logged was either written or counted.
    let uris = backlog
        .iter()
        .filter(|line| line.contains("CLIENT URI"))
        .count();
    assert!(uris < REQUESTS, "some request lines were dropped");
    // Each request logs five lines: the connection, the URI, the headers,
    // the answer and the close.
    let written = backlog
        .iter()
        .filter(|line| line.contains("] SERVER: ") || line.contains("] CLIENT "))
        .count();
    assert_eq!(
        written + dropped,
        5 * REQUESTS,
        "{written} request lines written and {dropped} counted as dropped"
    );

    // With stdout read, nothing is lost at exit.
    let stderr = host.terminate();
    let last = lines_until_quiet(&lines, EXIT_PATIENCE);
    assert!(
        last.last()
            .is_some_and(|line| line.contains("SERVER: stopped;")),
        "{last:?}"
    );
    assert!(
        last.iter().all(|line| dropped_count(line).is_none()),
        "{last:?}"
    );
    assert_eq!(stderr, "");
}
