//! One connection: requests read off the stream within the time allowed,
//! responses written back in order.
//!
//! This is the only part generic over the connection, the delay and the
//! slot: a loop that performs the reads, writes and pauses the state
//! machine in [`exchange`] asks for, each raced with its deadline. Every
//! decision is made there, once per clock type; here each kind of wait is
//! written once, so the serving future has three awaits and stays small.

use core::convert::Infallible;
use core::future::{poll_fn, Future};
use core::net::IpAddr;
use core::task::Poll;

use embassy_futures::select::{select3, Either3};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};
use urest_core::time::{Clock, Instant};

use crate::slots::Slot;
use crate::{Buffers, ConnectionError, Server};

mod exchange;

use exchange::{Done, Exchange, Io, Outgoing, Received};

/// The go-ahead for a client that sent `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

impl<C: Clock> Server<'_, C> {
    pub(crate) async fn serve_connection<T: Read + Write, D: DelayNs, S: Slot>(
        &self,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
        peer: Option<IpAddr>,
        slot: &S,
    ) -> Result<(), ConnectionError<T::Error>> {
        if buffers.request.is_empty() || buffers.response.len() < Buffers::MIN_RESPONSE {
            return Err(ConnectionError::BuffersTooSmall);
        }
        let mut exchange = Exchange::new(peer);
        let mut done = Done::Nothing;
        loop {
            done = match self.advance(&mut exchange, buffers, slot, done) {
                Io::Read {
                    from,
                    deadline,
                    make_way,
                } => {
                    let into = buffers.request.get_mut(from..).unwrap_or_default();
                    let slot = make_way.then_some(slot);
                    Done::Received(
                        self.receive(connection, delay, into, deadline, slot)
                            .await?,
                    )
                }
                Io::Write { what, flush } => {
                    let bytes = match what {
                        Outgoing::Response(range) => {
                            buffers.response.get(range).unwrap_or_default()
                        }
                        Outgoing::GoAhead => CONTINUE,
                    };
                    self.send(connection, delay, bytes, flush).await?;
                    Done::Sent
                }
                Io::Pause(micros) => {
                    delay.delay_us(micros).await;
                    Done::Paused
                }
                Io::End(ended) => return ended.map_err(widen),
            };
        }
    }

    /// One read, unless `deadline` passes or, given a slot, the slot is
    /// asked to make way first.
    async fn receive<T: Read, D: DelayNs, S: Slot>(
        &self,
        connection: &mut T,
        delay: &mut D,
        into: &mut [u8],
        deadline: Instant,
        slot: Option<&S>,
    ) -> Result<Received, ConnectionError<T::Error>> {
        let capacity = into.len();
        let making_way = async {
            match slot {
                Some(slot) => slot.yield_requested().await,
                None => core::future::pending().await,
            }
        };
        let timeout = self.sleep_until(delay, deadline);
        match select3(connection.read(into), timeout, making_way).await {
            Either3::First(Ok(0)) => Ok(Received::Eof),
            // A stream that claims more than it was given is not trusted.
            Either3::First(Ok(len)) => Ok(Received::Data(len.min(capacity))),
            Either3::First(Err(error)) => Err(ConnectionError::Io(error)),
            Either3::Second(()) => Ok(Received::TimedOut),
            Either3::Third(()) => Ok(Received::MakeWay),
        }
    }

    /// Write all of `bytes` (and flush, if asked), unless that takes longer
    /// than the read timeout.
    async fn send<T: Write, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        bytes: &[u8],
        flush: bool,
    ) -> Result<(), ConnectionError<T::Error>> {
        let transfer = async {
            let mut rest = bytes;
            while !rest.is_empty() {
                let written = connection.write(rest).await.map_err(ConnectionError::Io)?;
                if written == 0 {
                    return Err(ConnectionError::WriteZero);
                }
                rest = rest.get(written..).unwrap_or_default();
            }
            if flush {
                connection.flush().await.map_err(ConnectionError::Io)?;
            }
            Ok(())
        };
        // Most writes complete at once, into the transport's buffer: a
        // deadline is worked out and raced only for a write that has to wait.
        let mut transfer = core::pin::pin!(transfer);
        if let Poll::Ready(result) =
            poll_fn(|context| Poll::Ready(transfer.as_mut().poll(context))).await
        {
            return result;
        }
        let deadline = self.write_deadline();
        match embassy_futures::select::select(transfer, self.sleep_until(delay, deadline)).await {
            embassy_futures::select::Either::First(result) => result,
            embassy_futures::select::Either::Second(()) => Err(ConnectionError::Stalled),
        }
    }

    /// Sleep until the clock reads `deadline`. Delays longer than a `u32` of
    /// microseconds (71 minutes) are slept in parts.
    async fn sleep_until<D: DelayNs>(&self, delay: &mut D, deadline: Instant) {
        while let Some(micros) = self.micros_until(deadline) {
            delay.delay_us(micros).await;
        }
    }

    /// How long to sleep before the clock reads `deadline`, if it does not
    /// yet. Out of line: the sleeps that race reads and writes share it.
    #[inline(never)]
    fn micros_until(&self, deadline: Instant) -> Option<u32> {
        let now = self.clock.now();
        if now >= deadline {
            return None;
        }
        // In 64 bits: `Duration::as_micros` is a `u128`.
        let wait = deadline.as_micros().saturating_sub(now.as_micros());
        Some(u32::try_from(wait).unwrap_or(u32::MAX))
    }
}

/// The machine's own failures, as failures of a connection whose stream
/// has errors of type `E` (the machine never touches the stream).
fn widen<E>(error: ConnectionError<Infallible>) -> ConnectionError<E> {
    match error {
        ConnectionError::Io(never) => match never {},
        ConnectionError::WriteZero => ConnectionError::WriteZero,
        ConnectionError::Stalled => ConnectionError::Stalled,
        ConnectionError::ClosedMidRequest => ConnectionError::ClosedMidRequest,
        ConnectionError::BuffersTooSmall => ConnectionError::BuffersTooSmall,
    }
}
