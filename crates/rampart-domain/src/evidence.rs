//! Evidence items: what was collected for an incident, by whom, when and why,
//! the SHA-256 of its content, and who holds it now. Every later access or
//! transfer is a journal entry (the chain of custody); the record keeps the
//! current state of custody, verification, legal hold and disposal.

use serde::{Deserialize, Serialize};

use crate::{
    Actor, DomainError, EvidenceNumber, IncidentNumber, Pap, Problems, Text, Timestamp, Tlp,
};

/// Evidence metadata as submitted with the content (Annex D: what it is,
/// where it was found, who collected it, when, with which tool, why).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvidenceSubmission {
    /// What it is, e.g. "memory image of the mail gateway".
    pub description: Text,
    /// Where it was found: host, path, room, mailbox.
    pub found_at: Text,
    /// Who collected it (a person, possibly outside Rampart).
    pub collected_by: Text,
    /// When it was collected.
    pub collected_at: Timestamp,
    /// The tool used to collect it, with its version.
    #[serde(default)]
    pub tool: Option<Text>,
    /// Why it was collected.
    pub reason: Text,
    /// Defaults to the incident's marking.
    #[serde(default)]
    pub tlp: Option<Tlp>,
    /// PAP marking; defaults to the incident's.
    #[serde(default)]
    pub pap: Option<Pap>,
    /// Where the original is kept: locker, bag or seal number.
    #[serde(default)]
    pub location: Option<Text>,
}

/// The content as the server received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceContent {
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    pub size: u64,
    /// The file name given at upload, if any.
    pub filename: Option<String>,
    /// The media type given at upload, if any.
    pub media_type: Option<String>,
}

/// A transfer of custody as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustodyTransfer {
    /// Who takes custody (a user or an outside party, e.g. a police officer).
    pub to: Text,
    pub reason: Text,
    /// Where the item is kept from now on: locker, bag or seal number.
    #[serde(default)]
    pub location: Option<Text>,
}

/// A legal hold placed or released, or a disposal, as submitted.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EvidenceReason {
    pub reason: Text,
}

/// Who did something to an item, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stamp {
    pub by: String,
    pub at: Timestamp,
    pub reason: Text,
}

/// The last re-hash of the stored content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceCheck {
    pub by: String,
    pub at: Timestamp,
    /// `download`, `verification` or `export`.
    pub during: String,
    /// The SHA-256 found; equal to the item's hash when intact.
    pub found: String,
    pub intact: bool,
}

/// An evidence item (domain.md section 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceItem {
    pub number: EvidenceNumber,
    pub incident: IncidentNumber,
    pub description: Text,
    pub found_at: Text,
    pub collected_by: Text,
    pub collected_at: Timestamp,
    pub tool: Option<Text>,
    pub reason: Text,
    pub tlp: Tlp,
    /// PAP marking; absent on items collected before PAP was recorded (read as AMBER).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pap: Option<Pap>,
    pub content: EvidenceContent,
    /// When and by whom the content was stored in Rampart.
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    /// Who holds the item now.
    pub custodian: String,
    /// Where the original is kept now.
    pub location: Option<Text>,
    /// How it was last verified.
    pub last_check: Option<EvidenceCheck>,
    /// Set while the item is under legal hold.
    pub hold: Option<Stamp>,
    /// Set once the content has been disposed of (the record stays).
    pub disposed: Option<Stamp>,
}

impl EvidenceItem {
    /// The PAP marking in force: the one recorded, AMBER where none was.
    pub fn pap(&self) -> Pap {
        self.pap.unwrap_or_default()
    }

    /// A new item; the content has been stored and hashed already. Its
    /// markings default to the incident's `(TLP, PAP)`.
    pub fn collect(
        number: EvidenceNumber,
        incident: IncidentNumber,
        (incident_tlp, incident_pap): (Tlp, Pap),
        input: EvidenceSubmission,
        content: EvidenceContent,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Self, DomainError> {
        let mut problems = Problems::default();
        if input.collected_at > now {
            problems.push("collected_at", "must not be in the future");
        }
        if content.size == 0 {
            problems.push("file", "is empty; evidence must have content");
        }
        problems.into_result()?;
        Ok(Self {
            number,
            incident,
            description: input.description,
            found_at: input.found_at,
            collected_by: input.collected_by,
            collected_at: input.collected_at,
            tool: input.tool,
            reason: input.reason,
            tlp: input.tlp.unwrap_or(incident_tlp),
            pap: Some(input.pap.unwrap_or(incident_pap)),
            content,
            recorded_at: now,
            recorded_by: by.name.clone(),
            custodian: by.name.clone(),
            location: input.location,
            last_check: None,
            hold: None,
            disposed: None,
        })
    }

    fn refuse_if_disposed(&self) -> Result<(), DomainError> {
        match &self.disposed {
            Some(d) => Err(DomainError::Conflict(format!(
                "{} was disposed of on {} by {}; its content is gone",
                self.number,
                d.at.to_rfc3339(),
                d.by
            ))),
            None => Ok(()),
        }
    }

    /// Checks that the content may be read (downloaded, verified, exported).
    pub fn readable(&self) -> Result<(), DomainError> {
        self.refuse_if_disposed()
    }

    /// Hands the item to someone else; returns the previous custodian.
    pub fn transfer(&mut self, to: CustodyTransfer) -> Result<String, DomainError> {
        self.refuse_if_disposed()?;
        let to_name = to.to.as_str().to_owned();
        if to_name == self.custodian && to.location.is_none() {
            return Err(DomainError::field(
                "to",
                format!("`{to_name}` holds the item already; give a new location to move it"),
            ));
        }
        let from = std::mem::replace(&mut self.custodian, to_name);
        if to.location.is_some() {
            self.location = to.location;
        }
        Ok(from)
    }

    /// Records the result of a re-hash.
    pub fn record_check(&mut self, by: &Actor, during: &str, found: &str, now: Timestamp) {
        self.last_check = Some(EvidenceCheck {
            by: by.name.clone(),
            at: now,
            during: during.to_owned(),
            found: found.to_owned(),
            intact: found == self.content.sha256,
        });
    }

    /// Places a legal hold: no retention or purge path may remove the item.
    pub fn place_hold(
        &mut self,
        reason: Text,
        by: &Actor,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        self.refuse_if_disposed()?;
        if let Some(h) = &self.hold {
            return Err(DomainError::Conflict(format!(
                "{} is under legal hold already (placed by {} on {})",
                self.number,
                h.by,
                h.at.to_rfc3339()
            )));
        }
        self.hold = Some(Stamp {
            by: by.name.clone(),
            at: now,
            reason,
        });
        Ok(())
    }

    /// Releases the legal hold; returns it.
    pub fn release_hold(&mut self) -> Result<Stamp, DomainError> {
        self.hold.take().ok_or_else(|| {
            DomainError::Conflict(format!("{} is not under legal hold", self.number))
        })
    }

    /// Marks the content as disposed of. Refused under legal hold.
    pub fn dispose(&mut self, reason: Text, by: &Actor, now: Timestamp) -> Result<(), DomainError> {
        self.refuse_if_disposed()?;
        if let Some(h) = &self.hold {
            return Err(DomainError::Conflict(format!(
                "{} is under legal hold (placed by {} on {}: {}); release the hold first",
                self.number,
                h.by,
                h.at.to_rfc3339(),
                h.reason
            )));
        }
        self.disposed = Some(Stamp {
            by: by.name.clone(),
            at: now,
            reason,
        });
        Ok(())
    }

    /// Words the register's search matches.
    pub fn search_text(&self) -> String {
        crate::search_words([
            self.number.to_string().as_str(),
            self.description.as_str(),
            self.found_at.as_str(),
            self.collected_by.as_str(),
            self.content.sha256.as_str(),
            self.content.filename.as_deref().unwrap_or(""),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    fn text(s: &str) -> Text {
        Text::new(s).unwrap()
    }

    fn item() -> EvidenceItem {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        EvidenceItem::collect(
            EvidenceNumber::new(2026, 1).unwrap(),
            IncidentNumber::new(2026, 1).unwrap(),
            (Tlp::Red, Pap::Red),
            EvidenceSubmission {
                description: text("disk image"),
                found_at: text("laptop L-17"),
                collected_by: text("Ian"),
                collected_at: Timestamp::parse("2026-11-22T09:00:00Z").unwrap(),
                tool: Some(text("dd 9.4")),
                reason: text("malware suspected"),
                tlp: None,
                pap: None,
                location: Some(text("locker 3")),
            },
            EvidenceContent {
                sha256: "ab".repeat(32),
                size: 10,
                filename: Some("disk.img".into()),
                media_type: None,
            },
            &Actor::new("ian", vec![Role::IsirtMember]),
            now,
        )
        .unwrap()
    }

    #[test]
    fn the_uploader_holds_it_and_the_incident_marking_is_inherited() {
        let i = item();
        assert_eq!(i.custodian, "ian");
        assert_eq!(i.tlp, Tlp::Red);
        assert_eq!(i.pap, Some(Pap::Red));
    }

    #[test]
    fn a_hold_blocks_disposal_until_released() {
        let mut i = item();
        let by = Actor::new("mia", vec![Role::IsirtManager]);
        let now = i.recorded_at;
        i.place_hold(text("litigation"), &by, now).unwrap();
        assert!(matches!(
            i.dispose(text("retention"), &by, now),
            Err(DomainError::Conflict(m)) if m.contains("legal hold")
        ));
        assert!(i.disposed.is_none());
        i.release_hold().unwrap();
        i.dispose(text("retention"), &by, now).unwrap();
        assert!(i.readable().is_err());
        assert!(i.place_hold(text("again"), &by, now).is_err());
    }

    #[test]
    fn transfer_names_the_previous_custodian() {
        let mut i = item();
        let from = i
            .transfer(CustodyTransfer {
                to: text("DC Smith"),
                reason: text("handed to police"),
                location: Some(text("seal 0042")),
            })
            .unwrap();
        assert_eq!(from, "ian");
        assert_eq!(i.custodian, "DC Smith");
        assert_eq!(i.location.as_ref().map(Text::as_str), Some("seal 0042"));
    }

    #[test]
    fn future_collection_and_empty_content_are_refused() {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let err = EvidenceItem::collect(
            EvidenceNumber::new(2026, 1).unwrap(),
            IncidentNumber::new(2026, 1).unwrap(),
            (Tlp::Red, Pap::Red),
            EvidenceSubmission {
                description: text("x"),
                found_at: text("x"),
                collected_by: text("x"),
                collected_at: Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
                tool: None,
                reason: text("x"),
                tlp: None,
                pap: None,
                location: None,
            },
            EvidenceContent {
                sha256: String::new(),
                size: 0,
                filename: None,
                media_type: None,
            },
            &Actor::new("ian", vec![Role::IsirtMember]),
            now,
        )
        .unwrap_err();
        let DomainError::Invalid(fields) = err else {
            panic!("{err:?}")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["collected_at", "file"]);
    }
}
