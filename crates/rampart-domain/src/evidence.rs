//! Evidence items: what was collected for an incident, by whom, when and why,
//! the SHA-256 of its content, and who holds it now. Every later access or
//! transfer is a journal entry (the chain of custody); the record keeps the
//! current state of custody, verification, legal hold and disposal.

use serde::{Deserialize, Serialize};

use crate::{
    Actor, DomainError, EventNumber, EvidenceNumber, IncidentNumber, Pap, Problems, Text,
    Timestamp, Tlp,
};

/// The record an item is collected for: an incident, or an event still in
/// triage (the item then follows the event into its incident).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceHolder {
    Incident(IncidentNumber),
    Event(EventNumber),
}

impl std::fmt::Display for EvidenceHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incident(n) => n.fmt(f),
            Self::Event(n) => n.fmt(f),
        }
    }
}

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
    /// Where the original is kept: locker, bag, room.
    #[serde(default)]
    pub location: Option<Text>,
    /// The number of the seal on the item or its bag, if sealed.
    #[serde(default)]
    pub seal: Option<Text>,
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
    /// Where the item is kept from now on: locker, bag, room.
    #[serde(default)]
    pub location: Option<Text>,
    /// The new seal, when the item is sealed again (after it was opened, or
    /// sealed for the first time).
    #[serde(default)]
    pub seal: Option<Text>,
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
    /// The incident the item belongs to; `null` while the event it was
    /// secured for is still in triage.
    #[serde(default)]
    pub incident: Option<IncidentNumber>,
    /// The event the item was secured for before there was an incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventNumber>,
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
    /// The file as received; `null` for a physical item (a laptop, a USB
    /// stick, a paper log), which is kept, sealed and handed over but has no
    /// content in Rampart.
    pub content: Option<EvidenceContent>,
    /// When and by whom the item was recorded in Rampart.
    pub recorded_at: Timestamp,
    pub recorded_by: String,
    /// Who holds the item now.
    pub custodian: String,
    /// Where the original is kept now.
    pub location: Option<Text>,
    /// The seal on the item or its bag now, if sealed.
    #[serde(default)]
    pub seal: Option<Text>,
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

    /// A new item; a file's content has been stored and hashed already, a
    /// physical item has none. Its markings default to the holder's `(TLP, PAP)`.
    pub fn collect(
        number: EvidenceNumber,
        holder: EvidenceHolder,
        (holder_tlp, holder_pap): (Tlp, Pap),
        input: EvidenceSubmission,
        content: Option<EvidenceContent>,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Self, DomainError> {
        let mut problems = Problems::default();
        if input.collected_at > now {
            problems.push("collected_at", "must not be in the future");
        }
        if content.as_ref().is_some_and(|c| c.size == 0) {
            problems.push("file", "is empty; evidence must have content");
        }
        if content.is_none() && input.location.is_none() {
            problems.push(
                "location",
                "must say where a physical item is kept (locker, bag, room)",
            );
        }
        problems.into_result()?;
        let (incident, event) = match holder {
            EvidenceHolder::Incident(n) => (Some(n), None),
            EvidenceHolder::Event(n) => (None, Some(n)),
        };
        Ok(Self {
            number,
            incident,
            event,
            description: input.description,
            found_at: input.found_at,
            collected_by: input.collected_by,
            collected_at: input.collected_at,
            tool: input.tool,
            reason: input.reason,
            tlp: input.tlp.unwrap_or(holder_tlp),
            pap: Some(input.pap.unwrap_or(holder_pap)),
            content,
            recorded_at: now,
            recorded_by: by.name.clone(),
            custodian: by.name.clone(),
            location: input.location,
            seal: input.seal,
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

    /// The record the item belongs to now: its incident, or the event it
    /// was secured for while that is in triage.
    pub fn holder(&self) -> Option<EvidenceHolder> {
        match (self.incident, self.event) {
            (Some(i), _) => Some(EvidenceHolder::Incident(i)),
            (None, Some(e)) => Some(EvidenceHolder::Event(e)),
            (None, None) => None,
        }
    }

    /// Whether the item is a physical one, with no content in Rampart.
    pub fn is_physical(&self) -> bool {
        self.content.is_none()
    }

    /// Checks that the content may be read (downloaded, verified, exported)
    /// and returns it.
    pub fn readable(&self) -> Result<&EvidenceContent, DomainError> {
        self.refuse_if_disposed()?;
        self.content.as_ref().ok_or_else(|| {
            DomainError::Conflict(format!(
                "{} is a physical item: it has no content in Rampart to read; \
                 its custodian holds it at {}",
                self.number,
                self.location
                    .as_ref()
                    .map_or("an unrecorded place", Text::as_str)
            ))
        })
    }

    /// The item follows the event it was secured for into `incident`.
    pub fn attach(&mut self, incident: IncidentNumber) -> Result<EventNumber, DomainError> {
        match (self.incident, self.event) {
            (None, Some(event)) => {
                self.incident = Some(incident);
                Ok(event)
            }
            (Some(i), _) => Err(DomainError::Conflict(format!(
                "{} belongs to {i} already",
                self.number
            ))),
            (None, None) => Err(DomainError::Conflict(format!(
                "{} belongs to no record",
                self.number
            ))),
        }
    }

    /// Hands the item to someone else; returns the previous custodian.
    pub fn transfer(&mut self, to: CustodyTransfer) -> Result<String, DomainError> {
        self.refuse_if_disposed()?;
        let to_name = to.to.as_str().to_owned();
        if to_name == self.custodian && to.location.is_none() && to.seal.is_none() {
            return Err(DomainError::field(
                "to",
                format!(
                    "`{to_name}` holds the item already; give a new location or seal to record a move"
                ),
            ));
        }
        let from = std::mem::replace(&mut self.custodian, to_name);
        if to.location.is_some() {
            self.location = to.location;
        }
        if to.seal.is_some() {
            self.seal = to.seal;
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
            intact: self.content.as_ref().is_some_and(|c| found == c.sha256),
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
        let content = self.content.as_ref();
        crate::search_words([
            self.number.to_string().as_str(),
            self.description.as_str(),
            self.found_at.as_str(),
            self.collected_by.as_str(),
            content.map_or("", |c| c.sha256.as_str()),
            content.and_then(|c| c.filename.as_deref()).unwrap_or(""),
            self.seal.as_ref().map_or("", Text::as_str),
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
            EvidenceHolder::Incident(IncidentNumber::new(2026, 1).unwrap()),
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
                seal: None,
            },
            Some(EvidenceContent {
                sha256: "ab".repeat(32),
                size: 10,
                filename: Some("disk.img".into()),
                media_type: None,
            }),
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
                location: Some(text("police store")),
                seal: Some(text("S-0042")),
            })
            .unwrap();
        assert_eq!(from, "ian");
        assert_eq!(i.custodian, "DC Smith");
        assert_eq!(i.location.as_ref().map(Text::as_str), Some("police store"));
        assert_eq!(i.seal.as_ref().map(Text::as_str), Some("S-0042"));
    }

    #[test]
    fn future_collection_and_empty_content_are_refused() {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        let err = EvidenceItem::collect(
            EvidenceNumber::new(2026, 1).unwrap(),
            EvidenceHolder::Incident(IncidentNumber::new(2026, 1).unwrap()),
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
                seal: None,
            },
            Some(EvidenceContent {
                sha256: String::new(),
                size: 0,
                filename: None,
                media_type: None,
            }),
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

    fn physical(
        holder: EvidenceHolder,
        location: Option<&str>,
    ) -> Result<EvidenceItem, DomainError> {
        EvidenceItem::collect(
            EvidenceNumber::new(2026, 2).unwrap(),
            holder,
            (Tlp::Amber, Pap::Green),
            EvidenceSubmission {
                description: text("USB stick found in the printer room"),
                found_at: text("printer room, 2nd floor"),
                collected_by: text("Pat"),
                collected_at: Timestamp::parse("2026-11-22T09:00:00Z").unwrap(),
                tool: None,
                reason: text("plugged into the finance PC"),
                tlp: None,
                pap: None,
                location: location.map(text),
                seal: Some(text("S-1001")),
            },
            None,
            &Actor::new("pat", vec![Role::IsirtMember]),
            Timestamp::parse("2026-11-22T10:00:00Z").unwrap(),
        )
    }

    #[test]
    fn a_physical_item_says_where_it_is_and_has_no_content_to_read() {
        let event = EventNumber::new(2026, 7).unwrap();
        let err = physical(EvidenceHolder::Event(event), None).unwrap_err();
        let DomainError::Invalid(fields) = err else {
            panic!("{err:?}")
        };
        assert_eq!(fields[0].field, "location");
        let i = physical(EvidenceHolder::Event(event), Some("safe 2")).unwrap();
        assert!(i.is_physical());
        assert_eq!(i.holder(), Some(EvidenceHolder::Event(event)));
        assert_eq!(i.seal.as_ref().map(Text::as_str), Some("S-1001"));
        assert!(
            matches!(i.readable(), Err(DomainError::Conflict(m)) if m.contains("physical item"))
        );
    }

    #[test]
    fn an_item_secured_in_triage_follows_its_event_once() {
        let event = EventNumber::new(2026, 7).unwrap();
        let incident = IncidentNumber::new(2026, 3).unwrap();
        let mut i = physical(EvidenceHolder::Event(event), Some("safe 2")).unwrap();
        assert_eq!(i.incident, None);
        assert_eq!(i.attach(incident).unwrap(), event);
        assert_eq!(i.holder(), Some(EvidenceHolder::Incident(incident)));
        assert_eq!(i.event, Some(event));
        assert!(i.attach(incident).is_err());
    }
}
