//! The board's console: one line at a time to the host through
//! semihosting, each stamped with embassy time like `urest-host`'s log
//! (`[   1.234] green_led0 duty 6553/65535`), and a `log` logger on top.
//!
//! Lines are written whole in a critical section, so they never interleave.
//! A line longer than [`LINE`] bytes is cut and ends in `...`.

use core::cell::RefCell;
use core::fmt::{self, Write as _};

use cortex_m_semihosting::hio::{self, HostStream};
use critical_section::Mutex;
use log::{LevelFilter, Log, Metadata, Record};

/// The longest line written, stamp and newline included.
const LINE: usize = 320;

/// The host's standard output, opened on first use.
static HOST: Mutex<RefCell<Option<HostStream>>> = Mutex::new(RefCell::new(None));

/// Write one stamped line.
pub fn line(message: fmt::Arguments<'_>) {
    let mut text = Line::new();
    let millis = embassy_time::Instant::now().as_millis();
    let _ = write!(
        text,
        "[{:>4}.{:03}] {message}",
        millis / 1000,
        millis % 1000
    );
    let bytes = text.finish();
    critical_section::with(|cs| {
        let mut host = HOST.borrow_ref_mut(cs);
        if host.is_none() {
            *host = hio::hstdout().ok();
        }
        if let Some(out) = host.as_mut() {
            // Nowhere to report a failed write to: the console is the report.
            let _ = out.write_all(bytes);
        }
    });
}

/// Log through [`line`]: requests and connection events at `info` when
/// `requests` is set, else only warnings and errors.
pub fn init(requests: bool) {
    static CONSOLE: Console = Console;
    // Fails only if a logger is already set, which leaves that one in place.
    let _ = log::set_logger(&CONSOLE);
    log::set_max_level(if requests {
        LevelFilter::Info
    } else {
        LevelFilter::Warn
    });
}

struct Console;

impl Log for Console {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            line(*record.args());
        }
    }

    fn flush(&self) {}
}

/// A line being built: keeps what fits and marks the cut.
struct Line {
    bytes: [u8; LINE],
    len: usize,
    cut: bool,
}

impl Line {
    const fn new() -> Line {
        Line {
            bytes: [0; LINE],
            len: 0,
            cut: false,
        }
    }

    /// The line with its newline (and `...` if it was cut).
    fn finish(&mut self) -> &[u8] {
        let end: &[u8] = if self.cut { b"...\n" } else { b"\n" };
        self.len = self.len.min(LINE - end.len());
        let tail = self.len + end.len();
        if let Some(place) = self.bytes.get_mut(self.len..tail) {
            place.copy_from_slice(end);
        }
        self.bytes.get(..tail).unwrap_or_default()
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // Room for the longest ending ("...\n").
        let room = (LINE - 4).saturating_sub(self.len);
        let taken = text.len().min(room);
        if taken < text.len() {
            self.cut = true;
        }
        if let (Some(place), Some(piece)) = (
            self.bytes.get_mut(self.len..self.len + taken),
            text.as_bytes().get(..taken),
        ) {
            place.copy_from_slice(piece);
            self.len += taken;
        }
        Ok(())
    }
}
