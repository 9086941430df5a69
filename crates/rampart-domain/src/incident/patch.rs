//! The fields the ISIRT changes after confirmation: the patch, its rules
//! (times in order, none in the future), and the fields that changed.

use super::*;

/// Fields the ISIRT may change after confirmation.
///
/// A field left out stays as it is. An optional field sent as `null` is
/// cleared (`severity_override: null` removes an override, `conclusion: null`
/// removes the conclusion); `cia_impact: null` clears all three aspects. A
/// list is replaced as a whole, so `[]` empties it. `null` for a field the
/// record always has (`title`, `reported_at`, …) leaves it as it is.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub title: Option<Text>,
    pub description: Option<Text>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub how: Option<Option<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub why: Option<Option<Text>>,
    pub category: Option<Category>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Rsit>))]
    pub rsit: Option<Option<Rsit>>,
    pub severity: Option<SeverityFactors>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SeverityOverride>))]
    pub severity_override: Option<Option<SeverityOverride>>,
    pub effort: Option<Effort>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub coordinator: Option<String>,
    pub actuality: Option<Actuality>,
    pub tlp: Option<Tlp>,
    /// The PAP marking; the change is journaled before and after like any other.
    pub pap: Option<Pap>,
    pub assets: Option<Vec<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub impact: Option<Option<Text>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CiaImpact>))]
    pub cia_impact: Option<Option<CiaImpact>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub occurred_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub discovered_at: Option<Option<Timestamp>>,
    /// When the first event was reported; not later than now, nor earlier
    /// than the incident occurred or was discovered.
    pub reported_at: Option<Timestamp>,
    pub aware_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub contained_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub ended_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub impact_ended_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Perpetrator>))]
    pub perpetrator: Option<Option<Perpetrator>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Motivation>))]
    pub motivation: Option<Option<Motivation>>,
    /// Free-text notes on the recovery cost (the only form before typed amounts).
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Text>))]
    pub recovery_cost: Option<Option<Text>>,
    /// The total recovery cost as an amount.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Money>))]
    pub recovery_cost_total: Option<Option<Money>>,
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Investigation>))]
    pub investigation: Option<Option<Investigation>>,
    /// `{"significant": true, "why": "…"}`; plain text is still taken, with
    /// `significant` left unstated.
    #[serde(default, deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Conclusion>))]
    pub conclusion: Option<Option<Conclusion>>,
    /// Other incidents this one is related to; each must exist and be
    /// visible to the requester.
    pub related_incidents: Option<Vec<IncidentNumber>>,
    /// Individuals and entities notified, replaced as a whole.
    pub notified: Option<Vec<Notification>>,
}

/// A field that a journal's `after` may give as `null` when it was emptied.
pub(super) fn null_as_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl IncidentPatch {
    /// Actions the role table must allow for this patch.
    pub fn required_actions(&self) -> Vec<Action> {
        let mut actions = vec![Action::UpdateIncident];
        if self.coordinator.is_some() {
            actions.push(Action::AssignCoordinator);
        }
        if self.severity_override.is_some() {
            actions.push(Action::OverrideSeverity);
        }
        actions
    }
}

impl Incident {
    /// Applies a patch; returns the names of the fields that changed.
    ///
    /// Times must not be in the future, and must keep their order where the
    /// patch touches one of a pair: the incident occurred before it was
    /// discovered, reported or the organization became aware of it, was
    /// discovered before it was reported, and was contained, ended and its
    /// impact ended after it occurred; an investigation completes after it
    /// starts.
    pub fn apply_patch(
        &mut self,
        patch: IncidentPatch,
        by: &Actor,
        now: Timestamp,
    ) -> Result<Vec<&'static str>, DomainError> {
        self.apply_patch_under(patch, by, now, &crate::ScaleVersion::shipped())
    }

    /// [`Self::apply_patch`] with the classification scale in force: a new
    /// category must be one it offers, and a changed category or class
    /// moves the incident to that version and its class name.
    pub fn apply_patch_under(
        &mut self,
        patch: IncidentPatch,
        by: &Actor,
        now: Timestamp,
        scale: &crate::ScaleVersion,
    ) -> Result<Vec<&'static str>, DomainError> {
        let mut p = Problems::default();
        if let Some(c) = patch.category
            && c != self.category
            && let Err(m) = scale.check_active(c)
        {
            p.push("category", m);
        }
        if let Some(c) = &patch.coordinator {
            p.take("coordinator", crate::role::parse_user_name(c));
        }
        if let Some(list) = &patch.related_incidents {
            if list.contains(&self.number) {
                p.push("related_incidents", "must not contain the incident itself");
            }
            for (i, n) in list.iter().enumerate() {
                if list[..i].contains(n) {
                    p.push(
                        format!("related_incidents[{i}]"),
                        format!("{n} is listed twice"),
                    );
                }
            }
            if list.len() > MAX_PEOPLE {
                p.push(
                    "related_incidents",
                    format!("an incident names at most {MAX_PEOPLE} related incidents"),
                );
            }
        }
        if patch
            .notified
            .as_ref()
            .is_some_and(|l| l.len() > MAX_PEOPLE)
        {
            p.push(
                "notified",
                format!("an incident lists at most {MAX_PEOPLE} notified parties"),
            );
        }
        if let Some(Some(inv)) = &patch.investigation
            && inv.investigators.len() > MAX_PEOPLE
        {
            p.push(
                "investigation.investigators",
                format!("at most {MAX_PEOPLE} investigators"),
            );
        }
        // Times sent, by field name: none may be in the future.
        let mut sent: Vec<(String, Timestamp)> = Vec::new();
        let mut put = |name: &str, t: Option<Timestamp>| {
            if let Some(t) = t {
                sent.push((name.to_owned(), t));
            }
        };
        put("occurred_at", patch.occurred_at.flatten());
        put("discovered_at", patch.discovered_at.flatten());
        put("reported_at", patch.reported_at);
        put("aware_at", patch.aware_at);
        put("contained_at", patch.contained_at.flatten());
        put("ended_at", patch.ended_at.flatten());
        put("impact_ended_at", patch.impact_ended_at.flatten());
        if let Some(Some(inv)) = &patch.investigation {
            put("investigation.started_at", inv.started_at);
            put("investigation.completed_at", inv.completed_at);
        }
        for (i, n) in patch.notified.iter().flatten().enumerate() {
            put(&format!("notified[{i}].at"), n.at);
        }
        for (field, t) in &sent {
            if *t > now {
                p.push(field.clone(), "must not be in the future");
            }
        }
        p.into_result()?;
        let before = self.clone();
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(v) = patch.$field { self.$field = v; })* };
        }
        set!(
            title,
            description,
            category,
            effort,
            coordinator,
            actuality,
            tlp,
            assets,
            reported_at,
            aware_at,
            related_incidents,
            notified,
            how,
            why,
            rsit,
            impact,
            occurred_at,
            discovered_at,
            contained_at,
            ended_at,
            impact_ended_at,
            perpetrator,
            motivation,
            recovery_cost,
            recovery_cost_total,
            conclusion
        );
        if let Some(pap) = patch.pap {
            self.pap = Some(pap);
        }
        if let Some(cia) = patch.cia_impact {
            self.cia_impact = cia.unwrap_or_default().normalized();
        }
        if let Some(inv) = patch.investigation {
            self.investigation = inv.filter(|i| !i.is_empty());
        }
        let factors = patch.severity.unwrap_or(self.severity.factors);
        let override_ = patch
            .severity_override
            .unwrap_or_else(|| self.severity.override_.clone());
        self.severity = Severity::new(factors, override_);
        if self.severity.class == before.severity.class {
            // The class stands: it keeps the name its scale gave it.
            self.severity.label.clone_from(&before.severity.label);
        }
        if self.category != before.category || self.severity != before.severity {
            self.classify_under(scale);
        }
        self.priority = Priority::new(self.severity.class, self.effort);
        let changed = changed_fields(&before, self);
        if changed.is_empty() {
            *self = before;
            return Err(DomainError::field(
                "body",
                "changes nothing; send at least one field with a new value",
            ));
        }
        if let Err(e) = self.check_order(&changed) {
            *self = before;
            return Err(e);
        }
        self.push_log(
            LogKind::Note,
            format!("updated {}", changed.join(", ")),
            None,
            by,
            now,
            now,
        );
        Ok(changed)
    }

    /// The order of the record's times, for the pairs a change touched.
    fn check_order(&self, changed: &[&str]) -> Result<(), DomainError> {
        let occurred = ("occurred_at", self.occurred_at);
        let discovered = ("discovered_at", self.discovered_at);
        let reported = ("reported_at", Some(self.reported_at));
        let pairs = [
            (occurred, discovered),
            (occurred, reported),
            (discovered, reported),
            (occurred, ("aware_at", Some(self.aware_at))),
            (occurred, ("contained_at", self.contained_at)),
            (occurred, ("ended_at", self.ended_at)),
            (occurred, ("impact_ended_at", self.impact_ended_at)),
        ];
        let mut p = Problems::default();
        for ((first, a), (then, b)) in pairs {
            let (Some(a), Some(b)) = (a, b) else { continue };
            if a <= b {
                continue;
            }
            if changed.contains(&then) {
                p.push(then, format!("must not be earlier than {}", words(first)));
            } else if changed.contains(&first) {
                p.push(first, format!("must not be later than {}", words(then)));
            }
        }
        if changed.contains(&"investigation")
            && let Some(inv) = &self.investigation
            && let (Some(a), Some(b)) = (inv.started_at, inv.completed_at)
            && a > b
        {
            p.push(
                "investigation.completed_at",
                "must not be earlier than when the investigation started",
            );
        }
        p.into_result()
    }
}

/// The fields a patch may change, in the order an `updated …` log line names them.
pub const PATCH_FIELDS: &[&str] = &[
    "title",
    "description",
    "how",
    "why",
    "category",
    "rsit",
    "severity",
    "effort",
    "coordinator",
    "actuality",
    "tlp",
    "pap",
    "assets",
    "impact",
    "cia_impact",
    "occurred_at",
    "discovered_at",
    "reported_at",
    "aware_at",
    "contained_at",
    "ended_at",
    "impact_ended_at",
    "perpetrator",
    "motivation",
    "recovery_cost",
    "recovery_cost_total",
    "investigation",
    "conclusion",
    "related_incidents",
    "notified",
    "scale",
];

/// A time field as a sentence names it.
fn words(field: &str) -> &'static str {
    match field {
        "occurred_at" => "when it occurred",
        "discovered_at" => "when it was discovered",
        "reported_at" => "when it was reported",
        "aware_at" => "when the organization became aware",
        "contained_at" => "when it was contained",
        "ended_at" => "when it ended",
        _ => "when its impact ended",
    }
}

/// Names of the top-level fields whose JSON differs.
fn changed_fields(before: &Incident, after: &Incident) -> Vec<&'static str> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    PATCH_FIELDS
        .iter()
        .copied()
        .filter(|f| a.get(*f) != b.get(*f))
        .collect()
}
