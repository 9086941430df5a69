//! STIX 2.1 bundles: one report per bundle, named by its first incident (or
//! report), its cyber-observable objects as observables, the TLP marking of
//! that incident as the report's.

use rampart_domain::{EventReport, ObservableType, Tlp};
use serde_json::Value;

use super::{Draft, FieldErrors, headline, sensor, text};

/// Most objects read from one bundle.
const MAX_READ: usize = 10_000;

/// The TLP of a marking definition's standard id (TLP 2.0, and 1.0).
fn tlp_of(marking: &str) -> Option<Tlp> {
    let uuid = marking.strip_prefix("marking-definition--")?;
    Some(match uuid {
        "94868c89-83c2-464b-929b-a1a8aa3c8487" | "613f2e26-407d-48c7-9eca-b8e91df99dc9" => {
            Tlp::Clear
        }
        "bab4a63c-aed9-4cf5-a766-dfca5abac2bb" | "34098fce-860f-48ae-8e50-ebd3cc5e41da" => {
            Tlp::Green
        }
        "55d920b0-5e8b-4f79-9ee9-91f868d9b421" | "f88d31f6-486f-44da-b317-01333bde0b82" => {
            Tlp::Amber
        }
        "939a9414-2ddd-4d32-a0cd-375ea402b003" => Tlp::AmberStrict,
        "e828b379-4e03-4974-9ac4-e53a884c97c1" | "5e57c739-391a-4eb3-b6be-7d15ca92d5ed" => Tlp::Red,
        _ => return None,
    })
}

/// A STIX 2.1 bundle as a sensor report (source `stix`, reference the id
/// of the incident it holds, else the bundle's, so importing it again is a
/// repeat).
pub fn stix(value: &Value) -> Result<EventReport, FieldErrors> {
    if value["type"] != "bundle" {
        return Err(vec![("type".into(), "must be `bundle`".into())]);
    }
    let Some(objects) = value["objects"].as_array() else {
        return Err(vec![(
            "objects".into(),
            "is required: the bundle's objects".into(),
        )]);
    };
    let objects = &objects[..objects.len().min(MAX_READ)];
    let main = objects
        .iter()
        .find(|o| o["type"] == "incident")
        .or_else(|| objects.iter().find(|o| o["type"] == "report"));
    let title = main
        .and_then(|o| o["name"].as_str())
        .and_then(|t| headline(t, 200))
        .or_else(|| {
            headline(
                &format!("STIX bundle {}", value["id"].as_str().unwrap_or("")),
                200,
            )
        });
    let Some(title) = title else {
        return Err(vec![(
            "objects".into(),
            "holds no incident or report with a name".into(),
        )]);
    };
    let reference = main
        .and_then(|o| o["id"].as_str())
        .or_else(|| value["id"].as_str());
    let mut draft = Draft::default();
    for o in objects {
        let value_of = |field: &str| o[field].as_str();
        match o["type"].as_str().unwrap_or_default() {
            "ipv4-addr" | "ipv6-addr" => value_of("value")
                .into_iter()
                .for_each(|v| draft.observe(ObservableType::Ip, v)),
            "domain-name" => value_of("value")
                .into_iter()
                .for_each(|v| draft.observe_host(v)),
            "url" => value_of("value")
                .into_iter()
                .for_each(|v| draft.observe(ObservableType::Url, v)),
            "email-addr" => value_of("value")
                .into_iter()
                .for_each(|v| draft.observe(ObservableType::Email, v)),
            "user-account" => value_of("user_id")
                .or(value_of("account_login"))
                .into_iter()
                .for_each(|v| draft.observe(ObservableType::Account, v)),
            "file" => {
                for hash in o["hashes"].as_object().into_iter().flat_map(|h| h.values()) {
                    if let Some(h) = hash.as_str() {
                        draft.observe(ObservableType::Hash, h);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(r) = reference {
        draft.attribute("stix_id", r);
    }
    let description = main
        .and_then(|o| o["description"].as_str())
        .and_then(text)
        .or_else(|| {
            text(&format!(
                "Imported from the STIX bundle {}",
                value["id"].as_str().unwrap_or("")
            ))
        })
        .unwrap_or_else(|| title.clone());
    let mut report = draft.into_report(title, description, sensor("stix", reference));
    report.tlp = main
        .and_then(|o| o["object_marking_refs"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().and_then(tlp_of))
        .max_by_key(|t| t.rank());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bundle_gives_its_incident_and_observables() {
        let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "incident", "id": "incident--9", "name": "Ransomware", "description": "Files encrypted",
             "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
            {"type": "domain-name", "id": "domain-name--1", "value": "bad.example"},
            {"type": "file", "id": "file--1", "hashes": {"MD5": "d41d8cd98f00b204e9800998ecf8427e"}},
            {"type": "user-account", "id": "user-account--1", "account_login": "svc-backup"},
            {"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '1.2.3.4']"}
        ]});
        let report = stix(&bundle).unwrap();
        assert_eq!(report.title.as_str(), "Ransomware");
        assert_eq!(report.description.as_str(), "Files encrypted");
        assert_eq!(report.tlp, Some(Tlp::Amber));
        assert_eq!(
            report.source.unwrap().reference.unwrap().as_str(),
            "incident--9"
        );
        let values: Vec<&str> = report
            .observables
            .iter()
            .map(|o| o.value.as_str())
            .collect();
        assert_eq!(
            values,
            [
                "198.51.100.7",
                "bad.example",
                "d41d8cd98f00b204e9800998ecf8427e",
                "svc-backup"
            ]
        );
    }

    #[test]
    fn what_is_no_bundle_is_refused_by_name() {
        assert_eq!(
            stix(&json!({"type": "bundle"})).unwrap_err()[0].0,
            "objects"
        );
        let empty = stix(&json!({"type": "bundle", "objects": []})).unwrap();
        assert_eq!(empty.title.as_str(), "STIX bundle");
    }
}
