//! What the ISIRT records on an incident (regimes found to apply, anchor
//! moments, submissions) and the clock of every report it obliges.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::{Anchor, AnchorKind, Calendar, Regime, RegulatoryRules, ReportRule};
use crate::classification::wire_enum;
use crate::{Text, Timestamp};

/// One checklist answer, kept as evidence of the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The question's id in the regime's checklist.
    pub question: String,
    pub yes: bool,
    #[serde(default)]
    pub note: Option<Text>,
}

/// The decision that a regime applies to the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedRegime {
    pub regime: String,
    /// The table version the checklist was answered under. Clocks always
    /// follow the current table: a corrected deadline should apply at once.
    pub rules_version: u32,
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub reason: Option<Text>,
    pub by: String,
    pub at: Timestamp,
}

/// A recorded anchor moment. Recording the same kind again corrects it: the
/// record recorded last counts, whether it moves the moment earlier or later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnchorRecord {
    pub anchor: AnchorKind,
    /// When the moment happened.
    pub at: Timestamp,
    pub recorded_by: String,
    /// When it was written down; orders corrections.
    pub recorded_at: Timestamp,
}

/// A report sent to its recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Submission {
    pub regime: String,
    pub report: String,
    /// When it was sent.
    pub at: Timestamp,
    pub by: String,
    /// The authority or people it went to.
    pub authority: Text,
    /// The recipient's reference, e.g. a case number.
    #[serde(default)]
    pub reference: Option<Text>,
    /// What was sent, or a summary of it.
    #[serde(default)]
    pub content: Option<Text>,
    /// The evidence item that holds the sent document.
    #[serde(default)]
    pub evidence: Option<String>,
}

impl Submission {
    /// Whether this is a submission of `report` under `regime`.
    pub fn is_of(&self, regime: &str, report: &str) -> bool {
        self.regime == regime && self.report == report
    }
}

/// Everything an incident records about its notification obligations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Obligations {
    #[serde(default)]
    pub regimes: Vec<AppliedRegime>,
    #[serde(default)]
    pub anchors: Vec<AnchorRecord>,
    #[serde(default)]
    pub submissions: Vec<Submission>,
}

impl Obligations {
    pub fn is_empty(&self) -> bool {
        self.regimes.is_empty() && self.anchors.is_empty() && self.submissions.is_empty()
    }

    /// The record of this kind recorded last (a later one corrects an
    /// earlier one); among records with the same `recorded_at`, the last listed.
    pub fn anchor(&self, kind: AnchorKind) -> Option<&AnchorRecord> {
        self.anchors
            .iter()
            .filter(|r| r.anchor == kind)
            .max_by_key(|r| r.recorded_at)
    }

    /// The first time this report was sent: what the deadline is met by.
    pub fn first_submission(&self, regime: &str, report: &str) -> Option<&Submission> {
        self.submissions
            .iter()
            .filter(|s| s.is_of(regime, report))
            .min_by_key(|s| s.at)
    }

    /// The last time this report was sent: what `submitted:` anchors run from.
    pub fn latest_submission(&self, regime: &str, report: &str) -> Option<&Submission> {
        self.submissions
            .iter()
            .filter(|s| s.is_of(regime, report))
            .max_by_key(|s| s.at)
    }

    /// The moment an anchor of `regime` stands for, if it was recorded.
    pub fn moment(&self, regime: &str, anchor: &Anchor) -> Option<Timestamp> {
        match anchor {
            Anchor::Moment(kind) => self.anchor(*kind).map(|r| r.at),
            Anchor::Submitted(report) => self.latest_submission(regime, report).map(|s| s.at),
        }
    }
}

wire_enum!(
    /// Where a report's clock stands.
    ClockState {
        /// No anchor of the report has been recorded yet.
        Waiting => "waiting",
        /// Started, but no limit sets a fixed deadline.
        Untimed => "untimed",
        /// Less than 75 % of the time is used.
        Running => "running",
        /// 75 % or more of the time is used, the deadline is not past.
        DueSoon => "due_soon",
        /// The deadline is past and nothing was submitted.
        Overdue => "overdue",
        /// Submitted on or before the deadline (or with no deadline).
        Submitted => "submitted",
        /// Submitted after the deadline.
        Late => "late",
        /// The incident names a regime the current rules no longer have.
        UnknownRegime => "unknown_regime",
    }
);

/// The clock of one report of one applied regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockStatus {
    pub regime: String,
    /// The report's id; empty for an unknown regime with no submission.
    pub report: String,
    /// The report's name; the regime's id for an unknown regime.
    pub name: String,
    pub state: ClockState,
    /// The anchor of the limit that set the deadline (or started an untimed clock).
    pub anchor: Option<Anchor>,
    /// The anchor's moment.
    pub started_at: Option<Timestamp>,
    /// When 75 % of the time from start to deadline is used.
    pub warn_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    /// The first submission of the report.
    pub submitted_at: Option<Timestamp>,
}

/// Share of the time used at which a clock is due soon, in percent.
const WARN_PERCENT: i128 = 75;

impl ClockStatus {
    /// How much of the time from start to deadline is used at `now`, in
    /// whole percent rounded down (0 before the start, above 100 once
    /// overdue), for escalations at 75 % and 100 %. `None` when there is no
    /// deadline or the report was submitted. 100 is reached at the deadline
    /// itself, a moment before the state becomes `overdue`.
    pub fn percent_used(&self, now: Timestamp) -> Option<u32> {
        if self.submitted_at.is_some() {
            return None;
        }
        let total = micros_between(self.started_at?, self.due_at?);
        if total <= 0 {
            return None;
        }
        let used = micros_between(self.started_at?, now).max(0);
        Some(u32::try_from(used * 100 / total).unwrap_or(u32::MAX))
    }
}

fn micros_between(from: Timestamp, to: Timestamp) -> i128 {
    (to.as_offset() - from.as_offset()).whole_microseconds()
}

/// The first moment at which 75 % of the time is used, so that the state is
/// `due_soon` exactly when [`ClockStatus::percent_used`] reaches 75.
fn warn_point(start: Timestamp, due: Timestamp) -> Option<Timestamp> {
    let total = micros_between(start, due);
    let warn = (total * WARN_PERCENT + 99) / 100;
    let offset = Duration::microseconds(i64::try_from(warn).ok()?);
    start
        .as_offset()
        .checked_add(offset)
        .map(Timestamp::from_offset)
}

/// Every report of every applied regime, in the incident's regime order and
/// the table's report order. A regime applied twice is listed once.
///
/// A regime the table no longer has gives `unknown_regime` entries: one per
/// report submitted under it (so what was sent stays visible), or a single
/// entry with an empty report id when nothing was.
pub fn clocks(
    rules: &RegulatoryRules,
    obligations: &Obligations,
    now: Timestamp,
) -> Vec<ClockStatus> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for applied in &obligations.regimes {
        if seen.contains(&applied.regime.as_str()) {
            continue;
        }
        seen.push(&applied.regime);
        match rules.regime(&applied.regime) {
            Some(regime) => out.extend(
                regime
                    .reports
                    .iter()
                    .map(|report| report_clock(rules, regime, report, obligations, now)),
            ),
            None => out.extend(unknown_regime(&applied.regime, obligations)),
        }
    }
    out
}

/// A limit whose anchor has been recorded.
struct Start {
    anchor: Anchor,
    at: Timestamp,
    due: Option<Timestamp>,
}

fn report_clock(
    rules: &RegulatoryRules,
    regime: &Regime,
    report: &ReportRule,
    obligations: &Obligations,
    now: Timestamp,
) -> ClockStatus {
    // Validation requires a calendar for business days; an unvalidated table
    // still gets a deadline rather than none.
    let fallback = Calendar::weekends_only();
    let calendar = report
        .calendar
        .as_deref()
        .and_then(|id| rules.calendar(id))
        .unwrap_or(&fallback);
    // The earliest deadline wins; with no deadline, the earliest untimed start.
    let start = report
        .limits
        .iter()
        .filter_map(|limit| {
            let at = obligations.moment(&regime.id, &limit.from)?;
            let due = limit.within.deadline(at, calendar);
            Some(Start {
                anchor: limit.from.clone(),
                at,
                due,
            })
        })
        .min_by_key(|s| (s.due.is_none(), s.due, s.at));
    let submitted_at = obligations
        .first_submission(&regime.id, &report.id)
        .map(|s| s.at);
    let due_at = start.as_ref().and_then(|s| s.due);
    let warn_at = start
        .as_ref()
        .zip(due_at)
        .and_then(|(s, due)| warn_point(s.at, due));
    ClockStatus {
        regime: regime.id.clone(),
        report: report.id.clone(),
        name: report.name.clone(),
        state: state(start.is_some(), warn_at, due_at, submitted_at, now),
        anchor: start.as_ref().map(|s| s.anchor.clone()),
        started_at: start.as_ref().map(|s| s.at),
        warn_at,
        due_at,
        submitted_at,
    }
}

fn state(
    started: bool,
    warn_at: Option<Timestamp>,
    due_at: Option<Timestamp>,
    submitted_at: Option<Timestamp>,
    now: Timestamp,
) -> ClockState {
    match (submitted_at, due_at) {
        (Some(sent), Some(due)) if sent > due => ClockState::Late,
        (Some(_), _) => ClockState::Submitted,
        (None, Some(due)) if now > due => ClockState::Overdue,
        (None, Some(_)) if warn_at.is_some_and(|warn| now >= warn) => ClockState::DueSoon,
        (None, Some(_)) => ClockState::Running,
        (None, None) if started => ClockState::Untimed,
        (None, None) => ClockState::Waiting,
    }
}

fn unknown_regime(regime: &str, obligations: &Obligations) -> Vec<ClockStatus> {
    let mut reports: Vec<&str> = Vec::new();
    for s in obligations
        .submissions
        .iter()
        .filter(|s| s.regime == regime)
    {
        if !reports.contains(&s.report.as_str()) {
            reports.push(&s.report);
        }
    }
    if reports.is_empty() {
        reports.push("");
    }
    reports
        .into_iter()
        .map(|report| ClockStatus {
            regime: regime.to_owned(),
            report: report.to_owned(),
            name: regime.to_owned(),
            state: ClockState::UnknownRegime,
            anchor: None,
            started_at: None,
            warn_at: None,
            due_at: None,
            submitted_at: obligations.first_submission(regime, report).map(|s| s.at),
        })
        .collect()
}
