//! One connection: requests read off the stream within the time allowed,
//! responses written back in order.
//!
//! The request buffer holds what has been received and not yet answered:
//! the current request's head and body, then any bytes of the next
//! (pipelined) request. Answered bytes are passed over, not moved out of
//! the way: the unanswered ones are moved to the front of the buffer only
//! when more must be read after them.

use core::net::IpAddr;
use core::ops::Range;

use embassy_futures::select::{select, Either};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};
use urest_core::controller::{ChangeStatus, Status, Ticket};
use urest_core::coord::{wait_deadline, wait_for};
use urest_core::time::{Clock, Instant};

use crate::access::{AccessHeaders, Admitted, Verdict};
use crate::dispatch::{accepted, state_of, Incoming};
use crate::head::{self, Examined, Framing, Length, Method, MAX_HEADERS};
use crate::json::{ChangeBody, Listing, Overflow};
use crate::response::{compose_with, Persistence, Problem, Reply, StateNote, Timeout};
use crate::slots::Slot;
use crate::{Buffers, ConnectionError, Noun, RequestInfo, Server};

/// While a client waits for a change (`Prefer: wait`), how often its
/// status is looked at besides its expected completion: a cancel or a
/// preempt that ends it early is answered within this time.
const WAIT_RECHECK: core::time::Duration = core::time::Duration::from_millis(100);

/// A body too large for the request buffer is read and dropped, so that the
/// connection can carry on, if at most this many of its bytes are still to
/// come; a larger one closes the connection instead.
const MAX_DRAIN: usize = 16 * 1024;

/// The go-ahead for a client that sent `Expect: 100-continue`.
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What one read brought.
enum Received {
    Data(usize),
    Eof,
    TimedOut,
    /// The slot was asked to make way for a waiting client.
    MakeWay,
}

/// Whether the connection carries on after an exchange.
#[derive(Copy, Clone, PartialEq, Eq)]
enum After {
    KeepAlive,
    Close,
}

impl After {
    fn from(persistence: Persistence) -> After {
        match persistence {
            Persistence::Close => After::Close,
            _ => After::KeepAlive,
        }
    }
}

type Served<E> = Result<After, ConnectionError<E>>;

/// A request whose head is in, before its body is read.
struct Started {
    framing: Framing,
    /// When its first byte was seen (or, if it was pipelined, when its turn came).
    since: Instant,
    persistence: Persistence,
    /// Where it starts in the request buffer: its head's spans, and the
    /// counts of its bytes received, are from here.
    at: usize,
}

impl Started {
    /// The request's head in `request_buffer`.
    fn head<'b>(&self, request_buffer: &'b [u8]) -> &'b [u8] {
        let end = self.at.saturating_add(self.framing.head_len);
        request_buffer.get(self.at..end).unwrap_or_default()
    }

    fn head_only(&self) -> bool {
        self.framing.method == Method::Head
    }
}

/// A response composed in the response buffer, ready to send. Replies are
/// turned into this before any await, so that the state and problem objects
/// they carry never have to be kept in the serving future.
enum Prepared<'n> {
    /// The whole response lies in the buffer, at `sent`.
    Whole {
        /// Where the response lies in the buffer.
        sent: Range<usize>,
        /// Where the body lies, for the observer.
        body: Range<usize>,
        status: u16,
        /// The response carries a lock token, to be scrubbed from the
        /// buffer once sent, before the observer sees the body.
        secret: bool,
    },
    /// A listing that does not fit, to be sent piece by piece after its
    /// head, which lies at the start of the buffer (`head_len` bytes).
    Pieces {
        listing: Listing<'n>,
        head_len: usize,
        status: u16,
    },
    /// Not even an error response fits the buffer.
    Unsendable,
}

/// What a complete request gets: a response now, or a wait first.
enum Answer<'n> {
    Ready(Prepared<'n>, Persistence),
    Wait(Waiting<'n>),
}

/// A change the client asked to wait for (`Prefer: wait=N`), to be
/// answered once it has finished or the wait is over. Only this is kept
/// while waiting, never the reply it replaces, so the serving future stays
/// small.
struct Waiting<'n> {
    noun: &'n Noun<'n>,
    ticket: Ticket,
    deadline: Instant,
    head_only: bool,
    persistence: Persistence,
    access: AccessHeaders<'n>,
}

impl<'a, C: Clock> Server<'a, C> {
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
        let mut unanswered = Unanswered::default();
        loop {
            if self
                .exchange(connection, delay, buffers, &mut unanswered, peer, slot)
                .await?
                == After::Close
            {
                return Ok(());
            }
        }
    }

    /// Receive one request and answer it; `unanswered` is kept up to date
    /// as long as the connection may carry on.
    async fn exchange<T: Read + Write, D: DelayNs, S: Slot>(
        &self,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
        unanswered: &mut Unanswered,
        peer: Option<IpAddr>,
        slot: &S,
    ) -> Served<T::Error> {
        // The head's description is written here by the parser's caller,
        // not handed back through each await: it is some hundred bytes,
        // and every hand-over was a copy.
        let mut found = None;
        self.receive_head(connection, delay, buffers, unanswered, slot, &mut found)
            .await?;
        let Some(request) = found.as_mut() else {
            return Ok(After::Close);
        };
        // The rest of a request that has not arrived whole is read after
        // it, with all the room the buffer has. The head's spans count
        // from its start, so they hold wherever it lies.
        if unanswered.start > 0 && unanswered.len() < request.framing.len_with_body() {
            unanswered.move_to_front(buffers.request);
            request.at = 0;
        }
        // The bytes received from the request's start on.
        let mut filled = unanswered.len();
        let filled = &mut filled;
        slot.busy();
        if slot.close_after_answer() {
            // A client waits for this slot: this answer is the last.
            request.persistence = Persistence::Close;
        }
        let head_only = request.head_only();
        let admitted = match self.screen(buffers, request, peer) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                self.transmit(connection, delay, buffers.response, refusal, head_only)
                    .await?;
                return Ok(After::Close);
            }
        };
        let body_len = match self.body_length(request, buffers) {
            Ok(len) => len,
            Err(refusal) => {
                self.transmit(connection, delay, buffers.response, refusal, head_only)
                    .await?;
                return Ok(After::Close);
            }
        };
        let needed = match request.framing.head_len.checked_add(body_len) {
            Some(needed) if needed <= buffers.request.len().saturating_sub(request.at) => needed,
            _ => {
                let after = self
                    .refuse_large_body(connection, delay, buffers, filled, request, body_len)
                    .await?;
                // What follows the refused body lies at the front of the buffer.
                *unanswered = Unanswered {
                    start: 0,
                    end: *filled,
                };
                return Ok(after);
            }
        };
        if *filled < needed && request.framing.expects_continue {
            self.send(connection, delay, CONTINUE, true).await?;
        }
        let deadline = request.since + self.config.read_timeout;
        while *filled < needed {
            let free = buffers
                .request
                .get_mut(request.at.saturating_add(*filled)..)
                .unwrap_or_default();
            match self.receive(connection, delay, free, deadline).await? {
                Received::Data(len) => *filled += len,
                Received::Eof => return Err(ConnectionError::ClosedMidRequest),
                Received::TimedOut | Received::MakeWay => {
                    let refusal = self.refuse_started(buffers, request, self.timed_out());
                    self.transmit(connection, delay, buffers.response, refusal, head_only)
                        .await?;
                    return Ok(After::Close);
                }
            }
        }
        let (prepared, persistence) = match self.answer(buffers, request, needed, admitted) {
            Answer::Ready(prepared, persistence) => (prepared, persistence),
            Answer::Wait(waiting) => {
                self.wait_then_answer(delay, buffers.response, waiting)
                    .await
            }
        };
        self.transmit(connection, delay, buffers.response, prepared, head_only)
            .await?;
        // The next request starts after this one: passed over, not moved.
        *unanswered = Unanswered {
            start: request.at.saturating_add(needed),
            end: request.at.saturating_add(*filled),
        };
        if unanswered.len() == 0 {
            *unanswered = Unanswered::default();
        }
        Ok(After::from(persistence))
    }

    /// How many body bytes follow the head, or the refusal of a request
    /// whose body cannot be framed.
    fn body_length(
        &self,
        request: &Started,
        buffers: &mut Buffers<'_>,
    ) -> Result<usize, Prepared<'a>> {
        let framing = &request.framing;
        let problem = match framing.length {
            Length::Exactly(len) => return Ok(len),
            Length::Absent if framing.method != Method::Put => return Ok(0),
            Length::Absent => problem!(411, "PUT needs a JSON body sent with a Content-Length header"),
            Length::Encoded => problem!(411, "send the body with a Content-Length header; Transfer-Encoding (such as chunked) is not accepted"),
            Length::Invalid => problem!(400, "Content-Length must be a single decimal number of bytes"),
        };
        Err(self.refuse_started(buffers, request, problem))
    }

    /// Apply the access rules to a request whose head is in; a refusal is
    /// answered before the body is read, and closes the connection.
    fn screen(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        peer: Option<IpAddr>,
    ) -> Result<Admitted<'a>, Prepared<'a>> {
        let head = request.head(buffers.request);
        match self.admit(head, request.framing.method, peer) {
            Verdict::Admit(admitted) => Ok(admitted),
            Verdict::Refuse(refused) => {
                self.observe_head(head);
                let reply = Reply::Problem(refused.problem.closing());
                Err(self.prepare_with(
                    &reply,
                    buffers.response,
                    request.head_only(),
                    Persistence::Close,
                    refused.headers,
                ))
            }
        }
    }

    /// Read until a whole request head is in the buffer, and describe it
    /// in `found`. It stays `None` when the connection ended between
    /// requests, or the head was refused (and answered).
    async fn receive_head<T: Read + Write, D: DelayNs, S: Slot>(
        &self,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
        unanswered: &mut Unanswered,
        slot: &S,
        found: &mut Option<Started>,
    ) -> Result<(), ConnectionError<T::Error>> {
        let waiting_since = self.clock.now();
        let mut since = (unanswered.len() > 0).then_some(waiting_since);
        if since.is_some() {
            slot.head_started();
        } else {
            slot.idle();
        }
        loop {
            let since_or_now = since.unwrap_or(waiting_since);
            match self.look_for_head(buffers, unanswered, since_or_now, found) {
                HeadSearch::Found => return Ok(()),
                HeadSearch::Refused(refusal) => {
                    self.transmit(connection, delay, buffers.response, refusal, false)
                        .await?;
                    return Ok(());
                }
                HeadSearch::Incomplete => {}
            }
            let deadline = match since {
                Some(since) => since + self.config.head_allowance(),
                None => waiting_since + self.config.read_timeout,
            };
            // Read with all the room the buffer has.
            unanswered.move_to_front(buffers.request);
            let free = buffers
                .request
                .get_mut(unanswered.end..)
                .unwrap_or_default();
            let received = self.receive_or_make_way(connection, delay, free, deadline, slot);
            match received.await? {
                Received::Data(len) => {
                    if since.is_none() {
                        since = Some(self.clock.now());
                        slot.head_started();
                    }
                    unanswered.end += len;
                }
                Received::Eof if unanswered.len() == 0 => return Ok(()),
                Received::Eof => return Err(ConnectionError::ClosedMidRequest),
                // An idle keep-alive connection is just closed.
                Received::TimedOut | Received::MakeWay if since.is_none() => return Ok(()),
                Received::MakeWay => {
                    let refusal = self.refusal(self.made_way(), buffers.response, false);
                    self.transmit(connection, delay, buffers.response, refusal, false)
                        .await?;
                    return Ok(());
                }
                Received::TimedOut => {
                    let refusal = self.refusal(self.head_timed_out(), buffers.response, false);
                    self.transmit(connection, delay, buffers.response, refusal, false)
                        .await?;
                    return Ok(());
                }
            }
        }
    }

    /// Whether the unanswered bytes of the request buffer hold a whole
    /// head (described in `found`), one that can never be valid, or not
    /// enough yet.
    fn look_for_head(
        &self,
        buffers: &mut Buffers<'_>,
        unanswered: &Unanswered,
        since: Instant,
        found: &mut Option<Started>,
    ) -> HeadSearch<'a> {
        let received = buffers
            .request
            .get(unanswered.start..unanswered.end)
            .unwrap_or_default();
        match head::examine(received) {
            Examined::Complete(framing) => {
                let persistence = match (framing.keep_alive, framing.minor_version) {
                    (false, _) => Persistence::Close,
                    (true, 0) => Persistence::KeepAliveConfirmed,
                    (true, _) => Persistence::KeepAlive,
                };
                *found = Some(Started {
                    framing,
                    since,
                    persistence,
                    at: unanswered.start,
                });
                HeadSearch::Found
            }
            // A head is too long only once it fills the whole buffer.
            Examined::Partial if unanswered.start > 0 || unanswered.end < buffers.request.len() => {
                HeadSearch::Incomplete
            }
            refused => HeadSearch::Refused(self.refuse_head(refused, buffers)),
        }
    }

    /// The answer to a head that can never be valid: one still partial
    /// when it fills the request buffer (`look_for_head` never passes a
    /// complete one), with too many headers, or invalid.
    // Out of line, as are the other refusals: a problem detail is some
    // 300 bytes, and built in the serving loop it took room in the frame
    // and the code of every request (Cortex-M stacks and flash are small).
    #[inline(never)]
    fn refuse_head(&self, examined: Examined, buffers: &mut Buffers<'_>) -> Prepared<'a> {
        let problem = match examined {
            Examined::Complete(_) | Examined::Partial => problem!(
                431,
                "the request head is longer than the ",
                &buffers.request.len(),
                " bytes this server accepts"
            ),
            Examined::TooManyHeaders => {
                problem!(431, "the request has more than ", &MAX_HEADERS, " headers")
            }
            Examined::Invalid(error) => problem!(
                400,
                "the request line or a header is not valid HTTP/1.1: ",
                &error
            ),
        };
        self.refusal(problem, buffers.response, false)
    }

    /// Answer `413` to a request whose body does not fit, draining the body
    /// if that is cheap so the connection can carry on.
    async fn refuse_large_body<T: Read + Write, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        buffers: &mut Buffers<'_>,
        filled: &mut usize,
        request: &Started,
        body_len: usize,
    ) -> Served<T::Error> {
        let head_len = request.framing.head_len;
        let head_only = request.head_only();
        let arrived = filled.saturating_sub(head_len);
        let mut unread = body_len.saturating_sub(arrived);
        // A client waiting for `100 Continue` has not sent the body and
        // will not, once refused; nothing is left to drain, but the client
        // may not know that, so the connection is not trusted further.
        let waiting_for_go_ahead = request.framing.expects_continue && arrived == 0;
        if waiting_for_go_ahead || unread > MAX_DRAIN {
            let refusal =
                self.refuse_started(buffers, request, too_large(buffers, request, body_len));
            self.transmit(connection, delay, buffers.response, refusal, head_only)
                .await?;
            return Ok(After::Close);
        }
        self.observe_head(request.head(buffers.request));
        let room = buffers
            .request
            .len()
            .saturating_sub(request.at.saturating_add(head_len));
        // The request is refused whole: its bytes make room for the rest of
        // its body, and what follows the body is the next request.
        *filled = 0;
        let deadline = request.since + self.config.read_timeout;
        while unread > 0 {
            match self
                .receive(connection, delay, buffers.request, deadline)
                .await?
            {
                Received::Data(len) if len > unread => {
                    *filled = len;
                    consume(buffers.request, filled, unread);
                    unread = 0;
                }
                Received::Data(len) => unread -= len,
                Received::Eof => return Err(ConnectionError::ClosedMidRequest),
                Received::TimedOut | Received::MakeWay => {
                    let refusal = self.refusal(self.timed_out(), buffers.response, head_only);
                    self.transmit(connection, delay, buffers.response, refusal, head_only)
                        .await?;
                    return Ok(After::Close);
                }
            }
        }
        let prepared = self.prepare(
            &Reply::Problem(too_large_for(room, body_len)),
            buffers.response,
            head_only,
            request.persistence,
        );
        self.transmit(connection, delay, buffers.response, prepared, head_only)
            .await?;
        Ok(After::from(request.persistence))
    }

    #[inline(never)]
    fn timed_out(&self) -> Problem {
        problem!(
            408,
            "the request did not arrive whole within ",
            &Timeout(self.config.read_timeout)
        )
    }

    #[inline(never)]
    fn head_timed_out(&self) -> Problem {
        problem!(
            408,
            "the request head did not arrive whole within ",
            &Timeout(self.config.head_allowance())
        )
    }

    #[inline(never)]
    fn made_way(&self) -> Problem {
        problem!(
            408,
            "the request head was still arriving when another client needed this connection slot"
        )
    }

    /// Refuse a request whose head is in, telling the observer of it first.
    #[inline(never)]
    fn refuse_started(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        problem: Problem,
    ) -> Prepared<'a> {
        self.observe_head(request.head(buffers.request));
        self.refusal(problem, buffers.response, request.head_only())
    }

    /// `problem`, closing the connection: what follows on it can no longer be
    /// told apart from the refused request.
    #[inline(never)]
    fn refusal(&self, problem: Problem, response: &mut [u8], head_only: bool) -> Prepared<'a> {
        let reply = Reply::Problem(problem.closing());
        self.prepare(&reply, response, head_only, Persistence::Close)
    }

    /// The response to a request that has arrived whole (the first `needed`
    /// bytes of the request buffer), and whether the connection carries on.
    fn answer(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        needed: usize,
        admitted: Admitted<'a>,
    ) -> Answer<'a> {
        let Buffers {
            request: received,
            scratch,
            response,
        } = buffers;
        let framing = &request.framing;
        let head = request.head(received);
        let body_start = request.at.saturating_add(framing.head_len);
        let body = received
            .get(body_start..request.at.saturating_add(needed))
            .unwrap_or_default();
        self.observe_request(head, body);
        let reply = if admitted.preflight {
            Reply::Preflight
        } else {
            let incoming = Incoming {
                method: framing.method,
                head,
                method_at: framing.method_at,
                target_at: framing.target_at,
                content_type: framing.content_type,
                if_match: framing.if_match,
                if_none_match: framing.if_none_match,
                lock_token: framing.lock_token,
                idempotency_key: framing.idempotency_key,
                body,
            };
            self.dispatch(&incoming, scratch)
        };
        let persistence = if reply.closes() {
            Persistence::Close
        } else {
            request.persistence
        };
        if let Some(waiting) = self.wants_wait(&reply, request, persistence, admitted.headers) {
            return Answer::Wait(waiting);
        }
        let prepared = self.prepare_with(
            &reply,
            response,
            request.head_only(),
            persistence,
            admitted.headers,
        );
        Answer::Ready(prepared, persistence)
    }

    /// The wait a `202` turns into when the client sent `Prefer: wait=N`
    /// (N > 0) and the server allows waits.
    fn wants_wait(
        &self,
        reply: &Reply<'a>,
        request: &Started,
        persistence: Persistence,
        access: AccessHeaders<'a>,
    ) -> Option<Waiting<'a>> {
        let Reply::Accepted { noun, ticket, .. } = reply else {
            return None;
        };
        let seconds = request.framing.prefer_wait.filter(|&seconds| seconds > 0)?;
        if self.config.max_wait.is_zero() {
            return None;
        }
        let asked = core::time::Duration::from_secs(u64::from(seconds));
        Some(Waiting {
            noun,
            ticket: Ticket::from_number(*ticket),
            deadline: wait_deadline(self.clock.now(), asked, self.config.max_wait),
            head_only: request.head_only(),
            persistence,
            access,
        })
    }

    /// Wait for the change, then compose the answer: `200` with the state
    /// and `Preference-Applied: wait` once it is done, `200` with the
    /// change if it ended otherwise (cancelled, superseded), or the usual
    /// `202` if it is still under way when the wait is over.
    async fn wait_then_answer<D: DelayNs>(
        &self,
        delay: &mut D,
        response: &mut [u8],
        waiting: Waiting<'a>,
    ) -> (Prepared<'a>, Persistence) {
        let status = match waiting.noun.resource.changes() {
            Some(changes) => {
                wait_for(
                    changes,
                    waiting.ticket,
                    &self.clock,
                    delay,
                    waiting.deadline,
                    WAIT_RECHECK,
                )
                .await
            }
            None => None,
        };
        let reply = after_wait(waiting.noun, status, self.clock.now());
        let prepared = self.prepare_with(
            &reply,
            response,
            waiting.head_only,
            waiting.persistence,
            waiting.access,
        );
        (prepared, waiting.persistence)
    }

    fn observe_head(&self, head: &[u8]) {
        self.observe_request(head, &[]);
    }

    /// Tell the observer, if there is one, of the request: its head is
    /// parsed again for the headers, only then.
    fn observe_request(&self, head: &[u8], body: &[u8]) {
        let Some(observer) = self.observer else {
            return;
        };
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let Some(parsed) = head::parse_with_headers(head, &mut headers) else {
            return;
        };
        observer.request(&RequestInfo {
            method: parsed.method,
            path: parsed.target,
            version: parsed.minor_version,
            headers: parsed.headers,
            body,
        });
    }

    /// Compose `reply` in `response`. A listing too large for the buffer is
    /// measured for sending in pieces; a reply that does not fit at all
    /// becomes a `500`.
    fn prepare(
        &self,
        reply: &Reply<'a>,
        response: &mut [u8],
        head_only: bool,
        persistence: Persistence,
    ) -> Prepared<'a> {
        self.prepare_with(
            reply,
            response,
            head_only,
            persistence,
            AccessHeaders::default(),
        )
    }

    /// [`prepare`](Self::prepare), with the headers an access decision adds.
    fn prepare_with(
        &self,
        reply: &Reply<'a>,
        response: &mut [u8],
        head_only: bool,
        persistence: Persistence,
        access: AccessHeaders<'a>,
    ) -> Prepared<'a> {
        let composed = compose_with(reply, self.nouns, response, persistence, head_only, access);
        if let Ok(composed) = composed {
            return Prepared::Whole {
                sent: composed.sent,
                body: composed.body,
                status: reply.status(),
                secret: reply.carries_lock_token(),
            };
        }
        if let Some(listing) = reply.listing(self.nouns) {
            // Every piece must fit on its own; their lengths add up to the body's.
            let body_len = listing.pieces().try_fold(0usize, |total, piece| {
                let len = listing.write_piece(piece, response)?;
                Ok::<_, Overflow>(total.saturating_add(len))
            });
            let head = body_len.map(|body_len| reply.head_with(body_len, persistence, access));
            if let Ok(head_len) = head.and_then(|head| head.write(response)) {
                return Prepared::Pieces {
                    listing,
                    head_len,
                    status: reply.status(),
                };
            }
        }
        let fallback = Reply::Problem(problem!(
            500,
            "the response does not fit this connection's ",
            &response.len(),
            "-byte response buffer"
        ));
        match compose_with(
            &fallback,
            self.nouns,
            response,
            persistence,
            head_only,
            access,
        ) {
            Ok(composed) => Prepared::Whole {
                sent: composed.sent,
                body: composed.body,
                status: fallback.status(),
                secret: false,
            },
            Err(Overflow) => Prepared::Unsendable,
        }
    }

    /// Send a prepared response and tell the observer.
    async fn transmit<T: Write, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        response: &mut [u8],
        prepared: Prepared<'a>,
        head_only: bool,
    ) -> Result<(), ConnectionError<T::Error>> {
        match prepared {
            Prepared::Whole {
                sent,
                body,
                status,
                secret,
            } => {
                self.send(
                    connection,
                    delay,
                    response.get(sent.clone()).unwrap_or_default(),
                    true,
                )
                .await?;
                if secret {
                    // Observers log what they see: they never see a token,
                    // and it does not linger in the buffer either.
                    scrub_lock_token(response.get_mut(sent).unwrap_or_default());
                }
                self.observe_response(status, response.get(body).unwrap_or_default());
            }
            Prepared::Pieces {
                listing,
                head_len,
                status,
            } => {
                self.send(
                    connection,
                    delay,
                    response.get(..head_len).unwrap_or_default(),
                    head_only,
                )
                .await?;
                if !head_only {
                    let mut pieces = listing.pieces().peekable();
                    while let Some(piece) = pieces.next() {
                        let len = listing.write_piece(piece, response).unwrap_or(0);
                        let last = pieces.peek().is_none();
                        self.send(
                            connection,
                            delay,
                            response.get(..len).unwrap_or_default(),
                            last,
                        )
                        .await?;
                    }
                }
                self.observe_response(status, &[]);
            }
            Prepared::Unsendable => return Err(ConnectionError::BuffersTooSmall),
        }
        Ok(())
    }

    fn observe_response(&self, status: u16, body: &[u8]) {
        if let Some(observer) = self.observer {
            observer.response(status, body);
        }
    }

    /// One read, unless `deadline` passes or the slot is asked to make way
    /// first.
    async fn receive_or_make_way<T: Read, D: DelayNs, S: Slot>(
        &self,
        connection: &mut T,
        delay: &mut D,
        into: &mut [u8],
        deadline: Instant,
        slot: &S,
    ) -> Result<Received, ConnectionError<T::Error>> {
        let receiving = self.receive(connection, delay, into, deadline);
        match select(receiving, slot.yield_requested()).await {
            Either::First(received) => received,
            Either::Second(()) => Ok(Received::MakeWay),
        }
    }

    /// One read, unless `deadline` passes first.
    async fn receive<T: Read, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        into: &mut [u8],
        deadline: Instant,
    ) -> Result<Received, ConnectionError<T::Error>> {
        // An empty buffer would read as end of stream; callers never pass
        // one, as the request buffer is checked before serving.
        let capacity = into.len();
        if capacity == 0 {
            return Err(ConnectionError::BuffersTooSmall);
        }
        match select(connection.read(into), self.sleep_until(delay, deadline)).await {
            Either::First(Ok(0)) => Ok(Received::Eof),
            // A stream that claims more than it was given is not trusted.
            Either::First(Ok(len)) => Ok(Received::Data(len.min(capacity))),
            Either::First(Err(error)) => Err(ConnectionError::Io(error)),
            Either::Second(()) => Ok(Received::TimedOut),
        }
    }

    /// Write all of `bytes` (and flush, if asked), unless that takes longer
    /// than the read timeout: a peer that stops reading must not hold the
    /// slot for ever.
    async fn send<T: Write, D: DelayNs>(
        &self,
        connection: &mut T,
        delay: &mut D,
        bytes: &[u8],
        flush: bool,
    ) -> Result<(), ConnectionError<T::Error>> {
        let deadline = self.clock.now() + self.config.read_timeout;
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
        match select(transfer, self.sleep_until(delay, deadline)).await {
            Either::First(result) => result,
            Either::Second(()) => Err(ConnectionError::Stalled),
        }
    }

    /// Sleep until the clock reads `deadline`. Delays longer than a `u32` of
    /// microseconds (71 minutes) are slept in parts.
    async fn sleep_until<D: DelayNs>(&self, delay: &mut D, deadline: Instant) {
        loop {
            let now = self.clock.now();
            if now >= deadline {
                return;
            }
            // In 64 bits: `Duration::as_micros` is a `u128`.
            let wait = deadline.as_micros().saturating_sub(now.as_micros());
            delay
                .delay_us(u32::try_from(wait).unwrap_or(u32::MAX))
                .await;
        }
    }
}

/// What the bytes received so far hold.
enum HeadSearch<'n> {
    /// Described where the caller asked.
    Found,
    Refused(Prepared<'n>),
    Incomplete,
}

/// The `413` for a body of `body_len` bytes after a head of `head_len`.
/// The reply to a change waited for, from where it stands at the end of
/// the wait (`None`: the noun no longer remembers it, so it finished long
/// ago).
#[inline(never)]
fn after_wait<'n>(noun: &'n Noun<'n>, change: Option<ChangeStatus>, now: Instant) -> Reply<'n> {
    let description = noun.resource.describe();
    match change {
        Some(change) if !change.status.is_finished() => accepted(
            noun,
            &description,
            change.ticket,
            change.position,
            change.eta(now),
            now,
        ),
        Some(change) if change.status != Status::Done => {
            Reply::Change(ChangeBody::of(&change, now))
        }
        _ => state_of(noun.resource, &description, now, StateNote::Waited),
    }
}

/// Overwrite with `*` the lock token that follows each `Lock-Token: `
/// header and `"token":"` key in `sent`.
fn scrub_lock_token(sent: &mut [u8]) {
    for marker in [&b"Lock-Token: "[..], br#""token":""#] {
        let mut from = 0;
        while let Some(found) = sent.get(from..).and_then(|rest| {
            rest.windows(marker.len())
                .position(|window| window == marker)
        }) {
            let start = from + found + marker.len();
            let token = sent.get_mut(start..).unwrap_or_default();
            let len = token
                .iter()
                .take_while(|byte| byte.is_ascii_hexdigit())
                .count();
            token.iter_mut().take(len).for_each(|byte| *byte = b'*');
            from = start + len;
        }
    }
}

fn too_large(buffers: &Buffers<'_>, request: &Started, body_len: usize) -> Problem {
    let head_end = request.at.saturating_add(request.framing.head_len);
    too_large_for(buffers.request.len().saturating_sub(head_end), body_len)
}

#[inline(never)]
fn too_large_for(room: usize, body_len: usize) -> Problem {
    problem!(
        413,
        "the body of ",
        &body_len,
        " bytes is larger than the ",
        &room,
        " bytes this server can take after this request's head"
    )
}

/// Where the bytes that have arrived and are not answered lie in the
/// request buffer.
#[derive(Default)]
struct Unanswered {
    start: usize,
    end: usize,
}

impl Unanswered {
    fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Move the bytes to the front of `buffer`, to make room after them.
    fn move_to_front(&mut self, buffer: &mut [u8]) {
        if self.start == 0 {
            return;
        }
        let len = self.len();
        if buffer.get(self.start..self.end).is_some() {
            buffer.copy_within(self.start..self.end, 0);
            *self = Unanswered { start: 0, end: len };
        } else {
            *self = Unanswered::default();
        }
    }
}

/// Drop the first `used` of the `filled` bytes at the start of `buffer`,
/// moving the rest to the front.
fn consume(buffer: &mut [u8], filled: &mut usize, used: usize) {
    if let Some(received) = buffer.get_mut(..*filled) {
        if let Some(rest) = received.get(used..).map(|rest| rest.len()) {
            received.copy_within(used.., 0);
            *filled = rest;
            return;
        }
    }
    *filled = 0;
}
