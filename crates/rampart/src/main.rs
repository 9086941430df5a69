//! `rampart`: the server and its administration commands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use rampart_app::App;
use rampart_domain::{Actor, Clock, Role, SystemClock};

use rampart::config::{Config, LogFormat, Overrides};
use rampart::startup::{self, Application, open_app, open_store};
use rampart::{backup, migrate};

/// Many small allocations on several threads (requests, the writer): an
/// allocator made for that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Export, verify and purge evidence.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Check signed reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Write a consistent copy of the installation (database, evidence,
    /// signing key) into a new directory, while the server may run.
    Backup {
        /// The directory to create (it may exist if empty).
        dest: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Restore a backup into a fresh data directory or an empty PostgreSQL
    /// database, then verify the journal and every evidence file.
    Restore {
        /// A directory written by `rampart backup`.
        src: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Move the database of an installation from SQLite to PostgreSQL, with
    /// the server stopped; evidence and the signing key stay where they are.
    MigrateStore {
        /// The SQLite data directory to move from.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The PostgreSQL database to move to (empty, or only migrated).
        #[arg(long, value_name = "URL")]
        to: String,
    },
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
    /// Set a user's password for the web UI: typed twice, unseen, at a terminal; otherwise the
    /// first line of standard input.
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
        /// What it is for, e.g. `wazuh sensor` [default: token].
        #[arg(long = "name", value_name = "TEXT")]
        label: Option<String>,
        /// A scope it may be used for (repeat for more): intake:write,
        /// events:read, events:write, incidents:read, incidents:write,
        /// scheme:read, scheme:write, journal:read, admin [default: every
        /// scope the user's roles allow].
        #[arg(long = "scope", value_name = "SCOPE", value_parser = parse_scope)]
        scopes: Vec<rampart_domain::Scope>,
        /// Days it works [default: token_days_default, 90].
        #[arg(long, value_name = "DAYS")]
        days: Option<u32>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List API tokens, one a line: id, owner, name, scopes, expiry, last use.
    List {
        /// Only this user's tokens.
        #[arg(long, value_name = "USER")]
        user: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Revoke an API token by its id (`tok_…`); it stops working at once.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn parse_scope(s: &str) -> Result<rampart_domain::Scope, String> {
    rampart_domain::Scope::parse(s)
}

/// A token's scopes as one word: comma-separated, or `roles` for a token
/// made before scopes (it acts with every scope its owner's roles allow).
fn scope_list(scopes: Option<&[rampart_domain::Scope]>) -> String {
    scopes.map_or_else(
        || "roles".to_owned(),
        |s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
    )
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Check the hash chain of the database, or with --file an exported
    /// journal on any machine; prints `OK …` or names the first broken entry
    /// or signature (exit 1). With --records, also check that every record
    /// is what its journal entries say, naming each one that differs (exit 1).
    Verify {
        /// An export written by `rampart journal export`; the database is not touched.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Also replay the journal and compare every stored record (events,
        /// incidents, vulnerabilities, evidence, users, credentials, tokens,
        /// intake rules) with the state it gives, in one consistent read.
        #[arg(long, conflicts_with = "file")]
        records: bool,
        /// Trust only this public key (hex, or a file holding it); repeat for several.
        #[arg(long = "key", value_name = "KEY", requires = "file")]
        keys: Vec<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Sign a checkpoint at the head and write the journal, its checkpoints
    /// and the public key to FILE, to be verified anywhere with `journal verify --file`.
    Export {
        file: PathBuf,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Print the installation's public signing key (hex), to keep out of band.
    Key {
        /// Print it as a signed-note verifier key instead
        /// (`<origin>+<key id>+<key>`), for the tooling that verifies the
        /// checkpoints of `GET /api/v1/journal/checkpoint`.
        #[arg(long)]
        note: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Check a report (PDF, HTML or Markdown) offline: its seal names the
    /// record, the journal entry and head hash it was made from, and the
    /// installation's signature must hold over every byte before it.
    /// Prints `OK …` or `BROKEN: …` (exit 1).
    Verify {
        /// The report file as downloaded.
        file: PathBuf,
        /// Trust only this public key (hex, or a file holding it); repeat
        /// for several. `rampart journal key` prints the installation's.
        #[arg(long = "key", value_name = "KEY")]
        keys: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Write the signed evidence bundle of an incident (a tar archive).
    Export {
        /// The incident, e.g. INC-2026-0001.
        incident: String,
        /// Where to write the bundle.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The user taking the export, recorded in the chain of custody.
        #[arg(long, value_name = "USER")]
        by: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Check a bundle offline: signature, every file against the manifest.
    Verify {
        bundle: PathBuf,
        /// Trust only this public key (hex, or a file holding it); repeat for several.
        #[arg(long = "key", value_name = "KEY")]
        keys: Vec<String>,
    },
    /// Retention: dispose of the evidence of incidents closed before a date.
    /// Items under legal hold are kept and listed.
    Purge {
        /// A date (2026-01-31) or an RFC 3339 time.
        #[arg(long, value_name = "DATE")]
        closed_before: String,
        /// Why, for the journal.
        #[arg(long)]
        reason: String,
        /// The ISIRT manager ordering the purge.
        #[arg(long, value_name = "USER")]
        by: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn load_config(storage: &StorageArgs, mut overrides: Overrides) -> anyhow::Result<Config> {
    overrides.data_dir = storage.data_dir.clone();
    overrides.database_url = storage.database_url.clone();
    Config::load(storage.config.as_deref(), &overrides).map_err(anyhow::Error::msg)
}

/// The user a command acts as, with their roles.
async fn acting_user(service: &App, name: &str) -> anyhow::Result<Actor> {
    let user = service
        .store()
        .get(&rampart_store::EntityRef::User(name.to_owned()))
        .await?
        .and_then(rampart_store::Entity::into_user);
    match user {
        Some(u) if !u.disabled => Ok(Actor::new(u.name, u.roles)),
        Some(_) => bail!("user `{name}` is disabled"),
        None => bail!("there is no user `{name}`"),
    }
}

/// Public keys given as hex, or as files holding hex.
fn trusted_keys(keys: &[String]) -> anyhow::Result<Vec<String>> {
    keys.iter()
        .map(|k| {
            let hex = if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) {
                k.clone()
            } else {
                std::fs::read_to_string(k)
                    .with_context(|| format!("--key {k}: neither a hex key nor a readable file"))?
            };
            Ok(hex.trim().to_ascii_lowercase())
        })
        .collect()
}

fn parse_day_or_time(text: &str) -> anyhow::Result<rampart_domain::Timestamp> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    rampart_domain::Timestamp::parse(&full)
        .map_err(|m| anyhow::anyhow!("--closed-before `{text}`: {m}"))
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

/// Prints a line on standard output, as `println!` would, except that a
/// reader gone away (`rampart openapi | head`) ends the command quietly
/// instead of panicking: whoever read the output has what they wanted.
macro_rules! say {
    ($($arg:tt)*) => {
        write_out(format_args!($($arg)*))
    };
}

fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            std::process::exit(2);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    rampart_notify::use_ring_for_tls();
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
            serve(config).await?;
        }
        Command::User(UserCommand::Add {
            name,
            roles,
            storage,
        }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = App::new(open_store(&config, clock.clone(), true).await?, clock);
            let user = service.add_user(&Actor::system(), &name, roles).await?;
            let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
            eprintln!("added user `{}` with roles {}", user.name, roles.join(", "));
        }
        Command::User(UserCommand::Password { name, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = App::new(open_store(&config, clock.clone(), true).await?, clock);
            let password = read_new_password(&name)?;
            service
                .set_password(&Actor::system(), &name, &password)
                .await
                .with_context(|| format!("cannot set the password of `{name}`"))?;
            eprintln!("password of `{name}` set; their browser sessions have ended");
        }
        Command::Token(TokenCommand::Create {
            name,
            label,
            scopes,
            days,
            storage,
        }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = App::with_settings(
                open_store(&config, clock.clone(), true).await?,
                clock,
                startup::auth_settings(&config),
            );
            let request = rampart_app::people::TokenRequest {
                name: label,
                scopes: (!scopes.is_empty()).then_some(scopes),
                days,
            };
            let (token, secret) = service
                .issue_token(&Actor::system(), &name, request)
                .await
                .with_context(|| format!("cannot create a token for `{name}`"))?;
            eprintln!(
                "created token {} for `{}` ({}), expiring {}; it is shown only once",
                token.id,
                token.user,
                scope_list(token.scopes.as_deref()),
                token
                    .expires_at
                    .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())
            );
            say!("{secret}");
        }
        Command::Token(TokenCommand::List { user, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = App::new(open_store(&config, clock.clone(), false).await?, clock);
            let tokens = match &user {
                Some(u) => service.own_tokens(&Actor::new(u.clone(), vec![])).await,
                None => service.list_tokens(&Actor::system()).await,
            }
            .context("cannot list the tokens")?;
            for t in tokens {
                say!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.user,
                    if t.name.is_empty() { "-" } else { &t.name },
                    scope_list(t.scopes.as_deref()),
                    t.expires_at
                        .map_or_else(|| "never".to_owned(), |e| e.to_rfc3339()),
                    t.last_used_at
                        .map_or_else(|| "never".to_owned(), |u| u.to_rfc3339())
                );
            }
        }
        Command::Token(TokenCommand::Revoke { id, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = App::new(open_store(&config, clock.clone(), false).await?, clock);
            service
                .revoke_token(&Actor::system(), &id)
                .await
                .with_context(|| format!("cannot revoke `{id}`"))?;
            eprintln!("revoked {id}; it no longer works");
        }
        Command::Journal(JournalCommand::Verify {
            file: Some(file),
            keys,
            records: _,
            storage: _,
        }) => {
            let trusted = trusted_keys(&keys)?;
            let reader = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let result = rampart_store::export::verify(std::io::BufReader::new(reader), &trusted);
            say!("{result}");
            if !matches!(result, rampart_store::export::ExportCheck::Intact { .. }) {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Journal(JournalCommand::Export { file, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = open_app(&config, clock, false).await?;
            let out = std::fs::File::create(&file)
                .with_context(|| format!("cannot create {}", file.display()))?;
            let summary = service.export_journal(out).await?;
            eprintln!(
                "exported {} entries and {} signed checkpoints to {}; head {} at sequence {}, signed by key {}",
                summary.entries,
                summary.checkpoints,
                file.display(),
                summary.head.1,
                summary.head.0,
                service.vault()?.key.public_hex()
            );
        }
        Command::Journal(JournalCommand::Key { note, storage }) => {
            let config = load_config(&storage, Overrides::default())?;
            let key = rampart_evidence::key_file::load(&config.signing_key())
                .map_err(anyhow::Error::msg)?;
            if note {
                say!("{}", key.note_verifier());
            } else {
                say!("{}", key.public_hex());
            }
        }
        Command::Evidence(EvidenceCommand::Export {
            incident,
            out,
            by,
            storage,
        }) => {
            let config = load_config(&storage, Overrides::default())?;
            let service = open_app(&config, clock, false).await?;
            let actor = acting_user(&service, &by).await?;
            let number: rampart_domain::IncidentNumber = incident
                .parse()
                .map_err(|m| anyhow::anyhow!("incident `{incident}`: {m}"))?;
            let plan = service.evidence_bundle(&actor, number).await?;
            let items = plan.files.len();
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let written = tokio::task::spawn_blocking(move || plan.write(file)).await?;
            if let Err(e) = written {
                let _ = std::fs::remove_file(&out);
                service.bundle_failed(&actor, &e).await;
                bail!("the bundle was not written: {e}");
            }
            eprintln!(
                "wrote the evidence bundle of {number} ({items} items) to {}",
                out.display()
            );
        }
        Command::Report(ReportCommand::Verify { file, keys }) => {
            let trusted = trusted_keys(&keys)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let result =
                rampart_report::seal::verify(&bytes, &trusted, rampart_store::checkpoint::verify);
            say!("{result}");
            if !matches!(result, rampart_report::seal::SealCheck::Intact(_)) {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Evidence(EvidenceCommand::Verify { bundle, keys }) => {
            let trusted = trusted_keys(&keys)?;
            let reader = std::fs::File::open(&bundle)
                .with_context(|| format!("cannot open {}", bundle.display()))?;
            let result =
                rampart_evidence::bundle::verify(std::io::BufReader::new(reader), &trusted);
            say!("{result}");
            if !matches!(result, rampart_evidence::BundleCheck::Intact { .. }) {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Evidence(EvidenceCommand::Purge {
            closed_before,
            reason,
            by,
            storage,
        }) => {
            let cutoff = parse_day_or_time(&closed_before)?;
            let reason =
                rampart_domain::Text::new(&reason).map_err(|m| anyhow::anyhow!("--reason: {m}"))?;
            let config = load_config(&storage, Overrides::default())?;
            let service = open_app(&config, clock, false).await?;
            let actor = acting_user(&service, &by).await?;
            let report = service.purge_evidence(&actor, cutoff, reason).await?;
            for n in &report.disposed {
                say!("disposed {n}");
            }
            for n in &report.held {
                say!("kept {n}: under legal hold");
            }
            eprintln!(
                "{} items disposed of, {} kept under legal hold",
                report.disposed.len(),
                report.held.len()
            );
        }
        Command::Journal(JournalCommand::Verify {
            file: None,
            keys: _,
            records,
            storage,
        }) => {
            let config = load_config(&storage, Overrides::default())?;
            let store = open_store(&config, clock, false).await?;
            if records {
                let result = store.check_records().await?;
                say!("{result}");
                if !result.agrees() {
                    return Ok(ExitCode::from(1));
                }
            } else {
                let result = rampart_store::journal::verify(store.as_ref()).await?;
                say!("{result}");
                if !matches!(result, rampart_store::Verification::Intact { .. }) {
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Backup { dest, storage } => {
            let config = load_config(&storage, Overrides::default())?;
            backup::backup(&config, clock, &dest).await?;
        }
        Command::Restore { src, storage } => {
            let config = load_config(&storage, Overrides::default())?;
            backup::restore(&config, clock, &src).await?;
        }
        Command::MigrateStore { from, to } => {
            if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
                bail!("--to `{to}`: expected a postgres:// URL");
            }
            if !from.join(rampart_store_sqlite::DATABASE_FILE).is_file() {
                bail!("--from {}: no Rampart database there", from.display());
            }
            // Rows read and written at a time, when fewer than one `INSERT` takes.
            let chunk_rows = std::env::var("RAMPART_MIGRATE_CHUNK")
                .ok()
                .and_then(|n| n.parse().ok());
            let summary = migrate::migrate(&from, &to, clock, chunk_rows, &mut |p| {
                eprintln!("{}: {}/{} rows copied", p.table, p.copied, p.total);
            })
            .await?;
            eprintln!("{summary}");
            eprintln!(
                "start the server with --database-url (evidence_dir and signing_key unchanged)"
            );
        }
        Command::Openapi => {
            say!("{}", rampart_http::openapi().to_pretty_json()?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// An administration command for this installation as a shell command line
/// that works as printed in the server's working directory: this program as
/// it was started (`target/release/rampart` under `cargo run`, `rampart` from
/// the `PATH`), and the data directory when it is not the default. A database
/// URL may hold a password, so it is named, not printed.
fn admin_command(config: &Config, args: &[&str]) -> String {
    let program = std::env::args()
        .next()
        .unwrap_or_else(|| "rampart".to_owned());
    let mut words: Vec<String> = std::iter::once(program)
        .chain(args.iter().map(|a| (*a).to_owned()))
        .collect();
    if config.database_url.is_some() {
        words.extend(["--database-url".to_owned(), "URL".to_owned()]);
    } else if config.data_dir != Config::default().data_dir {
        words.extend([
            "--data-dir".to_owned(),
            config.data_dir.display().to_string(),
        ]);
    }
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// The new password for `user password`: typed at a terminal, without echo
/// and twice; otherwise the first line of standard input (without its line
/// ending), so that scripts can pipe it in.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let typed = rpassword::prompt_password(format!("New password for `{name}`: "))
            .context("cannot read the password from the terminal")?;
        let again = rpassword::prompt_password("The same again: ")
            .context("cannot read the password from the terminal")?;
        if typed != again {
            bail!("the two passwords differ; nothing was changed");
        }
        return Ok(typed);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    if let Some(token) = app.bootstrap_token() {
        let config = app.config();
        let (password, add) = (
            admin_command(config, &["user", "password", "admin"]),
            admin_command(config, &["user", "add", "NAME", "--role", "ROLE"]),
        );
        say!(
            "\nThis is a new Rampart installation. It created the administrator account `admin`.\n\
             The administrator's API token is shown below, only this once; keep it somewhere safe:\n\n    {token}\n\n\
             Use it as `Authorization: Bearer <token>`.\n\
             To sign in to the web UI at http://{}/, give `admin` a password: in another terminal,\n\
             in this directory, run\n\n    {password}\n\n\
             and add people with `{add}`.\n",
            config.listen
        );
    }
    app.run_until(shutdown()).await
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
