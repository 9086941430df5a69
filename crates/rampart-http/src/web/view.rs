//! What the pages share: the frame around every page ([`Chrome`]), the
//! error page, the small formatting helpers their templates call, and the
//! row types more than one page shows. Each page's own data sits beside its
//! handler in `pages`; templates live in `crates/rampart-http/templates` and
//! are checked against those structs at compile time.

use askama::Template;
use askama_web::WebTemplate;
use rampart_app::JournalEntry;
use rampart_domain::{
    Action, CategorizationRule, Category, Effort, EvidenceItem, FieldError, IncidentStatus,
    JournalAction, LossGrade, Measure, ObservableType, Pap, Role, Rsit, RsitClass,
    SystemImportance, TargetState, Text, Timestamp, Tlp, journal::ActionKind,
};

use super::pages::PapBadge;
use super::session::Person;

/// The frame around every page: who is signed in, the navigation, the CSRF token.
pub struct Chrome {
    pub title: String,
    pub user: String,
    pub roles: String,
    pub csrf: String,
    /// (href, label, current)
    pub nav: Vec<(&'static str, &'static str, bool)>,
    /// The live-update topic of the page, if it follows changes.
    pub live: Option<String>,
    /// Unread notifications (the bell); signed-in pages only.
    pub unread: u64,
    /// The classification scale, for the names of categories and classes.
    pub scale: std::sync::Arc<rampart_domain::ClassificationScale>,
    /// The exercises running now (id, title): the banner on every page.
    pub exercises: Vec<(String, String)>,
}

impl Chrome {
    pub fn new(person: &Person, title: impl Into<String>, current: &str) -> Self {
        let mut nav = vec![("/dashboard", "Dashboard")];
        let may = |a| person.may(a);
        if may(Action::ReportEvent) {
            nav.push(("/report", "Report an event"));
        }
        if may(Action::TriageEvent) {
            nav.push(("/triage", "Triage"));
        }
        if may(Action::ViewIncidents) {
            nav.push(("/incidents", "Incidents"));
            nav.push(("/deadlines", "Deadlines"));
            nav.push(("/improvements", "Improvements"));
            nav.push(("/lessons", "Lessons"));
        }
        if may(Action::ViewVulnerabilities) || may(Action::ReportVulnerability) {
            nav.push(("/vulnerabilities", "Vulnerabilities"));
        }
        if may(Action::ViewTeams) {
            nav.push(("/teams", "Teams"));
        }
        if may(Action::ViewContacts) {
            nav.push(("/contacts", "Contacts"));
        }
        if may(Action::ViewDocuments) {
            nav.push(("/documents", "Documents"));
        }
        if may(Action::ViewPlaybooks) {
            nav.push(("/playbooks", "Playbooks"));
        }
        if may(Action::ViewExercises) {
            nav.push(("/exercises", "Exercises"));
        }
        if may(Action::ViewFigures) {
            nav.push(("/figures", "Figures"));
        }
        if may(Action::ReadJournal) {
            nav.push(("/journal", "Journal"));
        }
        if may(Action::ManageUsers) {
            nav.push(("/admin/users", "Users"));
            nav.push(("/admin/tokens", "API tokens"));
        }
        if may(Action::ManageIntake) {
            nav.push(("/admin/intake", "Machine intake"));
        }
        if may(Action::ManageJobs) {
            nav.push(("/admin/jobs", "Background jobs"));
        }
        if may(Action::ManageWebhooks) {
            nav.push(("/admin/webhooks", "Webhooks"));
        }
        if may(Action::ManageTargets) {
            nav.push(("/admin/targets", "Response targets"));
        }
        if may(Action::ManageClassification) {
            nav.push(("/classification", "Classification scale"));
        }
        if may(Action::ManageNotificationRules) {
            nav.push(("/admin/regulatory", "Notification rules"));
        }
        Self {
            title: title.into(),
            user: person.actor.name.clone(),
            roles: person
                .actor
                .roles
                .iter()
                .map(|r| role_label(*r))
                .collect::<Vec<_>>()
                .join(", "),
            csrf: person.session.csrf.clone(),
            nav: nav.into_iter().map(|(h, l)| (h, l, h == current)).collect(),
            live: None,
            unread: person.unread,
            scale: person.scale.clone(),
            exercises: person
                .exercises
                .iter()
                .map(|x| (x.id.to_string(), x.title.to_string()))
                .collect(),
        }
    }

    /// The frame of pages seen before signing in.
    pub fn anonymous(title: impl Into<String>, csrf: &str) -> Self {
        Self {
            title: title.into(),
            user: String::new(),
            roles: String::new(),
            csrf: csrf.to_owned(),
            nav: vec![],
            live: None,
            unread: 0,
            scale: std::sync::Arc::default(),
            exercises: vec![],
        }
    }

    /// The categories offered for a new classification, in the scale's order.
    pub fn categories(&self) -> Vec<&rampart_domain::CategoryDef> {
        self.scale.current().active().collect()
    }

    /// Every category any version of the scale has had: what a filter offers.
    pub fn every_category(&self) -> Vec<&rampart_domain::CategoryDef> {
        self.scale.every_category()
    }

    /// A category's name in the version in force (or the last that had it).
    pub fn category_name(&self, code: &Category) -> String {
        self.scale.category_name(&self.scale.current().key, *code)
    }

    /// A category's name in the version `key` names: an incident's own.
    pub fn category_in(&self, key: &str, code: &Category) -> String {
        self.scale.category_name(key, *code)
    }

    /// A severity class's name in the version in force: `Emergency`.
    pub fn grade_name(&self, class: impl std::fmt::Display) -> String {
        rampart_domain::SeverityClass::parse(&class.to_string())
            .map(|c| self.scale.current().grade_name(c).to_owned())
            .unwrap_or_default()
    }

    /// The number of the version an incident's `scale` names, when it is
    /// not the version in force: `1`.
    pub fn older_scale(&self, key: &str) -> Option<u32> {
        if key == self.scale.current().key {
            return None;
        }
        Some(self.scale.by_key(key).map_or(0, |v| v.number))
    }

    /// The topic the page listens to: its own, or only the bell's.
    pub fn topic(&self) -> &str {
        self.live.as_deref().unwrap_or("inbox")
    }

    /// The bell's number: `99+` past 99.
    pub fn bell(&self) -> String {
        if self.unread > 99 {
            "99+".into()
        } else {
            self.unread.to_string()
        }
    }

    pub fn live(mut self, topic: impl Into<String>) -> Self {
        self.live = Some(topic.into());
        self
    }
}

// ----- helpers the templates call ------------------------------------------------------

/// Timestamps as people read them.
pub trait Human {
    /// `2026-11-22 09:30 UTC`, or a dash when absent.
    fn human(&self) -> String;
}

impl Human for Timestamp {
    fn human(&self) -> String {
        let s = self.to_rfc3339();
        format!("{} {} UTC", &s[..10], &s[11..16])
    }
}

impl Human for Option<Timestamp> {
    fn human(&self) -> String {
        self.as_ref()
            .map(Human::human)
            .unwrap_or_else(|| "—".into())
    }
}

/// TLP markings as badges.
pub trait TlpBadge {
    fn css(&self) -> String;
    fn badge(&self) -> String;
}

impl TlpBadge for Tlp {
    fn css(&self) -> String {
        format!("tlp-{}", self.as_str().to_lowercase().replace('+', "-"))
    }

    fn badge(&self) -> String {
        format!("TLP:{}", self.as_str())
    }
}

/// Errors of a refused form, by field.
pub trait FieldErrors {
    fn for_field(&self, field: &str) -> Option<&str>;
}

impl FieldErrors for Vec<FieldError> {
    fn for_field(&self, field: &str) -> Option<&str> {
        self.iter()
            .find(|e| {
                e.field == field
                    || e.field.starts_with(&format!("{field}."))
                    || e.field.starts_with(&format!("{field}["))
            })
            .map(|e| e.message.as_str())
    }
}

pub fn class_label(c: impl std::fmt::Display) -> String {
    format!("Class {c}")
}

pub fn class_css(c: impl std::fmt::Display) -> String {
    format!("class-{}", c.to_string().to_lowercase())
}

/// `handled_locally` -> `Handled locally`.
pub fn label(s: impl std::fmt::Display) -> String {
    let s = s.to_string().replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A field's path as people read it: `observables[1].type` is
/// `Observables, row 2: type`; `severity.system_importance` is
/// `Severity: system importance`.
pub fn field_label(path: &str) -> String {
    let mut out = String::new();
    for (i, segment) in path.split('.').enumerate() {
        let (name, rows) = match segment.find('[') {
            Some(at) => segment.split_at(at),
            None => (segment, ""),
        };
        if !name.is_empty() {
            if i == 0 {
                out.push_str(&label(name));
            } else {
                out.push_str(": ");
                out.push_str(&name.replace('_', " "));
            }
        }
        for row in rows
            .split(['[', ']'])
            .filter_map(|r| r.parse::<usize>().ok())
        {
            out.push_str(&format!(", row {}", row + 1));
        }
    }
    out
}

pub fn role_label(r: Role) -> String {
    r.title().into()
}

/// Sizes as people read them: `512 bytes`, `1.5 KiB`, `3.2 MiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return if n == 1 {
            "1 byte".into()
        } else {
            format!("{n} bytes")
        };
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The first twelve hex digits of a SHA-256, enough to tell items apart.
pub fn short_hash(h: &str) -> String {
    match h.get(..12) {
        Some(head) if h.len() > 12 => format!("{head}…"),
        _ => h.to_owned(),
    }
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A length of time as people say it: `45 min`, `2 h 10 min`, `3 d 4 h`.
pub fn span(seconds: i64) -> String {
    let minutes = seconds.unsigned_abs() / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours, mins) {
        (0, 0, 0) => "under a minute".to_owned(),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// A target's length in minutes, as people say it.
pub fn target_span(minutes: u32) -> String {
    span(i64::from(minutes) * 60)
}

/// Where a record stands against one target, in words: time left while it
/// runs, how late it is, or how long it took.
pub fn standing(m: &Measure) -> String {
    match m.state {
        TargetState::OnTrack | TargetState::DueSoon => format!("{} left", span(m.left_seconds)),
        TargetState::Overdue => format!("{} overdue", span(m.left_seconds)),
        TargetState::Met => format!("took {}", span(m.used_seconds)),
        TargetState::Missed => format!(
            "took {}, {} late",
            span(m.used_seconds),
            span(m.left_seconds)
        ),
    }
}

/// The helpers as methods, so templates can call them on any page.
pub trait Helpers {
    fn label(&self, s: impl std::fmt::Display) -> String {
        label(s)
    }
    fn field_label(&self, path: impl std::fmt::Display) -> String {
        field_label(&path.to_string())
    }
    fn class_css(&self, c: impl std::fmt::Display) -> String {
        class_css(c)
    }
    fn class_label(&self, c: impl std::fmt::Display) -> String {
        class_label(c)
    }
    fn role_label(&self, r: impl std::borrow::Borrow<Role>) -> String {
        role_label(*r.borrow())
    }
    fn tlps(&self) -> &'static [Tlp] {
        Tlp::ALL
    }
    fn paps(&self) -> &'static [Pap] {
        Pap::ALL
    }
    fn pap_css(&self, p: impl std::borrow::Borrow<Pap>) -> String {
        p.borrow().css()
    }
    fn pap_badge(&self, p: impl std::borrow::Borrow<Pap>) -> String {
        p.borrow().badge()
    }
    fn pap_title(&self, p: impl std::borrow::Borrow<Pap>) -> String {
        PapBadge::title(p.borrow())
    }
    fn importances(&self) -> &'static [SystemImportance] {
        SystemImportance::ALL
    }
    fn losses(&self) -> &'static [LossGrade] {
        LossGrade::ALL
    }
    fn efforts(&self) -> &'static [Effort] {
        Effort::ALL
    }
    fn roles(&self) -> &'static [Role] {
        Role::ALL
    }
    fn statuses(&self) -> &'static [IncidentStatus] {
        IncidentStatus::ALL
    }
    fn size(&self, n: impl std::borrow::Borrow<u64>) -> String {
        human_size(*n.borrow())
    }
    fn short_hash(&self, h: &str) -> String {
        short_hash(h)
    }
    fn rsit_classes(&self) -> &'static [RsitClass] {
        RsitClass::ALL
    }
    fn observable_types(&self) -> &'static [ObservableType] {
        ObservableType::ALL
    }
    /// The value of an RSIT choice in a select: `class/type`.
    fn rsit_value(&self, class: impl std::fmt::Display, kind: &str) -> String {
        format!("{class}/{kind}")
    }
    /// `intrusion-attempts / brute-force`.
    fn rsit_label(&self, rsit: &Rsit) -> String {
        rsit_label(rsit)
    }
    fn standing(&self, m: &Measure) -> String {
        standing(m)
    }
    fn target_span(&self, minutes: impl std::borrow::Borrow<u32>) -> String {
        target_span(*minutes.borrow())
    }
}

impl<T> Helpers for T {}

// ----- the error page, and what several pages show -----------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub heading: String,
    pub detail: String,
}

pub fn error_page(status: u16, heading: &str, detail: &str) -> ErrorPage {
    ErrorPage {
        chrome: Chrome::anonymous(heading, ""),
        status,
        heading: heading.to_owned(),
        detail: detail.to_owned(),
    }
}

pub fn rsit_label(rsit: &Rsit) -> String {
    format!("{} / {}", rsit.class, rsit.kind)
}

/// One categorization rule in words.
pub struct RuleRow {
    pub name: String,
    /// Every condition, in words; empty for a catch-all.
    pub conditions: Vec<String>,
    pub category: Option<Category>,
    /// The category is the RSIT type's, not named by the rule.
    pub category_from_rsit: bool,
    pub rsit: Option<Rsit>,
}

impl RuleRow {
    pub fn of(rule: &CategorizationRule) -> Self {
        let mut conditions = Vec::new();
        if let Some(source) = &rule.source {
            conditions.push(format!("sensor is “{}”", source.trim()));
        }
        for (field, value) in &rule.fields {
            conditions.push(format!("{field} is “{value}”"));
        }
        if !rule.observable_types.is_empty() {
            let kinds: Vec<&str> = rule.observable_types.iter().map(|t| t.as_str()).collect();
            conditions.push(format!("carries observables: {}", kinds.join(", ")));
        }
        if let Some(text) = &rule.text {
            conditions.push(format!("title or description contains “{}”", text.trim()));
        }
        Self {
            name: rule.name.to_string(),
            conditions,
            category: rule
                .category
                .or_else(|| rule.rsit.as_ref().map(Rsit::category)),
            category_from_rsit: rule.category.is_none(),
            rsit: rule.rsit.clone(),
        }
    }
}

/// Where the evidence section of a page (an incident's workspace, an
/// event's page) sends its forms, and the markings items default to.
pub struct EvidenceSection {
    /// `/incidents/INC-…` or `/events/EVT-…`.
    pub path: String,
    /// `incident` or `event`.
    pub word: &'static str,
    pub tlp: rampart_domain::Tlp,
    pub pap: rampart_domain::Pap,
    /// Whether the signed bundle is offered (incidents only).
    pub bundle: bool,
}

/// What an evidence item's state calls for attention to.
pub trait EvidenceState {
    /// The last re-hash found content that no longer matches.
    fn alarm(&self) -> bool;
}

impl EvidenceState for EvidenceItem {
    fn alarm(&self) -> bool {
        self.last_check.as_ref().is_some_and(|c| !c.intact)
    }
}

/// One detail of a custody entry, e.g. `Reason: handed to police`.
pub struct Detail {
    pub label: &'static str,
    pub value: String,
    /// Shown as code (hashes, file names).
    pub code: bool,
}

/// One entry of an item's chain of custody, in plain words.
pub struct CustodyRow {
    pub seq: u64,
    /// RFC 3339, for `<time datetime>`.
    pub at: String,
    pub when: String,
    pub actor: String,
    pub what: String,
    pub details: Vec<Detail>,
    /// An `evidence.integrity_failed` entry.
    pub alarm: bool,
}

/// The custody journal of an item as rows for people.
pub fn custody_rows(entries: &[JournalEntry]) -> Vec<CustodyRow> {
    entries.iter().map(custody_row).collect()
}

fn custody_row(e: &JournalEntry) -> CustodyRow {
    let action = JournalAction::parse_text(&e.action, &e.payload).ok();
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let text = |t: &Option<Text>| t.as_ref().and_then(|t| some(t.as_str()));
    let mut details = Vec::new();
    let mut add = |label: &'static str, value: Option<String>, code: bool| {
        if let Some(value) = value {
            details.push(Detail { label, value, code });
        }
    };
    let what = match &action {
        Some(JournalAction::EvidenceCollected(c)) => {
            add("Found at", some(c.found_at.as_str()), false);
            add("Collected by", some(c.collected_by.as_str()), false);
            add("Collected", Some(c.collected_at.human()), false);
            add("Tool", text(&c.tool), false);
            add("Why", some(c.reason.as_str()), false);
            match &c.content {
                Some(content) => {
                    add("File", content.filename.as_deref().and_then(some), true);
                    add("Size", Some(human_size(content.size)), false);
                    add("SHA-256", some(&content.sha256), true);
                }
                None => add("Kind", Some("physical item".into()), false),
            }
            if let (Some(event), None) = (c.event, c.incident) {
                add("Secured for", Some(format!("{event}, in triage")), true);
            }
            add("Custodian", some(&c.custodian), false);
            add("Kept at", text(&c.location), false);
            add("Seal", text(&c.seal), true);
            "Collected and recorded"
        }
        Some(JournalAction::EvidenceDownloaded(d)) => {
            add(
                "Verified SHA-256",
                d.verified_sha256.as_deref().and_then(some),
                true,
            );
            "Downloaded (content verified first)"
        }
        Some(JournalAction::EvidenceTransferred(t)) => {
            let from = some(&t.from).unwrap_or_else(|| "?".into());
            let to = some(&t.to).unwrap_or_else(|| "?".into());
            add("From → to", Some(format!("{from} → {to}")), false);
            add("Reason", some(t.reason.as_str()), false);
            add("Kept at", text(&t.location), false);
            add("New seal", text(&t.seal), true);
            "Custody transferred"
        }
        Some(JournalAction::EvidenceVerified(v)) => {
            add(
                "Verified SHA-256",
                v.verified_sha256.as_deref().and_then(some),
                true,
            );
            "Verified: content intact"
        }
        Some(JournalAction::EvidenceIntegrityFailed(f)) => {
            add("During", some(&f.during), false);
            add("Problem", f.problem.as_deref().and_then(some), false);
            add("Expected SHA-256", some(&f.expected_sha256), true);
            add(
                "Found SHA-256",
                Some(some(&f.found_sha256).unwrap_or_else(|| "no content".into())),
                true,
            );
            add("Expected size", f.expected_size.map(human_size), false);
            add("Found size", f.found_size.map(human_size), false);
            "Integrity alarm: content does not match"
        }
        Some(JournalAction::EvidenceHoldPlaced(h)) => {
            add("Reason", some(h.reason.as_str()), false);
            "Legal hold placed"
        }
        Some(JournalAction::EvidenceHoldReleased(h)) => {
            add("Reason", some(h.reason.as_str()), false);
            let placed = &h.placed;
            if let (Some(by), Some(reason)) = (some(&placed.by), some(placed.reason.as_str())) {
                add("Hold was", Some(format!("placed by {by}: {reason}")), false);
            }
            "Legal hold released"
        }
        Some(JournalAction::EvidenceDisposed(d)) => {
            add("Reason", some(d.reason.as_str()), false);
            add("SHA-256", some(&d.sha256), true);
            "Content disposed of"
        }
        Some(JournalAction::EvidenceAttached(a)) => {
            add("Event", Some(a.event.to_string()), true);
            add("Incident", Some(a.incident.to_string()), true);
            "Followed its event into the incident"
        }
        Some(JournalAction::EvidenceExported(x)) => {
            add("Bundle", some(&x.bundle), true);
            add(
                "Verified SHA-256",
                x.verified_sha256.as_deref().and_then(some),
                true,
            );
            "Exported in a signed bundle"
        }
        _ => "",
    };
    let what = if what.is_empty() {
        label(e.action.strip_prefix("evidence.").unwrap_or(&e.action))
    } else {
        what.to_owned()
    };
    CustodyRow {
        seq: e.seq,
        when: Timestamp::parse(&e.at)
            .map(|t| t.human())
            .unwrap_or_else(|_| e.at.clone()),
        at: e.at.clone(),
        actor: e.actor.clone(),
        what,
        details,
        // Named so, the entry is an alarm even when its payload cannot be read.
        alarm: ActionKind::from_name(&e.action) == Some(ActionKind::EvidenceIntegrityFailed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_read_as_people_expect() {
        assert_eq!(field_label("title"), "Title");
        assert_eq!(
            field_label("observables[1].type"),
            "Observables, row 2: type"
        );
        assert_eq!(
            field_label("severity.system_importance"),
            "Severity: system importance"
        );
        assert_eq!(field_label("events[0]"), "Events, row 1");
        assert_eq!(field_label("reporter.name"), "Reporter: name");
        assert_eq!(field_label(""), "");
    }

    #[test]
    fn sizes_and_hashes_read_as_people_expect() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(1023), "1023 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_size(4 * 1024 * 1024 * 1024), "4.0 GiB");
        assert_eq!(short_hash(&"ab".repeat(32)), "abababababab…");
        assert_eq!(short_hash("abc"), "abc");
    }

    #[test]
    fn custody_entries_read_in_plain_words() {
        let entry = |action: &str, payload: &str| JournalEntry {
            seq: 7,
            at: "2026-11-22T09:30:00.000000Z".into(),
            actor: "ian".into(),
            action: action.into(),
            entity: "EVD-2026-0001".into(),
            payload: payload.into(),
            hash: String::new(),
        };
        let rows = custody_rows(&[
            entry(
                "evidence.transferred",
                r#"{"from":"ian","to":"DC Smith","reason":"police","location":"seal 42"}"#,
            ),
            entry(
                "evidence.integrity_failed",
                r#"{"during":"download","expected_sha256":"aa","found_sha256":"","expected_size":3,"found_size":null,"problem":"the stored content is missing"}"#,
            ),
        ]);
        assert_eq!(rows[0].what, "Custody transferred");
        assert_eq!(rows[0].when, "2026-11-22 09:30 UTC");
        let details: Vec<(&str, &str)> = rows[0]
            .details
            .iter()
            .map(|d| (d.label, d.value.as_str()))
            .collect();
        assert_eq!(
            details,
            [
                ("From → to", "ian → DC Smith"),
                ("Reason", "police"),
                ("Kept at", "seal 42")
            ]
        );
        assert!(rows[1].alarm && !rows[0].alarm);
        assert!(
            rows[1]
                .details
                .iter()
                .any(|d| d.label == "Found SHA-256" && d.value == "no content")
        );
    }
}
