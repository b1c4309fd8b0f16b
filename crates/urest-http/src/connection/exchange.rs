//! The decisions of one connection, as a state machine with no awaits:
//! what to read or write next, whether to read more, when to close, the
//! go-ahead for `Expect: 100-continue`, the `408`, `413` and `431`
//! refusals, and waiting for a change (`Prefer: wait`).
//!
//! [`Server::advance`] is told what the last read, write or pause did and
//! answers with the next one ([`Io`]). The async driver in the parent
//! module only performs them, each raced with its deadline: it is generic
//! over the connection and the delay, so it is compiled once per pair,
//! while this is compiled once per clock and tested without sockets.
//!
//! The request buffer holds what has been received and not yet answered:
//! the current request's head and body, then any bytes of the next
//! (pipelined) request. Answered bytes are passed over, not moved out of
//! the way: the unanswered ones are moved to the front of the buffer only
//! when more must be read after them.

use core::convert::Infallible;
use core::net::IpAddr;
use core::ops::Range;

use urest_core::controller::{ChangeStatus, Status, Ticket};
use urest_core::coord::{wait_deadline, wait_step, WaitStep};
use urest_core::time::{Clock, Instant};

use crate::access::{Access, AccessHeaders, Admitted, Refused, Verdict};
use crate::dispatch::{state_of, Incoming};
use crate::head::{self, Examined, Framing, Length, Method, MAX_HEADERS};
use crate::json::{ChangeBody, Listing, Overflow, Piece};
use crate::response::{compose_with, Persistence, Piece as _, Problem, Reply, StateNote, Timeout};
use crate::slots::Slot;
use crate::{Buffers, ConnectionError, Noun, Observer, RequestInfo, Server};

/// While a client waits for a change (`Prefer: wait`), how often its
/// status is looked at besides its expected completion: a cancel or a
/// preempt that ends it early is answered within this time.
const WAIT_RECHECK: core::time::Duration = core::time::Duration::from_millis(100);

/// A body too large for the request buffer is read and dropped, so that the
/// connection can carry on, if at most this many of its bytes are still to
/// come; a larger one closes the connection instead.
const MAX_DRAIN: usize = 16 * 1024;

/// What the machine asks the driver to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Io {
    /// Read into the request buffer from `from` on, unless `deadline`
    /// passes first or, if `make_way`, the slot is asked to make way.
    Read {
        from: usize,
        deadline: Instant,
        make_way: bool,
    },
    /// Write all of `what` (and flush, if asked), unless that takes longer
    /// than the read timeout: a peer that stops reading must not hold the
    /// slot for ever. The deadline is the driver's to work out
    /// ([`Server::write_deadline`]), and only for a write that has to wait:
    /// most complete at once.
    Write { what: Outgoing, flush: bool },
    /// Sleep this many microseconds, then ask again (a change waited for).
    Pause(u32),
    /// The connection is over: in an orderly way, or not.
    End(Result<(), ConnectionError<Infallible>>),
}

/// What a write sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// These bytes of the response buffer.
    Response(Range<usize>),
    /// `100 Continue`, the go-ahead for a client that sent
    /// `Expect: 100-continue`.
    GoAhead,
}

/// What the driver did last.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Done {
    /// Nothing yet: the connection has just been accepted.
    Nothing,
    Received(Received),
    /// A write finished (all of it, flushed if asked).
    Sent,
    Paused,
}

/// What one read brought.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Received {
    Data(usize),
    Eof,
    TimedOut,
    /// The slot was asked to make way for a waiting client.
    MakeWay,
}

/// What the machine tells the connection slot, and asks it: the part of
/// [`Slot`] that does not wait, so that the machine is not generic over it.
pub(crate) trait SlotReport {
    fn idle(&self);
    fn head_started(&self);
    fn busy(&self);
    fn close_after_answer(&self) -> bool;
}

impl<S: Slot> SlotReport for S {
    fn idle(&self) {
        Slot::idle(self);
    }
    fn head_started(&self) {
        Slot::head_started(self);
    }
    fn busy(&self) {
        Slot::busy(self);
    }
    fn close_after_answer(&self) -> bool {
        Slot::close_after_answer(self)
    }
}

/// One connection's progress: all it keeps between reads and writes.
pub(crate) struct Exchange<'a> {
    peer: Option<IpAddr>,
    unanswered: Unanswered,
    phase: Phase<'a>,
}

impl Exchange<'_> {
    /// A connection just accepted from `peer`.
    pub(crate) fn new(peer: Option<IpAddr>) -> Self {
        Exchange {
            peer,
            unanswered: Unanswered::default(),
            phase: Phase::Between,
        }
    }
}

enum Phase<'a> {
    /// Between requests, before waiting for the next.
    Between,
    /// Reading a request head: waiting since `waiting_since`, and its
    /// first bytes seen at `since`, if they have been.
    Head {
        waiting_since: Instant,
        since: Option<Instant>,
    },
    /// Reading the body of an admitted request until `filled` (counted
    /// from the request's start) reaches `needed`; first sending the
    /// go-ahead, if `go_ahead`.
    Body {
        request: Started,
        admitted: Admitted<'a>,
        filled: usize,
        needed: usize,
        go_ahead: bool,
    },
    /// Reading and dropping the `unread` bytes of a body too large for the
    /// `room` the buffer has, before answering `413`; what follows it
    /// fills the front of the buffer, up to `filled`.
    Drain {
        request: Started,
        unread: usize,
        filled: usize,
        room: usize,
        body_len: usize,
    },
    /// Waiting for a change before answering.
    Wait(Waiting<'a>),
    /// Sending a response, then carrying on or not.
    Send(Sending<'a>),
}

/// A response being sent.
struct Sending<'a> {
    prepared: Prepared<'a>,
    head_only: bool,
    /// Whether the first write has been asked for.
    begun: bool,
    /// The next piece of a listing sent in pieces.
    next: Option<Piece>,
    then: After,
}

impl<'a> Phase<'a> {
    /// Become sending `refusal`, then closing: what follows on the
    /// connection can no longer be told apart from the refused request.
    // Inline: a name for the call, which left to the compiler cost the
    // common path three instructions on the host.
    #[inline(always)]
    fn start_refusing(&mut self, refusal: Prepared<'a>, head_only: bool) {
        self.start_sending(refusal, head_only, After::Close);
    }

    /// Become sending `prepared`, then going on as `then` says, in place
    /// (a phase is moved by a call to `memcpy`). Out of line:
    /// the machine starts a response in half a dozen places, each a copy
    /// of the making of the phase.
    #[inline(never)]
    fn start_sending(&mut self, prepared: Prepared<'a>, head_only: bool, then: After) {
        *self = Phase::Send(Sending {
            prepared,
            head_only,
            begun: false,
            next: None,
            then,
        });
    }
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

/// A request whose head is in, before its body is read.
#[derive(Clone)]
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
/// turned into this as soon as they are made, so that the state and
/// problem objects they carry are never kept between reads and writes.
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

/// Where reading a head has got to.
enum HeadStep<'n> {
    /// Still reading: the next read, or the end of the connection.
    Next(Io),
    Found(Started),
    /// A head that can never be valid, or one that did not arrive in time.
    Refused(Prepared<'n>),
    /// Not enough of a head yet: only [`Server::look_for_head`] says this,
    /// and the head phase then reads more.
    Incomplete,
}

impl<'a, C: Clock> Server<'a, C> {
    /// Take in what the driver did last (`done`) and say what it should
    /// do next.
    // Out of line: it is the same for every connection and delay type,
    // and only the driver's loop is compiled for each.
    #[inline(never)]
    pub(crate) fn advance(
        &self,
        exchange: &mut Exchange<'a>,
        buffers: &mut Buffers<'_>,
        slot: &dyn SlotReport,
        done: Done,
    ) -> Io {
        let Exchange {
            peer,
            unanswered,
            phase,
        } = exchange;
        let mut done = done;
        loop {
            // Each outcome is for the phase that asked for it; a phase
            // entered without a read or write starts with nothing.
            let outcome = core::mem::replace(&mut done, Done::Nothing);
            let received = match outcome {
                Done::Received(received) => Some(received),
                _ => None,
            };
            // Each new phase is written where it is kept, not built aside
            // and moved there: a phase is some 180 bytes, and a move of
            // one is a call to `memcpy`.
            match phase {
                Phase::Between => {
                    let now = self.clock.now();
                    let since = (unanswered.len() > 0).then_some(now);
                    if since.is_some() {
                        slot.head_started();
                    } else {
                        slot.idle();
                    }
                    *phase = Phase::Head {
                        waiting_since: now,
                        since,
                    };
                }
                Phase::Head {
                    waiting_since,
                    since,
                } => {
                    match self.head_step(buffers, unanswered, *waiting_since, since, slot, received)
                    {
                        HeadStep::Next(io) => return io,
                        HeadStep::Found(ref mut request) => {
                            self.begin(buffers, unanswered, request, *peer, slot, phase);
                        }
                        HeadStep::Refused(refusal) => phase.start_refusing(refusal, false),
                        // Never from `head_step`, which reads more instead.
                        HeadStep::Incomplete => {}
                    }
                }
                Phase::Body {
                    request,
                    admitted,
                    filled,
                    needed,
                    go_ahead,
                } => {
                    let head_only = request.head_only();
                    match received {
                        Some(Received::Data(len)) => *filled += len,
                        Some(Received::Eof) => {
                            return Io::End(Err(ConnectionError::ClosedMidRequest))
                        }
                        Some(Received::TimedOut | Received::MakeWay) => {
                            let refusal = self.body_timed_out(buffers, request, true);
                            phase.start_refusing(refusal, head_only);
                            continue;
                        }
                        None => {}
                    }
                    if *go_ahead {
                        *go_ahead = false;
                        return self.write(Outgoing::GoAhead, true);
                    }
                    if *filled < *needed {
                        return Io::Read {
                            from: request.at.saturating_add(*filled),
                            deadline: later(request.since, self.config.read_timeout),
                            make_way: false,
                        };
                    }
                    let answer = self.answer(buffers, request, *needed, *admitted);
                    // The next request starts after this one: passed over,
                    // not moved.
                    *unanswered = Unanswered {
                        start: request.at.saturating_add(*needed),
                        end: request.at.saturating_add(*filled),
                    };
                    if unanswered.len() == 0 {
                        *unanswered = Unanswered::default();
                    }
                    match answer {
                        Answer::Ready(prepared, persistence) => {
                            phase.start_sending(prepared, head_only, After::from(persistence));
                        }
                        Answer::Wait(waiting) => *phase = Phase::Wait(waiting),
                    }
                }
                Phase::Drain {
                    request,
                    unread,
                    filled,
                    room,
                    body_len,
                } => {
                    let head_only = request.head_only();
                    match received {
                        Some(Received::Data(len)) if len > *unread => {
                            *filled = len;
                            consume(buffers.request, filled, *unread);
                            *unread = 0;
                        }
                        Some(Received::Data(len)) => *unread -= len,
                        Some(Received::Eof) => {
                            return Io::End(Err(ConnectionError::ClosedMidRequest))
                        }
                        Some(Received::TimedOut | Received::MakeWay) => {
                            // Its head was shown to the observer before the drain.
                            let refusal = self.body_timed_out(buffers, request, false);
                            phase.start_refusing(refusal, head_only);
                            continue;
                        }
                        None => {}
                    }
                    if *unread > 0 {
                        return Io::Read {
                            from: 0,
                            deadline: later(request.since, self.config.read_timeout),
                            make_way: false,
                        };
                    }
                    // What follows the refused body lies at the front of the buffer.
                    *unanswered = Unanswered {
                        start: 0,
                        end: *filled,
                    };
                    let prepared = self.drained(
                        buffers.response,
                        *room,
                        *body_len,
                        head_only,
                        request.persistence,
                    );
                    let then = After::from(request.persistence);
                    phase.start_sending(prepared, head_only, then);
                }
                Phase::Wait(waiting) => {
                    let head_only = waiting.head_only;
                    let then = After::from(waiting.persistence);
                    match self.wait_step(buffers.response, waiting) {
                        Ok(prepared) => phase.start_sending(prepared, head_only, then),
                        Err(micros) => return Io::Pause(micros),
                    }
                }
                Phase::Send(sending) => match self.send_step(buffers.response, sending) {
                    Some(io) => return io,
                    None if sending.then == After::Close => return Io::End(Ok(())),
                    None => *phase = Phase::Between,
                },
            }
        }
    }

    /// The head phase: take in what the last read brought, then look for a
    /// whole head.
    fn head_step(
        &self,
        buffers: &mut Buffers<'_>,
        unanswered: &mut Unanswered,
        waiting_since: Instant,
        since: &mut Option<Instant>,
        slot: &dyn SlotReport,
        received: Option<Received>,
    ) -> HeadStep<'a> {
        match received {
            Some(Received::Data(len)) => {
                if since.is_none() {
                    *since = Some(self.clock.now());
                    slot.head_started();
                }
                unanswered.end += len;
            }
            Some(Received::Eof) if unanswered.len() == 0 => return HeadStep::Next(Io::End(Ok(()))),
            Some(Received::Eof) => {
                return HeadStep::Next(Io::End(Err(ConnectionError::ClosedMidRequest)))
            }
            // An idle keep-alive connection is just closed.
            Some(Received::TimedOut | Received::MakeWay) if since.is_none() => {
                return HeadStep::Next(Io::End(Ok(())))
            }
            Some(Received::MakeWay) => {
                return HeadStep::Refused(self.head_cut_short(buffers.response, true));
            }
            Some(Received::TimedOut) => {
                return HeadStep::Refused(self.head_cut_short(buffers.response, false));
            }
            None => {}
        }
        let since_or_now = since.unwrap_or(waiting_since);
        match self.look_for_head(buffers, unanswered, since_or_now) {
            HeadStep::Incomplete => {}
            found_or_refused => return found_or_refused,
        }
        let deadline = match *since {
            Some(since) => later(since, self.config.head_allowance()),
            None => later(waiting_since, self.config.read_timeout),
        };
        // Read with all the room the buffer has.
        unanswered.move_to_front(buffers.request);
        if unanswered.end >= buffers.request.len() {
            // An empty buffer would read as end of stream.
            return HeadStep::Next(Io::End(Err(ConnectionError::BuffersTooSmall)));
        }
        HeadStep::Next(Io::Read {
            from: unanswered.end,
            deadline,
            make_way: true,
        })
    }

    /// A request whose head is in: screened, framed, and then its body
    /// read, drained or refused, the phase for that written in `phase`
    /// (not returned: a phase is moved by a call to `memcpy`).
    #[inline]
    fn begin(
        &self,
        buffers: &mut Buffers<'_>,
        unanswered: &mut Unanswered,
        request: &mut Started,
        peer: Option<IpAddr>,
        slot: &dyn SlotReport,
        phase: &mut Phase<'a>,
    ) {
        // The rest of a request that has not arrived whole is read after
        // it, with all the room the buffer has. The head's spans count
        // from its start, so they hold wherever it lies.
        if unanswered.start > 0 && unanswered.len() < request.framing.len_with_body() {
            unanswered.move_to_front(buffers.request);
            request.at = 0;
        }
        // The bytes received from the request's start on.
        let filled = unanswered.len();
        slot.busy();
        if slot.close_after_answer() {
            // A client waits for this slot: this answer is the last.
            request.persistence = Persistence::Close;
        }
        let head_only = request.head_only();
        let admitted = match self.screen(buffers, request, peer) {
            Ok(admitted) => admitted,
            Err(refusal) => {
                phase.start_refusing(refusal, head_only);
                return;
            }
        };
        let body_len = match self.body_length(request, buffers) {
            Ok(len) => len,
            Err(refusal) => {
                phase.start_refusing(refusal, head_only);
                return;
            }
        };
        let room = buffers.request.len().saturating_sub(request.at);
        match request.framing.head_len.checked_add(body_len) {
            Some(needed) if needed <= room => {
                *phase = Phase::Body {
                    go_ahead: filled < needed && request.framing.expects_continue,
                    request: request.clone(),
                    admitted,
                    filled,
                    needed,
                };
            }
            _ => self.refuse_large_body(buffers, filled, request, body_len, phase),
        }
    }

    /// How many body bytes follow the head, or the refusal of a request
    /// whose body cannot be framed.
    fn body_length(
        &self,
        request: &Started,
        buffers: &mut Buffers<'_>,
    ) -> Result<usize, Prepared<'a>> {
        let framing = &request.framing;
        match framing.length {
            Length::Exactly(len) => Ok(len),
            Length::Absent if framing.method != Method::Put => Ok(0),
            _ => Err(self.refuse_unframed(buffers, request)),
        }
    }

    /// The refusal of a request whose body cannot be framed.
    #[inline(never)]
    fn refuse_unframed(&self, buffers: &mut Buffers<'_>, request: &Started) -> Prepared<'a> {
        let problem = match request.framing.length {
            Length::Encoded => problem!(411, "send the body with a Content-Length header; Transfer-Encoding (such as chunked) is not accepted"),
            Length::Invalid => problem!(400, "Content-Length must be a single decimal number of bytes"),
            _ => problem!(411, "PUT needs a JSON body sent with a Content-Length header"),
        };
        self.refuse_started(buffers, request, problem)
    }

    /// The `413` for a body drained because it did not fit the `room` after
    /// its head; the connection carries on as the request asked.
    #[inline(never)]
    fn drained(
        &self,
        response: &mut [u8],
        room: usize,
        body_len: usize,
        head_only: bool,
        persistence: Persistence,
    ) -> Prepared<'a> {
        let reply = Reply::Problem(too_large_for(room, body_len));
        self.prepare(&reply, response, head_only, persistence)
    }

    /// Apply the access rules to a request whose head is in; a refusal is
    /// answered before the body is read, and closes the connection. Without
    /// rules every request is admitted at once, with no call: the rules
    /// read the head again into a kilobyte of header slots, which only a
    /// call of their own keeps off every request's stack.
    #[inline]
    fn screen(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        peer: Option<IpAddr>,
    ) -> Result<Admitted<'a>, Prepared<'a>> {
        match self.access_rules() {
            None => Ok(Admitted::default()),
            Some(access) => self.screen_by_rules(access, buffers, request, peer),
        }
    }

    /// [`screen`](Self::screen) a request by `access`, the server's rules.
    #[inline(never)]
    fn screen_by_rules(
        &self,
        access: &'a Access<'a>,
        buffers: &mut Buffers<'_>,
        request: &Started,
        peer: Option<IpAddr>,
    ) -> Result<Admitted<'a>, Prepared<'a>> {
        let head = request.head(buffers.request);
        match self.admit(access, head, request.framing.method, peer) {
            Verdict::Admit(admitted) => Ok(admitted),
            Verdict::Refuse(refused) => Err(self.refuse_screened(buffers, request, refused)),
        }
    }

    /// The answer to a request the access rules refuse, closing.
    #[inline(never)]
    fn refuse_screened(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        refused: Refused<'a>,
    ) -> Prepared<'a> {
        self.observe_head(request.head(buffers.request));
        let reply = Reply::Problem(refused.problem.closing());
        self.prepare_with(
            &reply,
            buffers.response,
            request.head_only(),
            Persistence::Close,
            refused.headers,
        )
    }

    /// Whether the unanswered bytes of the request buffer hold a whole
    /// head ([`HeadStep::Found`]), one that can never be valid
    /// ([`HeadStep::Refused`]), or not enough yet. In the terms
    /// of the head phase, so that a head found is built where the phase
    /// takes it, not moved there.
    #[inline(never)]
    fn look_for_head(
        &self,
        buffers: &mut Buffers<'_>,
        unanswered: &Unanswered,
        since: Instant,
    ) -> HeadStep<'a> {
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
                HeadStep::Found(Started {
                    framing,
                    since,
                    persistence,
                    at: unanswered.start,
                })
            }
            // A head is too long only once it fills the whole buffer.
            Examined::Partial if unanswered.start > 0 || unanswered.end < buffers.request.len() => {
                HeadStep::Incomplete
            }
            refused => HeadStep::Refused(self.refuse_head(refused, buffers)),
        }
    }

    /// The answer to a head that can never be valid: one still partial
    /// when it fills the request buffer (`look_for_head` never passes a
    /// complete one), with too many headers, or invalid.
    // Out of line, as are the other refusals: a problem detail is some
    // 300 bytes, and built in the common path it took room in the frame
    // and the code of every request (Cortex-M stacks and flash are small).
    #[inline(never)]
    fn refuse_head(&self, examined: Examined, buffers: &mut Buffers<'_>) -> Prepared<'a> {
        // One problem, its status and pieces chosen by what was wrong: one
        // built in each arm was a copy of the building, and of the move.
        let (status, opening) = match examined {
            Examined::Invalid(_) => (400, "the request line or a header is not valid HTTP/1.1: "),
            Examined::TooManyHeaders => (431, "the request has more than "),
            _ => (431, "the request head is longer than the "),
        };
        let mut problem = Problem::saying(status, opening);
        let detail = &mut problem.detail;
        match examined {
            Examined::Invalid(error) => error.add_to(detail),
            Examined::TooManyHeaders => {
                MAX_HEADERS.add_to(detail);
                " headers".add_to(detail);
            }
            _ => {
                buffers.request.len().add_to(detail);
                " bytes this server accepts".add_to(detail);
            }
        }
        self.refusal(problem, buffers.response, false)
    }

    /// Answer `413` to a request whose body does not fit: at once, closing,
    /// or after draining the body if that is cheap, so the connection can
    /// carry on.
    #[inline(never)]
    fn refuse_large_body(
        &self,
        buffers: &mut Buffers<'_>,
        filled: usize,
        request: &Started,
        body_len: usize,
        phase: &mut Phase<'a>,
    ) {
        let head_len = request.framing.head_len;
        let head_only = request.head_only();
        let arrived = filled.saturating_sub(head_len);
        let unread = body_len.saturating_sub(arrived);
        // A client waiting for `100 Continue` has not sent the body and
        // will not, once refused; nothing is left to drain, but the client
        // may not know that, so the connection is not trusted further.
        let waiting_for_go_ahead = request.framing.expects_continue && arrived == 0;
        if waiting_for_go_ahead || unread > MAX_DRAIN {
            let refusal =
                self.refuse_started(buffers, request, too_large(buffers, request, body_len));
            phase.start_refusing(refusal, head_only);
            return;
        }
        self.observe_head(request.head(buffers.request));
        let room = buffers
            .request
            .len()
            .saturating_sub(request.at.saturating_add(head_len));
        // The request is refused whole: its bytes make room for the rest of
        // its body, and what follows the body is the next request.
        *phase = Phase::Drain {
            request: request.clone(),
            unread,
            filled: 0,
            room,
            body_len,
        };
    }

    /// The `408` for a request whose head is in and whose body did not
    /// arrive in time, telling the observer of its head first if `observe`.
    // Out of line, as are the other refusals, and returning only where the
    // response lies: a problem is some 300 bytes, and one built in the
    // machine's own frame would deepen every request's stack.
    #[inline(never)]
    fn body_timed_out(
        &self,
        buffers: &mut Buffers<'_>,
        request: &Started,
        observe: bool,
    ) -> Prepared<'a> {
        if observe {
            self.observe_head(request.head(buffers.request));
        }
        let problem = problem!(
            408,
            "the request did not arrive whole within ",
            &Timeout(self.config.read_timeout)
        );
        self.refusal(problem, buffers.response, request.head_only())
    }

    /// The `408` for a head still arriving when its time ran out, or when
    /// the slot was asked to make way (`made_way`).
    #[inline(never)]
    fn head_cut_short(&self, response: &mut [u8], made_way: bool) -> Prepared<'a> {
        let problem = if made_way {
            problem!(
                408,
                "the request head was still arriving when another client needed this connection slot"
            )
        } else {
            problem!(
                408,
                "the request head did not arrive whole within ",
                &Timeout(self.config.head_allowance())
            )
        };
        self.refusal(problem, response, false)
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
    #[inline(never)]
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
                framing,
                head,
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

    /// Look at the change waited for: `Err` with how long to sleep if it
    /// is still under way and the wait is not over; otherwise the answer
    /// to send: `200` with the state and `Preference-Applied: wait` once
    /// it is done, `200` with the change if it ended otherwise (cancelled,
    /// superseded), or the usual `202` if it is still under way when the
    /// wait is over.
    #[inline(never)]
    fn wait_step(&self, response: &mut [u8], waiting: &Waiting<'a>) -> Result<Prepared<'a>, u32> {
        let status = match waiting.noun.resource.changes() {
            Some(changes) => match wait_step(
                changes,
                waiting.ticket,
                self.clock.now(),
                waiting.deadline,
                WAIT_RECHECK,
            ) {
                WaitStep::Over(status) => status,
                WaitStep::Sleep { micros } => return Err(micros),
            },
            None => None,
        };
        Ok(self.waited(response, waiting, status))
    }

    /// The answer to a change waited for, from where it stands at the end
    /// of the wait.
    #[inline(never)]
    fn waited(
        &self,
        response: &mut [u8],
        waiting: &Waiting<'a>,
        status: Option<ChangeStatus>,
    ) -> Prepared<'a> {
        let reply = after_wait(waiting.noun, status, self.clock.now());
        self.prepare_with(
            &reply,
            response,
            waiting.head_only,
            waiting.persistence,
            waiting.access,
        )
    }

    /// The next write of a response, or `None` once it is all sent (and
    /// the observer told).
    #[inline]
    fn send_step(&self, response: &mut [u8], sending: &mut Sending<'a>) -> Option<Io> {
        let first = !sending.begun;
        sending.begun = true;
        match &sending.prepared {
            Prepared::Whole {
                sent,
                body,
                status,
                secret,
            } => {
                if first {
                    return Some(self.write(Outgoing::Response(sent.clone()), true));
                }
                // Only coordination hands out lock tokens: saying so leaves
                // the scrubbing out of the firmware without it.
                if cfg!(feature = "coordination") && *secret {
                    // Observers log what they see: they never see a token,
                    // and it does not linger in the buffer either.
                    scrub_lock_token(response.get_mut(sent.clone()).unwrap_or_default());
                }
                self.observe_response(*status, response.get(body.clone()).unwrap_or_default());
                None
            }
            Prepared::Pieces {
                listing,
                head_len,
                status,
            } => {
                if first {
                    if !sending.head_only {
                        sending.next = listing.first();
                    }
                    let head = Outgoing::Response(0..*head_len);
                    return Some(self.write(head, sending.head_only));
                }
                let Some(piece) = sending.next.take() else {
                    self.observe_response(*status, &[]);
                    return None;
                };
                let len = listing.write_piece(piece, response).unwrap_or(0);
                sending.next = listing.after(piece);
                let last = sending.next.is_none();
                Some(self.write(Outgoing::Response(0..len), last))
            }
            Prepared::Unsendable => Some(Io::End(Err(ConnectionError::BuffersTooSmall))),
        }
    }

    /// A write of `what`.
    #[inline]
    fn write(&self, what: Outgoing, flush: bool) -> Io {
        Io::Write { what, flush }
    }

    /// When a write that has to wait, starting now, is given up: after the
    /// read timeout.
    pub(crate) fn write_deadline(&self) -> Instant {
        later(self.clock.now(), self.config.read_timeout)
    }

    /// The server's observer, if it has one. Without the feature it never
    /// has: the compiler, seeing that, leaves the hook out of the firmware.
    #[inline(always)]
    fn observer(&self) -> Option<&'a dyn Observer> {
        if cfg!(feature = "observe") {
            self.observer
        } else {
            None
        }
    }

    fn observe_head(&self, head: &[u8]) {
        self.observe_request(head, &[]);
    }

    /// Tell the observer, if there is one, of the request: its head is
    /// parsed again for the headers, only then.
    // Inline to the check, out of line beyond it: without an observer a
    // request costs no call, and with one the kilobyte of header slots
    // stays off the stack of every request.
    #[inline]
    fn observe_request(&self, head: &[u8], body: &[u8]) {
        if let Some(observer) = self.observer() {
            observe_request_by(observer, head, body);
        }
    }

    fn observe_response(&self, status: u16, body: &[u8]) {
        if let Some(observer) = self.observer() {
            observer.response(status, body);
        }
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
                // Only coordination hands out lock tokens.
                secret: cfg!(feature = "coordination") && reply.carries_lock_token(),
            };
        }
        if let Some(listing) = reply.listing(self.nouns) {
            // Every piece must fit on its own; their lengths add up to the body's.
            let body_len = listing.pieces().try_fold(0usize, |total, piece| {
                let len = listing.write_piece(piece, response)?;
                Ok::<_, Overflow>(total.saturating_add(len))
            });
            let head_len = body_len
                .and_then(|body_len| write_head(reply, body_len, persistence, access, response));
            if let Ok(head_len) = head_len {
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
}

/// Write the head of `reply`, with a body of `body_len` bytes, at the start
/// of `response`, for a listing sent in pieces. Out of line: made in
/// `prepare_with` itself, the head was a second inlined copy of what
/// `compose_with` makes, and took a hundred bytes more.
#[inline(never)]
fn write_head(
    reply: &Reply<'_>,
    body_len: usize,
    persistence: Persistence,
    access: AccessHeaders<'_>,
    response: &mut [u8],
) -> Result<usize, Overflow> {
    reply
        .head_with(body_len, persistence, access)
        .write(response)
}

/// Tell `observer` of the request whose head and body these are, the head
/// parsed again for its headers.
#[inline(never)]
fn observe_request_by(observer: &dyn Observer, head: &[u8], body: &[u8]) {
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

/// `wait` after `from`. Out of line: a duration becomes microseconds by
/// 64-bit multiplication and division, which a Cortex-M0 does in software,
/// and each deadline would carry its own copy.
#[inline(never)]
fn later(from: Instant, wait: core::time::Duration) -> Instant {
    from + wait
}

/// The reply to a change waited for, from where it stands at the end of
/// the wait (`None`: the noun no longer remembers it, so it finished long
/// ago).
#[inline(never)]
fn after_wait<'n>(noun: &'n Noun<'n>, change: Option<ChangeStatus>, now: Instant) -> Reply<'n> {
    let Some(change) = change.filter(|change| change.status != Status::Done) else {
        return state_of(noun.resource, now, StateNote::Waited);
    };
    // Where the change stands, worked out once (its wait in milliseconds
    // is 64-bit arithmetic) for the change still pending as for the one
    // that ended otherwise than done.
    let body = ChangeBody::of(&change, now);
    if change.status.is_finished() {
        return Reply::Change(body);
    }
    Reply::Accepted {
        state: noun.resource.get(now),
        noun,
        ticket: body.ticket,
        position: body.position,
        eta_ms: body.eta_ms,
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

/// The `413` for a body of `body_len` bytes after `request`'s head.
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

#[cfg(test)]
mod tests;
