//! The full incident record in the browser: the ISIRT edits every part of
//! it, previews the class without saving, overrides the class with a
//! justification, relates another incident, and sees the override on the
//! workspace and in the register; the confirm form asks for every factor
//! and previews the class.

use rampart_domain::Role;
use serde_json::json;

use super::{Browser, app_and_browser, person};
use crate::helpers::{PASSWORD, escalated_event, incident};

/// Sets an input's value as a person picking from its widget would
/// (`datetime-local` typing depends on the browser's locale).
async fn set(b: &Browser, css: &str, value: &str) {
    b.d()
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

async fn width(b: &Browser, w: u32) {
    size(b, w, 1000).await;
}

async fn size(b: &Browser, w: u32, h: u32) {
    b.d().set_window_rect(0, 0, w, h).await.unwrap();
}

/// Whether the page is wider than the window (something overflows).
async fn overflows(b: &Browser) -> bool {
    b.d()
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap()
        .json()
        == &json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_isirt_edits_the_full_record_with_a_class_preview_and_override() {
    let Some((app, b)) = app_and_browser("record").await else {
        return;
    };
    let poc = person(&app, "pete", &[Role::Poc]).await;
    let ines = person(&app, "ines", &[Role::IsirtMember]).await;
    let n = incident(&app, &poc, &ines, "ines", "Ransomware on the file server").await;
    let other = incident(&app, &poc, &ines, "ines", "Phishing wave before the attack").await;

    b.sign_in("ines", PASSWORD).await;
    b.open(&format!("/incidents/{n}")).await;
    assert!(
        b.text("#record-gaps").await.contains("Not recorded yet"),
        "an empty record says what is missing"
    );
    b.submit("#edit-record").await;
    assert_eq!(b.path().await, format!("/incidents/{n}/edit"));

    // Every part of the record.
    b.fill("#e-how", "A phishing mail with a macro").await;
    b.fill("#e-why", "Macros were allowed for everyone").await;
    b.select("#e-rsit", "malicious-code/infected-system").await;
    b.select("#e-actuality", "actual").await;
    b.fill("#e-assets", "fs-01\nbackup-02").await;
    b.fill("#e-confidentiality-description", "HR share read")
        .await;
    b.fill("#e-confidentiality-value", "12000.50").await;
    b.fill("#e-confidentiality-cost", "800").await;
    b.fill("#e-availability-description", "File server down two days")
        .await;
    b.fill("#e-availability-cost", "4300.25").await;
    b.fill("#e-recovery-total", "15100.75").await;
    b.fill("#e-recovery-notes", "Overtime of two administrators")
        .await;
    b.select("#e-perp-kind", "group").await;
    b.fill("#e-perp-description", "A known ransomware crew")
        .await;
    b.select("#e-motive-kind", "financial").await;
    set(&b, "#e-occurred", "2026-11-01T08:00:00").await;
    set(&b, "#e-discovered", "2026-11-01T09:30:00").await;
    set(&b, "#e-inv-started", "2026-11-02T08:00:00").await;
    b.fill("#e-inv-people", "ines\nOutside Forensics Ltd").await;
    b.fill("#e-inv-report", "FOR-2026-17").await;
    b.select("#e-significant", "true").await;
    b.fill("#e-conclusion", "Customer data was read").await;
    b.fill("#e-n-0-who", "Data protection officer").await;
    b.select("#e-n-0-party", "internal").await;
    b.fill("#e-n-0-note", "By phone").await;
    b.fill("#e-n-1-who", "National CSIRT").await;
    b.select("#e-n-1-party", "external").await;

    // The factors change the preview as they are chosen (the script) …
    b.select("#e-imp", "particularly_important").await;
    b.select("#e-bl", "especially_serious").await;
    assert!(
        b.text("#class-preview")
            .await
            .contains("Class IV (Emergency)"),
        "{}",
        b.text("#class-preview").await
    );
    // … and Preview asks the server, which saves nothing.
    let before = app.journal_len().await;
    b.submit("#preview-button").await;
    assert_eq!(
        app.journal_len().await,
        before,
        "a preview journals nothing"
    );
    let preview = b.text("#class-preview").await;
    assert!(
        preview.contains("Class IV (Emergency) · priority P1"),
        "{preview}"
    );
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#e-how"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("A phishing mail with a macro"),
        "the preview keeps what was typed"
    );

    // An override with its justification.
    b.select("#e-override", "III").await;
    b.fill(
        "#e-justification",
        "Contained within the hour; no customer impact yet",
    )
    .await;
    assert!(
        b.text("#class-preview")
            .await
            .contains("override: computed IV"),
        "{}",
        b.text("#class-preview").await
    );
    b.shot("01-edit-form").await;
    for (section, name) in [
        ("#edit-impact", "01b-edit-impact"),
        ("#edit-times", "01c-edit-times"),
    ] {
        b.d()
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView();",
                vec![json!(section)],
            )
            .await
            .unwrap();
        b.shot(name).await;
    }
    b.submit("#save-record").await;
    assert_eq!(
        b.path().await,
        format!("/incidents/{n}"),
        "{}",
        b.source().await
    );
    let class = b.text("#incident-class").await;
    assert!(
        class.contains("Class III")
            && class.contains("override: computed IV")
            && class.contains("Contained within the hour"),
        "{class}"
    );
    let record = b.text("#record").await;
    for shown in [
        "A phishing mail with a macro",
        "HR share read",
        "EUR 12,000.50",
        "EUR 5,100.25",
        "EUR 15,100.75",
        "Group · A known ransomware crew",
        "Financial",
        "FOR-2026-17",
        "Significant: Customer data was read",
        "Data protection officer",
        "National CSIRT",
    ] {
        assert!(record.contains(shown), "{shown} not in: {record}");
    }
    assert_eq!(b.text("#cia-total-cost").await, "EUR 5,100.25");
    let details = b.text("#details").await;
    assert!(details.contains("malicious-code"), "{details}");
    assert!(details.contains("Occurred"), "{details}");

    // The journal has the before and after of the edit.
    let (_, inc) = app.get(&format!("/api/v1/incidents/{n}"), &ines).await;
    assert_eq!(inc["severity"]["override"]["class"], "III");
    assert_eq!(inc["recovery_cost_total"]["amount"], json!(15100.75));

    // Related incidents: link one, from the workspace.
    b.fill("#rel-incident", &other).await;
    b.submit("#relate-form button[type=submit]").await;
    assert!(b.text("#related-incidents").await.contains(&other));
    b.fill("#rel-incident", "INC-2026-0999").await;
    b.submit("#relate-form button[type=submit]").await;
    assert!(
        b.text("#relate-form")
            .await
            .contains("no incident INC-2026-0999"),
        "{}",
        b.text("#relate-form").await
    );
    b.open(&format!("/incidents/{n}")).await;
    size(&b, 1280, 2600).await;
    b.shot("02-workspace-full-record").await;
    width(&b, 390).await;
    b.shot("03-workspace-390").await;
    assert!(!overflows(&b).await, "the workspace overflows at 390 px");
    b.open(&format!("/incidents/{n}/edit")).await;
    b.shot("04-edit-form-390").await;
    assert!(!overflows(&b).await, "the edit form overflows at 390 px");
    width(&b, 1280).await;

    // A refused amount is named beside its field; nothing is saved.
    let before = app.journal_len().await;
    b.fill("#e-recovery-total", "-5").await;
    b.submit("#save-record").await;
    assert_eq!(app.journal_len().await, before);
    let refused = b.text("#edit-impact .has-error").await;
    assert!(refused.contains("must not be negative"), "{refused}");
    b.fill("#e-recovery-total", "15100.75").await;

    // Saving the form unchanged says so, and journals nothing.
    b.submit("#save-record").await;
    assert!(
        b.text("#edit-notice").await.contains("Nothing changed"),
        "{}",
        b.source().await
    );
    assert_eq!(app.journal_len().await, before);

    // Clearing a field clears it.
    b.fill("#e-perp-description", "").await;
    b.select("#e-perp-kind", "").await;
    b.submit("#save-record").await;
    assert_eq!(b.path().await, format!("/incidents/{n}"));
    let (_, inc) = app.get(&format!("/api/v1/incidents/{n}"), &ines).await;
    assert!(inc["perpetrator"].is_null(), "{inc}");

    // The register shows the override.
    b.open("/incidents").await;
    let row = b
        .text(&format!(
            "#incident-register tr:has(a[href='/incidents/{n}'])"
        ))
        .await;
    assert!(row.contains("override: computed IV"), "{row}");
    b.shot("05-register").await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirm_form_asks_for_every_factor_and_previews_the_class() {
    let Some((app, b)) = app_and_browser("confirm_preview").await else {
        return;
    };
    let poc = person(&app, "pete", &[Role::Poc]).await;
    person(&app, "ines", &[Role::IsirtMember]).await;
    let e = escalated_event(&app, &poc, "Unknown admin account on the VPN").await;
    b.sign_in("ines", PASSWORD).await;
    b.open(&format!("/events/{e}")).await;
    // No factor is chosen for the analyst.
    for id in ["#c-imp", "#c-bl", "#c-si", "#c-effort"] {
        let chosen = b
            .d()
            .execute(
                "return document.querySelector(arguments[0]).value;",
                vec![json!(id)],
            )
            .await
            .unwrap();
        assert_eq!(chosen.json(), &json!(""), "{id} starts unchosen");
    }
    b.select("#c-category", "compromise_of_functions").await;
    b.select("#c-imp", "important").await;
    b.select("#c-bl", "serious").await;
    b.select("#c-effort", "medium").await;
    assert!(
        b.text("#confirm-preview")
            .await
            .contains("choose the three factors")
    );
    // Without the browser's own check, the server refuses the missing factor by name.
    b.d()
        .execute(
            "document.querySelectorAll('#confirm [required]').forEach(function (e) { e.removeAttribute('required'); });",
            vec![],
        )
        .await
        .unwrap();
    let before = app.journal_len().await;
    b.submit("#confirm .btn-primary").await;
    assert_eq!(app.journal_len().await, before);
    assert!(
        b.text("#confirm").await.contains("is required"),
        "{}",
        b.text("#confirm").await
    );
    assert!(
        b.source().await.contains("Severity: social impact"),
        "the refusal names the field"
    );
    b.shot("00-confirm-refused").await;
    // Preview: the server's answer, nothing confirmed.
    b.select("#c-si", "minor").await;
    assert!(
        b.text("#confirm-preview")
            .await
            .contains("Class III (Critical)")
    );
    b.submit("#confirm-preview-button").await;
    assert_eq!(
        app.journal_len().await,
        before,
        "a preview confirms nothing"
    );
    let preview = b.text("#confirm-preview").await;
    assert!(
        preview.contains("Class III (Critical) · priority P5"),
        "{preview}"
    );
    b.shot("01-confirm-form").await;
    width(&b, 390).await;
    b.shot("02-confirm-form-390").await;
    assert!(!overflows(&b).await, "the event page overflows at 390 px");
    width(&b, 1280).await;
    b.submit("#confirm .btn-primary").await;
    assert!(
        b.path().await.starts_with("/incidents/INC-"),
        "{}",
        b.source().await
    );
    b.quit().await;
}
