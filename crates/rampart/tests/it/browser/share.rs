//! Sharing from the workspace: the incident page offers its own marking and
//! the narrower audiences; the downloads are the STIX bundle, the MISP
//! event and the IODEF document for the audience chosen, without the
//! observables it may not receive, and are journaled. A manager publishes
//! it on the MISP feed.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_downloaded_as_stix_for_an_audience() {
    let Some((app, b)) = app_and_browser("share").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    let n = incident(&app, &ian, &ian, "ian", "Phishing wave").await;
    for (value, tlp) in [("198.51.100.7", "GREEN"), ("203.0.113.9", "RED")] {
        app.post_ok(
            &format!("/api/v1/incidents/{n}/observables"),
            &ian,
            json!({"type": "ip", "value": value, "tlp": tlp, "ioc": true}),
            StatusCode::CREATED,
        )
        .await;
    }

    b.sign_in("ian", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    // The incident is TLP:AMBER: AMBER and AMBER+STRICT, never GREEN or RED.
    let offered = b.text("#share-audience").await;
    assert!(
        offered.contains("TLP:AMBER") && offered.contains("TLP:AMBER+STRICT"),
        "{offered}"
    );
    assert!(
        !offered.contains("GREEN") && !offered.contains("RED"),
        "{offered}"
    );
    let card = b.d().find(thirtyfour::By::Css("#share")).await.unwrap();
    card.screenshot(&super::shots_dir().join("share-card.png"))
        .await
        .unwrap();

    // What each of the form's buttons downloads, fetched in the page with
    // the session: the STIX bundle (the form's own action), the MISP event
    // and the IODEF document; each journaled.
    for (i, (file, kind, marker)) in [
        (
            "stix.json",
            "application/stix+json;version=2.1",
            "\"bundle\"",
        ),
        ("misp.json", "application/json", "\"Attribute\""),
        ("iodef.xml", "application/xml", "<IODEF-Document"),
    ]
    .into_iter()
    .enumerate()
    {
        let seq = app.journal_len().await;
        let got = b
            .d()
            .execute(
                "const button = document.querySelectorAll('#share-form button')[arguments[0]];
                 return fetch((button.getAttribute('formaction') || button.form.action) + '?audience=AMBER')
                   .then(r => r.text().then(t => r.headers.get('content-disposition') + '\\n'
                     + r.headers.get('content-type') + '\\n' + t))",
                vec![json!(i)],
            )
            .await
            .unwrap();
        let got = got.json().as_str().unwrap_or_default().to_owned();
        assert!(
            got.starts_with(&format!(
                "attachment; filename=\"{n}-AMBER.{file}\"\n{kind}\n"
            )),
            "{got}"
        );
        assert!(
            got.contains(marker) && got.contains("198.51.100.7") && !got.contains("203.0.113.9"),
            "{got}"
        );
        assert_eq!(app.changes_after(seq).await, ["incident.exported"]);
    }

    // A member may not publish it; the manager does, on the AMBER feed.
    assert!(!b.source().await.contains("id=\"publish-form\""));
    person(&app, "mia", &[Role::IsirtManager]).await;
    b.sign_out().await;
    b.sign_in("mia", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    assert!(b.text("#published").await.contains("Not on the MISP feed"));
    b.select("#publish-audience", "AMBER").await;
    b.submit("#publish-form button[type=submit]").await;
    let published = b.text("#published").await;
    assert!(published.contains("On the MISP feed for"), "{published}");
    let card = b.d().find(thirtyfour::By::Css("#share")).await.unwrap();
    card.screenshot(&super::shots_dir().join("share-published.png"))
        .await
        .unwrap();
    let (_, manifest) = app
        .get("/api/v1/feeds/misp/amber/manifest.json", &ian)
        .await;
    assert_eq!(manifest.as_object().unwrap().len(), 1, "{manifest}");
}
