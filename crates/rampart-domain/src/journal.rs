//! The actions the journal records, each with the payload it carries.
//!
//! An entry's `action` is one of the names below and its `payload` the JSON
//! form of the matching struct. The field names and shapes are those written
//! since the first version: entries already in a journal are hashed over
//! them, so a payload struct may gain an optional field for new entries but
//! never rename, drop or reshape one. Options are written as `null` unless a
//! field says otherwise; fields marked `#[serde(default)]` are absent from
//! entries written before they were added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::{
    Assessment, Audience, Channel, Document, DocumentSettings, DocumentVersion, Escalation,
    EventNumber, EventStatus, EvidenceContent, EvidenceItem, EvidenceNumber, Incident,
    IncidentNumber, IncidentObservable, IncidentStatus, LogEntry, NoticeKind, NoticePreferences,
    Pap, RegimeWithdrawn, Rejection, ResponseAction, ResponseTargets, Review, Role, RuleSet, Stamp,
    Text, Timestamp, Tlp, Vulnerability, VulnerabilityOutcome, VulnerabilityResolution,
    VulnerabilityStatus, WebhookFormat,
    event::Event,
    regulatory::{AnchorRecord, AppliedRegime, RegulatoryRules, Submission},
};

/// Why an entry could not be read as a [`JournalAction`].
#[derive(Debug, thiserror::Error)]
pub enum JournalActionError {
    #[error("`{0}` is not a journal action")]
    Unknown(String),
    #[error("the payload of `{action}` does not fit it: {source}")]
    Payload {
        action: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

macro_rules! journal_actions {
    ($(
        $(#[$doc:meta])*
        $variant:ident($payload:ty) = $name:literal, $description:literal;
    )*) => {
        /// One thing the journal records, with its details.
        #[derive(Debug, Clone)]
        pub enum JournalAction {
            $( $(#[$doc])* $variant($payload), )*
        }

        /// Which action an entry records, without its payload: for readers
        /// that need only the kind of change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ActionKind {
            $( $variant, )*
        }

        impl ActionKind {
            /// The kind named `name`, if it is an action.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $( $name => Some(Self::$variant), )*
                    _ => None,
                }
            }

            /// The name written to the entry's `action` column.
            pub fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => $name, )*
                }
            }
        }

        impl JournalAction {
            /// The kind of this action.
            pub fn kind(&self) -> ActionKind {
                match self {
                    $( Self::$variant(_) => ActionKind::$variant, )*
                }
            }

            /// Every action's name with a one-line description, in the order of `docs/journal.md`.
            pub const ALL: &'static [(&'static str, &'static str)] = &[
                $( ($name, $description), )*
            ];

            /// The name written to the entry's `action` column, e.g. `incident.transition`.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $name, )*
                }
            }

            /// The payload as the entry stores it.
            pub fn payload(&self) -> Value {
                let value = match self {
                    $( Self::$variant(p) => serde_json::to_value(p), )*
                };
                // Payloads hold only string-keyed maps, so serialization cannot fail.
                value.unwrap_or(Value::Null)
            }

            /// Reads a stored entry's action name and payload back.
            pub fn parse(name: &str, payload: Value) -> Result<Self, JournalActionError> {
                match name {
                    $( $name => serde_json::from_value(payload)
                        .map(Self::$variant)
                        .map_err(|source| JournalActionError::Payload { action: $name, source }), )*
                    other => Err(JournalActionError::Unknown(other.to_owned())),
                }
            }

            /// Reads a stored entry whose payload is still JSON text.
            pub fn parse_text(name: &str, payload: &str) -> Result<Self, JournalActionError> {
                let Some(kind) = ActionKind::from_name(name) else {
                    return Err(JournalActionError::Unknown(name.to_owned()));
                };
                let value = serde_json::from_str(payload)
                    .map_err(|source| JournalActionError::Payload { action: kind.name(), source })?;
                Self::parse(name, value)
            }
        }
    };
}

journal_actions! {
    EventReported(EventReported) = "event.reported", "An event is reported";
    EventRepeated(EventRepeated) = "event.repeated", "A sensor sends an alert again and the first event counts it";
    EventTriage(EventTriage) = "event.triage", "A point of contact takes the event into triage";
    EventAssessed(EventAssessed) = "event.assessed", "The point of contact's decision, or the correlation rule's";
    EventRejected(EventRejected) = "event.rejected", "The ISIRT finds an escalated event is not an incident";
    EventLinked(EventLinked) = "event.linked", "The event becomes part of an incident";
    IncidentConfirmed(Box<Incident>) = "incident.confirmed", "An incident is confirmed (the whole record)";
    IncidentUpdated(IncidentUpdated) = "incident.updated", "Fields of an incident change";
    IncidentEventLinked(IncidentEventLinked) = "incident.event_linked", "Another event is added to an open incident";
    IncidentTransition(IncidentTransition) = "incident.transition", "A lifecycle move";
    IncidentLog(LogEntry) = "incident.log", "An entry in the incident management log";
    IncidentActionAdded(ResponseAction) = "incident.action_added", "A response action is planned";
    IncidentActionUpdated(ResponseAction) = "incident.action_updated", "A response action changes";
    IncidentReview(Review) = "incident.review", "A lessons-learned review is recorded or superseded";
    VulnerabilityReported(Box<Vulnerability>) = "vulnerability.reported", "A vulnerability is reported (the whole record)";
    VulnerabilityAssessed(VulnerabilityAssessed) = "vulnerability.assessed", "An assessment step";
    VulnerabilityResolution(VulnerabilityResolved) = "vulnerability.resolution", "A vulnerability is resolved or its risk accepted";
    VulnerabilityReview(Review) = "vulnerability.review", "A confirmed vulnerability's lessons-learned review is recorded or superseded";
    JobRequeued(JobRequeued) = "job.requeued", "An admin queues a dead background job again";
    IntakeRulesChanged(IntakeRulesChanged) = "intake.rules_changed", "An admin replaces the categorization rules";
    UserCreated(UserCreated) = "user.created", "A user is added";
    TokenCreated(TokenCreated) = "token.created", "An API token is created";
    IncidentRestricted(IncidentRestricted) = "incident.restricted", "An incident is restricted to named users, or the restriction is lifted";
    IncidentPublished(IncidentPublished) = "incident.published", "An incident is published on the MISP feed for an audience, or withdrawn from it";
    TokenRevoked(TokenRevoked) = "token.revoked", "An admin revokes an API token";
    TokenRefused(TokenRefused) = "token.refused", "A token is refused: expired, its owner disabled, or used beyond its scopes";
    UserPasswordSet(PasswordDigest) = "user.password_set", "An admin sets a user's password";
    UserRolesChanged(UserRolesChanged) = "user.roles_changed", "An admin changes a user's roles";
    UserDisabled(NoDetails) = "user.disabled", "An admin disables a user";
    UserEnabled(NoDetails) = "user.enabled", "An admin re-enables a user";
    UserTotpRequired(UserTotpRequired) = "user.totp_required", "An admin requires a second factor, or makes it optional";
    UserTotpReset(NoDetails) = "user.totp_reset", "An admin removes a user's second factor";
    AuthLogin(AuthLogin) = "auth.login", "A person signs in to the web UI";
    AuthLoginFailed(AuthLoginFailed) = "auth.login_failed", "A sign-in fails";
    AuthLocked(AuthLocked) = "auth.locked", "Too many failures lock a name or block an address";
    AuthLogout(NoDetails) = "auth.logout", "A person signs out";
    AuthPasswordChanged(PasswordDigest) = "auth.password_changed", "A person changes their own password";
    AuthTotpEnrolled(AuthTotpEnrolled) = "auth.totp_enrolled", "A person sets up a second factor";
    EvidenceCollected(Box<EvidenceCollected>) = "evidence.collected", "An evidence item is uploaded";
    EvidenceDownloaded(EvidenceDownloaded) = "evidence.downloaded", "The content, found intact, is downloaded";
    EvidenceVerified(EvidenceVerified) = "evidence.verified", "A verification finds the content intact";
    EvidenceExported(EvidenceExported) = "evidence.exported", "The item, found intact, goes into an evidence bundle";
    EvidenceTransferred(EvidenceTransferred) = "evidence.transferred", "Custody passes to someone else, or the item moves";
    EvidenceHoldPlaced(EvidenceHoldPlaced) = "evidence.hold_placed", "A legal hold is placed";
    EvidenceHoldReleased(EvidenceHoldReleased) = "evidence.hold_released", "A legal hold is released";
    EvidenceDisposed(EvidenceDisposed) = "evidence.disposed", "The content is disposed of";
    EvidenceIntegrityFailed(EvidenceIntegrityFailed) = "evidence.integrity_failed", "Stored content no longer matches its SHA-256, or is missing";
    IncidentObservableAdded(IncidentObservable) = "incident.observable_added", "An observable is recorded on an incident";
    IncidentObservableUpdated(IncidentObservableUpdated) = "incident.observable_updated", "An observable of an incident changes (before and after)";
    IncidentObservableRemoved(IncidentObservable) = "incident.observable_removed", "An observable is removed from an incident (kept in the record, marked removed)";
    JournalVerified(JournalVerified) = "journal.verified", "Someone has the whole chain recomputed, and what it found";
    IncidentMergedInto(IncidentMergedInto) = "incident.merged_into", "The incident is merged into another: closed as merged, its parts moved";
    IncidentMergedFrom(Box<IncidentMergedFrom>) = "incident.merged_from", "Another incident is merged into this one, with everything that came from it";
    EvidenceMoved(EvidenceMoved) = "evidence.moved", "The item moves to another incident, as its incident is merged";
    EvidenceAttached(EvidenceAttached) = "evidence.attached", "An item secured while its event was in triage follows the event into an incident";
    NotificationCreated(NotificationCreated) = "notification.created", "A person is told of a change: in the app, by e-mail or both";
    NotificationEmailed(NotificationEmailed) = "notification.emailed", "The mail server took a notification's e-mail";
    NotificationRead(NotificationRead) = "notification.read", "A person marks notifications read";
    NotificationPreferencesSet(Box<NoticePreferences>) = "notification.preferences_set", "A person chooses what they are told, and where";
    WebhookCreated(Box<WebhookRecorded>) = "webhook.created", "An admin subscribes a webhook to notices";
    WebhookChanged(Box<WebhookRecorded>) = "webhook.changed", "An admin changes a webhook, turns it off or on, or gives it a new secret";
    WebhookDelivered(WebhookDelivered) = "webhook.delivered", "A webhook's receiver took a notice";
    TargetsChanged(Box<TargetsChanged>) = "targets.changed", "An admin replaces the response-time targets";
    RegulatoryRulesChanged(Box<RegulatoryRulesChanged>) = "regulatory.rules_changed", "An admin replaces the notification rules (regimes, reports, deadlines, calendars)";
    IncidentRegimeApplied(Box<AppliedRegime>) = "incident.regime_applied", "The ISIRT finds that a notification regime applies, with the checklist answers";
    IncidentRegimeWithdrawn(RegimeWithdrawn) = "incident.regime_withdrawn", "The ISIRT finds that a regime does not apply after all";
    IncidentAnchorRecorded(AnchorRecord) = "incident.anchor_recorded", "A moment a notification clock runs from is recorded (or corrected)";
    IncidentSubmissionRecorded(Box<Submission>) = "incident.submission_recorded", "A report is sent to an authority";
    IncidentEscalated(Box<Escalation>) = "incident.escalated", "A deadline reached a rung of the escalation ladder, and who is told";
    DocumentCreated(Box<Document>) = "document.created", "A policy, plan, procedure or awareness document is created (the whole record, without versions)";
    DocumentChanged(Box<DocumentChanged>) = "document.changed", "A document's kind, title, owner, approvers or review interval change (before and after)";
    DocumentDrafted(Box<DocumentDrafted>) = "document.drafted", "A new version of a document is drafted, with its whole text";
    DocumentApproved(Box<DocumentApproved>) = "document.approved", "A version is approved as one of the roles it needs; the last approval says when it is in force";
    DocumentReviewed(Box<DocumentReviewed>) = "document.reviewed", "The version in force is reviewed and found still right; the next review is due later";
    TeamCreated(Box<crate::Team>) = "team.created", "A point-of-contact or ISIRT team is set up (the whole record)";
    TeamChanged(Box<TeamChanged>) = "team.changed", "A team's name, duty, lead, members or rota change (before and after)";
    TeamCoverAdded(Box<crate::Cover>) = "team.cover_added", "Someone is put on duty for a stretch instead of whoever the rotation names";
    TeamHandover(Box<crate::Handover>) = "team.handover", "The hand-over at the end of a shift: to whom, what was passed on, which incidents, what authority";
    ContactCreated(Box<crate::Contact>) = "contact.created", "An organisation or person is added to the contact directory (the whole record)";
    ContactChanged(Box<ContactChanged>) = "contact.changed", "A contact's details change (before and after)";
    PlaybookCreated(Box<crate::Playbook>) = "playbook.created", "A playbook is created with its first version (the whole record)";
    PlaybookRevised(Box<crate::PlaybookVersion>) = "playbook.revised", "A new version of a playbook is saved (the whole version)";
    IncidentPlaybookApplied(Box<PlaybookApplied>) = "incident.playbook_applied", "A playbook is applied to an incident: which version, and the response actions it planned";
    IncidentExported(IncidentExported) = "incident.exported", "The incident left Rampart in an exchange format, for an audience (the record does not change)";
    IncidentCommunicationDrafted(Box<crate::Communication>) = "incident.communication_drafted", "A communication about an incident is drafted (the whole record): ready to go out when internal, awaiting approval otherwise";
    IncidentCommunicationApproved(Box<crate::Communication>) = "incident.communication_approved", "A communication is approved, by whom and in which role (the whole record)";
    IncidentCommunicationSent(Box<crate::Communication>) = "incident.communication_sent", "A communication went out, when and under which reference (the whole record)";
    ImprovementCreated(Box<crate::ImprovementAction>) = "improvement.created", "A lessons-learned review decides an improvement action, now tracked to closure (the whole record)";
    ImprovementUpdated(Box<crate::ImprovementAction>) = "improvement.updated", "An improvement action progresses, is given a new owner or due date, or is closed with its outcome (the whole record)";
    ExerciseCreated(Box<crate::Exercise>) = "exercise.created", "An exercise is planned: its scenario, audience and injects (the whole record)";
    ExerciseStarted(Box<crate::Exercise>) = "exercise.started", "An exercise starts: its injects fall due from now (the whole record)";
    ExerciseInjectDelivered(Box<crate::Exercise>) = "exercise.inject_delivered", "An inject arrived as an exercise event (the whole record)";
    ExerciseEnded(Box<crate::Exercise>) = "exercise.ended", "An exercise ends; injects not arrived never will (the whole record)";
    ClassificationScaleRevised(Box<crate::ScaleVersion>) = "classification.scale_revised", "An admin saves a new version of the classification scale (the whole version): its categories and the names of the severity classes";
    IncidentCommunicationWithdrawn(Box<crate::Communication>) = "incident.communication_withdrawn", "A communication is withdrawn before it went out, and why (the whole record)";
    IncidentReportIssued(ReportIssued) = "incident.report_issued", "A signed incident report was made (the record does not change): its form, the SHA-256 of the file and the journal entry it was made from";
    EventReportIssued(ReportIssued) = "event.report_issued", "A signed event report was made (the record does not change): its form, the SHA-256 of the file and the journal entry it was made from";
    VulnerabilityReportIssued(ReportIssued) = "vulnerability.report_issued", "A signed vulnerability report was made (the record does not change): its form, the SHA-256 of the file and the journal entry it was made from";
    SummaryIssued(ReportIssued) = "summary.issued", "A signed management summary of a month or quarter was made (no record changes; the entity names the period, `summary:2026-Q1`): its form, the SHA-256 of the file and the journal entry it was made from";
}

impl JournalAction {
    /// Whether the action changes a user or an API token.
    pub fn changes_users_or_tokens(&self) -> bool {
        self.kind().changes_users_or_tokens()
    }
}

impl ActionKind {
    /// Whether actions of this kind change a user or an API token, so that
    /// tokens cached for authentication may be stale.
    pub fn changes_users_or_tokens(self) -> bool {
        matches!(
            self,
            Self::UserCreated
                | Self::TokenCreated
                | Self::TokenRevoked
                | Self::UserPasswordSet
                | Self::UserRolesChanged
                | Self::UserDisabled
                | Self::UserEnabled
                | Self::UserTotpRequired
                | Self::UserTotpReset
        )
    }
}

/// A payload with no details (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoDetails {}

// ----- events -------------------------------------------------------------------

/// `event.reported`: the whole event, without the reporter's identity when
/// the report is anonymous (the record keeps it for those allowed to see it).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct EventReported(pub Box<Event>);

impl Serialize for EventReported {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.0.anonymous {
            return self.0.serialize(serializer);
        }
        let mut value = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        if let Some(map) = value.as_object_mut() {
            map.remove("reporter");
            map.remove("submitted_by");
        }
        value.serialize(serializer)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRepeated {
    pub occurrences: u64,
    pub last_seen: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTriage {
    pub status: EventStatus,
}

/// `event.assessed`: a point of contact's entry carries the status beside
/// the assessment; the correlation rule's, the assessment alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventAssessed {
    ByContact {
        status: EventStatus,
        assessment: Option<Assessment>,
    },
    ByRule(Option<Assessment>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRejected {
    pub status: EventStatus,
    pub rejection: Option<Rejection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLinked {
    pub status: EventStatus,
    pub incident: IncidentNumber,
}

// ----- notifications ------------------------------------------------------------

/// `notification.created`, on `inbox:<user>`: who was told what, where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationCreated {
    pub id: String,
    pub kind: NoticeKind,
    pub audience: Audience,
    pub subject: String,
    pub title: String,
    pub channels: Vec<Channel>,
}

/// `notification.emailed`, on `inbox:<user>`: the address the mail server took it for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationEmailed {
    pub id: String,
    pub to: String,
    pub message_id: String,
}

/// `notification.read`, on `inbox:<user>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRead {
    pub ids: Vec<String>,
}

/// `webhook.created`, `webhook.changed`, on `webhook:<id>`: the subscription
/// as it now is, its secret only as a SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecorded {
    pub id: String,
    pub name: Text,
    pub url: String,
    pub format: WebhookFormat,
    pub kinds: Vec<NoticeKind>,
    pub allow_private: bool,
    pub active: bool,
    pub secret_sha256: String,
}

/// `webhook.delivered`, on `webhook:<id>`: which notice, and the receiver's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivered {
    pub delivery: String,
    pub kind: NoticeKind,
    pub subject: String,
    pub status: u16,
}

// ----- incidents ----------------------------------------------------------------

/// `incident.updated`: each changed field, before and after, by field name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentUpdated {
    pub changed: BTreeMap<String, FieldChange>,
}

/// A field's JSON value before and after a change (`null` where it had none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentEventLinked {
    pub event: EventNumber,
    /// `correlation` when the correlation rule linked the event; absent when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// `incident.transition`: the move, and the incident's times as it left them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentTransition {
    pub from: IncidentStatus,
    pub to: IncidentStatus,
    pub reason: Text,
    pub resolution: Option<Text>,
    /// The times as the move left them (`Some(None)`: not set); `None` in
    /// entries written before they were carried, which omit them.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub contained_at: Option<Option<Timestamp>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub ended_at: Option<Option<Timestamp>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub impact_ended_at: Option<Option<Timestamp>>,
}

/// A field that may be absent (`None`) or present and possibly `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// `incident.merged_into`, on the incident merged: the incident it went
/// into, why, the status it left and the resolution it was closed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentMergedInto {
    pub into: IncidentNumber,
    pub reason: Text,
    pub from: IncidentStatus,
    pub resolution: Text,
}

/// `incident.merged_from`, on the incident merged into: everything that
/// came, as this incident now holds it (renumbered), so the journal alone
/// gives the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentMergedFrom {
    pub from: IncidentNumber,
    pub reason: Text,
    /// The events that now belong to this incident.
    pub events: Vec<EventNumber>,
    /// Assets this incident did not name yet.
    pub assets: Vec<Text>,
    /// Observables added, with their new ids.
    pub observables: Vec<IncidentObservable>,
    /// `type:value` of the observables folded into one already here.
    pub folded: Vec<String>,
    /// Log lines appended: the other's, renumbered, and the line saying what came.
    pub log: Vec<LogEntry>,
    /// Response actions added, with their new ids.
    pub actions: Vec<ResponseAction>,
    /// Related incidents added (the merged incident among them).
    pub related_incidents: Vec<IncidentNumber>,
    /// Evidence items that moved (each has its own `evidence.moved` entry).
    pub evidence: Vec<EvidenceNumber>,
}

/// `evidence.moved`: the item now belongs to `to`; custody is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceMoved {
    pub from: IncidentNumber,
    pub to: IncidentNumber,
    pub reason: Text,
}

/// `incident.observable_updated`: the observable before and after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentObservableUpdated {
    pub before: IncidentObservable,
    pub after: IncidentObservable,
}

/// `incident.published`: the audience of the feed it is on now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentPublished {
    /// Absent when withdrawn.
    pub published: Option<Tlp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRestricted {
    /// Empty when the restriction is lifted.
    pub restricted_to: Vec<String>,
}

// ----- vulnerabilities ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerabilityAssessed {
    pub outcome: VulnerabilityOutcome,
    pub notes: Option<Text>,
}

/// `vulnerability.resolution`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerabilityResolved {
    pub status: VulnerabilityStatus,
    pub resolution: Option<VulnerabilityResolution>,
}

// ----- administration -----------------------------------------------------------

/// `journal.verified`: a person had every entry's hash recomputed from the
/// start; what the check found, as it stood before this entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalVerified {
    /// Whether the chain held.
    pub intact: bool,
    /// Entries checked (all of them when intact).
    pub entries: u64,
    /// The head hash the check ended on, when intact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The first entry that does not hold, and why, when broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRequeued {
    pub job: i64,
}

/// `intake.rules_changed`: the whole rule tables, with their versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeRulesChanged {
    pub before: RuleSet,
    pub after: RuleSet,
}

/// `regulatory.rules_changed`: the whole notification rule tables, with their versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatoryRulesChanged {
    pub before: RegulatoryRules,
    pub after: RegulatoryRules,
}

/// `targets.changed`: the whole tables of response-time targets, with their versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetsChanged {
    pub before: ResponseTargets,
    pub after: ResponseTargets,
}

// ----- users and tokens ---------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCreated {
    pub name: String,
    pub roles: Vec<Role>,
}

/// `token.created`; the token itself is never journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCreated {
    pub user: String,
    /// The public handle: `tok_` and the first 12 hex digits of the token's SHA-256.
    pub token_id: String,
    /// The SHA-256 of the stored hash; absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash_sha256: Option<String>,
    /// What it is for; absent from entries made before token names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What it may be used for; absent from entries made before scopes
    /// (such a token acts with every scope its owner's roles allow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<crate::Scope>>,
    /// When it stops working; absent from entries made before expiry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevoked {
    pub token_id: String,
}

/// Why a token was refused (`token.refused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenRefusal {
    /// Used after its expiry.
    Expired,
    /// Its owner is disabled.
    OwnerDisabled,
    /// Used for an action its owner's roles allow but its scopes do not.
    OutOfScope,
}

/// `token.refused`: a known token was turned away. Unknown tokens are not
/// journaled (anyone can send one); each token and reason is journaled once
/// in a quarter of an hour on each node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefused {
    pub token_id: String,
    pub reason: TokenRefusal,
    /// The scope the refused action needs (`out_of_scope` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The refused action (`out_of_scope` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// A new password, as the SHA-256 of the stored argon2id string (`user.password_set`, `auth.password_changed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordDigest {
    /// Absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRolesChanged {
    pub before: Vec<Role>,
    pub after: Vec<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTotpRequired {
    pub required: bool,
}

// ----- sign-in ------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthLogin {
    pub second_factor: bool,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthLoginFailed {
    /// The name as typed, which may not exist.
    pub name: String,
    pub address: String,
    /// `password`, `totp` or `locked`.
    pub reason: String,
}

/// What a lock applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    Account,
    Address,
}

/// `auth.locked`: `name` for an account lock, `address` for a blocked address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthLocked {
    pub scope: LockScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub minutes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthTotpEnrolled {
    /// The SHA-256 of the stored secret; absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_secret_sha256: Option<String>,
}

// ----- evidence -----------------------------------------------------------------

/// `evidence.attached`: the item, secured for `event` while it was in
/// triage, now belongs to `incident`; custody is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceAttached {
    pub event: EventNumber,
    pub incident: IncidentNumber,
}

/// `evidence.collected`: the item as recorded, and who holds it. An item
/// secured for an event in triage has `incident: null` and its `event`; a
/// physical item has `content: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCollected {
    pub incident: Option<IncidentNumber>,
    /// Absent unless the item was secured for an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventNumber>,
    pub content: Option<EvidenceContent>,
    pub description: Text,
    pub found_at: Text,
    pub collected_by: Text,
    pub collected_at: Timestamp,
    pub tool: Option<Text>,
    pub reason: Text,
    pub tlp: Tlp,
    /// Absent in entries written before PAP was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pap: Option<Pap>,
    pub custodian: String,
    pub location: Option<Text>,
    /// Absent unless the item was sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<Text>,
}

impl EvidenceCollected {
    /// The entry of an item just collected.
    pub fn of(item: &EvidenceItem) -> Self {
        Self {
            incident: item.incident,
            event: item.event,
            content: item.content.clone(),
            description: item.description.clone(),
            found_at: item.found_at.clone(),
            collected_by: item.collected_by.clone(),
            collected_at: item.collected_at,
            tool: item.tool.clone(),
            reason: item.reason.clone(),
            tlp: item.tlp,
            pap: item.pap,
            custodian: item.custodian.clone(),
            location: item.location.clone(),
            seal: item.seal.clone(),
        }
    }
}

/// `incident.exported`: in which format, for which audience, with how many
/// of its observables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentExported {
    /// `stix`, `misp` or `iodef`.
    pub format: String,
    /// The TLP marking the recipients may receive.
    pub audience: Tlp,
    /// The observables that went.
    pub observables: u32,
}

/// A signed report of a record, as it was handed over: which form, the
/// SHA-256 of the whole file, and the journal entry it was made from. A
/// filed report is matched to this entry by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportIssued {
    /// `pdf`, `html` or `markdown`.
    pub format: String,
    pub sha256: String,
    /// The journal's last entry when the report was made.
    pub made_from: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceDownloaded {
    pub sha256: String,
    pub size: u64,
    /// The hash found; absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceVerified {
    /// The hash found; absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceExported {
    /// The bundle's file name.
    pub bundle: String,
    /// The hash found; absent from early entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceTransferred {
    pub from: String,
    pub to: String,
    pub reason: Text,
    pub location: Option<Text>,
    /// The new seal, when the item was sealed again; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceHoldPlaced {
    pub reason: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceHoldReleased {
    pub reason: Text,
    /// The hold released.
    pub placed: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceDisposed {
    pub reason: Text,
    pub sha256: String,
}

/// `evidence.integrity_failed`: the alarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceIntegrityFailed {
    /// `download`, `verification` or `export`.
    pub during: String,
    pub expected_sha256: String,
    pub found_sha256: String,
    pub expected_size: Option<u64>,
    pub found_size: Option<u64>,
    pub problem: Option<String>,
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;

// ----- documents ------------------------------------------------------------------

/// `document.changed`: the settings before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentChanged {
    pub before: DocumentSettings,
    pub after: DocumentSettings,
    /// The next review's date after the change.
    pub review_due: Option<Timestamp>,
}

/// `document.drafted`: the new version and its whole Markdown text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDrafted {
    pub version: DocumentVersion,
    pub text: String,
}

/// `document.approved`: one approval of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentApproved {
    pub version: u32,
    pub role: Role,
    pub note: Option<Text>,
    /// Set by the last approval the version needed: when it is in force from.
    pub effective_at: Option<Timestamp>,
    /// The next review's date, once the version is approved.
    pub review_due: Option<Timestamp>,
}

/// `document.reviewed`: a review that changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReviewed {
    /// The version in force that was reviewed.
    pub version: u32,
    pub note: Text,
    pub review_due: Option<Timestamp>,
}

// ----- teams ------------------------------------------------------------------------

/// `team.changed`: the settings before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamChanged {
    pub before: crate::TeamSettings,
    pub after: crate::TeamSettings,
}

/// `incident.playbook_applied`: which version, and the actions it planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookApplied {
    pub applied: crate::AppliedPlaybook,
    /// The response actions it planned, whole.
    pub actions: Vec<ResponseAction>,
}

/// `contact.changed`: the details before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChanged {
    pub before: crate::ContactDetails,
    pub after: crate::ContactDetails,
}
