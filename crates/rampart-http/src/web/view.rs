//! The pages' data and the small formatting helpers their templates call.
//! Templates live in `crates/rampart-http/templates` and are checked against
//! these structs at compile time.

use askama::Template;
use askama_web::WebTemplate;
use rampart_domain::{
    Action, Category, Effort, Event, FieldError, Incident, IncidentStatus, LossGrade,
    ResponseAction, Role, SystemImportance, Timestamp, Tlp, Vulnerability,
};
use rampart_store::{ApiToken, Credentials, User};

use super::session::{FormData, Person};

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
        }
        if may(Action::ViewVulnerabilities) {
            nav.push(("/vulnerabilities", "Vulnerabilities"));
        }
        if may(Action::ManageUsers) {
            nav.push(("/admin/users", "Users"));
            nav.push(("/admin/tokens", "API tokens"));
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

pub fn role_label(r: Role) -> String {
    match r {
        Role::Poc => "Point of contact".into(),
        Role::IsirtMember => "ISIRT member".into(),
        Role::IsirtManager => "ISIRT manager".into(),
        other => label(other.as_str()),
    }
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether a response action is past its due time and still open.
pub trait Overdue {
    fn overdue_at(&self, now: &Timestamp) -> bool;
}

impl Overdue for ResponseAction {
    fn overdue_at(&self, now: &Timestamp) -> bool {
        self.due.is_some_and(|d| d < *now) && !matches!(self.status.as_str(), "done" | "cancelled")
    }
}

/// The helpers as methods, so templates can call them on any page.
pub trait Helpers {
    fn label(&self, s: impl std::fmt::Display) -> String {
        label(s)
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
    fn categories(&self) -> &'static [Category] {
        Category::ALL
    }
    fn tlps(&self) -> &'static [Tlp] {
        Tlp::ALL
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
}

impl<T> Helpers for T {}

// ----- pages ---------------------------------------------------------------------------------

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

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
    pub public_intake: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "login_totp.html")]
pub struct TotpPage {
    pub chrome: Chrome,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub chrome: Chrome,
    pub credentials: Credentials,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "totp_setup.html")]
pub struct TotpSetupPage {
    pub chrome: Chrome,
    pub secret: String,
    pub uri: String,
    pub qr: String,
    pub must: bool,
    pub errors: Vec<FieldError>,
}

/// One line of "open incidents by ..." on the dashboard.
pub struct Tally {
    pub key: String,
    pub count: u64,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub may_incidents: bool,
    pub may_events: bool,
    pub may_triage: bool,
    pub may_report: bool,
    pub open_total: u64,
    pub by_class: Vec<Tally>,
    pub by_status: Vec<Tally>,
    pub awaiting_triage: u64,
    pub overdue: Vec<(String, ResponseAction)>,
    pub mine: Vec<Incident>,
    pub my_reports: Vec<Event>,
}

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub public: bool,
    pub values: FormData,
    pub errors: Vec<FieldError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "report_done.html")]
pub struct ReportDonePage {
    pub chrome: Chrome,
    pub number: String,
    pub anonymous: bool,
    pub public: bool,
}

pub struct TriageRow {
    pub event: Event,
    pub occurrences: usize,
    pub related: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "triage.html")]
pub struct TriagePage {
    pub chrome: Chrome,
    pub rows: Vec<TriageRow>,
    pub escalated: Vec<Event>,
}

#[derive(Template, WebTemplate)]
#[template(path = "event.html")]
pub struct EventPage {
    pub chrome: Chrome,
    pub event: Event,
    pub may_triage: bool,
    pub may_assess: bool,
    pub may_reject: bool,
    pub may_confirm: bool,
    pub may_see_incident: bool,
    pub coordinators: Vec<String>,
    pub values: FormData,
    pub errors: Vec<FieldError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "incidents.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub items: Vec<Incident>,
    pub filters: FormData,
    pub sort: String,
    /// Query strings of the first and the next page.
    pub first: String,
    pub next: Option<String>,
    pub csv: String,
    pub coordinators: Vec<String>,
}

/// A lifecycle move offered as a button.
pub struct Move {
    pub to: String,
    pub label: String,
    pub needs_resolution: bool,
    /// The move that takes the incident forward (shown as the main button).
    pub primary: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "incident.html")]
pub struct IncidentPage {
    pub chrome: Chrome,
    pub incident: Incident,
    pub events: Vec<Event>,
    pub moves: Vec<Move>,
    /// One of the moves is to close, which needs a resolution.
    pub resolution_needed: bool,
    pub may_log: bool,
    pub may_actions: bool,
    pub may_review: bool,
    pub may_restrict: bool,
    pub may_reassign: bool,
    pub people: Vec<String>,
    pub values: FormData,
    pub errors: Vec<FieldError>,
    pub now: Timestamp,
}

#[derive(Template, WebTemplate)]
#[template(path = "vulnerabilities.html")]
pub struct VulnerabilityPage {
    pub chrome: Chrome,
    pub items: Vec<Vulnerability>,
    pub filters: FormData,
    pub next: Option<String>,
    pub may_report: bool,
    pub values: FormData,
    pub errors: Vec<FieldError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub users: Vec<(User, Credentials)>,
    pub values: FormData,
    pub errors: Vec<FieldError>,
    pub notice: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub tokens: Vec<ApiToken>,
    pub users: Vec<String>,
    pub created: Option<(String, String)>,
    pub errors: Vec<FieldError>,
}
