//! The journal's checkpoints as C2SP signed notes, on both backends: an
//! auditor reads the head's, or the one at an entry; an independent
//! signed-note implementation verifies it with the verifier key that
//! `rampart journal key --note` prints; the note names the journal's length
//! and head hash; those who may not read the journal get none.

use rampart_domain::Role;
use reqwest::StatusCode;
use signed_note::{Note, StandardVerifier, VerifierList};

use crate::helpers::{TestApp, reported_event};

crate::on_both_backends!(checkpoints_are_published_as_signed_notes);

async fn note(app: &TestApp, token: &str, query: &str) -> (StatusCode, String) {
    let answer = app
        .client
        .get(format!(
            "http://{}/api/v1/journal/checkpoint{query}",
            app.addr
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

async fn checkpoints_are_published_as_signed_notes(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let audrey = app.user("audrey", &[Role::Auditor]).await;
    reported_event(&app, &pat, "Odd login from abroad").await;

    // The head's note, signed by the installation's key.
    let (status, text) = note(&app, &audrey, "").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let printed = app.cli(&["journal", "key", "--note"]);
    assert!(printed.status.success());
    let verifier_key = String::from_utf8(printed.stdout).unwrap();
    let verifier = StandardVerifier::new(verifier_key.trim()).unwrap();
    let known = VerifierList::new(vec![Box::new(verifier)]);
    let parsed = Note::from_bytes(text.as_bytes()).unwrap();
    parsed.verify(&known).expect("the note verifies");
    let body = String::from_utf8(parsed.text().to_vec()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(lines[0].starts_with("rampart/"), "{body}");
    let (seq, _) = rampart_store::Store::journal_head(app.store.as_ref())
        .await
        .unwrap();
    let size: u64 = lines[1].parse().unwrap();
    assert!(size <= seq && size > 0, "{size} / {seq}");
    let signed = rampart_store::Store::checkpoints(app.store.as_ref(), size - 1, 1)
        .await
        .unwrap();
    assert_eq!(signed[0].seq, size);
    use base64::Engine;
    let hash = base64::engine::general_purpose::STANDARD
        .decode(lines[2])
        .unwrap();
    assert_eq!(hex::encode(hash), signed[0].hash);

    // The same checkpoint by its entry; an entry without one is not found.
    let (status, again) = note(&app, &audrey, &format!("?seq={size}")).await;
    assert_eq!((status, again.as_str()), (StatusCode::OK, text.as_str()));
    let (status, _) = note(&app, &audrey, "?seq=999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = note(&app, &audrey, "?seq=first").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Not for those who may not read the journal.
    let (status, _) = note(&app, &pat, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
