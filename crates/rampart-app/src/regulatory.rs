//! Regulatory notification clocks in the application layer: the rule table
//! admins edit (versioned, journaled, cached per node), and on each incident
//! the ISIRT's decisions on which regimes apply, the anchor moments and the
//! reports sent, each one journal entry.

use std::sync::Arc;
use std::time::Duration;

use rampart_domain::regulatory::{
    AnchorRecord, AppliedRegime, ClockStatus, RegulatoryRules, Submission,
};
use rampart_domain::{
    Action, Actor, AnchorInput, DomainError, EvidenceItem, Incident, IncidentNumber, JournalAction,
    RegimeDecision, RegimeWithdrawn, SubmissionInput, journal::RegulatoryRulesChanged,
};
use rampart_store::{Entity, EntityRef};

use crate::cache::Versioned;
use crate::{App, AppError};

pub use rampart_store::records::REGULATORY_ENTITY;

/// How long a node trusts its copy of the rules (another node may change them).
const RULES_TTL: Duration = Duration::from_secs(5);

/// What became of a regime decision.
#[derive(Debug, Clone)]
pub enum RegimeOutcome {
    Applies(AppliedRegime),
    Withdrawn,
}

impl Versioned for RegulatoryRules {
    const WHAT: &'static str = "the rules";
    const ENTITY: &'static str = REGULATORY_ENTITY;

    fn key() -> EntityRef {
        EntityRef::Regulatory
    }

    fn shipped() -> Self {
        RegulatoryRules::defaults()
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn set_version(&mut self, version: u32) {
        self.version = version;
    }

    fn into_entity(self) -> Entity {
        Entity::Regulatory(Box::new(self))
    }

    fn changed(before: Self, after: Self) -> JournalAction {
        JournalAction::RegulatoryRulesChanged(Box::new(RegulatoryRulesChanged { before, after }))
    }
}

impl App {
    /// The notification rules in force: the shipped table until an admin changes it.
    pub async fn regulatory_rules(&self) -> Result<Arc<RegulatoryRules>, AppError> {
        self.versioned(&self.regulatory, RULES_TTL).await
    }

    /// The rules, for those who handle incidents and for admins.
    pub async fn get_regulatory_rules(&self, actor: &Actor) -> Result<RegulatoryRules, AppError> {
        if !actor.may(Action::ManageNotificationRules) {
            actor.require(Action::ViewIncidents)?;
        }
        Ok((*self.regulatory_rules().await?).clone())
    }

    /// Replaces the rules (admins). `version` must be the one edited.
    pub async fn replace_regulatory_rules(
        &self,
        actor: &Actor,
        new: RegulatoryRules,
    ) -> Result<RegulatoryRules, AppError> {
        actor.require(Action::ManageNotificationRules)?;
        new.validate()?;
        let saved = self.replace_versioned(actor, &self.regulatory, new).await?;
        // Deadlines moved: the clocks' escalations are planned again.
        self.replan_escalations(true).await;
        Ok(saved)
    }

    /// The ISIRT decides that a regime applies to the incident (with the
    /// checklist answers as the reason), or withdraws that decision.
    pub async fn decide_regime(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        decision: RegimeDecision,
    ) -> Result<(Incident, RegimeOutcome), AppError> {
        actor.require(Action::UpdateIncident)?;
        let rules = self.regulatory_rules().await?;
        self.change_incident(
            actor,
            number,
            |_| (),
            move |ctx, incident, who, ()| {
                let regime = decision.regime.clone();
                let reason = decision.reason.clone();
                Ok(
                    match incident.decide_regime(&rules, decision, who, ctx.now())? {
                        Some(applied) => (
                            RegimeOutcome::Applies(applied.clone()),
                            JournalAction::IncidentRegimeApplied(Box::new(applied)),
                            vec![],
                        ),
                        None => (
                            RegimeOutcome::Withdrawn,
                            JournalAction::IncidentRegimeWithdrawn(RegimeWithdrawn {
                                regime,
                                reason: reason.ok_or_else(|| {
                                    DomainError::field("reason", "is required to withdraw a regime")
                                })?,
                            }),
                            vec![],
                        ),
                    },
                )
            },
        )
        .await
    }

    /// Records a moment a clock runs from (classified as major, materiality
    /// determined, ...), or corrects an earlier record of it.
    pub async fn record_anchor(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: AnchorInput,
    ) -> Result<(Incident, AnchorRecord), AppError> {
        actor.require(Action::UpdateIncident)?;
        self.change_incident(
            actor,
            number,
            |_| (),
            move |ctx, incident, who, ()| {
                let record = incident.record_anchor(input, who, ctx.now())?;
                let action = JournalAction::IncidentAnchorRecorded(record.clone());
                Ok((record, action, vec![]))
            },
        )
        .await
    }

    /// Records a report sent to an authority; the clocks that run from it start.
    pub async fn record_submission(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: SubmissionInput,
    ) -> Result<(Incident, Submission), AppError> {
        actor.require(Action::UpdateIncident)?;
        let rules = self.regulatory_rules().await?;
        let evidence = input.evidence;
        self.change_incident(
            actor,
            number,
            move |unit| evidence.map(|n| unit.load::<EvidenceItem>(EntityRef::Evidence(n))),
            move |ctx, incident, who, item| {
                if let Some(item) = item {
                    let held = ctx.maybe(&item);
                    if held.is_none_or(|e| e.incident != Some(incident.number)) {
                        return Err(DomainError::field(
                            "evidence",
                            format!("is not an evidence item of {}", incident.number),
                        ));
                    }
                }
                let submission = incident.record_submission(&rules, input, who, ctx.now())?;
                let action =
                    JournalAction::IncidentSubmissionRecorded(Box::new(submission.clone()));
                Ok((submission, action, vec![]))
            },
        )
        .await
    }

    /// Every report clock of the regimes that apply to the incident, now.
    pub async fn incident_clocks(&self, incident: &Incident) -> Result<Vec<ClockStatus>, AppError> {
        let rules = self.regulatory_rules().await?;
        Ok(incident.clocks(&rules, self.clock.now()))
    }
}
