//! simfleet: an on-premise SMS gateway for USB GSM modems and SIM banks.
//!
//! The tree is the architecture, bytes up to behaviour:
//! - [`sms`]: the PDU codec (TS 23.038 / 23.040), pure.
//! - [`at`]: AT framing, URCs and typed commands (TS 27.005 / 27.007), sans-IO.
//! - [`modem`]: one actor per modem owning its port: init, send, inbox, health, reconnect; sysfs discovery.
//! - [`store`]: SQLite schema, migrations and every query.
//! - [`dispatch`]: which SIM sends what and when.
//! - [`inbound`]: reassembly, keywords and opt-outs, surveys, delivery reports.
//! - [`webhook`]: signed delivery of events from the durable outbox.
//! - [`email`]: replies forwarded by email (SMTP) from a durable outbox.
//! - [`api`]: the HTTP API (axum), thin over the others.
//! - [`gateway`]: the daemon assembled, and its systemd notifications.
//! - [`config`], [`phone`]: the configuration file; phone numbers.
//! - [`export`]: CSV written for people, safe to open in a spreadsheet.
//! - [`tls`]: rustls for the API's listener and for outgoing connections.
//! - [`sim`]: the modem simulator (PTYs with faults on demand) and its control API.
//! - [`cli`]: the command-line interface's pieces, testable in-process.
//!
//! The audience for campaigns, one folder per concept:
//! - [`contacts`]: people with their consent, tags, attributes, zone and language.
//! - [`segments`]: saved filters over contacts (a JSON expression language), validated.
//! - [`templates`]: personalised texts (minijinja, sandboxed) and their cost preview.
//!
//! Sending to it:
//! - [`campaigns`]: marketing sends with windows, caps, priorities, A/B tests and figures.
//! - [`automations`]: messages triggered by a contact's events and dates, and sequences.
//! - [`calls`]: call tracking — incoming calls to the SIMs recorded, attributed, thanked.
//! - [`attribution`]: promo codes and tracked links, what a message brought.
//!
//! Facing the world:
//! - [`public`]: the public listener — tracked links and the subscribe form.
//! - [`web`]: the dashboard (server-rendered pages on the API listener), in English, Russian and Spanish.

pub mod api;
pub mod at;
pub mod attribution;
pub mod automations;
pub mod calls;
pub mod campaigns;
pub mod cli;
pub mod config;
pub mod contacts;
pub mod dispatch;
pub mod email;
pub mod export;
pub mod gateway;
pub mod inbound;
pub mod modem;
pub mod phone;
pub mod public;
pub mod segments;
pub mod sim;
pub mod sms;
pub mod store;
pub mod templates;
pub mod tls;
pub mod web;
pub mod webhook;
