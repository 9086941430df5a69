//! Assembling the server: the store for the configured backend, the vault
//! and signing key, the application with its settings, the background tasks,
//! the listener and the syslog receiver. Used by `rampart serve` and by the
//! integration tests, so both run the same assembly.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use rampart_app::App;
use rampart_app::evidence::Vault;
use rampart_app::intake::IntakeSettings;
use rampart_app::notify::{HookPost, Mail, MailSettings, Mailer, Poster};
use rampart_app::people::AuthSettings;
use rampart_domain::{Clock, SystemClock};
use rampart_evidence::BlobStore;
use rampart_http::AppState;
use rampart_http::web::WebSettings;
use rampart_store::Store;
use rampart_syslog::{SyslogSettings, TlsListener};
use tokio::net::TcpListener;

use crate::config::Config;

/// The application's mail port over SMTP.
#[derive(Debug)]
struct Smtp(rampart_notify::SmtpMailer);

#[async_trait::async_trait]
impl Mailer for Smtp {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        self.0
            .send(&rampart_notify::OutgoingMail {
                to: mail.to.clone(),
                subject: mail.subject.clone(),
                text: mail.text.clone(),
                html: mail.html.clone(),
                message_id: mail.message_id.clone(),
            })
            .await
    }
}

/// How notifications go out by e-mail, when `smtp_url` is set.
/// Sessions, sign-in throttling and API token lifetimes, as configured.
pub fn auth_settings(config: &Config) -> AuthSettings {
    AuthSettings {
        idle_timeout: Duration::from_secs(config.session_idle_minutes * 60),
        absolute_timeout: Duration::from_secs(config.session_absolute_hours * 3600),
        token_days_default: config.token_days_default,
        token_days_max: config.token_days_max,
        ..AuthSettings::default()
    }
}

pub fn mail_settings(config: &Config) -> anyhow::Result<Option<MailSettings>> {
    Ok(config
        .mailer()
        .map_err(anyhow::Error::msg)?
        .map(|mailer| MailSettings {
            mailer: Arc::new(Smtp(mailer)),
        }))
}

/// The application's webhook port over the one guarded HTTP client.
#[derive(Debug)]
struct Hooks(rampart_notify::WebhookClient);

#[async_trait::async_trait]
impl Poster for Hooks {
    async fn post(&self, post: &HookPost<'_>) -> Result<u16, String> {
        let request = rampart_notify::WebhookRequest {
            url: post.url,
            body: post.body,
            secret: post.secret,
            delivery_id: post.delivery,
            timestamp: post.timestamp,
            allow_private: post.allow_private,
        };
        self.0.post(&request).await.map(|r| r.status)
    }

    async fn check(&self, url: &str, allow_private: bool) -> Result<String, String> {
        let url = rampart_notify::check_url(url)?;
        if !allow_private {
            rampart_notify::check_public_host(&url).await?;
        }
        Ok(url)
    }
}

/// The webhook port, with the client's default limits.
pub fn poster() -> anyhow::Result<Arc<dyn Poster>> {
    let client = rampart_notify::WebhookClient::new(rampart_notify::WebhookSettings::default())
        .map_err(anyhow::Error::msg)?;
    Ok(Arc::new(Hooks(client)))
}

/// Opens the configured store. `migrate` is false for read-only tools.
pub async fn open_store(
    config: &Config,
    clock: Arc<dyn Clock>,
    migrate: bool,
) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match (&config.database_url, migrate) {
        (Some(url), true) => Arc::new(rampart_store_pg::open(url, clock).await?),
        (Some(url), false) => Arc::new(rampart_store_pg::open_existing(url, clock).await?),
        (None, true) => Arc::new(rampart_store_sqlite::open(&config.data_dir, clock).await?),
        (None, false) => {
            Arc::new(rampart_store_sqlite::open_existing(&config.data_dir, clock).await?)
        }
    })
}

/// The service with its evidence vault and signing key (created by the
/// server, `migrate`, when there is none yet).
pub async fn open_app(
    config: &Config,
    clock: Arc<dyn Clock>,
    migrate: bool,
) -> anyhow::Result<App> {
    let store = open_store(config, clock.clone(), migrate).await?;
    let settings = auth_settings(config);
    let blobs = BlobStore::open(config.evidence_dir()).with_context(|| {
        format!(
            "cannot open the evidence store at {}",
            config.evidence_dir().display()
        )
    })?;
    // Only the server creates the key; a tool pointed at the wrong place
    // must not sign with a key of its own making.
    let key = if migrate {
        rampart_evidence::key_file::load_or_create(&config.signing_key())
    } else {
        rampart_evidence::key_file::load(&config.signing_key()).map_err(|e| {
            format!("{e} (the administration commands use the server's signing key: give them the same configuration)")
        })
    }
    .map_err(anyhow::Error::msg)?;
    let mut vault = Vault::new(blobs, key);
    vault.max_bytes = config.evidence_max_bytes;
    vault.checkpoint_entries = config.checkpoint_entries;
    vault.checkpoint_interval = Duration::from_secs(config.checkpoint_minutes * 60);
    let intake = IntakeSettings {
        correlation_window: Duration::from_secs(config.correlation_window_hours * 3600),
        attach_to_open_incident: config.correlation_attach,
        max_batch: config.batch_max_events,
        max_batch_bytes: config.batch_max_bytes,
    };
    let mut app = App::with_settings(store, clock, settings)
        .with_vault(vault)
        .with_intake(intake)
        .with_job_lease(Duration::from_secs(config.job_lease_seconds));
    if let Some(mail) = mail_settings(config)? {
        app = app.with_mail(mail);
    }
    app = app
        .with_public_url(&config.public_url())
        .with_poster(poster()?);
    Ok(match config.database_url {
        // Readiness checks that the embedded database's directory has room.
        None => app.with_database_dir(&config.data_dir),
        Some(_) => app,
    })
}

/// A Rampart server, assembled and listening, not yet serving requests.
pub struct Application {
    config: Config,
    app: Arc<App>,
    listener: TcpListener,
    address: SocketAddr,
    /// The address of its own `/metrics` is served on, if configured.
    metrics: Option<TcpListener>,
    syslog: rampart_syslog::Listening,
    bootstrap_token: Option<String>,
}

impl Application {
    /// Opens the store (migrating it), the vault and the signing key (made at
    /// first start), starts the background tasks (checkpoint signing, jobs,
    /// and on PostgreSQL the journal follower), binds the listener, starts the
    /// syslog receiver when one is configured, and creates the administrator
    /// of a new installation.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_on(config, Arc::new(SystemClock)).await
    }

    /// [`Application::build`] on `clock`: every time the installation
    /// records or acts on is read from it (tests set it to the second).
    pub async fn build_on(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        rampart_notify::use_ring_for_tls();
        // Before anything is written, so the metrics count it.
        rampart_http::metrics::handle();
        let app = Arc::new(open_app(&config, clock, true).await?);
        tracing::info!(
            key = %app.vault()?.key.public_hex(),
            file = %config.signing_key().display(),
            evidence = %config.evidence_dir().display(),
            "journal checkpoints and evidence bundles are signed with this key"
        );
        tokio::spawn(app.clone().sign_periodically());
        tokio::spawn(app.clone().run_jobs_periodically());
        if let Some(url) = &config.database_url {
            // Live pages hear of changes committed through every node.
            let node = app.clone();
            tokio::spawn(rampart_store_pg::follow_journal(url.clone(), move |a| {
                node.announce(a.seq, &a.entity, &a.action);
            }));
        }
        let listener = match TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => bail!("cannot listen on {}: {e}", config.listen),
        };
        let address = listener.local_addr()?;
        let metrics = match config.metrics_listen {
            Some(at) => match TcpListener::bind(at).await {
                Ok(l) => Some(l),
                Err(e) => bail!("cannot listen on {at} for the metrics: {e}"),
            },
            None => None,
        };
        let tls = match (
            config.syslog_tls,
            &config.syslog_tls_cert,
            &config.syslog_tls_key,
        ) {
            (Some(addr), Some(cert), Some(key)) => Some(TlsListener {
                addr,
                config: rampart_syslog::tls_config(cert, key)
                    .map_err(|e| anyhow::anyhow!("cannot start syslog over TLS: {e}"))?,
            }),
            _ => None,
        };
        let syslog = SyslogSettings {
            udp: config.syslog_udp,
            tcp: config.syslog_tcp,
            tls,
            max_message: config.syslog_max_message,
            rate_per_source: config.syslog_rate_per_source,
            max_connections: config.syslog_tcp_max_connections,
            max_connections_per_source: config.syslog_tcp_connections_per_source,
            idle_timeout: Duration::from_secs(config.syslog_tcp_idle_seconds),
            frame_timeout: Duration::from_secs(config.syslog_tcp_frame_seconds),
        };
        let syslog = rampart_syslog::start(app.clone(), syslog)
            .await
            .context("cannot start the syslog receiver")?;
        // Last, so that a start that fails leaves no administrator whose only
        // token nobody saw.
        let bootstrap_token = app.bootstrap_admin().await?;
        Ok(Self {
            config,
            app,
            listener,
            address,
            metrics,
            syslog,
            bootstrap_token,
        })
    }

    /// The address the HTTP server listens on (the real port when the
    /// configuration asked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address `/metrics` is served on without a token (the real port
    /// when the configuration asked for port 0); none when not configured.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// The addresses the syslog receiver listens on (the real ports when the
    /// configuration asked for port 0); none when it is off.
    pub fn syslog(&self) -> rampart_syslog::Listening {
        self.syslog
    }

    /// The application behind every front door.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The API token of the administrator created at first start; `None`
    /// when the installation already had users. It exists nowhere else.
    pub fn bootstrap_token(&self) -> Option<&str> {
        self.bootstrap_token.as_deref()
    }

    /// Serves HTTP until `stop` completes, then ends live updates and lets
    /// requests in flight finish.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let config = self.config;
        let where_ = match &config.database_url {
            Some(_) => "PostgreSQL".to_owned(),
            None => format!("SQLite in {}", config.data_dir.display()),
        };
        tracing::info!(address = %self.address, storage = %where_, "Rampart is listening");
        let stopping = self.app.clone();
        let router = rampart_http::app(AppState {
            app: self.app,
            body_limit: config.body_limit,
            web: WebSettings {
                tls_proxy: config.tls_proxy,
                public_intake: config.public_intake,
            },
            metrics: rampart_http::metrics::MetricsAccess::token(config.metrics_token.as_deref()),
        });
        let server = rampart_http::server::ServerSettings {
            header_read_timeout: Duration::from_secs(config.header_read_timeout_seconds),
            api_rate_per_token: config.api_rate_per_token,
            api_rate_per_address: config.api_rate_per_address,
            tls_proxy: config.tls_proxy,
        };
        let metrics = self.metrics.map(|listener| {
            tracing::info!(address = ?listener.local_addr().ok(), "metrics are served here without a token");
            let router = rampart_http::metrics::router(stopping.clone());
            let settings = server.clone();
            tokio::spawn(rampart_http::server::serve(
                listener,
                router,
                settings,
                std::future::pending(),
            ))
        });
        let served = rampart_http::server::serve(self.listener, router, server, async move {
            stop.await;
            // Open live pages would hold the shutdown for ever; end their streams.
            stopping.stop_live_updates();
        })
        .await;
        if let Some(task) = metrics {
            task.abort();
        }
        served?;
        Ok(())
    }
}
