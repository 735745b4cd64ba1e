//! The `rill` command: runs the engine and the Hub (`rill serve`), manages apps (`rill app ...`) and the Hub's
//! workspace (`rill hub ...`), and measures the engine (`rill bench`). Composition only: configuration from flags and `RILL_*` variables, logging, and wiring the
//! store, the engine and the shutdown signal together.

mod bench;
mod commands;
mod hub;
mod output;

use clap::{Parser, Subcommand};

// A server allocator: the engine allocates many short-lived buffers per request and per event, which glibc's
// allocator serves with visible consolidation cost and more retained memory per connection.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::net::SocketAddr;

/// Rill: a self-hosted team chat server that speaks the Stream Chat API.
///
/// Start with `rill serve`: it creates ./rill-data, a default chat app, and listens on 127.0.0.1:8080.
#[derive(Parser)]
#[command(name = "rill", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the chat engine: REST at the root, WebSocket at /connect, on one port.
    Serve {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, env = "RILL_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        limits: commands::ConnectionFlags,
        #[command(flatten)]
        hub: hub::HubServeFlags,
    },
    /// Manage the Hub's workspace: members, projects, one-time sign-in links (while the server runs or not).
    Hub {
        #[command(subcommand)]
        command: HubCommand,
    },
    /// Manage chat apps (each has its own App ID, API key and secret).
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Measure the engine: durable sends/s, fan-out deliveries/s, latency, memory per socket, CPU per operation.
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create an app and print its credentials.
    Create {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The app's name.
        #[arg(long, env = "RILL_APP_NAME")]
        name: String,
        /// The app's plan: free, startup, growth, enterprise (unlimited) or custom (see `rill app set-plan`).
        #[arg(long, env = "RILL_PLAN", default_value = "enterprise")]
        plan: String,
        /// Print {"app_id","api_key","api_secret"} as JSON.
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
    /// Set an app's plan, optionally with its own limits (e.g. `--plan custom --max-mau 50`).
    SetPlan {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The app's id (see `rill app list`).
        #[arg(long, env = "RILL_APP_ID")]
        app_id: i64,
        /// free (5 MAU, 500,000 messages a month), startup (1,000 MAU), growth (10,000 MAU), enterprise
        /// (unlimited) or custom (unlimited but for the limits given).
        #[arg(long, env = "RILL_PLAN")]
        plan: String,
        /// Monthly active users allowed, instead of the plan's.
        #[arg(long, env = "RILL_MAX_MAU")]
        max_mau: Option<u64>,
        /// Messages a month allowed, instead of the plan's.
        #[arg(long, env = "RILL_MAX_MESSAGES")]
        max_messages: Option<u64>,
    },
    /// Print this month's monthly active users and messages against the app's plan.
    Usage {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The app's id (see `rill app list`).
        #[arg(long, env = "RILL_APP_ID")]
        app_id: i64,
        /// Print {"app_id","plan","month","monthly_active_users":{count,limit},"messages":{count,limit}}.
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
    /// Print the app's webhook deliveries waiting in the outbox and the latest that failed for good.
    Outbox {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The app's id (see `rill app list`).
        #[arg(long, env = "RILL_APP_ID")]
        app_id: i64,
        /// Print {"app_id","pending","failed","oldest_pending_at","failures":[...]}.
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
    /// List apps with their credentials.
    List {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// Print JSON instead of a table.
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
    /// Set an app's rate limits: Stream's defaults, one per-minute limit, or none.
    SetRateLimits {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The app's id (see `rill app list`).
        #[arg(long, env = "RILL_APP_ID")]
        app_id: i64,
        /// Lift the limits entirely.
        #[arg(long, env = "RILL_RATE_LIMITS_OFF", conflicts_with_all = ["per_minute", "defaults"])]
        off: bool,
        /// Allow this many requests per minute per endpoint and platform.
        #[arg(long, env = "RILL_RATE_LIMIT_PER_MINUTE", conflicts_with = "defaults")]
        per_minute: Option<u32>,
        /// Go back to Stream's per-endpoint defaults.
        #[arg(long, env = "RILL_RATE_LIMITS_DEFAULTS")]
        defaults: bool,
    },
}

#[derive(Subcommand)]
enum HubCommand {
    /// Workspace members.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Projects.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Print a fresh one-time sign-in link for a member (a locked-out admin), usable once within 24 hours.
    SignInLink {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// The member's email.
        #[arg(long, env = "RILL_HUB_EMAIL")]
        email: String,
        #[command(flatten)]
        url: hub::HubUrlFlag,
    },
    /// Print the audit trail (member, project, integration and moderation actions), newest first.
    Audit {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// How many lines.
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// One JSON array of {"at","actor","action","target","result"}.
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MemberCommand {
    /// Add a member. With --password-stdin they can sign in at once; without it an invite link is printed.
    Add {
        #[command(flatten)]
        store: commands::StoreFlags,
        #[arg(long, env = "RILL_HUB_EMAIL")]
        email: String,
        #[arg(long, env = "RILL_HUB_NAME")]
        name: String,
        /// Make them an admin.
        #[arg(long)]
        admin: bool,
        /// Read their password (at least 12 characters) from standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        url: hub::HubUrlFlag,
    },
    /// Remove a member: their sessions end at once. The last admin cannot be removed.
    Remove {
        #[command(flatten)]
        store: commands::StoreFlags,
        #[arg(long, env = "RILL_HUB_EMAIL")]
        email: String,
    },
    /// List the members.
    List {
        #[command(flatten)]
        store: commands::StoreFlags,
        /// Print [{"id","email","name","role","has_password","created_at"}].
        #[arg(long, env = "RILL_JSON")]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Add a project.
    Add {
        #[command(flatten)]
        store: commands::StoreFlags,
        #[arg(long, env = "RILL_HUB_PROJECT")]
        name: String,
        /// A member's email (repeat for several).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Mark a project completed.
    Complete {
        #[command(flatten)]
        store: commands::StoreFlags,
        #[arg(long, env = "RILL_HUB_PROJECT")]
        name: String,
    },
    /// Make a completed project active again.
    Reopen {
        #[command(flatten)]
        store: commands::StoreFlags,
        #[arg(long, env = "RILL_HUB_PROJECT")]
        name: String,
    },
}

async fn run_hub(command: HubCommand) -> anyhow::Result<()> {
    use rill_hub::model::ProjectStatus;
    match command {
        HubCommand::Member { command: MemberCommand::Add { store, email, name, admin, password_stdin, url } } => {
            hub::member_add(&store, &email, &name, admin, password_stdin, &url).await
        }
        HubCommand::Member { command: MemberCommand::Remove { store, email } } => {
            hub::member_remove(&store, &email).await
        }
        HubCommand::Member { command: MemberCommand::List { store, json } } => hub::member_list(&store, json).await,
        HubCommand::Project { command: ProjectCommand::Add { store, name, members } } => {
            hub::project_add(&store, &name, &members).await
        }
        HubCommand::Project { command: ProjectCommand::Complete { store, name } } => {
            hub::project_set_status(&store, &name, ProjectStatus::Completed).await
        }
        HubCommand::Project { command: ProjectCommand::Reopen { store, name } } => {
            hub::project_set_status(&store, &name, ProjectStatus::Active).await
        }
        HubCommand::SignInLink { store, email, url } => hub::sign_in_link(&store, &email, &url).await,
        HubCommand::Audit { store, limit, json } => hub::audit(&store, limit, json).await,
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr).init();
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_logging();
    // The benchmark's load generator must be pinned before the runtime starts its worker threads.
    let machine = match &cli.command {
        Command::Bench(_) => bench::pin_generator(),
        _ => String::new(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            output::error(&format!("cannot start the runtime: {error}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { store, listen, limits, hub } => commands::serve(&store, listen, limits, &hub).await,
            Command::Hub { command } => run_hub(command).await,
            Command::App { command: AppCommand::Create { store, name, plan, json } } => {
                commands::create_app(&store, &name, &plan, json).await
            }
            Command::App { command: AppCommand::SetPlan { store, app_id, plan, max_mau, max_messages } } => {
                commands::set_plan(&store, app_id, &plan, max_mau, max_messages).await
            }
            Command::App { command: AppCommand::Usage { store, app_id, json } } => {
                commands::show_usage(&store, app_id, json).await
            }
            Command::App { command: AppCommand::Outbox { store, app_id, json } } => {
                commands::show_outbox(&store, app_id, json).await
            }
            Command::App { command: AppCommand::List { store, json } } => commands::list_apps(&store, json).await,
            Command::App { command: AppCommand::SetRateLimits { store, app_id, off, per_minute, defaults: _ } } => {
                commands::set_rate_limits(&store, app_id, off, per_minute).await
            }
            Command::Bench(args) => bench::run(args, machine).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            output::error(&format!("{error:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}
