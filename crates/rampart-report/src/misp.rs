//! An incident as a MISP event (the JSON MISP imports and its feeds
//! serve): the incident's title, date, threat level and analysis state, its
//! TLP and RSIT classification as tags, and an attribute for each
//! observable the audience may receive, flagged for detection (`to_ids`)
//! when it is an indicator of compromise and tagged with its own TLP and
//! PAP.

use rampart_domain::{Incident, IncidentObservable, ObservableType, Pap, Tlp};
use serde_json::{Value, json};

use crate::Audience;

/// The MISP tag of a TLP marking (the `tlp` taxonomy).
fn tlp_tag(tlp: Tlp) -> Value {
    json!({"name": format!("tlp:{}", tlp.as_str().to_ascii_lowercase())})
}

/// The MISP tag of a PAP marking (the `PAP` taxonomy).
fn pap_tag(pap: Pap) -> Value {
    json!({"name": format!("PAP:{}", pap.as_str())})
}

/// The attribute type and category of an observable; `None` for a hash of
/// no length MISP names.
fn attribute_type(o: &IncidentObservable) -> Option<(&'static str, &'static str)> {
    Some(match o.kind {
        ObservableType::Ip => ("ip-dst", "Network activity"),
        ObservableType::Domain => ("domain", "Network activity"),
        ObservableType::Host => ("hostname", "Network activity"),
        ObservableType::Url => ("url", "Network activity"),
        ObservableType::Email => ("email-src", "Payload delivery"),
        ObservableType::Account => ("target-user", "Targeting data"),
        ObservableType::Hash => match o.value.len() {
            32 => ("md5", "Payload delivery"),
            40 => ("sha1", "Payload delivery"),
            64 => ("sha256", "Payload delivery"),
            128 => ("sha512", "Payload delivery"),
            _ => return None,
        },
    })
}

/// The event's distribution for an audience: this organization only for
/// AMBER and AMBER+STRICT, this community for GREEN, all for CLEAR.
fn distribution(audience: Audience) -> &'static str {
    match audience.tlp() {
        Tlp::Clear => "3",
        Tlp::Green => "1",
        _ => "0",
    }
}

/// The incident as a MISP event for `audience`, under the same rules as
/// [`crate::stix::bundle`]; `uuid` keeps the event's identity from one
/// export to the next. Returns the event and how many attributes it holds.
pub fn event(
    incident: &Incident,
    audience: Audience,
    producer: &crate::stix::Producer,
) -> Result<(Value, usize), String> {
    audience.admit(incident)?;
    let n = incident.number.to_string();
    let uuid = |key: &str| crate::stix::stable_uuid(&producer.seed, "misp", key).to_string();
    let mut tags = vec![tlp_tag(incident.tlp)];
    if let Some(r) = &incident.rsit {
        tags.push(json!({"name": format!("rsit:{}=\"{}\"", r.class, r.kind)}));
    }
    if let Some(pap) = incident.pap {
        tags.push(pap_tag(pap));
    }
    let mut attributes = vec![];
    for o in incident.observables.iter().filter(|o| audience.shares(o)) {
        let Some((kind, category)) = attribute_type(o) else {
            continue;
        };
        let mut attribute = json!({
            "uuid": uuid(&format!("{n}/{}", o.id)),
            "type": kind,
            "category": category,
            "value": o.value,
            "to_ids": o.ioc,
            "distribution": "5",
            "timestamp": o.updated_at.as_offset().unix_timestamp().to_string(),
            "Tag": [tlp_tag(o.tlp), pap_tag(o.pap)],
        });
        if let Some(note) = &o.note {
            attribute["comment"] = json!(note.as_str());
        }
        attributes.push(attribute);
    }
    let shared = attributes.len();
    let class = incident.severity.class.as_str();
    let event = json!({"Event": {
        "uuid": uuid(&n),
        "info": format!("{n}: {}", incident.title),
        "date": incident.confirmed_at.to_rfc3339().get(..10).unwrap_or_default(),
        "threat_level_id": match class { "IV" | "III" => "1", "II" => "2", _ => "3" },
        "analysis": if incident.status.is_open() { "1" } else { "2" },
        "distribution": distribution(audience),
        "published": false,
        "timestamp": incident.updated_at.as_offset().unix_timestamp().to_string(),
        "Orgc": {"name": producer.name, "uuid": uuid("producer")},
        "Tag": tags,
        "Attribute": attributes,
    }});
    Ok((event, shared))
}
