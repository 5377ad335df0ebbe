//! A simulated modem reached through an in-memory pipe instead of a PTY:
//! the same modem, for tests and in-process benchmarks that want no
//! file system. "Unplugging" closes the pipe and refuses reconnects.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::modem::SimModem;
use crate::modem::connect::{BoxedIo, ConnectFuture, Connector};

/// Connects the modem driver to a [`SimModem`] over a duplex pipe.
pub struct InProcessConnector {
    modem: Arc<SimModem>,
    plugged: AtomicBool,
    stop: Mutex<Option<watch::Sender<bool>>>,
}

impl InProcessConnector {
    /// A connector to `modem`, plugged in.
    pub fn new(modem: Arc<SimModem>) -> Arc<Self> {
        Arc::new(Self {
            modem,
            plugged: AtomicBool::new(true),
            stop: Mutex::new(None),
        })
    }

    /// Closes the line and refuses to reconnect until [`replug`](Self::replug).
    pub fn unplug(&self) {
        self.plugged.store(false, Ordering::SeqCst);
        if let Some(stop) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = stop.send(true);
        }
    }

    /// Allows connections again.
    pub fn replug(&self) {
        self.plugged.store(true, Ordering::SeqCst);
    }
}

impl Connector for InProcessConnector {
    fn connect(&self) -> ConnectFuture {
        if !self.plugged.load(Ordering::SeqCst) {
            return Box::pin(async { Err(io::Error::new(io::ErrorKind::NotFound, "unplugged")) });
        }
        let (ours, theirs) = tokio::io::duplex(4096);
        let (stop, stop_rx) = watch::channel(false);
        if let Some(old) = self.stop.lock().unwrap_or_else(|e| e.into_inner()).replace(stop) {
            let _ = old.send(true);
        }
        tokio::spawn(self.modem.clone().serve(theirs, stop_rx));
        Box::pin(async move { Ok(Box::new(ours) as BoxedIo) })
    }

    fn describe(&self) -> PathBuf {
        PathBuf::from(format!("sim:modem{}", self.modem.index))
    }
}
