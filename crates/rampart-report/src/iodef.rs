//! An incident as an IODEF v2 document (RFC 7970): the incident with its
//! identifier, times, descriptions and assessment (category, RSIT type,
//! severity as business impact, the recovery cost as monetary impact), the
//! ISIRT as its contact, an event for each observable the audience may
//! receive, an indicator for each indicator of compromise among them, and
//! the response actions as its history. Every part carries its TLP marking
//! as IODEF's `restriction`.

use std::io;

use base64::Engine;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rampart_domain::{Actuality, Incident, IncidentObservable, ObservableType, Timestamp, Tlp};

use crate::Audience;
use crate::stix::{Producer, stable_uuid};

/// The IODEF v2 namespace.
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:iodef-2.0";
/// The XML Signature namespace, of the digests of hashes.
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The media type an IODEF document is served with.
pub const MEDIA_TYPE: &str = "application/xml";

/// A TLP marking as IODEF's restriction: its own values for CLEAR (white),
/// GREEN, AMBER and RED; AMBER+STRICT, which IODEF predates, as an
/// extension value.
fn restriction(tlp: Tlp) -> [(&'static str, &'static str); 2] {
    match tlp {
        Tlp::Clear => [("restriction", "white"), ("", "")],
        Tlp::Green => [("restriction", "green"), ("", "")],
        Tlp::Amber => [("restriction", "amber"), ("", "")],
        Tlp::AmberStrict => [
            ("restriction", "ext-value"),
            ("ext-restriction", "amber+strict"),
        ],
        Tlp::Red => [("restriction", "red"), ("", "")],
    }
}

/// A timestamp as `xs:dateTime`, to the millisecond, in UTC.
fn stamp(t: Timestamp) -> String {
    t.to_rfc3339_millis()
}

/// Text as XML 1.0 may hold it: the control characters it forbids, even
/// escaped, become U+FFFD.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Writes the document, element by element.
struct Doc {
    w: Writer<Vec<u8>>,
}

impl Doc {
    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs.iter().filter(|(k, _)| !k.is_empty()) {
            start.push_attribute((*k, clean(v).as_str()));
        }
        self.w.write_event(Event::Start(start))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs.iter().filter(|(k, _)| !k.is_empty()) {
            start.push_attribute((*k, clean(v).as_str()));
        }
        self.w.write_event(Event::Empty(start))
    }

    /// An element holding only text.
    fn text(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> io::Result<()> {
        self.open(name, attrs)?;
        self.w
            .write_event(Event::Text(BytesText::new(&clean(text))))?;
        self.close(name)
    }

    fn time(&mut self, name: &str, at: Option<Timestamp>) -> io::Result<()> {
        match at {
            Some(t) => self.text(name, &[], &stamp(t)),
            None => Ok(()),
        }
    }
}

/// The XML Signature digest algorithm of a hash, by its length in hex.
fn digest_algorithm(hex_len: usize) -> Option<&'static str> {
    Some(match hex_len {
        32 => "http://www.w3.org/2001/04/xmldsig-more#md5",
        40 => "http://www.w3.org/2000/09/xmldsig#sha1",
        64 => "http://www.w3.org/2001/04/xmlenc#sha256",
        128 => "http://www.w3.org/2001/04/xmlenc#sha512",
        _ => return None,
    })
}

/// An observable's kind as a reader names it.
fn noun(kind: ObservableType) -> &'static str {
    match kind {
        ObservableType::Ip => "IP address",
        ObservableType::Domain => "domain",
        ObservableType::Url => "URL",
        ObservableType::Hash => "file hash",
        ObservableType::Account => "account",
        ObservableType::Host => "host name",
        ObservableType::Email => "e-mail address",
    }
}

/// How an observable is written: as an address or a domain (a network
/// node), or as a file known by its hash.
enum Shape {
    Address(&'static str, &'static str),
    Domain,
    File {
        algorithm: &'static str,
        digest: String,
    },
}

/// The shape of an observable; `None` for a hash IODEF cannot name.
fn shape(o: &IncidentObservable) -> Option<Shape> {
    Some(match o.kind {
        ObservableType::Ip if o.value.contains(':') => Shape::Address("ipv6-addr", ""),
        ObservableType::Ip => Shape::Address("ipv4-addr", ""),
        ObservableType::Url => Shape::Address("site-uri", ""),
        ObservableType::Email => Shape::Address("e-mail", ""),
        ObservableType::Account => Shape::Address("ext-value", "user-account"),
        ObservableType::Domain | ObservableType::Host => Shape::Domain,
        ObservableType::Hash => {
            let algorithm = digest_algorithm(o.value.len())?;
            let bytes = hex::decode(&o.value).ok()?;
            Shape::File {
                algorithm,
                digest: base64::engine::general_purpose::STANDARD.encode(bytes),
            }
        }
    })
}

impl Doc {
    /// An address or domain, as a network node's parts or an observable.
    fn node_part(&mut self, shape: &Shape, value: &str) -> io::Result<()> {
        match shape {
            Shape::Address(category, ext) => self.text(
                "Address",
                &[
                    ("category", category),
                    (if ext.is_empty() { "" } else { "ext-category" }, ext),
                ],
                value,
            ),
            Shape::Domain => {
                self.open("DomainData", &[])?;
                self.text("Name", &[], value)?;
                self.close("DomainData")
            }
            Shape::File { .. } => Ok(()),
        }
    }

    /// A file known by its hash.
    fn file(&mut self, algorithm: &str, digest: &str) -> io::Result<()> {
        self.open("FileData", &[])?;
        self.open("File", &[])?;
        self.open("HashData", &[("scope", "file-contents")])?;
        self.open("Hash", &[])?;
        self.empty("ds:DigestMethod", &[("Algorithm", algorithm)])?;
        self.text("ds:DigestValue", &[], digest)?;
        self.close("Hash")?;
        self.close("HashData")?;
        self.close("File")?;
        self.close("FileData")
    }

    /// What was observed: an event whose node (or file) is the observable.
    fn event(&mut self, o: &IncidentObservable, shape: &Shape) -> io::Result<()> {
        self.open("EventData", &restriction(o.tlp))?;
        let mut about = format!("Observed {}", noun(o.kind));
        if let Some(note) = &o.note {
            about = format!("{about}: {}", note.as_str());
        }
        self.text("Description", &[], &about)?;
        self.time("DetectTime", Some(o.added_at))?;
        match shape {
            Shape::File { algorithm, digest } => {
                self.open("Record", &[])?;
                self.open("RecordData", &[])?;
                self.file(algorithm, digest)?;
                self.close("RecordData")?;
                self.close("Record")?;
            }
            _ => {
                self.open("Flow", &[])?;
                self.open("System", &[])?;
                self.open("Node", &[])?;
                self.node_part(shape, &o.value)?;
                self.close("Node")?;
                self.close("System")?;
                self.close("Flow")?;
            }
        }
        self.close("EventData")
    }

    /// An indicator of compromise.
    fn indicator(
        &mut self,
        o: &IncidentObservable,
        shape: &Shape,
        id: &str,
        producer: &str,
        number: &str,
    ) -> io::Result<()> {
        self.open("Indicator", &restriction(o.tlp))?;
        self.text("IndicatorID", &[("name", producer), ("version", "1")], id)?;
        let mut about = format!("Indicator of compromise in {number}");
        if o.sighted {
            about.push_str(", sighted");
        }
        if let Some(note) = &o.note {
            about = format!("{about}: {}", note.as_str());
        }
        self.text("Description", &[], &about)?;
        self.time("StartTime", Some(o.added_at))?;
        self.open("Observable", &[])?;
        match shape {
            Shape::File { algorithm, digest } => self.file(algorithm, digest)?,
            _ => self.node_part(shape, &o.value)?,
        }
        self.close("Observable")?;
        self.close("Indicator")
    }
}

/// The severity class as IODEF's business impact severity.
fn severity(incident: &Incident) -> &'static str {
    match incident.severity.class.as_str() {
        "IV" | "III" => "high",
        "II" => "medium",
        _ => "low",
    }
}

/// The incident as an IODEF v2 document for `audience`: refused when the
/// incident itself is marked for a narrower audience; the observables the
/// audience may not receive (marked more narrowly, PAP:RED, removed) are
/// left out. Returns the document and how many observables it holds.
pub fn document(
    incident: &Incident,
    audience: Audience,
    producer: &Producer,
    now: Timestamp,
) -> Result<(String, usize), String> {
    audience.admit(incident)?;
    let mut d = Doc {
        w: Writer::new_with_indent(Vec::new(), b' ', 1),
    };
    let shared = write(&mut d, incident, audience, producer, now)
        .map_err(|e| format!("the IODEF document could not be written: {e}"))?;
    let mut text = String::from_utf8(d.w.into_inner())
        .map_err(|e| format!("the IODEF document is not UTF-8: {e}"))?;
    text.push('\n');
    Ok((text, shared))
}

fn write(
    d: &mut Doc,
    incident: &Incident,
    audience: Audience,
    producer: &Producer,
    now: Timestamp,
) -> io::Result<usize> {
    let n = incident.number.to_string();
    d.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    d.open(
        "IODEF-Document",
        &[
            ("version", "2.00"),
            ("xml:lang", "en"),
            ("xmlns", NAMESPACE),
            ("xmlns:ds", DSIG),
        ],
    )?;
    let status = if incident.status.is_open() {
        "in-progress"
    } else {
        "resolved"
    };
    let mut attrs = vec![("purpose", "reporting"), ("status", status)];
    attrs.extend(restriction(incident.tlp));
    d.open("Incident", &attrs)?;
    d.text("IncidentID", &[("name", &producer.name)], &n)?;
    d.time("DetectTime", incident.discovered_at)?;
    d.time("StartTime", incident.occurred_at)?;
    d.time("EndTime", incident.ended_at)?;
    d.time("RecoveryTime", incident.impact_ended_at)?;
    d.time("ReportTime", Some(incident.reported_at))?;
    d.time("GenerationTime", Some(now))?;
    d.text("Description", &[], incident.title.as_str())?;
    d.text("Description", &[], incident.description.as_str())?;
    for (label, text) in [
        ("How it happened", &incident.how),
        ("Why it happened", &incident.why),
        ("Resolution", &incident.resolution),
    ] {
        if let Some(t) = text {
            d.text("Description", &[], &format!("{label}: {}", t.as_str()))?;
        }
    }

    let occurrence = match incident.actuality {
        Actuality::Actual => "actual",
        Actuality::Suspected => "potential",
    };
    d.open("Assessment", &[("occurrence", occurrence)])?;
    d.text("IncidentCategory", &[], incident.category.as_str())?;
    if let Some(r) = &incident.rsit {
        d.text(
            "IncidentCategory",
            &[],
            &format!("rsit:{}/{}", r.class, r.kind),
        )?;
    }
    d.open("BusinessImpact", &[("severity", severity(incident))])?;
    d.text(
        "Description",
        &[],
        &format!(
            "Severity class {}: {}",
            incident.severity.class.as_str(),
            incident.severity.label
        ),
    )?;
    if let Some(impact) = &incident.impact {
        d.text("Description", &[], impact.as_str())?;
    }
    d.close("BusinessImpact")?;
    if let Some(cost) = incident
        .recovery_cost_total
        .filter(|c| c.amount.hundredths() > 0)
    {
        d.text(
            "MonetaryImpact",
            &[("currency", cost.currency.as_str())],
            &cost.amount.to_string(),
        )?;
    }
    d.close("Assessment")?;

    d.open("Contact", &[("role", "irt"), ("type", "organization")])?;
    d.text("ContactName", &[], &producer.name)?;
    d.close("Contact")?;

    let shared: Vec<(&IncidentObservable, Shape)> = incident
        .observables
        .iter()
        .filter(|o| audience.shares(o))
        .filter_map(|o| shape(o).map(|s| (o, s)))
        .collect();
    for (o, s) in &shared {
        d.event(o, s)?;
    }
    if shared.iter().any(|(o, _)| o.ioc) {
        d.open("IndicatorData", &[])?;
        for (o, s) in shared.iter().filter(|(o, _)| o.ioc) {
            let id = format!(
                "rampart-{}",
                stable_uuid(&producer.seed, "iodef-indicator", &format!("{n}/{}", o.id))
            );
            d.indicator(o, s, &id, &producer.name, &n)?;
        }
        d.close("IndicatorData")?;
    }

    if !incident.actions.is_empty() {
        d.open("History", &restriction(incident.tlp))?;
        for a in &incident.actions {
            d.open("HistoryItem", &[("action", "other")])?;
            d.text("DateTime", &[], &stamp(a.created_at))?;
            let mut about = format!("{} ({})", a.what.as_str(), a.status.as_str());
            if let Some(outcome) = &a.outcome {
                about = format!("{about}: {}", outcome.as_str());
            }
            d.text("Description", &[], &about)?;
            d.close("HistoryItem")?;
        }
        d.close("History")?;
    }
    d.close("Incident")?;
    d.close("IODEF-Document")?;
    Ok(shared.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_holds_only_what_xml_allows() {
        assert_eq!(clean("a\u{0}b\u{1b}c\td\ne"), "a\u{FFFD}b\u{FFFD}c\td\ne");
        assert_eq!(clean("é & <ok>"), "é & <ok>");
    }

    #[test]
    fn hashes_are_named_by_their_length() {
        assert_eq!(
            digest_algorithm(64),
            Some("http://www.w3.org/2001/04/xmlenc#sha256")
        );
        assert_eq!(digest_algorithm(33), None);
    }
}
