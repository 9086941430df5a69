//! The part of the [`App`] for vulnerabilities: reports, assessment,
//! resolution and the register, on a track of their own beside incidents.

use rampart_domain::{
    Action, Actor, DomainError, JournalAction, NumberKind, Vulnerability, VulnerabilityAssessment,
    VulnerabilityNumber, VulnerabilityReport, VulnerabilityResolution,
    journal::{VulnerabilityAssessed, VulnerabilityResolved},
};
use rampart_store::{
    Context, Decision, Entity, EntityRef, JournalDraft, Page, UnitOfWork, VulnerabilityQuery, Write,
};

use crate::App;
use crate::AppError;
use crate::{first, not_found};

impl App {
    pub async fn report_vulnerability(
        &self,
        actor: &Actor,
        input: VulnerabilityReport,
    ) -> Result<Vulnerability, AppError> {
        actor.require(Action::ReportVulnerability)?;
        let who = actor.clone();
        let mut load = vec![];
        if let Some(n) = input.incident {
            load.push(EntityRef::Incident(n));
        }
        let unit = UnitOfWork::new(
            actor.name.clone(),
            load,
            vec![NumberKind::Vulnerability],
            move |ctx| {
                if let Some(n) = input.incident
                    && !matches!(ctx.loaded.first(), Some(Some(Entity::Incident(i))) if i.readable_by(&who))
                {
                    return Err(DomainError::field("incident", format!("no incident {n}")));
                }
                let number = ctx.vulnerability_number(0)?;
                let v = Vulnerability::report(number, input, &who, ctx.now)?;
                Ok(Decision {
                    journal: vec![JournalDraft::new(
                        number,
                        JournalAction::VulnerabilityReported(Box::new(v.clone())),
                    )],
                    writes: vec![Write::Insert(Entity::Vulnerability(Box::new(v)))],
                })
            },
        );
        first(self.run(unit).await?)?
            .into_vulnerability()
            .ok_or_else(|| not_found("vulnerability"))
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
        let unit = UnitOfWork::new(
            actor.name.clone(),
            vec![EntityRef::Vulnerability(number)],
            vec![],
            move |mut ctx| {
                let mut v = take_vulnerability(&mut ctx, 0, number)?;
                let action = change(&mut v, &who, ctx.now)?;
                Ok(Decision {
                    journal: vec![JournalDraft::new(number, action)],
                    writes: vec![Write::Update(Entity::Vulnerability(Box::new(v)))],
                })
            },
        );
        first(self.run(unit).await?)?
            .into_vulnerability()
            .ok_or_else(|| not_found("vulnerability"))
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

fn take_vulnerability(
    ctx: &mut Context,
    i: usize,
    number: VulnerabilityNumber,
) -> Result<Vulnerability, DomainError> {
    ctx.take(i, || format!("vulnerability {number}"))?
        .into_vulnerability()
        .ok_or_else(|| DomainError::NotFound(number.to_string()))
}
