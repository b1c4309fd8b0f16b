//! Reporting checks in the format `run.sh` reads: `KIND NAME ... ok` or
//! `KIND NAME ... FAILED: why`, one line each, then the deepest stack and a
//! closing `N passed, M failed`.

use core::fmt::{Display, Write};

use crate::stack;

/// Counts checks as they are reported and finds the one that took the stack
/// deepest.
pub struct Tally<'w, W: Write> {
    out: &'w mut W,
    /// What a check is called in the report: `"scenario"`, `"check"`.
    kind: &'static str,
    passed: usize,
    failed: usize,
    running: &'static str,
    deepest: Option<(stack::Usage, &'static str)>,
}

impl<'w, W: Write> Tally<'w, W> {
    /// A tally that reports to `out`, calling each check a `kind`.
    pub fn new(out: &'w mut W, kind: &'static str) -> Self {
        Tally {
            out,
            kind,
            passed: 0,
            failed: 0,
            running: "",
            deepest: None,
        }
    }

    /// Announce check `name`. Printed before it runs, so that a panic's
    /// report lands on its line.
    pub fn begin(&mut self, name: &'static str) {
        let _ = write!(self.out, "{} {name} ... ", self.kind);
        self.running = name;
        stack::repaint();
    }

    /// Finish the check last begun.
    pub fn end<E: Display>(&mut self, verdict: Result<(), E>) {
        // Every task shares the one stack, so this is the deepest any of
        // them went while the check ran.
        let usage = stack::usage();
        if self.deepest.is_none_or(|(most, _)| usage.used > most.used) {
            self.deepest = Some((usage, self.running));
        }
        match verdict {
            Ok(()) => {
                self.passed += 1;
                let _ = writeln!(self.out, "ok");
            }
            Err(why) => {
                self.failed += 1;
                let _ = writeln!(self.out, "FAILED: {why}");
            }
        }
    }

    /// A line that is not a check, such as a measurement.
    pub fn note(&mut self, args: core::fmt::Arguments<'_>) {
        let _ = writeln!(self.out, "{args}");
    }

    /// Print the deepest stack and `N passed, M failed`. Whether every
    /// check passed, at least one ran, and the stack stayed in bounds.
    pub fn finish(self) -> bool {
        let mut stack_ok = true;
        match self.deepest {
            None => {
                let _ = writeln!(self.out, "no {}s to run: nothing was tested", self.kind);
            }
            Some((usage, name)) => {
                let _ = writeln!(
                    self.out,
                    "stack: deepest {} of {} bytes, in {} {name}",
                    usage.used, usage.size, self.kind
                );
                if usage.overflowed() {
                    stack_ok = false;
                    let _ = writeln!(self.out, "stack: no paint left, so it may have overflowed");
                }
            }
        }
        let _ = writeln!(self.out, "{} passed, {} failed", self.passed, self.failed);
        self.failed == 0 && self.passed > 0 && stack_ok
    }
}
