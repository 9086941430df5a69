//! The figures page: the scheme's mean times, volumes, false alarms,
//! costs and response-target compliance by month or quarter, as charts
//! drawn by the server with their numbers in tables beside them.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use rampart_app::figures::{FiguresReport, FiguresRequest};
use rampart_domain::figures::{Figures, Granularity, Mean, Period};
use rampart_domain::{Category, SeverityClass, SourceKind};

use super::{Page, bad_filter, query_form};
use crate::AppState;
use crate::web::chart::{self, Series};
use crate::web::form::FormData;
use crate::web::session::Person;
use crate::web::view::*;

#[derive(Template, WebTemplate)]
#[template(path = "figures.html")]
pub struct FiguresPage {
    pub chrome: Chrome,
    pub filters: FormData,
    pub report: FiguresReport,
    /// The charts, as SVG markup.
    pub volumes: String,
    pub times: String,
    pub events: String,
    /// The periods offered for a management summary: (label, in words).
    pub summaries: Vec<(String, String)>,
}

/// A mean time in words: `45 min`, `3 h 20 min`, `2 d 4 h`; a dash when
/// no record had both ends.
pub fn span(m: &Mean) -> String {
    m.seconds
        .map_or_else(|| "–".to_owned(), rampart_domain::figures::duration_words)
}

/// Tenths of a percent as `12.5 %`; a dash for none.
pub fn permille(p: Option<u32>) -> String {
    p.map_or_else(|| "–".to_owned(), |p| format!("{}.{} %", p / 10, p % 10))
}

fn hours(m: &Mean) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "a chart's scale")]
    m.seconds.map(|s| s as f64 / 3600.0)
}

fn hours_label(v: f64) -> String {
    if v >= 10.0 || v == 0.0 {
        format!("{v:.0} h")
    } else {
        format!("{v:.1} h")
    }
}

fn whole(v: f64) -> String {
    format!("{v:.0}")
}

fn percent(v: f64) -> String {
    format!("{v:.0} %")
}

impl FiguresPage {
    pub fn span(&self, m: &Mean) -> String {
        span(m)
    }

    pub fn permille(&self, p: &Option<u32>) -> String {
        permille(*p)
    }

    pub fn sources(&self) -> &'static [SourceKind] {
        SourceKind::ALL
    }

    pub fn source_label(&self, s: &SourceKind) -> &'static str {
        match s {
            SourceKind::Person => "A person",
            SourceKind::Sensor => "A sensor",
        }
    }

    /// Events and incidents of the whole range by source: (label, events, incidents).
    pub fn by_source(&self) -> Vec<(&'static str, u32, u32)> {
        let t = &self.report.total;
        let count = |by: &[rampart_domain::figures::SourceCount], s: SourceKind| {
            by.iter().find(|c| c.source == s).map_or(0, |c| c.count)
        };
        SourceKind::ALL
            .iter()
            .map(|s| {
                (
                    self.source_label(s),
                    count(&t.events_by_source, *s),
                    count(&t.incidents_by_source, *s),
                )
            })
            .collect()
    }

    pub fn quarterly(&self) -> bool {
        self.report.granularity == Granularity::Quarter
    }

    /// The incidents and stage compliance of the whole range.
    pub fn total(&self) -> &Figures {
        &self.report.total
    }

    pub fn stage_label(&self, s: &rampart_domain::Stage) -> &'static str {
        s.title()
    }
}

fn filters_request(f: &FormData) -> Result<FiguresRequest, crate::web::WebError> {
    let parse = |name: &str| f.get(name).map(str::to_owned);
    Ok(FiguresRequest {
        granularity: f
            .get("granularity")
            .map(|g| Granularity::parse(g).map_err(|m| bad_filter("granularity", m)))
            .transpose()?,
        from: parse("from"),
        to: parse("to"),
        class: f
            .get("class")
            .map(|c| SeverityClass::parse(c).map_err(|m| bad_filter("class", m)))
            .transpose()?,
        category: f
            .get("category")
            .map(|c| Category::parse(c).map_err(|m| bad_filter("category", m)))
            .transpose()?,
        source: f
            .get("source")
            .map(|s| SourceKind::parse(s).map_err(|m| bad_filter("source", m)))
            .transpose()?,
    })
}

/// `GET /figures`.
pub async fn figures_page(
    State(state): State<AppState>,
    person: Person,
    RawQuery(q): RawQuery,
) -> Page {
    let filters = query_form(&q)?;
    let request = filters_request(&filters)?;
    let report = state.app.figures(&person.actor, &request).await?;
    let labels: Vec<String> = report
        .periods
        .iter()
        .map(|p| p.period.label.clone())
        .collect();
    let each = |f: &dyn Fn(&Figures) -> Option<f64>| report.periods.iter().map(f).collect();
    let unit = if report.granularity == Granularity::Quarter {
        "quarter"
    } else {
        "month"
    };
    let range = &report.total.period.label;
    #[allow(clippy::cast_precision_loss, reason = "a chart's scale")]
    let volumes = chart::columns(
        "chart-volumes",
        &format!("Incidents and events per {unit}"),
        &format!(
            "Incidents confirmed and events reported per {unit}, {range}; the numbers are in the table beside the chart."
        ),
        &labels,
        &[
            Series {
                name: "Incidents".into(),
                values: each(&|f| Some(f64::from(f.times.incidents))),
            },
            Series {
                name: "Events".into(),
                values: each(&|f| Some(f64::from(f.events))),
            },
            Series {
                name: "False alarms".into(),
                values: each(&|f| Some(f64::from(f.false_alarms))),
            },
        ],
        &whole,
    );
    let times = chart::lines(
        "chart-times",
        &format!("Mean times per {unit}, in hours"),
        &format!(
            "Mean time to detect, acknowledge, contain and resolve per {unit}, {range}, in hours; a gap where no incident had both ends. The numbers are in the table beside the chart."
        ),
        &labels,
        &[
            Series {
                name: "MTTD".into(),
                values: each(&|f| hours(&f.times.mttd)),
            },
            Series {
                name: "MTTA".into(),
                values: each(&|f| hours(&f.times.mtta)),
            },
            Series {
                name: "MTTC".into(),
                values: each(&|f| hours(&f.times.mttc)),
            },
            Series {
                name: "MTTR".into(),
                values: each(&|f| hours(&f.times.mttr)),
            },
        ],
        &hours_label,
    );
    let events = chart::lines(
        "chart-false-alarms",
        &format!("False-alarm rate per {unit}"),
        &format!(
            "Events assessed as false alarms, in percent of those assessed, per {unit}, {range}. The numbers are in the table beside the chart."
        ),
        &labels,
        &[Series {
            name: "False alarms, %".into(),
            values: each(&|f| f.false_alarm_permille.map(|p| f64::from(p) / 10.0)),
        }],
        &percent,
    );
    let now = state.app.clock().now();
    let month = Period::containing(now, Granularity::Month);
    let quarter = Period::containing(now, Granularity::Quarter);
    let summaries = vec![
        (
            month.previous(Granularity::Month).label,
            "last month".to_owned(),
        ),
        (month.label.clone(), "this month, so far".to_owned()),
        (
            quarter.previous(Granularity::Quarter).label,
            "last quarter".to_owned(),
        ),
        (quarter.label.clone(), "this quarter, so far".to_owned()),
    ];
    Ok(FiguresPage {
        chrome: Chrome::new(&person, "Figures", "/figures"),
        summaries,
        filters,
        report,
        volumes,
        times,
        events,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_sensible_units() {
        use rampart_domain::figures::duration_words as duration;
        assert_eq!(duration(59), "under 1 min");
        assert_eq!(duration(45 * 60), "45 min");
        assert_eq!(duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(duration(50 * 3600), "2 d 2 h");
        assert_eq!(
            span(&Mean {
                count: 0,
                seconds: None
            }),
            "–"
        );
        assert_eq!(permille(Some(125)), "12.5 %");
        assert_eq!(permille(None), "–");
    }
}
