//! Step plots of duty against time, written as SVG text.
//!
//! A PWM holds each duty until the next write, so a series is drawn as a
//! staircase: flat while the duty holds, vertical where a write changes it.
//! The output is plain SVG 1.1 with no scripts or external references, so it
//! renders the same on a code-hosting site as in a browser.

use std::fmt::Write as _;

/// One line on the plot: the duty after each write.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// What the line shows, for the legend.
    pub label: String,
    /// `(seconds, duty)` of each write, in time order.
    pub writes: Vec<(f64, u16)>,
}

/// A moment worth pointing at, drawn as a dashed vertical line.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// When, in seconds.
    pub at: f64,
    /// Text beside the line's top.
    pub label: String,
}

/// How a group of [`Ticks`] is drawn.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A red cross: a try that was refused.
    Cross,
    /// A green dot: a try that got in.
    Dot,
}

impl Symbol {
    fn colour(self) -> &'static str {
        match self {
            Symbol::Cross => "#c0392b",
            Symbol::Dot => "#2a8a3e",
        }
    }
}

/// Moments drawn as small symbols on the time axis, with one legend entry
/// for them all: for events too many or too close together for a dashed
/// [`Mark`] each, such as a client's refused tries.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// What the symbols stand for, for the legend.
    pub label: String,
    /// How each is drawn.
    pub symbol: Symbol,
    /// When, in seconds.
    pub at: Vec<f64>,
}

/// Everything one figure shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// Heading above the axes.
    pub title: String,
    /// Lines of text below the axes.
    pub caption: Vec<String>,
    /// The right end of the time axis, in seconds.
    pub seconds: f64,
    /// The top of the duty axis.
    pub max_duty: u16,
    /// The lines, each drawn as one `<polyline>`.
    pub series: Vec<Series>,
    /// Dashed markers, such as when requests arrived.
    pub marks: Vec<Mark>,
    /// Symbols on the time axis, such as refused tries.
    pub ticks: Vec<Ticks>,
}

const WIDTH: f64 = 720.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 24.0;
/// Room above the axes for the title, the legend and the marks' labels.
const TOP: f64 = 70.0;
const PLOT_HEIGHT: f64 = 220.0;
/// Room under the axes for tick labels and the axis name.
const UNDER_AXES: f64 = 48.0;
const CAPTION_LINE: f64 = 17.0;
const COLOURS: [&str; 4] = ["#1f6fb2", "#c8501e", "#2a8a3e", "#7a4fa0"];

/// The SVG text of `plot`.
///
/// ```
/// use duty_plot::svg::{render, Plot, Series, Symbol, Ticks};
///
/// let plot = Plot {
///     title: "on".into(),
///     caption: vec!["a ramp".into()],
///     seconds: 4.0,
///     max_duty: 100,
///     series: vec![Series { label: "pin".into(), writes: vec![(0.0, 0), (1.0, 50), (2.0, 100)] }],
///     marks: vec![],
///     ticks: vec![Ticks { label: "refused".into(), symbol: Symbol::Cross, at: vec![0.5, 1.5] }],
/// };
/// let svg = render(&plot);
/// assert!(svg.starts_with("<svg"));
/// assert_eq!(svg.matches("<polyline").count(), 1);
/// assert_eq!(svg.matches(r#"class="tick""#).count(), 2);
/// ```
pub fn render(plot: &Plot) -> String {
    let frame = Frame::of(plot);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#,
        w = WIDTH,
        h = frame.height,
    );
    let _ = writeln!(svg, "<title>{}</title>", escape(&plot.title));
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{}" fill="white"/>"#,
        frame.height
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(&plot.title)
    );
    draw_axes(&mut svg, plot, &frame);
    for mark in &plot.marks {
        draw_mark(&mut svg, mark, &frame);
    }
    for (index, series) in plot.series.iter().enumerate() {
        let colour = COLOURS[index % COLOURS.len()];
        draw_series(&mut svg, series, colour, &frame);
        draw_legend_entry(&mut svg, index, &series.label, colour);
    }
    for (index, ticks) in plot.ticks.iter().enumerate() {
        for &at in &ticks.at {
            draw_symbol(&mut svg, ticks.symbol, frame.x(at), frame.bottom(), "tick");
        }
        draw_ticks_legend_entry(&mut svg, plot.series.len() + index, ticks);
    }
    for (line, text) in plot.caption.iter().enumerate() {
        let y = frame.bottom() + UNDER_AXES + CAPTION_LINE * (line as f64 + 0.5);
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="{y:.1}">{}</text>"#,
            escape(text)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Where the axes sit and how data maps onto them.
struct Frame {
    seconds: f64,
    max_duty: f64,
    height: f64,
}

impl Frame {
    fn of(plot: &Plot) -> Frame {
        // End the axis on a labelled tick, so its right end reads at a glance.
        let step = tick_step(plot.seconds);
        Frame {
            seconds: (plot.seconds / step).ceil().max(1.0) * step,
            max_duty: f64::from(plot.max_duty.max(1)),
            height: TOP + PLOT_HEIGHT + UNDER_AXES + CAPTION_LINE * plot.caption.len() as f64 + 8.0,
        }
    }

    fn x(&self, seconds: f64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * (seconds / self.seconds).clamp(0.0, 1.0)
    }

    fn y(&self, duty: f64) -> f64 {
        self.bottom() - PLOT_HEIGHT * (duty / self.max_duty).clamp(0.0, 1.0)
    }

    fn bottom(&self) -> f64 {
        TOP + PLOT_HEIGHT
    }
}

fn draw_axes(svg: &mut String, plot: &Plot, frame: &Frame) {
    let right = frame.x(frame.seconds);
    let bottom = frame.bottom();
    let step = tick_step(frame.seconds);
    let mut tick = 0.0;
    while tick <= frame.seconds + 1e-9 {
        let x = frame.x(tick);
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom}" stroke="#e4e4e4"/>"##
        );
        let _ = writeln!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{tick}</text>"#,
            bottom + 16.0
        );
        tick += step;
    }
    for fifth in 0..=5u32 {
        let duty = f64::from(plot.max_duty) * f64::from(fifth) / 5.0;
        let y = frame.y(duty);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#e4e4e4"/>"##
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            duty.round()
        );
    }
    let _ = writeln!(
        svg,
        r#"<path d="M{LEFT},{TOP} V{bottom} H{right:.1}" fill="none" stroke="black"/>"#
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">time (s)</text>"#,
        (LEFT + right) / 2.0,
        bottom + 34.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="14" y="{:.1}" text-anchor="middle" transform="rotate(-90 14 {:.1})">duty</text>"#,
        TOP + PLOT_HEIGHT / 2.0,
        TOP + PLOT_HEIGHT / 2.0
    );
}

/// A tick every 1, 2, 5 or 10 seconds, whichever keeps the labels apart.
fn tick_step(seconds: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|step| seconds / step <= 12.0)
        .unwrap_or((seconds / 10.0).ceil())
}

fn draw_mark(svg: &mut String, mark: &Mark, frame: &Frame) {
    let x = frame.x(mark.at);
    let _ = writeln!(
        svg,
        r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="4 3"/>"##,
        TOP - 14.0,
        frame.bottom()
    );
    let _ = writeln!(
        svg,
        r##"<text x="{:.1}" y="{:.1}" fill="#555">{}</text>"##,
        x + 4.0,
        TOP - 6.0,
        escape(&mark.label)
    );
}

fn draw_series(svg: &mut String, series: &Series, colour: &str, frame: &Frame) {
    let mut points = String::new();
    let mut previous: Option<u16> = None;
    for &(at, duty) in &series.writes {
        let x = frame.x(at);
        if let Some(held) = previous {
            let _ = write!(points, "{x:.1},{:.1} ", frame.y(f64::from(held)));
        }
        let _ = write!(points, "{x:.1},{:.1} ", frame.y(f64::from(duty)));
        previous = Some(duty);
    }
    // The last duty holds until the end of the axis.
    if let Some(held) = previous {
        let _ = write!(
            points,
            "{:.1},{:.1}",
            frame.x(frame.seconds),
            frame.y(f64::from(held))
        );
    }
    let _ = writeln!(
        svg,
        r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round" class="series"/>"#,
        points.trim_end()
    );
}

fn draw_legend_entry(svg: &mut String, index: usize, label: &str, colour: &str) {
    // Side by side on one line under the title, clear of the plotted lines.
    let y = 44.0;
    let x = LEFT + 200.0 * index as f64;
    let _ = writeln!(
        svg,
        r#"<line x1="{x}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="2"/>"#,
        y - 4.0,
        x + 18.0,
        y - 4.0
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{y:.1}">{}</text>"#,
        x + 24.0,
        escape(label)
    );
}

/// `symbol` centred on `(x, y)`, small enough to sit on an axis between
/// its tick labels.
fn draw_symbol(svg: &mut String, symbol: Symbol, x: f64, y: f64, class: &str) {
    let colour = symbol.colour();
    let r = 4.0;
    let _ = match symbol {
        Symbol::Cross => writeln!(
            svg,
            r#"<path d="M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}" stroke="{colour}" stroke-width="2" class="{class}"/>"#,
            x - r,
            y - r,
            x + r,
            y + r,
            x - r,
            y + r,
            x + r,
            y - r
        ),
        Symbol::Dot => writeln!(
            svg,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{colour}" class="{class}"/>"#
        ),
    };
}

fn draw_ticks_legend_entry(svg: &mut String, index: usize, ticks: &Ticks) {
    // In the legend's row, after the series.
    let y = 44.0;
    let x = LEFT + 200.0 * index as f64;
    draw_symbol(svg, ticks.symbol, x + 9.0, y - 4.0, "legend");
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{y:.1}">{}</text>"#,
        x + 24.0,
        escape(&ticks.label)
    );
}

/// Text made safe for SVG character data and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plot_with(series: Vec<Series>, caption: &str) -> Plot {
        Plot {
            title: "t".into(),
            caption: vec![caption.into()],
            seconds: 10.0,
            max_duty: 100,
            series,
            marks: vec![Mark {
                at: 2.0,
                label: "B: off".into(),
            }],
            ticks: vec![],
        }
    }

    #[test]
    fn ticks_sit_on_the_time_axis_at_their_moments() {
        let mut plot = plot_with(vec![], "");
        plot.ticks.push(Ticks {
            label: "B refused".into(),
            symbol: Symbol::Dot,
            at: vec![3.0, 7.5],
        });
        let svg = render(&plot);
        let frame = Frame::of(&plot);
        for at in [3.0, 7.5] {
            let dot = format!(
                r#"cx="{:.1}" cy="{:.1}" r="4" fill="{}" class="tick""#,
                frame.x(at),
                frame.bottom(),
                Symbol::Dot.colour()
            );
            assert!(svg.contains(&dot), "{svg}");
        }
        assert!(svg.contains(">B refused</text>"));
    }

    #[test]
    fn a_held_duty_draws_a_stair_not_a_slope() {
        let series = Series {
            label: "pin".into(),
            writes: vec![(0.0, 0), (5.0, 100)],
        };
        let svg = render(&plot_with(vec![series], ""));
        let frame = Frame::of(&plot_with(vec![], ""));
        let (x0, x5, x10) = (frame.x(0.0), frame.x(5.0), frame.x(10.0));
        let (low, high) = (frame.y(0.0), frame.y(100.0));
        let expected =
            format!("{x0:.1},{low:.1} {x5:.1},{low:.1} {x5:.1},{high:.1} {x10:.1},{high:.1}");
        assert!(svg.contains(&expected), "{svg}");
    }

    #[test]
    fn caption_text_is_escaped() {
        let svg = render(&plot_with(vec![], "503 <busy> & \"retry\""));
        assert!(svg.contains("503 &lt;busy&gt; &amp; &quot;retry&quot;"));
        assert!(!svg.contains("<busy>"));
    }
}
