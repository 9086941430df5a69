//! The incident's notification clocks in the workspace: the clocks panel and
//! its three forms (a regime applies, a moment a clock runs from, a report
//! sent). A refused form shows the page again with its fields named.

use std::sync::Arc;

use axum::extract::{Path, State};
use rampart_domain::regulatory::{
    Anchor, AppliedRegime, ClockState, ClockStatus, Obligations, Regime, RegulatoryRules, Span,
};
use rampart_domain::{Actor, AnchorInput, RegimeDecision, SubmissionInput, Text, Timestamp};

use super::incidents::IncidentRecord;
use super::{Page, record_form};
use crate::AppState;
use crate::web::session::Posted;
use crate::web::view::{Human, label, span};

/// The marker naming which clocks form was posted.
pub const CLOCKS_FORM: &str = "_clocks";

/// What the clocks panel shows.
pub struct ClocksSection {
    pub clocks: Vec<ClockStatus>,
    pub obligations: Obligations,
    pub rules: Arc<RegulatoryRules>,
    pub now: Timestamp,
}

impl ClocksSection {
    pub fn regimes(&self) -> &[Regime] {
        &self.rules.regimes
    }

    pub fn applied(&self, regime: &str) -> Option<&AppliedRegime> {
        self.obligations.regimes.iter().find(|r| r.regime == regime)
    }

    pub fn regime_name(&self, regime: &str) -> String {
        self.rules
            .regime(regime)
            .map_or_else(|| regime.to_owned(), |r| r.name.clone())
    }

    /// The reports of the regimes that apply, as `regime/report` and a label.
    pub fn report_choices(&self) -> Vec<(String, String)> {
        self.obligations
            .regimes
            .iter()
            .filter_map(|a| self.rules.regime(&a.regime))
            .flat_map(|r| {
                r.reports.iter().map(move |p| {
                    (
                        format!("{}/{}", r.id, p.id),
                        format!("{}: {}", r.name, p.name),
                    )
                })
            })
            .collect()
    }

    /// The badge colour of a clock's state.
    pub fn css(&self, state: &ClockState) -> &'static str {
        match state {
            ClockState::Running => "target-on_track",
            ClockState::DueSoon => "target-due_soon",
            ClockState::Overdue => "target-overdue",
            ClockState::Submitted => "target-met",
            ClockState::Late => "target-missed",
            ClockState::Waiting | ClockState::Untimed | ClockState::UnknownRegime => "muted-badge",
        }
    }

    /// The clock in words: time left, how late, or what it waits for.
    pub fn standing(&self, c: &ClockStatus) -> String {
        let left = |due: Timestamp| (due.as_offset() - self.now.as_offset()).whole_seconds();
        match (c.state, c.due_at) {
            (ClockState::Running | ClockState::DueSoon, Some(due)) => {
                format!("{} left", span(left(due)))
            }
            (ClockState::Overdue, Some(due)) => format!("{} overdue", span(left(due))),
            (ClockState::Submitted, _) => "sent in time".into(),
            (ClockState::Late, _) => "sent late".into(),
            (ClockState::Untimed, _) => "no fixed deadline".into(),
            (ClockState::Waiting, _) => "not started".into(),
            (ClockState::UnknownRegime, _) => "regime no longer in the rules".into(),
            _ => String::new(),
        }
    }

    /// What a clock runs from, in words: its report's limits.
    pub fn waits_for(&self, c: &ClockStatus) -> String {
        let Some(regime) = self.rules.regime(&c.regime) else {
            return String::new();
        };
        regime
            .report(&c.report)
            .map(|p| {
                p.limits
                    .iter()
                    .map(|l| {
                        format!(
                            "{} {}",
                            span_words(l.within),
                            self.anchor_words(regime, &l.from)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", or ")
            })
            .unwrap_or_default()
    }

    /// The moment a started clock runs from, in words.
    pub fn started(&self, c: &ClockStatus) -> String {
        match (&c.anchor, c.started_at, self.rules.regime(&c.regime)) {
            (Some(Anchor::Moment(kind)), Some(at), _) => format!("{}, {}", label(kind), at.human()),
            (Some(a @ Anchor::Submitted(_)), Some(at), Some(regime)) => {
                format!(
                    "{}, {}",
                    self.anchor_words(regime, a).trim_start_matches("after "),
                    at.human()
                )
            }
            (_, Some(at), _) => at.human(),
            _ => String::new(),
        }
    }

    fn anchor_words(&self, regime: &Regime, anchor: &Anchor) -> String {
        match anchor {
            Anchor::Moment(kind) => format!("from {}", label(kind).to_lowercase()),
            Anchor::Submitted(report) => {
                let name = regime
                    .report(report)
                    .map_or(report.as_str(), |r| r.name.as_str());
                format!("after the {} is sent", name.to_lowercase())
            }
        }
    }
}

/// A span as people say it: `72 h`, `1 month`, `4 business days`.
fn span_words(span: Span) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match span {
        Span::Hours(n) => format!("{n} h"),
        Span::Days(n) => plural(n, "day", "days"),
        Span::Months(n) => plural(n, "month", "months"),
        Span::BusinessDays(n) => plural(n, "business day", "business days"),
        Span::Untimed => "no fixed deadline".into(),
    }
}

/// The submission form: the report chosen as `regime/report`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionForm {
    report_of: String,
    #[serde(default)]
    at: Option<Timestamp>,
    authority: Text,
    #[serde(default)]
    reference: Option<Text>,
    #[serde(default)]
    content: Option<Text>,
    #[serde(default)]
    evidence: Option<rampart_domain::EvidenceNumber>,
}

fn marked(mut post: Posted, form: &str) -> Posted {
    post.form.0.retain(|(k, _)| k != CLOCKS_FORM);
    post.form.0.push((CLOCKS_FORM.into(), form.into()));
    post
}

/// `POST /incidents/{number}/regimes`: `regime`, `applies`, `answers.N.question`,
/// `answers.N.yes`, `answers.N.note`, `reason`.
pub async fn incident_regime(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let booleans: Vec<String> = std::iter::once("applies".to_owned())
        .chain((0..rampart_domain::regulatory::MAX_QUESTIONS).map(|i| format!("answers.{i}.yes")))
        .collect();
    let booleans: Vec<&str> = booleans.iter().map(String::as_str).collect();
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        marked(post, "regime"),
        &n,
        &booleans,
        &[],
        |actor: Actor, number, input: RegimeDecision| async move {
            app.decide_regime(&actor, number, input).await
        },
    )
    .await
}

/// `POST /incidents/{number}/anchors`: `anchor`, `at`.
pub async fn incident_anchor(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        marked(post, "anchor"),
        &n,
        &[],
        &[],
        |actor: Actor, number, input: AnchorInput| async move {
            app.record_anchor(&actor, number, input).await
        },
    )
    .await
}

/// `POST /incidents/{number}/submissions`: `report_of` (`regime/report`),
/// `at`, `authority`, `reference`, `content`, `evidence`.
pub async fn incident_submission(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        marked(post, "submission"),
        &n,
        &[],
        &[],
        |actor: Actor, number, form: SubmissionForm| async move {
            let (regime, report) = form.report_of.split_once('/').ok_or_else(|| {
                rampart_domain::DomainError::field("report_of", "choose a report")
            })?;
            let input = SubmissionInput {
                regime: regime.to_owned(),
                report: report.to_owned(),
                at: form.at,
                authority: form.authority,
                reference: form.reference,
                content: form.content,
                evidence: form.evidence,
            };
            app.record_submission(&actor, number, input).await
        },
    )
    .await
}
