//! The figures page in a browser: the charts are drawn by the server (no
//! script needed), each named for screen readers and beside its table;
//! the filters narrow them.

use rampart_domain::{Clock as _, Role};
use reqwest::StatusCode;
use serde_json::json;

use super::{app_and_browser, person};
use crate::helpers::{PASSWORD, escalated_event, incident};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_page_draws_its_charts_on_the_server() {
    let Some((app, b)) = app_and_browser("figures").await else {
        return;
    };
    let ian = person(&app, "ian", &[Role::IsirtMember, Role::Poc]).await;
    person(&app, "sam", &[Role::SeniorManager]).await;
    for title in [
        "Ransomware on the file server",
        "Phishing wave",
        "Stolen laptop",
    ] {
        incident(&app, &ian, &ian, "ian", title).await;
    }
    let n = incident(&app, &ian, &ian, "ian", "Defaced web page").await;
    for (to, extra) in [
        ("responding", json!({})),
        ("recovering", json!({})),
        (
            "closed",
            json!({"resolution": "Page restored from the repository"}),
        ),
    ] {
        let mut body = json!({"to": to, "reason": "moving on"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        app.post_ok(
            &format!("/api/v1/incidents/{n}/transitions"),
            &ian,
            body,
            StatusCode::OK,
        )
        .await;
    }
    escalated_event(&app, &ian, "Printer alarm").await;
    let fa = crate::helpers::reported_event(&app, &ian, "Smoke detector beeping").await;
    app.post_ok(
        &format!("/api/v1/events/{fa}/assessment"),
        &ian,
        json!({"decision": "false_alarm"}),
        StatusCode::OK,
    )
    .await;

    b.sign_in("sam", PASSWORD).await;
    b.open("/figures").await;
    let d = b.d();
    // No script drew them: the markup came from the server.
    let source = b.source().await;
    assert!(source.contains(r#"<svg class="chart" id="chart-volumes""#));
    assert!(source.contains(r#"<svg class="chart" id="chart-times""#));
    let total = b.text("#incidents-total").await;
    assert_eq!(total, "4");
    let rate = b.text("#false-alarm-rate").await;
    assert_eq!(rate, "16.7 %", "one false alarm of six assessed");
    // Every chart is named and described, and its numbers are in a table.
    let named = d
        .execute(
            "return [...document.querySelectorAll('svg.chart')].every(s => \
               s.getAttribute('role') === 'img' && s.querySelector('title') && s.querySelector('desc') \
               && s.closest('.chart-pair').querySelector('table'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(named.json(), &json!(true));
    b.shot("page").await;
    for (i, card) in d
        .find_all(thirtyfour::By::Css("section.card"))
        .await
        .unwrap()
        .into_iter()
        .enumerate()
        .take(4)
    {
        card.scroll_into_view().await.unwrap();
        card.screenshot(&super::shots_dir().join(format!("figures-card-{i}.png")))
            .await
            .unwrap();
    }

    // The management summary of this month, from its card, with the session.
    let got = d
        .execute(
            "return fetch(document.querySelectorAll('#summaries li a[href$=\"format=pdf\"]')[1].href)
               .then(r => r.status + '\\n' + r.headers.get('content-type') + '\\n'
                 + r.headers.get('content-disposition'))",
            vec![],
        )
        .await
        .unwrap();
    let got = got.json().as_str().unwrap_or_default().to_owned();
    let month = rampart_domain::figures::month_of(rampart_domain::SystemClock.now());
    assert_eq!(
        got,
        format!("200\napplication/pdf\nattachment; filename=\"summary-{month}.pdf\""),
    );
    d.find(thirtyfour::By::Id("summaries"))
        .await
        .unwrap()
        .screenshot(&super::shots_dir().join("figures-summary-card.png"))
        .await
        .unwrap();

    // By quarter, for class III only.
    b.open("/figures?granularity=quarter&class=III").await;
    let total = b.text("#incidents-total").await;
    assert_eq!(total, "4", "every incident here is class III");
    b.shot("quarters").await;
    b.open("/figures?class=I").await;
    let total = b.text("#incidents-total").await;
    assert_eq!(total, "0");
    // A bad range is named, not a blank page.
    b.open("/figures?from=2026-13").await;
    let body = b.source().await;
    assert!(body.contains("from"), "{body}");
    b.shot("bad-range").await;
}
