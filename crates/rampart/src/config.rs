//! One typed configuration tree: defaults < TOML file < `RAMPART_*`
//! environment < command-line flags. Unknown keys are refused by name.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting, with its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Directory of the embedded SQLite database (used when `database_url` is unset).
    pub data_dir: PathBuf,
    /// `postgres://user@host:port/database` to use PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// `human` or `json` log lines (filter with `RUST_LOG`).
    pub log_format: LogFormat,
    /// Rampart is reached over HTTPS through a reverse proxy: session cookies
    /// are `Secure` and the client address comes from `X-Forwarded-For`.
    pub tls_proxy: bool,
    /// Serve the public intake page `/public/report` (no sign-in, rate limited per address).
    pub public_intake: bool,
    /// Seconds a client may take to send a request's headers (an idle
    /// keep-alive connection is closed after as long).
    pub header_read_timeout_seconds: u64,
    /// API requests a second one token may make, with bursts of twice as many.
    pub api_rate_per_token: u32,
    /// API requests a second one client address may make, with bursts of twice as many.
    pub api_rate_per_address: u32,
    /// Minutes a browser session may stay unused before it ends.
    pub session_idle_minutes: u64,
    /// Hours after sign-in when a browser session ends, used or not.
    pub session_absolute_hours: u64,
    /// Days a new API token works when its maker names no expiry.
    pub token_days_default: u32,
    /// Most days a new API token may work.
    pub token_days_max: u32,
    /// Where evidence content is stored, by SHA-256 [default: <data_dir>/evidence].
    pub evidence_dir: Option<PathBuf>,
    /// Largest evidence file accepted, in bytes.
    pub evidence_max_bytes: u64,
    /// The installation's Ed25519 signing key, created at first start with
    /// mode 0600 [default: <data_dir>/signing.key].
    pub signing_key: Option<PathBuf>,
    /// Sign a journal checkpoint after this many new entries.
    pub checkpoint_entries: u64,
    /// And at least this often (minutes) while entries keep coming.
    pub checkpoint_minutes: u64,
    /// Most events in one batch request (`POST /api/v1/events/batch`).
    pub batch_max_events: usize,
    /// Largest batch request body, in bytes.
    pub batch_max_bytes: usize,
    /// Hours a new event looks back for open work sharing its observables or assets.
    pub correlation_window_hours: u64,
    /// Attach a new event straight to an open incident it correlates with.
    pub correlation_attach: bool,
    /// Address and port of the syslog UDP receiver, e.g. `0.0.0.0:514` [default: off].
    pub syslog_udp: Option<SocketAddr>,
    /// Address and port of the syslog TCP receiver (newline or octet-counting framing) [default: off].
    pub syslog_tcp: Option<SocketAddr>,
    /// Address and port of the syslog TLS receiver (RFC 5425), e.g.
    /// `0.0.0.0:6514`; needs `syslog_tls_cert` and `syslog_tls_key` [default: off].
    pub syslog_tls: Option<SocketAddr>,
    /// The syslog TLS receiver's certificate chain, a PEM file.
    pub syslog_tls_cert: Option<PathBuf>,
    /// The syslog TLS receiver's private key, a PEM file.
    pub syslog_tls_key: Option<PathBuf>,
    /// Largest syslog message, in bytes; a longer one is a dead letter.
    pub syslog_max_message: usize,
    /// Syslog messages per second one source address may send.
    pub syslog_rate_per_source: u32,
    /// Most syslog TCP connections served at once.
    pub syslog_tcp_max_connections: usize,
    /// Most syslog TCP connections served at once from one source address.
    pub syslog_tcp_connections_per_source: usize,
    /// Seconds a syslog TCP connection may stay silent before it is closed.
    pub syslog_tcp_idle_seconds: u64,
    /// Seconds of waiting a begun syslog TCP message may take to arrive whole.
    pub syslog_tcp_frame_seconds: u64,
    /// The mail server notifications are sent through: `smtp://host:25`,
    /// `smtp://user:password@host:587?tls=required` (STARTTLS),
    /// `smtps://user:password@host:465` (TLS). None: notifications stay in the app.
    pub smtp_url: Option<String>,
    /// The sender of notification e-mail.
    pub mail_from: String,
    /// Longest a whole SMTP exchange may take.
    pub smtp_timeout_seconds: u64,
    /// How long a node holds a background job it claimed before another
    /// node may take it over (a node that died).
    pub job_lease_seconds: u64,
    /// Where people reach the web UI, for the links in e-mail
    /// (`https://rampart.example.org`); by default `http://` and `listen`.
    pub public_url: Option<String>,
    /// The bearer token a scraper sends for `/metrics` on `listen`; without
    /// it (and without `metrics_listen`) the metrics are not served.
    pub metrics_token: Option<String>,
    /// An address of its own where `/metrics` is served without a token
    /// (e.g. `10.0.0.5:9464` on a monitoring network).
    pub metrics_listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("rampart-data"),
            database_url: None,
            body_limit: rampart_http::DEFAULT_BODY_LIMIT,
            log_format: LogFormat::Human,
            tls_proxy: false,
            public_intake: false,
            header_read_timeout_seconds: 10,
            api_rate_per_token: 20_000,
            api_rate_per_address: 50_000,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            token_days_default: 90,
            token_days_max: 365,
            evidence_dir: None,
            evidence_max_bytes: rampart_app::evidence::DEFAULT_EVIDENCE_LIMIT,
            signing_key: None,
            checkpoint_entries: 1000,
            checkpoint_minutes: 10,
            batch_max_events: 10_000,
            batch_max_bytes: 64 * 1024 * 1024,
            correlation_window_hours: 24,
            correlation_attach: false,
            syslog_udp: None,
            syslog_tcp: None,
            syslog_tls: None,
            syslog_tls_cert: None,
            syslog_tls_key: None,
            syslog_max_message: 64 * 1024,
            syslog_rate_per_source: 20_000,
            syslog_tcp_max_connections: 256,
            syslog_tcp_connections_per_source: 32,
            syslog_tcp_idle_seconds: 60,
            syslog_tcp_frame_seconds: 30,
            smtp_url: None,
            mail_from: "Rampart <rampart@localhost>".into(),
            smtp_timeout_seconds: 30,
            job_lease_seconds: 60,
            public_url: None,
            metrics_token: None,
            metrics_listen: None,
        }
    }
}

/// Keys read from `RAMPART_*` variables (others, such as test settings, are ignored).
const ENV_KEYS: [&str; 41] = [
    "listen",
    "data_dir",
    "database_url",
    "body_limit",
    "log_format",
    "tls_proxy",
    "public_intake",
    "header_read_timeout_seconds",
    "api_rate_per_token",
    "api_rate_per_address",
    "session_idle_minutes",
    "session_absolute_hours",
    "token_days_default",
    "token_days_max",
    "evidence_dir",
    "evidence_max_bytes",
    "signing_key",
    "checkpoint_entries",
    "checkpoint_minutes",
    "batch_max_events",
    "batch_max_bytes",
    "correlation_window_hours",
    "correlation_attach",
    "syslog_udp",
    "syslog_tcp",
    "syslog_tls",
    "syslog_tls_cert",
    "syslog_tls_key",
    "syslog_max_message",
    "syslog_rate_per_source",
    "syslog_tcp_max_connections",
    "syslog_tcp_connections_per_source",
    "syslog_tcp_idle_seconds",
    "syslog_tcp_frame_seconds",
    "smtp_url",
    "mail_from",
    "smtp_timeout_seconds",
    "job_lease_seconds",
    "public_url",
    "metrics_token",
    "metrics_listen",
];

/// Settings given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_limit: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Where evidence content lives.
    pub fn evidence_dir(&self) -> PathBuf {
        self.evidence_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("evidence"))
    }

    /// The mailer `smtp_url` and `mail_from` describe; errors name the setting.
    pub fn mailer(&self) -> Result<Option<rampart_notify::SmtpMailer>, String> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        rampart_notify::SmtpMailer::new(&rampart_notify::SmtpSettings {
            url: url.clone(),
            from: self.mail_from.clone(),
            timeout: std::time::Duration::from_secs(self.smtp_timeout_seconds),
        })
        .map(Some)
    }

    /// The address of the web UI in links sent out.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Where the signing key lives.
    pub fn signing_key(&self) -> PathBuf {
        self.signing_key
            .clone()
            .unwrap_or_else(|| self.data_dir.join("signing.key"))
    }

    /// Layers the sources; errors name the key and where it came from.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(format!(
                    "configuration file {} does not exist",
                    path.display()
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("RAMPART_").only(&ENV_KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| format!("configuration: {e}"))?;
        if !(1..=3600).contains(&config.header_read_timeout_seconds) {
            return Err("configuration: header_read_timeout_seconds must be 1 to 3600".into());
        }
        if config.api_rate_per_token == 0 {
            return Err("configuration: api_rate_per_token must be at least 1".into());
        }
        if config.api_rate_per_address == 0 {
            return Err("configuration: api_rate_per_address must be at least 1".into());
        }
        if config.body_limit < 1024 {
            return Err("configuration: body_limit must be at least 1024 bytes".into());
        }
        if !(1..=24 * 60).contains(&config.session_idle_minutes) {
            return Err("configuration: session_idle_minutes must be 1 to 1440".into());
        }
        if !(1..=24 * 30).contains(&config.session_absolute_hours) {
            return Err("configuration: session_absolute_hours must be 1 to 720".into());
        }
        if !(1..=3650).contains(&config.token_days_max) {
            return Err("configuration: token_days_max must be 1 to 3650".into());
        }
        if !(1..=config.token_days_max).contains(&config.token_days_default) {
            return Err("configuration: token_days_default must be 1 to token_days_max".into());
        }
        if config.evidence_max_bytes == 0 {
            return Err("configuration: evidence_max_bytes must be at least 1".into());
        }
        if config.checkpoint_entries == 0 {
            return Err("configuration: checkpoint_entries must be at least 1".into());
        }
        if !(1..=24 * 60).contains(&config.checkpoint_minutes) {
            return Err("configuration: checkpoint_minutes must be 1 to 1440".into());
        }
        if !(1..=1_000_000).contains(&config.batch_max_events) {
            return Err("configuration: batch_max_events must be 1 to 1000000".into());
        }
        if config.batch_max_bytes < 1024 {
            return Err("configuration: batch_max_bytes must be at least 1024 bytes".into());
        }
        if !(1..=24 * 365).contains(&config.correlation_window_hours) {
            return Err("configuration: correlation_window_hours must be 1 to 8760".into());
        }
        if !(480..=16 * 1024 * 1024).contains(&config.syslog_max_message) {
            return Err("configuration: syslog_max_message must be 480 to 16777216 bytes".into());
        }
        if config.syslog_tls.is_some()
            && (config.syslog_tls_cert.is_none() || config.syslog_tls_key.is_none())
        {
            return Err("configuration: syslog_tls needs syslog_tls_cert and syslog_tls_key, the PEM files of its certificate and private key".into());
        }
        if config.syslog_rate_per_source == 0 {
            return Err("configuration: syslog_rate_per_source must be at least 1".into());
        }
        if !(1..=65_536).contains(&config.syslog_tcp_max_connections) {
            return Err("configuration: syslog_tcp_max_connections must be 1 to 65536".into());
        }
        if !(1..=config.syslog_tcp_max_connections)
            .contains(&config.syslog_tcp_connections_per_source)
        {
            return Err("configuration: syslog_tcp_connections_per_source must be 1 to syslog_tcp_max_connections".into());
        }
        if !(1..=24 * 60 * 60).contains(&config.syslog_tcp_idle_seconds) {
            return Err("configuration: syslog_tcp_idle_seconds must be 1 to 86400".into());
        }
        if !(1..=60 * 60).contains(&config.syslog_tcp_frame_seconds) {
            return Err("configuration: syslog_tcp_frame_seconds must be 1 to 3600".into());
        }
        if !(1..=600).contains(&config.smtp_timeout_seconds) {
            return Err("configuration: smtp_timeout_seconds must be 1 to 600".into());
        }
        if !(1..=3600).contains(&config.job_lease_seconds) {
            return Err("configuration: job_lease_seconds must be 1 to 3600".into());
        }
        if config.smtp_url.is_some() && config.job_lease_seconds <= config.smtp_timeout_seconds {
            return Err("configuration: job_lease_seconds must be longer than smtp_timeout_seconds, or another node could send an e-mail that is still being sent".into());
        }
        if let Some(url) = &config.public_url {
            let ok = (url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > "https://".len()
                && !url.contains(char::is_whitespace);
            if !ok {
                return Err(format!(
                    "configuration: public_url must be an http:// or https:// address, not `{url}`"
                ));
            }
        }
        if config.smtp_url.is_some() {
            config.mailer().map_err(|e| format!("configuration: {e}"))?;
        }
        if let Some(token) = &config.metrics_token
            && (token.chars().count() < 16
                || token.chars().count() > 256
                || token.contains(|c: char| c.is_whitespace() || c.is_control()))
        {
            return Err("configuration: metrics_token must be 16 to 256 characters without spaces (e.g. `openssl rand -hex 24`)".into());
        }
        if let Some(url) = &config.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(
                "configuration: database_url must start with postgres:// or postgresql://".into(),
            );
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_example_parses() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rampart.example.toml");
        let config = Config::load(Some(Path::new(example)), &Overrides::default()).unwrap();
        assert_eq!(config.body_limit, 1024 * 1024);
    }

    #[test]
    fn a_metrics_token_must_be_long_and_plain() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.toml");
        for bad in ["short", "has a space in it somewhere", ""] {
            std::fs::write(&file, format!("metrics_token = \"{bad}\"\n")).unwrap();
            let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
            assert!(err.contains("metrics_token"), "{bad}: {err}");
        }
        std::fs::write(
            &file,
            "metrics_token = \"0123456789abcdef\"\nmetrics_listen = \"127.0.0.1:9464\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(
            config.metrics_listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:1\"\n").unwrap();
        let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(err.contains("listn"), "{err}");
    }

    #[test]
    fn syslog_tcp_limits_are_checked_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.toml");
        for (toml, key) in [
            ("syslog_tcp_idle_seconds = 0", "syslog_tcp_idle_seconds"),
            ("syslog_tcp_frame_seconds = 0", "syslog_tcp_frame_seconds"),
            (
                "syslog_tcp_max_connections = 0",
                "syslog_tcp_max_connections",
            ),
            (
                "syslog_tcp_max_connections = 8\nsyslog_tcp_connections_per_source = 9",
                "syslog_tcp_connections_per_source",
            ),
            ("syslog_tls = \"127.0.0.1:6514\"", "syslog_tls_cert"),
            (
                "syslog_tls = \"127.0.0.1:6514\"\nsyslog_tls_cert = \"c.pem\"",
                "syslog_tls_key",
            ),
        ] {
            std::fs::write(&file, toml).unwrap();
            let err = Config::load(Some(&file), &Overrides::default()).unwrap_err();
            assert!(err.contains(key), "{toml}: {err}");
        }
        std::fs::write(
            &file,
            "syslog_tcp_idle_seconds = 5\nsyslog_tcp_connections_per_source = 4",
        )
        .unwrap();
        let config = Config::load(Some(&file), &Overrides::default()).unwrap();
        assert_eq!(
            (
                config.syslog_tcp_idle_seconds,
                config.syslog_tcp_connections_per_source
            ),
            (5, 4)
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.toml");
        std::fs::write(&file, "body_limit = 4096\ndata_dir = \"/srv/x\"\n").unwrap();
        let overrides = Overrides {
            body_limit: Some(2048),
            ..Default::default()
        };
        let config = Config::load(Some(&file), &overrides).unwrap();
        assert_eq!(
            (config.body_limit, config.data_dir),
            (2048, PathBuf::from("/srv/x"))
        );
    }
}
