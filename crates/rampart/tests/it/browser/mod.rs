//! End-to-end tests in a real headless Chromium driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`). Without chromedriver they
//! skip with a visible message. Each main page is saved as a screenshot under
//! `$RAMPART_SCREENSHOTS` (default: `<tmp>/rampart-screenshots`).

mod figures;
mod filed_report;
mod observables;
mod pap;
mod playbooks;
mod record;
mod scale;
mod share;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;
use sha2::{Digest, Sha256};
use thirtyfour::prelude::*;

use crate::helpers::{Backend, PASSWORD, TestApp, incident};

mod actions;
mod communications;
mod contacts;
mod documents;
mod evidence;
mod exercises;
mod improvements;
mod journal;
mod merge;
mod notifications;
mod phone;
mod report;
mod roles;
mod targets;
mod teams;
mod timeline;
mod triage;
mod vulnerabilities;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Where screenshots go.
pub(crate) fn shots_dir() -> PathBuf {
    std::env::var_os("RAMPART_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("rampart-screenshots"))
}

pub(crate) struct Browser {
    pub(crate) driver: Option<WebDriver>,
    chromedriver: Child,
    pub(crate) base: String,
    test: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (with a message) when not installed.
    pub(crate) async fn start(app: &TestApp, test: &str) -> Option<Self> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var_os("RAMPART_REQUIRE_BROWSER").is_none(),
                "RAMPART_REQUIRE_BROWSER is set but {CHROMEDRIVER} or {CHROMIUM} is missing"
            );
            let _ = writeln!(
                std::io::stderr(),
                "skipped: browser test {test} (install chromium and chromium-driver)"
            );
            return None;
        }
        let port = free_port();
        let chromedriver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM).unwrap();
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,1000",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .unwrap();
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .expect("a Chromium session");
        std::fs::create_dir_all(shots_dir()).unwrap();
        Some(Self {
            driver: Some(driver),
            chromedriver,
            base: format!("http://{}", app.addr),
            test: test.to_owned(),
            _profile: profile,
        })
    }

    pub(crate) fn d(&self) -> &WebDriver {
        self.driver.as_ref().unwrap()
    }

    pub(crate) async fn open(&self, path: &str) {
        self.d().goto(format!("{}{path}", self.base)).await.unwrap();
    }

    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let e = self.d().find(By::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub(crate) async fn select(&self, css: &str, value: &str) {
        let e = self.d().find(By::Css(css)).await.unwrap();
        thirtyfour::components::SelectElement::new(&e)
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }

    /// Attaches a file to a file input: the browser reads it from `file`.
    pub(crate) async fn attach(&self, css: &str, file: &Path) {
        let e = self.d().find(By::Css(css)).await.unwrap();
        e.send_keys(file.to_str().unwrap()).await.unwrap();
    }

    /// Clicks an element, retrying while a page is still loading.
    pub(crate) async fn click(&self, css: &str) {
        let mut last = None;
        for _ in 0..50 {
            match self.d().find(By::Css(css)).await {
                Ok(e) => match e.click().await {
                    Ok(()) => return,
                    Err(err) => last = Some(err.to_string()),
                },
                Err(err) => last = Some(err.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot click {css}: {last:?}");
    }

    /// Clicks a submit button and waits until the next page has loaded.
    pub(crate) async fn submit(&self, css: &str) {
        self.d()
            .execute("window.__rampartOldPage = true", vec![])
            .await
            .unwrap();
        self.click(css).await;
        for _ in 0..100 {
            let old = self
                .d()
                .execute("return window.__rampartOldPage === true", vec![])
                .await
                .map(|v| v.json() == &serde_json::Value::Bool(true))
                .unwrap_or(true);
            let ready = self
                .d()
                .execute("return document.readyState", vec![])
                .await
                .map(|v| v.json() == &serde_json::Value::String("complete".into()))
                .unwrap_or(false);
            if !old && ready {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("submitting {css} did not load a new page");
    }

    /// The text of an element, retrying while a page is still loading.
    pub(crate) async fn text(&self, css: &str) -> String {
        let mut last = None;
        for _ in 0..50 {
            match self.d().find(By::Css(css)).await {
                Ok(e) => match e.text().await {
                    Ok(t) => return t,
                    Err(err) => last = Some(err.to_string()),
                },
                Err(err) => last = Some(err.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element {css}: {last:?}");
    }

    pub(crate) async fn source(&self) -> String {
        self.d().source().await.unwrap()
    }

    pub(crate) async fn heading(&self) -> String {
        self.text("h1").await
    }

    pub(crate) async fn path(&self) -> String {
        self.d().current_url().await.unwrap().path().to_owned()
    }

    pub(crate) async fn shot(&self, name: &str) {
        let path = shots_dir().join(format!("{}-{name}.png", self.test));
        self.d().screenshot(&path).await.unwrap();
    }

    pub(crate) async fn sign_in(&self, name: &str, password: &str) {
        self.open("/login").await;
        self.fill("#name", name).await;
        self.fill("#password", password).await;
        self.submit("main button[type=submit]").await;
    }

    pub(crate) async fn sign_out(&self) {
        self.submit(".user-menu button").await;
        assert_eq!(self.path().await, "/login");
    }

    /// Waits until the page source contains `needle` (live updates), up to 15 s.
    pub(crate) async fn wait_for(&self, needle: &str) -> bool {
        for _ in 0..150 {
            if self.source().await.contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    pub(crate) async fn quit(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }
}

/// A person who can sign in.
pub(crate) async fn person(app: &TestApp, name: &str, roles: &[Role]) -> String {
    app.account(name, roles).await
}

pub(crate) async fn app_and_browser(test: &str) -> Option<(TestApp, Browser)> {
    let app = TestApp::spawn(Backend::Sqlite, test).await?;
    let browser = Browser::start(&app, test).await?;
    Some((app, browser))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_goes_from_report_to_a_reviewed_incident() {
    let Some((app, b)) = app_and_browser("lifecycle").await else {
        return;
    };
    person(&app, "emma", &[Role::Reporter]).await;
    person(&app, "pete", &[Role::Poc]).await;
    person(&app, "maria", &[Role::IsirtManager]).await;
    person(&app, "ivan", &[Role::IsirtMember]).await;

    // An employee signs in and reports, once by name and once anonymously.
    b.open("/login").await;
    b.shot("01-sign-in").await;
    b.sign_in("emma", PASSWORD).await;
    assert_eq!(b.path().await, "/dashboard");
    b.open("/report").await;
    b.shot("02-report-form").await;
    b.fill("#title", "Email asking me to confirm my password")
        .await;
    b.fill(
        "#description",
        "It came from payroll@examp1e.com and links to a login page.",
    )
    .await;
    b.fill("#assets", "my mailbox\nlaptop LT-042").await;
    b.submit("main button[type=submit]").await;
    assert_eq!(b.heading().await, "Thank you — your report is in");
    b.shot("03-report-confirmation").await;
    let named = b.text("#event-number").await;
    assert!(named.starts_with("EVT-"), "{named}");
    assert!(b.source().await.contains("What happens next"));

    b.open("/report").await;
    b.fill("#title", "USB stick found in the car park").await;
    b.fill(
        "#description",
        "Labelled 'salaries 2026'. I did not plug it in.",
    )
    .await;
    b.click("input[name=anonymous]").await;
    b.submit("main button[type=submit]").await;
    let anonymous = b.text("#event-number").await;
    assert!(b.source().await.contains("anonymous"));
    b.open("/dashboard").await;
    b.shot("04-reporter-dashboard").await;
    assert!(b.source().await.contains(&anonymous));
    b.sign_out().await;

    // The point of contact triages: both are in the queue; the anonymous reporter stays hidden.
    b.sign_in("pete", PASSWORD).await;
    b.open("/triage").await;
    b.shot("05-triage").await;
    let queue = b.text("#triage-queue").await;
    assert!(
        queue.contains(&named) && queue.contains(&anonymous),
        "{queue}"
    );
    b.open(&format!("/events/{anonymous}")).await;
    let page = b.source().await;
    assert!(
        !page.contains("emma"),
        "the anonymous reporter is hidden from the PoC"
    );
    assert!(page.contains("hidden"));
    b.open(&format!("/events/{named}")).await;
    b.shot("06-event-assess").await;
    b.click("input[value=possible_incident]").await;
    b.fill("#notes", "Credential phishing; link still live.")
        .await;
    b.click("input[name=escalate]").await;
    b.submit("#assess button[type=submit]").await;
    assert_eq!(b.path().await, "/triage");
    assert!(!b.text("[data-live-region=queue]").await.is_empty());
    assert!(!b.text("#triage-queue").await.contains(&named));
    b.sign_out().await;

    // The ISIRT manager confirms the incident and runs it to closure.
    b.sign_in("maria", PASSWORD).await;
    b.open(&format!("/events/{named}")).await;
    b.fill("#c-title", "Credential phishing against payroll")
        .await;
    b.select("#c-category", "compromise_of_information").await;
    b.select("#c-imp", "important").await;
    b.select("#c-bl", "considerable").await;
    b.select("#c-si", "minor").await;
    b.select("#c-effort", "medium").await;
    b.select("#c-coord", "ivan").await;
    b.shot("07-confirm-incident").await;
    b.submit("#confirm button[type=submit]").await;
    let incident = b.text("#incident-number").await;
    assert!(incident.starts_with("INC-"), "{incident}");
    assert!(b.text("#incident-status").await.contains("Confirmed"));
    b.shot("08-incident-workspace").await;

    b.select("#p-coordinator", "maria").await;
    b.submit("#coordinator button[type=submit]").await;
    assert!(b.text(".subtitle").await.contains("coordinator maria"));
    b.fill("#t-reason", "Blocking the phishing domain").await;
    b.submit("button[data-move=responding]").await;
    assert!(b.text("#incident-status").await.contains("Responding"));
    b.click("details summary").await;
    b.fill(
        "#l-action",
        "Blocked examp1e.com at the mail gateway and proxy",
    )
    .await;
    b.fill("#l-reason", "Stop further credential capture").await;
    b.submit("form[action$='/log'] button[type=submit]").await;
    assert!(b.text("#timeline").await.contains("Blocked examp1e.com"));
    let summaries = b.d().find_all(By::Css("details summary")).await.unwrap();
    summaries[1].click().await.unwrap();
    b.fill("#a-what", "Reset passwords of recipients who clicked")
        .await;
    b.fill("#a-owner", "ivan").await;
    b.submit("form[action$='/actions'] button[type=submit]")
        .await;
    assert!(b.text("#actions").await.contains("Reset passwords"));
    b.fill("#t-reason", "Domain blocked, passwords reset").await;
    b.submit("button[data-move=recovering]").await;
    assert!(b.text("#incident-status").await.contains("Recovering"));
    // Closing without a resolution is refused and says why.
    b.fill("#t-reason", "Done").await;
    b.submit("button[data-move=closed]").await;
    assert!(b.source().await.contains("Nothing was saved"));
    b.shot("09-refused-close").await;
    b.fill("#t-reason", "Done").await;
    b.fill(
        "#t-resolution",
        "Phishing domain blocked; 3 accounts reset; no misuse seen.",
    )
    .await;
    b.submit("button[data-move=closed]").await;
    assert!(b.text("#incident-status").await.contains("Closed"));
    b.fill(
        "#r-lessons",
        "Report button worked well\nBlock lookalike domains sooner",
    )
    .await;
    b.submit("#review button[type=submit]").await;
    assert!(b.text("#review").await.contains("Block lookalike domains"));
    b.fill("#t-reason", "Lessons recorded").await;
    b.submit("button[data-move=reviewed]").await;
    assert!(b.text("#incident-status").await.contains("Reviewed"));
    b.shot("10-incident-reviewed").await;

    b.open("/incidents").await;
    assert!(b.text("#incident-register").await.contains(&incident));
    b.shot("11-incident-register").await;
    b.open("/dashboard").await;
    b.shot("12-manager-dashboard").await;
    b.open("/vulnerabilities").await;
    b.shot("13-vulnerabilities").await;
    b.open(&format!("/events/{anonymous}")).await;
    assert!(
        b.source().await.contains("emma"),
        "the ISIRT manager may see an anonymous reporter"
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_incident_is_invisible_to_another_isirt_member() {
    let Some((app, b)) = app_and_browser("restricted").await else {
        return;
    };
    let poc = person(&app, "pete", &[Role::Poc]).await;
    let ines = person(&app, "ines", &[Role::IsirtMember]).await;
    person(&app, "otto", &[Role::IsirtMember]).await;
    let event = app
        .post_ok(
            "/api/v1/events",
            &poc,
            json!({"title": "Board member's mailbox accessed from abroad", "description": "Sign-in alert"}),
            StatusCode::CREATED,
        )
        .await;
    let e = event["number"].as_str().unwrap().to_owned();
    app.post_ok(
        &format!("/api/v1/events/{e}/assessment"),
        &poc,
        json!({"decision": "possible_incident", "escalate": true}),
        StatusCode::OK,
    )
    .await;
    let incident = app
        .post_ok(
            "/api/v1/incidents",
            &ines,
            json!({"events": [e], "title": "Executive mailbox compromise", "category": "compromise_of_functions",
                   "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
                   "effort": "medium", "coordinator": "ines"}),
            StatusCode::CREATED,
        )
        .await;
    let n = incident["number"].as_str().unwrap().to_owned();

    b.sign_in("ines", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    b.submit("#restriction button[value=restrict]").await;
    assert!(
        b.text("#restriction")
            .await
            .contains("Visible only to: ines")
    );
    b.shot("01-restricted").await;
    b.sign_out().await;

    b.sign_in("otto", PASSWORD).await;
    b.open("/incidents").await;
    assert!(!b.source().await.contains(&n), "absent from the register");
    b.open(&format!("/incidents/{n}")).await;
    assert_eq!(b.heading().await, "Not found");
    b.shot("02-not-found").await;
    b.open("/dashboard").await;
    assert_eq!(b.text("#open-incidents").await, "0");
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_its_csrf_token_is_refused() {
    let Some((app, b)) = app_and_browser("csrf").await else {
        return;
    };
    let emma = person(&app, "emma", &[Role::Reporter]).await;
    b.sign_in("emma", PASSWORD).await;
    b.open("/report").await;
    b.fill("#title", "Forged").await;
    b.fill("#description", "This form lost its token").await;
    b.d()
        .execute(
            "document.querySelector('main form input[name=csrf]').remove()",
            vec![],
        )
        .await
        .unwrap();
    b.submit("main button[type=submit]").await;
    assert_eq!(b.heading().await, "Form refused");
    b.shot("01-form-refused").await;
    let (_, mine) = app.get("/api/v1/events", &emma).await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        0,
        "nothing was saved"
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_lock_the_account_with_a_neutral_message() {
    let Some((app, b)) = app_and_browser("lockout").await else {
        return;
    };
    person(&app, "emma", &[Role::Reporter]).await;
    let mut messages = Vec::new();
    for name in ["emma", "nobody"] {
        let mut seen = Vec::new();
        for _ in 0..5 {
            b.sign_in(name, "wrong password!!").await;
            seen.push(b.text(".alert-error").await);
        }
        b.sign_in(name, PASSWORD).await;
        seen.push(b.text(".alert-error").await);
        messages.push(seen);
    }
    assert!(messages[0][0].contains("not right"), "{:?}", messages[0]);
    assert!(
        messages[0][5].contains("Too many failed sign-ins"),
        "{:?}",
        messages[0]
    );
    assert_eq!(
        messages[0], messages[1],
        "an existing and an unknown account read the same"
    );
    assert_eq!(
        b.path().await,
        "/login",
        "the right password no longer gets in"
    );
    b.shot("01-locked").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_triage_queue_updates_live() {
    let Some((app, b)) = app_and_browser("live").await else {
        return;
    };
    let sensor = app.user("ids", &[Role::Reporter]).await;
    person(&app, "pete", &[Role::Poc]).await;
    b.sign_in("pete", PASSWORD).await;
    b.open("/triage").await;
    assert!(b.wait_for("class=\"live\"").await);
    b.d()
        .execute("window.__notReloaded = true", vec![])
        .await
        .unwrap();
    // Give the event stream a moment to connect.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let e = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            json!({"title": "Port scan from 198.51.100.23", "description": "IDS alert"}),
            StatusCode::CREATED,
        )
        .await;
    let n = e["number"].as_str().unwrap();
    assert!(
        b.wait_for(n).await,
        "the new event appears without a reload"
    );
    let still = b
        .d()
        .execute("return window.__notReloaded === true", vec![])
        .await
        .unwrap();
    assert_eq!(still.json(), &serde_json::Value::Bool(true));
    b.shot("01-live-update").await;
    b.quit().await;
}

/// Makes a token with the tokens page's form open: a name and one scope.
/// Checks the secret is shown and the token listed; the list's text.
async fn make_token(b: &Browser, name: &str, scope: &str) -> String {
    b.fill("#t-name", name).await;
    b.click(&format!(
        "#token-form input[name='scopes[]'][value='{scope}']"
    ))
    .await;
    b.submit("#token-form button[type=submit]").await;
    assert!(b.text("#new-token").await.starts_with("rmp_"));
    let listed = b.text("#tokens").await;
    assert!(listed.contains(name), "{listed}");
    listed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_people_and_a_second_factor_is_set_up() {
    let Some((app, b)) = app_and_browser("admin").await else {
        return;
    };
    person(&app, "root", &[Role::Admin]).await;
    b.sign_in("root", PASSWORD).await;
    b.open("/admin/users").await;
    b.fill("#n-name", "nina").await;
    b.fill("#n-password", "a long enough passphrase").await;
    b.click("form[action='/admin/users'] input[name='roles[]'][value=isirt_member]")
        .await;
    b.click("input[name=totp_required]").await;
    b.submit("form[action='/admin/users'] button[type=submit]")
        .await;
    assert!(b.text(".alert-success").await.contains("nina"));
    assert!(b.text("#user-nina").await.contains("required"));
    b.shot("01-users").await;
    b.open("/admin/tokens").await;
    b.select("#t-user", "nina").await;
    let listed = make_token(&b, "nina's scripts", "incidents:read").await;
    assert!(listed.contains("incidents:read"), "{listed}");
    b.shot("02-tokens").await;
    b.sign_out().await;

    // Nina must enrol a second factor before anything else.
    b.sign_in("nina", "a long enough passphrase").await;
    assert_eq!(b.path().await, "/account/totp");
    b.shot("03-totp-enrolment").await;
    b.open("/dashboard").await;
    assert_eq!(b.path().await, "/account/totp", "nothing else opens first");
    let secret = b.text("#totp-secret").await;
    let now = u64::try_from(app.service.clock().now().as_offset().unix_timestamp()).unwrap();
    let code = rampart_app::auth::totp_code(&secret, "nina", now).unwrap();
    b.fill("#code", &code).await;
    b.submit("main button[type=submit]").await;
    assert_eq!(b.path().await, "/account");
    assert!(b.source().await.contains("Sign-in asks for a code"));
    b.shot("04-account").await;

    // Her own tokens: the one made for her, and one she makes and revokes.
    b.open("/tokens").await;
    let own = make_token(&b, "laptop script", "events:read").await;
    assert!(own.contains("nina's scripts"), "{own}");
    b.shot("04-own-tokens").await;
    b.d()
        .execute(
            "[...document.querySelectorAll('#tokens tr')]
               .find(r => r.textContent.includes('laptop script'))
               .querySelector('form').submit()",
            vec![],
        )
        .await
        .unwrap();
    // The page comes back without it.
    let mut own = String::new();
    for _ in 0..50 {
        own = b.text("#tokens").await;
        if !own.contains("laptop script") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !own.contains("laptop script") && own.contains("nina's scripts"),
        "{own}"
    );

    // On a phone-sized screen the workspace stacks and stays usable.
    b.d().set_window_rect(0, 0, 390, 844).await.unwrap();
    b.open("/dashboard").await;
    b.shot("05-phone-dashboard").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_is_uploaded_and_handed_over_in_the_browser() {
    let Some((app, b)) = app_and_browser("evidence").await else {
        return;
    };
    let poc = person(&app, "pat", &[Role::Poc]).await;
    let ian = person(&app, "ian", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ian, "ian", "Phishing wave against payroll").await;

    // A real file on disk, not text, so the browser's upload must keep every byte.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("phish.eml");
    let bytes: Vec<u8> = (0..64 * 1024 + 3)
        .map(|i: usize| u8::try_from((i * 7919 + i / 251) % 256).unwrap())
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{inc}")).await;
    assert!(b.text("#evidence").await.contains("No evidence recorded."));
    b.click("#evidence details summary").await;
    b.fill("#e-description", "Raw mail of the phishing message")
        .await;
    b.fill("#e-found", "mailbox of rita@example.org").await;
    b.fill("#e-by", "Ian (ISIRT)").await;
    b.fill("#e-at", "2026-01-10T09:00:00Z").await;
    b.fill("#e-tool", "mail export 2.1").await;
    b.fill("#e-reason", "shows the sender infrastructure").await;
    b.select("#e-tlp", "AMBER").await;
    b.fill("#e-location", "evidence locker 3").await;
    b.attach("#e-file", &file).await;
    b.shot("01-upload-form").await;
    b.submit("#evidence-upload button[type=submit]").await;

    // The item page: the hash of the file as sent, and the uploader holds it.
    let evd = b.text("#evidence-number").await;
    assert!(evd.starts_with("EVD-"), "{evd}");
    assert_eq!(b.path().await, format!("/evidence/{evd}"));
    assert_eq!(b.heading().await, "Raw mail of the phishing message");
    assert_eq!(b.text("#sha256").await, sha);
    let meta = b.text("#evidence-meta").await;
    for shown in [
        "mailbox of rita@example.org",
        "Ian (ISIRT)",
        "2026-01-10 09:00 UTC",
        "mail export 2.1",
        "TLP:AMBER",
        "phish.eml",
        "64.0 KiB",
        "by ian",
    ] {
        assert!(meta.contains(shown), "{shown}: {meta}");
    }
    assert_eq!(b.text("#custodian").await, "ian");
    assert_eq!(b.text("#location").await, "evidence locker 3");
    let custody = b.text("#custody").await;
    assert!(custody.contains("Collected and recorded"), "{custody}");
    assert!(custody.contains(&sha), "{custody}");
    b.shot("02-evidence-item").await;

    // Custody moves through the form and shows in the timeline.
    b.fill("#x-to", "DC Smith").await;
    b.fill("#x-reason", "handed to the police").await;
    b.fill("#x-location", "seal 0042").await;
    b.submit("#evidence-transfer button[type=submit]").await;
    assert_eq!(b.path().await, format!("/evidence/{evd}"));
    assert_eq!(b.text("#custodian").await, "DC Smith");
    assert_eq!(b.text("#location").await, "seal 0042");
    let custody = b.text("#custody").await;
    for shown in [
        "Collected and recorded",
        "Custody transferred",
        "ian → DC Smith",
        "handed to the police",
        "seal 0042",
    ] {
        assert!(custody.contains(shown), "{shown}: {custody}");
    }
    b.shot("03-custody-transferred").await;

    // The workspace lists the item with its new custodian.
    b.open(&format!("/incidents/{inc}")).await;
    let row = b.text(&format!("tr[data-evidence='{evd}']")).await;
    assert!(
        row.contains("phish.eml") && row.contains("DC Smith"),
        "{row}"
    );
    let (_, item) = app.get(&format!("/api/v1/evidence/{evd}"), &ian).await;
    assert_eq!(item["content"]["sha256"], json!(sha));
    assert_eq!(item["content"]["size"], json!(bytes.len()));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensor_alerts_are_triaged_with_their_relation_and_proposal() {
    let Some((app, b)) = app_and_browser("intake").await else {
        return;
    };
    // Tall enough that each screenshot holds the whole page.
    b.d().set_window_rect(0, 0, 1280, 2200).await.unwrap();
    person(&app, "pete", &[Role::Poc]).await;
    person(&app, "root", &[Role::Admin]).await;
    let sensor = app.user("ids", &[Role::Reporter]).await;
    let (status, rules) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/intake/rules",
            Some(&app.admin),
            Some(json!({"version": 0, "rules": [
                {"name": "SSH brute force from the IDS", "source": "suricata", "text": "ssh",
                 "rsit": {"class": "intrusion-attempts", "type": "brute-force"}},
                {"name": "Phishing links", "observable_types": ["url"], "category": "compromise_of_information",
                 "rsit": {"class": "fraud", "type": "phishing"}}
            ]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rules}");
    let alert = |title: &str, reference: &str, severity: &str| {
        json!({
            "title": title,
            "description": "Suricata signature 2003068 matched 40 times in a minute.",
            "source": {"kind": "sensor", "name": "suricata", "ref": reference},
            "severity": severity,
            "assets": ["mail gateway"],
            "observables": [{"type": "ip", "value": "203.0.113.9"}, {"type": "host", "value": "mx1.corp.example"}],
            "attributes": {"dpt": "22", "proto": "TCP", "signature": "ET SCAN Potential SSH Scan <outbound>"},
        })
    };
    let first = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            alert("ET SCAN Potential SSH Scan", "sid-2003068", "high"),
            StatusCode::CREATED,
        )
        .await;
    let a = first["number"].as_str().unwrap().to_owned();
    app.post_ok(
        "/api/v1/events",
        &sensor,
        alert("ET SCAN Potential SSH Scan", "sid-2003068", "high"),
        StatusCode::OK,
    )
    .await;
    let second = app
        .post_ok(
            "/api/v1/events",
            &sensor,
            alert(
                "SSH login succeeded after many failures",
                "sid-2210001",
                "critical",
            ),
            StatusCode::CREATED,
        )
        .await;
    let n = second["number"].as_str().unwrap().to_owned();
    // The relation is for those who triage, not for the sensor's account.
    assert_eq!(second["related"], json!([]));
    let (_, seen) = app.get(&format!("/api/v1/events/{n}"), &app.admin).await;
    assert_eq!(seen["related"][0]["number"], json!(a));
    app.service
        .dead_letter(
            "syslog-tcp",
            "192.0.2.44",
            "not a syslog message: no priority",
            b"GET / HTTP/1.1 <script>alert(1)</script>",
        )
        .await
        .unwrap();

    // The point of contact sees both alerts, the repeat, the relation and the proposal.
    b.sign_in("pete", PASSWORD).await;
    b.open("/triage").await;
    let first_row = b.text(&format!("tr[data-event='{a}']")).await;
    assert!(first_row.contains("2×"), "{first_row}");
    assert!(first_row.contains("Technical attack"), "{first_row}");
    let second_row = b.text(&format!("tr[data-event='{n}']")).await;
    assert!(second_row.contains(&a), "{second_row}");
    assert!(second_row.contains("ip:203.0.113.9"), "{second_row}");
    assert!(second_row.contains("Critical severity"), "{second_row}");
    b.shot("01-triage").await;

    // The event page; the PoC keeps the proposal and records the assessment.
    b.submit(&format!("tr[data-event='{n}'] a.btn")).await;
    assert_eq!(b.path().await, format!("/events/{n}"));
    assert!(
        b.text("#proposal")
            .await
            .contains("SSH brute force from the IDS")
    );
    assert!(b.text("#related").await.contains(&a));
    assert!(b.text("#attributes").await.contains("<outbound>"));
    assert!(
        b.text("#proposal-note")
            .await
            .contains("Leave both as proposed")
    );
    b.shot("02-event").await;
    b.click("input[value=possible_incident]").await;
    b.fill("#notes", "Login after brute force: treat as compromise.")
        .await;
    b.submit("#assess button[type=submit]").await;
    assert_eq!(b.path().await, "/triage");
    let (_, event) = app.get(&format!("/api/v1/events/{n}"), &app.admin).await;
    assert_eq!(event["status"], "escalated");
    assert_eq!(event["assessment"]["category"], "technical_attack");
    assert_eq!(event["assessment"]["rsit"]["type"], "brute-force");
    assert_eq!(event["assessment"]["proposal_confirmed"], true);
    b.open(&format!("/events/{n}")).await;
    assert_eq!(b.text("#proposal-outcome").await, "Confirmed as proposed");
    b.shot("03-event-assessed").await;
    b.sign_out().await;

    // The administrator reads the rules and the dead letter, and adds a rule.
    b.sign_in("root", PASSWORD).await;
    b.open("/admin/intake").await;
    let rules = b.text("#rules").await;
    assert!(rules.contains("SSH brute force from the IDS"), "{rules}");
    assert!(rules.contains("Phishing links"), "{rules}");
    let letters = b.text("#dead-letter-list").await;
    assert!(
        letters.contains("GET / HTTP/1.1 <script>alert(1)</script>"),
        "shown as text: {letters}"
    );
    b.shot("04-admin-intake").await;
    b.fill("#r-name", "Critical alerts").await;
    b.fill("#r-fields", "severity=critical").await;
    b.select("#r-category", "technical_attack").await;
    b.submit("#rule-add button[type=submit]").await;
    assert!(
        b.text(".alert-success")
            .await
            .contains("Rule “Critical alerts” was added as number 3")
    );
    assert!(b.text("#rules").await.contains("severity is “critical”"));
    b.shot("05-admin-rule-added").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_form_keeps_every_answer_recorded_through_the_api() {
    let Some((app, b)) = app_and_browser("review").await else {
        return;
    };
    let poc = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    person(&app, "maria", &[Role::IsirtManager]).await;
    let number = incident(&app, &poc, &ian, "ian", "Ransomware on the file server").await;
    let base = format!("/api/v1/incidents/{number}");
    for (to, extra) in [
        ("responding", json!({})),
        ("recovering", json!({})),
        ("closed", json!({"resolution": "restored from backup"})),
    ] {
        let mut body = json!({"to": to, "reason": format!("moving to {to}")});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(&format!("{base}/transitions"), &ian, body, StatusCode::OK)
            .await;
    }
    let recorded = json!({
        "held_at": "2026-11-30T14:00:30.000000Z",
        "what_worked": "Offline backups",
        "detection": "EDR alerted only on encryption",
        "response": "Nobody knew who may shut the file server down",
        "recovery": "A restore runbook would have saved a day",
        "communication_effective": false,
        "communication_notes": "Staff heard of it from the press",
        "lessons": ["keep backups offline", "name an owner per server"],
        "improvements": [
            {"what": "Write the restore runbook", "owner": "ops", "due": "2027-01-15T00:00:00.000000Z"},
            {"what": "Alert on mass renames", "owner": "soc"}
        ]
    });
    app.post_ok(
        &format!("{base}/review"),
        &ian,
        recorded.clone(),
        StatusCode::CREATED,
    )
    .await;

    // The page shows every answer of the recorded version.
    b.sign_in("maria", PASSWORD).await;
    b.open(&format!("/incidents/{number}")).await;
    let shown = b.text("#review").await;
    for answer in [
        "Offline backups",
        "EDR alerted only on encryption",
        "Nobody knew who may shut the file server down",
        "A restore runbook would have saved a day",
        "Not effective",
        "Staff heard of it from the press",
        "name an owner per server",
        "Write the restore runbook",
        "Alert on mass renames",
        "2027-01-15",
    ] {
        assert!(
            shown.contains(answer),
            "the review does not show {answer}: {shown}"
        );
    }

    // The form starts from the current version: changing one answer and
    // adding an improvement keeps all the others.
    b.click("#review details summary").await;
    b.d()
        .execute("document.getElementById('review').scrollIntoView()", vec![])
        .await
        .unwrap();
    b.shot("01-review-form").await;
    b.fill("#r-worked", "Offline backups and the call tree")
        .await;
    b.fill("#r-imp-2-what", "Rehearse a restore every quarter")
        .await;
    b.fill("#r-imp-2-owner", "ops").await;
    b.submit("#review-form button[type=submit]").await;
    assert_eq!(b.path().await, format!("/incidents/{number}"));
    b.d()
        .execute("document.getElementById('review').scrollIntoView()", vec![])
        .await
        .unwrap();
    b.shot("02-review-recorded").await;

    let (status, review) = app.get(&format!("{base}/review"), &ian).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(review["version"], 2, "{review}");
    let mut expected = recorded;
    expected["what_worked"] = json!("Offline backups and the call tree");
    expected["improvements"]
        .as_array_mut()
        .unwrap()
        .push(json!({"what": "Rehearse a restore every quarter", "owner": "ops"}));
    for (field, value) in expected.as_object().unwrap() {
        let got = &review[field];
        if field == "improvements" {
            let got: Vec<_> = got
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["what"].clone(), i["owner"].clone(), i["due"].clone()))
                .collect();
            let want: Vec<_> = value
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["what"].clone(), i["owner"].clone(), i["due"].clone()))
                .collect();
            assert_eq!(got, want, "improvements: {review}");
        } else {
            assert_eq!(got, value, "{field}: {review}");
        }
    }
    b.quit().await;
}
