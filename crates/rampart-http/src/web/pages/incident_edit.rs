//! The full incident record's edit form with its class preview, related
//! incidents linked and unlinked from the workspace, and the class preview of
//! the confirm form on the event page.
//!
//! The edit form shows every field of the record; a field left blank clears
//! it. What is posted becomes one `IncidentPatch` (the API's), so the
//! application refuses exactly what the API refuses, and the journal keeps
//! each changed field before and after.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use rampart_domain::{
    Action, Amount, Currency, Effort, FieldError, Incident, IncidentNumber, IncidentPatch,
    LossGrade, MotivationKind, NotifiedParty, PerpetratorKind, Priority, SeverityClass,
    SeverityFactors, SystemImportance, Timestamp,
};

use super::{EventPage, Page, incident_number, invalid, local_input};
use crate::AppState;
use crate::web::WebError;
use crate::web::form::decode_value;
use crate::web::form_errors;
use crate::web::record_form::RecordForm;
use crate::web::session::{FormData, Person, Posted, see_other};
use crate::web::view::*;

/// The class and priority the factors of a form give, before anything is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassPreview {
    /// The class in force: the override's when one is chosen.
    pub class: SeverityClass,
    pub computed: SeverityClass,
    pub overridden: bool,
    pub priority: u8,
}

impl ClassPreview {
    /// From the form's `severity.*`, `effort` and `severity_override.class`
    /// fields; `None` while a factor or the effort is not chosen.
    pub fn of(form: &FormData) -> Option<Self> {
        let factors = SeverityFactors {
            system_importance: SystemImportance::parse(form.get("severity.system_importance")?)
                .ok()?,
            business_loss: LossGrade::parse(form.get("severity.business_loss")?).ok()?,
            social_impact: LossGrade::parse(form.get("severity.social_impact")?).ok()?,
        };
        let effort = Effort::parse(form.get("effort")?).ok()?;
        let computed = factors.class();
        let chosen = form
            .get("severity_override.class")
            .and_then(|c| SeverityClass::parse(c).ok());
        let class = chosen.unwrap_or(computed);
        Some(Self {
            class,
            computed,
            overridden: chosen.is_some(),
            priority: Priority::new(class, effort).value(),
        })
    }
}

impl ClassPreview {
    /// In words, as the page's script also writes it: `Class IV (Emergency;
    /// override: computed III) · priority P1 · significant`.
    pub fn text(&self) -> String {
        let mut t = format!("Class {} ({}", self.class, self.class.label());
        if self.overridden {
            t.push_str(&format!("; override: computed {}", self.computed));
        }
        t.push_str(&format!(") · priority P{}", self.priority));
        if self.class.is_significant() {
            t.push_str(" · significant");
        }
        t
    }
}

/// The table the page's script computes the preview from, as JSON: the
/// class of every combination of factors (`importance/loss/impact`) and the
/// priority of every class and effort (`class/effort`). The server computes
/// it from the same rules it classifies by, so the two cannot disagree.
pub fn preview_table() -> String {
    let mut classes = Map::new();
    for i in SystemImportance::ALL {
        for b in LossGrade::ALL {
            for s in LossGrade::ALL {
                let f = SeverityFactors {
                    system_importance: *i,
                    business_loss: *b,
                    social_impact: *s,
                };
                classes.insert(format!("{i}/{b}/{s}"), json!(f.class().as_str()));
            }
        }
    }
    let mut priority = Map::new();
    for c in SeverityClass::ALL {
        for e in Effort::ALL {
            priority.insert(format!("{c}/{e}"), json!(Priority::new(*c, *e).value()));
        }
    }
    let labels: Map<String, Value> = SeverityClass::ALL
        .iter()
        .map(|c| (c.to_string(), json!(SeverityClass::label(*c))))
        .collect();
    json!({"classes": classes, "priority": priority, "labels": labels}).to_string()
}

/// The confirm form's preview, shown once all three factors and the effort
/// are chosen (after *Preview*, or when the form was refused).
impl EventPage {
    pub fn confirm_preview(&self) -> Option<ClassPreview> {
        ClassPreview::of(&self.form.values)
    }

    pub fn preview_table(&self) -> String {
        preview_table()
    }

    /// The refusal of the factors as a whole (none chosen), shown by the first.
    pub fn factors_error(&self) -> Option<&str> {
        self.form
            .errors
            .iter()
            .find(|e| e.field == "severity")
            .map(|e| e.message.as_str())
    }
}

/// What the workspace's Record card and Details aside show.
impl super::IncidentPage {
    /// The parts of the record not filled in yet, named in one line
    /// instead of a row of dashes each.
    pub fn record_gaps(&self) -> Vec<&'static str> {
        let i = &self.incident;
        let mut gaps = Vec::new();
        let mut gap = |missing: bool, name: &'static str| {
            if missing {
                gaps.push(name);
            }
        };
        gap(i.how.is_none(), "how");
        gap(i.why.is_none(), "why");
        gap(i.assets.is_empty(), "assets affected");
        gap(i.impact.is_none(), "impact in words");
        gap(
            i.cia_impact.is_empty(),
            "impact on confidentiality, integrity and availability",
        );
        gap(
            i.recovery_cost_total.is_none() && i.recovery_cost.is_none(),
            "recovery cost",
        );
        gap(i.perpetrator.is_none(), "perpetrator");
        gap(i.motivation.is_none(), "motivation");
        gap(i.investigation.is_none(), "investigation");
        gap(i.conclusion.is_none(), "conclusion");
        gap(i.notified.is_empty(), "who was notified");
        gap(self.related.is_empty(), "related incidents");
        gaps
    }

    /// The record's times that are known, in the order they happen.
    pub fn times(&self) -> Vec<(&'static str, Timestamp)> {
        let i = &self.incident;
        [
            ("Occurred", i.occurred_at),
            ("Discovered", i.discovered_at),
            ("Reported", Some(i.reported_at)),
            ("Organization aware", Some(i.aware_at)),
            ("Confirmed", Some(i.confirmed_at)),
            ("Contained", i.contained_at),
            ("Ended", i.ended_at),
            ("Impact ended", i.impact_ended_at),
            ("Closed", i.closed_at),
        ]
        .into_iter()
        .filter_map(|(l, t)| t.map(|t| (l, t)))
        .collect()
    }

    /// The times not known yet, in lower case for one line.
    pub fn time_gaps(&self) -> Vec<&'static str> {
        let i = &self.incident;
        [
            ("occurred", i.occurred_at),
            ("discovered", i.discovered_at),
            ("contained", i.contained_at),
            ("ended", i.ended_at),
            ("impact ended", i.impact_ended_at),
            ("closed", i.closed_at),
        ]
        .into_iter()
        .filter(|(_, t)| t.is_none())
        .map(|(l, _)| l)
        .collect()
    }

    /// The CIA rows: name, and the aspect when anything is recorded for it.
    pub fn cia_rows(&self) -> Vec<(&'static str, rampart_domain::ImpactAspect)> {
        self.incident
            .cia_impact
            .aspects()
            .into_iter()
            .map(|(name, a)| (name, a.cloned().unwrap_or_default()))
            .collect()
    }

    /// Sums by currency, e.g. `EUR 1,200.00 + USD 50.00`; `—` when none.
    pub fn sum(&self, totals: Option<Vec<rampart_domain::Money>>) -> String {
        match totals {
            None => "too large to sum".into(),
            Some(t) if t.is_empty() => "—".into(),
            Some(t) => t
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    pub fn money(&self, m: &Option<rampart_domain::Money>) -> String {
        m.map_or_else(|| "—".to_owned(), |m| m.to_string())
    }

    /// Who was notified, inside the organization first, then outside it.
    pub fn notified_groups(&self) -> Vec<(&'static str, Vec<&rampart_domain::Notification>)> {
        [
            ("Internal", NotifiedParty::Internal),
            ("External", NotifiedParty::External),
        ]
        .into_iter()
        .map(|(title, party)| (title, self.notified_by(party)))
        .filter(|(_, list)| !list.is_empty())
        .collect()
    }

    fn notified_by(&self, party: NotifiedParty) -> Vec<&rampart_domain::Notification> {
        self.incident
            .notified
            .iter()
            .filter(|n| n.party == party)
            .collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "incident_edit.html")]
pub struct EditPage {
    pub chrome: Chrome,
    pub incident: Incident,
    pub form: RecordForm,
    pub preview: Option<ClassPreview>,
    pub table: String,
    /// Said plainly above the form, e.g. when saving changed nothing.
    pub notice: Option<String>,
    /// Rows of the notified table: those filled in, and two blank ones.
    pub rows: Vec<usize>,
}

impl EditPage {
    /// Whether the scale in force still offers the incident's category.
    pub fn category_offered(&self) -> bool {
        self.chrome
            .scale
            .current()
            .check_active(self.incident.category)
            .is_ok()
    }

    pub fn aspects(&self) -> [(&'static str, &'static str); 3] {
        [
            ("confidentiality", "Confidentiality"),
            ("integrity", "Integrity"),
            ("availability", "Availability"),
        ]
    }

    pub fn currencies(&self) -> &'static [&'static str] {
        Currency::all()
    }

    pub fn perpetrators(&self) -> &'static [PerpetratorKind] {
        PerpetratorKind::ALL
    }

    pub fn motivations(&self) -> &'static [MotivationKind] {
        MotivationKind::ALL
    }

    pub fn parties(&self) -> &'static [NotifiedParty] {
        NotifiedParty::ALL
    }

    pub fn classes(&self) -> &'static [SeverityClass] {
        SeverityClass::ALL
    }

    /// `Critical` for class III.
    pub fn class_name(&self, c: &SeverityClass) -> &'static str {
        SeverityClass::label(*c)
    }

    /// The value of a money field's currency box: what was posted, else EUR.
    pub fn currency(&self, name: &str) -> String {
        match self.form.values.get(name) {
            Some(c) => c.to_owned(),
            None => Currency::EUR.to_string(),
        }
    }

    /// A field of a row of a table, e.g. `notified.0.who`.
    pub fn cell(&self, row: &usize, field: &str) -> String {
        self.form.v(&format!("notified.{row}.{field}")).to_owned()
    }

    pub fn cell_has(&self, row: &usize, field: &str, value: &str) -> bool {
        self.form.has(&format!("notified.{row}.{field}"), value)
    }

    /// Why a row's field was refused, by its API name (`notified[0].who`).
    pub fn cell_error(&self, row: &usize, field: &str) -> Option<&str> {
        self.form.error(&format!("notified[{row}].{field}"))
    }

    /// The RSIT choice as the select's value, `class/type`.
    pub fn rsit_chosen(&self, value: &str) -> bool {
        self.form.has("rsit", value)
    }
}

/// The record as the form's fields.
fn of_incident(i: &Incident) -> FormData {
    let mut f: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            f.push((k.to_owned(), v));
        }
    };
    let text = |t: &Option<rampart_domain::Text>| t.as_ref().map(ToString::to_string);
    let time = |t: &Option<Timestamp>| t.as_ref().map(local_input).unwrap_or_default();
    put("title", i.title.to_string());
    put("description", i.description.to_string());
    put("how", text(&i.how).unwrap_or_default());
    put("why", text(&i.why).unwrap_or_default());
    put("category", i.category.to_string());
    if let Some(r) = &i.rsit {
        put("rsit", format!("{}/{}", r.class, r.kind));
    }
    put("actuality", i.actuality.to_string());
    put("tlp", i.tlp.to_string());
    put("pap", i.pap.map(|p| p.to_string()).unwrap_or_default());
    let s = &i.severity;
    put(
        "severity.system_importance",
        s.factors.system_importance.to_string(),
    );
    put(
        "severity.business_loss",
        s.factors.business_loss.to_string(),
    );
    put(
        "severity.social_impact",
        s.factors.social_impact.to_string(),
    );
    put("effort", i.effort.to_string());
    if let Some(o) = &s.override_ {
        put("severity_override.class", o.class.to_string());
        put(
            "severity_override.justification",
            o.justification.to_string(),
        );
    }
    put(
        "assets",
        i.assets
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    put("impact", text(&i.impact).unwrap_or_default());
    for (name, aspect) in i.cia_impact.aspects() {
        let Some(a) = aspect else { continue };
        put(
            &format!("cia_impact.{name}.description"),
            text(&a.description).unwrap_or_default(),
        );
        for (part, money) in [("value", a.value), ("cost", a.cost)] {
            if let Some(m) = money {
                put(
                    &format!("cia_impact.{name}.{part}.amount"),
                    m.amount.to_string(),
                );
                put(
                    &format!("cia_impact.{name}.{part}.currency"),
                    m.currency.to_string(),
                );
            }
        }
    }
    if let Some(m) = i.recovery_cost_total {
        put("recovery_cost_total.amount", m.amount.to_string());
        put("recovery_cost_total.currency", m.currency.to_string());
    }
    put("recovery_cost", text(&i.recovery_cost).unwrap_or_default());
    put("occurred_at", time(&i.occurred_at));
    put("discovered_at", time(&i.discovered_at));
    put("reported_at", local_input(&i.reported_at));
    put("aware_at", local_input(&i.aware_at));
    put("contained_at", time(&i.contained_at));
    put("ended_at", time(&i.ended_at));
    put("impact_ended_at", time(&i.impact_ended_at));
    if let Some(p) = &i.perpetrator {
        put("perpetrator.kind", p.kind.to_string());
        put(
            "perpetrator.description",
            text(&p.description).unwrap_or_default(),
        );
    }
    if let Some(m) = &i.motivation {
        put("motivation.kind", m.kind.to_string());
        put(
            "motivation.description",
            text(&m.description).unwrap_or_default(),
        );
    }
    if let Some(inv) = &i.investigation {
        put("investigation.started_at", time(&inv.started_at));
        put("investigation.completed_at", time(&inv.completed_at));
        put(
            "investigation.investigators",
            inv.investigators
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        );
        put(
            "investigation.report_reference",
            text(&inv.report_reference).unwrap_or_default(),
        );
    }
    if let Some(c) = &i.conclusion {
        if let Some(s) = c.significant {
            put("conclusion.significant", s.to_string());
        }
        put("conclusion.why", c.why.to_string());
    }
    for (n, who) in i.notified.iter().enumerate() {
        put(&format!("notified.{n}.who"), who.who.to_string());
        put(&format!("notified.{n}.party"), who.party.to_string());
        put(&format!("notified.{n}.at"), time(&who.at));
        put(
            &format!("notified.{n}.note"),
            text(&who.note).unwrap_or_default(),
        );
    }
    FormData(f)
}

/// Optional fields of the record: left blank in the form, they are cleared.
const CLEARABLE: &[&str] = &[
    "how",
    "why",
    "rsit",
    "impact",
    "cia_impact",
    "occurred_at",
    "discovered_at",
    "contained_at",
    "ended_at",
    "impact_ended_at",
    "perpetrator",
    "motivation",
    "recovery_cost",
    "recovery_cost_total",
    "investigation",
    "conclusion",
    "severity_override",
];

/// Time fields of the record, by their path in the patch.
const TIMES: &[&str] = &[
    "occurred_at",
    "discovered_at",
    "reported_at",
    "aware_at",
    "contained_at",
    "ended_at",
    "impact_ended_at",
];

/// A money object of the form (`{amount: "12.5", currency: "EUR"}`) as the
/// API takes it: left out when no amount was given, the amount a number.
fn money(obj: &mut Map<String, Value>, key: &str, path: &str, errors: &mut Vec<FieldError>) {
    let Some(Value::Object(m)) = obj.get_mut(key) else {
        return;
    };
    let Some(Value::String(amount)) = m.get("amount") else {
        obj.remove(key);
        return;
    };
    match Amount::parse(amount) {
        Ok(a) => {
            m.insert("amount".into(), json!(a));
        }
        Err(message) => errors.push(FieldError::new(format!("{path}.amount"), message)),
    }
}

/// A time the form shows to the second stands for the stored time when it
/// is unchanged, so saving a form does not drop a time's fraction.
fn keep_time(value: Option<&mut Value>, current: Option<Timestamp>) {
    let Some(t) = current else { return };
    // As the form's decoding reads the `datetime-local` value back.
    let shown = local_input(&t);
    let read = if shown.len() == 16 {
        format!("{shown}:00Z")
    } else {
        format!("{shown}Z")
    };
    if let Some(v) = value
        && v.as_str() == Some(read.as_str())
    {
        *v = json!(t);
    }
}

/// The posted edit form as the patch the API would take.
fn patch_of(form: &FormData, current: &Incident) -> Result<IncidentPatch, Vec<FieldError>> {
    let mut json = form.to_json(
        &["conclusion.significant"],
        &["assets", "investigation.investigators"],
    );
    let mut errors = Vec::new();
    let Some(obj) = json.as_object_mut() else {
        return Err(vec![FieldError::new("form", "is not a form")]);
    };
    obj.remove("preview");
    if let Some(Value::String(r)) = obj.get("rsit").cloned() {
        let (class, kind) = r.split_once('/').unwrap_or((r.as_str(), ""));
        obj.insert("rsit".into(), json!({"class": class, "type": kind}));
    }
    if let Some(Value::Object(cia)) = obj.get_mut("cia_impact") {
        for aspect in ["confidentiality", "integrity", "availability"] {
            if let Some(Value::Object(a)) = cia.get_mut(aspect) {
                money(
                    a,
                    "value",
                    &format!("cia_impact.{aspect}.value"),
                    &mut errors,
                );
                money(a, "cost", &format!("cia_impact.{aspect}.cost"), &mut errors);
                if a.is_empty() {
                    cia.remove(aspect);
                }
            }
        }
    }
    money(
        obj,
        "recovery_cost_total",
        "recovery_cost_total",
        &mut errors,
    );
    for (key, what) in [("perpetrator", "type"), ("motivation", "motivation")] {
        if let Some(Value::Object(m)) = obj.get(key)
            && !m.contains_key("kind")
        {
            errors.push(FieldError::new(
                format!("{key}.kind"),
                format!("choose the {what}, or clear the description"),
            ));
        }
    }
    if let Some(Value::Object(m)) = obj.get("severity_override")
        && !m.contains_key("class")
    {
        errors.push(FieldError::new(
            "severity_override.class",
            "choose the class, or clear the justification",
        ));
    }
    for key in TIMES {
        let now = match *key {
            "reported_at" => Some(current.reported_at),
            "aware_at" => Some(current.aware_at),
            "occurred_at" => current.occurred_at,
            "discovered_at" => current.discovered_at,
            "contained_at" => current.contained_at,
            "ended_at" => current.ended_at,
            _ => current.impact_ended_at,
        };
        keep_time(obj.get_mut(*key), now);
    }
    if let (Some(Value::Object(inv)), Some(was)) =
        (obj.get_mut("investigation"), &current.investigation)
    {
        keep_time(inv.get_mut("started_at"), was.started_at);
        keep_time(inv.get_mut("completed_at"), was.completed_at);
    }
    if let Some(Value::Array(rows)) = obj.get_mut("notified") {
        for (row, was) in rows.iter_mut().zip(&current.notified) {
            keep_time(row.get_mut("at"), was.at);
        }
    }
    for key in CLEARABLE {
        obj.entry(*key).or_insert(Value::Null);
    }
    for key in ["assets", "notified"] {
        obj.entry(key).or_insert(json!([]));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    decode_value(json)
}

fn edit_view(
    person: &Person,
    incident: Incident,
    values: FormData,
    errors: Vec<FieldError>,
    notice: Option<String>,
    preview: bool,
) -> EditPage {
    let filled = values
        .0
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .filter_map(|(k, _)| {
            k.strip_prefix("notified.")?
                .split('.')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |n| n + 1);
    EditPage {
        chrome: Chrome::new(person, format!("Edit {}", incident.number), "/incidents"),
        preview: if preview {
            ClassPreview::of(&values)
        } else {
            None
        },
        table: preview_table(),
        notice,
        rows: (0..filled + 2).collect(),
        incident,
        form: RecordForm::new(values, errors),
    }
}

pub async fn incident_edit_page(
    State(state): State<AppState>,
    person: Person,
    Path(n): Path<String>,
) -> Page {
    person.require(Action::UpdateIncident)?;
    let number = incident_number(&n)?;
    let incident = state.app.get_incident(&person.actor, number).await?;
    let values = of_incident(&incident);
    Ok(edit_view(&person, incident, values, vec![], None, false).into_response())
}

/// Saves the edit form, or with `preview` shows the class and priority the
/// factors give and saves nothing.
pub async fn incident_edit_save(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let person = &post.person;
    person.require(Action::UpdateIncident)?;
    let number = incident_number(&n)?;
    let incident = state.app.get_incident(&person.actor, number).await?;
    let values = post.form.clone();
    if values.get("preview").is_some() {
        return Ok(edit_view(person, incident, values, vec![], None, true).into_response());
    }
    let errors = match patch_of(&values, &incident) {
        Err(errors) => errors,
        Ok(patch) => match state.app.patch_incident(&person.actor, number, patch).await {
            Ok(done) => return Ok(see_other(&format!("/incidents/{}", done.number))),
            Err(e) => {
                let errors = form_errors(e)?;
                if let [only] = errors.as_slice()
                    && only.field == "body"
                {
                    let notice = "Nothing changed: the form holds the record as it is, so nothing was saved or journaled.";
                    return Ok(edit_view(
                        person,
                        incident,
                        values,
                        vec![],
                        Some(notice.into()),
                        true,
                    )
                    .into_response());
                }
                errors
            }
        },
    };
    Ok(invalid(edit_view(
        person, incident, values, errors, None, true,
    )))
}

/// Another incident, named in the workspace's form.
#[derive(serde::Deserialize)]
pub struct RelatedForm {
    incident: String,
}

fn related_number(raw: &str) -> Result<IncidentNumber, rampart_domain::DomainError> {
    raw.trim().to_ascii_uppercase().parse().map_err(|_| {
        rampart_domain::DomainError::field(
            "incident",
            format!(
                "`{}` is not an incident number such as INC-2026-0001",
                raw.trim()
            ),
        )
    })
}

pub async fn incident_related_link(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    super::record_form::<super::IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: RelatedForm| async move {
            let other = related_number(&input.incident)?;
            app.link_related(&actor, number, other).await
        },
    )
    .await
}

/// Another incident to merge into this one, and why.
#[derive(serde::Deserialize)]
pub struct MergeForm {
    from: String,
    reason: String,
}

/// Merges the incident the form names into this one (the workspace's
/// *Merge another incident into this one*).
pub async fn incident_merge(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    super::record_form::<super::IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, input: MergeForm| async move {
            let from = related_number(&input.from).map_err(|_| {
                rampart_domain::DomainError::field(
                    "from",
                    format!(
                        "`{}` is not an incident number such as INC-2026-0001",
                        input.from.trim()
                    ),
                )
            })?;
            let reason = rampart_domain::Text::new(input.reason.trim())
                .map_err(|m| rampart_domain::DomainError::field("reason", m))?;
            app.merge_incidents(
                &actor,
                number,
                rampart_domain::MergeRequest { from, reason },
            )
            .await
        },
    )
    .await
}

pub async fn incident_related_unlink(
    State(state): State<AppState>,
    Path((n, other)): Path<(String, String)>,
    post: Posted,
) -> Page {
    let app = state.app.clone();
    super::record_form::<super::IncidentRecord, _, _>(
        &state,
        post,
        &n,
        &[],
        &[],
        |actor, number, _: super::Nothing| async move {
            let other = related_number(&other)?;
            app.unlink_related(&actor, number, other).await
        },
    )
    .await
}

/// The confirm form again, with the class and priority its factors give;
/// nothing is confirmed.
pub async fn event_confirm_preview(
    State(state): State<AppState>,
    Path(n): Path<String>,
    post: Posted,
) -> Page {
    let number = n
        .parse()
        .map_err(|_| WebError::NotFound(format!("`{n}` is not an event number")))?;
    let person = &post.person;
    person.require(Action::ConfirmIncident)?;
    Ok(
        super::event_view(&state, person, number, post.form.clone(), vec![])
            .await?
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_needs_every_factor_and_shows_an_override() {
        let form = |s: &str| FormData::parse(s.as_bytes()).unwrap();
        let full = "severity.system_importance=important&severity.business_loss=serious&severity.social_impact=minor&effort=low";
        let p = ClassPreview::of(&form(full)).unwrap();
        assert_eq!(
            (p.class, p.overridden, p.priority),
            (SeverityClass::III, false, 4)
        );
        let o = ClassPreview::of(&form(&format!("{full}&severity_override.class=IV"))).unwrap();
        assert_eq!(
            (o.class, o.computed, o.overridden),
            (SeverityClass::IV, SeverityClass::III, true)
        );
        assert!(
            ClassPreview::of(&form("severity.system_importance=important&effort=low")).is_none()
        );
        let table: Value = serde_json::from_str(&preview_table()).unwrap();
        assert_eq!(table["classes"]["important/serious/minor"], "III");
        assert_eq!(table["priority"]["III/low"], 4);
    }
}
