//! The scheme's documents (27035-2: plan and prepare): the incident
//! management policy, the plan, the procedures and the awareness material.
//!
//! A document is Markdown text in numbered versions. Every saved text is a
//! new version; the latest one collects approvals, one from a distinct
//! person for each role the document names (never its drafter), and takes
//! effect when the last of them is given, or at the date its drafter chose
//! if that is later. A version drafted before the one before it was
//! approved leaves that one abandoned. Which version is in force is worked
//! out from these facts at any instant, so a scheduled version needs no job
//! to take effect. Once a version is in force the document is due for
//! review after the months it names; a review without changes records who
//! looked and moves the date on.
//!
//! Sections are the Markdown headings; each has an anchor (`containment`,
//! `roles-and-responsibilities`) that incidents and improvement actions
//! cite as `<document>#<anchor>`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classification::wire_enum;
use crate::{DomainError, Role, Text, Timestamp};

/// Largest Markdown text of one version, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 200_000;
/// Most roles whose approval a version needs.
pub const MAX_APPROVERS: usize = 4;
/// Longest review interval, in months.
pub const MAX_REVIEW_MONTHS: u32 = 36;
/// Most documents kept.
pub const MAX_DOCUMENTS: usize = 500;
/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Most sections (headings) one version may have.
pub const MAX_SECTIONS: usize = 500;
/// How long before its review date a document's owner is reminded, in days.
pub const REVIEW_NOTICE_DAYS: i64 = 30;

wire_enum!(
    /// What a document is to the scheme.
    DocumentKind {
        /// The incident management policy.
        Policy => "policy",
        /// The incident management plan.
        Plan => "plan",
        /// A procedure (how the ISIRT does one thing).
        Procedure => "procedure",
        /// Awareness and training material for everyone.
        Awareness => "awareness",
    }
);

impl DocumentKind {
    pub fn title(self) -> &'static str {
        match self {
            Self::Policy => "Policy",
            Self::Plan => "Plan",
            Self::Procedure => "Procedure",
            Self::Awareness => "Awareness material",
        }
    }
}

crate::slug::slug_id!(
    /// What names a document, e.g. `incident-policy`.
    DocumentId,
    "A document's id",
    "incident-policy"
);

/// A heading of a version's text: what a citation points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    /// `containment`: the heading's words, lower case, joined by `-`;
    /// `-2`, `-3`… for a heading met again.
    pub anchor: String,
    pub title: String,
    /// 1 to 6.
    pub level: u8,
}

/// One approval of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentApproval {
    /// The role the approver approved as.
    pub role: Role,
    pub by: String,
    pub at: Timestamp,
    pub note: Option<Text>,
}

/// One version of a document, without its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentVersion {
    /// 1, 2, 3…
    pub version: u32,
    /// What changed, in the drafter's words.
    pub summary: Text,
    /// SHA-256 (hex) of the Markdown text.
    pub sha256: String,
    pub sections: Vec<Section>,
    pub drafted_by: String,
    pub drafted_at: Timestamp,
    /// The earliest time the drafter wants it in force; none: once approved.
    pub effective_from: Option<Timestamp>,
    pub approvals: Vec<DocumentApproval>,
    /// When it is (or was) in force from: set by the last approval it
    /// needs, the later of that moment and `effective_from`.
    pub effective_at: Option<Timestamp>,
}

/// The Markdown text of one version, stored apart from the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentText {
    pub document: DocumentId,
    pub version: u32,
    pub text: String,
}

/// A review that found the document still right, without a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentReview {
    pub by: String,
    pub at: Timestamp,
    /// The version in force that was reviewed.
    pub version: u32,
    pub note: Text,
}

/// Where a version stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// The latest version, still missing approvals.
    Draft,
    /// A later version was drafted before this one was approved.
    Abandoned,
    /// Approved; in force from its `effective_at`.
    Scheduled,
    /// In force.
    Effective,
    /// Was in force (or was due to be), replaced by a later version.
    Superseded,
}

impl VersionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Abandoned => "abandoned",
            Self::Scheduled => "scheduled",
            Self::Effective => "effective",
            Self::Superseded => "superseded",
        }
    }
}

/// Whether a document's review is coming or late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Nothing in force yet, so nothing to review.
    None,
    OnTrack,
    /// Within [`REVIEW_NOTICE_DAYS`] of its date.
    DueSoon,
    Overdue,
}

/// A policy, plan, procedure or awareness document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocumentKind,
    pub title: Text,
    /// The user who keeps it up to date and is reminded of its review.
    pub owner: String,
    /// The roles that must each approve a version, by distinct people.
    pub approvers: Vec<Role>,
    /// Months between reviews.
    pub review_months: u32,
    /// When the next review is due; none before a version is in force.
    pub review_due: Option<Timestamp>,
    pub last_review: Option<DocumentReview>,
    /// Oldest first.
    pub versions: Vec<DocumentVersion>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A document's settings, as created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentSettings {
    pub kind: DocumentKind,
    pub title: Text,
    pub owner: String,
    pub approvers: Vec<Role>,
    pub review_months: u32,
}

impl DocumentSettings {
    /// Checks every field, naming each that is wrong.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut problems = crate::Problems::default();
        if self.title.as_str().chars().count() > MAX_TITLE {
            problems.push("title", format!("must be at most {MAX_TITLE} characters"));
        }
        if let Err(m) = crate::parse_user_name(&self.owner) {
            problems.push("owner", m);
        }
        if self.approvers.is_empty() || self.approvers.len() > MAX_APPROVERS {
            problems.push(
                "approvers",
                format!("must name 1 to {MAX_APPROVERS} roles whose approval a version needs"),
            );
        }
        let mut seen = Vec::new();
        for role in &self.approvers {
            if *role == Role::Reporter {
                problems.push("approvers", "reporter cannot approve documents");
            }
            if seen.contains(role) {
                problems.push("approvers", format!("{role} is named twice"));
            }
            seen.push(*role);
        }
        if !(1..=MAX_REVIEW_MONTHS).contains(&self.review_months) {
            problems.push(
                "review_months",
                format!("must be 1 to {MAX_REVIEW_MONTHS} months"),
            );
        }
        problems.into_result()
    }
}

impl Document {
    /// A new document without versions.
    pub fn new(id: DocumentId, settings: DocumentSettings, by: &str, at: Timestamp) -> Self {
        Self {
            id,
            kind: settings.kind,
            title: settings.title,
            owner: settings.owner,
            approvers: settings.approvers,
            review_months: settings.review_months,
            review_due: None,
            last_review: None,
            versions: Vec::new(),
            created_by: by.to_owned(),
            created_at: at,
            updated_at: at,
        }
    }

    pub fn settings(&self) -> DocumentSettings {
        DocumentSettings {
            kind: self.kind,
            title: self.title.clone(),
            owner: self.owner.clone(),
            approvers: self.approvers.clone(),
            review_months: self.review_months,
        }
    }

    /// Applies changed settings. The approvals a draft already has stay;
    /// the roles now named decide what it still needs.
    pub fn apply(&mut self, settings: DocumentSettings, at: Timestamp) {
        self.kind = settings.kind;
        self.title = settings.title;
        self.owner = settings.owner;
        self.approvers = settings.approvers;
        if self.review_months != settings.review_months {
            self.review_months = settings.review_months;
            let from = self
                .last_review
                .as_ref()
                .map(|r| r.at)
                .or_else(|| self.in_force(at).and_then(|v| v.effective_at));
            self.review_due = from.map(|f| add_months(f, self.review_months));
        }
        self.updated_at = at;
    }

    pub fn version(&self, version: u32) -> Option<&DocumentVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    pub fn latest(&self) -> Option<&DocumentVersion> {
        self.versions.last()
    }

    /// The version in force at `at`: the highest-numbered one approved
    /// and in force from `at` or earlier.
    pub fn in_force(&self, at: Timestamp) -> Option<&DocumentVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.effective_at.is_some_and(|e| e <= at))
    }

    /// Where `version` stands at `at`.
    pub fn state(&self, version: &DocumentVersion, at: Timestamp) -> VersionState {
        let latest = self.latest().map(|v| v.version);
        let in_force = self.in_force(at).map(|v| v.version);
        match version.effective_at {
            None if latest == Some(version.version) => VersionState::Draft,
            None => VersionState::Abandoned,
            Some(_) if in_force == Some(version.version) => VersionState::Effective,
            Some(_) if in_force.is_some_and(|v| v > version.version) => VersionState::Superseded,
            Some(e) if e > at => VersionState::Scheduled,
            Some(_) => VersionState::Superseded,
        }
    }

    /// The roles whose approval `version` still needs.
    pub fn missing(&self, version: &DocumentVersion) -> Vec<Role> {
        self.approvers
            .iter()
            .copied()
            .filter(|r| !version.approvals.iter().any(|a| a.role == *r))
            .collect()
    }

    /// Where the review stands at `at`.
    pub fn review_state(&self, at: Timestamp) -> ReviewState {
        let Some(due) = self.review_due else {
            return ReviewState::None;
        };
        if due <= at {
            ReviewState::Overdue
        } else if due.as_offset() - at.as_offset() <= time::Duration::days(REVIEW_NOTICE_DAYS) {
            ReviewState::DueSoon
        } else {
            ReviewState::OnTrack
        }
    }

    /// Records a new version drafted by `by`; its text's SHA-256 and
    /// sections come with it.
    pub fn draft(&mut self, mut version: DocumentVersion) -> Result<(), DomainError> {
        version.version = self.versions.last().map_or(1, |v| v.version + 1);
        version.approvals.clear();
        version.effective_at = None;
        self.updated_at = version.drafted_at;
        self.versions.push(version);
        Ok(())
    }

    /// Records `by`'s approval of `version` as `role`, refusing what the
    /// rules do not allow; returns when the version is in force from, once
    /// this approval was the last it needed.
    pub fn approve(
        &mut self,
        version: u32,
        role: Role,
        actor: &crate::Actor,
        note: Option<Text>,
        at: Timestamp,
    ) -> Result<Option<Timestamp>, DomainError> {
        let latest = self.latest().map(|v| v.version);
        let Some(v) = self.version(version) else {
            return Err(DomainError::NotFound(format!(
                "version {version} of {}",
                self.id
            )));
        };
        if v.effective_at.is_some() {
            return Err(DomainError::Conflict(format!(
                "version {version} of {} is approved already",
                self.id
            )));
        }
        if latest != Some(version) {
            return Err(DomainError::Conflict(format!(
                "version {version} of {} was replaced by a later draft; approve that one",
                self.id
            )));
        }
        if !self.approvers.contains(&role) {
            let named: Vec<&str> = self.approvers.iter().map(|r| r.as_str()).collect();
            return Err(DomainError::field(
                "role",
                format!(
                    "{} is approved by {}, not by {role}",
                    self.id,
                    named.join(", ")
                ),
            ));
        }
        if !actor.roles.contains(&role) {
            return Err(DomainError::Forbidden {
                actor: actor.name.clone(),
                action: format!("approve {} as {role}", self.id),
                allowed: vec![role.to_string()],
            });
        }
        if v.drafted_by == actor.name {
            return Err(DomainError::field(
                "role",
                "the drafter of a version cannot approve it; someone else must",
            ));
        }
        if v.approvals.iter().any(|a| a.role == role) {
            return Err(DomainError::Conflict(format!(
                "version {version} of {} is approved as {role} already",
                self.id
            )));
        }
        if v.approvals.iter().any(|a| a.by == actor.name) {
            return Err(DomainError::field(
                "role",
                format!(
                    "{} has approved version {version} already, as another role; each role needs its own approver",
                    actor.name
                ),
            ));
        }
        let review_months = self.review_months;
        let missing = self.missing(v).len();
        let v = self
            .versions
            .iter_mut()
            .find(|v| v.version == version)
            .ok_or_else(|| DomainError::NotFound(format!("version {version}")))?;
        v.approvals.push(DocumentApproval {
            role,
            by: actor.name.clone(),
            at,
            note,
        });
        self.updated_at = at;
        if missing > 1 {
            return Ok(None);
        }
        let from = v.effective_from.map_or(at, |f| f.max(at));
        v.effective_at = Some(from);
        self.review_due = Some(add_months(from, review_months));
        Ok(Some(from))
    }

    /// Records a review of the version in force that changes nothing.
    pub fn reviewed(&mut self, by: &str, note: Text, at: Timestamp) -> Result<(), DomainError> {
        let Some(version) = self.in_force(at).map(|v| v.version) else {
            return Err(DomainError::Conflict(format!(
                "{} has no version in force to review; draft and approve one",
                self.id
            )));
        };
        self.last_review = Some(DocumentReview {
            by: by.to_owned(),
            at,
            version,
            note,
        });
        self.review_due = Some(add_months(at, self.review_months));
        self.updated_at = at;
        Ok(())
    }

    /// Whether `anchor` is a section of the version in force at `at`, or
    /// else of the latest version.
    pub fn has_section(&self, anchor: &str, at: Timestamp) -> bool {
        self.in_force(at)
            .or_else(|| self.latest())
            .is_some_and(|v| v.sections.iter().any(|s| s.anchor == anchor))
    }
}

/// `at` plus whole calendar months, the day kept where the month has it
/// (else its last day).
pub fn add_months(at: Timestamp, months: u32) -> Timestamp {
    let t = at.as_offset();
    let total = i64::from(t.year()) * 12 + i64::from(u8::from(t.month()) - 1) + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(i32::MAX);
    let month = u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1);
    let Ok(month) = time::Month::try_from(month) else {
        return at;
    };
    let day = t.day().min(time::util::days_in_month(month, year));
    match time::Date::from_calendar_date(year, month, day) {
        Ok(date) => Timestamp::from_offset(t.replace_date(date)),
        Err(_) => at,
    }
}

/// The sections of a Markdown text: its headings, with unique anchors.
pub fn sections(markdown: &str) -> Vec<Section> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out: Vec<Section> = Vec::new();
    let mut current: Option<(u8, String)> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some((level as u8, String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, title)) = current.as_mut() {
                    title.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, title)) = current.as_mut() {
                    title.push(' ');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, title)) = current.take() {
                    let title = title.trim().to_owned();
                    let base = slug(&title);
                    let mut anchor = base.clone();
                    let mut n = 1;
                    while out.iter().any(|s| s.anchor == anchor) {
                        n += 1;
                        anchor = format!("{base}-{n}");
                    }
                    out.push(Section {
                        anchor,
                        title,
                        level,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// A heading's anchor: its letters and digits in lower case, words joined
/// by `-`; `section` when it has none.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
        if out.len() > 80 {
            break;
        }
    }
    if out.is_empty() {
        "section".into()
    } else {
        out
    }
}

/// Checks a version's Markdown text as sent.
pub fn check_text(body: &str) -> Result<(), DomainError> {
    if body.trim().is_empty() {
        return Err(DomainError::field("text", "must not be empty"));
    }
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(DomainError::field(
            "text",
            format!(
                "must be at most {MAX_DOCUMENT_BYTES} bytes (got {})",
                body.len()
            ),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(DomainError::field(
            "text",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A section cited by an incident or an improvement action:
/// `<document>#<anchor>`, or a whole document without `#`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SectionRef {
    pub document: DocumentId,
    pub anchor: Option<String>,
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SectionRef {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::slug::string_schema(
            "A document, or one of its sections: `<document>#<heading anchor>`",
            "^[a-z][a-z0-9-]{0,62}[a-z0-9](#[^#\\s]{1,100})?$",
            "incident-plan#containment",
        )
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SectionRef {}

impl SectionRef {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (doc, anchor) = match raw.split_once('#') {
            Some((d, a)) => (d, Some(a)),
            None => (raw, None),
        };
        let document = DocumentId::new(doc).map_err(|m| {
            format!(
                "must be <document>#<section> (e.g. incident-plan#containment); the document {m}"
            )
        })?;
        let anchor = match anchor {
            Some(a)
                if !a.is_empty()
                    && a.chars().count() <= 100
                    && !a
                        .chars()
                        .any(|c| c.is_whitespace() || c == '#' || c.is_control()) =>
            {
                Some(a.to_owned())
            }
            Some(_) => {
                return Err(
                    "the section after '#' must be a heading's anchor (1-100 characters, no spaces), e.g. containment"
                        .into(),
                );
            }
            None => None,
        };
        Ok(Self { document, anchor })
    }
}

impl TryFrom<String> for SectionRef {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<SectionRef> for String {
    fn from(r: SectionRef) -> String {
        r.to_string()
    }
}

impl fmt::Display for SectionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.anchor {
            Some(a) => write!(f, "{}#{a}", self.document),
            None => write!(f, "{}", self.document),
        }
    }
}

/// One line of a comparison between two versions' texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    /// ` ` the same in both, `-` only in the older, `+` only in the newer;
    /// `@` a gap of unchanged lines left out.
    pub op: String,
    pub text: String,
}

/// The changes from `old` to `new`, line by line, with `context` unchanged
/// lines around each change.
pub fn diff(old: &str, new: &str, context: usize) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    let d = TextDiff::from_lines(old, new);
    let mut out = Vec::new();
    for (i, group) in d.grouped_ops(context).iter().enumerate() {
        if i > 0 {
            out.push(DiffLine {
                op: "@".into(),
                text: "…".into(),
            });
        }
        for op in group {
            for change in d.iter_changes(op) {
                let op = match change.tag() {
                    ChangeTag::Equal => " ",
                    ChangeTag::Delete => "-",
                    ChangeTag::Insert => "+",
                };
                out.push(DiffLine {
                    op: op.into(),
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Actor;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn doc() -> Document {
        Document::new(
            DocumentId::new("incident-policy").unwrap(),
            DocumentSettings {
                kind: DocumentKind::Policy,
                title: Text::new("Incident management policy").unwrap(),
                owner: "mia".into(),
                approvers: vec![Role::IsirtManager, Role::SeniorManager],
                review_months: 12,
            },
            "mia",
            at("2026-01-01T00:00:00Z"),
        )
    }

    fn version(by: &str, when: &str, from: Option<&str>) -> DocumentVersion {
        DocumentVersion {
            version: 0,
            summary: Text::new("first").unwrap(),
            sha256: String::new(),
            sections: sections("# Scope\n\n## Containment\n"),
            drafted_by: by.into(),
            drafted_at: at(when),
            effective_from: from.map(at),
            approvals: vec![],
            effective_at: None,
        }
    }

    #[test]
    fn a_version_is_in_force_only_once_every_role_approved_it() {
        let mut d = doc();
        d.draft(version("ian", "2026-01-02T00:00:00Z", None))
            .unwrap();
        let manager = Actor::new("mia", vec![Role::IsirtManager]);
        let senior = Actor::new("sam", vec![Role::SeniorManager]);
        let t1 = at("2026-01-03T00:00:00Z");
        assert_eq!(
            d.approve(1, Role::IsirtManager, &manager, None, t1)
                .unwrap(),
            None
        );
        assert!(d.in_force(at("2030-01-01T00:00:00Z")).is_none());
        assert_eq!(d.state(&d.versions[0], t1), VersionState::Draft);
        let t2 = at("2026-01-04T00:00:00Z");
        assert_eq!(
            d.approve(1, Role::SeniorManager, &senior, None, t2)
                .unwrap(),
            Some(t2)
        );
        assert_eq!(d.in_force(t2).unwrap().version, 1);
        assert_eq!(d.review_due, Some(at("2027-01-04T00:00:00Z")));
    }

    #[test]
    fn approvals_are_refused_to_the_drafter_a_second_role_and_an_unnamed_role() {
        let mut d = doc();
        d.draft(version("mia", "2026-01-02T00:00:00Z", None))
            .unwrap();
        let t = at("2026-01-03T00:00:00Z");
        let drafter = Actor::new("mia", vec![Role::IsirtManager]);
        assert!(d.approve(1, Role::IsirtManager, &drafter, None, t).is_err());
        let both = Actor::new("bo", vec![Role::IsirtManager, Role::SeniorManager]);
        d.approve(1, Role::IsirtManager, &both, None, t).unwrap();
        assert!(d.approve(1, Role::SeniorManager, &both, None, t).is_err());
        let member = Actor::new("ian", vec![Role::IsirtMember]);
        assert!(d.approve(1, Role::IsirtMember, &member, None, t).is_err());
        assert!(d.approve(1, Role::SeniorManager, &member, None, t).is_err());
        assert!(d.versions[0].effective_at.is_none());
    }

    #[test]
    fn a_later_draft_abandons_an_unapproved_one_and_a_scheduled_one_waits() {
        let mut d = doc();
        d.draft(version("ian", "2026-01-02T00:00:00Z", None))
            .unwrap();
        d.draft(version(
            "ian",
            "2026-01-03T00:00:00Z",
            Some("2026-03-01T00:00:00Z"),
        ))
        .unwrap();
        let t = at("2026-01-04T00:00:00Z");
        let manager = Actor::new("mia", vec![Role::IsirtManager]);
        let senior = Actor::new("sam", vec![Role::SeniorManager]);
        assert!(d.approve(1, Role::IsirtManager, &manager, None, t).is_err());
        d.approve(2, Role::IsirtManager, &manager, None, t).unwrap();
        d.approve(2, Role::SeniorManager, &senior, None, t).unwrap();
        assert_eq!(d.state(&d.versions[0], t), VersionState::Abandoned);
        assert_eq!(d.state(&d.versions[1], t), VersionState::Scheduled);
        assert!(d.in_force(t).is_none());
        let march = at("2026-03-01T00:00:00Z");
        assert_eq!(d.state(&d.versions[1], march), VersionState::Effective);
        assert_eq!(d.review_due, Some(at("2027-03-01T00:00:00Z")));
    }

    #[test]
    fn sections_have_unique_anchors() {
        let s = sections(
            "# Roles and responsibilities\n\ntext\n\n## Containment\n\n## Containment\n\n### `ssh` keys!\n\n#\n",
        );
        let anchors: Vec<&str> = s.iter().map(|s| s.anchor.as_str()).collect();
        assert_eq!(
            anchors,
            [
                "roles-and-responsibilities",
                "containment",
                "containment-2",
                "ssh-keys",
                "section"
            ]
        );
        assert_eq!(s[3].level, 3);
    }

    #[test]
    fn the_diff_shows_what_changed() {
        let d = diff("a\nb\nc\n", "a\nB\nc\n", 1);
        let ops: Vec<(&str, &str)> = d.iter().map(|l| (l.op.as_str(), l.text.as_str())).collect();
        assert_eq!(ops, [(" ", "a"), ("-", "b"), ("+", "B"), (" ", "c")]);
    }

    #[test]
    fn references_parse_and_print() {
        let r = SectionRef::parse("incident-plan#containment").unwrap();
        assert_eq!(r.to_string(), "incident-plan#containment");
        assert!(SectionRef::parse("incident-plan").unwrap().anchor.is_none());
        assert!(SectionRef::parse("Incident plan").is_err());
        assert!(SectionRef::parse("incident-plan#").is_err());
        assert!(SectionRef::parse("incident-plan#a b").is_err());
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(
            add_months(at("2026-01-31T10:00:00Z"), 1),
            at("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            add_months(at("2026-11-15T00:00:00Z"), 14),
            at("2028-01-15T00:00:00Z")
        );
    }
}
