//! The `giaoban` command line: parse, load the config, call into the library.
//! Exit codes: 0 ok, 1 runtime failure, 2 bad config or bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{CommandFactory, Parser, Subcommand};

use giaoban::collect::Filter;
use giaoban::config::Config;
use giaoban::domain::period::Period;
use giaoban::notify::{Courier, console::Console};
use giaoban::store::Store;
use giaoban::{cli, daemon, demo, jobs};

#[derive(Parser)]
#[command(
    name = "giaoban",
    version,
    about = "Runs a reporting regime: collects reports, flags late ones, posts to Telegram",
    long_about = "Runs a reporting regime: collects each unit's periodic report, checks it, \
flags late reports and overdue complaint cases, and posts reminders, alerts and summaries \
to a Telegram group (or the console). Exit codes: 0 ok, 1 runtime failure, 2 bad config \
or bad arguments."
)]
struct Cli {
    /// The config file.
    #[arg(
        long,
        global = true,
        env = "GIAOBAN_CONFIG",
        default_value = "/etc/giaoban/giaoban.toml",
        value_name = "FILE"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: scheduled collection, planner ticks and delivery.
    Run,
    /// Validate the config and print what it understood.
    Check {
        /// Print one JSON document (what the config says, or its problems).
        #[arg(long)]
        json: bool,
    },
    /// One collection pass now.
    Collect {
        /// Only this report (its id in the config).
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// Only this period (e.g. 2024-9M, 2024-Q3, 2024-10); default the periods open now.
        #[arg(long, value_name = "LABEL")]
        period: Option<String>,
        /// Only this unit (its id in the config).
        #[arg(long, value_name = "ID")]
        unit: Option<String>,
        /// Collect as if it were this instant (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Read and judge every file again, even those already seen.
        #[arg(long)]
        force: bool,
    },
    /// One planner pass at TIME, then deliver what is due, then exit.
    Tick {
        /// Plan as if it were this instant (RFC 3339 or local 2024-09-19T10:00); default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print what was queued and delivered as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// One delivery pass over what is due at TIME, then exit (the daemon's
    /// courier does this continuously).
    Deliver {
        /// Deliver as if it were this instant (RFC 3339): what is planned by
        /// then and still news then; default now. Rate limits and retry
        /// times always use the real clock.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print what the pass did as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Per-unit table of a report-period. Reads the database; never creates one.
    Status {
        /// Only this report (its id in the config); default every report.
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// The period (e.g. 2024-9M); default the one whose deadline is nearest.
        #[arg(long, value_name = "LABEL")]
        period: Option<String>,
        /// Evaluate at this instant, counting only what had been received by then; default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// The summary of a report-period: text, and optionally its spreadsheet and chart.
    Summary {
        /// The report (its id in the config).
        #[arg(long, value_name = "ID")]
        report: String,
        /// The period (e.g. 2024-9M).
        #[arg(long, value_name = "LABEL")]
        period: String,
        /// Queue it for the group (with the spreadsheet and chart) and deliver now.
        #[arg(long)]
        send: bool,
        /// Write the spreadsheet here.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
        /// Write the chart (PNG) here.
        #[arg(long, value_name = "FILE")]
        chart: Option<PathBuf>,
        /// Summarise what had been received by this instant (default now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Complaint cases with their legal deadlines and state. Reads the database; never creates one.
    Cases {
        /// Only cases past their limit.
        #[arg(long)]
        overdue: bool,
        /// Only this unit's cases (its id in the config).
        #[arg(long, value_name = "ID")]
        unit: Option<String>,
        /// Evaluate the limits on this instant's date; default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Briefing meetings: when, where, who attends, and what was sent for each.
    Meetings {
        /// List the sittings near this instant (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Key tasks set by the meetings (and from the chat) with their state.
    Tasks {
        /// Only tasks past their deadline.
        #[arg(long)]
        overdue: bool,
        /// Only the tasks this unit owns (its id in the config).
        #[arg(long, value_name = "ID")]
        unit: Option<String>,
        /// Evaluate the deadlines at this instant (RFC 3339); default now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Write the blank XLSX template (biểu mẫu) a unit fills in for a report.
    Template {
        /// The report (its id in the config).
        #[arg(long, value_name = "ID")]
        report: String,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        xlsx: PathBuf,
        /// Pre-fill the unit (id).
        #[arg(long, value_name = "ID")]
        unit: Option<String>,
        /// Pre-fill the period (e.g. 2024-9M).
        #[arg(long, value_name = "LABEL")]
        period: Option<String>,
    },
    /// The whole pipeline on a simulated clock through one reporting cycle.
    Demo,
    /// A consistent copy of the database into FILE (a new file), safe while the daemon runs.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
    /// Copy every table of one database into another, empty one (SQLite to
    /// PostgreSQL or back), then compare the counts of every table.
    MigrateData {
        /// The database to copy: sqlite://FILE (relative to the current folder) or postgres://USER@HOST/DB.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty database to copy into; its schema is created first.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Print the counts per table as one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Print the shell completion script for SHELL (bash, zsh, fish, …).
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `giaoban man | man -l -`.
    Man,
}

/// One manual page for the whole program: clap_mangen's page of the top
/// command, then a section per verb with its options (the subcommands get no
/// pages of their own, so nothing points at a page that is not installed).
fn man_page() -> std::io::Result<String> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    let roff_text = |s: &str| s.replace('\\', "\\e").replace('-', "\\-").replace('\'', "\\(aq");
    let mut out = String::from_utf8_lossy(&buf).into_owned();
    out.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        let mut usage = format!("giaoban {name}");
        for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            usage.push_str(&match (arg.get_long(), arg.get_action().takes_values()) {
                (Some(long), true) => format!(" [--{long} {value}]"),
                (Some(long), false) => format!(" [--{long}]"),
                (None, _) => format!(" {value}"),
            });
        }
        out.push_str(&format!(".SS {}\n", roff_text(&usage)));
        if let Some(about) = sub.get_about() {
            out.push_str(&format!("{}\n", roff_text(&about.to_string())));
        }
        for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
            let value = arg
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string())
                .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
            let head = match (arg.get_long(), arg.get_action().takes_values()) {
                (Some(long), true) => format!("\\fB--{long}\\fR \\fI{value}\\fR"),
                (Some(long), false) => format!("\\fB--{long}\\fR"),
                (None, _) => format!("\\fI{value}\\fR"),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            out.push_str(&format!(".TP\n{}\n{}\n", head.replace('-', "\\-"), roff_text(&help)));
        }
    }
    let mut tail = Vec::new();
    man.render_version_section(&mut tail)?;
    out.push_str(&String::from_utf8_lossy(&tail));
    Ok(out)
}

/// The courier of a one-shot verb (`deliver`, `tick`). With `--json` the JSON
/// document is the whole of stdout, so the console courier prints to stderr.
fn one_shot_courier(config: &Config, store: &Store, json: bool) -> Result<Courier, Failure> {
    let courier = daemon::courier(config, store).map_err(|e| Failure {
        code: e.exit_code(),
        message: e.to_string(),
    })?;
    Ok(match courier {
        Courier::Console(_) if json => {
            Courier::Console(Console::new(Box::new(std::io::stderr()), config.regime.timezone))
        }
        other => other,
    })
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

fn bad(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn failed(e: impl std::fmt::Display) -> Failure {
    Failure {
        code: 1,
        message: e.to_string(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let log_settings = match &cli.command {
        Command::Run => Config::load(&cli.config).map(|c| c.log).unwrap_or_default(),
        // The demo's story is the chat; its rejected file is shown there.
        Command::Demo => giaoban::config::LogSettings {
            level: Some("error".into()),
            json: false,
        },
        _ => Default::default(),
    };
    daemon::init_logging(&log_settings, matches!(cli.command, Command::Run));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if matches!(cli.command, Command::Run) {
        // The daemon mostly waits (the scheduler, the courier, long polling):
        // one worker and a small blocking pool keep it small at rest; a
        // collection pass's reads and SQLite have their own threads.
        builder.worker_threads(1).max_blocking_threads(8);
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("giaoban: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(dispatch(cli));
    // A file read stuck in the kernel (a hung network share) must not keep
    // the process from exiting after the daemon has stopped.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("giaoban: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Demo => return demo::run().await.map_err(failed),
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "giaoban", &mut buf);
            cli::print_out(&String::from_utf8_lossy(&buf));
            return Ok(());
        }
        Command::Man => {
            cli::print_out(&man_page().map_err(failed)?);
            return Ok(());
        }
        Command::MigrateData { from, to, json } => {
            let here = std::env::current_dir().map_err(failed)?;
            let from = giaoban::config::Storage::parse(&from, &here).map_err(|e| bad(format!("--from: {e}")))?;
            let to = giaoban::config::Storage::parse(&to, &here).map_err(|e| bad(format!("--to: {e}")))?;
            let report = giaoban::store::copy::copy(&from, &to).await.map_err(|e| match e {
                giaoban::store::StoreError::Refused(_) | giaoban::store::StoreError::Missing(_) => bad(e.to_string()),
                e => failed(e),
            })?;
            if json {
                cli::println_out(&serde_json::to_string(&report).map_err(failed)?);
            } else {
                let mut out = String::new();
                for t in &report.tables {
                    out.push_str(&format!("{:<20} {:>10} {:>10}\n", t.table, t.source, t.target));
                }
                cli::print_out(&format!(
                    "{:<20} {:>10} {:>10}\n{out}copied {} rows from {} to {}; every table's count matches\n",
                    "table", "source", "target", report.rows, report.from, report.to
                ));
            }
            return Ok(());
        }
        Command::Check { json: true } => {
            return match Config::load(&cli.config) {
                Ok(config) => {
                    cli::println_out(&cli::describe_config_json(&config, Utc::now()).to_string());
                    Ok(())
                }
                Err(e) => {
                    cli::println_out(&cli::config_error_json(&cli.config, &e).to_string());
                    Err(bad(e.to_string()))
                }
            };
        }
        _ => {}
    }
    let config = Config::load(&cli.config).map_err(|e| bad(e.to_string()))?;
    let tz = config.regime.timezone;
    let at = |s: &Option<String>| s.as_deref().map(|s| cli::parse_at(s, &tz)).transpose().map_err(bad);
    match cli.command {
        Command::Check { .. } => {
            cli::print_out(&cli::describe_config(&config, Utc::now()));
            Ok(())
        }
        Command::Run => daemon::run(config, cli.config.clone()).await.map_err(|e| Failure {
            code: e.exit_code(),
            message: e.to_string(),
        }),
        Command::Collect {
            report,
            period,
            unit,
            at: at_arg,
            force,
        } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let period = period
                .as_deref()
                .map(Period::parse)
                .transpose()
                .map_err(|e| bad(e.to_string()))?;
            let store = open(&config).await?;
            let filter = Filter {
                report,
                period,
                unit,
                force,
            };
            let outcomes = jobs::collect_pass(&config, &store, &filter, now)
                .await
                .map_err(|e| match e {
                    giaoban::collect::CollectError::Store(s) => failed(s),
                    other => bad(other.to_string()),
                })?;
            for o in &outcomes {
                let detail = o.outcome.detail().map(|d| format!(": {d}")).unwrap_or_default();
                cli::println_out(&format!(
                    "{} {} {:<18} {}{detail}",
                    o.report,
                    o.period,
                    o.unit,
                    o.outcome.as_str()
                ));
            }
            Ok(())
        }
        Command::Deliver { at: at_arg, json } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let store = open(&config).await?;
            let mut courier = one_shot_courier(&config, &store, json)?;
            let delivery = jobs::deliver(&config, &store, &mut courier, now)
                .await
                .map_err(failed)?;
            if json {
                cli::println_out(&serde_json::json!({ "at": now, "delivered": delivery }).to_string());
            } else {
                eprintln!(
                    "deliver at {}: {} sent, {} retrying, {} failed, {} expired, {} dropped, {} waiting",
                    now.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                    delivery.sent,
                    delivery.retrying,
                    delivery.failed,
                    delivery.expired,
                    delivery.dropped,
                    delivery.waiting
                );
            }
            Ok(())
        }
        Command::Tick { at: at_arg, json } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let store = open(&config).await?;
            // The courier first: a missing token stops the tick before it plans.
            let mut courier = one_shot_courier(&config, &store, json)?;
            let queued = jobs::tick(&config, &store, now, Utc::now()).await.map_err(failed)?;
            let delivery = jobs::deliver(&config, &store, &mut courier, now)
                .await
                .map_err(failed)?;
            if json {
                let doc = serde_json::json!({
                    "at": now,
                    "queued": queued.iter().map(jobs::Queued::from).collect::<Vec<_>>(),
                    "delivered": delivery,
                });
                cli::println_out(&doc.to_string());
            } else {
                eprintln!(
                    "tick at {}: {} queued, {} delivered",
                    now.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                    queued.len(),
                    delivery.sent
                );
            }
            Ok(())
        }
        Command::Status {
            report,
            period,
            at: at_arg,
            json,
        } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let store = open_existing(&config, &cli.config).await?;
            let reports: Vec<_> = match &report {
                Some(r) => vec![
                    config
                        .regime
                        .report(r)
                        .ok_or_else(|| bad(format!("no report '{r}' in the config")))?,
                ],
                None => config.regime.reports.iter().collect(),
            };
            let mut docs = Vec::new();
            for rep in reports {
                let p = match &period {
                    Some(p) => Period::parse_as(rep.timing.period_kind, p).map_err(|e| bad(e.to_string()))?,
                    None => match jobs::default_period(&config, rep, now) {
                        Some(p) => p,
                        None => continue,
                    },
                };
                docs.push(jobs::status(&config, &store, rep, p, now).await.map_err(failed)?);
            }
            let outbox = giaoban::notify::outbox_status(&store).await.map_err(failed)?;
            if json {
                let mut out = if docs.len() == 1 {
                    serde_json::to_value(&docs[0])
                } else {
                    serde_json::to_value(serde_json::json!({ "reports": docs }))
                }
                .map_err(failed)?;
                if let Some(obj) = out.as_object_mut() {
                    obj.insert("outbox".into(), serde_json::to_value(&outbox).map_err(failed)?);
                }
                cli::println_out(&out.to_string());
            } else {
                for (i, d) in docs.iter().enumerate() {
                    if i > 0 {
                        cli::println_out("");
                    }
                    cli::print_out(&cli::status_table(&config, d));
                }
                cli::print_out(&cli::outbox_table(&config, &outbox));
            }
            Ok(())
        }
        Command::Cases {
            overdue,
            unit,
            at: at_arg,
            json,
        } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            if let Some(u) = &unit
                && config.regime.unit(u).is_none()
            {
                return Err(bad(format!("no unit '{u}' in the config")));
            }
            let store = open_existing(&config, &cli.config).await?;
            if overdue && !json {
                // The same view as the bot's /overdue.
                let view = jobs::overdue_view(&config, &store, unit.as_deref(), now)
                    .await
                    .map_err(failed)?;
                cli::println_out(&giaoban::domain::text::html_to_plain(&view));
                return Ok(());
            }
            let rows = jobs::case_rows(&config, &store, unit.as_deref(), overdue, now)
                .await
                .map_err(failed)?;
            if json {
                cli::println_cases_json(now, &rows);
            } else {
                cli::print_out(&cli::cases_table(&config, &rows, now));
            }
            // The process ends next: freeing a national listing string by
            // string (150,000 rows) was about 80 ms of a 0.6 s listing.
            std::mem::forget(rows);
            Ok(())
        }
        Command::Summary {
            report,
            period,
            send,
            xlsx,
            chart,
            at: at_arg,
        } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let rep = config
                .regime
                .report(&report)
                .ok_or_else(|| bad(format!("no report '{report}' in the config")))?;
            let period = Period::parse_as(rep.timing.period_kind, &period).map_err(|e| bad(e.to_string()))?;
            // Only `--send` writes (the outbox); a look at a summary never
            // creates a database.
            let store = if send {
                open(&config).await?
            } else {
                open_existing(&config, &cli.config).await?
            };
            let mut conn = store.read().await.map_err(failed)?;
            let bundle = jobs::summary_bundle(&config, &mut conn, rep, period, now)
                .await
                .map_err(failed)?;
            drop(conn);
            for (path, bytes, what) in [(&xlsx, &bundle.xlsx, "spreadsheet"), (&chart, &bundle.chart, "chart")] {
                if let Some(path) = path {
                    let bytes = bytes
                        .as_ref()
                        .ok_or_else(|| failed(format!("the {what} could not be made (see the log)")))?;
                    std::fs::write(path, bytes).map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
                }
            }
            if send {
                let mut courier = daemon::courier(&config, &store).map_err(|e| Failure {
                    code: e.exit_code(),
                    message: e.to_string(),
                })?;
                jobs::queue_summary(&store, &bundle, rep, period, Utc::now())
                    .await
                    .map_err(failed)?;
                jobs::deliver(&config, &store, &mut courier, Utc::now())
                    .await
                    .map_err(failed)?;
            } else {
                cli::println_out(&giaoban::domain::text::html_to_plain(&bundle.text));
            }
            Ok(())
        }
        Command::Meetings { at: at_arg, json } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            let store = open(&config).await?;
            let rows = jobs::briefing::meeting_rows(&config, &store, now)
                .await
                .map_err(failed)?;
            if json {
                println!("{}", serde_json::json!({ "at": now, "meetings": rows }));
            } else {
                print!("{}", cli::meetings_table(&config, &rows));
            }
            Ok(())
        }
        Command::Tasks {
            overdue,
            unit,
            at: at_arg,
            json,
        } => {
            let now = at(&at_arg)?.unwrap_or_else(Utc::now);
            if let Some(u) = &unit
                && config.regime.unit(u).is_none()
            {
                return Err(bad(format!("no unit '{u}' in the config")));
            }
            let store = open(&config).await?;
            let rows = jobs::briefing::task_rows(&config, &store, unit.as_deref(), overdue, now)
                .await
                .map_err(failed)?;
            if json {
                println!("{}", serde_json::json!({ "at": now, "tasks": rows }));
            } else {
                print!("{}", cli::tasks_table(&config, &rows, now));
            }
            Ok(())
        }
        Command::Template {
            report,
            xlsx,
            unit,
            period,
        } => {
            let bytes = cli::template(&config, &report, unit.as_deref(), period.as_deref()).map_err(bad)?;
            std::fs::write(&xlsx, bytes).map_err(|e| failed(format!("cannot write {}: {e}", xlsx.display())))?;
            cli::println_out(&format!("wrote {}", xlsx.display()));
            Ok(())
        }
        Command::Backup { file } => {
            if file.exists() || file.symlink_metadata().is_ok() {
                return Err(bad(format!(
                    "{} already exists; a backup never overwrites a file",
                    file.display()
                )));
            }
            let giaoban::config::Storage::Sqlite { path } = &config.storage else {
                return Err(bad(
                    "backup copies a SQLite file; back up a PostgreSQL database with pg_dump \
                     (pg_dump --format=custom --file=FILE DATABASE, see the README)"
                        .to_string(),
                ));
            };
            giaoban::store::backup(path, &file).await.map_err(failed)?;
            eprintln!("backed up {} to {}", path.display(), file.display());
            Ok(())
        }
        Command::Demo | Command::Completions { .. } | Command::Man | Command::MigrateData { .. } => {
            unreachable!("handled above")
        }
    }
}

/// The database of a read-only verb: it must exist already. Opening a path
/// that does not exist would create an empty database (in /etc on a packaged
/// install without `state_dir`) and show every unit as not sent.
async fn open_existing(config: &Config, config_path: &std::path::Path) -> Result<Store, Failure> {
    // A PostgreSQL database is made by its administrator; only a SQLite
    // file could be created by mistake.
    if let giaoban::config::Storage::Sqlite { path } = &config.storage
        && !path.exists()
    {
        return Err(bad(format!(
            "no database at {}: nothing has been collected with this config yet. \
             To read the service's database, set state_dir = \"/var/lib/giaoban\" in {} \
             (the service's StateDirectory), or run with STATE_DIRECTORY=/var/lib/giaoban",
            path.display(),
            config_path.display()
        )));
    }
    open(config).await
}

async fn open(config: &Config) -> Result<Store, Failure> {
    Store::connect(&config.storage).await.map_err(failed)
}
