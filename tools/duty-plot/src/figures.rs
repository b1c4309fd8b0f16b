//! The figures of `docs/concurrency.md`: which recordings, and what their
//! captions say.
//!
//! Every number in a caption is read from the recording or from the answers
//! the clients got, so a change in the controller changes the words along
//! with the lines.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use urest_core::controller::Policy;
use urest_core::resource::{Error, Outcome};
use urest_core::time::Instant;
use urest_mock::interleaving::reversals;

use urest_core::coord::{Refused, Reply};

use crate::scenario::{self, Attempt, LockedRecording, Recording, Request, ScenarioError};
use crate::svg::{self, Mark, Plot, Series, Symbol, Ticks};

/// One figure: its file name, the recording it draws, and the plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// The SVG's file name, such as `policy-fifo.svg`.
    pub file_name: &'static str,
    /// What the pin saw.
    pub recording: Recording,
    /// What is drawn.
    pub plot: Plot,
}

impl Figure {
    /// The SVG text.
    pub fn svg(&self) -> String {
        svg::render(&self.plot)
    }
}

/// Every figure, in the order the document shows them: the lock-less fight,
/// then Fifo, Reject and Preempt, then two clients taking turns under a
/// client lock. All share one time axis so they compare at a glance.
pub fn all() -> Result<Vec<Figure>, ScenarioError> {
    let recordings = [
        ("two-clients-no-lock.svg", scenario::without_lock()?),
        ("policy-fifo.svg", scenario::with_policy(Policy::Fifo)?),
        ("policy-reject.svg", scenario::with_policy(Policy::Reject)?),
        (
            "policy-preempt.svg",
            scenario::with_policy(Policy::Preempt)?,
        ),
    ];
    let locked = scenario::locked_sequence()?;
    let seconds = recordings
        .iter()
        .map(|(_, recording)| recording)
        .chain([&locked.recording])
        .map(|recording| seconds(recording.ended))
        .fold(0.0, f64::max)
        .ceil();
    let mut figures: Vec<Figure> = recordings
        .into_iter()
        .map(|(file_name, recording)| Figure {
            file_name,
            plot: plot(&recording, seconds),
            recording,
        })
        .collect();
    figures.push(Figure {
        file_name: "lock-sequence.svg",
        plot: locked_plot(&locked, seconds),
        recording: locked.recording,
    });
    Ok(figures)
}

/// Why the figures could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// A recording could not be made.
    Scenario(ScenarioError),
    /// The file system refused.
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Scenario(error) => error.fmt(f),
            WriteError::Io(path, error) => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for WriteError {}

/// Record every figure and write its SVG into `dir` (made if missing),
/// returning the paths written.
pub fn write_all(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    fs::create_dir_all(dir).map_err(|error| WriteError::Io(dir.to_path_buf(), error))?;
    let figures = all().map_err(WriteError::Scenario)?;
    let mut written = Vec::with_capacity(figures.len());
    for figure in figures {
        let path = dir.join(figure.file_name);
        fs::write(&path, figure.svg()).map_err(|error| WriteError::Io(path.clone(), error))?;
        written.push(path);
    }
    Ok(written)
}

fn plot(recording: &Recording, seconds_shown: f64) -> Plot {
    let (title, caption) = match recording.policy {
        None => without_lock_words(recording),
        Some(Policy::Fifo) => fifo_words(recording),
        Some(Policy::Reject) => reject_words(recording),
        Some(Policy::Preempt) => preempt_words(recording),
    };
    Plot {
        title,
        caption,
        seconds: seconds_shown,
        max_duty: recording.max_duty,
        series: vec![Series {
            label: "duty on the pin".into(),
            writes: recording
                .writes
                .iter()
                .map(|write| (seconds(write.at), write.duty))
                .collect(),
        }],
        marks: recording
            .requests
            .iter()
            .map(|request| Mark {
                at: seconds(request.at),
                label: format!("{}: {}", request.client, request.switch.name()),
            })
            .collect(),
        ticks: vec![],
    }
}

/// A's changes and the lock as dashed marks; B's tries, too close to the
/// release for a label each, as symbols on the time axis.
fn locked_plot(story: &LockedRecording, seconds_shown: f64) -> Plot {
    let recording = &story.recording;
    let a_changes: Vec<&Attempt> = story
        .attempts
        .iter()
        .filter(|attempt| attempt.client == "A")
        .collect();
    let mut marks: Vec<Mark> = a_changes
        .iter()
        .map(|attempt| Mark {
            at: seconds(attempt.at),
            label: if attempt.at == story.held.0 {
                format!("A: lock, {}", attempt.switch.name())
            } else {
                format!("A: {}", attempt.switch.name())
            },
        })
        .collect();
    marks.push(Mark {
        at: seconds(story.held.1),
        label: "A: release".into(),
    });
    let b_in = story
        .attempts
        .iter()
        .find(|attempt| attempt.client == "B" && attempt.answer.is_ok());
    let refused_at: Vec<f64> = story
        .refused_tries()
        .map(|attempt| seconds(attempt.at))
        .collect();
    Plot {
        title: "Client lock: A's on, off, on whole; B refused until A releases".into(),
        caption: locked_words(story, &a_changes, b_in),
        seconds: seconds_shown,
        max_duty: recording.max_duty,
        series: vec![Series {
            label: "duty on the pin".into(),
            writes: recording
                .writes
                .iter()
                .map(|write| (seconds(write.at), write.duty))
                .collect(),
        }],
        marks,
        ticks: vec![
            Ticks {
                label: "B: off → 423 Locked".into(),
                symbol: Symbol::Cross,
                at: refused_at,
            },
            Ticks {
                label: "B: off → 202 Accepted".into(),
                symbol: Symbol::Dot,
                at: b_in
                    .map(|attempt| seconds(attempt.at))
                    .into_iter()
                    .collect(),
            },
        ],
    }
}

fn locked_words(
    story: &LockedRecording,
    a_changes: &[&Attempt],
    b_in: Option<&Attempt>,
) -> Vec<String> {
    let list = |times: &[f64]| match times {
        [] => String::new(),
        [only] => format!("{only}"),
        [rest @ .., last] => {
            let rest: Vec<String> = rest.iter().map(|t| t.to_string()).collect();
            format!("{} and {last}", rest.join(", "))
        }
    };
    let a_list: Vec<String> = a_changes
        .iter()
        .map(|attempt| format!("{} at {} s", attempt.switch.name(), seconds(attempt.at)))
        .collect();
    let all_run_at_once = a_changes.iter().all(|attempt| {
        matches!(
            attempt.answer,
            Ok(Reply {
                outcome: Outcome::Accepted { position: 0, .. },
                ..
            })
        )
    });
    let refused: Vec<&Attempt> = story.refused_tries().collect();
    let refused_times: Vec<f64> = refused.iter().map(|attempt| seconds(attempt.at)).collect();
    let first_lease_left = refused.first().and_then(|attempt| match &attempt.answer {
        Err(Refused::Locked { remaining, .. }) => Some(remaining.as_millis() as f64 / 1_000.0),
        _ => None,
    });
    // A try is made while the LED is idle when A's latest change had
    // completed by then: only the lock, not the policy, refuses it.
    let idle_times: Vec<f64> = refused
        .iter()
        .filter(|attempt| {
            a_changes
                .iter()
                .rev()
                .find(|change| change.at <= attempt.at)
                .is_some_and(|change| match change.answer {
                    Ok(Reply {
                        outcome: Outcome::Accepted { completes_at, .. },
                        ..
                    }) => completes_at <= attempt.at,
                    _ => false,
                })
        })
        .map(|attempt| seconds(attempt.at))
        .collect();
    let mut caption = vec![
        format!(
            "A locks at {} s (lease {} s) and sets {}: {}.",
            seconds(story.held.0),
            story.lock.expires_at.duration_since(story.held.0).as_secs(),
            a_list.join(", "),
            if all_run_at_once {
                "each 202 Accepted, run at once"
            } else {
                "answers vary"
            }
        ),
        format!(
            "B's off at {} s (×) is refused: 423 Locked by {}, with the lease left ({} s at {} s).",
            list(&refused_times),
            story.lock.owner,
            first_lease_left.unwrap_or(0.0),
            refused_times.first().copied().unwrap_or(0.0)
        ),
    ];
    if !idle_times.is_empty() {
        caption.push(format!(
            "At {} s the LED is idle between A's changes: only the lock keeps B out.",
            list(&idle_times)
        ));
    }
    caption.push(match b_in {
        Some(b) => format!(
            "A releases at {} s; B's next try, at {} s (●), is 202 Accepted; its off-ramp ends at {} s.",
            seconds(story.held.1),
            seconds(b.at),
            last_write_time(&story.recording)
        ),
        None => format!("A releases at {} s; B never gets in.", seconds(story.held.1)),
    });
    caption
}

fn without_lock_words(recording: &Recording) -> (String, Vec<String>) {
    let b_at = request_time(recording, "B");
    let last = last_write_time(recording);
    (
        "Two clients, no lock: the ramps fight over one pin".into(),
        vec![
            format!(
                "A starts the original MicroPython urest's slow-on at 0 s, B its slow-off at {b_at} s. Nothing orders them,"
            ),
            "so each writes the pin in turn while the other sleeps: the duty jumps between the two".into(),
            format!(
                "ramps, changing direction {} times before the last write at {last} s.",
                reversals(&recording.duties())
            ),
        ],
    )
}

fn fifo_words(recording: &Recording) -> (String, Vec<String>) {
    let top = first_time_at(recording, recording.max_duty);
    let mut caption = answers_lines(recording);
    caption.extend([
        format!(
            "The on-ramp runs undisturbed to full scale at {top} s; then B's off-ramp starts from there"
        ),
        format!("and reaches 0 at {} s.", last_write_time(recording)),
    ]);
    ("Fifo: B's change waits its turn".into(), caption)
}

fn reject_words(recording: &Recording) -> (String, Vec<String>) {
    let mut caption = answers_lines(recording);
    caption.push(format!(
        "The duty only rises, to full scale at {} s. B must retry to turn the LED off.",
        first_time_at(recording, recording.max_duty)
    ));
    (
        "Reject: B is refused, A's ramp runs undisturbed".into(),
        caption,
    )
}

fn preempt_words(recording: &Recording) -> (String, Vec<String>) {
    let b_at = recording.request_of("B").map_or(Instant::ZERO, |b| b.at);
    let level = recording.duty_at(b_at).unwrap_or(0);
    let mut caption = answers_lines(recording);
    caption.extend([
        format!(
            "At {} s the duty is {level}; B's off-ramp replaces A's on-ramp from there, without a jump,",
            seconds(b_at)
        ),
        format!(
            "stepping down at the same rate and reaching 0 at {} s.",
            last_write_time(recording)
        ),
    ]);
    (
        "Preempt: the latest command wins, from the current level".into(),
        caption,
    )
}

/// One line per request: `B: off at 3.5 s → 503 busy, free again in 6.5 s`.
fn answers_lines(recording: &Recording) -> Vec<String> {
    recording
        .requests
        .iter()
        .map(|request| {
            format!(
                "{}: {} at {} s → {}",
                request.client,
                request.switch.name(),
                seconds(request.at),
                answer_words(request)
            )
        })
        .collect()
}

/// The answer as the HTTP layer would put it.
fn answer_words(request: &Request) -> String {
    match &request.answer {
        None => "no answer to wait for".into(),
        Some(Ok(Outcome::Done)) => "200 OK".into(),
        Some(Ok(Outcome::Accepted {
            position,
            completes_at,
            ..
        })) => format!(
            "202 Accepted, position {position}, done by {} s",
            seconds(*completes_at)
        ),
        Some(Err(error)) => match error.retry_after() {
            Some(after) => format!(
                "503 {}, free again in {} s",
                refusal_name(error),
                after.as_millis() as f64 / 1_000.0
            ),
            None => error.to_string(),
        },
    }
}

fn refusal_name(error: &Error) -> &'static str {
    match error {
        Error::QueueFull { .. } => "queue full",
        _ => "busy",
    }
}

fn request_time(recording: &Recording, client: &str) -> f64 {
    recording
        .request_of(client)
        .map_or(0.0, |request| seconds(request.at))
}

fn last_write_time(recording: &Recording) -> f64 {
    recording
        .writes
        .last()
        .map_or(0.0, |write| seconds(write.at))
}

fn first_time_at(recording: &Recording, duty: u16) -> f64 {
    recording
        .writes
        .iter()
        .find(|write| write.duty == duty)
        .map_or(0.0, |write| seconds(write.at))
}

/// Whole milliseconds as seconds, so `3.5` prints as `3.5`, not `3.5000001`.
fn seconds(at: Instant) -> f64 {
    (at.as_micros() / 1_000) as f64 / 1_000.0
}
