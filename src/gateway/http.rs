//! The API's listener: HTTP/1.1 over TLS (rustls) or plain on loopback,
//! with every connection bounded so that no client — careless or hostile —
//! can freeze the API for everyone else or starve the modems and the
//! database of file descriptors.
//!
//! - **Connections**: at most [`Limits::max_connections`], itself kept
//!   below the process's open-file limit with room for serial ports, the
//!   database and webhook sockets ([`connection_cap`]). A connection beyond
//!   the cap takes the place of the one that has been quiet the longest,
//!   so a thousand idle sockets cannot keep a real client out. Only a
//!   connection with no request in progress is taken: idle between
//!   requests, or still sending a request head (cheap to retry: nothing
//!   was done). A connection whose request has been handed to the API —
//!   its body being read, its handler working, its response being
//!   produced — is never cut, since its client would get no answer for a
//!   batch that may have been stored and a retry would send it twice. When
//!   every connection has a request in progress, the new connection is
//!   closed at once instead (its client sees a refused request it can
//!   safely retry; nothing waits holding a file descriptor).
//! - **Per address**: one client address (an IPv6 /64 counts as one) holds
//!   at most a quarter of the connections (at least 16), so one host on
//!   the network cannot take every slot with requests it never finishes
//!   (a slow body to `/login` needs no password). Beyond its share, the
//!   new connection takes the place of that address's quietest idle one,
//!   or is closed. Loopback is exempt: an SSH tunnel or a local reverse
//!   proxy brings every user from 127.0.0.1.
//! - **Time**: a TLS handshake, a request's headers and its body each have
//!   a deadline (slowloris), a whole request too, and a keep-alive
//!   connection that sends nothing is closed.
//! - **Stop**: on shutdown no connection is accepted, requests in progress
//!   finish (bounded), idle connections close.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tracing::{debug, warn};

/// Deadlines and caps of the listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// From accept to the end of the TLS handshake.
    pub handshake: Duration,
    /// For a request's headers, from its first byte (and for the first
    /// request, from accept).
    pub headers: Duration,
    /// For a request's body, between reads.
    pub body: Duration,
    /// For a whole request, handler included: 408 after it.
    pub request: Duration,
    /// A connection that neither sends nor receives for this long closes.
    pub idle: Duration,
    /// How long requests in progress may take to finish at shutdown.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 256,
            handshake: Duration::from_secs(10),
            headers: Duration::from_secs(10),
            body: Duration::from_secs(10),
            request: Duration::from_secs(60),
            idle: Duration::from_secs(60),
            drain: Duration::from_secs(10),
        }
    }
}

/// Bytes hyper buffers per connection (writes, and a request head).
pub const WRITE_BUFFER: usize = 32 * 1024;

/// File descriptors kept for everything but API connections: serial ports
/// (a modem may hold several), the database and its journals (two
/// connections), webhook sockets, inotify, the runtime's own.
pub const RESERVED_FDS: u64 = 128;

/// The connection cap for `configured`: raises the open-file soft limit to
/// the hard limit where allowed, then keeps [`RESERVED_FDS`] free. Returns
/// the cap and the open-file limit it was derived from.
pub fn connection_cap(configured: u32) -> (usize, u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let mut soft = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            // Linux refuses soft limits above fs.nr_open; 65,536 is plenty.
            let want = hard.min(65_536);
            if want > soft && setrlimit(Resource::RLIMIT_NOFILE, want, hard).is_ok() {
                want
            } else {
                soft
            }
        }
        Err(_) => 1024,
    };
    if soft == nix::libc::RLIM_INFINITY {
        soft = 65_536;
    }
    let room = soft.saturating_sub(RESERVED_FDS).max(8);
    ((u64::from(configured).min(room)) as usize, soft)
}

/// One live connection: when it last moved a byte, its requests in
/// progress, and how to close it.
struct Live {
    /// The client's address, an IPv6 address cut to its /64.
    peer: std::net::IpAddr,
    activity: Arc<AtomicU64>,
    busy: Arc<AtomicUsize>,
    kill: oneshot::Sender<()>,
}

/// Live connections.
#[derive(Default)]
struct Registry {
    next: u64,
    live: HashMap<u64, Live>,
}

/// Serves the API's `router` on `listener` until `stop` turns true; error
/// answers that are not JSON (a 408 from the request timeout, a 405 from
/// axum) are rewritten in the API's JSON error format.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: Limits,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let router = router.layer((
        // The 408 of the timeout below in the API's JSON error format.
        axum::middleware::map_response(crate::api::error::json_errors),
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request),
        RequestBodyTimeoutLayer::new(limits.body),
    ));
    serve_layered(listener, router, tls, limits, stop).await
}

/// Serves the public listener's `router` (see [`crate::public`]) with the
/// same connection limits and deadlines as the API, its answers left as
/// its handlers wrote them (HTML pages, not the API's JSON errors).
pub async fn serve_public(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: Limits,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let router = router.layer((
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request),
        RequestBodyTimeoutLayer::new(limits.body),
    ));
    serve_layered(listener, router, tls, limits, stop).await
}

/// The accept loop shared by both listeners. Each request carries its
/// connection's peer address as an extension
/// (`axum::extract::ConnectInfo<SocketAddr>`).
async fn serve_layered(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<ServerConfig>>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let registry = Arc::new(Mutex::new(Registry::default()));
    let epoch = Instant::now();
    let mut accept_failing = false;
    loop {
        let (stream, peer) = tokio::select! {
            _ = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    accept_failing = false;
                    a
                }
                Err(e) => {
                    // Out of file descriptors, most likely: say so once, wait
                    // for connections to close rather than spin.
                    if !accept_failing {
                        warn!(error = %e, "cannot accept API connections");
                        accept_failing = true;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(AtomicU64::new(epoch.elapsed().as_millis() as u64));
        let busy = Arc::new(AtomicUsize::new(0));
        let (kill, killed) = oneshot::channel();
        let peer_key = address_key(peer.ip());
        let id = {
            let mut reg = registry.lock().unwrap_or_else(|e| e.into_inner());
            let share = per_address_cap(limits.max_connections);
            if !peer_key.is_loopback()
                && reg.live.values().filter(|l| l.peer == peer_key).count() >= share
                && !evict_quietest(&mut reg, Some(peer_key))
            {
                debug!(%peer, "this address holds its share of connections, every one busy: closing the new one");
                drop(reg);
                drop(stream);
                continue;
            }
            if reg.live.len() >= limits.max_connections && !evict_quietest(&mut reg, None) {
                debug!(%peer, "connection limit reached and every connection busy: closing the new one");
                drop(reg);
                drop(stream);
                continue;
            }
            reg.next += 1;
            let id = reg.next;
            reg.live.insert(
                id,
                Live {
                    peer: peer_key,
                    activity: activity.clone(),
                    busy: busy.clone(),
                    kill,
                },
            );
            id
        };
        let io = Tracked {
            inner: stream,
            activity,
            epoch,
        };
        let service = Counted {
            inner: TowerToHyperService::new(router.clone()),
            busy,
            peer,
        };
        let registry = registry.clone();
        let acceptor = acceptor.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            match acceptor {
                None => connection(io, service, limits, killed, stop).await,
                Some(acceptor) => match tokio::time::timeout(limits.handshake, acceptor.accept(io)).await {
                    Ok(Ok(tls)) => connection(tls, service, limits, killed, stop).await,
                    Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => debug!(%peer, "TLS handshake timed out"),
                },
            }
            registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .live
                .remove(&id);
        });
    }
    // Stopped: connections finish what they are doing (each watches `stop`).
    let deadline = Instant::now() + limits.drain + Duration::from_secs(1);
    while !registry.lock().unwrap_or_else(|e| e.into_inner()).live.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// How many connections one address may hold: a quarter, at least 16.
fn per_address_cap(max_connections: usize) -> usize {
    (max_connections / 4).max(16)
}

/// The address a client is counted under: an IPv6 address by its /64 (one
/// host has them all), an IPv4 address (or IPv4-mapped) as it is.
fn address_key(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => std::net::IpAddr::V4(v4),
            None if v6.is_loopback() => std::net::IpAddr::V6(v6),
            None => {
                let s = v6.segments();
                std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// Closes the connection with no request in progress that moved a byte
/// the longest time ago (of `only` that address when given); false if
/// every such connection has one.
fn evict_quietest(reg: &mut Registry, only: Option<std::net::IpAddr>) -> bool {
    let quietest = reg
        .live
        .iter()
        .filter(|(_, live)| only.is_none_or(|a| live.peer == a))
        .filter(|(_, live)| live.busy.load(Ordering::Acquire) == 0)
        .min_by_key(|(_, live)| live.activity.load(Ordering::Relaxed))
        .map(|(&id, _)| id);
    let Some(live) = quietest.and_then(|id| reg.live.remove(&id).map(|l| (id, l))) else {
        return false;
    };
    debug!(
        connection = live.0,
        "connection limit reached: closing the quietest idle connection"
    );
    let _ = live.1.kill.send(());
    true
}

/// The API's service on one connection, counting its requests in
/// progress: from the call (the request head has been read) until the
/// response body is finished or dropped.
#[derive(Clone)]
struct Counted {
    inner: TowerToHyperService<Router>,
    busy: Arc<AtomicUsize>,
    peer: std::net::SocketAddr,
}

/// One request in progress; counted down when dropped.
struct InProgress(Arc<AtomicUsize>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Counted {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, mut req: hyper::Request<hyper::body::Incoming>) -> Self::Future {
        req.extensions_mut().insert(axum::extract::ConnectInfo(self.peer));
        self.busy.fetch_add(1, Ordering::AcqRel);
        let guard = InProgress(self.busy.clone());
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await?;
            Ok(res.map(|body| {
                axum::body::Body::new(Finishing {
                    inner: body,
                    guard: Some(guard),
                })
            }))
        })
    }
}

/// A response body that ends its request's [`InProgress`] once its last
/// frame has been taken (or it is dropped).
struct Finishing {
    inner: axum::body::Body,
    guard: Option<InProgress>,
}

impl http_body::Body for Finishing {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let me = self.get_mut();
        let r = Pin::new(&mut me.inner).poll_frame(cx);
        if matches!(r, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            me.guard = None;
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

async fn connection<IO>(
    io: IO,
    service: Counted,
    limits: Limits,
    killed: oneshot::Receiver<()>,
    mut stop: watch::Receiver<bool>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static + HasActivity,
{
    let activity = io.activity();
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.headers)
        .keep_alive(true)
        // Hyper takes response frames while its write buffer is below this
        // (and reads a request head up to it): a client that never reads
        // its answers holds at most this much here, the rest of the page
        // waiting with its read permit (see `api::memory`).
        .max_buf_size(WRITE_BUFFER)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::pin!(killed);
    loop {
        // Sleep until the connection would have been quiet for `idle`;
        // bytes moved meanwhile push the deadline on.
        let quiet_left = limits.idle.saturating_sub(activity.quiet_for());
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = &mut killed => return,
            _ = stopped(&mut stop) => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(limits.drain, conn.as_mut()).await;
                return;
            }
            _ = tokio::time::sleep(quiet_left) => {
                if activity.quiet_for() >= limits.idle {
                    return;
                }
            }
        }
    }
}

/// The time of the last byte moved, shared with the registry.
#[derive(Clone)]
struct Activity {
    at: Arc<AtomicU64>,
    epoch: Instant,
}

impl Activity {
    fn quiet_for(&self) -> Duration {
        let now = self.epoch.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.at.load(Ordering::Relaxed)))
    }
}

trait HasActivity {
    fn activity(&self) -> Activity;
}

/// A TCP stream that records when it last moved a byte.
struct Tracked {
    inner: tokio::net::TcpStream,
    activity: Arc<AtomicU64>,
    epoch: Instant,
}

impl Tracked {
    fn touch(&self) {
        self.activity
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl HasActivity for Tracked {
    fn activity(&self) -> Activity {
        Activity {
            at: self.activity.clone(),
            epoch: self.epoch,
        }
    }
}

impl HasActivity for tokio_rustls::server::TlsStream<Tracked> {
    fn activity(&self) -> Activity {
        self.get_ref().0.activity()
    }
}

impl AsyncRead for Tracked {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut me.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            me.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        let r = Pin::new(&mut me.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            me.touch();
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Resolves once `stop` is true (the guard `wait_for` returns is not kept
/// across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn live(reg: &mut Registry, peer: IpAddr, busy: usize, at: u64) -> oneshot::Receiver<()> {
        let (kill, killed) = oneshot::channel();
        reg.next += 1;
        let id = reg.next;
        reg.live.insert(
            id,
            Live {
                peer,
                activity: Arc::new(AtomicU64::new(at)),
                busy: Arc::new(AtomicUsize::new(busy)),
                kill,
            },
        );
        killed
    }

    #[test]
    fn an_address_is_a_host_and_its_share_is_a_quarter() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b), "one /64, one host");
        assert_ne!(address_key(a), address_key("2001:db8:1:3::1".parse().unwrap()));
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 168, 1, 7).to_ipv6_mapped());
        assert_eq!(address_key(mapped), IpAddr::V4(Ipv4Addr::new(192, 168, 1, 7)));
        assert!(address_key(IpAddr::V6(Ipv6Addr::LOCALHOST)).is_loopback());
        assert_eq!(per_address_cap(256), 64);
        assert_eq!(per_address_cap(20), 16);
    }

    #[test]
    fn eviction_for_an_address_takes_only_its_quietest_idle_connection() {
        let mut reg = Registry::default();
        let host: IpAddr = "192.168.1.7".parse().unwrap();
        let other: IpAddr = "192.168.1.8".parse().unwrap();
        let mut other_idle = live(&mut reg, other, 0, 1);
        let mut host_busy = live(&mut reg, host, 1, 2);
        let mut host_idle = live(&mut reg, host, 0, 5);
        assert!(evict_quietest(&mut reg, Some(host)));
        assert!(host_idle.try_recv().is_ok(), "the host's idle connection went");
        assert!(other_idle.try_recv().is_err(), "another host's stayed");
        assert!(
            host_busy.try_recv().is_err(),
            "a request in progress is never cut"
        );
        // Only busy ones left for this host: the new connection is refused.
        assert!(!evict_quietest(&mut reg, Some(host)));
        // The whole listener's quietest idle one is another host's.
        assert!(evict_quietest(&mut reg, None));
        assert!(other_idle.try_recv().is_ok());
    }
}
