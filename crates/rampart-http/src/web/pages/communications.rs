//! The communications section of the incident workspace: the log of what
//! was said to whom, and the forms to draft, approve, record as sent and
//! withdraw.

use axum::extract::{Path, State};
use rampart_domain::{
    Action, ApproveCommunication, ChannelKind, Communication, CommunicationAudience,
    CommunicationStatus, Contact, EvidenceItem, Incident, NewCommunication, Role,
    SendCommunication, Tlp, WithdrawCommunication,
};

use super::{Page, record_form};
use crate::AppState;
use crate::web::WebError;
use crate::web::pages::incidents::IncidentRecord;
use crate::web::session::{FormData, Person, Posted};

/// The marker naming the form posted: `draft`, or the communication's id.
pub const COMMUNICATION_FORM: &str = "_communication";

/// One communication as listed: with its recipients' names from the directory.
pub struct CommunicationRow {
    pub c: Communication,
    /// The directory entries' names (the id where the entry is gone or not readable).
    pub recipients: Vec<String>,
    /// The viewer may approve it now.
    pub may_approve: bool,
    /// The roles the viewer may approve it in (a choice when more than one).
    pub approve_as: Vec<Role>,
    /// The viewer may record it sent now.
    pub may_send: bool,
    /// The viewer may withdraw it now.
    pub may_withdraw: bool,
}

/// The communications section of the incident page.
pub struct CommunicationsSection {
    pub rows: Vec<CommunicationRow>,
    /// The directory, for the draft form (empty for those who may not draft).
    pub contacts: Vec<Contact>,
    /// The evidence items a communication may attach.
    pub attachments: Vec<(String, String)>,
    pub may_draft: bool,
    /// Which form was just posted and refused: `draft` or an id.
    pub open: String,
    pub values: FormData,
    pub audiences: &'static [CommunicationAudience],
    pub channels: &'static [ChannelKind],
    pub tlps: &'static [Tlp],
}

impl CommunicationsSection {
    pub async fn new(
        state: &AppState,
        person: &Person,
        incident: &Incident,
        evidence: &[EvidenceItem],
        posted: &FormData,
    ) -> Result<Self, WebError> {
        let merged = incident.merged_into.is_some();
        let may_draft = person.may(Action::Communicate) && !merged;
        let contacts = if person.may(Action::ViewContacts)
            && (may_draft || !incident.communications.is_empty())
        {
            state.app.contacts(&person.actor, None).await?
        } else {
            vec![]
        };
        let name_of = |id: &rampart_domain::ContactId| {
            contacts
                .iter()
                .find(|c| &c.id == id)
                .map_or_else(|| id.to_string(), |c| c.details.name.to_string())
        };
        let rows = incident
            .communications
            .iter()
            .rev()
            .map(|c| {
                let pending = !c.status.targets().is_empty() && !merged;
                let approve_as: Vec<Role> = person
                    .actor
                    .roles
                    .iter()
                    .copied()
                    .filter(|r| c.audience.approvers().contains(r))
                    .collect();
                CommunicationRow {
                    recipients: c.recipients.iter().map(name_of).collect(),
                    may_approve: pending
                        && person.may(Action::ApproveCommunication)
                        && !approve_as.is_empty()
                        && c.drafted_by != person.actor.name
                        && c.status.targets().contains(&CommunicationStatus::Approved),
                    approve_as,
                    may_send: pending
                        && person.may(Action::Communicate)
                        && c.status.targets().contains(&CommunicationStatus::Sent),
                    may_withdraw: pending && person.may(Action::Communicate),
                    c: c.clone(),
                }
            })
            .collect();
        let attachments = evidence
            .iter()
            .filter(|e| e.disposed.is_none())
            .map(|e| (e.number.to_string(), e.description.to_string()))
            .collect();
        Ok(Self {
            rows,
            contacts: if may_draft { contacts } else { vec![] },
            attachments,
            may_draft,
            open: posted.v(COMMUNICATION_FORM).to_owned(),
            values: posted.clone(),
            audiences: CommunicationAudience::ALL,
            channels: ChannelKind::ALL,
            tlps: Tlp::ALL,
        })
    }

    /// The value typed in `field` of form `which` (`draft` or an id), when that form was refused.
    pub fn v(&self, which: &str, field: &str) -> &str {
        if self.open == which {
            self.values.v(field)
        } else {
            ""
        }
    }

    /// Whether `value` was chosen in `field` of the refused draft form.
    pub fn chosen(&self, field: &str, value: &str) -> bool {
        self.open == "draft" && self.values.has(field, value)
    }

    /// Whether the form `which` (`draft` or an id) was just refused.
    pub fn is_open(&self, which: &str) -> bool {
        self.open == which
    }
}

impl super::IncidentPage {
    /// Who may approve a communication to `audience`, in words.
    pub fn approvers(&self, audience: &CommunicationAudience) -> String {
        let names: Vec<&str> = audience
            .approvers()
            .iter()
            .map(|r| match r {
                Role::IsirtManager => "the ISIRT manager",
                Role::CrisisManager => "crisis management",
                Role::SeniorManager => "senior management",
                _ => r.as_str(),
            })
            .collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl CommunicationRow {
    pub fn id(&self) -> String {
        self.c.id.to_string()
    }
}

/// Drafts a communication.
pub async fn incident_communication_draft(
    State(state): State<AppState>,
    Path(n): Path<String>,
    mut post: Posted,
) -> Page {
    mark(&mut post, "draft");
    let app = state.app.clone();
    record_form::<IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &["other_recipients"],
        |actor, number, input: NewCommunication| async move {
            app.draft_communication(&actor, number, input).await
        },
    )
    .await
}

/// Approves, records as sent or withdraws communication `id`, as `step` says.
pub async fn incident_communication_step(
    State(state): State<AppState>,
    Path((n, id, step)): Path<(String, u32, String)>,
    mut post: Posted,
) -> Page {
    mark(&mut post, &id.to_string());
    let app = state.app.clone();
    match step.as_str() {
        "approval" => {
            record_form::<IncidentRecord, _, _>(
                &state,
                post,
                &n,
                &[],
                &[],
                |actor, number, input: ApproveCommunication| async move {
                    app.approve_communication(&actor, number, id, input).await
                },
            )
            .await
        }
        "sent" => {
            record_form::<IncidentRecord, _, _>(
                &state,
                post,
                &n,
                &[],
                &[],
                |actor, number, input: SendCommunication| async move {
                    app.send_communication(&actor, number, id, input).await
                },
            )
            .await
        }
        "withdrawal" => {
            record_form::<IncidentRecord, _, _>(
                &state,
                post,
                &n,
                &[],
                &[],
                |actor, number, input: WithdrawCommunication| async move {
                    app.withdraw_communication(&actor, number, id, input).await
                },
            )
            .await
        }
        _ => Err(WebError::NotFound(format!(
            "no step `{step}` of a communication"
        ))),
    }
}

/// Names the form posted, so that a refused one opens again.
fn mark(post: &mut Posted, which: &str) {
    post.form.0.retain(|(k, _)| k != COMMUNICATION_FORM);
    post.form
        .0
        .push((COMMUNICATION_FORM.into(), which.to_owned()));
}
