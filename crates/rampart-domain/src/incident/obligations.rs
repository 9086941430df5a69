//! The incident's notification obligations: which regimes apply (with the
//! checklist answers that decided it), the anchor moments their clocks run
//! from (with who recorded them), and the reports sent. Allowed on closed
//! incidents too: a final report is often due a month after closure.

use serde::{Deserialize, Serialize};

use super::Incident;
use crate::regulatory::{
    AnchorKind, AnchorRecord, Answer, AppliedRegime, ClockStatus, RegulatoryRules, Submission,
    clocks,
};
use crate::{Actor, DomainError, EvidenceNumber, Text, Timestamp};

/// Most anchor records and submissions one incident keeps.
pub const MAX_OBLIGATION_RECORDS: usize = 500;

/// How far ahead of the server's clock a recorded moment may lie (clock skew).
const SKEW_SECONDS: i64 = 300;

/// The ISIRT's decision on one regime.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegimeDecision {
    /// The regime's id in the notification rules, e.g. `nis2`.
    pub regime: String,
    /// `false` withdraws an earlier decision that it applies (needs `reason`).
    #[serde(default = "yes")]
    pub applies: bool,
    /// Answers to the regime's significance checklist, kept as the evidence of the decision.
    #[serde(default)]
    pub answers: Vec<Answer>,
    #[serde(default)]
    pub reason: Option<Text>,
}

fn yes() -> bool {
    true
}

/// A moment a clock runs from, as recorded.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnchorInput {
    pub anchor: AnchorKind,
    /// When it happened; defaults to now. Recording a kind again corrects it.
    #[serde(default)]
    pub at: Option<Timestamp>,
}

/// A report sent to an authority, as recorded.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmissionInput {
    pub regime: String,
    /// The report's id in the regime, e.g. `early_warning`.
    pub report: String,
    /// When it was sent; defaults to now.
    #[serde(default)]
    pub at: Option<Timestamp>,
    /// Who it went to.
    pub authority: Text,
    /// The recipient's reference, e.g. a case number.
    #[serde(default)]
    pub reference: Option<Text>,
    /// What was sent, or a summary.
    #[serde(default)]
    pub content: Option<Text>,
    /// The evidence item holding the document sent.
    #[serde(default)]
    pub evidence: Option<EvidenceNumber>,
}

/// `incident.regime_withdrawn`: a regime found not to apply after all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegimeWithdrawn {
    pub regime: String,
    pub reason: Text,
}

fn not_ahead(at: Timestamp, now: Timestamp, field: &str) -> Result<Timestamp, DomainError> {
    let limit = now.as_offset() + time::Duration::seconds(SKEW_SECONDS);
    if at.as_offset() > limit {
        return Err(DomainError::field(field, "must not be in the future"));
    }
    Ok(at)
}

impl Incident {
    /// Records that a regime applies (replacing an earlier decision on it),
    /// or withdraws it. Returns the decision kept, `None` when withdrawn.
    pub fn decide_regime(
        &mut self,
        rules: &RegulatoryRules,
        input: RegimeDecision,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Option<AppliedRegime>, DomainError> {
        if self.is_exercise() && input.applies {
            return Err(DomainError::Conflict(format!(
                "{} is an exercise incident: it starts no regulatory clock",
                self.number
            )));
        }
        let existing = self
            .obligations
            .regimes
            .iter()
            .position(|r| r.regime == input.regime);
        if !input.applies {
            let Some(index) = existing else {
                return Err(DomainError::field(
                    "regime",
                    format!("{} was not found to apply to {}", input.regime, self.number),
                ));
            };
            if input.reason.is_none() {
                return Err(DomainError::field(
                    "reason",
                    "is required to withdraw a regime",
                ));
            }
            self.obligations.regimes.remove(index);
            self.updated_at = now;
            return Ok(None);
        }
        rules.check_regime(&input.regime)?;
        rules.check_answers(&input.regime, &input.answers)?;
        let applied = AppliedRegime {
            regime: input.regime,
            rules_version: rules.version,
            answers: input.answers,
            reason: input.reason,
            by: by.name.clone(),
            at: now,
        };
        match existing {
            Some(index) => self.obligations.regimes[index] = applied.clone(),
            None => self.obligations.regimes.push(applied.clone()),
        }
        self.updated_at = now;
        Ok(Some(applied))
    }

    /// Records an anchor moment (a later record of the same kind corrects an earlier one).
    pub fn record_anchor(
        &mut self,
        input: AnchorInput,
        by: &Actor,
        now: Timestamp,
    ) -> Result<AnchorRecord, DomainError> {
        self.room_for_obligations()?;
        let record = AnchorRecord {
            anchor: input.anchor,
            at: not_ahead(input.at.unwrap_or(now), now, "at")?,
            recorded_by: by.name.clone(),
            recorded_at: now,
        };
        self.obligations.anchors.push(record.clone());
        self.updated_at = now;
        Ok(record)
    }

    /// Records a report sent under a regime that applies; it starts the
    /// clocks that run from it.
    pub fn record_submission(
        &mut self,
        rules: &RegulatoryRules,
        input: SubmissionInput,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Submission, DomainError> {
        self.room_for_obligations()?;
        rules.check_report(&input.regime, &input.report)?;
        if !self
            .obligations
            .regimes
            .iter()
            .any(|r| r.regime == input.regime)
        {
            return Err(DomainError::field(
                "regime",
                format!(
                    "{} has not been found to apply to {}; record that it applies first",
                    input.regime, self.number
                ),
            ));
        }
        let submission = Submission {
            regime: input.regime,
            report: input.report,
            at: not_ahead(input.at.unwrap_or(now), now, "at")?,
            by: by.name.clone(),
            authority: input.authority,
            reference: input.reference,
            content: input.content,
            evidence: input.evidence.map(|n| n.to_string()),
        };
        self.obligations.submissions.push(submission.clone());
        self.updated_at = now;
        Ok(submission)
    }

    fn room_for_obligations(&self) -> Result<(), DomainError> {
        if self.obligations.anchors.len() + self.obligations.submissions.len()
            >= MAX_OBLIGATION_RECORDS
        {
            return Err(DomainError::field(
                "incident",
                format!(
                    "an incident keeps at most {MAX_OBLIGATION_RECORDS} anchor records and submissions"
                ),
            ));
        }
        Ok(())
    }

    /// The obligations the clocks read: awareness defaults to the
    /// incident's `aware_at`, recorded by whoever confirmed it.
    pub fn clock_obligations(&self) -> crate::regulatory::Obligations {
        let mut obligations = self.obligations.clone();
        if obligations.anchor(AnchorKind::Aware).is_none() {
            obligations.anchors.insert(
                0,
                AnchorRecord {
                    anchor: AnchorKind::Aware,
                    at: self.aware_at,
                    recorded_by: self.confirmed_by.clone(),
                    recorded_at: self.confirmed_at,
                },
            );
        }
        obligations
    }

    /// Every report clock of the regimes that apply, at `now`.
    pub fn clocks(&self, rules: &RegulatoryRules, now: Timestamp) -> Vec<ClockStatus> {
        if self.obligations.regimes.is_empty() {
            return Vec::new();
        }
        clocks(rules, &self.clock_obligations(), now)
    }
}

impl Incident {
    /// Records a rung of the escalation ladder one of its deadlines reached;
    /// refused when that rung of that deadline was recorded before, so a job
    /// run again tells nobody twice.
    pub fn record_escalation(
        &mut self,
        step: crate::Escalation,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        if self.escalations.iter().any(|e| e.same_rung(&step)) {
            return Err(DomainError::Conflict(format!(
                "{} reached {} % of {} before",
                self.number, step.at_percent, step.deadline
            )));
        }
        self.escalations.push(step);
        self.updated_at = now;
        Ok(())
    }
}
