//! An incident as a STIX 2.1 bundle: the incident with the incident core
//! extension, the installation as its producer (an identity), and for each
//! observable the audience may receive its cyber-observable object and the
//! observed data that saw it; an indicator with a pattern for each
//! indicator of compromise, and a sighting where it was seen. Every object
//! carries its TLP 2.0 marking, whose definitions the bundle holds.
//!
//! Ids are stable: an object exported again keeps its id (cyber-observable
//! objects by their value, as STIX 2.1 derives them; the others from the
//! installation, the incident and the observable), so a receiver updates
//! what it holds instead of duplicating it.

use rampart_domain::{Actuality, Incident, IncidentObservable, ObservableType, Timestamp, Tlp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Audience;

/// The incident core extension (OASIS cti-stix-common-objects).
pub const INCIDENT_CORE: &str = "extension-definition--ef765651-680c-498d-9894-99799f2fa126";
/// The TLP 2.0 marking extension.
pub const TLP_2_0: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
/// The namespace of cyber-observable ids (STIX 2.1, 2.9).
const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");
/// The media type of a STIX 2.1 bundle.
pub const MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// Who made the export.
#[derive(Debug, Clone)]
pub struct Producer {
    /// The identity's name, e.g. the ISIRT's.
    pub name: String,
    /// What keeps the installation's ids its own (its public key).
    pub seed: String,
}

/// A UUID in version 4 form derived from the installation's `seed`, a
/// kind and a key: the same at every export, distinct across installations.
pub fn stable_uuid(seed: &str, kind: &str, key: &str) -> uuid::Uuid {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0]);
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let d = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The TLP 2.0 marking definition of a marking: its fixed id and the object.
fn marking(tlp: Tlp) -> (&'static str, Value) {
    let (id, name, value) = match tlp {
        Tlp::Clear => (
            "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            "TLP:CLEAR",
            "clear",
        ),
        Tlp::Green => (
            "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            "TLP:GREEN",
            "green",
        ),
        Tlp::Amber => (
            "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            "TLP:AMBER",
            "amber",
        ),
        Tlp::AmberStrict => (
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            "TLP:AMBER+STRICT",
            "amber+strict",
        ),
        Tlp::Red => (
            "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            "TLP:RED",
            "red",
        ),
    };
    let object = json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": name,
        "extensions": {TLP_2_0: {"extension_type": "property-extension", "tlp_2_0": value}},
    });
    (id, object)
}

/// A STIX timestamp, to the millisecond, in UTC.
fn stamp(t: Timestamp) -> String {
    t.to_rfc3339_millis()
}

/// Builds the bundle.
struct Bundle<'a> {
    producer: &'a Producer,
    identity: String,
    objects: Vec<Value>,
    markings: Vec<Tlp>,
}

impl<'a> Bundle<'a> {
    /// A domain object's id: version 4 in form, derived from the
    /// installation and `key` so that it is the same at every export.
    fn id(&self, kind: &str, key: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.producer.seed.as_bytes());
        h.update([0]);
        h.update(kind.as_bytes());
        h.update([0]);
        h.update(key.as_bytes());
        let d = h.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&d[..16]);
        format!(
            "{kind}--{}",
            uuid::Builder::from_random_bytes(bytes).into_uuid()
        )
    }

    /// The marking reference of `tlp`, its definition kept for the bundle.
    fn mark(&mut self, tlp: Tlp) -> Value {
        if !self.markings.contains(&tlp) {
            self.markings.push(tlp);
        }
        json!([marking(tlp).0])
    }

    /// The common properties of a domain or relationship object.
    fn sdo(
        &mut self,
        kind: &str,
        key: &str,
        created: Timestamp,
        modified: Timestamp,
        tlp: Tlp,
    ) -> Value {
        json!({
            "type": kind,
            "spec_version": "2.1",
            "id": self.id(kind, key),
            "created_by_ref": self.identity,
            "created": stamp(created),
            "modified": stamp(modified.max(created)),
            "object_marking_refs": self.mark(tlp),
        })
    }

    fn push(&mut self, mut object: Value, more: Value) -> String {
        if let (Some(o), Value::Object(more)) = (object.as_object_mut(), more) {
            o.extend(more);
        }
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        self.objects.push(object);
        id
    }

    fn relate(&mut self, source: &str, target: &str, at: Timestamp, tlp: Tlp) {
        let key = format!("{source}>{target}");
        let sro = self.sdo("relationship", &key, at, at, tlp);
        self.push(
            sro,
            json!({"relationship_type": "related-to", "source_ref": source, "target_ref": target}),
        );
    }
}

/// The cyber-observable object of an observable, and the pattern that
/// matches it; `None` for a hash of no length STIX names.
fn observable(o: &IncidentObservable) -> Option<(Value, String)> {
    let quoted = o.value.replace('\\', "\\\\").replace('\'', "\\'");
    // Every kind but a file is one property of one object type.
    let (kind, property) = match o.kind {
        ObservableType::Ip if o.value.contains(':') => ("ipv6-addr", "value"),
        ObservableType::Ip => ("ipv4-addr", "value"),
        ObservableType::Domain | ObservableType::Host => ("domain-name", "value"),
        ObservableType::Url => ("url", "value"),
        ObservableType::Email => ("email-addr", "value"),
        ObservableType::Account => ("user-account", "user_id"),
        ObservableType::Hash => ("file", ""),
    };
    let (contributing, pattern) = if kind == "file" {
        let algorithm = match o.value.len() {
            32 => "MD5",
            40 => "SHA-1",
            64 => "SHA-256",
            128 => "SHA-512",
            _ => return None,
        };
        (
            json!({"hashes": {algorithm: o.value}}),
            format!("[file:hashes.'{algorithm}' = '{quoted}']"),
        )
    } else {
        (
            json!({property: o.value}),
            format!("[{kind}:{property} = '{quoted}']"),
        )
    };
    // Its id: UUIDv5 of its id-contributing properties, canonical JSON.
    let name = serde_json::to_string(&contributing).unwrap_or_default();
    let id = format!(
        "{kind}--{}",
        uuid::Uuid::new_v5(&SCO_NAMESPACE, name.as_bytes())
    );
    let mut sco = json!({"type": kind, "spec_version": "2.1", "id": id});
    if let (Some(s), Value::Object(c)) = (sco.as_object_mut(), contributing) {
        s.extend(c);
    }
    Some((sco, pattern))
}

/// The incident's severity class as the extension's criticality, 0-100.
fn criticality(incident: &Incident) -> u8 {
    match incident.severity.class.as_str() {
        "IV" => 100,
        "III" => 75,
        "II" => 50,
        _ => 25,
    }
}

/// The incident as a STIX 2.1 bundle for `audience`: refused when the
/// incident itself is marked for a narrower audience; the observables the
/// audience may not receive (marked more narrowly, PAP:RED, removed) are
/// left out. Returns the bundle and how many observables it holds.
pub fn bundle(
    incident: &Incident,
    audience: Audience,
    producer: &Producer,
    now: Timestamp,
) -> Result<(Value, usize), String> {
    audience.admit(incident)?;
    let mut b = Bundle {
        producer,
        identity: String::new(),
        objects: vec![],
        markings: vec![],
    };
    b.identity = b.id("identity", "producer");
    let identity = json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": b.identity,
        "created": stamp(incident.confirmed_at),
        "modified": stamp(incident.confirmed_at),
        "name": producer.name,
        "identity_class": "organization",
    });
    b.objects.push(identity);

    let n = incident.number.to_string();
    let mut types = vec![incident.category.as_str().to_owned()];
    if let Some(r) = &incident.rsit {
        types.push(r.kind.clone());
    }
    let sdo = b.sdo(
        "incident",
        &n,
        incident.confirmed_at,
        incident.updated_at,
        incident.tlp,
    );
    let incident_id = b.push(
        sdo,
        json!({
            "name": incident.title.as_str(),
            "description": incident.description.as_str(),
            "external_references": [{"source_name": "rampart", "external_id": n}],
            "extensions": {INCIDENT_CORE: {
                "extension_type": "property-extension",
                "determination": match incident.actuality {
                    Actuality::Actual => "successful-attempt",
                    Actuality::Suspected => "suspected",
                },
                "investigation_status": if incident.status.is_open() { "open" } else { "closed" },
                "incident_types": types,
                "criticality": criticality(incident),
            }},
        }),
    );

    let mut shared = 0;
    for o in incident.observables.iter().filter(|o| audience.shares(o)) {
        let Some((mut sco, pattern)) = observable(o) else {
            continue;
        };
        shared += 1;
        let key = format!("{n}/{}", o.id);
        sco["object_marking_refs"] = b.mark(o.tlp);
        let sco_id = b.push(sco, json!({}));
        let seen = stamp(o.added_at);
        let od = b.sdo("observed-data", &key, o.added_at, o.updated_at, o.tlp);
        let od_id = b.push(
            od,
            json!({"first_observed": seen, "last_observed": seen, "number_observed": 1,
                   "object_refs": [sco_id]}),
        );
        b.relate(&od_id, &incident_id, o.added_at, o.tlp);
        if !o.ioc {
            continue;
        }
        let about = match &o.note {
            Some(note) => format!("Indicator of compromise in {n}: {note}"),
            None => format!("Indicator of compromise in {n}"),
        };
        let ind = b.sdo("indicator", &key, o.added_at, o.updated_at, o.tlp);
        let ind_id = b.push(
            ind,
            json!({"name": format!("{} {}", o.kind, o.value), "description": about,
                   "indicator_types": ["malicious-activity"], "pattern": pattern,
                   "pattern_type": "stix", "valid_from": seen}),
        );
        b.relate(&ind_id, &incident_id, o.added_at, o.tlp);
        if o.sighted {
            let s = b.sdo("sighting", &key, o.added_at, o.updated_at, o.tlp);
            b.push(
                s,
                json!({"sighting_of_ref": ind_id, "observed_data_refs": [od_id],
                       "where_sighted_refs": [b.identity], "count": 1}),
            );
        }
    }
    let markings: Vec<Value> = b.markings.iter().map(|t| marking(*t).1).collect();
    let mut objects = markings;
    objects.append(&mut b.objects);
    let bundle = json!({
        "type": "bundle",
        "id": b.id("bundle", &format!("{n}@{}", stamp(now))),
        "objects": objects,
    });
    Ok((bundle, shared))
}
