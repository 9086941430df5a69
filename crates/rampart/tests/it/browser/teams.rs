//! Teams in the browser: the ISIRT manager sets up the ISIRT with a
//! rotation; the list and the team page say who is on duty now and next;
//! the member on duty hands over to the next, naming an incident; a cover
//! puts someone else on duty.

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_is_handed_over_and_a_cover_puts_someone_on_duty() {
    let Some((app, b)) = app_and_browser("teams").await else {
        return;
    };
    person(&app, "mia", &[Role::IsirtManager]).await;
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "ivy", &[Role::IsirtMember]).await;
    let inc = incident(&app, &ian, &ian, "ian", "Phishing wave").await;

    b.sign_in("mia", PASSWORD).await;
    b.open("/teams").await;
    assert!(b.text("main").await.contains("No teams yet"));
    b.fill("#t-id", "ict-isirt").await;
    b.fill("#t-name", "ICT incident response team").await;
    b.select("#t-duty", "isirt").await;
    b.fill("#t-lead", "mia").await;
    b.fill("#t-members", "ian, ivy, nobody").await;
    b.fill("#t-rota", "ian, ivy").await;
    b.fill("#t-hours", "12").await;
    b.d()
        .execute(
            "document.getElementById('t-start').value = '2020-01-01T08:00'",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#new-team button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(
        refused.contains("nobody is not an active user"),
        "{refused}"
    );
    b.fill("#t-members", "ian, ivy").await;
    b.d()
        .execute(
            "document.getElementById('t-start').value = '2020-01-01T08:00'",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#new-team button[type=submit]").await;
    assert_eq!(b.path().await, "/teams/ict-isirt");
    let on_duty = b.text(".on-duty-now").await;
    assert!(
        on_duty.contains("ian") || on_duty.contains("ivy"),
        "{on_duty}"
    );
    b.open("/teams").await;
    b.shot("list").await;
    b.sign_out().await;

    // The member on duty hands over to the other.
    let (now, next) = if on_duty.contains("ian") {
        ("ian", "ivy")
    } else {
        ("ivy", "ian")
    };
    b.sign_in(now, PASSWORD).await;
    b.open("/teams/ict-isirt").await;
    b.select("#h-to", next).await;
    b.fill("#h-note", "Phishing wave contained; watch the mail gateway")
        .await;
    b.fill("#h-incidents", &inc).await;
    b.fill("#h-authority", "coordinates the phishing incident")
        .await;
    b.submit("#hand-over button[type=submit]").await;
    let handovers = b.text("#handovers").await;
    assert!(
        handovers.contains(&format!("{now} → {next}")),
        "{handovers}"
    );
    assert!(handovers.contains(&inc), "{handovers}");
    assert!(handovers.contains("Authority passed"), "{handovers}");

    // A cover puts mia on duty for a day.
    b.select("#c-person", "mia").await;
    b.d()
        .execute(
            "document.getElementById('c-from').value = '2020-01-01T00:00'; document.getElementById('c-until').value = '2099-01-01T00:00'",
            vec![],
        )
        .await
        .unwrap();
    b.fill("#c-reason", "both on a course").await;
    b.submit("#cover button[type=submit]").await;
    assert!(b.text(".on-duty-now").await.contains("mia"));
    assert!(b.text("#covers").await.contains("both on a course"));
    b.shot("team").await;
    b.quit().await;
}
