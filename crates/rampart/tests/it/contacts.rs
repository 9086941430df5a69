//! The contact directory over the API, on both backends: organisations and
//! people with channels, keys and the highest TLP they may receive; bad
//! input named by field; the records check replays every change.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, fields};

const KEY: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGXvAAABEADm\n=t3st\n-----END PGP PUBLIC KEY BLOCK-----\n";

crate::on_both_backends!(the_directory_keeps_who_to_reach_and_how);

async fn the_directory_keeps_who_to_reach_and_how(app: TestApp) {
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let pat = app.user("pat", &[Role::Poc]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let csirt = json!({"id": "national-csirt", "kind": "organisation", "name": "National CSIRT",
        "category": "csirt", "tlp_max": "AMBER", "pgp_key": KEY,
        "channels": [{"kind": "email", "value": "cert@csirt.example", "note": "24x7"},
                     {"kind": "phone", "value": "+31 70 000 0000"}],
        "when_to_contact": "Significant incidents affecting essential services"});
    let (status, _) = app.post("/api/v1/contacts", &pat, csirt.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let made = app
        .post_ok("/api/v1/contacts", &ian, csirt.clone(), StatusCode::CREATED)
        .await;
    assert_eq!(made["tlp_max"], "AMBER");
    let (status, _) = app.post("/api/v1/contacts", &ian, csirt.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.post_ok(
        "/api/v1/contacts",
        &ian,
        json!({"id": "duty-officer", "kind": "person", "name": "Duty officer",
               "organisation": "national-csirt", "category": "csirt"}),
        StatusCode::CREATED,
    )
    .await;
    let before = app.journal_len().await;
    for (body, field) in [
        (
            json!({"id": "Bad", "kind": "person", "name": "X", "category": "csirt"}),
            "id",
        ),
        (
            json!({"id": "x-y", "kind": "person", "name": "X", "category": "police"}),
            "category",
        ),
        (
            json!({"id": "x-y", "kind": "person", "name": "X", "category": "csirt", "organisation": "duty-officer"}),
            "organisation",
        ),
        (
            json!({"id": "x-y", "kind": "person", "name": "X", "category": "csirt", "pgp_key": "not a key"}),
            "pgp_key",
        ),
        (
            json!({"id": "x-y", "kind": "person", "name": "X", "category": "csirt",
                "channels": [{"kind": "email", "value": "nobody"}]}),
            "channels.0.value",
        ),
        (
            json!({"id": "x-y", "kind": "person", "name": "X", "category": "csirt", "tlp_max": "PURPLE"}),
            "tlp_max",
        ),
    ] {
        let (status, problem) = app.post("/api/v1/contacts", &ian, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert!(
            fields(&problem).iter().any(|f| f == field),
            "{body}: {problem}"
        );
    }
    assert_eq!(app.journal_len().await, before, "nothing changed");

    let (_, csirts) = app.get("/api/v1/contacts?category=csirt", &pat).await;
    assert_eq!(csirts.as_array().unwrap().len(), 2);
    let (_, none) = app.get("/api/v1/contacts?category=insurer", &pat).await;
    assert_eq!(none, json!([]));
    let (status, _) = app.get("/api/v1/contacts", &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut changed = csirt.clone();
    changed.as_object_mut().unwrap().remove("id");
    changed["tlp_max"] = json!("GREEN");
    let (status, after) = app
        .call(
            Method::PUT,
            "/api/v1/contacts/national-csirt",
            Some(&ian),
            Some(changed),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["tlp_max"], "GREEN");
    assert_eq!(app.changes_after(before).await, ["contact.changed"]);
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
