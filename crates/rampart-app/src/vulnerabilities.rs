//! The part of the [`App`] for vulnerabilities: reports, assessment,
//! resolution and the register, on a track of their own beside incidents.

use rampart_domain::{
    Action, Actor, DomainError, Incident, JournalAction, Vulnerability, VulnerabilityAssessment,
    VulnerabilityNumber, VulnerabilityReport, VulnerabilityResolution,
    journal::{VulnerabilityAssessed, VulnerabilityResolved},
};
use rampart_store::{Entity, EntityRef, JournalDraft, Page, VulnerabilityQuery};

use crate::unit::{Decided, Unit};
use crate::{App, AppError, not_found};

impl App {
    pub async fn report_vulnerability(
        &self,
        actor: &Actor,
        input: VulnerabilityReport,
    ) -> Result<Vulnerability, AppError> {
        actor.require(Action::ReportVulnerability)?;
        let who = actor.clone();
        let mut unit = Unit::new(&actor.name);
        let incident = input
            .incident
            .map(|n| unit.load::<Incident>(EntityRef::Incident(n)));
        let allocated = unit.allocate::<VulnerabilityNumber>();
        let unit = unit.decide(move |ctx| {
            if let (Some(n), Some(incident)) = (input.incident, &incident)
                && !ctx.maybe(incident).is_some_and(|i| i.readable_by(&who))
            {
                return Err(DomainError::field("incident", format!("no incident {n}")));
            }
            let number = ctx.number(&allocated)?;
            let v = Vulnerability::report(number, input, &who, ctx.now())?;
            Ok(Decided::new(v.clone())
                .journal(JournalDraft::new(
                    number,
                    JournalAction::VulnerabilityReported(Box::new(v.clone())),
                ))
                .insert(Entity::Vulnerability(Box::new(v))))
        });
        self.run(unit).await
    }

    async fn change_vulnerability(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
        change: impl FnOnce(
            &mut Vulnerability,
            &Actor,
            rampart_domain::Timestamp,
        ) -> Result<JournalAction, DomainError>
        + Send
        + 'static,
    ) -> Result<Vulnerability, AppError> {
        let who = actor.clone();
        let mut unit = Unit::new(&actor.name);
        let loaded = unit.load::<Vulnerability>(EntityRef::Vulnerability(number));
        let unit = unit.decide(move |ctx| {
            let mut v = ctx.take(&loaded, || format!("vulnerability {number}"))?;
            let action = change(&mut v, &who, ctx.now())?;
            Ok(Decided::new(v.clone())
                .update(Entity::Vulnerability(Box::new(v)))
                .journal(JournalDraft::new(number, action)))
        });
        self.run(unit).await
    }

    pub async fn assess_vulnerability(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
        input: VulnerabilityAssessment,
    ) -> Result<Vulnerability, AppError> {
        actor.require(Action::AssessVulnerability)?;
        self.change_vulnerability(actor, number, |v, who, now| {
            let action = JournalAction::VulnerabilityAssessed(VulnerabilityAssessed {
                outcome: input.outcome,
                notes: input.notes.clone(),
            });
            v.assess(input, who, now)?;
            Ok(action)
        })
        .await
    }

    pub async fn resolve_vulnerability(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
        input: VulnerabilityResolution,
    ) -> Result<Vulnerability, AppError> {
        actor.require(match input {
            VulnerabilityResolution::Resolved { .. } => Action::ResolveVulnerability,
            VulnerabilityResolution::Accepted { .. } => Action::AcceptVulnerabilityRisk,
        })?;
        self.change_vulnerability(actor, number, |v, who, now| {
            v.resolve(input, who, now)?;
            Ok(JournalAction::VulnerabilityResolution(
                VulnerabilityResolved {
                    status: v.status,
                    resolution: v.resolution.clone(),
                },
            ))
        })
        .await
    }

    pub async fn get_vulnerability(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
    ) -> Result<Vulnerability, AppError> {
        actor.require(Action::ViewVulnerabilities)?;
        self.store
            .get(&EntityRef::Vulnerability(number))
            .await?
            .and_then(Entity::into_vulnerability)
            .ok_or_else(|| not_found(format!("vulnerability {number}")))
    }

    pub async fn list_vulnerabilities(
        &self,
        actor: &Actor,
        query: VulnerabilityQuery,
    ) -> Result<Page<Vulnerability>, AppError> {
        actor.require(Action::ViewVulnerabilities)?;
        Ok(self.store.list_vulnerabilities(&query).await?)
    }
}
