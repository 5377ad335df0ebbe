//! The `simfleet` binary: parses the command line and hands over to the library.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use simfleet::cli::{Cli, Command, pdu};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(io::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut input = stdin.lock();
    let mut out = stdout.lock();
    match cli.command {
        Command::Pdu(pdu::PduCommand::Encode(args)) => {
            pdu::encode(&args, &mut input, &mut out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Pdu(pdu::PduCommand::Decode(args)) => {
            let all_ok = pdu::decode(&args, &mut input, &mut out)?;
            Ok(if all_ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
