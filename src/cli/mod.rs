//! The command line: argument types (clap) and the commands' bodies, kept in
//! the library so tests can run them in-process against buffers.

pub mod campaign;
pub mod client;
pub mod codes;
pub mod config;
pub mod contacts;
pub mod demo;
pub mod lists;
pub mod modem;
pub mod optouts;
pub mod passwd;
pub mod pdu;
pub mod serve;
pub mod sim;

use clap::{Parser, Subcommand};

/// simfleet turns USB GSM modems or a SIM bank into an SMS gateway.
#[derive(Debug, Parser)]
#[command(name = "simfleet", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Encode or decode SMS PDUs (TS 23.040) without a modem.
    #[command(subcommand)]
    Pdu(pdu::PduCommand),
    /// Talk to one modem directly: probe it, send through it, read its SIM.
    #[command(subcommand)]
    Modem(modem::ModemCommand),
    /// Run the built-in modem simulator (PTYs that behave like USB modems).
    Sim(sim::SimArgs),
    /// Run the gateway daemon.
    Serve(serve::ServeArgs),
    /// Try the whole gateway with simulated modems: no setup, nothing to install.
    Demo(demo::DemoArgs),
    /// Send a message through the running gateway.
    Send(client::SendArgs),
    /// Modems and the queue at a glance.
    Status(client::StatusArgs),
    /// The queue and the history of messages; `--watch` follows every change.
    Messages(lists::MessagesArgs),
    /// Replies received; `--watch` follows new ones.
    Inbox(lists::InboxArgs),
    /// Check a configuration file without starting anything.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Import or export the numbers that opted out (CSV).
    #[command(subcommand)]
    Optouts(optouts::OptoutsCommand),
    /// Import or export contacts (CSV).
    #[command(subcommand)]
    Contacts(contacts::ContactsCommand),
    /// Marketing campaigns: create from a file, start, pause, resume, cancel, follow.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// Promo codes: import redemptions from a shop's CSV.
    #[command(subcommand)]
    Codes(codes::CodesCommand),
    /// Set a dashboard user's password (user `admin` by default).
    Passwd(passwd::PasswdArgs),
}
