//! The SVG files are well-formed, draw one line per recording, and the
//! committed copies are what the generator makes today.

use std::path::PathBuf;

use duty_plot::figures::{self, Figure};

fn figures() -> Vec<Figure> {
    figures::all().expect("every recording runs to the end")
}

#[test]
fn every_figure_is_well_formed_svg_with_one_polyline_per_series() {
    for figure in figures() {
        let text = figure.svg();
        assert!(text.starts_with("<svg"), "{}", figure.file_name);
        let document = roxmltree::Document::parse(&text)
            .unwrap_or_else(|error| panic!("{}: {error}", figure.file_name));
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        let polylines: Vec<_> = root
            .descendants()
            .filter(|node| node.has_tag_name("polyline"))
            .collect();
        assert_eq!(
            polylines.len(),
            figure.plot.series.len(),
            "{}",
            figure.file_name
        );
        for polyline in polylines {
            assert_points_inside_the_picture(&figure, polyline.attribute("points"));
        }
    }
}

fn assert_points_inside_the_picture(figure: &Figure, points: Option<&str>) {
    let text = figure.svg();
    let document = roxmltree::Document::parse(&text).expect("well-formed");
    let number = |name: &str| -> f64 {
        document
            .root_element()
            .attribute(name)
            .and_then(|value| value.parse().ok())
            .expect("width and height are numbers")
    };
    let (width, height) = (number("width"), number("height"));
    let points = points.expect("a polyline has points");
    let pairs: Vec<_> = points.split_whitespace().collect();
    assert!(pairs.len() >= 2, "{}: {points}", figure.file_name);
    for pair in pairs {
        let (x, y) = pair.split_once(',').expect("x,y");
        let (x, y): (f64, f64) = (x.parse().expect("x"), y.parse().expect("y"));
        assert!((0.0..=width).contains(&x) && (0.0..=height).contains(&y));
    }
}

#[test]
fn every_caption_line_and_the_title_appear_as_text() {
    for figure in figures() {
        let text = figure.svg();
        let document = roxmltree::Document::parse(&text).expect("well-formed");
        let texts: Vec<_> = document
            .descendants()
            .filter_map(|node| node.text())
            .collect();
        for line in figure.plot.caption.iter().chain([&figure.plot.title]) {
            assert!(texts.contains(&line.as_str()), "{line}");
        }
    }
}

#[test]
fn committed_figures_are_what_the_generator_makes_now() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/figures");
    for figure in figures() {
        let path = dir.join(figure.file_name);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert!(
            committed == figure.svg(),
            "{} is stale: run `cargo run -p duty-plot -- docs/figures`",
            path.display()
        );
    }
}
