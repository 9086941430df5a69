//! Regulatory notification clocks: which regimes oblige the organisation to
//! report an incident, to whom, and by when.
//!
//! The rules are data ([`RegulatoryRules`]): laws change and organisations
//! add contractual clocks, so the table is versioned and edited by an
//! administrator, and [`RegulatoryRules::defaults`] is only where it starts.
//! A regime lists its reports; each report has one or more limits, each a
//! [`Span`] from an [`Anchor`]. The incident keeps what the ISIRT recorded
//! ([`Obligations`]: the regimes found to apply, the anchor moments, the
//! submissions) and [`clocks`] turns rules and records into a deadline and a
//! state per report, at a `now` the caller passes in.
//!
//! Every deadline is computed in UTC. Exercises never start real clocks: the
//! application records no obligations on an exercise incident.

mod anchor;
mod calendar;
mod clocks;
mod defaults;
mod span;
mod validate;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use anchor::{ANCHOR_PATTERN, Anchor, AnchorKind};
pub use calendar::{Calendar, CalendarDate, MAX_HOLIDAYS, Weekday};
pub use clocks::{
    AnchorRecord, Answer, AppliedRegime, ClockState, ClockStatus, Obligations, Submission, clocks,
};
pub use span::{MAX_BUSINESS_DAYS, MAX_DAYS, MAX_HOURS, MAX_MONTHS, SPAN_PATTERN, Span};
pub use validate::{
    MAX_CALENDARS, MAX_ID, MAX_LIMITS, MAX_NAME, MAX_PROSE, MAX_QUESTIONS, MAX_REGIMES, MAX_REPORTS,
};

use crate::DomainError;
use crate::error::Problems;

/// The table of regimes, and the calendars their business-day spans use.
///
/// Names and ids are plain strings here so that [`RegulatoryRules::validate`]
/// can name every problem of an edited table, with its path, in one reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegulatoryRules {
    /// Rises by one with every change; an applied regime records the version
    /// its checklist was answered under.
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub calendars: Vec<Calendar>,
    pub regimes: Vec<Regime>,
}

/// A law, regulation or contract that may oblige the organisation to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Regime {
    /// A lowercase slug, e.g. `nis2` or `gdpr_33`.
    pub id: String,
    pub name: String,
    /// The law and article, e.g. `Directive (EU) 2022/2555, Article 23`.
    pub reference: String,
    /// When the regime applies, in words for the ISIRT.
    pub applies_when: String,
    /// Questions that help decide whether the regime applies; the answers
    /// are kept with the decision as its evidence.
    #[serde(default)]
    pub checklist: Vec<Question>,
    pub reports: Vec<ReportRule>,
}

/// One question of a regime's significance checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// A lowercase slug, unique within the regime.
    pub id: String,
    pub text: String,
}

/// One report a regime requires, and its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportRule {
    /// A lowercase slug, unique within the regime, e.g. `early_warning`.
    pub id: String,
    pub name: String,
    /// Who receives it, e.g. `CSIRT or competent authority`.
    pub recipient: String,
    /// The report is due at the earliest deadline among the limits whose
    /// anchor has been recorded: DORA's "4 h after classification, and no
    /// later than 24 h after awareness" is two limits.
    pub limits: Vec<Limit>,
    /// The calendar business-day spans are counted on; required when a
    /// limit counts business days.
    #[serde(default)]
    pub calendar: Option<String>,
}

/// A deadline `within` a span `from` an anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub from: Anchor,
    pub within: Span,
}

impl Default for RegulatoryRules {
    /// The shipped table, [`RegulatoryRules::defaults`].
    fn default() -> Self {
        Self::defaults()
    }
}

impl RegulatoryRules {
    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.iter().find(|r| r.id == id)
    }

    pub fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    /// The regime a request names, or an error on the field `regime`.
    pub fn check_regime(&self, regime: &str) -> Result<&Regime, DomainError> {
        self.regime(regime).ok_or_else(|| {
            DomainError::field(
                "regime",
                format!(
                    "`{regime}` is not a regime of the notification rules (version {})",
                    self.version
                ),
            )
        })
    }

    /// The report a request names, or an error on the field `regime` or `report`.
    pub fn check_report(&self, regime: &str, report: &str) -> Result<&ReportRule, DomainError> {
        let found = self.check_regime(regime)?;
        found.report(report).ok_or_else(|| {
            DomainError::field(
                "report",
                format!("`{report}` is not a report of {}", found.id),
            )
        })
    }

    /// Checklist answers for a regime: each names one of its questions, at
    /// most once. Errors name `answers[i].question`.
    pub fn check_answers(&self, regime: &str, answers: &[Answer]) -> Result<(), DomainError> {
        let found = self.check_regime(regime)?;
        let mut p = Problems::default();
        for (i, answer) in answers.iter().enumerate() {
            let field = format!("answers[{i}].question");
            if found.question(&answer.question).is_none() {
                p.push(
                    field,
                    format!("`{}` is not a question of {}", answer.question, found.id),
                );
            } else if answers[..i].iter().any(|a| a.question == answer.question) {
                p.push(field, format!("`{}` is answered twice", answer.question));
            }
        }
        p.into_result()
    }
}

impl Regime {
    pub fn report(&self, id: &str) -> Option<&ReportRule> {
        self.reports.iter().find(|r| r.id == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.checklist.iter().find(|q| q.id == id)
    }
}
