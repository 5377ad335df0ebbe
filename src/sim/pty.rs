//! Pseudo-terminals standing in for USB serial ports: the simulator keeps
//! the master side, clients open the slave path like any `/dev/ttyUSB*`.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use nix::pty::openpty;
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};

/// A PTY pair: the async master and the slave's path.
pub struct Pty {
    /// The master side, for the simulated modem.
    pub master: PtyMaster,
    /// Where clients open it, e.g. `/dev/pts/7`.
    pub path: PathBuf,
    /// Our own handle on the slave: while it is held, the master sees no
    /// hang-up between clients; dropping it (with the master) unplugs.
    pub slave: SlaveGuard,
}

/// Keeps the slave side open.
pub struct SlaveGuard {
    _fd: OwnedFd,
}

impl Pty {
    /// Opens a raw-mode PTY pair.
    pub fn open() -> io::Result<Pty> {
        let pair = openpty(None, None).map_err(io::Error::from)?;
        let mut tio = tcgetattr(pair.slave.as_fd()).map_err(io::Error::from)?;
        cfmakeraw(&mut tio);
        tcsetattr(pair.slave.as_fd(), SetArg::TCSANOW, &tio).map_err(io::Error::from)?;
        let path = nix::unistd::ttyname(pair.slave.as_fd()).map_err(io::Error::from)?;
        Ok(Pty {
            master: PtyMaster::new(pair.master)?,
            path,
            slave: SlaveGuard { _fd: pair.slave },
        })
    }
}

/// The master side of a PTY as an async byte stream.
pub type PtyMaster = crate::modem::fd_stream::FdStream;
