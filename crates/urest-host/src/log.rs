//! The host's log: one timestamped line per event, like the original MicroPython urest's
//! console, so a person can watch requests and ramp steps interleave.
//!
//! A [`Logger`] turns each line into a `tracing` event (target
//! `urest_host`); the binary writes them to stdout through a [`StdoutLog`].
//! The writing happens on a thread of its own, fed by a queue of at most
//! [`LOG_BUFFER_LINES`] lines, so a stdout that nobody reads (a full pipe, a
//! paused terminal) never holds up a connection or a fade: the log drops
//! lines instead, and says how many once there is room again.

use std::fmt::{self, Write as _};
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tracing::{Event, Level, Subscriber};
use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer as _;
use urest_http::{Observer, RequestInfo};

use crate::clock::HostClock;
use crate::error::Error;

/// The `tracing` target of every log line.
const TARGET: &str = "urest_host";

/// How many lines the log holds for a stdout that is not keeping up; the
/// lines that arrive while it is full are dropped.
pub const LOG_BUFFER_LINES: usize = 1024;

/// How long [`StdoutLog`] waits at exit for the lines still queued.
const FLUSH_PATIENCE: Duration = Duration::from_secs(1);

/// Writes `[ seconds] message` lines to the log, or nothing when quiet.
///
/// The lines are `tracing` events with the target `urest_host`; they reach
/// stdout once a [`StdoutLog`] is installed (the binary installs one), or
/// wherever the program's own `tracing` subscriber sends them.
///
/// ```
/// use urest_host::{HostClock, Logger};
///
/// let logger = Logger::new(HostClock::new(), true);
/// logger.log(format_args!("not shown: the logger is quiet"));
/// assert!(logger.is_quiet());
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Logger {
    clock: HostClock,
    quiet: bool,
}

impl Logger {
    /// A logger stamping lines with `clock`'s elapsed time; `quiet` drops
    /// every line.
    pub fn new(clock: HostClock, quiet: bool) -> Self {
        Logger { clock, quiet }
    }

    /// Whether lines are dropped.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Log one line, stamped with the time since the host started. Never
    /// waits for the line to be written.
    pub fn log(&self, message: fmt::Arguments<'_>) {
        if self.quiet {
            return;
        }
        tracing::info!(target: TARGET, "{}", Stamped(self.clock.elapsed(), message));
    }
}

/// The log on stdout, written by a thread of its own so that a reader that
/// stops reading never stops the server.
///
/// While stdout is not being read, up to [`LOG_BUFFER_LINES`] lines wait
/// and later ones are dropped; when there is room again, the next line is
/// preceded by a count such as
/// `[  12.345] LOG: 1234 lines dropped: stdout is not being read`.
///
/// Dropping it (at exit) writes the count of lines dropped since the last
/// one, waits up to a second for the queued lines to be written, and ends
/// the writing thread. If stdout is still not being read by then, the
/// lines left are abandoned and stderr says how many were lost.
///
/// ```no_run
/// let log = urest_host::StdoutLog::install()?;
/// // ... serve ...
/// println!("{} lines dropped so far", log.dropped_lines());
/// drop(log);
/// # Ok::<(), urest_host::Error>(())
/// ```
#[derive(Debug)]
pub struct StdoutLog {
    sink: Arc<Sink>,
    guard: Option<WorkerGuard>,
}

impl StdoutLog {
    /// Start the writing thread and make it the process's `tracing`
    /// subscriber for the `urest_host` target (other targets are ignored).
    ///
    /// Fails if a `tracing` subscriber is installed already.
    pub fn install() -> Result<StdoutLog, Error> {
        let written = Arc::new(AtomicUsize::new(0));
        let (writer, guard) = NonBlockingBuilder::default()
            .lossy(true)
            .buffered_lines_limit(LOG_BUFFER_LINES)
            .thread_name("urest-host log")
            .finish(CountedStdout {
                written: Arc::clone(&written),
            });
        let sink = Arc::new(Sink {
            queue: Mutex::new(Queue {
                dropped: writer.error_counter(),
                writer,
                sent: 0,
                reported: 0,
                lost_reports: 0,
            }),
            written,
            clock: HostClock::new(),
        });
        let lines = tracing_subscriber::fmt::layer()
            .event_format(LineFormat)
            .with_writer(SinkWriter(Arc::clone(&sink)))
            .with_filter(Targets::new().with_target(TARGET, Level::INFO));
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(lines))
            .map_err(|_| Error::LogInstalled)?;
        Ok(StdoutLog {
            sink,
            guard: Some(guard),
        })
    }

    /// Queue `line` as it is, after the lines logged before it, whether or
    /// not the host's [`Logger`] is quiet. Like a log line, it is dropped if
    /// stdout has not kept up.
    pub fn print(&self, line: fmt::Arguments<'_>) {
        self.sink.line(format!("{line}\n").as_bytes());
    }

    /// Lines dropped so far because stdout was not being read, not
    /// counting the lines that report drops.
    pub fn dropped_lines(&self) -> usize {
        let queue = self.sink.lock();
        queue.dropped_lines()
    }
}

impl Drop for StdoutLog {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        let deadline = Instant::now() + FLUSH_PATIENCE;
        // Room for the count of dropped lines, then time to write it.
        self.sink
            .wait_until(deadline, |queued| queued < LOG_BUFFER_LINES);
        let unreported = {
            let mut queue = self.sink.lock();
            let stamp = Stamp(self.sink.clock.elapsed()).to_string();
            if queue.report(&stamp) {
                0
            } else {
                queue.unreported()
            }
        };
        let left = self.sink.wait_until(deadline, |queued| queued == 0);
        if left == 0 {
            // Ends the writing thread, which flushes stdout.
            drop(guard);
        } else {
            // The writing thread is stuck on a full stdout. Dropping the
            // guard would wait for it, then print a complaint to stdout,
            // which blocks too; leave the thread to end with the process.
            std::mem::forget(guard);
        }
        if unreported > 0 {
            eprintln!("urest-host: {unreported} log lines dropped: stdout is not being read");
        }
        if left > 0 {
            eprintln!("urest-host: {left} log lines not written: stdout is not being read");
        }
    }
}

/// What the lines go through on their way to the writing thread.
#[derive(Debug)]
struct Sink {
    queue: Mutex<Queue>,
    /// Lines the writing thread has finished with.
    written: Arc<AtomicUsize>,
    /// Stamps the count of dropped lines written at exit.
    clock: HostClock,
}

impl Sink {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Nothing panics while holding the lock; if something did, the
        // counts are still usable.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `line`, after the count of lines dropped before it if there
    /// are any.
    fn line(&self, line: &[u8]) {
        let mut queue = self.lock();
        if queue.unreported() > 0 {
            let stamp = stamp_of(line)
                .map_or_else(|| Stamp(self.clock.elapsed()).to_string(), str::to_owned);
            queue.report(&stamp);
        }
        queue.send(line);
    }

    /// Lines queued and not yet written.
    fn queued(&self) -> usize {
        let written = self.written.load(Ordering::Acquire);
        self.lock().queued(written)
    }

    /// Wait until `done` holds for the number of lines queued, or until
    /// `deadline`; returns the number queued.
    fn wait_until(&self, deadline: Instant, done: impl Fn(usize) -> bool) -> usize {
        loop {
            let queued = self.queued();
            if done(queued) || Instant::now() >= deadline {
                return queued;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The queue to the writing thread and the counts of what became of the
/// lines sent to it.
#[derive(Debug)]
struct Queue {
    writer: NonBlocking,
    /// Lines the queue refused because it was full, reports included.
    dropped: ErrorCounter,
    /// Lines sent to the queue, refused or not.
    sent: usize,
    /// Dropped lines already reported.
    reported: usize,
    /// Reports the queue refused.
    lost_reports: usize,
}

impl Queue {
    /// Send `line` to the writing thread; whether the queue took it.
    fn send(&mut self, line: &[u8]) -> bool {
        let before = self.dropped.dropped_lines();
        // In lossy mode a full queue counts the line instead of failing.
        let _ = self.writer.write_all(line);
        self.sent += 1;
        self.dropped.dropped_lines() == before
    }

    /// Lines dropped, not counting reports.
    fn dropped_lines(&self) -> usize {
        self.dropped
            .dropped_lines()
            .saturating_sub(self.lost_reports)
    }

    /// Lines dropped since the last report the queue took.
    fn unreported(&self) -> usize {
        self.dropped_lines().saturating_sub(self.reported)
    }

    /// Queue the count of unreported dropped lines, stamped `stamp`;
    /// whether nothing is left to report.
    fn report(&mut self, stamp: &str) -> bool {
        let unreported = self.unreported();
        if unreported == 0 {
            return true;
        }
        let line = dropped_report(stamp, unreported);
        if self.send(line.as_bytes()) {
            self.reported += unreported;
            true
        } else {
            self.lost_reports += 1;
            false
        }
    }

    /// Lines taken by the queue and not yet written, given how many have
    /// been.
    fn queued(&self, written: usize) -> usize {
        self.sent
            .saturating_sub(self.dropped.dropped_lines())
            .saturating_sub(written)
    }
}

/// The line saying `count` lines were dropped.
fn dropped_report(stamp: &str, count: usize) -> String {
    let lines = if count == 1 { "line" } else { "lines" };
    format!("{stamp} LOG: {count} {lines} dropped: stdout is not being read\n")
}

/// The `[ seconds]` stamp a log line starts with.
fn stamp_of(line: &[u8]) -> Option<&str> {
    let line = std::str::from_utf8(line).ok()?;
    let end = line.find("] ")?;
    line.starts_with('[').then(|| &line[..=end])
}

/// Hands each formatted line to the [`Sink`].
struct SinkWriter(Arc<Sink>);

impl<'a> MakeWriter<'a> for SinkWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.0)
    }
}

/// Takes one whole line per write.
struct LineWriter<'a>(&'a Sink);

impl io::Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.0.line(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Stdout for the writing thread, counting the lines it has finished with.
struct CountedStdout {
    written: Arc<AtomicUsize>,
}

impl io::Write for CountedStdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        io::stdout().write(bytes)
    }

    /// The writing thread writes each line with one call.
    fn write_all(&mut self, line: &[u8]) -> io::Result<()> {
        let result = io::stdout().write_all(line);
        self.written.fetch_add(1, Ordering::Release);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// Formats an event as its message alone on a line: the [`Logger`] has
/// stamped it already.
struct LineFormat;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        context.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Logs each request and response the HTTP layer handles, in the original MicroPython urest's
/// words: `CLIENT URI :`, `CLIENT HEAD:`, `CLIENT BODY:`, then `SERVER:`
/// with the status and body sent back.
pub(crate) struct RequestLog {
    logger: Logger,
}

impl RequestLog {
    pub(crate) fn new(logger: Logger) -> Self {
        RequestLog { logger }
    }
}

impl Observer for RequestLog {
    fn request(&self, request: &RequestInfo<'_>) {
        let log = &self.logger;
        log.log(format_args!(
            "CLIENT URI : {} {} HTTP/1.{}",
            printable(request.method.as_bytes()),
            printable(request.path.as_bytes()),
            request.version
        ));
        let mut headers = String::new();
        for (index, header) in request.headers.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            // Credentials never reach the log.
            let value = if is_secret(header.name) {
                REDACTED.to_owned()
            } else {
                printable(header.value)
            };
            let _ = write!(
                headers,
                "{separator}'{}': '{value}'",
                printable(header.name.as_bytes()),
            );
        }
        log.log(format_args!("CLIENT HEAD: {{{headers}}}"));
        if !request.body.is_empty() {
            log.log(format_args!("CLIENT BODY: {}", printable(request.body)));
        }
    }

    fn response(&self, status: u16, body: &[u8]) {
        self.logger
            .log(format_args!("SERVER: {status} {}", printable(body)));
    }
}

/// What the log shows instead of a credential.
const REDACTED: &str = "<redacted>";

/// Whether a header carries a credential: `Authorization`,
/// `Proxy-Authorization`, and the `Lock-Token` of a client lock.
fn is_secret(name: &str) -> bool {
    ["authorization", "proxy-authorization", "lock-token"]
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// A right-aligned seconds stamp: `[  12.345]`.
struct Stamp(Duration);

impl fmt::Display for Stamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:>8.3}]", self.0.as_secs_f64())
    }
}

/// A message behind its [`Stamp`].
struct Stamped<'a>(Duration, fmt::Arguments<'a>);

impl fmt::Display for Stamped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Stamp(self.0), self.1)
    }
}

/// `bytes` as text on one line: invalid UTF-8 is replaced and control
/// characters are escaped, so a client cannot forge or split log lines.
pub(crate) fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default());
            escaped
                .into_iter()
                .flatten()
                .chain((!c.is_control()).then_some(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_is_seconds_with_milliseconds() {
        let line = Stamped(Duration::from_millis(12_345), format_args!("hello")).to_string();
        assert_eq!(line, "[  12.345] hello");
        assert_eq!(stamp_of(line.as_bytes()), Some("[  12.345]"));
        assert_eq!(stamp_of(b"no stamp"), None);
    }

    #[test]
    fn the_report_counts_lines() {
        assert_eq!(
            dropped_report("[   1.000]", 1),
            "[   1.000] LOG: 1 line dropped: stdout is not being read\n"
        );
        assert_eq!(
            dropped_report("[   1.000]", 1234),
            "[   1.000] LOG: 1234 lines dropped: stdout is not being read\n"
        );
    }

    #[test]
    fn credentials_are_redacted_in_any_case() {
        for name in [
            "Authorization",
            "authorization",
            "AUTHORIZATION",
            "Proxy-Authorization",
            "lock-token",
            "Lock-Token",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in ["Host", "X-Authorization", "Content-Type"] {
            assert!(!is_secret(name), "{name}");
        }
    }

    #[test]
    fn control_characters_cannot_break_a_line() {
        assert_eq!(printable(b"a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(printable(b"{\"desired\": 1}"), "{\"desired\": 1}");
        assert_eq!(printable(&[0x66, 0xff, 0x6f]), "f\u{fffd}o");
    }
}
