//! The replay of a vulnerability: reported whole, then each assessment
//! step, its resolution and its lessons-learned review.

use rampart_domain::journal::ActionKind as K;
use rampart_domain::{
    Step as VulnerabilityStep, Vulnerability, VulnerabilityOutcome, VulnerabilityStatus,
};

use super::replay::{Expected, ExpectedRecord, Fold, Step, not_here};
use crate::JournalEntry;

pub(super) fn vulnerability(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<Vulnerability>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::VulnerabilityReported) => {
                let v: Vulnerability = step.whole()?;
                fold.create(&step, v)?;
            }
            Some(K::VulnerabilityAssessed) => {
                let f = step.fields()?;
                let outcome: VulnerabilityOutcome = f.get("outcome")?;
                let decision = VulnerabilityStep {
                    by: step.actor(),
                    at: step.at()?,
                    notes: f.get("notes")?,
                };
                let v = fold.current(&step)?;
                match outcome {
                    VulnerabilityOutcome::UnderAssessment => {
                        v.status = VulnerabilityStatus::Assessed;
                        v.assessment_started = Some(decision);
                    }
                    VulnerabilityOutcome::Confirmed => {
                        v.status = VulnerabilityStatus::Confirmed;
                        v.assessment = Some(decision);
                    }
                    VulnerabilityOutcome::NotConfirmed => {
                        v.status = VulnerabilityStatus::NotConfirmed;
                        v.assessment = Some(decision);
                    }
                }
            }
            Some(K::VulnerabilityResolution) => {
                let f = step.fields()?;
                let recorded = VulnerabilityStep {
                    by: step.actor(),
                    at: step.at()?,
                    notes: None,
                };
                let v = fold.current(&step)?;
                v.status = f.get("status")?;
                v.resolution = f.get("resolution")?;
                v.resolution_recorded = Some(recorded);
            }
            Some(K::VulnerabilityReview) => fold.current(&step)?.review = Some(step.whole()?),
            // A report handed over, journaled; the record does not change.
            Some(K::VulnerabilityReportIssued) => {
                fold.current(&step)?;
            }
            _ => return Err(not_here(&step, "a vulnerability")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Vulnerability))
}
