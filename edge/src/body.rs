//! Message bodies as the edge relays them, and how they are framed.

use crate::admission::list;
use crate::metrics::{Metrics, OriginError};
use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every body the edge sends, either way.
pub type Body = BoxBody<Bytes, BoxError>;

/// How `Transfer-Encoding` frames a message (RFC 9112 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferCoding {
    /// No `Transfer-Encoding`: `Content-Length`, or none, frames the body.
    None,
    /// `chunked` alone: the one coding the edge relays, since it decodes and re-frames bodies.
    Chunked,
    /// Anything else (`gzip, chunked`): relaying it would hand on gzip-coded bytes labelled as
    /// plain content, so a request with it is refused (501) and a response with it is an origin
    /// fault (502), as nginx treats both.
    Other,
}

pub fn transfer_coding(headers: &HeaderMap) -> TransferCoding {
    let mut codings = list(headers, header::TRANSFER_ENCODING);
    match (codings.next(), codings.next()) {
        (None, _) => TransferCoding::None,
        (Some(coding), None) if coding.eq_ignore_ascii_case("chunked") => TransferCoding::Chunked,
        _ => TransferCoding::Other,
    }
}

/// A visitor's request body, handed to one origin after another until one starts reading it. An
/// origin that could not be connected to never read a byte of it, so the next one can still
/// have all of it; once (part of) it was sent, it cannot be sent again, since the edge does not
/// keep a copy (it streams bodies). Also tells whether it failed on the visitor's side
/// (malformed chunks, or the visitor gone mid-body): then a failed forward is the visitor's
/// doing, not the origin's.
pub struct FromVisitor {
    /// The body until an attempt takes it, on its first read.
    unread: Arc<Mutex<Option<Incoming>>>,
    hint: SizeHint,
    failed: Arc<AtomicBool>,
}

impl FromVisitor {
    pub fn new(body: Incoming) -> Self {
        let hint = body.size_hint();
        Self { unread: Arc::new(Mutex::new(Some(body))), hint, failed: Arc::new(AtomicBool::new(false)) }
    }

    /// The body to send to one origin, or `None` once an earlier attempt began to read it.
    pub fn attempt(&self) -> Option<Body> {
        if lock(&self.unread).is_none() {
            return None;
        }
        let body = Unread { unread: self.unread.clone(), body: None, hint: self.hint };
        let flag = self.failed.clone();
        Some(
            body.map_err(move |error| {
                flag.store(true, Ordering::Relaxed);
                error
            })
            .boxed(),
        )
    }

    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The visitor's body as one attempt sends it: taken from [`FromVisitor`] on the first read, so
/// that an attempt that never read it leaves it for the next.
struct Unread {
    unread: Arc<Mutex<Option<Incoming>>>,
    body: Option<Incoming>,
    hint: SizeHint,
}

impl HttpBody for Unread {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if this.body.is_none() {
            this.body = lock(&this.unread).take();
        }
        match this.body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx).map_err(BoxError::from),
            // Attempts follow one another, so none finds the body gone; if one did, an error
            // is better than sending an origin a request without the body it announces.
            None => Poll::Ready(Some(Err("the request body went to another origin".into()))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_some_and(Incoming::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.body.as_ref().map_or(self.hint, Incoming::size_hint)
    }
}

/// An origin's response body, given up on (and counted as an origin timeout) once nothing of it
/// has come for `limit`: an origin that stalls mid-body would otherwise hold the visitor's
/// connection and its own for ever. hyper then ends the visitor's connection, so the visitor
/// sees a cut response, not a complete one.
pub struct FromOrigin {
    inner: Incoming,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
    metrics: Arc<Metrics>,
}

impl FromOrigin {
    pub fn body(inner: Incoming, limit: Duration, metrics: Arc<Metrics>) -> Body {
        let deadline = Box::pin(tokio::time::sleep(limit));
        Self { inner, limit, deadline, metrics }.boxed()
    }
}

impl HttpBody for FromOrigin {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let next = Instant::now() + this.limit;
                this.deadline.as_mut().reset(next);
                Poll::Ready(frame.map(|frame| frame.map_err(BoxError::from)))
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.metrics.origin_error(OriginError::Timeout);
                    Poll::Ready(Some(Err("the origin's response body stalled".into())))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn only_chunked_alone_is_relayed() {
        let with = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(header::TRANSFER_ENCODING, HeaderValue::from_str(value).unwrap());
            }
            transfer_coding(&headers)
        };
        assert_eq!(with(&[]), TransferCoding::None);
        assert_eq!(with(&["Chunked"]), TransferCoding::Chunked);
        for other in [&["gzip, chunked"][..], &["gzip", "chunked"], &["chunked, chunked"], &["identity"]] {
            assert_eq!(with(other), TransferCoding::Other, "{other:?}");
        }
    }
}
