//! Evidence through the web UI as a browser uses it: the upload form of the
//! incident workspace (multipart, with the page's token), the item page with
//! its chain of custody, downloads, transfers, verification, legal hold and
//! disposal forms, refusals shown as pages, the role table and need-to-know.

use rampart_domain::Role;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE, ORIGIN, REFERER};
use reqwest::multipart::{Form, Part};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, incident};
use crate::web::{Page, WebClient, between, person};

crate::on_both_backends!(
    evidence_goes_from_the_upload_form_to_the_custody_timeline,
    a_legal_hold_keeps_disposal_away_until_released,
    uploads_without_the_token_or_fields_store_nothing,
    auditors_see_evidence_without_handling_it,
    evidence_of_a_restricted_incident_is_not_found_on_the_web,
    altered_content_is_refused_with_a_page_and_an_alarm,
);

const METADATA: [(&str, &str); 8] = [
    ("description", "Raw mail of the phishing message"),
    ("found_at", "mailbox of rita@example.org"),
    ("collected_by", "Ian (ISIRT)"),
    ("collected_at", "2026-01-10T09:00:00Z"),
    ("tool", "mail export 2.1"),
    ("reason", "shows the sender infrastructure"),
    ("tlp", "RED"),
    ("location", "evidence locker 3"),
];

/// Content that is not text, so a lossy conversion would show.
fn content(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 7919 + i / 251) % 256).unwrap())
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A multipart form as the upload form sends it: the fields in order, then the file.
fn upload_form(fields: &[(&str, &str)], file: Option<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    if let Some((name, bytes)) = file {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("message/rfc822")
                .unwrap(),
        );
    }
    form
}

/// Posts a multipart form from this site, as the browser would.
async fn post_multipart(web: &WebClient, path: &str, form: Form) -> Page {
    let origin = web.origin();
    web.send(
        web.http
            .post(format!("{}{path}", web.base))
            .header(ORIGIN, origin)
            .multipart(form),
    )
    .await
}

/// Uploads through the workspace's form with the page's token; returns the item number.
async fn upload(web: &WebClient, inc: &str, name: &str, bytes: &[u8]) -> String {
    let workspace = web.get(&format!("/incidents/{inc}")).await;
    workspace.assert_status(StatusCode::OK);
    let csrf = workspace.csrf();
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(&METADATA);
    let page = post_multipart(
        web,
        &format!("/incidents/{inc}/evidence"),
        upload_form(&fields, Some((name, bytes.to_vec()))),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.location.unwrap();
    let number = to.strip_prefix("/evidence/").unwrap().to_owned();
    assert!(number.starts_with("EVD-"), "{to}");
    number
}

/// A GET whose body is bytes (downloads, bundles).
async fn fetch(web: &WebClient, path: &str) -> reqwest::Response {
    web.http
        .get(format!("{}{path}", web.base))
        .header(COOKIE, format!("rampart_session={}", web.session()))
        .send()
        .await
        .unwrap()
}

/// The custody journal of an item: its actions in order.
async fn custody_actions(app: &TestApp, token: &str, evd: &str) -> Vec<String> {
    let (status, view) = app.get(&format!("/api/v1/evidence/{evd}"), token).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

/// The custody table of an item page.
fn custody_table(page: &Page) -> &str {
    between(
        &page.body,
        r#"<table class="data" id="custody">"#,
        "</table>",
    )
    .unwrap_or_else(|| panic!("no custody table: {}", page.body))
}

/// The rows of the workspace's evidence table.
fn evidence_table(page: &Page) -> &str {
    between(
        &page.body,
        r#"<table class="data" id="evidence-items">"#,
        "</table>",
    )
    .unwrap_or_else(|| panic!("no evidence table: {}", page.body))
}

// ----- 1. upload, item page, download, transfer, verification, bundle ---------------------

async fn evidence_goes_from_the_upload_form_to_the_custody_timeline(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Phishing wave against payroll").await;

    // The workspace offers the upload form, its token before the file input.
    let workspace = ian.get(&format!("/incidents/{inc}")).await;
    workspace.assert_status(StatusCode::OK);
    assert!(
        workspace
            .body
            .contains(r#"<section class="card" id="evidence">"#)
    );
    assert!(workspace.body.contains("No evidence recorded."));
    let form = between(&workspace.body, r#"id="evidence-upload">"#, "</form>").unwrap();
    let at = workspace.body.find(r#"id="evidence-upload">"#).unwrap();
    let opening = &workspace.body[workspace.body[..at].rfind("<form ").unwrap()..at];
    assert!(opening.contains(&format!(r#"action="/incidents/{inc}/evidence""#)));
    assert!(opening.contains(r#"enctype="multipart/form-data""#));
    let token = form.find(r#"name="csrf""#).unwrap();
    let file = form.find(r#"type="file""#).unwrap();
    assert!(token < file, "the token must come before the file");
    for field in [
        "description",
        "found_at",
        "collected_by",
        "collected_at",
        "tool",
        "reason",
        "tlp",
        "location",
        "file",
    ] {
        assert!(form.contains(&format!(r#"name="{field}""#)), "{field}");
    }

    let bytes = content(200 * 1024 + 17);
    let sha = sha256(&bytes);
    let evd = upload(&ian, &inc, "phish.eml", &bytes).await;

    // The item page: every piece of metadata and the first custody entry.
    let page = ian.get(&format!("/evidence/{evd}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.title(), Some(evd.as_str()));
    assert_eq!(page.heading(), Some("Raw mail of the phishing message"));
    let meta = between(&page.body, r#"id="evidence-meta">"#, "</dl>").unwrap();
    for shown in [
        "Raw mail of the phishing message",
        "mailbox of rita@example.org",
        "Ian (ISIRT)",
        "2026-01-10 09:00 UTC",
        "mail export 2.1",
        "shows the sender infrastructure",
        "TLP:RED",
        "phish.eml",
        "message/rfc822",
        "200.0 KiB",
        &format!(r#"<code id="sha256">{sha}</code>"#),
        "by ian",
    ] {
        assert!(meta.contains(shown), "{shown}: {meta}");
    }
    assert!(page.body.contains(r#"<strong id="custodian">ian</strong>"#));
    assert!(
        page.body
            .contains(r#"<dd id="location">evidence locker 3</dd>"#)
    );
    assert!(page.body.contains(&format!(
        r#"href="/incidents/{inc}">Phishing wave against payroll</a>"#
    )));
    let custody = custody_table(&page);
    assert!(custody.contains("Collected and recorded"), "{custody}");
    assert!(
        custody.contains(&format!("<code>{sha}</code>")),
        "{custody}"
    );
    // A member may download, verify and transfer, but not hold or dispose.
    assert!(
        page.body
            .contains(&format!(r#"href="/evidence/{evd}/content""#))
    );
    for form in ["evidence-verify", "evidence-transfer"] {
        assert!(page.body.contains(&format!(r#"id="{form}""#)), "{form}");
    }
    for form in ["evidence-hold", "evidence-dispose"] {
        assert!(!page.body.contains(&format!(r#"id="{form}""#)), "{form}");
    }

    // The workspace lists it.
    let workspace = ian.get(&format!("/incidents/{inc}")).await;
    let table = evidence_table(&workspace);
    assert!(
        table.contains(&format!(r#"href="/evidence/{evd}""#)),
        "{table}"
    );
    assert!(table.contains("Raw mail of the phishing message"));
    assert!(table.contains("phish.eml"));
    assert!(table.contains("200.0 KiB"));
    assert!(table.contains(&format!(r#"title="{sha}">{}…</code>"#, &sha[..12])));
    assert!(table.contains("TLP:RED"));
    assert!(!table.contains("legal hold") && !table.contains("integrity alarm"));
    assert!(
        workspace
            .body
            .contains(&format!(r#"href="/incidents/{inc}/evidence/bundle""#))
    );

    // Another site cannot make the browser download it (each download is recorded).
    let before = app.journal_len().await;
    let resp = ian
        .http
        .get(format!("{}/evidence/{evd}/content", ian.base))
        .header(COOKIE, format!("rampart_session={}", ian.session()))
        .header(REFERER, "http://evil.example/page")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.journal_len().await, before);

    // Download through the web route: the same bytes, as an attachment.
    let resp = fetch(&ian, &format!("/evidence/{evd}/content")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[CONTENT_TYPE].to_str().unwrap(),
        "application/octet-stream"
    );
    let disposition = resp.headers()[CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let got = resp.bytes().await.unwrap();
    assert_eq!(got.len(), bytes.len());
    assert!(
        got.as_ref() == bytes.as_slice(),
        "the downloaded bytes differ"
    );

    // Custody moves through the form and shows in the timeline.
    let page = ian
        .submit(
            &format!("/evidence/{evd}/transfer"),
            &[
                ("to", "DC Smith"),
                ("reason", "handed to the police"),
                ("location", "seal 0042"),
            ],
        )
        .await;
    page.assert_redirect(&format!("/evidence/{evd}"));
    // A transfer with a required field missing names it and changes nothing.
    let before = app.journal_len().await;
    let refused = ian
        .submit(
            &format!("/evidence/{evd}/transfer"),
            &[("to", "someone else")],
        )
        .await;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.alert().unwrap().contains("<strong>Reason</strong>"),
        "{:?}",
        refused.alert()
    );
    assert_eq!(app.journal_len().await, before);

    ian.submit(&format!("/evidence/{evd}/verify"), &[])
        .await
        .assert_redirect(&format!("/evidence/{evd}"));

    let page = ian.get(&format!("/evidence/{evd}")).await;
    assert!(
        page.body
            .contains(r#"<strong id="custodian">DC Smith</strong>"#)
    );
    assert!(page.body.contains(r#"<dd id="location">seal 0042</dd>"#));
    let custody = custody_table(&page);
    for shown in [
        "Downloaded (content verified first)",
        "Custody transferred",
        "ian → DC Smith",
        "handed to the police",
        "seal 0042",
        "Verified: content intact",
    ] {
        assert!(custody.contains(shown), "{shown}: {custody}");
    }
    let last_check = between(&page.body, r#"<dd id="last-check">"#, "</dd>").unwrap();
    assert!(last_check.starts_with("Intact"), "{last_check}");

    // The bundle link gives the signed archive, each export recorded.
    let resp = fetch(&ian, &format!("/incidents/{inc}/evidence/bundle")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[CONTENT_TYPE].to_str().unwrap(),
        "application/x-tar"
    );
    let tar = resp.bytes().await.unwrap();
    assert!(tar.len() > bytes.len());
    let page = ian.get(&format!("/evidence/{evd}")).await;
    assert!(custody_table(&page).contains("Exported in a signed bundle"));

    assert_eq!(
        custody_actions(&app, &ti, &evd).await,
        [
            "evidence.collected",
            "evidence.downloaded",
            "evidence.transferred",
            "evidence.verified",
            "evidence.exported",
        ]
    );
    let (_, item) = app.get(&format!("/api/v1/evidence/{evd}"), &ti).await;
    assert_eq!(item["recorded_by"], "ian");
    assert_eq!(item["tlp"], "RED");
    assert_eq!(item["content"]["sha256"], json!(sha));
}

// ----- 2. legal hold and disposal ---------------------------------------------------------

async fn a_legal_hold_keeps_disposal_away_until_released(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let (_, mia) = person(&app, "mia", &[Role::IsirtManager]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Laptop stolen from a car").await;
    let bytes = content(4096);
    let sha = sha256(&bytes);
    let evd = upload(&ian, &inc, "disk.img", &bytes).await;
    let item_page = format!("/evidence/{evd}");

    // The manager is offered both the hold and the disposal.
    let page = mia.get(&item_page).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(r#"id="evidence-hold""#));
    assert!(page.body.contains(r#"name="mode" value="place""#));
    assert!(page.body.contains(r#"id="evidence-dispose""#));

    // A member may do neither.
    let before = app.journal_len().await;
    for (path, form) in [
        (
            format!("{item_page}/hold"),
            vec![("mode", "place"), ("reason", "mine")],
        ),
        (format!("{item_page}/dispose"), vec![("reason", "mine")]),
    ] {
        let page = ian.submit(&path, &form).await;
        page.assert_status(StatusCode::FORBIDDEN);
        assert_eq!(page.heading(), Some("Not allowed"));
    }
    assert_eq!(app.journal_len().await, before);

    mia.submit(
        &format!("{item_page}/hold"),
        &[("mode", "place"), ("reason", "litigation expected")],
    )
    .await
    .assert_redirect(&item_page);
    let page = mia.get(&item_page).await;
    assert!(
        page.body
            .contains(r#"<span class="badge evidence-hold">legal hold</span>"#)
    );
    assert!(
        !page.body.contains(r#"id="evidence-dispose""#),
        "no disposal form under hold"
    );
    let held = between(&page.body, r#"<p id="dispose-held">"#, "</p>").unwrap();
    assert!(held.contains("legal hold") && held.contains("litigation expected"));
    assert!(page.body.contains(r#"name="mode" value="release""#));
    assert!(custody_table(&page).contains("Legal hold placed"));
    let workspace = ian.get(&format!("/incidents/{inc}")).await;
    assert!(evidence_table(&workspace).contains("legal hold"));

    // Posting the disposal anyway is refused, naming the hold, and changes nothing.
    let before = app.journal_len().await;
    let page = mia
        .submit(&format!("{item_page}/dispose"), &[("reason", "retention")])
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    let alert = page.alert().unwrap();
    assert!(alert.contains("under legal hold"), "{alert}");
    assert_eq!(app.journal_len().await, before);
    assert!(app.blob_path(&sha).exists());
    let resp = fetch(&ian, &format!("{item_page}/content")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice());

    // Placing it twice is refused on the page too.
    let page = mia
        .submit(
            &format!("{item_page}/hold"),
            &[("mode", "place"), ("reason", "again")],
        )
        .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.alert().unwrap().contains("already"));

    // Released, it can be disposed of; the record and its history stay.
    mia.submit(
        &format!("{item_page}/hold"),
        &[("mode", "release"), ("reason", "case settled")],
    )
    .await
    .assert_redirect(&item_page);
    let page = mia.get(&item_page).await;
    assert!(page.body.contains(r#"id="evidence-dispose""#));
    mia.submit(
        &format!("{item_page}/dispose"),
        &[("reason", "end of retention")],
    )
    .await
    .assert_redirect(&item_page);
    assert!(!app.blob_path(&sha).exists());

    let page = ian.get(&item_page).await;
    page.assert_status(StatusCode::OK);
    assert!(
        page.body
            .contains(r#"<span class="badge evidence-disposed">disposed</span>"#)
    );
    assert!(page.body.contains("end of retention"));
    for gone in [
        r#"id="evidence-download""#,
        r#"id="evidence-verify""#,
        r#"id="evidence-transfer""#,
    ] {
        assert!(!page.body.contains(gone), "{gone}");
    }
    let custody = custody_table(&page);
    for shown in [
        "Legal hold released",
        "case settled",
        "placed by mia: litigation expected",
        "Content disposed of",
    ] {
        assert!(custody.contains(shown), "{shown}: {custody}");
    }
    let resp = fetch(&ian, &format!("{item_page}/content")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<h1>Not possible now</h1>"), "{body}");
    assert!(body.contains("disposed of"), "{body}");
    assert_eq!(
        custody_actions(&app, &ti, &evd).await,
        [
            "evidence.collected",
            "evidence.hold_placed",
            "evidence.downloaded",
            "evidence.hold_released",
            "evidence.disposed",
        ]
    );
}

// ----- 3. refused uploads ----------------------------------------------------------------

async fn uploads_without_the_token_or_fields_store_nothing(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let (_, other) = person(&app, "otto", &[Role::IsirtMember]).await;
    let (_, aud) = person(&app, "aud", &[Role::Auditor]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Beaconing to a rare domain").await;
    let path = format!("/incidents/{inc}/evidence");
    let csrf = ian.token().await;
    let foreign = other.token().await;
    let bytes = content(10_000);
    let file = || Some(("beacon.pcap", bytes.clone()));
    let with_token = |token: &str| {
        let mut fields = vec![("csrf", token.to_owned())];
        fields.extend(METADATA.iter().map(|(k, v)| (*k, (*v).to_owned())));
        fields
    };
    let form = |fields: Vec<(&'static str, String)>, file: Option<(&'static str, Vec<u8>)>| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        upload_form(&pairs, file)
    };
    let before = app.journal_len().await;

    let without: Vec<(&'static str, String)> = METADATA
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    let cases: Vec<(&str, Form)> = vec![
        ("no token", form(without.clone(), file())),
        ("a wrong token", form(with_token("not-the-token"), file())),
        (
            "another session's token",
            form(with_token(&foreign), file()),
        ),
        ("the token after the file", {
            let mut f = form(without.clone(), file());
            f = f.text("csrf", csrf.clone());
            f
        }),
    ];
    for (what, form) in cases {
        let page = post_multipart(&ian, &path, form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{what}: {}", page.body);
        assert_eq!(page.heading(), Some("Form refused"), "{what}");
    }
    // The right token from another site.
    let page = ian
        .send(
            ian.http
                .post(format!("{}{path}", ian.base))
                .header(ORIGIN, "http://evil.example")
                .multipart(form(with_token(&csrf), file())),
        )
        .await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(page.heading(), Some("Form refused"));
    // Not a multipart body at all.
    let page = ian.submit(&path, &[("description", "x")]).await;
    page.assert_status(StatusCode::BAD_REQUEST);
    // Someone whose role may not handle evidence.
    let aud_token = aud.token().await;
    let page = post_multipart(&aud, &path, form(with_token(&aud_token), file())).await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(page.heading(), Some("Not allowed"));

    // Missing and malformed fields show the workspace again with them named.
    let page = post_multipart(
        &ian,
        &path,
        form(
            vec![
                ("csrf", csrf.clone()),
                ("description", String::new()),
                ("found_at", "proxy logs".into()),
                ("collected_by", "Ian".into()),
                ("collected_at", "yesterday".into()),
                ("reason", String::new()),
            ],
            file(),
        ),
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(page.title(), Some(inc.as_str()));
    let alert = page.alert().unwrap();
    for field in ["Description", "Collected at", "Reason"] {
        assert!(
            alert.contains(&format!("<strong>{field}</strong>")),
            "{field}: {alert}"
        );
    }
    assert!(!alert.contains("<strong>Found at</strong>"), "{alert}");
    assert!(
        page.body.contains(
            "<details open><summary class=\"btn btn-sm\" id=\"evidence-add-file\">Add a file"
        ),
        "the upload form is shown open"
    );
    // No file, or an empty one.
    let page = post_multipart(&ian, &path, form(with_token(&csrf), None)).await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.alert().unwrap().contains("<strong>File</strong>"));
    let page = post_multipart(
        &ian,
        &path,
        form(with_token(&csrf), Some(("empty.bin", vec![]))),
    )
    .await;
    page.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.alert().unwrap().contains("<strong>File</strong>"));

    assert_eq!(
        app.journal_len().await,
        before,
        "a refused upload changed something"
    );
    let (_, list) = app
        .get(&format!("/api/v1/incidents/{inc}/evidence"), &ti)
        .await;
    assert_eq!(list["items"], json!([]));
    assert_eq!(
        app.stored_files(),
        0,
        "content of a refused upload was kept"
    );

    // The same form with its token goes through.
    let evd = upload(&ian, &inc, "beacon.pcap", &bytes).await;
    assert!(app.blob_path(&sha256(&bytes)).exists());
    ian.get(&format!("/evidence/{evd}"))
        .await
        .assert_status(StatusCode::OK);
}

// ----- 4. the role table -----------------------------------------------------------------

async fn auditors_see_evidence_without_handling_it(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let (_, aud) = person(&app, "aud", &[Role::Auditor]).await;
    let (_, rep) = person(&app, "rep", &[Role::Reporter]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Defaced intranet page").await;
    let evd = upload(&ian, &inc, "index.html", b"<h1>owned</h1>").await;

    // The auditor sees the section and the item, with no way to handle it.
    let workspace = aud.get(&format!("/incidents/{inc}")).await;
    workspace.assert_status(StatusCode::OK);
    assert!(evidence_table(&workspace).contains(&evd));
    assert!(!workspace.body.contains(r#"id="evidence-upload""#));
    assert!(!workspace.body.contains("/evidence/bundle"));

    let page = aud.get(&format!("/evidence/{evd}")).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.heading(), Some("Raw mail of the phishing message"));
    assert!(custody_table(&page).contains("Collected and recorded"));
    for absent in [
        r#"id="evidence-download""#,
        "/content",
        r#"id="evidence-transfer""#,
        r#"id="evidence-hold""#,
        r#"id="evidence-dispose""#,
    ] {
        assert!(!page.body.contains(absent), "{absent}");
    }
    // Auditors may verify.
    assert!(page.body.contains(r#"id="evidence-verify""#));
    aud.submit(&format!("/evidence/{evd}/verify"), &[])
        .await
        .assert_redirect(&format!("/evidence/{evd}"));

    // And nothing else, by any address.
    let before = app.journal_len().await;
    let resp = fetch(&aud, &format!("/evidence/{evd}/content")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = fetch(&aud, &format!("/incidents/{inc}/evidence/bundle")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    for (path, form) in [
        (
            format!("/evidence/{evd}/transfer"),
            vec![("to", "aud"), ("reason", "audit")],
        ),
        (
            format!("/evidence/{evd}/hold"),
            vec![("mode", "place"), ("reason", "audit")],
        ),
        (
            format!("/evidence/{evd}/dispose"),
            vec![("reason", "audit")],
        ),
    ] {
        let page = aud.submit(&path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert_eq!(page.heading(), Some("Not allowed"));
    }
    assert_eq!(app.journal_len().await, before);

    // Someone whose role may not view evidence is refused the page.
    let page = rep.get(&format!("/evidence/{evd}")).await;
    page.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(page.heading(), Some("Not allowed"));
}

// ----- 5. need-to-know -------------------------------------------------------------------

async fn evidence_of_a_restricted_incident_is_not_found_on_the_web(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let (_, otto) = person(&app, "otto", &[Role::IsirtMember]).await;
    let (_, mia) = person(&app, "mia", &[Role::IsirtManager]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Payroll mailbox compromise").await;
    let evd = upload(&ian, &inc, "rules.txt", b"forward everything to x@evil").await;
    ian.submit(
        &format!("/incidents/{inc}/restriction"),
        &[("users[]", "ian"), ("mode", "restrict")],
    )
    .await
    .assert_redirect(&format!("/incidents/{inc}"));

    let missing = format!("{}9999", &evd[..evd.len() - 4]);
    let before = app.journal_len().await;
    for web in [&otto, &mia] {
        let page = web.get(&format!("/evidence/{evd}")).await;
        page.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(page.heading(), Some("Not found"));
        let absent = web.get(&format!("/evidence/{missing}")).await;
        absent.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(
            page.body.replace(&evd, "N"),
            absent.body.replace(&missing, "N"),
            "restricted evidence looks like missing evidence"
        );
        let resp = fetch(web, &format!("/evidence/{evd}/content")).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let resp = fetch(web, &format!("/incidents/{inc}/evidence/bundle")).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
        let page = web
            .submit(
                &format!("/evidence/{evd}/transfer"),
                &[("to", "otto"), ("reason", "curious")],
            )
            .await;
        page.assert_status(StatusCode::NOT_FOUND);
        let csrf = web.token().await;
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(&METADATA);
        let page = post_multipart(
            web,
            &format!("/incidents/{inc}/evidence"),
            upload_form(&fields, Some(("x.bin", content(100)))),
        )
        .await;
        page.assert_status(StatusCode::NOT_FOUND);
    }
    assert_eq!(app.journal_len().await, before);
    assert_eq!(
        custody_actions(&app, &ti, &evd).await,
        ["evidence.collected"]
    );

    // ian still has it.
    ian.get(&format!("/evidence/{evd}"))
        .await
        .assert_status(StatusCode::OK);
}

// ----- 6. altered content -----------------------------------------------------------------

async fn altered_content_is_refused_with_a_page_and_an_alarm(app: TestApp) {
    let poc = app.user("pat", &[Role::Poc]).await;
    let (ti, ian) = person(&app, "ian", &[Role::IsirtMember]).await;
    let inc = incident(&app, &poc, &ti, "ian", "Tampered log file").await;
    let bytes = content(50_000);
    let sha = sha256(&bytes);
    let evd = upload(&ian, &inc, "auth.log", &bytes).await;
    app.tamper(&sha, 12_345);

    let resp = fetch(&ian, &format!("/evidence/{evd}/content")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = resp.text().await.unwrap();
    assert!(body.contains("<h1>Not possible now</h1>"), "{body}");
    assert!(body.contains("no longer matches its SHA-256"), "{body}");

    let page = ian.get(&format!("/evidence/{evd}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(r#"id="integrity-alarm""#));
    assert!(
        page.body
            .contains(r#"<span class="badge evidence-alarm">integrity alarm</span>"#)
    );
    let custody = custody_table(&page);
    assert!(custody.contains(r#"<tr class="is-alarm">"#), "{custody}");
    assert!(custody.contains("Integrity alarm"), "{custody}");
    assert!(
        custody.contains(&format!("<code>{sha}</code>")),
        "{custody}"
    );
    let workspace = ian.get(&format!("/incidents/{inc}")).await;
    let table = evidence_table(&workspace);
    assert!(table.contains("integrity alarm") && table.contains("is-alarm"));

    // Verifying again records another alarm; the bundle is refused with a page.
    ian.submit(&format!("/evidence/{evd}/verify"), &[])
        .await
        .assert_redirect(&format!("/evidence/{evd}"));
    let resp = fetch(&ian, &format!("/incidents/{inc}/evidence/bundle")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let body = resp.text().await.unwrap();
    assert!(body.contains("<h1>Not possible now</h1>"), "{body}");
    assert_eq!(
        custody_actions(&app, &ti, &evd).await,
        [
            "evidence.collected",
            "evidence.integrity_failed",
            "evidence.integrity_failed",
            "evidence.integrity_failed",
        ]
    );
}
