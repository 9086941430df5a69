//! Teams over the API, on both backends: set up with a rotation, who is on
//! duty now and next, covers and hand-overs journaled and replayed by the
//! records check; bad input named by field, the wrong roles refused.

use rampart_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, fields, incident};

crate::on_both_backends!(teams_keep_a_rota_covers_and_hand_overs);

async fn teams_keep_a_rota_covers_and_hand_overs(app: TestApp) {
    let mia = app.user("mia", &[Role::IsirtManager]).await;
    let ian = app.user("ian", &[Role::IsirtMember, Role::Poc]).await;
    let ivy = app.user("ivy", &[Role::IsirtMember]).await;
    let rita = app.user("rita", &[Role::Reporter]).await;
    let team = json!({"id": "ict-isirt", "name": "ICT ISIRT", "duty": "isirt", "lead": "mia",
        "members": ["ian", "ivy"],
        "rotation": {"people": ["ian", "ivy"], "shift_hours": 12, "starts_at": "2020-01-01T08:00:00Z"}});
    let (status, _) = app.post("/api/v1/teams", &ian, team.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let made = app
        .post_ok("/api/v1/teams", &mia, team.clone(), StatusCode::CREATED)
        .await;
    assert_eq!(made["members"], json!(["ian", "ivy", "mia"]));
    let on = made["on_duty"]["person"].as_str().unwrap().to_owned();
    assert!(on == "ian" || on == "ivy", "{made}");
    assert_ne!(made["next"]["person"], made["on_duty"]["person"]);
    let (status, _) = app.get("/api/v1/teams", &rita).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let inc = incident(&app, &ian, &ian, "ian", "Phishing wave").await;
    let before = app.journal_len().await;
    for (body, field) in [
        (
            json!({"id": "x", "name": "X", "duty": "isirt", "lead": "mia"}),
            "id",
        ),
        (
            json!({"id": "other", "name": "X", "duty": "sales", "lead": "mia"}),
            "duty",
        ),
        (
            json!({"id": "other", "name": "X", "duty": "poc", "lead": "nobody"}),
            "lead",
        ),
        (
            json!({"id": "other", "name": "X", "duty": "poc", "lead": "mia",
                "rotation": {"people": ["rita"], "shift_hours": 8, "starts_at": "2026-01-01T00:00:00Z"}}),
            "rotation.people",
        ),
        (
            json!({"id": "other", "name": "X", "duty": "poc", "lead": "mia",
                "rotation": {"people": ["mia"], "shift_hours": 0, "starts_at": "2026-01-01T00:00:00Z"}}),
            "rotation.shift_hours",
        ),
    ] {
        let (status, problem) = app.post("/api/v1/teams", &mia, body.clone()).await;
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
    // Ivy may not hand over to herself, nor name an incident that does not exist.
    for (body, field) in [
        (json!({"to": "ivy", "note": "n"}), "to"),
        (
            json!({"to": "ian", "note": "n", "incidents": ["INC-2026-0999"]}),
            "incidents",
        ),
        (json!({"to": "ian", "note": " "}), "note"),
    ] {
        let (status, problem) = app
            .post("/api/v1/teams/ict-isirt/handovers", &ivy, body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
        assert_eq!(fields(&problem), [field], "{body}");
    }
    let (status, problem) = app
        .post(
            "/api/v1/teams/ict-isirt/covers",
            &ivy,
            json!({"person": "ivy", "from": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["until"]);
    assert_eq!(app.journal_len().await, before, "nothing changed");

    let handed = app
        .post_ok(
            "/api/v1/teams/ict-isirt/handovers",
            &ian,
            json!({"to": "ivy", "note": "Phishing wave contained; watch the mail gateway",
                   "incidents": [inc], "authority": "coordinates the phishing incident"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(handed["handovers"][0]["to"], "ivy");
    assert_eq!(handed["handovers"][0]["incidents"], json!([inc]));
    let covered = app
        .post_ok(
            "/api/v1/teams/ict-isirt/covers",
            &ivy,
            json!({"person": "mia", "from": "2020-01-01T00:00:00Z", "until": "2099-01-01T00:00:00Z",
                   "reason": "both on leave"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(covered["on_duty"]["person"], "mia");
    assert_eq!(covered["on_duty"]["covering"], true);
    let (status, changed) = app
        .call(
            Method::PATCH,
            "/api/v1/teams/ict-isirt",
            Some(&mia),
            Some(json!({"name": "ICT incident response", "clear_rotation": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["rotation"], serde_json::Value::Null);
    assert_eq!(
        app.changes_after(before).await,
        ["team.handover", "team.cover_added", "team.changed"]
    );
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
