//! Judging checks and reporting them in the format `run.sh` reads.

use core::fmt::{Debug, Write};

use urest_qemu::stack;

pub use urest_scenarios::Failure;

/// What a check concluded.
pub type Verdict = Result<(), Failure>;

/// Fail with `what` unless `condition` holds.
pub fn ensure(condition: bool, what: &str) -> Verdict {
    if condition {
        Ok(())
    } else {
        Err(Failure::new(format_args!("{what}")))
    }
}

/// Fail unless `actual == expected`, showing both.
pub fn ensure_eq<T: PartialEq + Debug>(actual: T, expected: T, what: &str) -> Verdict {
    if actual == expected {
        Ok(())
    } else {
        Err(Failure::new(format_args!(
            "{what}: got {actual:?}, expected {expected:?}"
        )))
    }
}

/// Counts checks as they are reported: `check NAME ... ok` or
/// `check NAME ... FAILED: why`, one line each, and finds the check that
/// took the stack deepest.
pub struct Tally<'w, W: Write> {
    out: &'w mut W,
    passed: usize,
    failed: usize,
    running: &'static str,
    deepest: Option<(stack::Usage, &'static str)>,
}

impl<'w, W: Write> Tally<'w, W> {
    /// A tally that reports to `out`.
    pub fn new(out: &'w mut W) -> Self {
        Tally {
            out,
            passed: 0,
            failed: 0,
            running: "",
            deepest: None,
        }
    }

    /// Announce check `name`. Printed before it runs, so that a panic's
    /// report lands on its line.
    pub fn begin(&mut self, name: &'static str) {
        let _ = write!(self.out, "check {name} ... ");
        self.running = name;
        stack::repaint();
    }

    /// Finish the check last begun.
    pub fn end(&mut self, verdict: Verdict) {
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
        if let Some((usage, name)) = self.deepest {
            let _ = writeln!(
                self.out,
                "stack: deepest {} of {} bytes, in check {name}",
                usage.used, usage.size
            );
            if usage.overflowed() {
                stack_ok = false;
                let _ = writeln!(self.out, "stack: no paint left, so it may have overflowed");
            }
        }
        let _ = writeln!(self.out, "{} passed, {} failed", self.passed, self.failed);
        self.failed == 0 && self.passed > 0 && stack_ok
    }
}
