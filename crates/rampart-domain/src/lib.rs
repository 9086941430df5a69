//! Rampart's domain: the ISO/IEC 27035 records (events, incidents,
//! vulnerabilities), their lifecycles as explicit state machines, the
//! classification scale (categories, severity, priority, TLP), numbering,
//! the role table, and the actions the journal records with their payloads.
//!
//! Pure: no I/O, no async, no ambient time. Time comes in through a [`Clock`]
//! or as an argument; identifiers are newtypes with fallible constructors, so
//! anything behind the edge is already valid.

mod classification;
mod clock;
pub mod contact;
pub mod document;
mod error;
mod event;
mod evidence;
pub mod exercise;
pub mod figures;
pub mod improvement;
mod incident;
mod intake;
pub mod journal;
mod lifecycle;
mod merge;
mod notice;
mod number;
mod observables;
pub mod playbook;
mod record;
pub mod regulatory;
mod review;
mod role;
mod scale;
mod scope;
mod slug;
mod targets;
pub mod team;
mod text;
mod timestamp;
mod vulnerability;
mod webhook;

pub use classification::{
    Category, Effort, LossGrade, Priority, Rsit, RsitClass, SCALE_VERSION, Severity, SeverityClass,
    SeverityFactors, SeverityOverride, SystemImportance, Tlp,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use contact::{
    ChannelKind, Contact, ContactCategory, ContactChannel, ContactDetails, ContactId, ContactKind,
};
pub use document::{
    Document, DocumentApproval, DocumentId, DocumentKind, DocumentReview, DocumentSettings,
    DocumentText, DocumentVersion, ReviewState, Section, SectionRef, VersionState,
};
pub use error::{DomainError, FieldError, Problems};
pub use event::{
    AlertSeverity, Assessment, AssessmentDecision, AssessmentInput, Correlation, Event,
    EventReport, MAX_ATTRIBUTES, Observable, ObservableType, PUBLIC_ACCOUNT, Proposal, Rejection,
    ReportChannel, Reporter, ReporterKind, Source, SourceKind, Triage,
};
pub use evidence::{
    CustodyTransfer, EvidenceCheck, EvidenceContent, EvidenceHolder, EvidenceItem, EvidenceReason,
    EvidenceSubmission, Stamp,
};
pub use exercise::{Exercise, ExerciseId, ExerciseInput, ExerciseStatus};
pub use improvement::{
    ChangeKind, ChangeLink, ImprovementAction, ImprovementStatus, ImprovementUpdate,
};
pub use incident::{
    ActionStatus, ActionUpdate, Actuality, AnchorInput, Approval, ApproveCommunication,
    Communication, CommunicationApproval, CommunicationAudience, CommunicationSent,
    CommunicationStatus, CommunicationWithdrawn, Incident, IncidentConfirmation, IncidentPatch,
    LogEntry, LogKind, MAX_COMMUNICATIONS, MAX_OBLIGATION_RECORDS, Motivation, MotivationKind,
    NewAction, NewCommunication, NewLogEntry, PATCH_FIELDS, Perpetrator, PerpetratorKind,
    RegimeDecision, RegimeWithdrawn, ResponseAction, SendCommunication, SubmissionInput,
    TransitionRequest, WithdrawCommunication,
};
pub use intake::{
    CategorizationRule, CorrelationHit, MAX_RELATED, MAX_RULES, RuleSet, correlate,
    correlation_keys, report_correlation_keys,
};
pub use journal::{JournalAction, JournalActionError};
pub use lifecycle::{EventStatus, IncidentStatus, Lifecycle, VulnerabilityStatus};
pub use merge::{MergeRequest, Merged};
pub use notice::{
    Audience, Channel, InboxItem, Notice, NoticeKind, NoticePreferences, Subject, involved_in,
    is_significant, parse_email, roles_told,
};
pub use number::{EventNumber, EvidenceNumber, IncidentNumber, NumberKind, VulnerabilityNumber};
pub use observables::{
    IncidentObservable, MAX_CANDIDATES, MAX_EXTRACT_TEXT, MAX_OBSERVABLES, NewObservable,
    ObservableUpdate, Pap, Removal, extract, extract_for, refang,
};
pub use playbook::{
    AppliedPlaybook, ApplyPlaybook, Playbook, PlaybookContent, PlaybookId, PlaybookInput,
    PlaybookStep, PlaybookVersion,
};
pub use record::{
    Amount, CiaImpact, Conclusion, Currency, ImpactAspect, Investigation, MAX_AMOUNT_UNITS,
    MAX_PEOPLE, Money, Notification, NotifiedParty, totals,
};
pub use review::{Improvement, Review, ReviewInput, ReviewOf};
pub use role::{Action, Actor, Role, USER_NAME_PATTERN, parse_user_name};
pub use scale::{
    CategoryDef, ClassificationScale, GradeDef, MAX_CATEGORIES, MAX_SCALE_VERSIONS, ScaleInput,
    ScaleVersion,
};
pub use scope::{Scope, parse_scopes};
pub use targets::{
    ClassTargets, DUE_SOON_PERCENT, Escalation, EscalationStep, Lane, MAX_STEPS,
    MAX_TARGET_MINUTES, Measure, Measured, Recipient, ResponseTargets, Running, Stage, TargetState,
    default_ladder, event_class,
};
pub use team::{Cover, Duty, Handover, OnDuty, Rotation, Team, TeamId, TeamSettings};
#[cfg(feature = "openapi")]
pub use text::TEXT_PATTERN;
pub use text::{MAX_TEXT, Text, escape_html, search_words};
pub use timestamp::Timestamp;
pub use vulnerability::{
    Step, Vulnerability, VulnerabilityAssessment, VulnerabilityOutcome, VulnerabilityReport,
    VulnerabilityResolution,
};
pub use webhook::{WEBHOOK_ID_PREFIX, Webhook, WebhookFormat, parse_webhook_id};
