//! Opening a modem's line. The actor asks a [`Connector`] for a fresh byte
//! stream each time it (re)connects, so tests can hand it an in-memory pipe
//! and the daemon a serial port.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

/// A byte stream to a modem.
pub trait ModemIo: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> ModemIo for T {}

/// A boxed stream, as connectors return it.
pub type BoxedIo = Box<dyn ModemIo>;

/// The future a connector returns.
pub type ConnectFuture = Pin<Box<dyn Future<Output = io::Result<BoxedIo>> + Send>>;

/// Something that can open the line to one modem, again and again.
pub trait Connector: Send + Sync + 'static {
    /// Opens the line.
    fn connect(&self) -> ConnectFuture;
    /// The path or name, for logs and status.
    fn describe(&self) -> PathBuf;
}

/// A serial port (USB modem, or a simulator PTY).
#[derive(Debug, Clone)]
pub struct SerialConnector {
    /// Device path, e.g. `/dev/simfleet/huawei-1-1.2`.
    pub path: PathBuf,
    /// Baud rate (USB modems ignore it; real UARTs do not).
    pub baud: u32,
}

impl Connector for SerialConnector {
    fn connect(&self) -> ConnectFuture {
        let path = self.path.clone();
        let baud = self.baud;
        Box::pin(async move {
            let path = path.to_string_lossy().into_owned();
            let builder = tokio_serial::new(&path, baud)
                .data_bits(tokio_serial::DataBits::Eight)
                .parity(tokio_serial::Parity::None)
                .stop_bits(tokio_serial::StopBits::One)
                .flow_control(tokio_serial::FlowControl::None);
            match tokio_serial::SerialStream::open(&builder).map_err(io::Error::from) {
                Ok(mut stream) => {
                    // TIOCEXCL: keep ModemManager and friends off our port.
                    let _ = stream.set_exclusive(true);
                    Ok(Box::new(stream) as BoxedIo)
                }
                // serialport sets the speed with termios2, which some
                // emulators (qemu-user) and old kernels lack; its error
                // keeps no errno. Plain termios does for modems; if that
                // fails too, the first error is the one to report.
                Err(e) => match open_plain(&path, baud) {
                    Ok(port) => Ok(Box::new(port) as BoxedIo),
                    Err(plain) => Err(why_not_open(Path::new(&path), e, &plain)),
                },
            }
        })
    }

    fn describe(&self) -> PathBuf {
        self.path.clone()
    }
}

/// Why `path` could not be opened, in words a user can act on, as an
/// error of the right kind (`NotFound` for a path that is not there: the
/// modem is unplugged; others mean something is there but unusable).
/// `first` is serialport's error (it keeps no errno), `plain` ours.
pub fn why_not_open(path: &Path, first: io::Error, plain: &io::Error) -> io::Error {
    use std::os::unix::fs::FileTypeExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return io::Error::new(
                io::ErrorKind::NotFound,
                "no such device (unplugged, or not there yet)",
            );
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return io::Error::new(
                e.kind(),
                "permission denied: the simfleet user needs read and write access (group dialout)",
            );
        }
        Err(e) => return e,
    };
    let ft = meta.file_type();
    let what = if ft.is_file() {
        Some("a regular file")
    } else if ft.is_dir() {
        Some("a directory")
    } else if ft.is_char_device() {
        // A character device that has no termios: /dev/null, /dev/zero…
        (plain.raw_os_error() == Some(nix::libc::ENOTTY))
            .then_some("a character device that is not a terminal")
    } else {
        Some("not a device")
    };
    if let Some(what) = what {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a serial port: {what}; check the modem's `port` in the config"),
        );
    }
    match plain.raw_os_error() {
        Some(nix::libc::EWOULDBLOCK) | Some(nix::libc::EBUSY) => io::Error::new(
            io::ErrorKind::ResourceBusy,
            "in use by another program (ModemManager, another simfleet?)",
        ),
        Some(nix::libc::EACCES) | Some(nix::libc::EPERM) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            "permission denied: the simfleet user needs read and write access (group dialout)",
        ),
        Some(nix::libc::ENOENT) | Some(nix::libc::ENODEV) | Some(nix::libc::ENXIO) => io::Error::new(
            io::ErrorKind::NotFound,
            "no such device (unplugged, or not there yet)",
        ),
        _ => first,
    }
}

/// Opens a serial port with classic termios only: raw, 8N1, no flow
/// control, the nearest standard speed, exclusive.
fn open_plain(path: &str, baud: u32) -> io::Result<super::fd_stream::FdStream> {
    use nix::fcntl::{OFlag, open};
    use nix::sys::stat::Mode;
    use nix::sys::termios::{BaudRate, ControlFlags, SetArg, cfmakeraw, cfsetspeed, tcgetattr, tcsetattr};
    let fd = open(
        path,
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io::Error::from)?;
    // SAFETY: TIOCEXCL takes no argument and only marks the open tty
    // exclusive; fd is open and ours.
    let _ = unsafe { nix::libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&fd), nix::libc::TIOCEXCL) };
    // And an advisory lock, as tokio-serial takes: root ignores TIOCEXCL.
    // SAFETY: flock on an open fd we own; no memory is involved.
    if unsafe {
        nix::libc::flock(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            nix::libc::LOCK_EX | nix::libc::LOCK_NB,
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    let mut tio = tcgetattr(&fd).map_err(io::Error::from)?;
    cfmakeraw(&mut tio);
    tio.control_flags |= ControlFlags::CLOCAL | ControlFlags::CREAD;
    tio.control_flags &= !(ControlFlags::CRTSCTS | ControlFlags::CSTOPB | ControlFlags::PARENB);
    let speed = match baud {
        9_600 => BaudRate::B9600,
        19_200 => BaudRate::B19200,
        38_400 => BaudRate::B38400,
        57_600 => BaudRate::B57600,
        230_400 => BaudRate::B230400,
        460_800 => BaudRate::B460800,
        921_600 => BaudRate::B921600,
        _ => BaudRate::B115200,
    };
    cfsetspeed(&mut tio, speed).map_err(io::Error::from)?;
    tcsetattr(&fd, SetArg::TCSANOW, &tio).map_err(io::Error::from)?;
    super::fd_stream::FdStream::new(fd)
}

#[cfg(test)]
mod open_error_tests {
    use super::*;

    async fn open_error(path: &Path) -> io::Error {
        let c = SerialConnector {
            path: path.to_path_buf(),
            baud: 115_200,
        };
        match c.connect().await {
            Ok(_) => panic!("{} opened", path.display()),
            Err(e) => e,
        }
    }

    #[tokio::test]
    async fn what_is_wrong_with_a_port_is_said_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let missing = open_error(&dir.path().join("ttyUSB9")).await;
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(missing.to_string().contains("no such device"), "{missing}");

        let file = dir.path().join("modem.txt");
        std::fs::write(&file, "").unwrap();
        let e = open_error(&file).await;
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(
            e.to_string().starts_with("not a serial port: a regular file"),
            "{e}"
        );

        let e = open_error(Path::new("/dev/null")).await;
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(
            e.to_string()
                .starts_with("not a serial port: a character device that is not a terminal"),
            "{e}"
        );
    }
}

#[cfg(test)]
mod plain_tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn plain_termios_opens_a_tty_and_moves_bytes_both_ways() {
        let mut pty = crate::sim::pty::Pty::open().unwrap();
        let path = pty.path.to_string_lossy().into_owned();
        let mut port = super::open_plain(&path, 115_200).unwrap();
        port.write_all(b"AT\r").await.unwrap();
        let mut buf = [0u8; 3];
        pty.master.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"AT\r");
        pty.master.write_all(b"\r\nOK\r\n").await.unwrap();
        let mut buf = [0u8; 6];
        port.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"\r\nOK\r\n");
        // Exclusive: a second opener is refused.
        assert!(super::open_plain(&path, 115_200).is_err());
    }
}
