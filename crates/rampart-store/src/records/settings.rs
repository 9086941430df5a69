//! The replay of the settings the journal carries whole: the
//! categorization rules, the response-time targets and the notification
//! rules, each the `after` of its latest change; and of the classification
//! scale, whose changes each carry the version they add.

use rampart_domain::journal::ActionKind as K;
use rampart_domain::regulatory::RegulatoryRules;
use rampart_domain::{ClassificationScale, ResponseTargets, RuleSet, ScaleVersion};

use super::replay::{Expected, ExpectedRecord, Fold, Step, not_here};
use crate::JournalEntry;

pub(super) fn rules(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<RuleSet>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::IntakeRulesChanged) => {
                let after: RuleSet = step.fields()?.get("after")?;
                match fold.record.as_mut() {
                    Some((rules, _)) => *rules = after,
                    None => fold.create(&step, after)?,
                }
            }
            _ => return Err(not_here(&step, "the categorization rules")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Rules))
}

pub(super) fn response_targets(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<ResponseTargets>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::TargetsChanged) => {
                let after: ResponseTargets = step.fields()?.get("after")?;
                match fold.record.as_mut() {
                    Some((targets, _)) => *targets = after,
                    None => fold.create(&step, after)?,
                }
            }
            _ => return Err(not_here(&step, "the response-time targets")),
        }
    }
    Ok(fold.finish(ExpectedRecord::Targets))
}

pub(super) fn regulatory_rules(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<RegulatoryRules>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::RegulatoryRulesChanged) => {
                let after: RegulatoryRules = step.fields()?.get("after")?;
                match fold.record.as_mut() {
                    Some((rules, _)) => *rules = after,
                    None => fold.create(&step, after)?,
                }
            }
            _ => return Err(not_here(&step, "the notification rules")),
        }
    }
    Ok(fold.finish(|r| ExpectedRecord::Regulatory(Box::new(r))))
}

pub(super) fn scale(entries: &[&JournalEntry]) -> Result<Expected, String> {
    let mut fold = Fold::<ClassificationScale>::new();
    for entry in entries {
        let step = Step(entry);
        match K::from_name(&entry.action) {
            Some(K::ClassificationScaleRevised) => {
                let version: ScaleVersion = step.whole()?;
                if fold.record.is_none() {
                    // The first change follows the shipped version 1.
                    fold.create(&step, ClassificationScale::default())?;
                }
                if let Some((scale, _)) = fold.record.as_mut() {
                    scale.version = version.number;
                    scale.versions.push(version);
                }
            }
            _ => return Err(not_here(&step, "the classification scale")),
        }
    }
    Ok(fold.finish(|s| ExpectedRecord::Scale(Box::new(s))))
}
