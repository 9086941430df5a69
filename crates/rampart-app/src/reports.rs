//! Reports of records as they are handed over: each made from one state of
//! the journal, and journaled with the SHA-256 of the file, so that a filed
//! report can be matched to the entry that issued it.

use std::future::Future;

use rampart_domain::journal::ReportIssued;
use rampart_domain::{
    Actor, DomainError, Event, EventNumber, Incident, IncidentNumber, JournalAction, Vulnerability,
    VulnerabilityNumber,
};
use rampart_store::{EntityRef, JournalDraft};

use crate::unit::{Decided, Unit};
use crate::{App, AppError};

/// How often a read is tried again while the journal moves under it.
const STEADY_TRIES: usize = 5;

/// The record a report is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOf {
    Incident(IncidentNumber),
    Event(EventNumber),
    Vulnerability(VulnerabilityNumber),
}

impl App {
    /// What `read` gives, with the journal head `(sequence, hash)` it
    /// reflects: read again while the head moved during the read. Under
    /// a constant stream of writes, after a few tries, the head read just
    /// after the last read.
    pub async fn as_of_journal_head<T, F, Fut>(
        &self,
        read: F,
    ) -> Result<(T, (u64, String)), AppError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        let mut before = self.store.journal_head().await?;
        for _ in 1..STEADY_TRIES {
            let value = read().await?;
            let after = self.store.journal_head().await?;
            if after == before {
                return Ok((value, after));
            }
            before = after;
        }
        let value = read().await?;
        let after = self.store.journal_head().await?;
        Ok((value, after))
    }

    /// Journals that a signed report of a record was made
    /// (`incident.report_issued`, `event.report_issued` or
    /// `vulnerability.report_issued`), before it is handed over.
    pub async fn record_report(
        &self,
        actor: &Actor,
        of: ReportOf,
        issued: ReportIssued,
    ) -> Result<(), AppError> {
        let mut unit = Unit::new(&actor.name);
        let who = actor.clone();
        match of {
            ReportOf::Incident(n) => {
                let loaded = unit.load::<Incident>(EntityRef::Incident(n));
                let unit = unit.decide(move |ctx| {
                    let found = ctx.take(&loaded, || format!("incident {n}"))?;
                    if !found.readable_by(&who) {
                        return Err(DomainError::NotFound(format!("incident {n}")));
                    }
                    Ok(Decided::new(()).journal(JournalDraft::new(
                        n,
                        JournalAction::IncidentReportIssued(issued),
                    )))
                });
                self.run(unit).await
            }
            ReportOf::Event(n) => {
                let loaded = unit.load::<Event>(EntityRef::Event(n));
                let unit = unit.decide(move |ctx| {
                    let found = ctx.take(&loaded, || format!("event {n}"))?;
                    if !found.readable_by(&who) {
                        return Err(DomainError::NotFound(format!("event {n}")));
                    }
                    Ok(Decided::new(()).journal(JournalDraft::new(
                        n,
                        JournalAction::EventReportIssued(issued),
                    )))
                });
                self.run(unit).await
            }
            ReportOf::Vulnerability(n) => {
                let loaded = unit.load::<Vulnerability>(EntityRef::Vulnerability(n));
                let unit = unit.decide(move |ctx| {
                    let found = ctx.take(&loaded, || format!("vulnerability {n}"))?;
                    if !found.readable_by(&who) {
                        return Err(DomainError::NotFound(format!("vulnerability {n}")));
                    }
                    Ok(Decided::new(()).journal(JournalDraft::new(
                        n,
                        JournalAction::VulnerabilityReportIssued(issued),
                    )))
                });
                self.run(unit).await
            }
        }
    }
}
