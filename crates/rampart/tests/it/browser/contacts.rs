//! The contact directory in the browser: a member adds the national CSIRT
//! with its channels and key (a wrong e-mail address is named and what was
//! typed kept), filters by category, and changes the highest TLP.

use rampart_domain::Role;

use super::{app_and_browser, person};
use crate::helpers::PASSWORD;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_adds_the_national_csirt_and_changes_what_it_may_receive() {
    let Some((app, b)) = app_and_browser("contacts").await else {
        return;
    };
    person(&app, "ian", &[Role::IsirtMember]).await;
    b.sign_in("ian", PASSWORD).await;
    b.open("/contacts").await;
    assert!(b.text("main").await.contains("No contacts"));
    b.fill("#c-id", "national-csirt").await;
    b.fill("#c-name", "National CSIRT").await;
    b.select("#c-kind", "organisation").await;
    b.select("#c-category", "csirt").await;
    b.select("#c-tlp", "AMBER").await;
    b.fill("input[name='channels.0.value']", "cert at csirt")
        .await;
    b.fill("input[name='channels.0.note']", "24x7").await;
    b.select("select[name='channels.1.kind']", "phone").await;
    b.fill("input[name='channels.1.value']", "+31 70 000 0000")
        .await;
    b.fill(
        "#c-when",
        "Significant incidents affecting essential services",
    )
    .await;
    b.submit("#new-contact button[type=submit]").await;
    let refused = b.text(".alert-error").await;
    assert!(refused.contains("e-mail address"), "{refused}");
    b.fill("input[name='channels.0.value']", "cert@csirt.example")
        .await;
    b.submit("#new-contact button[type=submit]").await;
    assert_eq!(b.path().await, "/contacts/national-csirt");
    let reach = b.text("#reach").await;
    assert!(
        reach.contains("cert@csirt.example") && reach.contains("24x7"),
        "{reach}"
    );
    assert!(b.text(".subtitle").await.contains("AMBER"));
    b.shot("contact").await;

    b.click("#change summary").await;
    b.select("#e-tlp", "GREEN").await;
    b.submit("#change button[type=submit]").await;
    assert!(b.text(".subtitle").await.contains("GREEN"));
    b.open("/contacts?category=csirt").await;
    assert!(b.text("#contacts").await.contains("National CSIRT"));
    b.open("/contacts?category=insurer").await;
    assert!(
        b.text("main")
            .await
            .contains("No contacts in this category")
    );
    b.open("/contacts").await;
    b.shot("list").await;
    b.quit().await;
}
