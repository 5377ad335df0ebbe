//! Opening a modem's line. The actor asks a [`Connector`] for a fresh byte
//! stream each time it (re)connects, so tests can hand it an in-memory pipe
//! and the daemon a serial port.

use std::future::Future;
use std::io;
use std::path::PathBuf;
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
            let mut stream = tokio_serial::SerialStream::open(&builder).map_err(io::Error::from)?;
            // TIOCEXCL: keep ModemManager and friends off our port.
            let _ = stream.set_exclusive(true);
            Ok(Box::new(stream) as BoxedIo)
        })
    }

    fn describe(&self) -> PathBuf {
        self.path.clone()
    }
}
