//! A fleet of simulated modems on PTYs, each reachable at `DIR/modemN`
//! (a symlink to its current `/dev/pts/*`). Unplugging closes the PTY and
//! removes the link; replugging opens a new PTY (a new pts number, as a
//! USB stick gets a new ttyUSB) for the same modem and SIM.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::modem::{Counters, Faults, Ledger, LedgerEntry, SimModem};
use super::profile::SimProfile;
use super::pty::{Pty, SlaveGuard};

/// How to build a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Number of modems.
    pub modems: usize,
    /// Directory for the `modemN` links.
    pub dir: PathBuf,
    /// Time the network takes to accept a send.
    pub latency: Duration,
}

struct Plugged {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    pts: PathBuf,
    slave: SlaveGuard,
}

struct Slot {
    modem: Arc<SimModem>,
    link: PathBuf,
    plugged: Mutex<Option<Plugged>>,
}

/// What the control API reports about one modem.
#[derive(Debug, Clone, Serialize)]
pub struct ModemReport {
    /// Index in the fleet.
    pub index: usize,
    /// The stable link path.
    pub path: PathBuf,
    /// The PTY behind it, while plugged.
    pub pts: Option<PathBuf>,
    /// Whether a client has the line open.
    pub attached: bool,
    /// Identity.
    pub profile: SimProfile,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub counters: Counters,
    /// Messages in SIM storage.
    pub stored: usize,
    /// Messages the network holds for a full SIM.
    pub queued_at_network: usize,
}

/// A running fleet.
pub struct Fleet {
    slots: Vec<Slot>,
    ledger: Arc<Ledger>,
}

impl Fleet {
    /// Creates the PTYs and links and starts serving.
    pub fn start(config: &FleetConfig) -> io::Result<Fleet> {
        std::fs::create_dir_all(&config.dir)?;
        let ledger = Arc::new(Ledger::default());
        let slots = (0..config.modems)
            .map(|index| Slot {
                modem: Arc::new(SimModem::new(
                    index,
                    SimProfile::for_index(index),
                    config.latency,
                    ledger.clone(),
                )),
                link: config.dir.join(format!("modem{index}")),
                plugged: Mutex::new(None),
            })
            .collect();
        let fleet = Fleet { slots, ledger };
        for i in 0..config.modems {
            fleet.replug(i)?;
        }
        Ok(fleet)
    }

    /// Number of modems.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the fleet has no modems.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Modem `index`.
    pub fn modem(&self, index: usize) -> Option<&Arc<SimModem>> {
        self.slots.get(index).map(|s| &s.modem)
    }

    /// The stable paths (`DIR/modemN`).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.slots.iter().map(|s| s.link.clone()).collect()
    }

    /// Every send the network accepted, fleet-wide, in order.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.ledger.entries()
    }

    /// Status of every modem.
    pub fn reports(&self) -> Vec<ModemReport> {
        self.slots
            .iter()
            .map(|s| ModemReport {
                index: s.modem.index,
                path: s.link.clone(),
                pts: lock(&s.plugged).as_ref().map(|p| p.pts.clone()),
                attached: s.modem.attached(),
                profile: s.modem.profile(),
                faults: s.modem.faults(),
                counters: s.modem.counters(),
                stored: s.modem.stored().len(),
                queued_at_network: s.modem.queued_at_network(),
            })
            .collect()
    }

    /// Pulls the stick out: the PTY closes and the link disappears.
    pub async fn unplug(&self, index: usize) -> bool {
        let Some(slot) = self.slots.get(index) else {
            return false;
        };
        let plugged = lock(&slot.plugged).take();
        let Some(p) = plugged else { return false };
        let _ = std::fs::remove_file(&slot.link);
        let _ = p.stop.send(true);
        let _ = p.task.await;
        drop(p.slave);
        true
    }

    /// Plugs the stick (back) in: a new PTY behind the same link.
    pub fn replug(&self, index: usize) -> io::Result<PathBuf> {
        let slot = self
            .slots
            .get(index)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such modem"))?;
        let mut plugged = lock(&slot.plugged);
        if let Some(p) = plugged.as_ref() {
            return Ok(p.pts.clone());
        }
        let Pty { master, path, slave } = Pty::open()?;
        replace_link(&path, &slot.link)?;
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(slot.modem.clone().serve(master, stop_rx));
        *plugged = Some(Plugged {
            stop,
            task,
            pts: path.clone(),
            slave,
        });
        Ok(path)
    }

    /// Unplugs everything and removes the links.
    pub async fn shutdown(&self) {
        for i in 0..self.slots.len() {
            self.unplug(i).await;
        }
    }
}

fn replace_link(target: &Path, link: &Path) -> io::Result<()> {
    match std::fs::remove_file(link) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::os::unix::fs::symlink(target, link)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
