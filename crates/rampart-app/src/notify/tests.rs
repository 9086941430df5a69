use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rampart_domain::{Actor, Audience, Channel, Clock, NoticeKind, Role};
use rampart_store::JobState;
use serde_json::json;

use super::{Mail, MailSettings, Mailer, PreferencesInput};
use crate::ErrorKind;
use crate::jobs::MAX_ATTEMPTS;
use crate::testing::{TestApp, from_json, report};

/// Keeps what it is given; refuses while `down` is set.
#[derive(Debug, Default)]
struct Outbox {
    sent: Mutex<Vec<Mail>>,
    down: Mutex<bool>,
}

#[async_trait]
impl Mailer for Outbox {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        if *self.down.lock().unwrap() {
            return Err("connection refused".into());
        }
        self.sent.lock().unwrap().push(mail.clone());
        Ok(())
    }
}

impl Outbox {
    fn sent_to(&self, to: &str) -> Vec<Mail> {
        let sent = self.sent.lock().unwrap();
        sent.iter().filter(|m| m.to == to).cloned().collect()
    }
}

async fn with_mail() -> (TestApp, Arc<Outbox>) {
    let mut t = TestApp::new().await;
    let outbox = Arc::new(Outbox::default());
    t.app = t
        .app
        .with_mail(MailSettings {
            mailer: outbox.clone(),
        })
        .with_public_url("https://rampart.example.org/");
    (t, outbox)
}

async fn address(t: &TestApp, who: &Actor) {
    let input = PreferencesInput {
        email: Some(format!("{}@example.org", who.name)),
        ..Default::default()
    };
    t.app
        .set_notification_preferences(who, input)
        .await
        .unwrap();
}

/// Confirms a class IV incident from `event`, coordinated by `member`.
async fn emergency(t: &TestApp, member: &Actor, event: rampart_domain::EventNumber) -> String {
    let confirmation = from_json(json!({
        "events": [event], "title": "Ransomware on the file servers", "category": "malware",
        "effort": "high",
        "severity": {"system_importance": "particularly_important",
                     "business_loss": "especially_serious", "social_impact": "minor"},
        "coordinator": member.name,
    }));
    let incident = t.app.confirm_incident(member, confirmation).await.unwrap();
    assert_eq!(incident.severity.class.as_str(), "IV");
    incident.number.to_string()
}

async fn kinds(t: &TestApp, who: &Actor) -> Vec<NoticeKind> {
    let page = t.app.notifications(who, false, None, 50).await.unwrap();
    page.items.iter().map(|i| i.kind).collect()
}

#[tokio::test]
async fn a_class_four_incident_reaches_the_manager_crisis_team_and_senior_management_once() {
    let (t, outbox) = with_mail().await;
    let rita = t.user("rita", &[Role::Reporter]).await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let cora = t.user("cora", &[Role::CrisisManager]).await;
    let sam = t.user("sam", &[Role::SeniorManager]).await;
    for who in [&mia, &rita, &ian] {
        address(&t, who).await;
    }
    let event = t
        .app
        .report_event(&rita, report("Files renamed .locked"))
        .await
        .unwrap()
        .number;
    let escalate = from_json(json!({"decision": "possible_incident", "escalate": true}));
    t.app.assess_event(&pat, event, escalate).await.unwrap();
    t.app.run_due_jobs().await;
    // Escalated and marked significant: the ISIRT and its manager hear of it.
    assert_eq!(kinds(&t, &ian).await, [NoticeKind::EventEscalated]);
    assert_eq!(kinds(&t, &mia).await, [NoticeKind::EventEscalated]);
    assert!(
        kinds(&t, &pat).await.is_empty(),
        "not told of one's own change"
    );

    let number = emergency(&t, &ian, event).await;
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(
        kinds(&t, &mia).await,
        [NoticeKind::IncidentSignificant, NoticeKind::EventEscalated]
    );
    for who in [&cora, &sam] {
        assert_eq!(kinds(&t, who).await, [NoticeKind::IncidentSignificant]);
    }
    // The confirming member coordinates it and is not told of their own change.
    assert_eq!(kinds(&t, &ian).await, [NoticeKind::EventEscalated]);
    // The reporter hears that their report is handled, and nothing of the incident.
    let told = t.app.notifications(&rita, false, None, 50).await.unwrap();
    let [ack] = told.items.as_slice() else {
        panic!("{told:?}")
    };
    assert_eq!(
        (ack.kind, ack.audience),
        (NoticeKind::ReportUpdate, Audience::Reporter)
    );
    assert!(!ack.title.contains("Ransomware") && !ack.title.contains(&number));

    // Exactly one e-mail each: the manager's names the incident and links to it.
    let to_mia = outbox.sent_to("mia@example.org");
    assert_eq!(to_mia.len(), 2, "{to_mia:?}");
    let significant = to_mia.iter().find(|m| m.subject.contains(&number)).unwrap();
    assert!(significant.subject.contains("class IV"));
    assert!(
        significant
            .text
            .contains(&format!("https://rampart.example.org/incidents/{number}"))
    );
    assert!(significant.html.contains("Ransomware on the file servers"));
    assert_eq!(outbox.sent_to("rita@example.org").len(), 1);
    let journal = t.actions("inbox:mia").await;
    assert_eq!(
        journal,
        [
            "notification.created",
            "notification.emailed",
            "notification.created",
            "notification.emailed"
        ]
    );

    // Running everything again tells nobody twice.
    assert_eq!(t.app.run_due_jobs().await, 0);
    assert_eq!(outbox.sent_to("mia@example.org").len(), 2);
}

#[tokio::test]
async fn a_restricted_incident_reaches_only_the_people_it_is_restricted_to() {
    let t = TestApp::new().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let max = t.user("max", &[Role::IsirtManager]).await;
    let number = t.incident(&pat, &ian).await;
    t.app.run_due_jobs().await;
    let names = vec!["ian".to_owned(), "mia".to_owned()];
    t.app.restrict_incident(&ian, number, names).await.unwrap();
    let to = |to: &str| from_json(json!({"to": to, "reason": "out of control"}));
    t.app
        .transition(&ian, number, to("responding"))
        .await
        .unwrap();
    t.app.transition(&ian, number, to("crisis")).await.unwrap();
    t.app.run_due_jobs().await;
    assert!(kinds(&t, &mia).await.contains(&NoticeKind::IncidentCrisis));
    assert!(!kinds(&t, &max).await.contains(&NoticeKind::IncidentCrisis));
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_tried_again_later_then_the_job_is_dead_until_requeued() {
    let (t, outbox) = with_mail().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    address(&t, &ian).await;
    *outbox.down.lock().unwrap() = true;
    t.escalated_event(&pat, "Odd logins").await;
    t.app.run_due_jobs().await;
    // Told in the app at once; the e-mail waits for the server.
    assert_eq!(kinds(&t, &ian).await, [NoticeKind::EventEscalated]);
    let mail_job = || async {
        let jobs = t.app.jobs(&Actor::system(), None, None, 50).await.unwrap();
        jobs.into_iter().find(|j| j.kind == super::MAIL).unwrap()
    };
    let job = mail_job().await;
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert!(job.last_error.unwrap().contains("connection refused"));
    let secs = |t: &str| rampart_domain::Timestamp::parse(t).unwrap().as_offset();
    let mut waited = vec![secs(&job.run_after) - t.clock.now().as_offset()];
    for attempt in 2..=MAX_ATTEMPTS {
        t.clock.advance(time::Duration::hours(1));
        t.app.run_due_jobs().await;
        if attempt < MAX_ATTEMPTS {
            waited.push(secs(&mail_job().await.run_after) - t.clock.now().as_offset());
        }
    }
    assert!(waited.windows(2).all(|w| w[0] < w[1]), "{waited:?}");
    let job = mail_job().await;
    assert_eq!(job.state, JobState::Dead);
    assert!(outbox.sent_to("ian@example.org").is_empty());

    *outbox.down.lock().unwrap() = false;
    t.app.retry_job(&Actor::system(), job.id).await.unwrap();
    t.app.run_due_jobs().await;
    assert_eq!(mail_job().await.state, JobState::Done);
    assert_eq!(outbox.sent_to("ian@example.org").len(), 1);
}

#[tokio::test]
async fn tlp_red_content_never_goes_into_an_e_mail() {
    let (t, outbox) = with_mail().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    address(&t, &mia).await;
    let event = t.escalated_event(&pat, "Board member's mailbox").await;
    let confirmation = from_json(json!({
        "events": [event], "title": "Secret takeover talks leaked", "category": "compromise_of_information",
        "description": "The M&A folder was copied", "effort": "high", "tlp": "RED",
        "severity": {"system_importance": "particularly_important",
                     "business_loss": "serious", "social_impact": "minor"},
        "coordinator": "ian",
    }));
    t.app.confirm_incident(&ian, confirmation).await.unwrap();
    t.app.run_due_jobs().await;
    let sent = outbox.sent_to("mia@example.org");
    let red = sent.iter().find(|m| m.subject.contains("INC-")).unwrap();
    for part in [&red.subject, &red.text, &red.html] {
        assert!(
            !part.contains("takeover") && !part.contains("M&A"),
            "{part}"
        );
    }
    assert!(red.text.contains("TLP:RED") && red.text.contains("/incidents/INC-"));
    // In the app, which keeps need-to-know, the manager reads it all.
    // (The escalation's notice may be written after it: either may be newest.)
    let page = t.app.notifications(&mia, false, None, 10).await.unwrap();
    assert!(
        page.items.iter().any(|i| i.title.contains("takeover")),
        "{:?}",
        page.items
    );
}

#[tokio::test]
async fn people_mark_their_own_notifications_read_and_no_one_else_s() {
    let t = TestApp::new().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let ida = t.user("ida", &[Role::IsirtMember]).await;
    t.escalated_event(&pat, "One").await;
    t.escalated_event(&pat, "Two").await;
    t.app.run_due_jobs().await;
    assert_eq!(t.app.unread_notifications(&ian).await.unwrap(), 2);
    let page = t.app.notifications(&ian, false, None, 1).await.unwrap();
    assert!(page.items[0].title.contains("Two"), "newest first");
    let next = t
        .app
        .notifications(&ian, false, page.next_cursor.as_deref(), 1)
        .await
        .unwrap();
    assert!(next.items[0].title.contains("One") && next.next_cursor.is_none());

    let theirs = page.items[0].id.clone();
    let refused = t
        .app
        .mark_read(&ida, vec![theirs.clone()])
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::NotFound);
    assert_eq!(
        t.app.mark_read(&ian, vec![theirs.clone()]).await.unwrap(),
        1
    );
    assert_eq!(t.app.mark_read(&ian, vec![theirs]).await.unwrap(), 0);
    assert_eq!(t.app.unread_notifications(&ian).await.unwrap(), 1);
    let unread = t.app.notifications(&ian, true, None, 10).await.unwrap();
    assert_eq!(unread.items.len(), 1);
    assert_eq!(t.app.mark_all_read(&ian).await.unwrap(), 1);
    assert_eq!(t.app.unread_notifications(&ian).await.unwrap(), 0);
    assert_eq!(t.app.unread_notifications(&ida).await.unwrap(), 2);
    assert_eq!(
        t.actions("inbox:ian").await,
        [
            "notification.created",
            "notification.created",
            "notification.read",
            "notification.read"
        ]
    );
}

#[tokio::test]
async fn preferences_choose_channels_within_what_the_standard_requires() {
    let (t, outbox) = with_mail().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let bad = PreferencesInput {
        email: Some("ian at example".into()),
        ..Default::default()
    };
    let refused = t
        .app
        .set_notification_preferences(&ian, bad)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("email"), "{refused}");
    let silenced = PreferencesInput {
        muted_in_app: vec![NoticeKind::IncidentCrisis],
        ..Default::default()
    };
    let refused = t
        .app
        .set_notification_preferences(&ian, silenced)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("muted_in_app"), "{refused}");
    assert!(
        t.actions("user:ian")
            .await
            .iter()
            .all(|a| a == "user.created")
    );

    let prefs = PreferencesInput {
        email: Some("ian@Example.org".into()),
        muted_by_email: vec![NoticeKind::EventEscalated],
        ..Default::default()
    };
    let saved = t
        .app
        .set_notification_preferences(&ian, prefs)
        .await
        .unwrap();
    assert_eq!(saved.email.as_deref(), Some("ian@example.org"));
    t.escalated_event(&pat, "Odd logins").await;
    t.app.run_due_jobs().await;
    let page = t.app.notifications(&ian, false, None, 10).await.unwrap();
    assert_eq!(page.items[0].channels, [Channel::InApp]);
    assert!(outbox.sent_to("ian@example.org").is_empty());
    assert_eq!(t.app.notification_preferences(&ian).await.unwrap(), saved);
}

/// Keeps what it is asked to post; takes every address.
#[derive(Debug, Default)]
struct Receiver {
    posted: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl super::Poster for Receiver {
    async fn post(&self, post: &super::HookPost<'_>) -> Result<u16, String> {
        let body = String::from_utf8(post.body.to_vec()).unwrap();
        self.posted
            .lock()
            .unwrap()
            .push((post.delivery.to_owned(), body));
        Ok(204)
    }

    async fn check(&self, url: &str, _allow_private: bool) -> Result<String, String> {
        Ok(url.to_owned())
    }
}

#[tokio::test]
async fn a_webhook_gets_a_restricted_or_red_incident_as_its_number_and_link_only() {
    let mut t = TestApp::new().await;
    let receiver = Arc::new(Receiver::default());
    t.app = t
        .app
        .with_poster(receiver.clone())
        .with_public_url("https://rampart.example.org");
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let admin = Actor::system();
    let hook = t
        .app
        .add_webhook(
            &admin,
            from_json(json!({"name": "SOAR", "url": "https://soar.example.org/in",
                             "kinds": ["incident_significant", "incident_crisis"]})),
        )
        .await
        .unwrap();
    let refused = t
        .app
        .add_webhook(
            &ian,
            from_json(json!({"name": "x", "url": "https://x.example.org"})),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);

    // An open class IV incident: its words go out.
    let first = t
        .escalated_event(&pat, "Ransom note on the file server")
        .await;
    let number = emergency(&t, &ian, first).await;
    t.app.run_due_jobs().await;
    let posted = receiver.posted.lock().unwrap().clone();
    let [(delivery, body)] = posted.as_slice() else {
        panic!("{posted:?}")
    };
    assert!(delivery.ends_with(&hook.id));
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["redacted"], false);
    assert!(body["title"].as_str().unwrap().contains("Ransomware"));
    assert_eq!(
        body["link"],
        format!("https://rampart.example.org/incidents/{number}")
    );
    assert_eq!(
        t.actions(format!("webhook:{}", hook.id)).await,
        ["webhook.created", "webhook.delivered"]
    );

    // Restricted to named people, then in crisis: the number and the link only.
    let number: rampart_domain::IncidentNumber = number.parse().unwrap();
    t.app
        .restrict_incident(&ian, number, vec!["ian".into()])
        .await
        .unwrap();
    let to = |to: &str| from_json(json!({"to": to, "reason": "spreading"}));
    t.app
        .transition(&ian, number, to("responding"))
        .await
        .unwrap();
    t.app.transition(&ian, number, to("crisis")).await.unwrap();
    t.app.run_due_jobs().await;
    let posted = receiver.posted.lock().unwrap().clone();
    assert_eq!(posted.len(), 2, "{posted:?}");
    let body: serde_json::Value = serde_json::from_str(&posted[1].1).unwrap();
    assert_eq!(body["kind"], "incident_crisis");
    assert_eq!(body["redacted"], true);
    assert!(!posted[1].1.contains("Ransom"), "{}", posted[1].1);
    assert!(
        body["link"]
            .as_str()
            .unwrap()
            .ends_with(&number.to_string())
    );

    // Turned off: nothing more.
    let off = super::WebhookPatch {
        active: Some(false),
        ..Default::default()
    };
    t.app.change_webhook(&admin, &hook.id, off).await.unwrap();
    t.app
        .transition(&ian, number, to("responding"))
        .await
        .unwrap();
    t.app.transition(&ian, number, to("crisis")).await.unwrap();
    t.app.run_due_jobs().await;
    assert_eq!(receiver.posted.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn an_action_s_owner_is_told_a_day_before_it_is_due_and_when_overdue_unless_it_is_done() {
    let t = TestApp::new().await;
    let pat = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    // A point of contact: she reads the incident and owns actions, and
    // hears nothing of escalations.
    let ida = t.user("ida", &[Role::Poc]).await;
    let number = t.incident(&pat, &ian).await;
    let due = |days: i64| {
        rampart_domain::Timestamp::from_offset(
            t.clock.now().as_offset() + time::Duration::days(days),
        )
    };
    for what in ["Reset the VPN keys", "Rotate the database password"] {
        let action = from_json(json!({"what": what, "owner": "ida", "due": due(3)}));
        t.app.add_action(&ian, number, action).await.unwrap();
    }
    t.app.run_due_jobs().await;
    let ida_kinds = || kinds(&t, &ida);
    assert_eq!(
        ida_kinds().await,
        [NoticeKind::ActionAssigned, NoticeKind::ActionAssigned]
    );
    // The second is done early; the first is still open a day before.
    let done = from_json(json!({"status": "done", "outcome": "rotated"}));
    t.app.update_action(&ian, number, 2, done).await.unwrap();
    t.clock.advance(time::Duration::hours(47));
    t.app.run_due_jobs().await;
    assert_eq!(ida_kinds().await.len(), 2, "not yet a day before");
    t.clock.advance(time::Duration::hours(2));
    t.app.run_due_jobs().await;
    let told = t.app.notifications(&ida, false, None, 10).await.unwrap();
    assert_eq!(told.items[0].kind, NoticeKind::ActionDueSoon);
    assert!(
        told.items[0].title.contains("Reset the VPN keys"),
        "{:?}",
        told.items[0]
    );
    assert_eq!(told.items.len(), 3, "nothing for the action that is done");

    // Its due time moves a week on: the old deadline says nothing, the new one does.
    let later = from_json(json!({"due": due(7)}));
    t.app.update_action(&ian, number, 1, later).await.unwrap();
    t.clock.advance(time::Duration::days(2));
    t.app.run_due_jobs().await;
    assert_eq!(
        ida_kinds().await.len(),
        3,
        "the old due time has passed silently"
    );
    t.clock.advance(time::Duration::days(6));
    t.app.run_due_jobs().await;
    assert_eq!(
        ida_kinds().await[..2],
        [NoticeKind::ActionOverdue, NoticeKind::ActionDueSoon]
    );
    assert!(
        kinds(&t, &ian)
            .await
            .iter()
            .all(|k| !matches!(k, NoticeKind::ActionDueSoon | NoticeKind::ActionOverdue))
    );
    // Run again, nobody is told twice.
    t.app.run_due_jobs().await;
    assert_eq!(ida_kinds().await.len(), 5);
}

/// Who was told of the incident's escalations, rung by rung.
async fn escalations(t: &TestApp, n: &str) -> Vec<(String, u32, Vec<String>)> {
    let incident = t
        .app
        .store()
        .get(&rampart_store::EntityRef::Incident(n.parse().unwrap()))
        .await
        .unwrap();
    let Some(rampart_store::Entity::Incident(incident)) = incident else {
        panic!("no incident {n}");
    };
    incident
        .escalations
        .iter()
        .map(|e| (e.deadline.clone(), e.at_percent, e.told.clone()))
        .collect()
}

#[tokio::test]
async fn a_clock_escalates_to_the_coordinator_at_75_and_the_managers_at_100_percent() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let cara = t.user("cara", &[Role::CrisisManager]).await;
    let sam = t.user("sam", &[Role::SeniorManager]).await;
    let event = t.escalated_event(&poc, "Card payments failing").await;
    let n = emergency(&t, &ian, event).await;
    let number = n.parse().unwrap();
    // DORA: classified as major now, so the initial notification is due in
    // 4 h (before containment's 4 h from awareness, which is now too).
    t.app
        .decide_regime(&ian, number, from_json(json!({"regime": "dora"})))
        .await
        .unwrap();
    t.clock.advance(time::Duration::minutes(10));
    t.app
        .record_anchor(
            &ian,
            number,
            from_json(json!({"anchor": "classified_major"})),
        )
        .await
        .unwrap();
    t.app.run_due_jobs().await;
    assert!(escalations(&t, &n).await.is_empty(), "nothing is near yet");

    // 2 h 59 min after classification: still under 75 % of the clock's 4 h.
    t.clock.advance(time::Duration::minutes(179));
    t.app.run_due_jobs().await;
    let clock = "clock:dora/initial_notification";
    assert!(
        !escalations(&t, &n).await.iter().any(|(d, _, _)| d == clock),
        "not yet at 75 %"
    );
    // 3 h: 75 % used; the coordinator is told, once.
    t.clock.advance(time::Duration::minutes(1));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    let rungs = escalations(&t, &n).await;
    let of_clock: Vec<_> = rungs.iter().filter(|(d, _, _)| d == clock).collect();
    assert_eq!(of_clock, [&(clock.to_owned(), 75, vec!["ian".to_owned()])]);
    assert!(
        kinds(&t, &ian)
            .await
            .contains(&NoticeKind::DeadlineEscalated)
    );
    assert!(
        !kinds(&t, &mia)
            .await
            .contains(&NoticeKind::DeadlineEscalated)
    );

    // 4 h: 100 %; the coordinator and the ISIRT manager, and, class IV,
    // crisis and senior management.
    t.clock.advance(time::Duration::hours(1));
    t.app.run_due_jobs().await;
    let rungs = escalations(&t, &n).await;
    let of_clock: Vec<_> = rungs
        .iter()
        .filter(|(d, p, _)| d == clock && *p == 100)
        .map(|(_, _, told)| told.clone())
        .collect();
    assert_eq!(
        of_clock,
        [
            vec!["ian".to_owned(), "mia".to_owned()],
            vec!["cara".to_owned(), "sam".to_owned()]
        ]
    );
    for who in [&mia, &cara, &sam] {
        assert!(
            kinds(&t, who)
                .await
                .contains(&NoticeKind::DeadlineEscalated),
            "{}",
            who.name
        );
    }
    // Each rung is journaled once, whatever runs again.
    t.app.run_due_jobs().await;
    let escalated = t
        .actions(&n)
        .await
        .into_iter()
        .filter(|a| a == "incident.escalated")
        .count();
    assert_eq!(escalated, rungs.len());
}

#[tokio::test]
async fn a_reached_deadline_tells_nobody_once_it_is_met() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let event = t.escalated_event(&poc, "Card payments failing").await;
    let n = emergency(&t, &ian, event).await;
    let number = n.parse().unwrap();
    t.app
        .decide_regime(&ian, number, from_json(json!({"regime": "cert_in"})))
        .await
        .unwrap();
    // CERT-In: 6 h from noticing. Sent after 1 h: its rungs tell nobody.
    t.app
        .record_anchor(&ian, number, from_json(json!({"anchor": "noticed"})))
        .await
        .unwrap();
    t.clock.advance(time::Duration::hours(1));
    t.app
        .record_submission(
            &ian,
            number,
            from_json(json!({"regime": "cert_in", "report": "report", "authority": "CERT-In"})),
        )
        .await
        .unwrap();
    t.clock.advance(time::Duration::hours(6));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert!(
        escalations(&t, &n)
            .await
            .iter()
            .all(|(d, _, _)| !d.starts_with("clock:cert_in")),
        "{:?}",
        escalations(&t, &n).await
    );
}

#[tokio::test]
async fn a_shorter_target_escalates_on_its_new_schedule() {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let admin = t.user("ada", &[Role::Admin]).await;
    let event = t.escalated_event(&poc, "Card payments failing").await;
    let n = emergency(&t, &ian, event).await;
    t.app.run_due_jobs().await;
    // Class IV containment: 4 h by default, now 2 h; 75 % is at 1 h 30 min.
    let mut targets = t.app.get_targets(&admin).await.unwrap();
    for row in &mut targets.classes {
        if row.class == rampart_domain::SeverityClass::IV {
            row.contain_minutes = 120;
        }
    }
    t.app.replace_targets(&admin, targets).await.unwrap();
    t.app.run_due_jobs().await;
    t.clock.advance(time::Duration::minutes(89));
    t.app.run_due_jobs().await;
    assert!(escalations(&t, &n).await.is_empty());
    t.clock.advance(time::Duration::minutes(1));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    let rungs = escalations(&t, &n).await;
    assert_eq!(rungs.len(), 1, "{rungs:?}");
    assert_eq!((rungs[0].0.as_str(), rungs[0].1), ("target:contain", 75));
}
