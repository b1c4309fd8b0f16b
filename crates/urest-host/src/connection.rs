//! One TCP connection: served by the HTTP layer in a slot until the client
//! leaves, makes way for a waiting client, or the host drains; or, after
//! waiting too long for a slot, answered `503`.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use embassy_futures::select::{select, Either};
use embedded_io_adapters::tokio_1::FromTokio;
use embedded_io_async::{ErrorType, Read, Write};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use urest_http::{write_no_free_slot, write_stopping, Buffers, HeadEnd, Server};

use crate::clock::{HostClock, TokioDelay};
use crate::slots::HostSlot;

/// Bytes for one request: request line, headers and body (less the HTTP
/// layer's scratch area). A larger head is answered `431`, a larger body
/// `413`. Room for a browser's head with a few cookies.
pub const REQUEST_BUFFER: usize = 2048;

/// Bytes for one response; the largest, `OPTIONS` on a PWM noun, is about
/// 1.5 KiB with its head.
pub const RESPONSE_BUFFER: usize = 4096;

/// What a turned-away client is told to wait before trying again.
pub const RETRY_AFTER_SECS: u32 = 1;

/// How long a turned-away client may take to send its request head, and
/// then to close its side after the `503`.
const TURN_AWAY_GRACE: Duration = Duration::from_secs(1);

/// How long a closing connection waits for the client to close its side.
const LINGER: Duration = Duration::from_secs(2);

/// Most bytes read and dropped from a closing connection.
const LINGER_READ_LIMIT: usize = 64 * 1024;

/// Serve `stream` from `peer` with `http` in `slot` until the client closes it, it
/// times out, it makes way for a waiting client, or the host drains (then
/// at the next gap between requests). Returns the stream, to be closed
/// with [`linger`] once the slot is free.
pub(crate) async fn serve(
    http: &Server<'_, HostClock>,
    stream: TcpStream,
    peer: SocketAddr,
    drain: watch::Receiver<bool>,
    slot: &HostSlot<'_>,
) -> TcpStream {
    // Responses are written whole; waiting for more to coalesce only adds
    // latency.
    let _ = stream.set_nodelay(true);
    let mut connection = DrainingConnection::new(FromTokio::new(stream), drain);
    let mut request = vec![0u8; REQUEST_BUFFER];
    let mut response = vec![0u8; RESPONSE_BUFFER];
    let mut buffers = Buffers::new(&mut request, &mut response);
    // An I/O error means the client went away; there is nobody to tell.
    // The peer's address keys the limit on wrong tokens; an IPv4 client of
    // a dual-stack socket counts as its IPv4 address.
    let _ = http
        .serve_in(
            Some(peer.ip().to_canonical()),
            &mut connection,
            &mut TokioDelay,
            &mut buffers,
            slot,
        )
        .await;
    connection.inner.into_inner()
}

/// Close `stream` in order: send our FIN, then read and drop what the
/// client still sends until it closes too. Dropping a socket with the
/// client's bytes unread makes the kernel reset the connection, and the
/// reset can destroy an answer the client has not read yet.
pub(crate) async fn linger(mut stream: TcpStream) {
    let closing = async {
        stream.shutdown().await?;
        drain(&mut stream).await
    };
    let _ = tokio::time::timeout(LINGER, closing).await;
}

async fn drain(stream: &mut TcpStream) -> io::Result<()> {
    let mut sink = [0u8; 1024];
    let mut total = 0;
    while total < LINGER_READ_LIMIT {
        let read = stream.read(&mut sink).await?;
        if read == 0 {
            break;
        }
        total += read;
    }
    Ok(())
}

/// Why a client is answered `503` without being served.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TurnAway {
    /// It waited for a slot longer than the bound.
    WaitedTooLong,
    /// The host is stopping.
    Stopping,
}

/// What became of a turned-away client.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum TurnedAway {
    /// It sent a request and was answered `503`.
    Answered,
    /// It sent no whole request head in time, or went away: closed without
    /// an answer (there was no request to answer).
    ClosedUnasked,
}

/// Wait for the client's request head (a response before the request would
/// be unsolicited), answer `503 Service Unavailable` with `Retry-After`,
/// and close in order.
pub(crate) async fn turn_away(mut stream: TcpStream, why: TurnAway) -> TurnedAway {
    let mut response = [0u8; 512];
    let written = match why {
        TurnAway::WaitedTooLong => write_no_free_slot(&mut response, RETRY_AFTER_SECS),
        TurnAway::Stopping => write_stopping(&mut response, RETRY_AFTER_SECS),
    };
    let asked = tokio::time::timeout(TURN_AWAY_GRACE, read_head(&mut stream)).await;
    let outcome = match (asked, written) {
        (Ok(Ok(true)), Some(len)) => {
            let answer = stream.write_all(response.get(..len).unwrap_or_default());
            match tokio::time::timeout(TURN_AWAY_GRACE, answer).await {
                Ok(Ok(())) => TurnedAway::Answered,
                _ => TurnedAway::ClosedUnasked,
            }
        }
        _ => TurnedAway::ClosedUnasked,
    };
    linger(stream).await;
    outcome
}

/// Read until a request head has arrived (`true`) or the client closes its
/// side first (`false`).
async fn read_head(stream: &mut TcpStream) -> io::Result<bool> {
    let mut head = HeadEnd::default();
    let mut piece = [0u8; 512];
    let mut total = 0;
    while total < LINGER_READ_LIMIT {
        let read = stream.read(&mut piece).await?;
        if read == 0 {
            return Ok(false);
        }
        total += read;
        if head.feed(piece.get(..read).unwrap_or_default()) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// How long a request under way when the host starts draining may take to
/// arrive whole; after that it is answered `503` and the connection closed,
/// so a slow or stalled client cannot hold shutdown for the read timeout.
pub const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// The status line of an interim (`1xx`) response such as `100 Continue`,
/// which does not answer the request it is sent during.
const INTERIM_STATUS: &[u8] = b"HTTP/1.1 1";

/// A connection that reports end-of-stream at the first gap between
/// requests once the host starts draining, so the HTTP layer closes it
/// cleanly: a response under way is finished, an idle keep-alive is not
/// waited for, and a request still arriving gets [`DRAIN_GRACE`] to
/// arrive before it is answered `503`.
pub(crate) struct DrainingConnection<T> {
    inner: T,
    drain: watch::Receiver<bool>,
    /// Bytes were read since the last final response: a request is under way.
    mid_request: bool,
    /// Bytes of an interim response still to be written.
    interim_left: usize,
    /// When a request under way at the start of draining is cut short.
    cut_off: Option<tokio::time::Instant>,
}

impl<T> DrainingConnection<T> {
    pub(crate) fn new(inner: T, drain: watch::Receiver<bool>) -> Self {
        DrainingConnection {
            inner,
            drain,
            mid_request: false,
            interim_left: 0,
            cut_off: None,
        }
    }

    /// Note that `written` bytes of `buf` went out: unless they belong to an
    /// interim response, the request under way has been answered.
    fn wrote(&mut self, buf: &[u8], written: usize) {
        if self.interim_left == 0 && buf.starts_with(INTERIM_STATUS) {
            // The HTTP layer writes an interim response on its own, whole.
            self.interim_left = buf.len();
        }
        if self.interim_left > 0 {
            self.interim_left = self.interim_left.saturating_sub(written);
        } else {
            self.mid_request = false;
        }
    }
}

impl<T: ErrorType> ErrorType for DrainingConnection<T> {
    type Error = T::Error;
}

impl<T: Read + Write> DrainingConnection<T> {
    /// Read the rest of a request under way; once draining, only until the
    /// grace runs out, then answer `503` and report end-of-stream.
    async fn read_mid_request(&mut self, buf: &mut [u8]) -> Result<usize, T::Error> {
        let drain = &mut self.drain;
        let cut_off = &mut self.cut_off;
        let grace_over = async {
            let _ = drain.wait_for(|draining| *draining).await;
            let deadline =
                *cut_off.get_or_insert_with(|| tokio::time::Instant::now() + DRAIN_GRACE);
            tokio::time::sleep_until(deadline).await;
        };
        let outcome = select(self.inner.read(buf), grace_over).await;
        match outcome {
            Either::First(read) => read,
            Either::Second(()) => {
                let mut response = [0u8; 512];
                if let Some(len) = write_stopping(&mut response, RETRY_AFTER_SECS) {
                    let answer = response.get(..len).unwrap_or_default();
                    self.inner.write_all(answer).await?;
                    self.inner.flush().await?;
                }
                self.mid_request = false;
                Ok(0)
            }
        }
    }
}

impl<T: Read + Write> Read for DrainingConnection<T> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, T::Error> {
        if self.mid_request {
            return self.read_mid_request(buf).await;
        }
        if *self.drain.borrow() {
            return Ok(0);
        }
        // A dropped sender means the host is gone: drain as well.
        let drained = self.drain.wait_for(|draining| *draining);
        match select(self.inner.read(buf), drained).await {
            Either::First(read) => {
                let read = read?;
                self.mid_request = read > 0;
                Ok(read)
            }
            Either::Second(_) => Ok(0),
        }
    }
}

impl<T: Write> Write for DrainingConnection<T> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, T::Error> {
        let written = self.inner.write(buf).await?;
        self.wrote(buf, written);
        Ok(written)
    }

    async fn flush(&mut self) -> Result<(), T::Error> {
        self.inner.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// A connection whose reads hand out `incoming` in one go, then wait
    /// forever, like an idle keep-alive client.
    struct Idle {
        incoming: &'static [u8],
    }

    impl ErrorType for Idle {
        type Error = Infallible;
    }

    impl Read for Idle {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
            if self.incoming.is_empty() {
                std::future::pending::<()>().await;
            }
            let len = self.incoming.len().min(buf.len());
            let (now, later) = self.incoming.split_at(len);
            buf[..len].copy_from_slice(now);
            self.incoming = later;
            Ok(len)
        }
    }

    impl Write for Idle {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
            Ok(buf.len())
        }

        async fn flush(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn an_idle_connection_ends_when_draining_starts() {
        let (drain, watching) = watch::channel(false);
        let mut connection = DrainingConnection::new(Idle { incoming: b"" }, watching);
        let mut buf = [0u8; 8];
        let read = block_on(async {
            let reading = connection.read(&mut buf);
            let draining = async {
                tokio::task::yield_now().await;
                drain.send_replace(true);
                std::future::pending::<Infallible>().await
            };
            match select(reading, draining).await {
                Either::First(read) => read,
                Either::Second(never) => match never {},
            }
        });
        assert_eq!(read, Ok(0));
    }

    #[test]
    fn a_request_being_answered_is_not_cut_short() {
        let (drain, watching) = watch::channel(false);
        let mut connection = DrainingConnection::new(
            Idle {
                incoming: b"GET / HT",
            },
            watching,
        );
        let mut buf = [0u8; 4];
        block_on(async {
            assert_eq!(connection.read(&mut buf).await, Ok(4));
            drain.send_replace(true);
            // Still mid-request: the rest of it is read.
            assert_eq!(connection.read(&mut buf).await, Ok(4));
            assert_eq!(&buf, b"/ HT");
            // Answered: the next gap ends the connection.
            assert_eq!(connection.write(b"HTTP/1.1 200 OK\r\n").await, Ok(17));
            assert_eq!(connection.read(&mut buf).await, Ok(0));
        });
    }
}
