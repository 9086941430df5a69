//! `rampart`: the server and its administration commands.

mod config;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use rampart_domain::{Actor, Clock, Role, SystemClock};
use rampart_http::people::AuthSettings;
use rampart_http::web::WebSettings;
use rampart_http::{AppState, Service};
use rampart_store::Store;

use crate::config::{Config, LogFormat, Overrides};

/// Rampart: information security incident management along ISO/IEC 27035.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (embedded SQLite in ./rampart-data unless told otherwise).
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Work with the journal.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Print the OpenAPI document of the JSON API.
    Openapi,
}

/// Where the data lives; shared by every command.
#[derive(Debug, Args)]
struct StorageArgs {
    /// TOML configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory of the embedded SQLite database [default: rampart-data] [env: RAMPART_DATA_DIR].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Use PostgreSQL at this URL instead of SQLite [env: RAMPART_DATABASE_URL].
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    storage: StorageArgs,
    /// Address to listen on [default: 127.0.0.1:8080] [env: RAMPART_LISTEN].
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Largest request body in bytes [default: 1048576] [env: RAMPART_BODY_LIMIT].
    #[arg(long, value_name = "BYTES")]
    body_limit: Option<usize>,
    /// Log format, `human` or `json` [default: human] [env: RAMPART_LOG_FORMAT].
    #[arg(long, value_name = "FORMAT", value_parser = parse_log_format)]
    log_format: Option<LogFormat>,
}

fn parse_log_format(s: &str) -> Result<LogFormat, String> {
    match s {
        "human" => Ok(LogFormat::Human),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected `human` or `json`".into()),
    }
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user with one or more roles.
    Add {
        /// User name: a-z, 0-9, '.', '_', '-'.
        name: String,
        /// reporter, poc, isirt_member, isirt_manager, auditor or admin; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Set a user's password for the web UI, read from the first line of standard input.
    Password {
        /// The user.
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (alone, on stdout). It is shown only once.
    Create {
        /// The user the token acts as.
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Check the hash chain; prints `OK <count> entries, head <hash>` or names the first broken entry (exit 1).
    Verify {
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn load_config(storage: &StorageArgs, mut overrides: Overrides) -> anyhow::Result<Config> {
    overrides.data_dir = storage.data_dir.clone();
    overrides.database_url = storage.database_url.clone();
    Config::load(storage.config.as_deref(), &overrides).map_err(anyhow::Error::msg)
}

/// Opens the configured store. `migrate` is false for read-only tools.
async fn open_store(
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

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colour only on a terminal, never into log files.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve(args) => {
            let overrides = Overrides {
                listen: args.listen,
                body_limit: args.body_limit,
                log_format: args.log_format,
                ..Default::default()
            };
            let config = load_config(&args.storage, overrides)?;
            init_logs(config.log_format);
            serve(config, clock).await?;
        }
        Command::User(UserCommand::Add {
            name,
            roles,
            storage,
        }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = Service::new(open_store(&config, clock.clone(), true).await?, clock);
            let user = service.add_user(&Actor::system(), &name, roles).await?;
            let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            eprintln!("added user `{}` with roles {}", user.name, roles.join(", "));
        }
        Command::User(UserCommand::Password { name, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = Service::new(open_store(&config, clock.clone(), true).await?, clock);
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            service
                .set_password(&Actor::system(), &name, password)
                .await
                .with_context(|| format!("cannot set the password of `{name}`"))?;
            eprintln!("password of `{name}` set; their browser sessions have ended");
        }
        Command::Token(TokenCommand::Create { name, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = Service::new(open_store(&config, clock.clone(), true).await?, clock);
            let (token, secret) = service
                .create_token(&Actor::system(), &name)
                .await
                .with_context(|| format!("cannot create a token for `{name}`"))?;
            eprintln!(
                "created token {} for `{}`; it is shown only once",
                token.id, token.user
            );
            println!("{secret}");
        }
        Command::Journal(JournalCommand::Verify { storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let store = open_store(&config, clock, false).await?;
            let result = rampart_store::journal::verify(store.as_ref()).await?;
            println!("{result}");
            if !matches!(result, rampart_store::Verification::Intact { .. }) {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Openapi => {
            println!("{}", rampart_http::openapi().to_pretty_json()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let store = open_store(&config, clock.clone(), true).await?;
    let settings = AuthSettings {
        idle_timeout: Duration::from_secs(config.session_idle_minutes * 60),
        absolute_timeout: Duration::from_secs(config.session_absolute_hours * 3600),
        ..AuthSettings::default()
    };
    let service = Arc::new(Service::with_settings(store, clock, settings));
    if let Some(token) = service.bootstrap_admin().await? {
        println!(
            "\nThis is a new Rampart installation. It created the administrator account `admin`.\n\
             The administrator's API token is shown below, only this once; keep it somewhere safe:\n\n    {token}\n\n\
             Use it as `Authorization: Bearer <token>`; add people with `rampart user add`.\n\
             To sign in to the web UI at http://{}/ give `admin` a password: `rampart user password admin`.\n",
            config.listen
        );
    }
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => bail!("cannot listen on {}: {e}", config.listen),
    };
    let where_ = match &config.database_url {
        Some(_) => "PostgreSQL".to_owned(),
        None => format!("SQLite in {}", config.data_dir.display()),
    };
    tracing::info!(address = %listener.local_addr()?, storage = %where_, "Rampart is listening");
    let app = rampart_http::app(AppState {
        service,
        body_limit: config.body_limit,
        web: WebSettings {
            tls_proxy: config.tls_proxy,
            public_intake: config.public_intake,
        },
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
