//! Vulnerabilities in the browser: a reporter reports one and reads it back;
//! the ISIRT assesses, confirms and resolves it on its page; only the ISIRT
//! manager accepts a risk; an incident's workspace lists those found during it.

use rampart_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vulnerability_is_reported_confirmed_and_resolved_in_the_browser() {
    let Some((app, b)) = app_and_browser("vulnerabilities").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "mia", &[Role::IsirtManager]).await;
    person(&app, "rita", &[Role::Reporter]).await;
    let inc = incident(
        &app,
        &ian,
        &ian,
        "ian",
        "Intrusion through the VPN appliance",
    )
    .await;

    // Rita reports from her own page of reports, and lands on the report.
    b.sign_in("rita", PASSWORD).await;
    b.open("/vulnerabilities").await;
    assert_eq!(b.heading().await, "My vulnerability reports");
    b.fill("#v-title", "Printer admin page has the default password")
        .await;
    b.fill("#v-desc", "admin/admin opens the settings of printer-3")
        .await;
    b.fill("#v-assets", "printer-3").await;
    b.submit("#report button[type=submit]").await;
    let vul = b.text("#vulnerability-number").await;
    assert!(vul.starts_with("VUL-"), "{vul}");
    assert!(
        b.text("main")
            .await
            .contains("The ISIRT has it and will assess it.")
    );
    b.sign_out().await;

    // Ian: from the register to its page; start, confirm, resolve.
    b.sign_in("ian", PASSWORD).await;
    b.open("/vulnerabilities").await;
    b.click(&format!("a[href=\"/vulnerabilities/{vul}\"]"))
        .await;
    assert!(b.source().await.contains("id=\"assess\""));
    assert!(
        !b.source().await.contains("id=\"accept\""),
        "a member accepts no risk"
    );
    b.click("input[value=under_assessment]").await;
    b.submit("#assess button[type=submit]").await;
    assert!(b.text("#vulnerability-status").await.contains("Assessed"));
    b.click("input[value=confirmed]").await;
    b.fill("#va-notes", "Reproduced from the office network")
        .await;
    b.submit("#assess button[type=submit]").await;
    assert!(b.text("#vulnerability-status").await.contains("Confirmed"));
    // Fixed in the future is refused, naming the field; nothing changes.
    b.fill(
        "#vr-how",
        "Password changed, admin page limited to the IT VLAN",
    )
    .await;
    b.fill("#vr-by", "Olga, owner of the print service").await;
    b.d()
        .execute(
            "document.getElementById('vr-at').value = '2099-01-01T10:00'",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#resolve button[type=submit]").await;
    assert!(
        b.text(".alert-error")
            .await
            .contains("must not be in the future")
    );
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#vr-by"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some("Olga, owner of the print service"),
        "the form keeps what was typed"
    );
    b.d()
        .execute("document.getElementById('vr-at').value = ''", vec![])
        .await
        .unwrap();
    b.submit("#resolve button[type=submit]").await;
    assert!(b.text("#vulnerability-status").await.contains("Resolved"));
    let resolution = b.text("#resolution").await;
    assert!(
        resolution.contains("Olga, owner of the print service"),
        "{resolution}"
    );
    assert!(resolution.contains("ian"), "{resolution}");
    b.shot("resolved").await;

    // One found during the incident: listed in its workspace.
    b.open(&format!("/incidents/{inc}")).await;
    b.click("#vulnerabilities a[href*='#report']").await;
    assert_eq!(
        b.d()
            .find(thirtyfour::By::Css("#v-inc"))
            .await
            .unwrap()
            .value()
            .await
            .unwrap()
            .as_deref(),
        Some(inc.as_str())
    );
    b.fill("#v-title", "VPN appliance runs a firmware with a known RCE")
        .await;
    b.fill(
        "#v-desc",
        "CVE-2024-3400 class of flaw on the edge appliance",
    )
    .await;
    b.submit("#report button[type=submit]").await;
    let second = b.text("#vulnerability-number").await;
    b.open(&format!("/incidents/{inc}")).await;
    assert!(b.text("#vulnerabilities").await.contains(&second));
    b.sign_out().await;

    // Mia accepts the second one's risk.
    app.post_ok(
        &format!("/api/v1/vulnerabilities/{second}/assessment"),
        &ian,
        json!({"outcome": "confirmed"}),
        StatusCode::OK,
    )
    .await;
    b.sign_in("mia", PASSWORD).await;
    b.open(&format!("/vulnerabilities/{second}")).await;
    b.fill(
        "#vk-why",
        "Appliance replaced next month; exposed port closed meanwhile",
    )
    .await;
    b.d()
        .execute(
            "document.getElementById('vk-until').value = '2099-03-01T00:00'",
            vec![],
        )
        .await
        .unwrap();
    b.submit("#accept button[type=submit]").await;
    assert!(b.text("#vulnerability-status").await.contains("Accepted"));
    assert!(b.text("#resolution").await.contains("Accepted by"));
    b.sign_out().await;

    // Rita reads back hers: resolved, without the ISIRT's notes.
    b.sign_in("rita", PASSWORD).await;
    b.open(&format!("/vulnerabilities/{vul}")).await;
    let page = b.source().await;
    assert!(page.contains("It has been fixed."));
    assert!(!page.contains("Reproduced from the office network"));
    assert!(!page.contains("Olga"));
    b.shot("reporter-reads-back").await;
    b.open(&format!("/vulnerabilities/{second}")).await;
    assert_eq!(b.heading().await, "Not found");
    b.quit().await;
}
