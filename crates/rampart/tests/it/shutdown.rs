//! Stopping the server ends its live streams, so a graceful shutdown
//! finishes while pages are open instead of waiting for them for ever.

use std::net::SocketAddr;
use std::time::Duration;

use rampart_domain::Role;
use rampart_http::AppState;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::helpers::{Backend, PASSWORD, TestApp};
use crate::web::WebClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_ends_open_live_streams() {
    let app = TestApp::spawn(Backend::Sqlite, "shutdown").await.unwrap();
    app.account("pat", &[Role::Poc]).await;
    let web = WebClient::new(&app);
    web.sign_in("pat", PASSWORD).await;
    let session = web.session();

    // A second server on the same service, stopped as `rampart serve` stops.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = rampart_http::app(AppState {
        service: app.service.clone(),
        body_limit: 1 << 20,
        web: rampart_http::web::WebSettings {
            tls_proxy: false,
            public_intake: false,
        },
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = app.service.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
            service.stop_live_updates();
        })
        .await
    });

    let page = reqwest::Client::new()
        .get(format!("http://{addr}/live?topic=triage"))
        .header(COOKIE, format!("rampart_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        ended.is_ok(),
        "the server still waits for the open live stream"
    );
    // The page's stream is over: its body completes.
    let body = tokio::time::timeout(Duration::from_secs(5), page.bytes()).await;
    assert!(body.is_ok_and(|b| b.is_ok()));
}
