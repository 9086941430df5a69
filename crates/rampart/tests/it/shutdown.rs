//! Stopping the server ends its live streams, so a graceful shutdown
//! finishes while pages are open instead of waiting for them for ever.

use std::time::Duration;

use rampart_domain::Role;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::web::WebClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_ends_open_live_streams() {
    let mut app = TestApp::spawn(Backend::Sqlite, "shutdown").await.unwrap();
    app.account("pat", &[Role::Poc]).await;
    let web = WebClient::new(&app);
    web.sign_in("pat", PASSWORD).await;
    let session = web.session();

    let page = reqwest::Client::new()
        .get(format!("http://{}/live?topic=triage", app.addr))
        .header(COOKIE, format!("rampart_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // Stopped as `rampart serve` stops.
    let server = app.shut_down();
    let ended = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        ended.is_ok(),
        "the server still waits for the open live stream"
    );
    // The page's stream is over: its body completes.
    let body = tokio::time::timeout(Duration::from_secs(5), page.bytes()).await;
    assert!(body.is_ok_and(|b| b.is_ok()));
}
