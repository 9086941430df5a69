//! The web UI through a browser's eyes: real sign-in forms, cookies and
//! CSRF tokens, the role table on every page and form, need-to-know,
//! anonymous reporters, sessions, second factors, public intake and refused
//! form input.

use std::collections::BTreeMap;
use std::sync::Mutex;

use rampart_domain::{Action, Actor, Role};
use rampart_store::{EventQuery, JournalQuery};
use reqwest::header::{COOKIE, HeaderName, LOCATION, ORIGIN, REFERER, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, escalated_event, fields, incident, reported_event};

crate::on_both_backends!(
    pages_and_forms_follow_the_role_table,
    forms_need_the_token_and_this_origin,
    failed_sign_ins_lock_the_name_alike_for_everyone,
    restricted_incidents_do_not_exist_for_others,
    anonymous_reporters_stay_hidden_on_the_web,
    sessions_end_and_rotate,
    second_factor_enrolment_and_sign_in,
    public_intake_takes_reports_and_limits_them,
    refused_form_input_names_the_field_and_changes_nothing,
    triage_shows_repeats_relations_and_proposals_of_alerts,
    the_assessment_form_confirms_or_changes_the_proposal,
    admins_keep_the_rules_and_read_the_dead_letters,
);

/// Form fields as a browser sends them.
type Form<'a> = Vec<(&'a str, &'a str)>;
/// Extra request headers.
type Headers<'a> = Vec<(HeaderName, &'a str)>;

const INVALID: &str = "Sign-in failed: the name, password or code is not right.";
const LOCKED: &str = "Too many failed sign-ins.";

// ----- a browser -------------------------------------------------------------------------

/// A response as a browser sees it.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) body: String,
}

impl Page {
    /// The page's CSRF token (every form carries it).
    pub(crate) fn csrf(&self) -> String {
        hidden(&self.body, "csrf")
            .unwrap_or_else(|| panic!("no csrf field in a {} page: {}", self.status, self.body))
    }

    /// The text of the page's error alert, if any.
    pub(crate) fn alert(&self) -> Option<&str> {
        between(
            &self.body,
            r#"<div class="alert alert-error" role="alert">"#,
            "</div>",
        )
    }

    pub(crate) fn heading(&self) -> Option<&str> {
        between(&self.body, "<h1>", "</h1>")
    }

    pub(crate) fn title(&self) -> Option<&str> {
        between(&self.body, "<title>", " · Rampart</title>")
    }

    pub(crate) fn assert_redirect(&self, to: &str) {
        assert_eq!(
            (self.status, self.location.as_deref()),
            (StatusCode::SEE_OTHER, Some(to)),
            "{}",
            self.body
        );
    }

    pub(crate) fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{:?} {}", self.location, self.body);
    }
}

pub(crate) fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The value of the first hidden input named `name`.
pub(crate) fn hidden(body: &str, name: &str) -> Option<String> {
    between(body, &format!(r#"name="{name}" value=""#), "\"").map(str::to_owned)
}

/// A browser of one person: its own cookie jar, no redirects followed.
pub(crate) struct WebClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    jar: Mutex<BTreeMap<String, String>>,
}

impl WebClient {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self::at(format!("http://{}", app.addr))
    }

    /// A browser for the server at `base` (`http://host:port`).
    pub(crate) fn at(base: String) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base,
            jar: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub(crate) fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    pub(crate) fn remove_cookie(&self, name: &str) {
        self.jar.lock().unwrap().remove(name);
    }

    pub(crate) fn session(&self) -> String {
        self.cookie("rampart_session").expect("a session cookie")
    }

    pub(crate) fn origin(&self) -> String {
        self.base.clone()
    }

    pub(crate) async fn send(&self, mut req: reqwest::RequestBuilder) -> Page {
        let cookies = self
            .jar
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if !cookies.is_empty() {
            req = req.header(COOKIE, cookies);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let (pair, attributes) = c.split_once(';').unwrap_or((c.as_str(), ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.remove_cookie(name.trim());
            } else {
                self.set_cookie(name.trim(), value.trim());
            }
        }
        let body = resp.text().await.unwrap();
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// The status of a GET without reading the body (event streams never end).
    pub(crate) async fn get_status(&self, path: &str) -> StatusCode {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(id) = self.cookie("rampart_session") {
            req = req.header(COOKIE, format!("rampart_session={id}"));
        }
        req.send().await.unwrap().status()
    }

    /// Posts exactly these fields, with extra headers.
    pub(crate) async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(HeaderName, &str)],
    ) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        for (name, value) in headers {
            req = req.header(name.clone(), *value);
        }
        self.send(req).await
    }

    /// Posts exactly these fields.
    pub(crate) async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_with(path, form, &[]).await
    }

    /// The session's CSRF token, read from the account page.
    pub(crate) async fn token(&self) -> String {
        let page = self.get("/account").await;
        page.assert_status(StatusCode::OK);
        page.csrf()
    }

    /// Posts a form as the page would: with the session's token and this site's origin.
    pub(crate) async fn submit(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let csrf = self.token().await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(form);
        let origin = self.origin();
        self.post_with(path, &all, &[(ORIGIN, origin.as_str())])
            .await
    }

    /// Fills in and sends the sign-in form.
    pub(crate) async fn sign_in(&self, name: &str, password: &str) -> Page {
        let login = self.get("/login").await;
        login.assert_status(StatusCode::OK);
        let csrf = login.csrf();
        let next = hidden(&login.body, "next").unwrap();
        self.post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("password", password),
                ("next", &next),
            ],
        )
        .await
    }
}

/// A user signed in through the real sign-in form; returns their API token and browser.
pub(crate) async fn person(app: &TestApp, name: &str, roles: &[Role]) -> (String, WebClient) {
    let token = app.account(name, roles).await;
    let web = WebClient::new(app);
    web.sign_in(name, PASSWORD)
        .await
        .assert_redirect("/dashboard");
    (token, web)
}

fn allowed(role: Role, action: Action) -> bool {
    action.allowed_roles().contains(&role)
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn unix_now(app: &TestApp) -> u64 {
    u64::try_from(app.service.clock().now().as_offset().unix_timestamp()).unwrap()
}

// ----- records through the API -----------------------------------------------------------

async fn status_of(app: &TestApp, path: &str) -> String {
    let (status, record) = app.get(path, &app.admin).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    record["status"].as_str().unwrap().to_owned()
}

async fn event_titles(app: &TestApp) -> Vec<String> {
    app.service
        .list_events(
            &Actor::system(),
            EventQuery {
                limit: 500,
                ..EventQuery::default()
            },
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.title.as_str().to_owned())
        .collect()
}

async fn user_names(app: &TestApp) -> Vec<String> {
    app.service
        .list_users(&Actor::system())
        .await
        .unwrap()
        .into_iter()
        .map(|(u, _)| u.name)
        .collect()
}

async fn journal(app: &TestApp, entity: &str) -> Vec<(String, Value)> {
    app.service
        .journal(
            &Actor::system(),
            JournalQuery {
                after: 0,
                limit: 1000,
                entity: Some(entity.to_owned()),
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.entry.action,
                serde_json::from_str(&e.entry.payload).unwrap(),
            )
        })
        .collect()
}

// ----- 1. the role table -----------------------------------------------------------------

/// Who may open a page.
enum Need {
    Anyone,
    May(Action),
    /// Either action is enough.
    MayEither(Action, Action),
    /// An event someone else reported: everyone who may view events, and a
    /// 404 for those who see only their own.
    OthersEvent,
}

async fn pages_and_forms_follow_the_role_table(app: TestApp) {
    let poc = app.user("api-poc", &[Role::Poc]).await;
    let member = app.user("api-member", &[Role::IsirtMember]).await;
    let reported = reported_event(&app, &poc, "USB stick found in the car park").await;
    let escalated = escalated_event(&app, &poc, "Beaconing to a rare domain").await;
    let inc = incident(
        &app,
        &poc,
        &member,
        "api-member",
        "Ransomware on a file server",
    )
    .await;

    let mut people = Vec::new();
    for &role in Role::ALL {
        let name = format!("{}-user", role.as_str().replace('_', "-"));
        let (_, web) = person(&app, &name, &[role]).await;
        people.push((role, name, web));
    }

    let pages: Vec<(String, Need, String)> = vec![
        ("/dashboard".into(), Need::Anyone, "Dashboard".into()),
        ("/account".into(), Need::Anyone, "Your account".into()),
        (
            "/report".into(),
            Need::May(Action::ReportEvent),
            "Report a security event".into(),
        ),
        (
            "/triage".into(),
            Need::May(Action::TriageEvent),
            "Triage".into(),
        ),
        (
            "/incidents".into(),
            Need::May(Action::ViewIncidents),
            "Incidents".into(),
        ),
        (
            "/incidents.csv".into(),
            Need::May(Action::ViewIncidents),
            String::new(),
        ),
        (
            format!("/incidents/{inc}"),
            Need::May(Action::ViewIncidents),
            inc.clone(),
        ),
        (
            "/vulnerabilities".into(),
            // Reporters see their own reports there, and the form.
            Need::MayEither(Action::ViewVulnerabilities, Action::ReportVulnerability),
            "Vulnerabilities".into(),
        ),
        (
            "/journal".into(),
            Need::May(Action::ReadJournal),
            "Journal".into(),
        ),
        (
            "/admin/users".into(),
            Need::May(Action::ManageUsers),
            "Users".into(),
        ),
        (
            "/admin/tokens".into(),
            Need::May(Action::ManageUsers),
            "API tokens".into(),
        ),
        (
            "/admin/intake".into(),
            Need::May(Action::ManageIntake),
            "Machine intake".into(),
        ),
        (
            "/admin/jobs".into(),
            Need::May(Action::ManageJobs),
            "Background jobs".into(),
        ),
        (
            format!("/events/{reported}"),
            Need::OthersEvent,
            reported.clone(),
        ),
    ];
    for (role, name, web) in &people {
        for (path, need, title) in &pages {
            let expected = match need {
                Need::Anyone => StatusCode::OK,
                Need::May(action) if allowed(*role, *action) => StatusCode::OK,
                Need::May(_) => StatusCode::FORBIDDEN,
                Need::MayEither(a, b) if allowed(*role, *a) || allowed(*role, *b) => StatusCode::OK,
                Need::MayEither(..) => StatusCode::FORBIDDEN,
                Need::OthersEvent if allowed(*role, Action::ViewEvents) => StatusCode::OK,
                // Someone who reads only their own reports is told it does not exist.
                Need::OthersEvent if allowed(*role, Action::ViewOwnEvents) => StatusCode::NOT_FOUND,
                Need::OthersEvent => StatusCode::FORBIDDEN,
            };
            let page = web.get(path).await;
            assert_eq!(page.status, expected, "{name} GET {path}: {}", page.body);
            match page.status {
                StatusCode::OK if path.ends_with(".csv") => assert!(
                    page.body
                        .starts_with("number,title,status,category,class,priority"),
                    "{}",
                    page.body
                ),
                StatusCode::OK => {
                    assert_eq!(page.title(), Some(title.as_str()), "{name} GET {path}");
                }
                StatusCode::FORBIDDEN => {
                    assert_eq!(page.heading(), Some("Not allowed"), "{name} GET {path}");
                }
                _ => assert_eq!(page.heading(), Some("Not found"), "{name} GET {path}"),
            }
        }
    }

    // Every form the role table refuses is a 403 that changes nothing.
    let forms: Vec<(String, Form, Action)> = vec![
        (
            "/report".into(),
            vec![
                ("title", "forbidden report"),
                ("description", "should not exist"),
            ],
            Action::ReportEvent,
        ),
        (
            "/vulnerabilities".into(),
            vec![
                ("title", "forbidden vulnerability"),
                ("description", "should not exist"),
            ],
            Action::ReportVulnerability,
        ),
        (
            "/admin/users".into(),
            vec![
                ("name", "newcomer"),
                ("password", PASSWORD),
                ("roles[]", "reporter"),
            ],
            Action::ManageUsers,
        ),
        (
            "/admin/users/api-poc".into(),
            vec![("op", "disable")],
            Action::ManageUsers,
        ),
        (
            "/admin/tokens".into(),
            vec![("user", "api-poc")],
            Action::ManageUsers,
        ),
        (
            "/admin/intake/rules".into(),
            vec![
                ("version", "0"),
                ("rules", r#"[{"name": "forbidden", "category": "malware"}]"#),
            ],
            Action::ManageIntake,
        ),
        (
            "/admin/intake/rules/add".into(),
            vec![
                ("version", "0"),
                ("name", "forbidden"),
                ("category", "malware"),
            ],
            Action::ManageIntake,
        ),
        (
            "/admin/intake/rules/0".into(),
            vec![("version", "0"), ("op", "remove")],
            Action::ManageIntake,
        ),
        ("/admin/jobs/1/retry".into(), vec![], Action::ManageJobs),
        (
            format!("/events/{reported}/triage"),
            vec![],
            Action::TriageEvent,
        ),
        (
            format!("/events/{reported}/assess"),
            vec![("decision", "false_alarm"), ("notes", "nothing there")],
            Action::AssessEvent,
        ),
        (
            format!("/events/{escalated}/reject"),
            vec![("reason", "not ours")],
            Action::RejectEvent,
        ),
        (
            format!("/events/{escalated}/confirm"),
            vec![
                ("events[]", escalated.as_str()),
                ("title", "forbidden incident"),
                ("category", "malware"),
                ("severity.system_importance", "important"),
                ("severity.business_loss", "minor"),
                ("severity.social_impact", "minor"),
                ("effort", "low"),
                ("coordinator", "api-member"),
                ("tlp", "AMBER"),
            ],
            Action::ConfirmIncident,
        ),
        (
            format!("/incidents/{inc}/transition"),
            vec![("to", "responding"), ("reason", "go")],
            Action::TransitionIncident,
        ),
        (
            format!("/incidents/{inc}/log"),
            vec![("kind", "note"), ("action", "looked at it")],
            Action::WriteLog,
        ),
        (
            format!("/incidents/{inc}/actions"),
            vec![("what", "reimage"), ("owner", "ops")],
            Action::ManageActions,
        ),
        (
            format!("/incidents/{inc}/restriction"),
            vec![("users[]", "api-member"), ("mode", "restrict")],
            Action::RestrictIncident,
        ),
    ];
    let mut refused = 0;
    for (role, name, web) in &people {
        for (path, form, action) in &forms {
            if allowed(*role, *action) {
                continue;
            }
            let before = app.journal_len().await;
            let page = web.submit(path, form).await;
            assert_eq!(
                page.status,
                StatusCode::FORBIDDEN,
                "{name} POST {path}: {}",
                page.body
            );
            assert_eq!(page.heading(), Some("Not allowed"), "{name} POST {path}");
            assert_eq!(
                app.journal_len().await,
                before,
                "{name} POST {path} changed something"
            );
            refused += 1;
        }
    }
    assert!(refused >= 30, "only {refused} refusals were tried");
    assert!(
        !event_titles(&app)
            .await
            .contains(&"forbidden report".to_owned())
    );
    assert!(!user_names(&app).await.contains(&"newcomer".to_owned()));
    let (_, rules) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(rules, json!({"version": 0, "rules": []}));
    assert_eq!(
        status_of(&app, &format!("/api/v1/events/{reported}")).await,
        "reported"
    );
    assert_eq!(
        status_of(&app, &format!("/api/v1/events/{escalated}")).await,
        "escalated"
    );
    assert_eq!(
        status_of(&app, &format!("/api/v1/incidents/{inc}")).await,
        "confirmed"
    );
    let (_, list) = app.get("/api/v1/incidents", &app.admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (poc_user, _) = app
        .service
        .list_users(&Actor::system())
        .await
        .unwrap()
        .into_iter()
        .find(|(u, _)| u.name == "api-poc")
        .unwrap();
    assert!(!poc_user.disabled);

    // The same forms go through for the roles allowed to use them.
    for (role, name, web) in &people {
        let title = format!("report by {name}");
        let page = web
            .submit(
                "/report",
                &[("title", &title), ("description", "seen it myself")],
            )
            .await;
        if allowed(*role, Action::ReportEvent) {
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{name}: {}", page.body);
            let done = page.location.unwrap();
            assert!(done.starts_with("/report/EVT-"), "{done}");
            let receipt = web.get(&done).await;
            receipt.assert_status(StatusCode::OK);
            assert!(receipt.body.contains(&done["/report/".len()..]));
            assert!(event_titles(&app).await.contains(&title));
        } else {
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{name}");
        }
    }
    let admin = &people.iter().find(|(r, _, _)| *r == Role::Admin).unwrap().2;
    let added = admin
        .submit(
            "/admin/users",
            &[
                ("name", "newcomer"),
                ("password", PASSWORD),
                ("roles[]", "reporter"),
            ],
        )
        .await;
    added.assert_status(StatusCode::OK);
    assert!(added.body.contains("User newcomer was added."));
    WebClient::new(&app)
        .sign_in("newcomer", PASSWORD)
        .await
        .assert_redirect("/dashboard");
}

// ----- 2. CSRF ---------------------------------------------------------------------------

async fn forms_need_the_token_and_this_origin(app: TestApp) {
    let (_, rita) = person(&app, "rita", &[Role::Reporter]).await;
    let (_, other) = person(&app, "otto", &[Role::Reporter]).await;
    let csrf = rita.token().await;
    let foreign = other.token().await;
    assert_ne!(csrf, foreign, "each session has its own token");
    let own = rita.origin();
    fn report(token: Option<&str>) -> Vec<(&'static str, &str)> {
        let mut form = vec![
            ("title", "Strange e-mail"),
            ("description", "asks for my PIN"),
        ];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        form
    }

    let before = app.journal_len().await;
    let cases: Vec<(&str, Form, Headers)> = vec![
        ("no token", report(None), vec![]),
        ("a wrong token", report(Some("not-the-token")), vec![]),
        ("another session's token", report(Some(&foreign)), vec![]),
        (
            "another site's origin",
            report(Some(&csrf)),
            vec![(ORIGIN, "http://evil.example")],
        ),
        (
            "another site's referer",
            report(Some(&csrf)),
            vec![(REFERER, "http://evil.example/form")],
        ),
        (
            "this host on another port",
            report(Some(&csrf)),
            vec![(ORIGIN, "http://127.0.0.1:1")],
        ),
    ];
    for (what, form, headers) in &cases {
        let page = rita.post_with("/report", form, headers).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{what}: {}", page.body);
        assert_eq!(page.heading(), Some("Form refused"), "{what}");
        assert_eq!(page.title(), Some("Form refused"), "{what}");
    }
    assert_eq!(
        app.journal_len().await,
        before,
        "a refused form changed something"
    );
    assert!(event_titles(&app).await.is_empty());

    // The right token from this site goes through, with or without the Origin header.
    let page = rita
        .post_with("/report", &report(Some(&csrf)), &[(ORIGIN, own.as_str())])
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    assert!(page.location.unwrap().starts_with("/report/EVT-"));
    let referer = format!("{own}/report");
    let page = rita
        .post_with(
            "/report",
            &report(Some(&csrf)),
            &[(REFERER, referer.as_str())],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let page = rita.post_form("/report", &report(Some(&csrf))).await;
    page.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(event_titles(&app).await.len(), 3);

    // Signing out is a form too.
    let page = rita.post_form("/logout", &[("csrf", "wrong")]).await;
    page.assert_status(StatusCode::FORBIDDEN);
    rita.get("/dashboard").await.assert_status(StatusCode::OK);

    // The sign-in form: its token must match the sign-in cookie.
    let fresh = WebClient::new(&app);
    let login = fresh.get("/login").await;
    login.assert_status(StatusCode::OK);
    let token = login.csrf();
    assert_eq!(
        fresh.cookie("rampart_login").as_deref(),
        Some(token.as_str()),
        "the form's token is the cookie's"
    );
    let form = [
        ("csrf", token.as_str()),
        ("name", "rita"),
        ("password", PASSWORD),
        ("next", "/dashboard"),
    ];

    let no_cookie = WebClient::new(&app);
    let page = no_cookie.post_form("/login", &form).await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(page.heading(), Some("Form refused"));
    assert!(no_cookie.cookie("rampart_session").is_none());

    let other_cookie = WebClient::new(&app);
    other_cookie.get("/login").await;
    let page = other_cookie.post_form("/login", &form).await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert!(other_cookie.cookie("rampart_session").is_none());

    let page = fresh
        .post_with("/login", &form, &[(ORIGIN, "http://evil.example")])
        .await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert!(fresh.cookie("rampart_session").is_none());

    let page = fresh
        .post_with("/login", &form, &[(ORIGIN, own.as_str())])
        .await;
    page.assert_redirect("/dashboard");
    assert!(fresh.cookie("rampart_session").is_some());
    assert!(
        fresh.cookie("rampart_login").is_none(),
        "the sign-in cookie is removed once signed in"
    );
}

// ----- 3. throttling ---------------------------------------------------------------------

async fn failed_sign_ins_lock_the_name_alike_for_everyone(app: TestApp) {
    app.account("alice", &[Role::Reporter]).await;
    app.account("carol", &[Role::Reporter]).await;

    let mut seen: Vec<Vec<(StatusCode, String)>> = Vec::new();
    for name in ["alice", "ghost"] {
        let web = WebClient::new(&app);
        let mut steps = Vec::new();
        for i in 0..5 {
            let page = web.sign_in(name, &format!("wrong password {i}")).await;
            steps.push((page.status, page.alert().unwrap_or_default().to_owned()));
        }
        let page = web.sign_in(name, PASSWORD).await;
        steps.push((page.status, page.alert().unwrap_or_default().to_owned()));
        assert!(web.cookie("rampart_session").is_none(), "{name}");
        assert_eq!(
            hidden(&page.body, "next").as_deref(),
            Some("/dashboard"),
            "the form is shown again"
        );
        seen.push(steps);
    }
    for steps in &seen {
        for (i, (status, alert)) in steps.iter().enumerate() {
            assert_eq!(*status, StatusCode::UNAUTHORIZED, "step {i}: {steps:?}");
            if i < 5 {
                assert_eq!(alert, INVALID, "step {i}");
            } else {
                assert!(alert.starts_with(LOCKED), "step {i}: {alert}");
            }
        }
    }
    assert_eq!(
        seen[0], seen[1],
        "a name that does not exist looks the same"
    );

    for name in ["alice", "ghost"] {
        let entries = journal(&app, &format!("user:{name}")).await;
        let failed: Vec<&Value> = entries
            .iter()
            .filter(|(a, _)| a == "auth.login_failed")
            .map(|(_, p)| p)
            .collect();
        assert_eq!(failed.len(), 6, "{name}: {entries:?}");
        assert!(failed.iter().all(|p| p["name"] == name));
        assert_eq!(failed[0]["reason"], "password");
        assert_eq!(failed[5]["reason"], "locked");
        let locked: Vec<&Value> = entries
            .iter()
            .filter(|(a, _)| a == "auth.locked")
            .map(|(_, p)| p)
            .collect();
        assert_eq!(locked.len(), 1, "{name}: {entries:?}");
        assert_eq!(locked[0]["scope"], "account");
        assert!(entries.iter().all(|(a, _)| a != "auth.login"), "{name}");
    }

    // The lock is on the name: someone else signs in from the same address.
    let web = WebClient::new(&app);
    web.sign_in("carol", PASSWORD)
        .await
        .assert_redirect("/dashboard");
    let entries = journal(&app, "user:carol").await;
    let login: Vec<&Value> = entries
        .iter()
        .filter(|(a, _)| a == "auth.login")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(login.len(), 1, "{entries:?}");
    assert_eq!(login[0]["second_factor"], false);
    assert_eq!(login[0]["address"], "127.0.0.1");

    // The same entries through the API, for the auditor.
    let (status, page) = app
        .get("/api/v1/journal?entity=user:alice", &app.admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"auth.login_failed") && actions.contains(&"auth.locked"));
}

// ----- 4. need-to-know -------------------------------------------------------------------

async fn restricted_incidents_do_not_exist_for_others(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    // `m_one` would match `m.one` were the name used as a LIKE pattern unescaped.
    let (t1, m1) = person(&app, "m.one", &[Role::IsirtMember]).await;
    let (t2, m2) = person(&app, "m_one", &[Role::IsirtMember]).await;
    let (tm, mgr) = person(&app, "mia", &[Role::IsirtManager]).await;
    let (ta, aud) = person(&app, "aud", &[Role::Auditor]).await;
    let (td, adm) = person(&app, "adm", &[Role::Admin]).await;
    let secret = incident(&app, &poc, &t1, "m.one", "Payroll mailbox compromise").await;
    let open = incident(&app, &poc, &t2, "m_one", "Port scan from one address").await;

    // Restricting to a list without yourself is refused, naming the field.
    let page = m2
        .submit(
            &format!("/incidents/{secret}/restriction"),
            &[("users[]", "m.one"), ("mode", "restrict")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let alert = page.alert().unwrap();
    assert!(
        alert.contains("<strong>Users</strong>: must include yourself"),
        "{alert}"
    );
    let (status, problem) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{secret}/restriction"),
            Some(&t2),
            Some(json!({"users": ["m.one"]})),
        )
        .await;
    assert_eq!(
        (status, fields(&problem)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["users".to_owned()])
    );
    let (_, still_open) = app.get(&format!("/api/v1/incidents/{secret}"), &t2).await;
    assert_eq!(still_open["restricted_to"], json!([]));

    // m.one restricts it to herself through the workspace form.
    m1.submit(
        &format!("/incidents/{secret}/restriction"),
        &[("users[]", "m.one"), ("mode", "restrict")],
    )
    .await
    .assert_redirect(&format!("/incidents/{secret}"));
    let (_, restricted) = app.get(&format!("/api/v1/incidents/{secret}"), &t1).await;
    assert_eq!(restricted["restricted_to"], json!(["m.one"]));
    let recorded = app
        .store
        .journal(&JournalQuery {
            after: 0,
            limit: 1000,
            entity: Some(secret.clone()),
        })
        .await
        .unwrap();
    assert!(
        recorded.iter().any(|e| e.action == "incident.restricted"
            && e.payload.contains(r#""restricted_to":["m.one"]"#)),
        "{recorded:?}"
    );
    // Need-to-know holds in the journal too, for auditors and administrators.
    assert!(journal(&app, &secret).await.is_empty());
    let (status, page) = app
        .get(&format!("/api/v1/journal?entity={secret}"), &ta)
        .await;
    assert_eq!((status, &page["items"]), (StatusCode::OK, &json!([])));
    // Paging past hidden entries reaches the end of the journal.
    let head = app.journal_len().await;
    let (mut after, mut seen, mut last) = (0u64, 0usize, 0u64);
    loop {
        let (_, page) = app
            .get(&format!("/api/v1/journal?limit=2&after={after}"), &ta)
            .await;
        for item in page["items"].as_array().unwrap() {
            assert_ne!(item["entity"], json!(secret));
            last = item["seq"].as_u64().unwrap();
            seen += 1;
        }
        match page["next_cursor"].as_str() {
            Some(n) => after = n.parse().unwrap(),
            None => break,
        }
    }
    assert!(seen > 0 && last <= head, "{seen} {last} {head}");
    let (_, all) = app.get("/api/v1/journal?limit=1000", &ta).await;
    assert_eq!(all["items"].as_array().unwrap().len(), seen);
    let (_, tail) = app
        .get(&format!("/api/v1/journal?limit=1000&after={last}"), &ta)
        .await;
    assert!(
        tail["items"].as_array().unwrap().is_empty(),
        "nothing visible after the last page"
    );

    // For everyone else, whatever their role, it does not exist.
    let prefix = &secret[..secret.len() - 4];
    let missing = format!("{prefix}9999");
    for (name, web, token) in [
        ("m_one", &m2, &t2),
        ("mia", &mgr, &tm),
        ("aud", &aud, &ta),
        ("adm", &adm, &td),
    ] {
        let page = web.get(&format!("/incidents/{secret}")).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{name}: {}", page.body);
        assert_eq!(page.heading(), Some("Not found"));
        let absent = web.get(&format!("/incidents/{missing}")).await;
        assert_eq!(
            page.body.replace(&secret, "N"),
            absent.body.replace(&missing, "N"),
            "{name}: a restricted incident looks like a missing one"
        );

        let register = web.get("/incidents").await;
        register.assert_status(StatusCode::OK);
        assert!(register.body.contains(&open), "{name}");
        assert!(
            !register.body.contains(&secret),
            "{name}: {}",
            register.body
        );
        let found = web.get("/incidents?q=payroll").await;
        found.assert_status(StatusCode::OK);
        assert!(!found.body.contains(&secret), "{name}: text search");

        let csv = web.get("/incidents.csv").await;
        csv.assert_status(StatusCode::OK);
        assert!(csv.body.contains(&open), "{name}");
        assert!(!csv.body.contains(&secret), "{name}: {}", csv.body);

        let dashboard = web.get("/dashboard").await;
        assert_eq!(
            between(&dashboard.body, r#"id="open-incidents">"#, "<"),
            Some("1"),
            "{name}"
        );

        assert_eq!(
            web.get_status(&format!("/live?topic=incident:{secret}"))
                .await,
            StatusCode::NOT_FOUND,
            "{name}"
        );
        assert_eq!(
            web.get_status(&format!("/live?topic=incident:{open}"))
                .await,
            StatusCode::OK,
            "{name}"
        );

        let (status, _) = app.get(&format!("/api/v1/incidents/{secret}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        let (status, list) = app.get("/api/v1/incidents", token).await;
        assert_eq!(status, StatusCode::OK);
        let numbers: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, vec![open.as_str()], "{name}");
    }

    // Its linked event does not name it to anyone else either.
    let (_, view) = app.get(&format!("/api/v1/incidents/{secret}"), &t1).await;
    let linked = view["events"][0].as_str().unwrap().to_owned();
    let (_, event) = app.get(&format!("/api/v1/events/{linked}"), &t1).await;
    assert_eq!(event["incident"], json!(secret));
    for token in [&t2, &tm, &ta, &td] {
        let (status, event) = app.get(&format!("/api/v1/events/{linked}"), token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(event["incident"], json!(null), "{event}");
        let (_, list) = app.get("/api/v1/events?limit=500", token).await;
        assert!(!list.to_string().contains(&secret), "{list}");
    }
    let page = m2.get(&format!("/events/{linked}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.body.contains(&secret), "{}", page.body);

    // Nor can anyone else act on it.
    let page = m2
        .submit(
            &format!("/incidents/{secret}/transition"),
            &[("to", "responding"), ("reason", "curious")],
        )
        .await;
    page.assert_status(StatusCode::NOT_FOUND);
    let page = m2
        .submit(
            &format!("/incidents/{secret}/restriction"),
            &[("mode", "lift")],
        )
        .await;
    page.assert_status(StatusCode::NOT_FOUND);
    let (_, unchanged) = app.get(&format!("/api/v1/incidents/{secret}"), &t1).await;
    assert_eq!(
        (&unchanged["status"], &unchanged["restricted_to"]),
        (&json!("confirmed"), &json!(["m.one"]))
    );

    // m.one still has it everywhere.
    m1.get(&format!("/incidents/{secret}"))
        .await
        .assert_status(StatusCode::OK);
    let register = m1.get("/incidents").await;
    assert!(register.body.contains(&secret) && register.body.contains(&open));
    let found = m1.get("/incidents?q=payroll").await;
    assert!(found.body.contains(&secret) && !found.body.contains(&open));
    let csv = m1.get("/incidents.csv").await;
    assert!(csv.body.contains(&secret) && csv.body.contains(&open));
    let dashboard = m1.get("/dashboard").await;
    assert_eq!(
        between(&dashboard.body, r#"id="open-incidents">"#, "<"),
        Some("2")
    );
    assert_eq!(
        m1.get_status(&format!("/live?topic=incident:{secret}"))
            .await,
        StatusCode::OK
    );
    let (_, list) = app.get("/api/v1/incidents", &t1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    // Lifting the restriction gives it back to the others.
    m1.submit(
        &format!("/incidents/{secret}/restriction"),
        &[("mode", "lift")],
    )
    .await
    .assert_redirect(&format!("/incidents/{secret}"));
    m2.get(&format!("/incidents/{secret}"))
        .await
        .assert_status(StatusCode::OK);
    let (status, _) = app.get(&format!("/api/v1/incidents/{secret}"), &td).await;
    assert_eq!(status, StatusCode::OK);
}

// ----- 5. anonymous reporters ------------------------------------------------------------

async fn anonymous_reporters_stay_hidden_on_the_web(app: TestApp) {
    let (_, rosa) = person(&app, "rosa", &[Role::Reporter]).await;
    let (_, poc) = person(&app, "pat", &[Role::Poc]).await;
    let (_, mgr) = person(&app, "mia", &[Role::IsirtManager]).await;
    let (_, aud) = person(&app, "aud", &[Role::Auditor]).await;

    let page = rosa
        .submit(
            "/report",
            &[
                ("title", "My manager shares passwords"),
                ("description", "on a sticky note by the printer"),
                ("anonymous", "true"),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let done = page.location.unwrap();
    let number = done.strip_prefix("/report/").unwrap().to_owned();
    let receipt = rosa.get(&done).await;
    receipt.assert_status(StatusCode::OK);
    assert!(
        receipt
            .body
            .contains(r#"<span class="badge anon">anonymous</span>"#)
    );

    let (_, event) = app
        .get(&format!("/api/v1/events/{number}"), &app.admin)
        .await;
    assert_eq!(event["anonymous"], true);

    for (name, web) in [("pat", &poc), ("aud", &aud)] {
        let page = web.get(&format!("/events/{number}")).await;
        page.assert_status(StatusCode::OK);
        assert!(
            page.body.contains(
                r#"<dt>Reporter</dt><dd id="reporter"><span class="muted">hidden</span></dd>"#
            ),
            "{name}: {}",
            page.body
        );
        assert!(!page.body.contains("rosa"), "{name} sees the reporter");
        let triage = web.get("/triage").await;
        if triage.status == StatusCode::OK {
            assert!(triage.body.contains(&number));
            assert!(!triage.body.contains("rosa"), "{name}: triage");
        }
    }
    let page = mgr.get(&format!("/events/{number}")).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body
            .contains("<dt>Reporter</dt><dd id=\"reporter\">rosa</dd>"),
        "{}",
        page.body
    );
}

// ----- 6. sessions -----------------------------------------------------------------------

async fn sessions_end_and_rotate(app: TestApp) {
    app.account("alice", &[Role::Reporter]).await;
    app.account("bob", &[Role::Reporter]).await;

    // The cookie is HttpOnly and SameSite.
    let a = WebClient::new(&app);
    let page = a.sign_in("alice", PASSWORD).await;
    page.assert_redirect("/dashboard");
    let set = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("rampart_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    let first = a.session();
    a.get("/dashboard").await.assert_status(StatusCode::OK);

    // Signed in, the sign-in page sends you on, but only within this site.
    let page = a.get("/login?next=/report").await;
    page.assert_redirect("/report");
    for next in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/x y",
    ] {
        let encoded: String = url_encode(next);
        a.get(&format!("/login?next={encoded}"))
            .await
            .assert_redirect("/dashboard");
        let web = WebClient::new(&app);
        let login = web.get(&format!("/login?next={encoded}")).await;
        assert_eq!(hidden(&login.body, "next").as_deref(), Some("/dashboard"));
        let csrf = login.csrf();
        web.post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "alice"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await
        .assert_redirect("/dashboard");
    }

    // A session id planted before sign-in is not the one after.
    let planted = "A".repeat(43);
    let f = WebClient::new(&app);
    f.set_cookie("rampart_session", &planted);
    f.get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    f.sign_in("alice", PASSWORD)
        .await
        .assert_redirect("/dashboard");
    assert_ne!(f.session(), planted);
    assert_eq!(f.session().len(), 43);

    // Signing in again over a valid session replaces it.
    a.remove_cookie("rampart_session");
    let login = a.get("/login").await;
    a.set_cookie("rampart_session", &first);
    let page = a
        .post_form(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("name", "alice"),
                ("password", PASSWORD),
                ("next", "/dashboard"),
            ],
        )
        .await;
    page.assert_redirect("/dashboard");
    let second = a.session();
    assert_ne!(second, first, "the session id changes at sign-in");
    a.get("/dashboard").await.assert_status(StatusCode::OK);
    let stale = WebClient::new(&app);
    stale.set_cookie("rampart_session", &first);
    stale
        .get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    f.get("/dashboard").await.assert_status(StatusCode::OK);

    // Signing out ends the session, not just the cookie.
    let csrf = a.token().await;
    let page = a.post_form("/logout", &[("csrf", &csrf)]).await;
    page.assert_redirect("/login");
    assert!(
        page.set_cookies
            .iter()
            .any(|c| c.starts_with("rampart_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        page.set_cookies
    );
    assert!(a.cookie("rampart_session").is_none());
    a.get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    let replay = WebClient::new(&app);
    replay.set_cookie("rampart_session", &second);
    replay
        .get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    assert!(
        journal(&app, "user:alice")
            .await
            .iter()
            .any(|(a, _)| a == "auth.logout")
    );
    f.get("/dashboard").await.assert_status(StatusCode::OK);

    // A password change ends every other session of that user.
    let b1 = WebClient::new(&app);
    b1.sign_in("bob", PASSWORD)
        .await
        .assert_redirect("/dashboard");
    let b2 = WebClient::new(&app);
    b2.sign_in("bob", PASSWORD)
        .await
        .assert_redirect("/dashboard");
    let before = b1.session();
    let page = b1
        .submit(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a much better passphrase"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.alert()
            .unwrap()
            .contains("<strong>Current password</strong>")
    );
    b2.get("/dashboard").await.assert_status(StatusCode::OK);
    let page = b1
        .submit(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a much better passphrase"),
            ],
        )
        .await;
    page.assert_redirect("/account");
    assert_ne!(b1.session(), before);
    b1.get("/dashboard").await.assert_status(StatusCode::OK);
    b2.get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    let old = WebClient::new(&app);
    old.set_cookie("rampart_session", &before);
    old.get("/dashboard")
        .await
        .assert_redirect("/login?next=%2Fdashboard");
    let page = WebClient::new(&app).sign_in("bob", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert_eq!(page.alert(), Some(INVALID));
    WebClient::new(&app)
        .sign_in("bob", "a much better passphrase")
        .await
        .assert_redirect("/dashboard");
    // Alice's sessions were not touched.
    f.get("/dashboard").await.assert_status(StatusCode::OK);
}

// ----- 7. second factor ------------------------------------------------------------------

fn totp_code(secret: &str, account: &str, at: u64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name(account)
        .with_issuer(Some("Rampart"))
        .build()
        .unwrap()
        .generate(at)
        .to_string()
}

async fn second_factor_enrolment_and_sign_in(app: TestApp) {
    let (_, boss) = person(&app, "boss", &[Role::Admin]).await;
    app.account("tina", &[Role::IsirtMember]).await;

    let page = boss
        .submit("/admin/users/tina", &[("op", "totp_required")])
        .await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("tina: A second factor is now required."),
        "{}",
        page.body
    );

    // First sign-in: enrolment comes before anything else.
    let tina = WebClient::new(&app);
    tina.sign_in("tina", PASSWORD)
        .await
        .assert_redirect("/account/totp");
    tina.get("/dashboard")
        .await
        .assert_redirect("/account/totp");
    let setup = tina.get("/account/totp").await;
    setup.assert_status(StatusCode::OK);
    let secret = between(
        &setup.body,
        r#"<code class="mono" id="totp-secret">"#,
        "</code>",
    )
    .unwrap()
    .to_owned();
    assert!(
        setup.body.contains("otpauth://totp/Rampart:tina?"),
        "{}",
        setup.body
    );
    let csrf = setup.csrf();
    let page = tina
        .post_form("/account/totp", &[("csrf", &csrf), ("code", "000000x")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let enrol_code = totp_code(&secret, "tina", unix_now(&app));
    let pending = tina.session();
    let page = tina
        .post_form("/account/totp", &[("csrf", &csrf), ("code", &enrol_code)])
        .await;
    page.assert_redirect("/account");
    assert_ne!(tina.session(), pending, "a full session gets a new id");
    tina.get("/dashboard").await.assert_status(StatusCode::OK);
    let entries = journal(&app, "user:tina").await;
    assert!(entries.iter().any(|(a, _)| a == "auth.totp_enrolled"));
    assert!(
        entries
            .iter()
            .any(|(a, p)| a == "auth.login" && p["second_factor"] == true)
    );

    let csrf = tina.token().await;
    tina.post_form("/logout", &[("csrf", &csrf)])
        .await
        .assert_redirect("/login");

    // Next sign-in: the password, then the code.
    tina.sign_in("tina", PASSWORD)
        .await
        .assert_redirect("/login/totp");
    tina.get("/dashboard").await.assert_redirect("/login/totp");
    let prompt = tina.get("/login/totp").await;
    prompt.assert_status(StatusCode::OK);
    let csrf = prompt.csrf();
    let now = unix_now(&app);
    let valid: Vec<String> = (0..5)
        .map(|k| totp_code(&secret, "tina", now + k * 30 - 60))
        .collect();
    let wrong = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap();
    let page = tina
        .post_form("/login/totp", &[("csrf", &csrf), ("code", &wrong)])
        .await;
    page.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(page.alert(), Some(INVALID));
    // A code is good once: the enrolment code's step is spent.
    let page = tina
        .post_form("/login/totp", &[("csrf", &csrf), ("code", &enrol_code)])
        .await;
    page.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(page.alert(), Some(INVALID));
    tina.get("/dashboard").await.assert_redirect("/login/totp");
    let awaiting = tina.session();
    let next_code = totp_code(&secret, "tina", unix_now(&app) + 30);
    let page = tina
        .post_form("/login/totp", &[("csrf", &csrf), ("code", &next_code)])
        .await;
    page.assert_redirect("/dashboard");
    assert_ne!(tina.session(), awaiting);
    tina.get("/dashboard").await.assert_status(StatusCode::OK);
    let failed = journal(&app, "user:tina")
        .await
        .iter()
        .filter(|(a, p)| a == "auth.login_failed" && p["reason"] == "totp")
        .count();
    assert_eq!(failed, 2);
}

// ----- 8. public intake ------------------------------------------------------------------

async fn public_intake_takes_reports_and_limits_them(app: TestApp) {
    let visitor = WebClient::new(&app);
    let page = visitor.get("/public/report").await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(r#"action="/public/report""#));
    let csrf = page.csrf();
    assert_eq!(visitor.cookie("rampart_login"), Some(csrf.clone()));

    // Without the page's cookie the form is refused.
    let page = WebClient::new(&app)
        .post_form(
            "/public/report",
            &[("csrf", &csrf), ("title", "x"), ("description", "y")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(page.heading(), Some("Form refused"));

    let report = |i: usize, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("title", format!("Phishing call number {i}")),
            ("description", "someone asked for the door code".to_owned()),
            ("reporter.name", "Pat Public".to_owned()),
            ("reporter.contact", "pat@example.org".to_owned()),
        ]
    };
    let send = async |form: Vec<(&str, String)>| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        visitor.post_form("/public/report", &form).await
    };
    let mut numbers = Vec::new();
    let mut csrf = csrf;
    for i in 1..=10 {
        if i == 5 {
            // Refused input is not counted against the address.
            let mut bad = report(i, &csrf);
            bad.retain(|(k, _)| *k != "title");
            let page = send(bad).await;
            page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
            assert!(page.alert().unwrap().contains("<strong>Title</strong>"));
            assert!(
                page.body.contains(r#"value="Pat Public""#),
                "what was typed is kept"
            );
            csrf = page.csrf();
        }
        let page = send(report(i, &csrf)).await;
        assert_eq!(page.status, StatusCode::OK, "report {i}: {}", page.body);
        let number = between(&page.body, r#"id="event-number">"#, "<")
            .unwrap()
            .to_owned();
        assert!(number.starts_with("EVT-"), "{number}");
        numbers.push(number);
    }
    let (status, event) = app
        .get(&format!("/api/v1/events/{}", numbers[0]), &app.admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(event["title"], "Phishing call number 1");
    assert_eq!(event["reporter"]["name"], "Pat Public");
    assert_eq!(event["status"], "reported");

    let page = send(report(11, &csrf)).await;
    page.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(page.heading(), Some("Too many reports"));
    let titles = event_titles(&app).await;
    assert_eq!(titles.len(), 10);
    assert!(!titles.contains(&"Phishing call number 11".to_owned()));
}

// ----- 9. refused form input -------------------------------------------------------------

async fn refused_form_input_names_the_field_and_changes_nothing(app: TestApp) {
    let (_, rita) = person(&app, "rita", &[Role::Reporter]).await;
    let poc = app.user("pat", &[Role::Poc]).await;
    let (_, ian) = person(&app, "ian", &[Role::IsirtMember]).await;

    let before = app.journal_len().await;
    let page = rita
        .submit(
            "/report",
            &[
                ("title", "   "),
                ("description", "the badge reader beeps twice"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let alert = page.alert().unwrap();
    assert!(
        alert.contains("<strong>Title</strong>: is required"),
        "{alert}"
    );
    assert!(
        page.body
            .contains("the badge reader beeps twice</textarea>"),
        "what was typed is kept"
    );
    assert!(page.body.contains(r#"<div class="field has-error">"#));

    let page = rita
        .submit(
            "/report",
            &[
                ("title", "Badge reader"),
                ("description", "beeps twice"),
                ("occurred_at", "yesterday"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.alert()
            .unwrap()
            .contains("<strong>Occurred at</strong>"),
        "{}",
        page.body
    );
    assert_eq!(app.journal_len().await, before);
    assert!(event_titles(&app).await.is_empty());

    let n = escalated_event(&app, &poc, "Odd traffic").await;
    let confirm = |category: &'static str, loss: &'static str| {
        vec![
            ("events[]", n.clone()),
            ("title", "Odd traffic".to_owned()),
            ("category", category.to_owned()),
            ("severity.system_importance", "important".to_owned()),
            ("severity.business_loss", loss.to_owned()),
            ("severity.social_impact", "minor".to_owned()),
            ("effort", "low".to_owned()),
            ("coordinator", "ian".to_owned()),
            ("tlp", "AMBER".to_owned()),
        ]
    };
    let before = app.journal_len().await;
    for (form, field) in [
        (confirm("weather", "minor"), "<strong>Category</strong>"),
        (
            confirm("malware", "catastrophic"),
            "<strong>Severity: business loss</strong>",
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = ian.submit(&format!("/events/{n}/confirm"), &form).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let alert = page.alert().unwrap();
        assert!(alert.contains(field), "{alert}");
    }
    assert_eq!(app.journal_len().await, before);
    assert_eq!(
        status_of(&app, &format!("/api/v1/events/{n}")).await,
        "escalated"
    );
    let (_, list) = app.get("/api/v1/incidents", &app.admin).await;
    assert_eq!(list["items"], json!([]));

    // The same form with good values confirms the incident.
    let form = confirm("malware", "minor");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = ian.submit(&format!("/events/{n}/confirm"), &form).await;
    page.assert_status(StatusCode::SEE_OTHER);
    let to = page.location.unwrap();
    assert!(to.starts_with("/incidents/INC-"), "{to}");
    ian.get(&to).await.assert_status(StatusCode::OK);
}

// ----- 10. machine intake ----------------------------------------------------------------

/// One categorization rule for alerts of the IDS that mention SSH.
fn ssh_rules() -> Value {
    json!({"version": 0, "rules": [
        {"name": "ssh brute force", "source": "suricata", "text": "ssh",
         "rsit": {"class": "intrusion-attempts", "type": "brute-force"}}
    ]})
}

async fn put_rules(app: &TestApp, rules: Value) -> Value {
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/intake/rules",
            Some(&app.admin),
            Some(rules),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    saved
}

/// A sensor's alert with its reference and one IP address.
fn sensor_alert(title: &str, reference: &str, ip: &str) -> Value {
    json!({
        "title": title,
        "description": "signature matched",
        "source": {"kind": "sensor", "name": "suricata", "ref": reference},
        "severity": "high",
        "observables": [{"type": "ip", "value": ip}],
        "attributes": {"dpt": "22", "msg": "<b>ET SCAN</b> \"ssh\""},
    })
}

/// Text as the browser shows it.
fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The queue's row of an event.
fn row<'a>(page: &'a Page, number: &str) -> &'a str {
    between(
        &page.body,
        &format!(r#"<tr data-event="{number}">"#),
        "</tr>",
    )
    .unwrap_or_else(|| panic!("no row for {number}: {}", page.body))
}

async fn triage_shows_repeats_relations_and_proposals_of_alerts(app: TestApp) {
    put_rules(&app, ssh_rules()).await;
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let (poc, pat) = person(&app, "pat", &[Role::Poc]).await;
    let ian_token = app.user("ian", &[Role::IsirtMember]).await;
    let (_, ines) = person(&app, "ines", &[Role::IsirtMember]).await;

    // The same alert twice is one event seen twice.
    let first = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            sensor_alert("ET SCAN SSH brute force", "sid-1", "203.0.113.9"),
            StatusCode::CREATED,
        )
        .await;
    let a = first["number"].as_str().unwrap().to_owned();
    let again = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            sensor_alert("ET SCAN SSH brute force", "sid-1", "203.0.113.9"),
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        (again["number"].as_str(), again["occurrences"].as_u64()),
        (Some(a.as_str()), Some(2))
    );
    // Another alert on the same address is related to the first.
    let b = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            sensor_alert("Login failures on the mail gateway", "sid-2", "203.0.113.9"),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    // An open incident about another address, and an alert that shares it.
    let seen = app
        .post_ok(
            "/api/v1/events",
            &poc,
            json!({"title": "Scans from 198.51.100.7", "description": "firewall log",
                   "observables": [{"type": "ip", "value": "198.51.100.7"}]}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{seen}/assessment"),
        &poc,
        json!({"decision": "possible_incident"}),
        StatusCode::OK,
    )
    .await;
    let inc = app
        .post_ok(
            "/api/v1/incidents",
            &ian_token,
            json!({"events": [seen], "title": "Scanning campaign", "category": "technical_attack",
                   "severity": {"system_importance": "important", "business_loss": "minor", "social_impact": "minor"},
                   "effort": "low", "coordinator": "ian"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            sensor_alert("Outbound SSH to a scanner", "sid-3", "198.51.100.7"),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let queue = pat.get("/triage").await;
    queue.assert_status(StatusCode::OK);
    let first_row = row(&queue, &a);
    for shown in [
        "<strong>2×</strong>",
        "last seen",
        "High severity",
        "Technical attack",
        r#"<span class="rsit"><span>intrusion-attempts</span> / <span>brute-force</span></span>"#,
    ] {
        assert!(first_row.contains(shown), "{shown}: {first_row}");
    }
    let second = row(&queue, &b);
    assert!(
        second.contains(&format!(r#"<a class="mono" href="/events/{a}">{a}</a>"#)),
        "{second}"
    );
    assert!(second.contains("<code>ip:203.0.113.9</code>"), "{second}");
    assert!(second.contains("1×"), "{second}");
    assert_eq!(
        between(second, r#"<td class="proposal">"#, "</td>"),
        Some(r#"<span class="muted">—</span>"#),
        "the mail gateway alert has no proposal"
    );
    let fourth = row(&queue, &d);
    assert!(
        fourth.contains(&format!(r#"href="/incidents/{inc}">{inc}</a>"#)),
        "{fourth}"
    );
    assert!(
        queue
            .body
            .contains("How proposals are made: 1 categorization rule"),
        "the PoC reads the rules"
    );
    assert!(!queue.body.contains("/admin/intake/rules"));

    // The event page shows the repeats, the sensor's fields (as text) and the proposal.
    let page = pat.get(&format!("/events/{a}")).await;
    page.assert_status(StatusCode::OK);
    let seen_line = between(&page.body, r#"<dd id="occurrences">"#, "</dd>").unwrap();
    assert!(seen_line.starts_with("2 times · last seen "), "{seen_line}");
    for shown in [
        "<code>sid-1</code>",
        "seen 2 times",
        "<dt>Rule</dt><dd>ssh brute force</dd>",
        "<dt>Category</dt><dd>Technical attack</dd>",
        r#"<dt>RSIT</dt><dd><span class="rsit"><span>intrusion-attempts</span> / <span>brute-force</span></span></dd>"#,
        "dpt",
        "&#60;b&#62;ET SCAN&#60;",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(!page.body.contains("<b>ET SCAN"), "vendor text is escaped");
    let page = pat.get(&format!("/events/{b}")).await;
    let related = between(
        &page.body,
        r#"<section class="card" id="related">"#,
        "</section>",
    )
    .unwrap();
    assert!(
        related.contains(&format!(r#"href="/events/{a}""#)) && related.contains("ip:203.0.113.9"),
        "{related}"
    );
    assert!(!page.body.contains(r#"id="proposal""#), "no rule matched");
    let page = pat.get(&format!("/events/{d}")).await;
    assert!(page.body.contains(&format!(r#"href="/incidents/{inc}""#)));

    // Restricted, the incident is no longer named to those off the list.
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/incidents/{inc}/restriction"),
            Some(&ian_token),
            Some(json!({"users": ["ian"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let queue = pat.get("/triage").await;
    assert!(!row(&queue, &d).contains(&inc), "{}", row(&queue, &d));
    let page = ines.get(&format!("/events/{d}")).await;
    page.assert_status(StatusCode::OK);
    assert!(!page.body.contains(&inc));
}

async fn the_assessment_form_confirms_or_changes_the_proposal(app: TestApp) {
    put_rules(&app, ssh_rules()).await;
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let (poc, pat) = person(&app, "pat", &[Role::Poc]).await;
    let (_, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let mut numbers = Vec::new();
    for (title, reference) in [
        ("SSH brute force on bastion", "sid-1"),
        ("SSH brute force on vpn", "sid-2"),
    ] {
        numbers.push(
            app.post_ok(
                "/api/v1/events",
                &sensor,
                sensor_alert(title, reference, "203.0.113.9"),
                StatusCode::CREATED,
            )
            .await["number"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (a, b) = (&numbers[0], &numbers[1]);

    // The form offers the proposal and says where it comes from.
    let page = pat.get(&format!("/events/{a}")).await;
    for shown in [
        r#"<select id="a-category" name="category" aria-describedby="proposal-note"><option value="">As proposed</option>"#,
        r#"<select id="a-rsit" name="rsit" aria-describedby="proposal-note"><option value="">As proposed</option>"#,
        r#"Proposed by the rule “ssh brute force”: <strong>Technical attack</strong>, RSIT <span class="mono">intrusion-attempts / brute-force</span>."#,
        r#"<optgroup label="fraud">"#,
        r#"<option value="fraud/phishing">fraud / phishing</option>"#,
    ] {
        assert!(page.body.contains(shown), "{shown}");
    }

    // Left as proposed, the proposal is confirmed.
    pat.submit(
        &format!("/events/{a}/assess"),
        &[
            ("decision", "false_alarm"),
            ("category", ""),
            ("rsit", ""),
            ("notes", "a pen test"),
        ],
    )
    .await
    .assert_redirect("/triage");
    let (_, e) = app.get(&format!("/api/v1/events/{a}"), &poc).await;
    assert_eq!(e["assessment"]["category"], "technical_attack");
    assert_eq!(
        e["assessment"]["rsit"],
        json!({"class": "intrusion-attempts", "type": "brute-force"})
    );
    assert_eq!(e["assessment"]["proposal_confirmed"], true);
    let page = pat.get(&format!("/events/{a}")).await;
    assert!(
        page.body
            .contains(r#"<dd id="proposal-outcome">Confirmed as proposed</dd>"#),
        "{}",
        page.body
    );

    // A type not of its class, or an unknown category, is refused by name and changes nothing.
    let before = app.journal_len().await;
    for (form, field) in [
        (
            vec![
                ("decision", "possible_incident"),
                ("rsit", "fraud/brute-force"),
            ],
            "<strong>Rsit</strong>: `brute-force` is not a type of RSIT class fraud",
        ),
        (
            vec![("decision", "possible_incident"), ("rsit", "weather")],
            "<strong>Rsit: class</strong>",
        ),
        (
            vec![("decision", "possible_incident"), ("category", "weather")],
            "<strong>Category</strong>",
        ),
    ] {
        let page = pat.submit(&format!("/events/{b}/assess"), &form).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let alert = page.alert().unwrap();
        assert!(alert.contains(field), "{field}: {alert}");
    }
    let page = pat
        .submit(
            &format!("/events/{b}/assess"),
            &[
                ("decision", "possible_incident"),
                ("rsit", "fraud/brute-force"),
            ],
        )
        .await;
    assert!(
        page.body
            .contains(r#"<div class="field has-error"><label for="a-rsit">"#),
        "the select is marked"
    );
    assert!(
        page.body
            .contains(r#"<p class="field-error">`brute-force` is not a type of RSIT class fraud"#)
            && page.body.contains(r#"value="possible_incident" checked"#),
        "the error is next to the select, and the decision is kept"
    );
    assert_eq!(app.journal_len().await, before);
    assert_eq!(
        status_of(&app, &format!("/api/v1/events/{b}")).await,
        "reported"
    );

    // Another choice changes it; the ISIRT sees it preselected when confirming.
    pat.submit(
        &format!("/events/{b}/assess"),
        &[
            ("decision", "possible_incident"),
            ("category", "malware"),
            ("rsit", "malicious-code/infected-system"),
        ],
    )
    .await
    .assert_redirect("/triage");
    let (_, e) = app.get(&format!("/api/v1/events/{b}"), &poc).await;
    assert_eq!(e["status"], "escalated");
    assert_eq!(e["assessment"]["category"], "malware");
    assert_eq!(
        e["assessment"]["rsit"],
        json!({"class": "malicious-code", "type": "infected-system"})
    );
    assert_eq!(e["assessment"]["proposal_confirmed"], false);
    let page = ian.get(&format!("/events/{b}")).await;
    assert!(
        page.body
            .contains(r#"<dd id="proposal-outcome">Changed by the assessment</dd>"#)
    );
    let confirm = between(&page.body, r#"<select id="c-category""#, "</select>").unwrap();
    assert!(
        confirm.contains(r#"<option value="malware" selected>"#),
        "{confirm}"
    );
}

async fn admins_keep_the_rules_and_read_the_dead_letters(app: TestApp) {
    let (_, root) = person(&app, "root", &[Role::Admin]).await;
    let (_, pat) = person(&app, "pat", &[Role::Poc]).await;
    for i in 0..50 {
        app.service
            .dead_letter(
                "syslog-udp",
                "192.0.2.1",
                "not syslog",
                format!("junk {i}").as_bytes(),
            )
            .await
            .unwrap();
    }
    let long = "x".repeat(1000);
    app.service
        .dead_letter("syslog-udp", "192.0.2.1", "too long", long.as_bytes())
        .await
        .unwrap();
    app.service
        .dead_letter("syslog-tcp", "127.0.0.1", "reason", b"raw <b>")
        .await
        .unwrap();

    let page = root.get("/admin/intake").await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.title(), Some("Machine intake"));
    assert!(
        page.body
            .contains(r#"<a href="/admin/intake" aria-current="page">Machine intake</a>"#)
    );
    assert!(page.body.contains("No categorization rules"));
    assert!(
        page.body
            .contains("Dead letters <span class=\"muted\">(52)</span>")
    );
    let letters = between(&page.body, r#"<tbody>"#, "</tbody>").unwrap();
    let first = between(letters, "<tr>", "</tr>").unwrap();
    for shown in [
        "syslog-tcp",
        "127.0.0.1",
        "reason",
        "<code>raw &#60;b&#62;</code>",
    ] {
        assert!(first.contains(shown), "{shown}: {first}");
    }
    assert!(!page.body.contains("raw <b>"), "the raw text is escaped");
    assert!(page.body.contains(&format!(
        "<code>{}</code><span class=\"muted\"> … (cut)</span>",
        "x".repeat(300)
    )));
    assert!(!page.body.contains(&"x".repeat(301)));
    assert_eq!(letters.matches("<tr>").count(), 50);
    assert!(
        !letters.contains("junk 0<"),
        "the oldest is on the next page"
    );
    let older = between(&page.body, r#"<a class="btn" href=""#, r#"" rel="next">"#).unwrap();
    assert!(older.starts_with("/admin/intake?cursor="), "{older}");
    let next = root.get(&older.replace("&amp;", "&")).await;
    next.assert_status(StatusCode::OK);
    let letters = between(&next.body, r#"<tbody>"#, "</tbody>").unwrap();
    assert_eq!(letters.matches("<tr>").count(), 2, "{letters}");
    assert!(letters.contains("<code>junk 0</code>") && letters.contains("<code>junk 1</code>"));
    assert!(!next.body.contains(r#"rel="next""#));

    // The editor saves a table and shows it in words.
    let before = app.journal_len().await;
    let table = r#"[{"name": "ssh brute force", "source": "suricata", "text": "ssh",
        "rsit": {"class": "intrusion-attempts", "type": "brute-force"}}]"#;
    let saved = root
        .submit("/admin/intake/rules", &[("version", "0"), ("rules", table)])
        .await;
    saved.assert_status(StatusCode::OK);
    assert!(
        saved.body.contains("The rules were saved as version 1."),
        "{}",
        saved.body
    );
    let rules = between(
        &saved.body,
        r#"<table class="data" id="rules">"#,
        "</table>",
    )
    .unwrap();
    for shown in [
        "<th scope=\"row\">ssh brute force</th>",
        "sensor is “suricata”",
        "title or description contains “ssh”",
        "Technical attack <span class=\"small muted\">(from RSIT)</span>",
        r#"<span class="rsit"><span>intrusion-attempts</span> / <span>brute-force</span></span>"#,
    ] {
        assert!(rules.contains(shown), "{shown}: {rules}");
    }
    assert_eq!(hidden(&saved.body, "version").as_deref(), Some("1"));
    assert!(app.journal_len().await > before);
    let (_, api) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(api["version"], 1);
    assert_eq!(api["rules"][0]["rsit"]["type"], "brute-force");

    // A stale version, a bad rule, or text that is not JSON changes nothing and is named.
    let before = app.journal_len().await;
    for (version, text, named) in [
        (
            "0",
            table,
            "<code>version</code>: the rules changed since version 0 was read",
        ),
        (
            "1",
            r#"[{"name": "a", "category": "malware"}, {"name": "b"}]"#,
            "<code>rules[1].category</code>",
        ),
        (
            "1",
            r#"[{"name": "a", "category": "weather"}]"#,
            "<code>rules[0].category</code>",
        ),
        (
            "1",
            r#"[{"name": "a", "category": "malware", "colour": "red"}]"#,
            "<code>rules[0].colour</code>",
        ),
        ("1", "[{", "<code>rules</code>: is not valid JSON"),
    ] {
        let page = root
            .submit(
                "/admin/intake/rules",
                &[("version", version), ("rules", text)],
            )
            .await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        let alert = page.alert().unwrap();
        assert!(alert.contains(named), "{named}: {alert}");
        let shown = between(&page.body, r#"name="rules" rows="16""#, "</textarea>").unwrap();
        assert!(
            unescape(shown).ends_with(text),
            "what was typed is kept: {shown}"
        );
    }
    assert_eq!(app.journal_len().await, before);
    let (_, api) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(
        (
            api["version"].as_u64(),
            api["rules"].as_array().map(Vec::len)
        ),
        (Some(1), Some(1))
    );

    // The form adds a rule at the end; refused, it names the field.
    let page = root
        .submit(
            "/admin/intake/rules/add",
            &[
                ("version", "1"),
                ("name", "needs a category"),
                ("source", "mail"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.alert().unwrap().contains("<code>category</code>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="needs a category""#));
    let page = root
        .submit(
            "/admin/intake/rules/add",
            &[
                ("version", "1"),
                ("name", "odd field"),
                ("fields", "severity critical"),
                ("category", "malware"),
            ],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.alert()
            .unwrap()
            .contains("<code>fields</code>: line 1")
    );
    let page = root
        .submit(
            "/admin/intake/rules/add",
            &[
                ("version", "1"),
                ("name", "phishing"),
                ("observable_types[]", "url"),
                ("fields", "severity = high"),
                ("category", "compromise_of_information"),
                ("rsit", "fraud/phishing"),
            ],
        )
        .await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body.contains("Rule “phishing” was added as number 2"),
        "{}",
        page.body
    );
    let (_, api) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(
        api["rules"][1],
        json!({"name": "phishing", "source": null, "fields": {"severity": "high"}, "observable_types": ["url"],
               "text": null, "category": "compromise_of_information", "rsit": {"class": "fraud", "type": "phishing"}})
    );
    assert_eq!(api["version"], 2);

    // Rules move and go; a stale button is refused.
    root.submit("/admin/intake/rules/1", &[("version", "2"), ("op", "up")])
        .await
        .assert_status(StatusCode::OK);
    let (_, api) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(api["rules"][0]["name"], "phishing");
    let page = root
        .submit(
            "/admin/intake/rules/0",
            &[("version", "2"), ("op", "remove")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.alert().unwrap().contains("<code>version</code>"));
    root.submit(
        "/admin/intake/rules/0",
        &[("version", "3"), ("op", "remove")],
    )
    .await
    .assert_status(StatusCode::OK);
    let (_, api) = app.get("/api/v1/intake/rules", &app.admin).await;
    assert_eq!(api["version"], 4);
    assert_eq!(api["rules"].as_array().unwrap().len(), 1);
    assert_eq!(api["rules"][0]["name"], "ssh brute force");

    // Others may not open the page or send its forms.
    let page = pat.get("/admin/intake").await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert!(page.body.contains("admin"), "the roles that may are named");
    let before = app.journal_len().await;
    for (path, form) in [
        (
            "/admin/intake/rules",
            vec![("version", "4"), ("rules", "[]")],
        ),
        (
            "/admin/intake/rules/add",
            vec![("version", "4"), ("name", "x"), ("category", "malware")],
        ),
        (
            "/admin/intake/rules/0",
            vec![("version", "4"), ("op", "remove")],
        ),
    ] {
        pat.submit(path, &form)
            .await
            .assert_status(StatusCode::FORBIDDEN);
    }
    assert_eq!(app.journal_len().await, before);
    assert!(!pat.get("/dashboard").await.body.contains("/admin/intake"));
}
