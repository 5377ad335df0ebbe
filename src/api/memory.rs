//! What bounds the memory a client can make the API hold.
//!
//! Reads are answered a few at a time. A list page can be 1,000 rows; two
//! hundred clients asking at once would otherwise hold two hundred pages
//! and their JSON in memory (RSS went from 14 MB to 238 MB, never
//! returned). Each GET but `/healthz` takes a permit before its handler
//! runs and keeps it until its body has been written out, so at most
//! [`CONCURRENT_READS`] responses exist at a time whatever the clients do;
//! the others wait their turn (bounded by the connection cap and the
//! request timeout). The held body hands its bytes to hyper in frames of
//! [`FRAME`] (copies, so that what hyper queues does not keep the whole
//! page alive), and hyper asks for the next frame only when its write
//! buffer (bounded by the listener) has room: a client that never reads
//! keeps its permit and its page, so at most [`CONCURRENT_READS`] pages
//! exist whatever clients do, plus a write buffer per connection.
//!
//! Batches (`POST /v1/messages/batch`, bodies up to 32 MiB) are taken
//! [`CONCURRENT_BATCHES`] at a time: the permit is taken before the
//! handler reads the body and kept until the answer has been written.
//! Single sends are not limited here: their bodies are small and bounded
//! by the body limits.
//!
//! glibc keeps freed blocks in its arenas, so memory freed after a burst
//! (the last read of a burst, a large batch) is handed back to the system
//! with [`release_free_memory`]: a Pi has little to spare.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reads answered at once.
pub const CONCURRENT_READS: usize = 4;

/// Batches taken at once.
pub const CONCURRENT_BATCHES: usize = 1;

/// Largest frame a held body hands to hyper (bytes).
pub const FRAME: usize = 16 * 1024;

/// The permits reads and batches share.
#[derive(Clone)]
pub struct Reads {
    reads: Arc<Semaphore>,
    batches: Arc<Semaphore>,
}

impl Default for Reads {
    fn default() -> Self {
        Reads {
            reads: Arc::new(Semaphore::new(CONCURRENT_READS)),
            batches: Arc::new(Semaphore::new(CONCURRENT_BATCHES)),
        }
    }
}

/// Middleware: see the module docs.
pub async fn one_at_a_time(State(reads): State<Reads>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let sem = if req.method() == Method::GET && path != "/healthz" {
        &reads.reads
    } else if req.method() == Method::POST && (path == "/v1/messages/batch" || path == "/v1/contacts/import")
    {
        &reads.batches
    } else {
        return next.run(req).await;
    };
    let Ok(permit) = sem.clone().acquire_owned().await else {
        return next.run(req).await;
    };
    next.run(req).await.map(|body| {
        Body::new(Held {
            inner: body,
            pending: Bytes::new(),
            permit: Some(permit),
            reads,
        })
    })
}

/// A body that hands its bytes on in frames of at most [`FRAME`] and
/// keeps its permit until it is dropped (written out, or the client went
/// away).
struct Held {
    inner: Body,
    /// What is left of the inner body's last data frame.
    pending: Bytes,
    permit: Option<OwnedSemaphorePermit>,
    reads: Reads,
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.permit.take());
        // The last read or batch of a burst: give its memory back.
        if self.reads.reads.available_permits() == CONCURRENT_READS
            && self.reads.batches.available_permits() == CONCURRENT_BATCHES
        {
            release_free_memory();
        }
    }
}

/// Hands memory freed by large requests back to the system.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns unused heap pages to the kernel; it
    // is thread-safe and has no preconditions.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

impl http_body::Body for Held {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let me = self.get_mut();
        if me.pending.is_empty() {
            match Pin::new(&mut me.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => me.pending = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return other,
            }
        }
        let n = me.pending.len().min(FRAME);
        // A copy: hyper may queue the frame, and a slice would keep the
        // whole page alive after this body (and its permit) is gone.
        let chunk = Bytes::copy_from_slice(&me.pending[..n]);
        me.pending = if n == me.pending.len() {
            Bytes::new()
        } else {
            me.pending.slice(n..)
        };
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let inner = self.inner.size_hint();
        let left = self.pending.len() as u64;
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(inner.lower() + left);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + left);
        }
        hint
    }
}
