//! The management summary of a period: the headline figures against the
//! period before, the figures by severity class and category, the
//! significant incidents and the improvement actions still open. For senior
//! management, auditors and the ISIRT manager; laid out by the same
//! renderers as the Annex D reports, with the same marking and seal.

use rampart_domain::figures::{Cost, Figures, Mean, Times, duration_words};
use rampart_domain::improvement::ImprovementAction;
use rampart_domain::{Incident, Tlp};

use crate::document::{Marking, Provenance, Report, ReportKind, Section, Table, at, field, words};

/// What a summary is made of.
#[derive(Debug, Clone, Copy)]
pub struct SummarySources<'a> {
    pub current: &'a Figures,
    pub previous: &'a Figures,
    /// The significant incidents the organisation became aware of in the
    /// period, as the reader may see them.
    pub significant: &'a [Incident],
    /// Whether there were more significant incidents than those listed.
    pub more_significant: bool,
    /// Improvement actions not yet done or cancelled.
    pub open_improvements: &'a [ImprovementAction],
    /// When the summary is made, to tell overdue actions.
    pub now: rampart_domain::Timestamp,
    /// The marking of the summary (the widest its content allows).
    pub tlp: Tlp,
}

/// A mean time for people: `3 h 20 min`, `2 d 4 h`; `—` without one.
pub fn span(mean: Mean) -> String {
    mean.seconds.map_or_else(|| "—".to_owned(), duration_words)
}

/// The change from `before` to `now` as people read it: `+3`, `−2`, `±0`.
fn change(now: i64, before: i64) -> String {
    match now - before {
        0 => "±0".to_owned(),
        d if d > 0 => format!("+{d}"),
        d => format!("\u{2212}{}", -d),
    }
}

/// The change of a mean time: faster or slower, and by how much.
fn time_change(now: Mean, before: Mean) -> String {
    match (now.seconds, before.seconds) {
        (Some(n), Some(b)) if n < b => format!("faster by {}", duration_words(b - n)),
        (Some(n), Some(b)) if n > b => format!("slower by {}", duration_words(n - b)),
        (Some(_), Some(_)) => "the same".to_owned(),
        _ => "—".to_owned(),
    }
}

fn costs(c: &[Cost]) -> String {
    if c.is_empty() {
        return "none recorded".to_owned();
    }
    c.iter().map(Cost::display).collect::<Vec<_>>().join(", ")
}

fn rate(permille: Option<u32>) -> String {
    permille.map_or("—".to_owned(), |p| format!("{}.{} %", p / 10, p % 10))
}

fn compliance(f: &Figures) -> String {
    let (met, missed) = f
        .targets
        .iter()
        .fold((0, 0), |(m, x), c| (m + c.met, x + c.missed));
    if met + missed == 0 {
        return "—".to_owned();
    }
    format!(
        "{} % ({met} of {})",
        met * 100 / (met + missed),
        met + missed
    )
}

/// A period as its first and last days: `2026-Q1, 2026-01-01 to 2026-03-31 (UTC)`.
fn period(p: &rampart_domain::figures::Period) -> String {
    let day = |t: &rampart_domain::Timestamp| at(t).get(..10).unwrap_or_default().to_owned();
    format!(
        "{}, {} to {} (UTC)",
        p.label,
        day(&p.start),
        day(&p.last_second())
    )
}

/// The management summary.
pub fn management_summary(src: SummarySources<'_>, provenance: Provenance) -> Report {
    let (c, p) = (src.current, src.previous);
    let significant_now = src.significant.len();
    let mut headline = Table::new(
        &format!("{} against {}", c.period.label, p.period.label),
        &[
            ("Figure", 5),
            ("This period", 4),
            ("Previous period", 4),
            ("Change", 4),
        ],
        "",
    );
    let count = |label: &str, now: u32, before: u32| {
        vec![
            label.to_owned(),
            now.to_string(),
            before.to_string(),
            change(i64::from(now), i64::from(before)),
        ]
    };
    headline.row(count("Incidents", c.times.incidents, p.times.incidents));
    headline.row(count("Events reported", c.events, p.events));
    headline.row(vec![
        "False alarms, of the events assessed".into(),
        rate(c.false_alarm_permille),
        rate(p.false_alarm_permille),
        String::new(),
    ]);
    for (label, now, before) in [
        ("Mean time to detect (MTTD)", c.times.mttd, p.times.mttd),
        (
            "Mean time to acknowledge (MTTA)",
            c.times.mtta,
            p.times.mtta,
        ),
        ("Mean time to contain (MTTC)", c.times.mttc, p.times.mttc),
        ("Mean time to resolve (MTTR)", c.times.mttr, p.times.mttr),
    ] {
        headline.row(vec![
            label.to_owned(),
            span(now),
            span(before),
            time_change(now, before),
        ]);
    }
    headline.row(vec![
        "Response-time targets met".into(),
        compliance(c),
        compliance(p),
        String::new(),
    ]);
    headline.row(vec![
        "Cost of incidents".into(),
        costs(&c.costs),
        costs(&p.costs),
        String::new(),
    ]);
    let overview = Section::new("Headline figures")
        .fields(vec![
            field("Period", Some(period(&c.period))),
            field("Significant incidents", Some(significant_now)),
            field("Improvement actions open", Some(src.open_improvements.len())),
        ])
        .table(headline)
        .note("Exercises are not counted. Mean times count only the incidents where both ends are known.");

    let times_table = |caption: &str, first: &str, rows: Vec<(String, Times)>, empty: &str| {
        let mut t = Table::new(
            caption,
            &[
                (first, 4),
                ("Incidents", 2),
                ("MTTD", 3),
                ("MTTA", 3),
                ("MTTC", 3),
                ("MTTR", 3),
            ],
            empty,
        );
        for (name, times) in rows {
            t.row(vec![
                name,
                times.incidents.to_string(),
                span(times.mttd),
                span(times.mtta),
                span(times.mttc),
                span(times.mttr),
            ]);
        }
        t
    };
    let breakdown = Section::new("By severity class and category")
        .table(times_table(
            "By severity class",
            "Class",
            c.by_class
                .iter()
                .map(|c| (c.class.to_string(), c.times))
                .collect(),
            "No incidents in the period.",
        ))
        .table(times_table(
            "By category",
            "Category",
            c.by_category
                .iter()
                .map(|c| (words(c.category.as_str()), c.times))
                .collect(),
            "No incidents in the period.",
        ));
    let mut rsit = Table::new(
        "By RSIT type",
        &[("RSIT type", 6), ("Incidents", 2)],
        "No incidents in the period.",
    );
    for r in &c.by_rsit {
        rsit.row(vec![r.rsit_type.clone(), r.count.to_string()]);
    }
    let mut sources = Table::new(
        "Events by source",
        &[("Source", 6), ("Events", 2)],
        "No events in the period.",
    );
    for s in &c.events_by_source {
        sources.row(vec![words(s.source.as_str()), s.count.to_string()]);
    }
    let mut targets = Table::new(
        "Response-time targets by stage",
        &[("Stage", 5), ("Met", 2), ("Missed", 2), ("Met, %", 2)],
        "No stage was completed in the period.",
    );
    for t in &c.targets {
        targets.row(vec![
            t.stage.title().to_owned(),
            t.met.to_string(),
            t.missed.to_string(),
            t.percent.map(|p| p.to_string()).unwrap_or_default(),
        ]);
    }
    let volumes = Section::new("Volumes and targets")
        .table(rsit)
        .table(sources)
        .table(targets);

    let mut incidents = Table::new(
        "Significant incidents of the period",
        &[
            ("Incident", 3),
            ("Title", 7),
            ("Class", 2),
            ("Status", 2),
            ("Aware (UTC)", 3),
            ("Closed (UTC)", 3),
        ],
        "No significant incident in the period.",
    );
    for i in src.significant {
        incidents.row(vec![
            i.number.to_string(),
            i.title.to_string(),
            i.severity.class.to_string(),
            words(i.status.as_str()),
            at(&i.aware_at),
            i.closed_at.as_ref().map(at).unwrap_or_default(),
        ]);
    }
    let mut actions = Table::new(
        "Improvement actions still open",
        &[
            ("Action", 3),
            ("What", 7),
            ("Owner", 3),
            ("Due (UTC)", 3),
            ("Status", 2),
        ],
        "No improvement action is open.",
    );
    for a in src.open_improvements {
        let overdue = a.due.is_some_and(|d| d < src.now);
        actions.row(vec![
            a.id.clone(),
            a.what.to_string(),
            a.owner.to_string(),
            a.due.as_ref().map(at).unwrap_or_default(),
            if overdue {
                format!("{}, overdue", words(a.status.as_str()))
            } else {
                words(a.status.as_str())
            },
        ]);
    }
    Report {
        kind: ReportKind::Summary,
        heading: ReportKind::Summary.heading(),
        number: c.period.label.clone(),
        title: format!("Information security incidents, {}", c.period.label),
        tlp: Marking::of(src.tlp),
        provenance,
        sections: vec![
            overview,
            breakdown,
            volumes,
            if src.more_significant {
                Section::new("Significant incidents")
                    .table(incidents)
                    .note(format!(
                        "Only the first {} are listed.",
                        src.significant.len()
                    ))
            } else {
                Section::new("Significant incidents").table(incidents)
            },
            Section::new("Lessons learned: open improvement actions").table(actions),
        ],
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::Timestamp;
    use rampart_domain::figures::{Granularity, Period, figures};

    use super::*;
    use crate::document::when;

    #[test]
    fn mean_times_and_changes_read_as_people_say_them() {
        let m = |s| Mean {
            count: 1,
            seconds: Some(s),
        };
        assert_eq!(span(m(59)), "under 1 min");
        assert_eq!(span(m(3 * 3600 + 20 * 60)), "3 h 20 min");
        assert_eq!(span(m(2 * 86_400 + 4 * 3600)), "2 d 4 h");
        assert_eq!(span(Mean::default()), "—");
        assert_eq!(time_change(m(3600), m(7200)), "faster by 1 h 0 min");
        assert_eq!(time_change(m(7200), m(3600)), "slower by 1 h 0 min");
        assert_eq!(change(3, 5), "\u{2212}2");
        assert_eq!(change(5, 3), "+2");
        assert_eq!(rate(Some(125)), "12.5 %");
    }

    #[test]
    fn an_empty_period_still_makes_a_summary_that_says_so() {
        let now = Timestamp::parse("2026-04-02T00:00:00Z").unwrap();
        let q = Period::containing(now, Granularity::Quarter);
        let current = figures(q.clone(), &[], &[]);
        let previous = figures(q.previous(Granularity::Quarter), &[], &[]);
        let report = management_summary(
            SummarySources {
                current: &current,
                previous: &previous,
                significant: &[],
                more_significant: false,
                open_improvements: &[],
                now,
                tlp: Tlp::Amber,
            },
            Provenance {
                seq: 1,
                head: "ab".repeat(32),
                key: "cd".repeat(32),
                made_at: when(&now),
                made_by: "mia".into(),
            },
        );
        assert_eq!(report.number, "2026-Q2");
        let md = crate::markdown::render(&report);
        assert!(md.contains("| Incidents | 0 | 0 | ±0 |"), "{md}");
        assert!(
            md.contains("No significant incident in the period."),
            "{md}"
        );
        assert!(md.contains("2026-Q2 against 2026-Q1"), "{md}");
    }

    /// A quarter with incidents of two classes against an empty one before
    /// it, typeset (and kept for looking at when `RAMPART_REPORT_SAMPLES`
    /// names a directory).
    #[cfg(feature = "pdf")]
    #[test]
    fn a_quarter_is_summarised_against_the_one_before() {
        use rampart_domain::figures::IncidentFacts;
        use rampart_domain::{Category, SeverityClass, SourceKind, Stage, TargetState};
        let t = |s: &str| Timestamp::parse(s).unwrap();
        let facts = |class, aware: &str, closed: Option<&str>| IncidentFacts {
            class,
            category: Category::MALWARE,
            rsit_type: Some("infected-system".into()),
            source: Some(SourceKind::Sensor),
            exercise: false,
            occurred_at: None,
            discovered_at: None,
            reported_at: t(aware),
            aware_at: t(aware),
            confirmed_at: t(aware),
            contained_at: None,
            closed_at: closed.map(t),
            costs: vec![],
            targets: vec![(Stage::Close, TargetState::Met)],
        };
        let incidents = [
            facts(
                SeverityClass::IV,
                "2026-02-01T10:00:00Z",
                Some("2026-02-03T10:00:00Z"),
            ),
            facts(
                SeverityClass::II,
                "2026-03-01T10:00:00Z",
                Some("2026-03-01T14:00:00Z"),
            ),
            facts(SeverityClass::II, "2025-12-01T10:00:00Z", None),
        ];
        let now = t("2026-04-02T00:00:00Z");
        let q1 = Period::containing(t("2026-02-01T00:00:00Z"), Granularity::Quarter);
        let current = figures(q1.clone(), &incidents, &[]);
        let previous = figures(q1.previous(Granularity::Quarter), &incidents, &[]);
        let report = management_summary(
            SummarySources {
                current: &current,
                previous: &previous,
                significant: &[],
                more_significant: false,
                open_improvements: &[],
                now,
                tlp: Tlp::Amber,
            },
            Provenance {
                seq: 7,
                head: "ab".repeat(32),
                key: "cd".repeat(32),
                made_at: when(&now),
                made_by: "mia".into(),
            },
        );
        let md = crate::markdown::render(&report);
        assert!(md.contains("| Incidents | 2 | 1 | +1 |"), "{md}");
        assert!(
            md.contains("| Period | 2026-Q1, 2026-01-01 to 2026-03-31 (UTC) |"),
            "{md}"
        );
        // (48 h + 4 h) / 2 against none closed.
        assert!(
            md.contains("| Mean time to resolve (MTTR) | 26 h 0 min | — | — |"),
            "{md}"
        );
        assert!(
            md.contains("| Response-time targets met | 100 % (2 of 2) | 100 % (1 of 1) |  |"),
            "{md}"
        );
        let pdf = crate::pdf::render(&report).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(dir) = std::env::var_os("RAMPART_REPORT_SAMPLES") {
            std::fs::write(std::path::Path::new(&dir).join("summary.pdf"), &pdf).unwrap();
        }
    }
}
