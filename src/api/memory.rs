//! What bounds the memory a client can make the API hold.
//!
//! Reads are answered a few at a time. A list page can be 1,000 rows; two
//! hundred clients asking at once would otherwise hold two hundred pages
//! and their JSON in memory (RSS went from 14 MB to 238 MB, never
//! returned). Each GET but `/healthz` takes a permit before its handler
//! runs and keeps it until its body has been written out, so at most
//! [`CONCURRENT_READS`] responses exist at a time whatever the clients do;
//! the others wait their turn (bounded by the connection cap and the
//! request timeout). Sends are not limited here: their bodies are small
//! and bounded by the body limits.
//!
//! glibc keeps freed blocks in its arenas, so memory freed after a burst
//! (the last read of a burst, a large batch) is handed back to the system
//! with [`release_free_memory`]: a Pi has little to spare.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Reads answered at once.
pub const CONCURRENT_READS: usize = 4;

/// The permits reads share.
#[derive(Clone)]
pub struct Reads(Arc<Semaphore>);

impl Default for Reads {
    fn default() -> Self {
        Reads(Arc::new(Semaphore::new(CONCURRENT_READS)))
    }
}

/// Middleware: see the module docs.
pub async fn one_at_a_time(State(reads): State<Reads>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET || req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let Ok(permit) = reads.0.clone().acquire_owned().await else {
        return next.run(req).await;
    };
    next.run(req).await.map(|body| {
        Body::new(Held {
            inner: body,
            permit: Some(permit),
            reads,
        })
    })
}

/// A body that keeps its permit until it is dropped (written out, or the
/// client went away).
struct Held {
    inner: Body,
    permit: Option<OwnedSemaphorePermit>,
    reads: Reads,
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.permit.take());
        // The last read of a burst: give its memory back.
        if self.reads.0.available_permits() == CONCURRENT_READS {
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
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
