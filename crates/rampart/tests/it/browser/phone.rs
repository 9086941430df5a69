//! Every main page at a phone's width (390 CSS pixels): the document is
//! never wider than the screen, whatever role looks at it. A page that
//! overflows is named with the element that sticks out furthest.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Browser, app_and_browser, person};
use crate::evidence::upload;
use crate::helpers::{PASSWORD, TestApp, incident, reported_event};

/// The width of a common phone's screen, in CSS pixels.
const PHONE: u32 = 390;

/// The document's width, the viewport's, and the element reaching furthest
/// right outside any scrolling box.
const MEASURE: &str = r#"
// What the page may fill: the window less its vertical scroll bar.
const view = document.documentElement.clientWidth;
const clipped = (e) => {
  // What is positioned absolutely is clipped only by its containing block and above.
  const start = getComputedStyle(e).position === 'absolute' ? e.offsetParent : e.parentElement;
  for (let a = start; a && a !== document.body; a = a.parentElement) {
    if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
  }
  return false;
};
let widest = null, right = 0;
for (const e of document.body.querySelectorAll('*')) {
  const r = e.getBoundingClientRect();
  if (r.right > right && !clipped(e)) { right = r.right; widest = e; }
}
const name = widest ? widest.tagName.toLowerCase() + (widest.id ? '#' + widest.id : '')
  + (widest.className && typeof widest.className === 'string' ? '.' + widest.className.trim().split(/\s+/).join('.') : '') : '';
return [document.documentElement.scrollWidth, view, name, Math.round(right), window.innerWidth];
"#;

impl Browser {
    /// Makes the page as wide as a phone's screen, for every page opened after.
    async fn phone(&self) {
        self.d().set_window_rect(0, 0, PHONE, 844).await.unwrap();
    }

    /// Opens `path` and returns a complaint when the document is wider than the screen.
    async fn overflow(&self, path: &str, shot: &str) -> Option<String> {
        self.open(path).await;
        let v = self.d().execute(MEASURE, vec![]).await.unwrap();
        let m: Vec<Value> = serde_json::from_value(v.json().clone()).unwrap();
        self.shot(shot).await;
        let (doc, view) = (m[0].as_u64().unwrap(), m[1].as_u64().unwrap());
        assert_eq!(
            m[4].as_u64(),
            Some(u64::from(PHONE)),
            "the window is a phone's"
        );
        (doc > view).then(|| {
            format!(
                "{path} is {doc}px wide on a {view}px screen ({} reaches {}px)",
                m[2], m[3]
            )
        })
    }
}

/// An incident with everything a workspace can show: log, actions (one
/// needing approval, one overdue), evidence and a review.
async fn busy_incident(app: &TestApp, poc: &str, manager: &str) -> (String, String) {
    let inc = incident(
        app,
        poc,
        manager,
        "mia",
        "Ransomware note on the finance file server with a long title that has to wrap",
    )
    .await;
    app.post_ok(
        &format!("/api/v1/incidents/{inc}/log"),
        manager,
        json!({"action": "Isolated fs-finance-01 from the network at the switch port (Gi1/0/24) and took a memory image", "decision": "contain first", "reason": "encryption still running"}),
        StatusCode::CREATED,
    )
    .await;
    for (what, approval, due) in [
        (
            "Take fs-finance-01 offline and keep it powered for forensics",
            true,
            "2026-01-02T10:00:00Z",
        ),
        (
            "Reset the service account passwords used on the finance shares",
            false,
            "2099-01-02T10:00:00Z",
        ),
    ] {
        app.post_ok(
            &format!("/api/v1/incidents/{inc}/actions"),
            manager,
            json!({"what": what, "owner": "mia", "due": due, "requires_approval": approval}),
            StatusCode::CREATED,
        )
        .await;
    }
    let item = upload(
        app,
        manager,
        &inc,
        "fs-finance-01-memory.lime",
        b"memory image bytes",
    )
    .await;
    (inc, item["number"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_fits_a_phone_screen() {
    let Some((app, b)) = app_and_browser("phone").await else {
        return;
    };
    let manager = person(&app, "mia", &[Role::IsirtManager, Role::Poc]).await;
    person(&app, "ada", &[Role::Admin]).await;
    let reporter = person(&app, "rita", &[Role::Reporter]).await;
    let evt = reported_event(&app, &reporter, "Odd pop-up asking for my password").await;
    let (inc, evd) = busy_incident(&app, &manager, &manager).await;
    let vul = app.post_ok(
        "/api/v1/vulnerabilities",
        &reporter,
        json!({"title": "Printer admin page has the default password", "description": "admin/admin works", "assets": ["printer-3"]}),
        StatusCode::CREATED,
    )
    .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    person(&app, "audrey", &[Role::Auditor]).await;
    b.phone().await;

    let mut complaints = Vec::new();
    let pages: [(&str, &[(String, &str)]); 4] = [
        (
            "rita",
            &[
                ("/dashboard".into(), "reporter-dashboard"),
                ("/report".into(), "report"),
                (format!("/report/{evt}"), "report-done"),
                ("/account".into(), "account"),
                ("/vulnerabilities".into(), "my-vulnerabilities"),
                (format!("/vulnerabilities/{vul}"), "my-vulnerability"),
            ],
        ),
        (
            "mia",
            &[
                ("/dashboard".into(), "dashboard"),
                ("/triage".into(), "triage"),
                (format!("/events/{evt}"), "event"),
                ("/incidents".into(), "incidents"),
                (format!("/incidents/{inc}"), "incident"),
                (format!("/evidence/{evd}"), "evidence"),
                ("/vulnerabilities".into(), "vulnerabilities"),
                (format!("/vulnerabilities/{vul}"), "vulnerability"),
            ],
        ),
        ("audrey", &[("/journal".into(), "journal")]),
        (
            "ada",
            &[
                ("/admin/users".into(), "admin-users"),
                ("/admin/tokens".into(), "admin-tokens"),
                ("/admin/jobs".into(), "admin-jobs"),
                ("/admin/intake".into(), "admin-intake"),
            ],
        ),
    ];
    if let Some(c) = b.overflow("/login", "login").await {
        complaints.push(c);
    }
    for (who, paths) in pages {
        b.sign_in(who, PASSWORD).await;
        for (path, shot) in paths {
            if let Some(c) = b.overflow(path, shot).await {
                complaints.push(c);
            }
        }
        b.sign_out().await;
    }
    assert!(complaints.is_empty(), "{}", complaints.join("\n"));
    b.quit().await;
}
