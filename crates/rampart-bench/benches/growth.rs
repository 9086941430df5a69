//! Growth: what reading costs as the records grow.
//!
//! For each size (`RAMPART_GROWTH_EVENTS`, default `100000,1000000`) an
//! SQLite installation is filled through the store: that many events, one
//! in ten confirmed as an incident (so 100,000 incidents at a million
//! events), each event with an address, a domain and an asset; a share of
//! the events waiting in triage; a share of the incidents open, with
//! response actions (some overdue), coordinated by twenty ISIRT members,
//! some restricted to one of them. With `RAMPART_TEST_DATABASE_URL` set the
//! same installation is moved to PostgreSQL with `migrate-store`.
//!
//! Then, on each backend, a signed-in ISIRT member asks for the pages and
//! lists people use, one request at a time, over real HTTP: the events
//! list and its filters, text search (an address held by one event, a
//! host name held by a few, a word held by many), the incident register
//! and its filters, the dashboard, the triage queue, the figures (page
//! and API). Each prints its p50
//! and p99 over [`SAMPLES`] requests, and the targets say met or not met.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rampart_app::App;
use rampart_domain::journal::EventReported;
use rampart_domain::{
    ActionStatus, Actor, Clock, Event, EventReport, EventStatus, Incident, IncidentConfirmation,
    IncidentStatus, JournalAction, NumberKind, ResponseAction, Role, SystemClock, Text, Timestamp,
};
use rampart_http::AppState;
use rampart_store::{Decision, Entity, JournalDraft, Store, UnitOfWork, Write};
use serde_json::json;

mod common;
use common::{ms, percentile};

/// The server's allocator, as in the `rampart` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Requests measured per line.
const SAMPLES: usize = 200;
/// Events whose address and host are searched for, spread over the fill.
const SEARCHED: usize = 64;
/// Events per unit of the fill.
const UNIT_EVENTS: usize = 250;
/// Units in flight during the fill.
const IN_FLIGHT: usize = 8;
/// ISIRT members coordinating incidents.
const MEMBERS: usize = 20;
const PASSWORD: &str = "growth benchmark password";
const WORDS: [&str; 24] = [
    "phishing",
    "malware",
    "scan",
    "login",
    "failed",
    "brute",
    "force",
    "ransomware",
    "outage",
    "laptop",
    "stolen",
    "suspicious",
    "invoice",
    "vpn",
    "firewall",
    "alert",
    "port",
    "server",
    "database",
    "backup",
    "credential",
    "leak",
    "printer",
    "badge",
];

fn main() -> anyhow::Result<()> {
    let sizes: Vec<usize> = std::env::var("RAMPART_GROWTH_EVENTS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .with_context(|| format!("RAMPART_GROWTH_EVENTS: `{s}` is not a count"))
        })
        .collect::<anyhow::Result<_>>()?;
    if sizes.iter().any(|&n| n < 10 * UNIT_EVENTS) {
        bail!(
            "RAMPART_GROWTH_EVENTS: each size must be at least {}",
            10 * UNIT_EVENTS
        );
    }
    rampart_notify::use_ring_for_tls();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(&sizes))
}

async fn run(sizes: &[usize]) -> anyhow::Result<()> {
    println!("growth: p50 and p99 of {SAMPLES} requests, one at a time, over HTTP on 127.0.0.1");
    let mut all_met = true;
    for &size in sizes {
        let dir = tempfile::tempdir()?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(rampart_store_sqlite::open(dir.path(), clock.clone()).await?);
        let started = Instant::now();
        let world = fill(store.as_ref(), size).await?;
        println!(
            "sqlite    {size} events, {} incidents filled through the store in {:.1} s",
            size / 10,
            started.elapsed().as_secs_f64()
        );
        // The writer indexes the text of what it wrote while it is idle.
        let started = Instant::now();
        while store.text_index_waiting().await? > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        println!(
            "sqlite    text index caught up {:.1} s after the fill",
            started.elapsed().as_secs_f64()
        );
        let app = Arc::new(App::new(store.clone(), clock.clone()));
        people(&app).await?;
        all_met &= measure(&app, "sqlite", size, &world).await?;
        drop(app);
        store.backend().close().await;
        drop(store);

        let Some(db) = rampart_store_pg::testing::TestDatabase::create("growth").await else {
            continue;
        };
        let started = Instant::now();
        rampart::migrate::migrate(dir.path(), db.url(), clock.clone(), None, &mut |_| {}).await?;
        println!(
            "postgres  moved with migrate-store in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let store = Arc::new(rampart_store_pg::open(db.url(), clock.clone()).await?);
        // The copy's dirty pages written out before the clock starts.
        store.execute_raw("CHECKPOINT").await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let app = Arc::new(App::new(store.clone(), clock.clone()));
        all_met &= measure(&app, "postgres", size, &world).await?;
        if std::env::var_os("RAMPART_GROWTH_KEEP").is_some() {
            // Left for a look at the plans: both installations stay.
            println!("kept: {} and {}", dir.keep().display(), db.url());
            std::mem::forget(db);
        }
    }
    println!(
        "growth: {}",
        if all_met {
            "every target met"
        } else {
            "some targets NOT met"
        }
    );
    Ok(())
}

/// What the fill put where, for the searches.
struct World {
    /// Addresses each held by one event.
    addresses: Vec<String>,
    /// Host names each held by a few events.
    hosts: Vec<String>,
}

/// A small deterministic generator, so every run fills the same records.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

fn member(i: usize) -> String {
    format!("member-{:02}", i % MEMBERS)
}

/// The `i`th event's report: a title and description of common words, an
/// address of its own, a host name shared with few others, a domain.
fn report(i: usize, rng: &mut Rng) -> Result<EventReport, rampart_domain::DomainError> {
    let words: Vec<&str> = (0..12).map(|_| WORDS[rng.below(WORDS.len())]).collect();
    let address = address(i);
    let host = format!("host-{:05}.corp.example", rng.below(50_000));
    let sensor = i % 10 < 7;
    let mut body = json!({
        "title": format!("{} {} on {host}", words[0], words[1]),
        "description": words.join(" "),
        "assets": [host],
        "observables": [
            {"type": "ip", "value": address},
            {"type": "domain", "value": format!("d{}.example.net", rng.below(5_000))},
        ],
    });
    if sensor {
        body["source"] = json!({"kind": "sensor", "name": format!("ids-{}", i % 4), "ref": format!("alert-{i}")});
        let severity = ["low", "medium", "high", "critical"][rng.below(4)];
        body["severity"] = json!(severity);
    }
    serde_json::from_value(body)
        .map_err(|e| rampart_domain::DomainError::field("body", e.to_string()))
}

/// The address held by the `i`th event only.
fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn at(text: &str) -> Result<Timestamp, rampart_domain::DomainError> {
    Timestamp::parse(text).map_err(|e| rampart_domain::DomainError::field("due", e))
}

/// Fills `store` with `size` events and a tenth as many incidents.
async fn fill(store: &dyn Store, size: usize) -> anyhow::Result<World> {
    let units = size.div_ceil(UNIT_EVENTS);
    let mut done = 0;
    let mut world = World {
        addresses: Vec::new(),
        hosts: Vec::new(),
    };
    while done < units {
        let wave: Vec<_> = (done..units.min(done + IN_FLIGHT))
            .map(|u| store.execute(fill_unit(u, size)))
            .collect();
        let spacing = (units / SEARCHED).max(1);
        for (u, result) in (done..).zip(futures_util::future::join_all(wave).await) {
            let committed = result.context("fill unit")?;
            // One event of every so many units: searched text from all over the
            // table (the very first events, 10.0.0.1 and so on, are the worst
            // case, measured on its own).
            if u % spacing != spacing / 2 {
                continue;
            }
            let mut events = committed.entities.iter().filter_map(|e| match e {
                Entity::Event(e) => Some(e),
                _ => None,
            });
            if let Some(e) = events.nth(1) {
                world.addresses.push(e.observables[0].value.to_string());
                world.hosts.push(
                    e.assets[0]
                        .as_str()
                        .trim_end_matches(".corp.example")
                        .into(),
                );
            }
        }
        done += IN_FLIGHT;
    }
    Ok(world)
}

/// One unit of the fill: [`UNIT_EVENTS`] events, a tenth confirmed as incidents.
fn fill_unit(unit: usize, size: usize) -> UnitOfWork {
    let first = unit * UNIT_EVENTS;
    let count = UNIT_EVENTS.min(size - first);
    let incidents = count.div_ceil(10);
    let mut numbers = vec![NumberKind::Event; count];
    numbers.extend(vec![NumberKind::Incident; incidents]);
    UnitOfWork::new("ingest", vec![], numbers, move |ctx| {
        let reporter = Actor::new("ingest", vec![Role::Reporter]);
        let member_actor = Actor::new("member-00", vec![Role::IsirtMember]);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (first as u64 + 1));
        let mut writes = Vec::with_capacity(count + incidents);
        let mut journal = Vec::with_capacity(count + incidents);
        for k in 0..count {
            let i = first + k;
            let number = ctx.event_number(k)?;
            let mut event = Event::report(number, report(i, &mut rng)?, &reporter, ctx.now);
            journal.push(JournalDraft::new(
                number,
                JournalAction::EventReported(EventReported(Box::new(event.clone()))),
            ));
            if k.is_multiple_of(10) {
                event.status = EventStatus::Escalated;
                let incident = incident(
                    ctx.incident_number(count + k / 10)?,
                    i,
                    &mut event,
                    &member_actor,
                    ctx.now,
                    &mut rng,
                )?;
                journal.push(JournalDraft::new(
                    incident.number,
                    JournalAction::IncidentConfirmed(Box::new(incident.clone())),
                ));
                writes.push(Write::Insert(Entity::Event(Box::new(event))));
                writes.push(Write::Insert(Entity::Incident(Box::new(incident))));
                continue;
            }
            event.status = match i % 50 {
                0 => EventStatus::Reported,
                1 => EventStatus::Triage,
                2 => EventStatus::Escalated,
                3..=20 => EventStatus::FalseAlarm,
                21..=35 => EventStatus::NotIncident,
                _ => EventStatus::HandledLocally,
            };
            writes.push(Write::Insert(Entity::Event(Box::new(event))));
        }
        Ok(Decision {
            writes,
            journal,
            ..Default::default()
        })
    })
}

/// The incident confirmed from the `i`th event: most closed; the open
/// ones with response actions, some overdue; a few restricted.
fn incident(
    number: rampart_domain::IncidentNumber,
    i: usize,
    event: &mut Event,
    by: &Actor,
    now: Timestamp,
    rng: &mut Rng,
) -> Result<Incident, rampart_domain::DomainError> {
    let categories = [
        "malware",
        "technical_attack",
        "compromise_of_information",
        "rule_violation",
    ];
    let grades = [
        ("ordinary", "minor"),
        ("important", "considerable"),
        ("important", "serious"),
        ("particularly_important", "especially_serious"),
    ];
    let (importance, loss) = grades[rng.below(grades.len())];
    let effort = ["low", "medium", "high"][rng.below(3)];
    let category = categories[rng.below(categories.len())];
    let input: IncidentConfirmation = serde_json::from_value(json!({
        "events": [event.number], "title": event.title, "category": category,
        "severity": {"system_importance": importance, "business_loss": loss, "social_impact": "minor"},
        "effort": effort, "coordinator": member(i / 10)
    }))
    .map_err(|e| rampart_domain::DomainError::field("body", e.to_string()))?;
    let mut incident = Incident::confirm(number, input, std::slice::from_mut(event), by, now)?;
    let n = i / 10;
    if !n.is_multiple_of(5) {
        incident.status = IncidentStatus::Closed;
        return Ok(incident);
    }
    incident.status = if n.is_multiple_of(3) {
        IncidentStatus::Responding
    } else {
        IncidentStatus::Confirmed
    };
    if n % 100 == 5 {
        incident.restricted_to = vec![member(n), "member-00".into()];
    }
    let overdue = n.is_multiple_of(50);
    for id in 1..=1 + rng.below(3) {
        let due = if overdue && id == 1 {
            "2026-01-10T09:00:00Z"
        } else {
            "2099-01-10T09:00:00Z"
        };
        incident.actions.push(ResponseAction {
            id: u32::try_from(id).unwrap_or(1),
            what: Text::new(format!("contain {} step {id}", event.title))
                .map_err(|e| rampart_domain::DomainError::field("what", e))?,
            owner: Text::new("ops on call")
                .map_err(|e| rampart_domain::DomainError::field("owner", e))?,
            due: Some(at(due)?),
            status: ActionStatus::Planned,
            requires_approval: false,
            approval: None,
            outcome: None,
            created_by: by.name.clone(),
            created_at: now,
            updated_at: now,
            procedure: None,
        });
    }
    Ok(incident)
}

/// The ISIRT members, with passwords (the fill names them as coordinators).
async fn people(app: &App) -> anyhow::Result<()> {
    app.bootstrap_admin().await?;
    for i in 0..MEMBERS {
        let name = member(i);
        app.add_user(&Actor::system(), &name, vec![Role::IsirtMember, Role::Poc])
            .await?;
        app.set_password(&Actor::system(), &name, PASSWORD).await?;
    }
    Ok(())
}

/// One line of the report: what was asked, and the target if there is one.
struct Line {
    what: &'static str,
    paths: Vec<String>,
    /// p99 target in milliseconds, at a million events.
    target_ms: Option<f64>,
}

async fn measure(
    app: &Arc<App>,
    backend: &str,
    size: usize,
    world: &World,
) -> anyhow::Result<bool> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = rampart_http::app(AppState {
        app: app.clone(),
        body_limit: 1 << 20,
        web: rampart_http::web::WebSettings::default(),
        metrics: Default::default(),
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(rampart_http::server::serve(
        listener,
        router,
        rampart_http::server::ServerSettings::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let session = match app
        .sign_in("member-00", PASSWORD, "127.0.0.1", None)
        .await?
    {
        rampart_app::people::SignIn::Session { id, .. } => id,
        rampart_app::people::SignIn::Refused(r) => bail!("the bench member cannot sign in: {r:?}"),
    };
    let (_, token) = app.create_token(&Actor::system(), "member-00").await?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(120))
        .build()?;
    let rare: Vec<String> = world
        .addresses
        .iter()
        .map(|a| format!("/api/v1/events?text={a}"))
        .collect();
    let hosts: Vec<String> = world
        .hosts
        .iter()
        .map(|h| format!("/api/v1/events?text={h}"))
        .collect();
    let incident_rare: Vec<String> = world
        .hosts
        .iter()
        .map(|h| format!("/api/v1/incidents?text={h}"))
        .collect();
    let one = |p: &str| vec![p.to_owned()];
    let lines = [
        Line {
            what: "events list (API)",
            paths: one("/api/v1/events"),
            target_ms: None,
        },
        Line {
            what: "events filter status=escalated",
            paths: one("/api/v1/events?status=escalated"),
            target_ms: None,
        },
        Line {
            what: "events filter source=sensor",
            paths: one("/api/v1/events?source=sensor"),
            target_ms: None,
        },
        Line {
            what: "events filter severity=critical",
            paths: one("/api/v1/events?severity=critical"),
            target_ms: None,
        },
        Line {
            what: "events search: address (1 event)",
            paths: rare,
            target_ms: Some(20.0),
        },
        Line {
            what: "events search: host (few events)",
            paths: hosts,
            target_ms: Some(20.0),
        },
        Line {
            what: "events search: word (many events)",
            paths: one("/api/v1/events?text=ransomware"),
            target_ms: Some(20.0),
        },
        Line {
            // Every piece of it is in most rows (10.0.x.y, 10.x.0.y, …): the
            // index narrows little, and the text is held by one event.
            what: "events search: 10.0.0.0 (worst case)",
            paths: one("/api/v1/events?text=10.0.0.0"),
            target_ms: None,
        },
        Line {
            what: "events search: absent text",
            paths: one("/api/v1/events?text=qqzzqq"),
            target_ms: Some(20.0),
        },
        Line {
            what: "incidents search: host",
            paths: incident_rare,
            target_ms: Some(20.0),
        },
        Line {
            what: "incidents filter category+class",
            paths: one("/api/v1/incidents?category=malware&class=III"),
            target_ms: None,
        },
        Line {
            what: "incident register page",
            paths: one("/incidents"),
            target_ms: None,
        },
        Line {
            what: "incident register page, searched",
            paths: one("/incidents?q=phishing"),
            target_ms: Some(20.0),
        },
        Line {
            what: "events register page",
            paths: one("/events"),
            target_ms: None,
        },
        Line {
            what: "triage queue page",
            paths: one("/triage"),
            target_ms: None,
        },
        Line {
            what: "dashboard page",
            paths: one("/dashboard"),
            target_ms: Some(10.0),
        },
        // Every incident of the fill became known this month: the worst
        // case, all of them in the range of the default twelve months.
        Line {
            what: "figures page (12 months)",
            paths: one("/figures"),
            target_ms: Some(200.0),
        },
        Line {
            what: "figures API (8 quarters)",
            paths: one("/api/v1/figures?granularity=quarter"),
            target_ms: Some(200.0),
        },
    ];
    let mut met = true;
    for line in &lines {
        if line.paths.is_empty() {
            bail!("{}: nothing to ask for", line.what);
        }
        let mut times = Vec::with_capacity(SAMPLES);
        for k in 0..SAMPLES + 5 {
            let path = &line.paths[k % line.paths.len()];
            let mut request = http.get(format!("http://{addr}{path}"));
            request = if path.starts_with("/api/") {
                request.bearer_auth(&token)
            } else {
                request.header("cookie", format!("rampart_session={session}"))
            };
            let started = Instant::now();
            let response = request.send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            let took = started.elapsed();
            if !status.is_success() {
                bail!(
                    "{backend} {path}: {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            if k >= 5 {
                times.push(took);
            }
        }
        times.sort_unstable();
        let (p50, p99) = (ms(percentile(&times, 0.50)), ms(percentile(&times, 0.99)));
        let verdict = match line.target_ms {
            Some(t) if size >= 1_000_000 => {
                let ok = p99 < t;
                met &= ok;
                format!(
                    "target p99 < {t} ms: {}",
                    if ok { "met" } else { "NOT met" }
                )
            }
            Some(t) => format!("(target p99 < {t} ms is set at 1M events)"),
            None => String::new(),
        };
        println!(
            "{backend:<9} {size:>8} events  {:<36} p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  {verdict}",
            line.what
        );
    }
    let _ = stop.send(());
    server.await??;
    Ok(met)
}
