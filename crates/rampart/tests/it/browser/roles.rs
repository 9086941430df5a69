//! What each role sees: every link a page offers leads somewhere the person
//! may go (no breadcrumb, card or menu entry ends on "Not allowed"), the
//! dashboard shows only what the role can use, and a reporter never sees how
//! their report was handled inside the ISIRT.

use std::collections::{BTreeSet, VecDeque};

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{Browser, app_and_browser, person};
use crate::evidence::upload;
use crate::helpers::{PASSWORD, incident};

/// Links not to follow: downloads, the live stream, signing out.
fn followable(href: &str) -> bool {
    !(href.ends_with(".csv")
        || href.ends_with("/content")
        || href.ends_with("/bundle")
        || href.starts_with("/live")
        || href.starts_with("/logout"))
}

impl Browser {
    /// Follows every same-site link from `start`, breadth first, up to
    /// `limit` pages; returns the pages that answered "Not allowed", each
    /// with the page that linked to it.
    async fn crawl(&self, start: &str, limit: usize) -> (Vec<String>, usize) {
        let mut seen = BTreeSet::from([start.to_owned()]);
        let mut queue = VecDeque::from([(start.to_owned(), "(start)".to_owned())]);
        let mut refused = Vec::new();
        let mut visited = 0;
        while let Some((path, from)) = queue.pop_front() {
            if visited == limit {
                break;
            }
            visited += 1;
            self.open(&path).await;
            if self.heading().await.contains("Not allowed") {
                refused.push(format!("{path} (linked from {from})"));
                continue;
            }
            let hrefs = self
                .d()
                .execute(
                    "return [...document.querySelectorAll('a[href^=\"/\"]')].map(a => a.getAttribute('href'))",
                    vec![],
                )
                .await
                .unwrap();
            let hrefs: Vec<String> = serde_json::from_value(hrefs.json().clone()).unwrap();
            for href in hrefs {
                let href = href.split('#').next().unwrap_or_default().to_owned();
                if !href.is_empty() && followable(&href) && seen.insert(href.clone()) {
                    queue.push_back((href, path.clone()));
                }
            }
        }
        (refused, visited)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_link_leads_a_role_to_a_refusal_and_reporters_see_no_internal_notes() {
    let Some((app, b)) = app_and_browser("roles").await else {
        return;
    };
    let manager = person(&app, "mia", &[Role::IsirtManager, Role::Poc]).await;
    let reporter = person(&app, "rita", &[Role::Reporter]).await;
    person(&app, "pat", &[Role::Poc]).await;
    person(&app, "audrey", &[Role::Auditor]).await;
    person(&app, "ada", &[Role::Admin]).await;

    // Rita's report, assessed with a note meant for the ISIRT only.
    let evt = app
        .post_ok(
            "/api/v1/events",
            &reporter,
            json!({"title": "Odd pop-up asking for my password", "description": "It looked like the sign-in page"}),
            StatusCode::CREATED,
        )
        .await["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_ok(
        &format!("/api/v1/events/{evt}/assessment"),
        &manager,
        json!({"decision": "possible_incident", "escalate": true, "notes": "INTERNAL: same kit as the payroll phish; reporter clicked through"}),
        StatusCode::OK,
    )
    .await;
    let inc = incident(
        &app,
        &manager,
        &manager,
        "mia",
        "Phishing kit on a look-alike domain",
    )
    .await;
    upload(&app, &manager, &inc, "headers.eml", b"Received: from evil").await;

    // Rita: her report links to it, and the page holds nothing of the handling.
    b.sign_in("rita", PASSWORD).await;
    b.open("/dashboard").await;
    let dashboard = b.source().await;
    for section in [
        "Overdue response actions",
        "My assignments",
        "Open incidents",
    ] {
        assert!(
            !dashboard.contains(section),
            "a reporter's dashboard shows {section}"
        );
    }
    b.click(&format!("a[href=\"/events/{evt}\"]")).await;
    assert_eq!(b.path().await, format!("/events/{evt}"));
    let page = b.source().await;
    assert!(
        !page.contains("INTERNAL"),
        "a reporter sees the assessment notes"
    );
    assert!(!page.contains("id=\"assessment\""));
    b.shot("reporter-event").await;
    let (refused, visited) = b.crawl("/dashboard", 40).await;
    assert!(refused.is_empty(), "rita is refused: {refused:?}");
    assert!(visited >= 4, "rita's pages were crawled: {visited}");
    b.sign_out().await;

    // The auditor and the admin read but do not coordinate: no card for it.
    for who in ["audrey", "ada", "pat"] {
        b.sign_in(who, PASSWORD).await;
        b.open("/dashboard").await;
        let page = b.source().await;
        assert!(!page.contains("Open incidents I coordinate"), "{who}");
        assert!(!page.contains("My assignments"), "{who}");
        b.shot(&format!("dashboard-{who}")).await;
        let (refused, visited) = b.crawl("/dashboard", 60).await;
        assert!(refused.is_empty(), "{who} is refused: {refused:?}");
        assert!(visited >= 5, "{who}'s pages were crawled: {visited}");
        b.sign_out().await;
    }

    // The ISIRT manager has both, and no link of theirs is refused either.
    b.sign_in("mia", PASSWORD).await;
    assert!(b.source().await.contains("Open incidents I coordinate"));
    let (refused, _) = b.crawl("/dashboard", 60).await;
    assert!(refused.is_empty(), "mia is refused: {refused:?}");
    b.quit().await;
}
