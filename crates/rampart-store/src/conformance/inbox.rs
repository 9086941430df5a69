//! Notifications: a person's list pages newest first, counts what is
//! unread and leaves out what they chose not to see in the app.

use std::sync::Arc;

use rampart_domain::{Audience, Channel, InboxItem, NoticeKind, NoticePreferences, Timestamp};

use crate::sql::{SqlBackend, SqlStore};
use crate::{Decision, Entity, EntityRef, Store, UnitOfWork, Write};

fn item(n: u32, user: &str, channels: Vec<Channel>) -> InboxItem {
    InboxItem {
        id: format!("{n:016x}.{user}"),
        user: user.into(),
        kind: NoticeKind::EventEscalated,
        audience: Audience::Team,
        subject: format!("EVT-2026-{n:06}"),
        title: format!("notice {n}"),
        body: String::new(),
        link: format!("/events/EVT-2026-{n:06}"),
        tlp: None,
        actor: "pat".into(),
        created_at: Timestamp::parse("2026-11-22T08:00:00Z").unwrap(),
        channels,
        read_at: None,
    }
}

async fn write<B: SqlBackend>(store: &SqlStore<B>, writes: Vec<Write>) {
    let unit = UnitOfWork::new("system", vec![], vec![], move |_| {
        Ok(Decision {
            writes,
            ..Default::default()
        })
    });
    store.execute(unit).await.unwrap();
}

pub async fn notifications_page_and_count_per_person<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    let app = vec![Channel::InApp];
    let mut writes: Vec<Write> = (1..=5)
        .map(|n| Write::Insert(Entity::Inbox(Box::new(item(n, "ian", app.clone())))))
        .collect();
    writes.push(Write::Insert(Entity::Inbox(Box::new(item(
        6,
        "ian",
        vec![Channel::Email],
    )))));
    writes.push(Write::Insert(Entity::Inbox(Box::new(item(
        7,
        "ida",
        app.clone(),
    )))));
    write(&store, writes).await;

    assert_eq!(
        store.unread("ian").await.unwrap(),
        5,
        "e-mail only is not listed"
    );
    assert_eq!(store.unread("ida").await.unwrap(), 1);
    assert_eq!(store.unread("nobody").await.unwrap(), 0);

    let first = store.inbox("ian", false, None, 2).await.unwrap();
    let titles = |items: &[InboxItem]| items.iter().map(|i| i.title.clone()).collect::<Vec<_>>();
    assert_eq!(titles(&first.items), ["notice 5", "notice 4"]);
    let rest = store
        .inbox("ian", false, first.next_cursor.as_deref(), 10)
        .await
        .unwrap();
    assert_eq!(titles(&rest.items), ["notice 3", "notice 2", "notice 1"]);
    assert!(rest.next_cursor.is_none());
    assert!(store.inbox("ian", false, Some("x"), 10).await.is_err());

    // Read: no longer counted, still listed, not among the unread.
    let mut read = item(4, "ian", app.clone());
    read.read_at = Some(Timestamp::parse("2026-11-22T09:00:00Z").unwrap());
    write(
        &store,
        vec![Write::Update(Entity::Inbox(Box::new(read.clone())))],
    )
    .await;
    assert_eq!(store.unread("ian").await.unwrap(), 4);
    let unread = store.inbox("ian", true, None, 10).await.unwrap();
    assert_eq!(
        titles(&unread.items),
        ["notice 5", "notice 3", "notice 2", "notice 1"]
    );
    let got = store.get(&EntityRef::Inbox(read.id.clone())).await.unwrap();
    assert_eq!(got, Some(Entity::Inbox(Box::new(read))));

    // Preferences round-trip under the person's name.
    let mut prefs = NoticePreferences::default_for("ian");
    prefs.email = Some("ian@example.org".into());
    prefs.muted_by_email.insert(NoticeKind::IncidentClosed);
    write(
        &store,
        vec![Write::Insert(Entity::Preferences(prefs.clone()))],
    )
    .await;
    let got = store
        .get(&EntityRef::Preferences("ian".into()))
        .await
        .unwrap();
    assert_eq!(got, Some(Entity::Preferences(prefs)));
    assert_eq!(
        store
            .get(&EntityRef::Preferences("ida".into()))
            .await
            .unwrap(),
        None
    );
    // The categorization rules share the settings table and stay apart.
    assert_eq!(store.get(&EntityRef::Rules).await.unwrap(), None);
}
