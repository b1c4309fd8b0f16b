//! A flood of connections at once: every connection the host accepts gets
//! an answer (`200`, or `503` if it waited too long for a slot) or an
//! orderly close (a connection that sat idle while others waited made way
//! for them), none is reset or left hanging, the host serves normally right
//! after, and its log counts exactly what happened.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Connections opened at once.
const FLOOD: usize = 2_000;
/// Threads opening them, each holding its share open at the same time.
const THREADS: usize = 20;
/// Long enough for a SYN the kernel's backlog dropped to be sent again a
/// few times (1 s, 3 s, 7 s).
const PATIENCE: Duration = Duration::from_secs(30);

/// What became of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Answered(u16),
    ClosedUnanswered,
    Failed(String),
}

struct Host {
    child: Child,
    log: PathBuf,
    addr: SocketAddr,
}

impl Host {
    fn start(name: &str) -> Host {
        let log =
            std::env::temp_dir().join(format!("urest-flood-{name}-{}.log", std::process::id()));
        let file = File::create(&log).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_urest-host"))
            .args(["--port", "0"])
            .stdout(Stdio::from(file))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text
                .lines()
                .find_map(|line| line.split("listening on http://").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|addr| addr.trim_end_matches('/').parse().ok())
            {
                break addr;
            }
            assert!(Instant::now() < deadline, "no listening line: {text}");
            thread::sleep(Duration::from_millis(20));
        };
        Host { child, log, addr }
    }

    /// SIGTERM, wait for the exit, and return the whole log.
    fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.child.try_wait().expect("waits").is_none() {
            assert!(Instant::now() < deadline, "still running after SIGTERM");
            thread::sleep(Duration::from_millis(10));
        }
        std::fs::read_to_string(&self.log).expect("the log")
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

const REQUEST: &[u8] = b"GET /led0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/// Open `count` connections, then send each its request, then read each
/// to its end.
fn flood_share(addr: SocketAddr, count: usize) -> Vec<Outcome> {
    let streams: Vec<std::io::Result<TcpStream>> = (0..count)
        .map(|_| TcpStream::connect_timeout(&addr, PATIENCE))
        .collect();
    let streams: Vec<std::io::Result<TcpStream>> = streams
        .into_iter()
        .map(|stream| {
            let mut stream = stream?;
            stream.set_read_timeout(Some(PATIENCE))?;
            stream.write_all(REQUEST)?;
            Ok(stream)
        })
        .collect();
    streams
        .into_iter()
        .map(|stream| match stream {
            Err(error) => Outcome::Failed(format!("connect or send: {error}")),
            Ok(mut stream) => {
                let mut answer = Vec::new();
                match stream.read_to_end(&mut answer) {
                    Err(error) => Outcome::Failed(format!("read: {error}")),
                    Ok(0) => Outcome::ClosedUnanswered,
                    Ok(_) => status_of(&answer)
                        .map(Outcome::Answered)
                        .unwrap_or_else(|| {
                            Outcome::Failed(format!(
                                "not HTTP: {:?}",
                                String::from_utf8_lossy(&answer)
                            ))
                        }),
                }
            }
        })
        .collect()
}

fn status_of(answer: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(answer.get(..12)?).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.parse().ok()
}

/// The counts of the log's last line, `SERVER: stopped; A connection(s)
/// accepted, B closed idle to make way, C answered 408 to make way, D
/// answered 503 after waiting, E closed waiting without a request`.
fn tally(log: &str) -> [usize; 5] {
    let line = log
        .lines()
        .find(|line| line.contains("SERVER: stopped;"))
        .unwrap_or_else(|| panic!("no tally in the log:\n{log}"));
    let counts: Vec<usize> = line
        .split("stopped; ")
        .nth(1)
        .unwrap_or_default()
        .split(", ")
        .filter_map(|part| part.split(' ').next()?.parse().ok())
        .collect();
    match counts.as_slice() {
        [a, b, c, d, e] => [*a, *b, *c, *d, *e],
        _ => panic!("no counts in {line:?}"),
    }
}

#[test]
fn a_flood_of_connections_leaves_none_unanswered_and_the_log_counts_them() {
    let host = Host::start("flood");
    let addr = host.addr;
    let outcomes: Vec<Outcome> = thread::scope(|scope| {
        let shares: Vec<_> = (0..THREADS)
            .map(|_| scope.spawn(move || flood_share(addr, FLOOD / THREADS)))
            .collect();
        shares
            .into_iter()
            .flat_map(|share| share.join().expect("a flooding thread"))
            .collect()
    });
    assert_eq!(outcomes.len(), FLOOD);
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| {
            !matches!(
                outcome,
                Outcome::Answered(200 | 503) | Outcome::ClosedUnanswered
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {FLOOD} connections were neither answered 200 or 503 nor closed in order: {:?}",
        failed.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
    let count = |wanted: Outcome| {
        outcomes
            .iter()
            .filter(|outcome| **outcome == wanted)
            .count()
    };
    let refused = count(Outcome::Answered(503));
    let closed = count(Outcome::ClosedUnanswered);

    // Right after, a client is served at once.
    let asked = Instant::now();
    let mut next = TcpStream::connect(addr).expect("connects after the flood");
    next.write_all(REQUEST).expect("sends");
    let mut answer = Vec::new();
    next.read_to_end(&mut answer).expect("reads");
    assert_eq!(status_of(&answer), Some(200));
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "served {:?} after the flood",
        asked.elapsed()
    );

    let log = host.stop();
    let [accepted, closed_idle, answered_408, answered_503, unasked] = tally(&log);
    assert_eq!(accepted, FLOOD + 1, "every connection was accepted once");
    assert_eq!(answered_503, refused, "the log counts the 503s sent");
    assert_eq!(answered_408, 0, "every head arrived in one piece");
    assert_eq!(
        closed_idle + unasked,
        closed,
        "the log counts the connections closed unanswered"
    );
}
