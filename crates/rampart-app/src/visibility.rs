//! Need-to-know across records and the journal: an incident restricted to
//! named users does not exist for anyone else, and nothing else names it to
//! them: not an event's link or correlations, not another record's journal
//! entry.

use std::collections::{BTreeSet, HashMap, HashSet};

use rampart_domain::{Action, Actor, Event, IncidentNumber};
use rampart_store::{Entity, EntityRef, JournalEntry, JournalQuery};
use serde_json::Value;

use crate::App;
use crate::AppError;

impl App {
    /// Need-to-know: an event linked to a restricted incident does not name
    /// it to anyone who may not see that incident.
    pub(crate) async fn hide_restricted_links(
        &self,
        actor: &Actor,
        events: &mut [Event],
    ) -> Result<(), AppError> {
        let mut readable: HashMap<IncidentNumber, bool> = Default::default();
        let may_events = actor.may(Action::ViewEvents);
        let may_incidents = actor.may(Action::ViewIncidents);
        for e in events.iter_mut() {
            if let Some(n) = e.incident
                && !self.incident_readable(actor, n, &mut readable).await?
            {
                e.incident = None;
            }
            // Correlations name other events and incidents: only those this reader may see.
            let mut kept = Vec::with_capacity(e.related.len());
            for c in std::mem::take(&mut e.related) {
                // Only what looks like an incident number is parsed as one.
                let incident = c
                    .number
                    .get(..4)
                    .is_some_and(|p| p.eq_ignore_ascii_case("INC-"))
                    .then(|| c.number.parse::<IncidentNumber>().ok())
                    .flatten();
                let visible = match incident {
                    Some(n) => {
                        may_incidents && self.incident_readable(actor, n, &mut readable).await?
                    }
                    None => may_events,
                };
                if visible {
                    kept.push(c);
                }
            }
            e.related = kept;
        }
        Ok(())
    }

    /// Whether `actor` may read incident `n`, remembered in `seen`.
    async fn incident_readable(
        &self,
        actor: &Actor,
        n: IncidentNumber,
        seen: &mut HashMap<IncidentNumber, bool>,
    ) -> Result<bool, AppError> {
        if let Some(v) = seen.get(&n) {
            return Ok(*v);
        }
        let v = match self.store.get(&EntityRef::Incident(n)).await? {
            Some(Entity::Incident(i)) => i.readable_by(actor),
            _ => false,
        };
        seen.insert(n, v);
        Ok(v)
    }

    pub async fn journal(
        &self,
        actor: &Actor,
        query: JournalQuery,
    ) -> Result<Vec<ServedEntry>, AppError> {
        actor.require(Action::ReadJournal)?;
        let entries = self.store.journal(&query).await?;
        self.visible_journal(actor, entries).await
    }

    /// One page of at most `query.limit` entries, and the `after` of the next
    /// page. Entries hidden by need-to-know still count as read, so a page
    /// that hides some never ends the paging early.
    pub async fn journal_page(
        &self,
        actor: &Actor,
        mut query: JournalQuery,
    ) -> Result<(Vec<ServedEntry>, Option<u64>), AppError> {
        actor.require(Action::ReadJournal)?;
        let size = query.limit.max(1) as usize;
        query.limit = query.limit.max(1) + 1;
        let mut raw = self.store.journal(&query).await?;
        let more = raw.len() > size;
        raw.truncate(size);
        let next = if more {
            raw.last().map(|e| e.seq)
        } else {
            None
        };
        Ok((self.visible_journal(actor, raw).await?, next))
    }

    /// Need-to-know holds in the journal too: entries about a restricted
    /// incident (or its evidence) are left out for everyone not named on it,
    /// and entries about other records do not name it either: a payload's
    /// reference to it is taken out of what is served (see [`ServedEntry`]).
    pub(crate) async fn visible_journal(
        &self,
        actor: &Actor,
        entries: Vec<JournalEntry>,
    ) -> Result<Vec<ServedEntry>, AppError> {
        let mut readable: HashMap<IncidentNumber, bool> = Default::default();
        let mut served = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(number) = self.incident_of_record(&entry.entity).await?
                && !self.incident_readable(actor, number, &mut readable).await?
            {
                continue;
            }
            // Most payloads name no incident: only those that do are parsed.
            if !entry.payload.contains("INC-") && !entry.payload.contains("EVD-") {
                served.push(ServedEntry {
                    entry,
                    redacted: false,
                });
                continue;
            }
            let Ok(mut payload) = serde_json::from_str::<Value>(&entry.payload) else {
                served.push(ServedEntry {
                    entry,
                    redacted: false,
                });
                continue;
            };
            let mut hidden = HashSet::new();
            for text in referenced_numbers(&payload) {
                if let Some(number) = self.incident_of_record(&text).await?
                    && !self.incident_readable(actor, number, &mut readable).await?
                {
                    hidden.insert(text);
                }
            }
            let redacted = !hidden.is_empty();
            let mut entry = entry;
            if redacted {
                redact(&mut payload, &hidden);
                entry.payload = rampart_store::journal::canonical_json(&payload);
            }
            served.push(ServedEntry { entry, redacted });
        }
        Ok(served)
    }

    /// The incident a record number belongs to: the incident itself, or the
    /// incident an evidence item was collected for. `None` for other text.
    async fn incident_of_record(&self, text: &str) -> Result<Option<IncidentNumber>, AppError> {
        if let Ok(n) = text.parse::<IncidentNumber>() {
            return Ok(Some(n));
        }
        match text.parse::<rampart_domain::EvidenceNumber>() {
            Ok(n) => self.evidence_incident(n).await,
            Err(_) => Ok(None),
        }
    }
}

/// A journal entry as served to one reader. When need-to-know took a
/// restricted incident's number out of the payload, `redacted` says so: the
/// stored entry (and so its hash and the chain's verification) is unchanged,
/// and its hash covers the payload as stored, not as served.
#[derive(Debug, Clone)]
pub struct ServedEntry {
    pub entry: JournalEntry,
    pub redacted: bool,
}

/// Every string in a payload that may be a record number (walked without
/// recursion; payloads were parsed under the JSON parser's depth limit).
fn referenced_numbers(payload: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![payload];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(t) if t.starts_with("INC-") || t.starts_with("EVD-") => {
                found.insert(t.clone());
            }
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    found
}

/// Takes the hidden numbers out of a payload: a list loses the items that are
/// (or whose `number` is) hidden, any other place holding one becomes `null`.
fn redact(payload: &mut Value, hidden: &HashSet<String>) {
    let is_hidden = |v: &Value| match v {
        Value::String(t) => hidden.contains(t),
        Value::Object(m) => m
            .get("number")
            .and_then(Value::as_str)
            .is_some_and(|t| hidden.contains(t)),
        _ => false,
    };
    let mut stack = vec![payload];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => {
                items.retain(|i| !is_hidden(i));
                stack.extend(items.iter_mut());
            }
            Value::Object(map) => {
                for value in map.values_mut() {
                    if matches!(value, Value::String(t) if hidden.contains(t)) {
                        *value = Value::Null;
                    } else {
                        stack.push(value);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::{EventNumber, IncidentNumber, Role};
    use rampart_store::JournalQuery;
    use serde_json::json;

    use crate::ErrorKind;
    use crate::testing::{TestApp, from_json};

    /// An incident `ian` restricted to himself, and the event it came from.
    async fn restricted(t: &TestApp) -> (IncidentNumber, EventNumber) {
        let poc = t.user("pat", &[Role::Poc]).await;
        let ian = t.user("ian", &[Role::IsirtMember]).await;
        let event = t.escalated_event(&poc, "Insider copying files").await;
        let n = t.confirm(&ian, event).await;
        t.app
            .restrict_incident(&ian, n, vec!["ian".into()])
            .await
            .unwrap();
        (n, event)
    }

    #[tokio::test]
    async fn a_restricted_incident_is_not_found_for_a_member_not_named() {
        let t = TestApp::new().await;
        let (n, event) = restricted(&t).await;
        let ian = rampart_domain::Actor::new("ian", vec![Role::IsirtMember]);
        let ivy = t.user("ivy", &[Role::IsirtMember]).await;
        assert!(t.app.get_incident(&ian, n).await.is_ok());
        let hidden = t.app.get_incident(&ivy, n).await.unwrap_err();
        assert_eq!(hidden.kind(), ErrorKind::NotFound);
        let listed = t
            .app
            .list_incidents(&ivy, Default::default())
            .await
            .unwrap();
        assert!(listed.items.is_empty());
        let log = from_json(json!({"action": "looked around"}));
        let refused = t.app.add_log(&ivy, n, log).await.unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::NotFound);
        // Its event does not name it either.
        assert_eq!(
            t.app.get_event(&ian, event).await.unwrap().incident,
            Some(n)
        );
        assert_eq!(t.app.get_event(&ivy, event).await.unwrap().incident, None);
    }

    #[tokio::test]
    async fn the_journal_leaves_out_and_redacts_a_restricted_incident_for_an_auditor() {
        let t = TestApp::new().await;
        let (n, _) = restricted(&t).await;
        let auditor = t.user("aud", &[Role::Auditor]).await;
        let all = JournalQuery {
            limit: 1000,
            ..Default::default()
        };
        let served = t.app.journal(&auditor, all).await.unwrap();
        let number = n.to_string();
        assert!(served.iter().all(|s| !s.entry.payload.contains(&number)));
        assert!(served.iter().all(|s| s.entry.entity != number));
        let linked = served.iter().find(|s| s.entry.action == "event.linked");
        assert!(linked.expect("the event's own entry is served").redacted);
        let stored = ["incident.confirmed", "incident.restricted"];
        assert_eq!(t.actions(&number).await, stored);
    }
}
