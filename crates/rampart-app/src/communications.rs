//! The communications log of an incident (see
//! [`rampart_domain::Communication`]): drafted against the contact
//! directory, approved by someone who may speak for the organisation,
//! recorded as sent or withdrawn. Each step is one journal entry carrying
//! the whole communication.

use rampart_domain::{
    Action, Actor, ApproveCommunication, Communication, Contact, DomainError, EvidenceItem,
    Incident, IncidentNumber, JournalAction, NewCommunication, SendCommunication, Timestamp,
    WithdrawCommunication,
};
use rampart_store::EntityRef;

use crate::{App, AppError};

#[cfg(test)]
mod tests;

/// A step of a communication's course, as the domain takes it.
type Step<I> = for<'a> fn(
    &'a mut Incident,
    u32,
    I,
    &Actor,
    Timestamp,
) -> Result<&'a Communication, DomainError>;

impl App {
    /// The communications of an incident the actor may read, oldest first.
    pub async fn communications(
        &self,
        actor: &Actor,
        number: IncidentNumber,
    ) -> Result<Vec<Communication>, AppError> {
        Ok(self.get_incident(actor, number).await?.communications)
    }

    /// Drafts a communication (`incident.communication_drafted`): its
    /// recipients must be in the directory and cleared for its TLP, and
    /// its attachment an evidence item of the incident.
    pub async fn draft_communication(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        input: NewCommunication,
    ) -> Result<Communication, AppError> {
        actor.require(Action::Communicate)?;
        let recipients = input.recipients.clone();
        let attachment = input.attachment;
        let (_, drafted) = self
            .change_incident(
                actor,
                number,
                move |unit| {
                    let contacts: Vec<_> = recipients
                        .into_iter()
                        .map(|id| unit.load::<Contact>(EntityRef::Contact(id)))
                        .collect();
                    let item =
                        attachment.map(|n| unit.load::<EvidenceItem>(EntityRef::Evidence(n)));
                    (contacts, item)
                },
                move |ctx, incident, who, (contacts, item)| {
                    let contacts: Vec<Option<Contact>> =
                        contacts.iter().map(|c| ctx.maybe(c)).collect();
                    let item = item.and_then(|i| ctx.maybe(&i));
                    input.validate(incident, &contacts, item.as_ref())?;
                    let drafted = incident.draft_communication(input, who, ctx.now())?.clone();
                    let action =
                        JournalAction::IncidentCommunicationDrafted(Box::new(drafted.clone()));
                    Ok((drafted, action, vec![]))
                },
            )
            .await?;
        Ok(drafted)
    }

    /// Approves a communication (`incident.communication_approved`).
    pub async fn approve_communication(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        input: ApproveCommunication,
    ) -> Result<Communication, AppError> {
        actor.require(Action::ApproveCommunication)?;
        self.communication_step(
            actor,
            number,
            id,
            input,
            Incident::approve_communication,
            JournalAction::IncidentCommunicationApproved,
        )
        .await
    }

    /// Records that a communication went out (`incident.communication_sent`).
    pub async fn send_communication(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        input: SendCommunication,
    ) -> Result<Communication, AppError> {
        actor.require(Action::Communicate)?;
        self.communication_step(
            actor,
            number,
            id,
            input,
            Incident::send_communication,
            JournalAction::IncidentCommunicationSent,
        )
        .await
    }

    /// Withdraws a communication that has not gone out (`incident.communication_withdrawn`).
    pub async fn withdraw_communication(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        input: WithdrawCommunication,
    ) -> Result<Communication, AppError> {
        actor.require(Action::Communicate)?;
        self.communication_step(
            actor,
            number,
            id,
            input,
            Incident::withdraw_communication,
            JournalAction::IncidentCommunicationWithdrawn,
        )
        .await
    }

    async fn communication_step<I: Send + 'static>(
        &self,
        actor: &Actor,
        number: IncidentNumber,
        id: u32,
        input: I,
        step: Step<I>,
        action: fn(Box<Communication>) -> JournalAction,
    ) -> Result<Communication, AppError> {
        let (_, changed) = self
            .change_incident(
                actor,
                number,
                |_| (),
                move |ctx, incident, who, ()| {
                    let changed = step(incident, id, input, who, ctx.now())?.clone();
                    Ok((changed.clone(), action(Box::new(changed)), vec![]))
                },
            )
            .await?;
        Ok(changed)
    }
}
