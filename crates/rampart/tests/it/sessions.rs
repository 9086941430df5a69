//! Session expiry and second-factor replay, to the second, on a manual clock.

use std::sync::Arc;

use rampart_app::App;
use rampart_app::people::SignIn;
use rampart_domain::{Actor, Clock, ManualClock, Role, Timestamp};

use crate::helpers::PASSWORD;

async fn service(clock: Arc<ManualClock>) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = rampart_store_sqlite::open(dir.path(), clock.clone())
        .await
        .unwrap();
    let service = App::new(Arc::new(store), clock);
    service
        .add_user(&Actor::system(), "alice", vec![Role::IsirtMember])
        .await
        .unwrap();
    service
        .set_password(&Actor::system(), "alice", PASSWORD)
        .await
        .unwrap();
    (service, dir)
}

async fn sign_in(service: &App) -> String {
    match service
        .sign_in("alice", PASSWORD, "192.0.2.1", None)
        .await
        .unwrap()
    {
        SignIn::Session { id, .. } => id,
        SignIn::Refused(r) => panic!("refused: {r:?}"),
    }
}

fn minutes(m: i64) -> time::Duration {
    time::Duration::minutes(m)
}

#[tokio::test]
async fn an_unused_session_ends_after_the_idle_timeout_and_use_extends_it() {
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-23T08:00:00Z").unwrap(),
    ));
    let (service, _dir) = service(clock.clone()).await;
    let id = sign_in(&service).await;
    clock.advance(minutes(20));
    assert!(
        service.session(&id).await.unwrap().is_some(),
        "used at 20 min"
    );
    clock.advance(minutes(29));
    assert!(
        service.session(&id).await.unwrap().is_some(),
        "49 min after sign-in, 29 after last use"
    );
    clock.advance(minutes(31));
    assert!(
        service.session(&id).await.unwrap().is_none(),
        "31 min unused: ended"
    );
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_expiry_however_busy() {
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-23T08:00:00Z").unwrap(),
    ));
    let (service, _dir) = service(clock.clone()).await;
    let id = sign_in(&service).await;
    for _ in 0..(12 * 3 - 1) {
        clock.advance(minutes(20));
        assert!(service.session(&id).await.unwrap().is_some());
    }
    clock.advance(minutes(21));
    assert!(
        service.session(&id).await.unwrap().is_none(),
        "12 hours after sign-in the session ends even though it was just used"
    );
    let again = sign_in(&service).await;
    assert!(service.session(&again).await.unwrap().is_some());
}

#[tokio::test]
async fn a_totp_code_is_accepted_once() {
    let clock = Arc::new(ManualClock::new(
        Timestamp::parse("2026-11-23T08:00:00Z").unwrap(),
    ));
    let (service, _dir) = service(clock.clone()).await;
    let id = sign_in(&service).await;
    let (session, _) = service.session(&id).await.unwrap().unwrap();
    let secret = service.begin_totp(&session).await.unwrap();
    let (session, _) = service.session(&id).await.unwrap().unwrap();
    let now = u64::try_from(clock.now().as_offset().unix_timestamp()).unwrap();
    let code = rampart_app::auth::totp_code(&secret, "alice", now).unwrap();
    service
        .confirm_totp(&session, &code, "192.0.2.1")
        .await
        .unwrap();

    // Signing in now needs the code; the code just used for enrolment is refused.
    let SignIn::Session { id, session } = service
        .sign_in("alice", PASSWORD, "192.0.2.1", None)
        .await
        .unwrap()
    else {
        panic!("password accepted");
    };
    assert_eq!(session.stage, rampart_store::SessionStage::AwaitingTotp);
    let (pending, _) = service.session(&id).await.unwrap().unwrap();
    assert!(matches!(
        service
            .sign_in_totp(&pending, &code, "192.0.2.1")
            .await
            .unwrap(),
        SignIn::Refused(_)
    ));
    clock.advance(time::Duration::seconds(30));
    let next = rampart_app::auth::totp_code(&secret, "alice", now + 30).unwrap();
    let SignIn::Session { session, .. } = service
        .sign_in_totp(&pending, &next, "192.0.2.1")
        .await
        .unwrap()
    else {
        panic!("the next code is accepted");
    };
    assert_eq!(session.stage, rampart_store::SessionStage::Active);
    assert!(
        service.session(&id).await.unwrap().is_none(),
        "the half-signed-in session was replaced"
    );
}
