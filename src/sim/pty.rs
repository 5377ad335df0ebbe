//! Pseudo-terminals standing in for USB serial ports: the simulator keeps
//! the master side, clients open the slave path like any `/dev/ttyUSB*`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::pty::openpty;
use nix::sys::termios::{SetArg, cfmakeraw, tcgetattr, tcsetattr};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

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
        let flags = fcntl(pair.master.as_fd(), FcntlArg::F_GETFL).map_err(io::Error::from)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        fcntl(pair.master.as_fd(), FcntlArg::F_SETFL(flags)).map_err(io::Error::from)?;
        // SAFETY: the OwnedFd is open and owned by the AsyncFd for its
        // whole life; its raw fd never changes.
        let fd = unsafe { AsyncFd::register(pair.master) }?;
        Ok(Pty {
            master: PtyMaster { fd },
            path,
            slave: SlaveGuard { _fd: pair.slave },
        })
    }
}

/// The master side of a PTY as an async byte stream.
pub struct PtyMaster {
    fd: AsyncFd<OwnedFd>,
}

impl AsyncRead for PtyMaster {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard
                .try_io(|fd| nix::unistd::read(fd.get_ref().as_fd(), unfilled).map_err(io::Error::from))
            {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                // EIO: no slave open any more; read as end of stream.
                Ok(Err(e)) if e.raw_os_error() == Some(nix::libc::EIO) => return Poll::Ready(Ok(())),
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for PtyMaster {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), data).map_err(io::Error::from)) {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsRawFd for PtyMaster {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.get_ref().as_raw_fd()
    }
}
