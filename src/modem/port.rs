//! One modem's AT line: commands out, events in. Generic over the byte
//! stream so the same code drives a serial port, a simulator PTY, or an
//! in-memory pipe in tests. Nothing else may write to the line.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, timeout_at};
use tracing::{debug, warn};

use super::error::{AtError, SendError};
use crate::at::command::{Attention, Command, SendPdu};
use crate::at::{Event, FinalResult, Parser, SendFailure, Urc};
use crate::sms::EncodedPdu;

/// How long to wait for the `> ` prompt after `AT+CMGS`. A modem prints it
/// at once (it needs nothing from the network for it); no prompt within a
/// few seconds means the modem is stuck, and nothing was sent.
pub const PROMPT_TIMEOUT: Duration = Duration::from_secs(5);
const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// A modem's AT line.
pub struct AtPort<T> {
    io: T,
    parser: Parser,
    urcs: VecDeque<Urc>,
    /// Name for logs (the port path).
    name: String,
    buf: Box<[u8; 512]>,
    /// When the modem last said anything.
    last_heard: Instant,
    /// Commands (or sends) that got no answer in time, ever.
    timeouts: u64,
}

impl<T: AsyncRead + AsyncWrite + Unpin> AtPort<T> {
    /// Wraps a byte stream; `name` labels its log lines.
    pub fn new(io: T, name: impl Into<String>) -> Self {
        Self {
            io,
            parser: Parser::new(),
            urcs: VecDeque::new(),
            name: name.into(),
            buf: Box::new([0; 512]),
            last_heard: Instant::now(),
            timeouts: 0,
        }
    }

    /// How long the modem has said nothing at all.
    pub fn silent_for(&self) -> Duration {
        self.last_heard.elapsed()
    }

    /// How many commands or sends went unanswered in time on this line so
    /// far: when it moves, the modem was stuck (or busy) for a while and
    /// what it announced meanwhile may be lost.
    pub fn timeouts(&self) -> u64 {
        self.timeouts
    }

    /// Reads whatever the modem has already sent, without waiting, and
    /// queues its URCs (see [`take_urcs`](Self::take_urcs)).
    pub async fn poll_pending(&mut self) -> Result<(), AtError> {
        loop {
            match tokio::time::timeout(Duration::ZERO, self.next_event()).await {
                Ok(Ok(event)) => self.queue_unrequested(event),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(()),
            }
        }
    }

    /// Runs a command with its own timeout.
    pub async fn exec<C: Command>(&mut self, cmd: &C) -> Result<C::Output, AtError> {
        self.exec_for(cmd, cmd.timeout()).await
    }

    /// Runs a command, waiting at most `timeout` for its final result.
    pub async fn exec_for<C: Command>(&mut self, cmd: &C, timeout: Duration) -> Result<C::Output, AtError> {
        let text = cmd.text();
        self.parser.command_sent(&text, cmd.prefixes());
        self.write_line(&text).await?;
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            match self.next_event_until(deadline).await {
                Ok(Event::Line(l)) => lines.push(l),
                Ok(Event::Final(FinalResult::Ok)) => return Ok(cmd.parse(&lines)?),
                Ok(Event::Final(result)) => {
                    return Err(AtError::Rejected {
                        command: redact(&text),
                        result,
                    });
                }
                Ok(_) => {}
                Err(AtError::Timeout { .. }) => {
                    self.parser.reset_command();
                    self.timeouts += 1;
                    return Err(AtError::Timeout {
                        command: redact(&text),
                        timeout,
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends one PDU: `AT+CMGS=<n>`, the prompt, the PDU and Ctrl-Z, then
    /// `+CMGS: <mr>`. Returns the message reference the network assigned.
    ///
    /// Anything that goes wrong before the PDU is written is
    /// [`SendError::NotSent`]; so is a `+CMS ERROR` after it. Silence after
    /// the PDU was written is [`SendError::Ambiguous`]: the send is cancelled
    /// with ESC and the line resynchronised, but the message may have left.
    pub async fn send_pdu(&mut self, pdu: &EncodedPdu, timeout: Duration) -> Result<u8, SendError> {
        let cmd = SendPdu {
            tpdu_length: pdu.tpdu_length(),
        };
        let text = cmd.text();
        self.parser.command_sent(&text, cmd.prefixes());
        if let Err(e) = self.write_line(&text).await {
            return Err(SendError::not_sent(SendFailure::RetryElsewhere, e.to_string()));
        }
        // Phase 1: the prompt.
        let deadline = Instant::now() + PROMPT_TIMEOUT;
        loop {
            match self.next_event_until(deadline).await {
                Ok(Event::Prompt) => break,
                Ok(Event::Final(result)) => return Err(refused(result)),
                Ok(_) => {}
                Err(AtError::Timeout { .. }) => {
                    // Nothing was written after the command: cancel it.
                    self.timeouts += 1;
                    self.cancel_and_resync().await;
                    return Err(SendError::not_sent(
                        SendFailure::RetryElsewhere,
                        "no prompt after AT+CMGS",
                    ));
                }
                Err(e) => return Err(SendError::not_sent(SendFailure::RetryElsewhere, e.to_string())),
            }
        }
        // Phase 2: the PDU. From the first byte on, silence is ambiguous.
        let hex = pdu.hex();
        self.parser.pdu_sent(&hex);
        debug!(port = %self.name, tx = %hex, "pdu");
        let mut out = hex.into_bytes();
        out.push(CTRL_Z);
        if let Err(e) = self.write_all(&out).await {
            return Err(SendError::Ambiguous {
                reason: format!("port failed while writing the PDU: {e}"),
            });
        }
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            match self.next_event_until(deadline).await {
                Ok(Event::Line(l)) => lines.push(l),
                Ok(Event::Final(FinalResult::Ok)) => {
                    // OK without +CMGS would be odd; the message was accepted all the same.
                    return Ok(cmd.parse(&lines).unwrap_or(0));
                }
                Ok(Event::Final(result)) => return Err(refused(result)),
                Ok(_) => {}
                Err(AtError::Timeout { .. }) => {
                    self.timeouts += 1;
                    self.cancel_and_resync().await;
                    return Err(SendError::Ambiguous {
                        reason: format!("no answer within {timeout:?} after the PDU was written"),
                    });
                }
                Err(e) => {
                    return Err(SendError::Ambiguous {
                        reason: format!("port failed after the PDU was written: {e}"),
                    });
                }
            }
        }
    }

    /// Reads and discards whatever the line says until it has been quiet
    /// for `quiet` (at most `max` in all): stale replies a previous session
    /// left in the tty buffer must not be taken for answers to ours.
    pub async fn drain(&mut self, quiet: Duration, max: Duration) {
        let deadline = Instant::now() + max;
        loop {
            let until = (Instant::now() + quiet).min(deadline);
            match timeout_at(until, self.io.read(&mut self.buf[..])).await {
                Ok(Ok(n)) if n > 0 => {
                    debug!(port = %self.name, bytes = n, "discarded stale output");
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                // A port that reports nothing (or an error) right after
                // opening has not been quiet for `quiet` yet: wait it out.
                Ok(_) => {
                    tokio::time::sleep_until(until).await;
                    break;
                }
                Err(_) => break,
            }
        }
        self.parser = Parser::new();
        self.urcs.clear();
    }

    /// Writes ESC, which cancels a half-typed PDU, and forgets any command in flight.
    pub async fn escape(&mut self) -> Result<(), AtError> {
        self.parser.reset_command();
        self.write_all(&[ESC]).await
    }

    /// Cancels a pending input with ESC and waits for the line to answer `AT`.
    pub async fn cancel_and_resync(&mut self) {
        let _ = self.escape().await;
        for _ in 0..3 {
            match self.exec(&Attention).await {
                Ok(()) => return,
                Err(e) if e.is_disconnect() => return,
                Err(_) => {}
            }
        }
        warn!(port = %self.name, "line did not resynchronise after cancel");
    }

    /// The next unsolicited result code, waiting as long as it takes.
    /// Cancel-safe: use it in `select!` while idle.
    pub async fn next_urc(&mut self) -> Result<Urc, AtError> {
        loop {
            if let Some(urc) = self.urcs.pop_front() {
                return Ok(urc);
            }
            let event = self.next_event().await?;
            self.queue_unrequested(event);
        }
    }

    /// URCs that arrived during commands, oldest first.
    pub fn take_urcs(&mut self) -> Vec<Urc> {
        self.urcs.drain(..).collect()
    }

    /// Whether URCs are waiting to be handled.
    pub fn has_urcs(&self) -> bool {
        !self.urcs.is_empty()
    }

    fn queue_unrequested(&mut self, event: Event) {
        match event {
            Event::Urc(urc) => self.urcs.push_back(urc),
            Event::LineTooLong { len } => warn!(port = %self.name, len, "over-long line dropped"),
            // A late reply to a command that timed out.
            other => debug!(port = %self.name, ?other, "stray event"),
        }
    }

    async fn next_event_until(&mut self, deadline: Instant) -> Result<Event, AtError> {
        loop {
            match timeout_at(deadline, self.next_event()).await {
                Ok(Ok(Event::Urc(urc))) => self.urcs.push_back(urc),
                Ok(Ok(Event::LineTooLong { len })) => warn!(port = %self.name, len, "over-long line dropped"),
                Ok(other) => return other,
                Err(_) => {
                    return Err(AtError::Timeout {
                        command: String::new(),
                        timeout: Duration::ZERO,
                    });
                }
            }
        }
    }

    async fn next_event(&mut self) -> Result<Event, AtError> {
        loop {
            if let Some(event) = self.parser.next_event() {
                if let Event::Line(l) | Event::Echo(l) = &event {
                    debug!(port = %self.name, rx = %redact(l), "line");
                } else {
                    debug!(port = %self.name, rx = ?event, "event");
                }
                return Ok(event);
            }
            let n = self.io.read(&mut self.buf[..]).await?;
            if n == 0 {
                return Err(AtError::Closed);
            }
            self.last_heard = Instant::now();
            self.parser.feed(&self.buf[..n]);
        }
    }

    async fn write_line(&mut self, text: &str) -> Result<(), AtError> {
        debug!(port = %self.name, tx = %redact(text), "command");
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(b'\r');
        self.write_all(&bytes).await
    }

    async fn write_all(&mut self, bytes: &[u8]) -> Result<(), AtError> {
        self.io.write_all(bytes).await?;
        self.io.flush().await?;
        Ok(())
    }
}

/// A final result that refused a send, as a not-sent error.
fn refused(result: FinalResult) -> SendError {
    let failure = match &result {
        FinalResult::Cms(e) => e.failure(),
        FinalResult::Cme(e) if matches!(e.code, Some(10..=18)) => SendFailure::SimProblem,
        _ => SendFailure::RetryElsewhere,
    };
    SendError::not_sent(failure, result.to_string())
}

/// Hides a PIN in `AT+CPIN="…"` before it reaches a log or an error.
pub fn redact(line: &str) -> String {
    if line.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("AT+CPIN=")) {
        "AT+CPIN=\"****\"".to_string()
    } else {
        line.to_string()
    }
}
