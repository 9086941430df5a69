//! The communications log: what was said about the incident, to whom, by
//! which channel, who approved it and when it went out. Communications to
//! anyone outside the organisation go out only once approved, by someone
//! other than the person who drafted them and holding a role that may
//! speak for the organisation to that audience.

use super::*;
use crate::{ChannelKind, Contact, ContactCategory, ContactId, EvidenceItem, EvidenceNumber, Role};

/// Most communications one incident holds.
pub const MAX_COMMUNICATIONS: usize = 1_000;
/// Most recipients (directory entries and others) of one communication.
pub const MAX_RECIPIENTS: usize = 100;
/// Longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;

wire_enum!(
    /// The stakeholder group a communication is for.
    CommunicationAudience {
        /// Inside the organisation: crisis management, management, staff.
        DirectInternal => "direct_internal",
        /// Outside and directly concerned: owners, customers, partners,
        /// suppliers, regulators, CSIRTs, law enforcement.
        DirectExternal => "direct_external",
        /// Everyone else: the media, the public, shareholders.
        Indirect => "indirect",
    }
);

impl CommunicationAudience {
    /// Whether a communication to this audience needs an approval before it goes out.
    pub fn needs_approval(self) -> bool {
        self != Self::DirectInternal
    }

    /// The roles that may approve a communication to this audience: the
    /// organisation's voice to the public is its crisis or senior management.
    pub fn approvers(self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::DirectInternal | Self::DirectExternal => {
                &[IsirtManager, CrisisManager, SeniorManager]
            }
            Self::Indirect => &[CrisisManager, SeniorManager],
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::DirectInternal => "Direct internal",
            Self::DirectExternal => "Direct external",
            Self::Indirect => "Indirect (public, media)",
        }
    }
}

wire_enum!(
    /// Where a communication stands.
    CommunicationStatus {
        /// Internal and ready to go out (no approval needed).
        Draft => "draft",
        /// Waits for an approval before it may go out.
        AwaitingApproval => "awaiting_approval",
        Approved => "approved",
        Sent => "sent",
        /// Withdrawn before it went out (a correction is a new draft).
        Withdrawn => "withdrawn",
    }
);

impl CommunicationStatus {
    /// The statuses a communication may move to from this one.
    pub fn targets(self) -> &'static [CommunicationStatus] {
        use CommunicationStatus::*;
        match self {
            Draft => &[Approved, Sent, Withdrawn],
            AwaitingApproval => &[Approved, Withdrawn],
            Approved => &[Sent, Withdrawn],
            Sent | Withdrawn => &[],
        }
    }
}

/// Who approved a communication, in which role, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunicationApproval {
    pub by: String,
    /// The role they approved it in.
    pub role: Role,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
}

/// When a communication went out, and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunicationSent {
    /// When it went out (may be earlier than recorded).
    pub at: Timestamp,
    pub recorded_by: String,
    pub recorded_at: Timestamp,
    /// The message id, case number or call reference it went out under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Text>,
}

/// Who withdrew a communication before it went out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunicationWithdrawn {
    pub by: String,
    pub at: Timestamp,
    pub reason: Text,
}

/// One communication about the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Communication {
    pub id: u32,
    pub audience: CommunicationAudience,
    pub status: CommunicationStatus,
    /// Recipients from the contact directory.
    pub recipients: Vec<ContactId>,
    /// Recipients outside the directory ("all staff", "press release on the website").
    pub other_recipients: Vec<Text>,
    pub channel: ChannelKind,
    pub subject: Text,
    /// What is said.
    pub content: Option<Text>,
    /// The file sent, kept as an evidence item of the incident.
    pub attachment: Option<EvidenceNumber>,
    /// The marking of what is said; no recipient may be sent more than their directory entry allows.
    pub tlp: Tlp,
    pub drafted_by: String,
    pub drafted_at: Timestamp,
    pub approval: Option<CommunicationApproval>,
    pub sent: Option<CommunicationSent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<CommunicationWithdrawn>,
}

/// A communication as drafted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCommunication {
    pub audience: CommunicationAudience,
    /// Contact directory ids.
    #[serde(default)]
    pub recipients: Vec<ContactId>,
    /// Recipients outside the directory.
    #[serde(default)]
    pub other_recipients: Vec<Text>,
    pub channel: ChannelKind,
    /// At most 200 characters.
    pub subject: Text,
    /// What is said; give it, an attachment, or both.
    #[serde(default)]
    pub content: Option<Text>,
    /// An evidence item of this incident holding the file sent.
    #[serde(default)]
    pub attachment: Option<EvidenceNumber>,
    /// Defaults to the incident's TLP.
    #[serde(default)]
    pub tlp: Option<Tlp>,
}

/// An approval as submitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApproveCommunication {
    /// The role approved in; defaults to the approver's first role that may approve.
    #[serde(default)]
    pub role: Option<Role>,
    /// A condition or remark.
    #[serde(default)]
    pub note: Option<Text>,
}

/// The record that a communication went out.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendCommunication {
    /// When it went out; defaults to now.
    #[serde(default)]
    pub sent_at: Option<Timestamp>,
    /// The message id, case number or call reference.
    #[serde(default)]
    pub reference: Option<Text>,
}

/// Withdrawing a communication before it goes out.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawCommunication {
    pub reason: Text,
}

impl NewCommunication {
    /// Checks the draft against the directory entries it names (found by
    /// the caller, in the order of `recipients`; `None` where there is no
    /// such entry) and the evidence item it attaches.
    pub fn validate(
        &self,
        incident: &Incident,
        contacts: &[Option<Contact>],
        attachment: Option<&EvidenceItem>,
    ) -> Result<(), DomainError> {
        let mut p = Problems::default();
        let tlp = self.tlp.unwrap_or(incident.tlp);
        if self.subject.as_str().chars().count() > MAX_SUBJECT {
            p.push(
                "subject",
                format!("must be at most {MAX_SUBJECT} characters"),
            );
        }
        if self.recipients.is_empty() && self.other_recipients.is_empty() {
            p.push(
                "recipients",
                "name at least one recipient, from the directory or in other_recipients",
            );
        }
        if self.recipients.len() + self.other_recipients.len() > MAX_RECIPIENTS {
            p.push("recipients", format!("at most {MAX_RECIPIENTS} in all"));
        }
        for (i, id) in self.recipients.iter().enumerate() {
            let field = format!("recipients[{i}]");
            if self.recipients[..i].contains(id) {
                p.push(field, format!("{id} is listed twice"));
                continue;
            }
            match contacts.get(i).and_then(Option::as_ref) {
                None => p.push(field, format!("no contact `{id}` in the directory")),
                Some(c) if !c.may_receive(tlp) => p.push(
                    field,
                    format!(
                        "{} may receive at most TLP:{}; this communication is TLP:{tlp}",
                        c.details.name, c.details.tlp_max
                    ),
                ),
                Some(c)
                    if self.audience == CommunicationAudience::DirectInternal
                        && c.details.category != ContactCategory::Internal =>
                {
                    p.push(
                        field,
                        format!(
                            "{} is outside the organisation: a communication to them is direct_external",
                            c.details.name
                        ),
                    )
                }
                Some(_) => {}
            }
        }
        for (i, other) in self.other_recipients.iter().enumerate() {
            if other.as_str().chars().count() > MAX_SUBJECT {
                p.push(
                    format!("other_recipients[{i}]"),
                    format!("must be at most {MAX_SUBJECT} characters"),
                );
            }
        }
        if self.content.is_none() && self.attachment.is_none() {
            p.push("content", "give what is said, an attachment, or both");
        }
        if let Some(n) = self.attachment {
            match attachment {
                Some(item) if item.incident == Some(incident.number) => {
                    if item.tlp > tlp {
                        p.push(
                            "attachment",
                            format!(
                                "{n} is marked TLP:{}; the communication cannot be marked lower",
                                item.tlp
                            ),
                        );
                    }
                }
                _ => p.push(
                    "attachment",
                    format!("{n} is not an evidence item of {}", incident.number),
                ),
            }
        }
        p.into_result()
    }
}

impl Incident {
    /// Records a communication as drafted: ready to go out when internal,
    /// awaiting approval otherwise. The caller has validated it.
    pub fn draft_communication(
        &mut self,
        input: NewCommunication,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&Communication, DomainError> {
        if self.communications.len() >= MAX_COMMUNICATIONS {
            return Err(DomainError::field(
                "communications",
                format!("an incident holds at most {MAX_COMMUNICATIONS} communications"),
            ));
        }
        let status = if input.audience.needs_approval() {
            CommunicationStatus::AwaitingApproval
        } else {
            CommunicationStatus::Draft
        };
        self.communications.push(Communication {
            id: self.communications.len() as u32 + 1,
            audience: input.audience,
            status,
            recipients: input.recipients,
            other_recipients: input.other_recipients,
            channel: input.channel,
            subject: input.subject,
            content: input.content,
            attachment: input.attachment,
            tlp: input.tlp.unwrap_or(self.tlp),
            drafted_by: by.name.clone(),
            drafted_at: now,
            approval: None,
            sent: None,
            withdrawn: None,
        });
        self.updated_at = now;
        self.communications
            .last()
            .ok_or_else(|| DomainError::NotFound("communication".into()))
    }

    /// Approves a communication: by someone other than its drafter, in a
    /// role that may approve for its audience.
    pub fn approve_communication(
        &mut self,
        id: u32,
        input: ApproveCommunication,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&Communication, DomainError> {
        let c = self.communication_mut(id)?;
        c.expect_status(CommunicationStatus::Approved)?;
        let approvers = c.audience.approvers();
        let refused = || DomainError::Forbidden {
            actor: by.name.clone(),
            action: format!(
                "approve a {} communication",
                c.audience.as_str().replace('_', " ")
            ),
            allowed: approvers.iter().map(|r| r.as_str().to_owned()).collect(),
        };
        let role = match input.role {
            Some(role) if !by.roles.contains(&role) => {
                return Err(DomainError::field(
                    "role",
                    format!("{} does not hold the role {role}", by.name),
                ));
            }
            Some(role) if !approvers.contains(&role) => return Err(refused()),
            Some(role) => role,
            None => *by
                .roles
                .iter()
                .find(|r| approvers.contains(r))
                .ok_or_else(refused)?,
        };
        if c.drafted_by == by.name {
            return Err(DomainError::field(
                "approval",
                "the person who drafted a communication may not approve it; someone else must",
            ));
        }
        c.approval = Some(CommunicationApproval {
            by: by.name.clone(),
            role,
            at: now,
            note: input.note,
        });
        c.status = CommunicationStatus::Approved;
        self.updated_at = now;
        self.communication(id)
    }

    /// Records that a communication went out: an external one only once approved.
    pub fn send_communication(
        &mut self,
        id: u32,
        input: SendCommunication,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&Communication, DomainError> {
        let c = self.communication_mut(id)?;
        if c.status == CommunicationStatus::AwaitingApproval {
            return Err(DomainError::field(
                "approval",
                format!(
                    "communication {id} is {} and must be approved before it is marked sent",
                    c.audience.as_str().replace('_', " ")
                ),
            ));
        }
        c.expect_status(CommunicationStatus::Sent)?;
        let at = input.sent_at.unwrap_or(now);
        if at > now {
            return Err(DomainError::field("sent_at", "must not be in the future"));
        }
        let earliest = c.approval.as_ref().map_or(c.drafted_at, |a| a.at);
        if at < earliest {
            let what = if c.approval.is_some() {
                "its approval"
            } else {
                "it was drafted"
            };
            return Err(DomainError::field(
                "sent_at",
                format!("must not be before {what} ({earliest})"),
            ));
        }
        c.sent = Some(CommunicationSent {
            at,
            recorded_by: by.name.clone(),
            recorded_at: now,
            reference: input.reference,
        });
        c.status = CommunicationStatus::Sent;
        self.updated_at = now;
        self.communication(id)
    }

    /// Withdraws a communication that has not gone out.
    pub fn withdraw_communication(
        &mut self,
        id: u32,
        input: WithdrawCommunication,
        by: &Actor,
        now: Timestamp,
    ) -> Result<&Communication, DomainError> {
        let c = self.communication_mut(id)?;
        c.expect_status(CommunicationStatus::Withdrawn)?;
        c.withdrawn = Some(CommunicationWithdrawn {
            by: by.name.clone(),
            at: now,
            reason: input.reason,
        });
        c.status = CommunicationStatus::Withdrawn;
        self.updated_at = now;
        self.communication(id)
    }

    /// The communication `id` of this incident.
    pub fn communication(&self, id: u32) -> Result<&Communication, DomainError> {
        self.communications
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("communication {id} of {}", self.number)))
    }

    fn communication_mut(&mut self, id: u32) -> Result<&mut Communication, DomainError> {
        let number = self.number;
        self.communications
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("communication {id} of {number}")))
    }
}

impl Communication {
    /// Refuses a move its status does not allow.
    fn expect_status(&self, to: CommunicationStatus) -> Result<(), DomainError> {
        let allowed = self.status.targets();
        if allowed.contains(&to) {
            return Ok(());
        }
        Err(DomainError::IllegalTransition {
            entity: format!("communication {}", self.id),
            current: self.status.to_string(),
            requested: to.to_string(),
            allowed: allowed.iter().map(ToString::to_string).collect(),
        })
    }
}
