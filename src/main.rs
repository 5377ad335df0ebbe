//! The `simfleet` binary: parses the command line and hands over to the library.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use simfleet::cli::{
    Cli, Command, campaign, client, codes, config, contacts, demo, lists, modem, optouts, passwd, pdu, serve,
    sim,
};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr; RUST_LOG overrides (e.g. RUST_LOG=simfleet=debug
    // shows every AT line).
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // Under systemd, straight to the journal with structured fields
    // (MODEM, IMSI, MSG_ID, ...): `journalctl -u simfleet IMSI=...`.
    let journald = std::env::var_os("JOURNAL_STREAM")
        .and_then(|_| tracing_journald::layer().ok())
        .map(|l| {
            l.with_field_prefix(None)
                .with_syslog_identifier("simfleet".into())
        });
    match journald {
        Some(layer) => tracing_subscriber::registry().with(filter).with(layer).init(),
        None => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(io::stderr)
            // Colour codes only for a person at a terminal, never into a
            // file, a pipe or a log collector.
            .with_ansi(io::stderr().is_terminal())
            .init(),
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {}", causes(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes on one line, each cause once: library errors
/// often repeat their source in their own message already.
fn causes(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// glibc keeps a malloc arena per thread and rarely gives memory back; a
/// small daemon on a Pi is better served by two arenas and by returning
/// large buffers at once.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator tuning; called before threads start.
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 2);
        // Large buffers (a batch request, its answer) come from mmap and go
        // back to the system when freed, instead of pinning the heap top.
        nix::libc::mallopt(nix::libc::M_MMAP_THRESHOLD, 256 * 1024);
        nix::libc::mallopt(nix::libc::M_TRIM_THRESHOLD, 1024 * 1024);
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    limit_malloc_arenas();
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Blocking work is store calls, serialised on two connections:
        // more threads would only wait (and each costs stack and arena).
        .max_blocking_threads(8)
        .enable_all()
        .build()?)
}

fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{value}")?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = ctrl_c.await;
            return;
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Pdu(cmd) => {
            let stdin = io::stdin();
            let stdout = io::stdout();
            let (mut input, mut out) = (stdin.lock(), stdout.lock());
            match cmd {
                pdu::PduCommand::Encode(args) => {
                    pdu::encode(&args, &mut input, &mut out)?;
                    Ok(ExitCode::SUCCESS)
                }
                pdu::PduCommand::Decode(args) => {
                    let all_ok = pdu::decode(&args, &mut input, &mut out)?;
                    Ok(if all_ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    })
                }
            }
        }
        Command::Modem(modem::ModemCommand::List(args)) => {
            let rt = runtime()?;
            let ports = rt.block_on(modem::list(&args));
            if args.json {
                for p in &ports {
                    print_json(p)?;
                }
            } else {
                write!(io::stdout(), "{}", modem::list_table(&ports))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Modem(cmd) => {
            let rt = runtime()?;
            let result = rt.block_on(async {
                match cmd {
                    modem::ModemCommand::Probe(args) => modem::probe(&args).await.map(|v| vec![v]),
                    modem::ModemCommand::Send(args) => modem::send(&args).await.map(|v| vec![v]),
                    modem::ModemCommand::Inbox(args) => modem::inbox(&args).await,
                    modem::ModemCommand::List(_) => Ok(Vec::new()),
                }
            });
            match result {
                Ok(values) => {
                    for v in &values {
                        print_json(v)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    writeln!(io::stderr(), "error: {e}")?;
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Optouts(optouts::OptoutsCommand::Import(args)) => {
            let (summary, clean) = optouts::import(&args)?;
            print_json(&summary)?;
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Optouts(optouts::OptoutsCommand::Export(args)) => {
            let mut out = io::stdout().lock();
            let n = optouts::export(&args, &mut out)?;
            writeln!(io::stderr(), "{n} opted-out numbers")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Contacts(contacts::ContactsCommand::Import(args)) => {
            let report = contacts::import(&args)?;
            if args.json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                write!(io::stdout(), "{}", contacts::report_text(&report))?;
            }
            Ok(if report.bad_rows == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Contacts(contacts::ContactsCommand::Export(args)) => {
            let mut out = io::stdout().lock();
            let n = contacts::export(&args, &mut out)?;
            writeln!(io::stderr(), "{n} contacts")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sim(args) => {
            let rt = runtime()?;
            rt.block_on(sim::run(&args, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => {
            let checked = match serve::load(&args) {
                Ok(c) => c,
                Err(e) => {
                    writeln!(io::stderr(), "error: {e}")?;
                    return Ok(ExitCode::from(2));
                }
            };
            let rt = runtime()?;
            rt.block_on(serve::run(checked, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Passwd(args) => {
            println!("{}", passwd::run(&args)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Codes(codes::CodesCommand::Redeem(args)) => {
            let rt = runtime()?;
            let (summary, outcome) = rt.block_on(codes::redeem(&args))?;
            print_json(&summary)?;
            Ok(ExitCode::from(outcome.exit_code()))
        }
        Command::Campaign(cmd) => {
            use campaign::CampaignCommand as C;
            let rt = runtime()?;
            rt.block_on(async {
                match cmd {
                    C::Create(args) => campaign::create(&args).await,
                    C::Start(args) => campaign::act("start", &args).await,
                    C::Pause(args) => campaign::act("pause", &args).await,
                    C::Resume(args) => campaign::act("resume", &args).await,
                    C::Cancel(args) => campaign::act("cancel", &args).await,
                    C::Status(args) => tokio::select! {
                        r = campaign::status(&args) => r,
                        _ = shutdown_signal() => Ok(()),
                    },
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Send(args) => {
            let rt = runtime()?;
            let ok = rt.block_on(client::send(&args))?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Status(args) => {
            let rt = runtime()?;
            rt.block_on(client::status(&args))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Messages(args) => {
            let rt = runtime()?;
            rt.block_on(async {
                tokio::select! {
                    r = lists::messages(&args) => r,
                    _ = shutdown_signal() => Ok(()),
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inbox(args) => {
            let rt = runtime()?;
            rt.block_on(async {
                tokio::select! {
                    r = lists::inbox(&args) => r,
                    _ = shutdown_signal() => Ok(()),
                }
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(config::ConfigCommand::Check(args)) => match config::check(&args) {
            Ok(summary) => {
                write!(io::stdout(), "{summary}")?;
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                writeln!(io::stderr(), "error: {e}")?;
                Ok(ExitCode::from(2))
            }
        },
        Command::Demo(args) => {
            let rt = runtime()?;
            rt.block_on(demo::run(&args, shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
