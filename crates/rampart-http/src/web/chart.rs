//! Charts drawn by the server as SVG: read without JavaScript, named and
//! described for screen readers (`role="img"` with a title and a
//! description), told apart by shape as well as colour (line dashes, a
//! legend), and always shown beside a table holding their numbers.

use std::fmt::Write as _;

use rampart_domain::escape_html;

/// One series of a chart: a value per label, `None` where there is none.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 40.0;
/// Line dashes per series, so lines differ without colour.
const DASHES: [&str; 4] = ["", "6 3", "2 3", "10 3 2 3"];

/// A round step for the axis (1, 2 or 5 times a power of ten) giving at
/// most five steps up to `max`, and the top: the first step at or above it.
fn scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.25);
    }
    let magnitude = 10f64.powf((max / 5.0).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        let step = m * magnitude;
        let steps = (max / step).ceil();
        if steps <= 5.0 {
            return (steps * step, step);
        }
    }
    (max, max / 4.0)
}

/// The frame: the title and description, the grid, the axis values and
/// the labels (every few, when many).
fn frame(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    top: f64,
    step: f64,
    unit: &dyn Fn(f64) -> String,
) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMinYMin meet"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_html(title),
        escape_html(desc)
    );
    let plot = HEIGHT - TOP - BOTTOM;
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let y = TOP + plot - v / top * plot;
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape_html(&unit(v))
        );
        v += step;
    }
    let n = labels.len().max(1);
    let every = n.div_ceil(6);
    let slot = (WIDTH - LEFT - RIGHT) / n as f64;
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 {
            let x = LEFT + slot * (i as f64 + 0.5);
            let _ = write!(
                svg,
                r#"<text class="axis" x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
                HEIGHT - BOTTOM + 18.0,
                escape_html(label)
            );
        }
    }
    svg
}

fn max_of(series: &[Series]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0, |m: f64, v| m.max(*v))
}

/// A chart begun: its frame drawn, and the measures that place its marks.
struct Canvas {
    svg: String,
    /// The axis's top value.
    top: f64,
    /// The plot's height.
    plot: f64,
    /// The width each label takes.
    slot: f64,
}

impl Canvas {
    fn new(
        id: &str,
        title: &str,
        desc: &str,
        labels: &[String],
        series: &[Series],
        unit: &dyn Fn(f64) -> String,
    ) -> Self {
        let (top, step) = scale(max_of(series));
        Self {
            svg: frame(id, title, desc, labels, top, step, unit),
            top,
            plot: HEIGHT - TOP - BOTTOM,
            slot: (WIDTH - LEFT - RIGHT) / labels.len().max(1) as f64,
        }
    }

    /// The height of a value.
    fn height(&self, v: f64) -> f64 {
        v / self.top * self.plot
    }

    /// The legend and the end.
    fn finish(mut self, series: &[Series], lines: bool) -> String {
        self.svg.push_str(&legend(series, lines));
        self.svg.push_str("</svg>");
        self.svg
    }
}

/// What a mark says on hover: the series, the label and the value.
fn tip(s: &Series, labels: &[String], i: usize, v: f64, unit: &dyn Fn(f64) -> String) -> String {
    format!(
        "<title>{}, {}: {}</title>",
        escape_html(&s.name),
        escape_html(labels.get(i).map(String::as_str).unwrap_or("")),
        escape_html(&unit(v))
    )
}

/// Grouped columns: one group per label, a column per series.
pub fn columns(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[Series],
    unit: &dyn Fn(f64) -> String,
) -> String {
    let mut c = Canvas::new(id, title, desc, labels, series, unit);
    let width = (c.slot * 0.8) / series.len().max(1) as f64;
    for (k, s) in series.iter().enumerate() {
        for (i, value) in s.values.iter().enumerate() {
            let Some(value) = value else { continue };
            let h = c.height(*value);
            let x = LEFT + c.slot * i as f64 + c.slot * 0.1 + width * k as f64;
            let _ = write!(
                c.svg,
                r#"<rect class="s{k}" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}">{}</rect>"#,
                TOP + c.plot - h,
                (width - 1.0).max(1.0),
                tip(s, labels, i, *value, unit)
            );
        }
    }
    c.finish(series, false)
}

/// Lines: a point per label where the series has a value, joined where
/// neighbours both have one.
pub fn lines(
    id: &str,
    title: &str,
    desc: &str,
    labels: &[String],
    series: &[Series],
    unit: &dyn Fn(f64) -> String,
) -> String {
    let mut c = Canvas::new(id, title, desc, labels, series, unit);
    for (k, s) in series.iter().enumerate() {
        let point =
            |i: usize, v: f64| (LEFT + c.slot * (i as f64 + 0.5), TOP + c.plot - c.height(v));
        let mut path = String::new();
        let mut marks = String::new();
        let mut open = false;
        for (i, value) in s.values.iter().enumerate() {
            let Some(v) = value else {
                open = false;
                continue;
            };
            let (x, y) = point(i, *v);
            let _ = write!(path, "{}{x:.1} {y:.1} ", if open { "L" } else { "M" });
            open = true;
            let _ = write!(
                marks,
                r#"<circle class="s{k}" cx="{x:.1}" cy="{y:.1}" r="3">{}</circle>"#,
                tip(s, labels, i, *v, unit)
            );
        }
        if !path.is_empty() {
            let _ = write!(
                c.svg,
                r#"<path class="line s{k}" d="{}" stroke-dasharray="{}"/>"#,
                path.trim_end(),
                DASHES[k % DASHES.len()]
            );
        }
        c.svg.push_str(&marks);
    }
    c.finish(series, true)
}

/// The legend, along the bottom edge.
fn legend(series: &[Series], lines: bool) -> String {
    if series.len() < 2 {
        return String::new();
    }
    let mut out = String::from(r#"<g class="legend" aria-hidden="true">"#);
    let mut x = LEFT;
    let y = HEIGHT - 8.0;
    for (k, s) in series.iter().enumerate() {
        if lines {
            let _ = write!(
                out,
                r#"<line class="line s{k}" x1="{x:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke-dasharray="{}"/>"#,
                x + 18.0,
                y - 4.0,
                y - 4.0,
                DASHES[k % DASHES.len()]
            );
        } else {
            let _ = write!(
                out,
                r#"<rect class="s{k}" x="{x:.1}" y="{:.1}" width="12" height="10"/>"#,
                y - 9.0
            );
        }
        let _ = write!(
            out,
            r#"<text class="axis" x="{:.1}" y="{y:.1}">{}</text>"#,
            x + 22.0,
            escape_html(&s.name)
        );
        x += 34.0 + 7.0 * s.name.chars().count() as f64;
    }
    out.push_str("</g>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: f64) -> String {
        format!("{v:.0}")
    }

    #[test]
    fn axes_end_on_round_values() {
        assert_eq!(scale(0.0), (1.0, 0.25));
        assert_eq!(scale(7.0), (8.0, 2.0));
        assert_eq!(scale(6.0), (6.0, 2.0));
        assert_eq!(scale(100.0), (100.0, 20.0));
        assert_eq!(scale(101.0), (150.0, 50.0));
        assert_eq!(scale(0.5), (0.5, 0.1));
        assert_eq!(scale(f64::NAN), (1.0, 0.25));
    }

    #[test]
    fn a_chart_is_named_described_and_escaped() {
        let labels = vec!["2026-01".to_owned(), "<b>".to_owned()];
        let svg = columns(
            "c",
            "Incidents & events",
            "Per month",
            &labels,
            &[
                Series {
                    name: "Incidents".into(),
                    values: vec![Some(3.0), None],
                },
                Series {
                    name: "Events".into(),
                    values: vec![Some(9.0), Some(1.0)],
                },
            ],
            &count,
        );
        assert!(svg.starts_with(r#"<svg class="chart" id="c""#));
        assert!(svg.contains(r#"role="img" aria-labelledby="c-title c-desc""#));
        assert!(svg.contains("<title id=\"c-title\">Incidents &amp; events</title>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        // Three columns (no value, no column) and a legend of two.
        assert_eq!(svg.matches("<rect class=\"s").count(), 3 + 2);
        assert!(svg.contains("<title>Events, 2026-01: 9</title>"));
        let svg = lines(
            "l",
            "Times",
            "Hours",
            &labels,
            &[Series {
                name: "MTTR".into(),
                values: vec![Some(1.0), Some(2.0)],
            }],
            &count,
        );
        assert!(svg.contains(r#"<path class="line s0" d="M"#));
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
