//! The classification scale over the API and the pages, on both backends:
//! an admin saves version 2 (a category renamed, one retired, one added, a
//! class renamed); incidents classified under version 1 keep its names and
//! are still found by the register's filters; new classifications use
//! version 2 and may not use what it retired; bad versions change nothing.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, escalated_event, fields};
use crate::web::person;

crate::on_both_backends!(classification_scale_v2_keeps_what_v1_classified);

const IV: &str = r#"{"system_importance": "particularly_important", "business_loss": "especially_serious", "social_impact": "minor"}"#;

async fn confirm(app: &TestApp, poc: &str, member: &str, category: &str) -> (StatusCode, Value) {
    let event = escalated_event(app, poc, &format!("A {category} case")).await;
    let severity: Value = serde_json::from_str(IV).unwrap();
    app.post(
        "/api/v1/incidents",
        member,
        json!({"events": [event], "title": format!("A {category} case"), "category": category,
               "severity": severity, "effort": "low", "coordinator": "ian"}),
    )
    .await
}

async fn patch(app: &TestApp, token: &str, n: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/incidents/{n}");
    app.call(reqwest::Method::PATCH, &path, Some(token), Some(body))
        .await
}

fn numbers(list: &Value) -> Vec<String> {
    let mut n: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

async fn classification_scale_v2_keeps_what_v1_classified(app: TestApp) {
    let pat = app.user("pat", &[Role::Poc]).await;
    let ian = app.user("ian", &[Role::IsirtMember]).await;
    let (ada, admin_web) = person(&app, "ada", &[Role::Admin]).await;

    // Version 1 as shipped: Annex C.
    let (status, scale) = app.get("/api/v1/classification-scale", &ian).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(scale["version"], 1);
    let v1 = scale["versions"][0].clone();
    assert_eq!(v1["key"], "iso27035-annex-c/1");
    assert_eq!(v1["categories"].as_array().unwrap().len(), 13);

    let (status, old) = confirm(&app, &pat, &ian, "technical_attack").await;
    assert_eq!(status, StatusCode::CREATED, "{old}");
    let old_n = old["number"].as_str().unwrap().to_owned();
    assert_eq!(old["scale"], "iso27035-annex-c/1");
    assert_eq!(old["severity"]["label"], "Emergency");

    // Version 2: technical_attack renamed, radiation_disturbance retired,
    // ransomware added, class IV renamed.
    let mut categories = v1["categories"].as_array().unwrap().clone();
    for c in categories.iter_mut() {
        match c["code"].as_str().unwrap() {
            "technical_attack" => c["name"] = json!("Cyber attack"),
            "radiation_disturbance" => c["retired"] = json!(true),
            _ => {}
        }
    }
    categories.push(json!({"code": "ransomware", "name": "Ransomware",
                           "description": "Data encrypted or stolen for a ransom."}));
    let mut grades = v1["grades"].as_array().unwrap().clone();
    grades[3]["name"] = json!("Major incident");
    let v2 = json!({"version": 1, "categories": categories, "grades": grades,
                    "note": "Ransomware apart; radiation no longer seen"});

    // Only admins save a version; bad versions are named and change nothing.
    let before = app.journal_len().await;
    let (status, _) = app
        .post("/api/v1/classification-scale/versions", &ian, v2.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut removed = v2.clone();
    removed["categories"].as_array_mut().unwrap().remove(0);
    let mut stale = v2.clone();
    stale["version"] = json!(7);
    let mut bad_code = v2.clone();
    bad_code["categories"][13]["code"] = json!("Ransom Ware");
    let mut twice = v2.clone();
    twice["categories"][13]["code"] = json!("malware");
    let mut grades_wrong = v2.clone();
    grades_wrong["grades"].as_array_mut().unwrap().pop();
    let mut no_note = v2.clone();
    no_note["note"] = json!("  ");
    for (body, field) in [
        (removed, "categories"),
        (stale, "version"),
        (bad_code, "categories[13].code"),
        (twice, "categories[13].code"),
        (grades_wrong, "grades"),
        (no_note, "note"),
    ] {
        let (status, problem) = app
            .post("/api/v1/classification-scale/versions", &ada, body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            fields(&problem).contains(&field.to_owned()),
            "{field}: {problem}"
        );
    }
    assert_eq!(app.journal_len().await, before);

    let seq = app.journal_len().await;
    let (status, saved) = app
        .post("/api/v1/classification-scale/versions", &ada, v2.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["versions"][1]["key"], "local/2");
    assert_eq!(
        app.changes_after(seq).await,
        vec!["classification.scale_revised"]
    );
    // Saving from version 1 again is refused: someone saved meanwhile.
    let (status, problem) = app
        .post("/api/v1/classification-scale/versions", &ada, v2.clone())
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["version"]);

    // The old incident keeps version 1 and its names.
    let (_, kept) = app.get(&format!("/api/v1/incidents/{old_n}"), &ian).await;
    assert_eq!(kept["scale"], "iso27035-annex-c/1");
    assert_eq!(kept["severity"]["label"], "Emergency");

    // New classifications use version 2; a retired category is refused.
    let (status, problem) = confirm(&app, &pat, &ian, "radiation_disturbance").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["category"]);
    assert!(problem.to_string().contains("retired"), "{problem}");
    let (status, ransom) = confirm(&app, &pat, &ian, "ransomware").await;
    assert_eq!(status, StatusCode::CREATED, "{ransom}");
    assert_eq!(ransom["scale"], "local/2");
    assert_eq!(ransom["severity"]["label"], "Major incident");
    let ransom_n = ransom["number"].as_str().unwrap().to_owned();
    let (_, attack) = confirm(&app, &pat, &ian, "technical_attack").await;
    let attack_n = attack["number"].as_str().unwrap().to_owned();
    assert_eq!(attack["scale"], "local/2");

    // The register's filter finds incidents of both versions by code.
    let (_, list) = app
        .get("/api/v1/incidents?category=technical_attack", &ian)
        .await;
    let mut both = vec![old_n.clone(), attack_n.clone()];
    both.sort();
    assert_eq!(numbers(&list), both);
    let (_, list) = app.get("/api/v1/incidents?category=ransomware", &ian).await;
    assert_eq!(numbers(&list), std::slice::from_ref(&ransom_n));
    let (status, list) = app
        .get("/api/v1/incidents?category=radiation_disturbance", &ian)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(numbers(&list).is_empty());

    // A change that leaves the classification alone keeps version 1; a new
    // category moves the incident to version 2; a retired one is refused.
    let (status, same) = patch(&app, &ian, &old_n, json!({"title": "Scan and exploit"})).await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["scale"], "iso27035-annex-c/1");
    assert_eq!(same["severity"]["label"], "Emergency");
    let (status, problem) = patch(
        &app,
        &ian,
        &old_n,
        json!({"category": "radiation_disturbance"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["category"]);

    // The pages: each incident with its own version's names.
    let page = admin_web.get(&format!("/incidents/{old_n}")).await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("Technical attack"), "old names");
    assert!(page.body.contains("(scale v1)"));
    let page = admin_web.get(&format!("/incidents/{attack_n}")).await;
    assert!(page.body.contains("Cyber attack"));
    assert!(!page.body.contains("(scale v1)"));
    let page = admin_web.get("/incidents?category=technical_attack").await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains(&old_n) && page.body.contains(&attack_n));
    assert!(!page.body.contains(&ransom_n));
    // The filter offers retired categories (old incidents are filed under them).
    assert!(page.body.contains("Radiation disturbance (retired)"));
    let page = admin_web.get("/classification?version=1").await;
    page.assert_status(StatusCode::OK);
    assert!(page.body.contains("superseded"));
    assert_eq!(
        admin_web.get_status("/classification?version=9").await,
        StatusCode::NOT_FOUND
    );

    // Moving to version 2 last: the records check replays it all.
    let (status, moved) = patch(&app, &ian, &old_n, json!({"category": "malware"})).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["scale"], "local/2");
    assert_eq!(moved["severity"]["label"], "Major incident");
    let check = rampart_store::Store::check_records(app.store.as_ref())
        .await
        .unwrap();
    assert!(check.agrees(), "{check}");
}
