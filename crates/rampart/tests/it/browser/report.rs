//! Reports from the first moment: a point of contact files the report of
//! someone who phoned, with how it reached them; reporters point to what
//! they saw (addresses, links, senders) and it arrives as observables.

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_is_filed_for_a_caller_with_what_they_saw() {
    let Some((app, b)) = app_and_browser("report").await else {
        return;
    };
    person(&app, "pat", &[Role::Poc]).await;
    person(&app, "rita", &[Role::Reporter]).await;

    // Rita points to the sender; she files for no one.
    b.sign_in("rita", PASSWORD).await;
    b.open("/report").await;
    assert!(!b.source().await.contains("id=\"for-someone\""));
    b.fill("#title", "Mail asking me to confirm my password")
        .await;
    b.fill(
        "#description",
        "It came from our 'IT desk' but the sender looked odd",
    )
    .await;
    b.select("#obs-0-type", "email").await;
    b.fill("#obs-0-value", "IT-Desk@Example-Support.NET").await;
    // A value without its kind is refused, naming the row; what was typed stays.
    b.fill("#obs-1-value", "login-example.net").await;
    b.submit("main button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("Observables, row 2: type"), "{refused}");
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#obs-1-value"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("login-example.net")
    );
    b.select("#obs-1-type", "domain").await;
    b.submit("main button[type=submit]").await;
    let done = b.path().await;
    assert!(done.starts_with("/report/EVT-"), "{done}");
    let evt = done.trim_start_matches("/report/").to_owned();
    b.sign_out().await;

    // Pat files the report of a caller, by phone.
    b.sign_in("pat", PASSWORD).await;
    b.open("/report").await;
    b.click("#for-someone summary").await;
    b.fill("#title", "Caller's laptop shows a ransom note")
        .await;
    b.fill(
        "#description",
        "Jane from accounting phoned: a red screen asks for bitcoin",
    )
    .await;
    b.fill("#reporter_name", "Jane Roe").await;
    b.fill("#reporter_contact", "ext. 4411").await;
    b.select("#channel", "phone").await;
    b.select("#obs-0-type", "host").await;
    b.fill("#obs-0-value", "ACC-LT-042").await;
    b.shot("for-someone").await;
    b.submit("main button[type=submit]").await;
    let filed = b.path().await.trim_start_matches("/report/").to_owned();
    b.open(&format!("/events/{filed}")).await;
    let reporter = b.text("#reporter").await;
    assert_eq!(reporter, "Jane Roe · ext. 4411 · Phone filed by pat");
    assert!(
        b.source().await.contains("acc-lt-042"),
        "observables are normalised"
    );
    b.shot("filed-event").await;

    // Rita's observables, normalised, on her event as the ISIRT reads it.
    b.open(&format!("/events/{evt}")).await;
    let page = b.source().await;
    assert!(
        page.contains("IT-Desk@example-support.net"),
        "the domain part is lower-cased"
    );
    assert!(page.contains("login-example.net"));

    // A channel without whose report it is: refused, naming the field.
    b.open("/report").await;
    b.click("#for-someone summary").await;
    b.fill("#title", "Someone called").await;
    b.fill("#description", "about a strange parcel").await;
    b.select("#channel", "phone").await;
    b.submit("main button[type=submit]").await;
    assert!(b.text(".alert-error").await.contains("whose report is it?"));
    b.quit().await;
}
