//! A small HTTP load generator for urest's performance notes: keep-alive
//! clients sending one request over and over, timing each answer.
//!
//! ```sh
//! cargo run --release --example http_load -- http://127.0.0.1:8080/led0 --clients 4 --seconds 10
//! cargo run --release --example http_load -- http://127.0.0.1:8080/green_led0 \
//!     --put '{"desired": 1}' --clients 1 --seconds 10
//! ```
//!
//! Prints requests per second, the p50 and p99 latency, and the statuses
//! seen. Only `http://` URLs on a loopback address are accepted.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

struct Options {
    addr: SocketAddr,
    path: String,
    put: Option<String>,
    clients: usize,
    seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: http_load URL [--put JSON] [--clients N] [--seconds S]")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or("the URL must be http://")?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| "the URL must be http://IP:PORT/...")?;
    if !addr.ip().is_loopback() {
        return Err("only loopback addresses are loaded".to_owned());
    }
    let mut options = Options {
        addr,
        path: path.to_owned(),
        put: None,
        clients: 1,
        seconds: 10,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--put" => options.put = Some(value),
            "--clients" => options.clients = value.parse().map_err(|_| "--clients: a number")?,
            "--seconds" => options.seconds = value.parse().map_err(|_| "--seconds: a number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(options)
}

/// One client's results: each answer's latency and status.
type Results = Vec<(Duration, u16)>;

fn client(
    options: &Options,
    request: &[u8],
    start: &Barrier,
    until: Duration,
) -> Result<Results, String> {
    let mut stream = TcpStream::connect(options.addr).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    let mut buffer = Vec::new();
    start.wait();
    let began = Instant::now();
    while began.elapsed() < until {
        let sent = Instant::now();
        stream
            .write_all(request)
            .map_err(|e| format!("send: {e}"))?;
        let status = read_response(&mut stream, &mut buffer)?;
        results.push((sent.elapsed(), status));
    }
    Ok(results)
}

/// Read one response (head and `Content-Length` body); its status.
fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<u16, String> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response
            .parse(buffer)
            .map_err(|e| format!("bad response: {e}"))?
        {
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .unwrap_or(0);
            let status = response.code.unwrap_or(0);
            if buffer.len() >= head + length {
                buffer.drain(..head + length);
                return Ok(status);
            }
        }
        let mut chunk = [0u8; 4096];
        let read = stream
            .read(&mut chunk)
            .map_err(|e| format!("receive: {e}"))?;
        if read == 0 {
            return Err("the server closed the connection".to_owned());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => Arc::new(options),
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::from(2);
        }
    };
    let request = match &options.put {
        Some(body) => format!(
            "PUT {} HTTP/1.1\r\nHost: load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            options.path,
            body.len()
        ),
        None => format!("GET {} HTTP/1.1\r\nHost: load\r\n\r\n", options.path),
    };
    let start = Arc::new(Barrier::new(options.clients));
    let until = Duration::from_secs(options.seconds);
    let began = Instant::now();
    let threads: Vec<_> = (0..options.clients)
        .map(|_| {
            let (options, request, start) = (options.clone(), request.clone(), start.clone());
            std::thread::spawn(move || client(&options, request.as_bytes(), &start, until))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for thread in threads {
        match thread.join() {
            Ok(Ok(results)) => {
                for (latency, status) in results {
                    latencies.push(latency);
                    *statuses.entry(status).or_default() += 1;
                }
            }
            Ok(Err(why)) => {
                eprintln!("a client failed: {why}");
                return ExitCode::FAILURE;
            }
            Err(_) => return ExitCode::FAILURE,
        }
    }
    let elapsed = began.elapsed().as_secs_f64();
    latencies.sort();
    let method = if options.put.is_some() { "PUT" } else { "GET" };
    println!(
        "{method} {} with {} keep-alive client(s), {:.1} s: {} requests, {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, statuses {:?}",
        options.path,
        options.clients,
        elapsed,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        statuses
    );
    ExitCode::SUCCESS
}
