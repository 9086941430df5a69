//! The part of the [`App`] for vulnerabilities: reports, assessment,
//! resolution and the register, on a track of their own beside incidents.

use rampart_domain::{
    Action, Actor, DomainError, Incident, IncidentNumber, JournalAction, Vulnerability,
    VulnerabilityAssessment, VulnerabilityNumber, VulnerabilityReport, VulnerabilityResolution,
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

    /// A vulnerability, for the register's readers; the person who reported
    /// it reads it back without its handling notes.
    pub async fn get_vulnerability(
        &self,
        actor: &Actor,
        number: VulnerabilityNumber,
    ) -> Result<Vulnerability, AppError> {
        if !actor.may(Action::ViewVulnerabilities) {
            actor.require(Action::ReportVulnerability)?;
        }
        // Someone else's report is not found, not forbidden: it says nothing.
        self.store
            .get(&EntityRef::Vulnerability(number))
            .await?
            .and_then(Entity::into_vulnerability)
            .filter(|v| v.readable_by(actor))
            .map(|v| v.visible_to(actor))
            .ok_or_else(|| not_found(format!("vulnerability {number}")))
    }

    /// The register, newest first; a reporter's own reports only, for those
    /// who may report but not read the register.
    pub async fn list_vulnerabilities(
        &self,
        actor: &Actor,
        mut query: VulnerabilityQuery,
    ) -> Result<Page<Vulnerability>, AppError> {
        if !actor.may(Action::ViewVulnerabilities) {
            actor.require(Action::ReportVulnerability)?;
            query.reported_by = Some(actor.name.clone());
        }
        let page = self.store.list_vulnerabilities(&query).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|v| v.visible_to(actor))
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// The vulnerabilities found during an incident the actor may read.
    pub async fn incident_vulnerabilities(
        &self,
        actor: &Actor,
        incident: IncidentNumber,
    ) -> Result<Vec<Vulnerability>, AppError> {
        actor.require(Action::ViewVulnerabilities)?;
        // Need-to-know: the incident must be one the actor may read.
        self.get_incident(actor, incident).await?;
        let page = self
            .store
            .list_vulnerabilities(&VulnerabilityQuery {
                incident: Some(incident.to_string()),
                limit: INCIDENT_VULNERABILITIES,
                ..VulnerabilityQuery::default()
            })
            .await?;
        Ok(page.items)
    }
}

/// The most vulnerabilities an incident's workspace lists.
pub const INCIDENT_VULNERABILITIES: u32 = 100;

#[cfg(test)]
mod tests {
    use rampart_domain::{Role, VulnerabilityStatus};
    use serde_json::json;

    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json};

    fn open_relay() -> rampart_domain::VulnerabilityReport {
        from_json(json!({"title": "Open relay", "description": "the gateway relays for all"}))
    }

    #[tokio::test]
    async fn a_vulnerability_is_reported_assessed_and_resolved_each_step_journaled() {
        let t = TestApp::new().await;
        let rita = t.user("rita", &[Role::Reporter]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let n = t.app.report_vulnerability(&rita, open_relay()).await;
        let n = n.unwrap().number;
        let confirmed = from_json(json!({"outcome": "confirmed", "notes": "reproduced"}));
        let assessed = t.app.assess_vulnerability(&ian, n, confirmed).await;
        assert_eq!(assessed.unwrap().status, VulnerabilityStatus::Confirmed);
        let fixed = from_json(json!({"outcome": "resolved", "how": "off", "authorised_by": "Ann"}));
        t.app.resolve_vulnerability(&ian, n, fixed).await.unwrap();

        let stored = t.app.get_vulnerability(&ian, n).await.unwrap();
        assert_eq!(stored.status, VulnerabilityStatus::Resolved);
        assert!(stored.resolution_recorded.is_some_and(|s| s.by == "ian"));
        let journal = ["reported", "assessed", "resolution"].map(|a| format!("vulnerability.{a}"));
        assert_eq!(t.actions(n).await, journal);
    }

    #[tokio::test]
    async fn only_a_manager_accepts_the_risk_and_a_reporter_reads_back_only_their_own() {
        let t = TestApp::new().await;
        let rita = t.user("rita", &[Role::Reporter]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let mia = t.user("mia", &[Role::IsirtManager]).await;
        let n = t.app.report_vulnerability(&rita, open_relay()).await;
        let n = n.unwrap().number;
        let confirm = || from_json(json!({"outcome": "confirmed"}));
        let refused = t.app.assess_vulnerability(&rita, n, confirm()).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Forbidden);
        t.app
            .assess_vulnerability(&ian, n, confirm())
            .await
            .unwrap();
        // Rita reads back what she reported, with its status and not its handling.
        let hers = t.app.get_vulnerability(&rita, n).await.unwrap();
        assert_eq!(hers.status, VulnerabilityStatus::Confirmed);
        assert!(hers.assessment.is_none());
        let listed = t.app.list_vulnerabilities(&rita, Default::default()).await;
        assert_eq!(listed.unwrap().items.len(), 1);
        // Someone else's report is not found for her, and not listed.
        let theirs = t
            .app
            .report_vulnerability(&ian, open_relay())
            .await
            .unwrap();
        let refused = t.app.get_vulnerability(&rita, theirs.number).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::NotFound);
        let listed = t.app.list_vulnerabilities(&rita, Default::default()).await;
        assert_eq!(listed.unwrap().items.len(), 1);
        let pat = t.user("pat", &[Role::Auditor]).await;
        assert_eq!(
            t.app
                .list_vulnerabilities(&pat, Default::default())
                .await
                .unwrap()
                .items
                .len(),
            2
        );

        let accept = || {
            from_json(
                json!({"outcome": "accepted", "justification": "replaced next quarter",
                             "until": "2027-03-01T00:00:00Z"}),
            )
        };
        let refused = t.app.resolve_vulnerability(&ian, n, accept()).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Forbidden);
        let accepted = t.app.resolve_vulnerability(&mia, n, accept()).await;
        assert_eq!(accepted.unwrap().status, VulnerabilityStatus::Accepted);
    }

    #[tokio::test]
    async fn an_unconfirmed_vulnerability_cannot_be_resolved() {
        let t = TestApp::new().await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let n = t.app.report_vulnerability(&ian, open_relay()).await;
        let n = n.unwrap().number;
        let fixed = json!({"outcome": "resolved", "how": "patched", "authorised_by": "Ann"});
        let refused = t.app.resolve_vulnerability(&ian, n, from_json(fixed)).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::IllegalTransition);
        assert_eq!(t.actions(n).await, ["vulnerability.reported"]);
    }
}
