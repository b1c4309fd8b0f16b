//! What a complete request means: the route, the verb, and the answer.
//!
//! Everything here is synchronous and runs after the whole request is in,
//! so a verb is never called on half a body.

use urest_core::attributes::{AttributeSpec, Attributes, DecodeError, Problem as AttributeProblem};
use urest_core::controller::{CancelError, Ticket};
use urest_core::coord::{Admission, Change, Request as CoordRequest, Validator};
use urest_core::resource::{Error, ErrorKind, Outcome, Resource, Verbs};
use urest_core::time::{Clock, Instant};

use crate::etag::{self, Comparison};
use crate::head::{ContentType, Framing, Method, Span};
use crate::json::{millis_until, ChangeBody};
use crate::locking::{idempotency_key, lock_token, refused_problem};
use crate::response::{
    allow_for, whole_seconds_up, Accepts, Bounds, Detail, Piece, Problem, Reply, StateNote,
    ALLOW_CHANGE, ALLOW_CHANGES, ALLOW_INDEX, ALLOW_NOUN,
};
use crate::routing::{route, Route};
use crate::{Noun, Server};

/// A request whose head and body have arrived.
pub(crate) struct Incoming<'r> {
    /// What the head says: the method, where its parts lie, the headers
    /// the server reads. Borrowed, not copied field by field: a request
    /// is answered once.
    pub framing: &'r Framing,
    /// The head, in which the framing's spans lie.
    pub head: &'r [u8],
    pub body: &'r [u8],
}

impl Incoming<'_> {
    /// The method as sent.
    fn method_text(&self) -> &str {
        self.text(self.framing.method_at)
    }

    /// The request target as sent, for error details.
    fn target(&self) -> &str {
        self.text(self.framing.target_at)
    }

    /// The text of the head at `span`. Out of line: the method and the
    /// target, read for error details, are then one copy of the reading.
    #[inline(never)]
    fn text(&self, span: Span) -> &str {
        span.text(self.head)
    }

    /// The request target's bytes, for routing.
    fn target_bytes(&self) -> &[u8] {
        self.framing.target_at.bytes(self.head)
    }
}

impl<'a, C: Clock> Server<'a, C> {
    /// Answer one request. `scratch` unescapes JSON strings of the body.
    pub(crate) fn dispatch(&self, request: &Incoming<'_>, scratch: &mut [u8]) -> Reply<'a> {
        // One instant per request, so the verb and the state it reports
        // agree; read once here for every route that needs it, where a
        // read in each was a copy of the clock's code per route.
        let now = self.clock.now();
        match route(request.target_bytes(), self.nouns) {
            Route::Index => match request.framing.method {
                Method::Get | Method::Head => Reply::Index(self.index_locks()),
                Method::Options => Reply::Options { allow: ALLOW_INDEX },
                _ => Reply::Problem(not_allowed(request, ALLOW_INDEX)),
            },
            Route::Server => match request.framing.method {
                Method::Options => Reply::Options { allow: ALLOW_NOUN },
                _ => Reply::Problem(problem!(
                    400,
                    "the target \"*\" is only for OPTIONS; use a path such as /"
                )),
            },
            Route::Unknown => Reply::Problem(problem!(
                404,
                "no noun at \"",
                request.target(),
                "\"; GET / lists the nouns"
            )),
            Route::Noun(noun) => self.on_noun(noun, request, scratch, now),
            Route::Changes { noun } => match request.framing.method {
                Method::Get | Method::Head => match noun.resource.changes() {
                    Some(_) => Reply::Changes { noun, now },
                    None => Reply::Problem(keeps_no_changes(noun)),
                },
                Method::Options => Reply::Options {
                    allow: ALLOW_CHANGES,
                },
                _ => Reply::Problem(not_allowed(request, ALLOW_CHANGES)),
            },
            Route::Change { noun, ticket } => self.on_change(noun, ticket, request, now),
            Route::Lock { noun } => self.on_lock(noun, request, scratch),
        }
    }

    /// `/{noun}/changes/{ticket}`: look a change up, or cancel it.
    #[inline(never)]
    fn on_change(
        &self,
        noun: &'a Noun<'a>,
        ticket: u32,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Reply<'a> {
        let Some(changes) = noun.resource.changes() else {
            return Reply::Problem(keeps_no_changes(noun));
        };
        let number = Ticket::from_number(ticket);
        // A change looked up and not found is refused as one that cannot
        // be cancelled because it is unknown: one refusal, built once.
        let found = match request.framing.method {
            Method::Get | Method::Head => changes.status(number, now).ok_or(CancelError::Unknown),
            Method::Delete => match self.lock_refusal(noun, request, now) {
                Some(refused) => return Reply::Problem(refused),
                None => changes.cancel(number, now),
            },
            Method::Options => {
                return Reply::Options {
                    allow: ALLOW_CHANGE,
                }
            }
            _ => return Reply::Problem(not_allowed(request, ALLOW_CHANGE)),
        };
        let error = match found {
            Ok(change) => return Reply::Change(ChangeBody::of(&change, now)),
            Err(error) => error,
        };
        let unknown = error == CancelError::Unknown;
        let mut problem = Problem::saying(if unknown { 404 } else { 409 }, noun.name);
        let detail = &mut problem.detail;
        if unknown {
            " has no change ".add_to(detail);
            ticket.add_to(detail);
            "; GET /".add_to(detail);
            noun.name.add_to(detail);
            "/changes lists the changes it remembers".add_to(detail);
        } else {
            ", change ".add_to(detail);
            ticket.add_to(detail);
            ": ".add_to(detail);
            error.to_string_lossy().add_to(detail);
        }
        Reply::Problem(problem)
    }

    /// RFC 9110 §13.2.2: `If-Match` (strong comparison), then
    /// `If-None-Match` (weak comparison), against the noun's strong
    /// validator at `now`. `None` if the request may go ahead. Inline, for
    /// the look at whether there is any condition at all: most requests
    /// have none, and then make no call.
    #[inline(always)]
    fn precondition(
        &self,
        resource: &dyn Resource,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Option<Reply<'a>> {
        if request.framing.if_match.is_none() && request.framing.if_none_match.is_none() {
            return None;
        }
        self.check_conditions(resource, request, now)
    }

    /// [`precondition`](Self::precondition) for a request with a condition.
    // Kept out of line: its state would otherwise take room in the frame
    // of every request, conditional or not (a Cortex-M0 has little stack).
    #[inline(never)]
    fn check_conditions(
        &self,
        resource: &dyn Resource,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Option<Reply<'a>> {
        let current = Validator::of_attributes(&resource.get(now)).0;
        let matches = |list: Option<Span>, comparison| {
            list.map(|list| etag::list_matches(list.bytes(request.head), current, comparison))
        };
        // The failed condition's text, then one `412` built for either.
        let failed = if matches(request.framing.if_match, Comparison::Strong) == Some(false) {
            "If-Match: the state has changed; its entity tag is no longer one of those sent, and nothing was changed"
        } else if matches(request.framing.if_none_match, Comparison::Weak) == Some(true) {
            if let Method::Get | Method::Head = request.framing.method {
                return Some(Reply::NotModified { etag: current });
            }
            "If-None-Match: the state matches an entity tag sent, and nothing was changed"
        } else {
            return None;
        };
        Some(Reply::Problem(Problem::saying(412, failed)))
    }

    fn on_noun(
        &self,
        noun: &'a Noun<'a>,
        request: &Incoming<'_>,
        scratch: &mut [u8],
        now: Instant,
    ) -> Reply<'a> {
        let resource = noun.resource;
        // Once per request: a noun may take a lock to describe itself.
        let description = resource.describe();
        if !supports(description.verbs, request.framing.method) {
            return Reply::Problem(not_allowed(request, allow_for(description.verbs)));
        }
        if request.framing.method == Method::Options {
            return Reply::Description(noun);
        }
        if request.framing.method == Method::Other {
            return Reply::Problem(not_allowed(request, ALLOW_NOUN));
        }
        // A body that is no patch is refused as such before any condition.
        // Decoded in place: a set of attributes is too big to move about.
        let mut patch = Attributes::new();
        let patch = match request.framing.method {
            Method::Put | Method::Post => {
                match decode_body(description.attributes, request, scratch, &mut patch) {
                    Ok(()) => Some(&patch),
                    Err(refusal) => return Reply::Problem(refusal_problem(refusal, noun, request)),
                }
            }
            _ => None,
        };
        let change = match (request.framing.method, patch) {
            (Method::Get | Method::Head, _) => {
                if let Some(refused) = self.precondition(resource, request, now) {
                    return refused;
                }
                let note = self
                    .lock_shown(noun, now)
                    .map_or(StateNote::Plain, StateNote::Locked);
                return state_of(resource, now, note);
            }
            (Method::Delete, _) => Change::Delete,
            (Method::Put, Some(patch)) => Change::Put(patch),
            (Method::Post, Some(patch)) => Change::Post(patch),
            _ => return Reply::Problem(not_allowed(request, ALLOW_NOUN)),
        };
        self.make_change(noun, change, request, now)
    }

    /// Make `change` on `noun`, under the coordination rules if the server
    /// has them: a retried `Idempotency-Key` gets its first answer again,
    /// a lock held by another client refuses with `423`, and only then are
    /// the preconditions checked and the change made.
    // Out of line, as `precondition`, for the stack of requests that read.
    #[inline(never)]
    fn make_change(
        &self,
        noun: &'a Noun<'a>,
        change: Change<'_>,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Reply<'a> {
        let resource = noun.resource;
        let token = lock_token(request);
        let coordinated = CoordRequest {
            change,
            token: token.as_ref(),
            key: idempotency_key(request),
            if_match: None,
        };
        // Admitted by the coordination rules, if the server has them.
        let admitted = match self.coordinator_of(noun) {
            None => None,
            Some((coordination, index)) => {
                match coordination.admit(index, resource, &coordinated, now) {
                    Err(refused) => {
                        return Reply::Problem(refused_problem(&refused, noun, request))
                    }
                    Ok(Admission::Replay(outcome)) => {
                        let outcome = Ok(replayed(resource, outcome, now));
                        return self.changed(noun, outcome, request, now);
                    }
                    Ok(Admission::Apply) => Some((coordination, index)),
                }
            }
        };
        if let Some(refused) = self.precondition(resource, request, now) {
            if let Some((coordination, index)) = admitted {
                coordination.abandon(index, &coordinated);
            }
            return refused;
        }
        let outcome = change.apply(resource, now);
        if let Some((coordination, index)) = admitted {
            coordination.finish(index, &coordinated, &outcome, now);
        }
        self.changed(noun, outcome, request, now)
    }

    /// The answer to a change made (or replayed) with `outcome`.
    fn changed(
        &self,
        noun: &'a Noun<'a>,
        outcome: Result<Outcome, Error>,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Reply<'a> {
        let resource = noun.resource;
        match outcome {
            Ok(Outcome::Done) => state_of(resource, now, StateNote::Plain),
            Ok(Outcome::Accepted {
                ticket,
                position,
                completes_at,
            }) => accepted(noun, ticket, position, completes_at, now),
            Err(error) => Reply::Problem(problem_of(&error, noun, request)),
        }
    }

    /// Whether a change to `noun` with this request's `Lock-Token` (or
    /// none) may go ahead: `None` if so, the refusal if another client
    /// holds the lock.
    fn lock_refusal(
        &self,
        noun: &Noun<'_>,
        request: &Incoming<'_>,
        now: Instant,
    ) -> Option<Problem> {
        let (coordination, index) = self.coordinator_of(noun)?;
        coordination
            .permit(index, lock_token(request).as_ref(), now)
            .err()
            .map(|refused| refused_problem(&refused, noun, request))
    }
}

/// A first outcome given again: a change that was accepted is where it
/// stands now (its position and ETA move on as the queue does), or done if
/// the noun no longer knows it.
fn replayed(resource: &dyn Resource, outcome: Outcome, now: Instant) -> Outcome {
    let Outcome::Accepted { ticket, .. } = outcome else {
        return outcome;
    };
    match resource
        .changes()
        .and_then(|changes| changes.status(ticket, now))
    {
        Some(change) => Outcome::Accepted {
            ticket,
            position: change.position,
            completes_at: change.expected_at(now),
        },
        None => Outcome::Accepted {
            ticket,
            position: 0,
            completes_at: now,
        },
    }
}

/// Why a body is not a patch.
pub(crate) enum BodyRefusal {
    /// A body came without `Content-Type: application/json`.
    NotJson(ContentType),
    /// The body is not JSON, or not the noun's attributes.
    Undecodable(DecodeError),
}

/// The body as a patch of the attributes in `schema`, into `patch`.
pub(crate) fn decode_body(
    schema: &'static [AttributeSpec],
    request: &Incoming<'_>,
    scratch: &mut [u8],
    patch: &mut Attributes,
) -> Result<(), BodyRefusal> {
    if !request.body.is_empty() && request.framing.content_type != ContentType::Json {
        return Err(BodyRefusal::NotJson(request.framing.content_type));
    }
    patch
        .decode_in_place(request.body, schema, scratch)
        .map_err(BodyRefusal::Undecodable)
}

/// The problem with a body that belongs to no noun (such as a lock
/// request's).
#[cold]
pub(crate) fn body_problem(refusal: BodyRefusal) -> Problem {
    match refusal {
        BodyRefusal::NotJson(content_type) => not_json(content_type),
        BodyRefusal::Undecodable(error) => {
            let error = Error::from(error);
            // One problem, its status chosen: not one built per kind.
            let status = match error.kind() {
                ErrorKind::Malformed => 400,
                _ => 422,
            };
            let mut problem = problem!(status, &error);
            if let Error::Attribute(attribute) = &error {
                problem.name_attribute(attribute.key());
            }
            problem
        }
    }
}

fn not_json(content_type: ContentType) -> Problem {
    let sent = match content_type {
        ContentType::Absent => "no Content-Type",
        _ => "another Content-Type",
    };
    problem!(
        415,
        "the body must be JSON, sent with Content-Type: application/json; this request has ",
        &sent
    )
}

#[cold]
fn refusal_problem(refusal: BodyRefusal, noun: &Noun<'_>, request: &Incoming<'_>) -> Problem {
    match refusal {
        BodyRefusal::NotJson(content_type) => not_json(content_type),
        BodyRefusal::Undecodable(error) => problem_of(&Error::from(error), noun, request),
    }
}

/// The HTTP form of a core error (RFC 9457 problem details).
// One problem is built for every kind of error, its status and the pieces
// around the error's own text chosen by kind: a problem built whole in
// each arm was a copy of the same building, and of its 300 bytes moved
// out, per kind.
// Cold, as are the other refusals here: the compiler then builds them for
// size and keeps their calls out of the way of the answers.
#[cold]
pub(crate) fn problem_of(error: &Error, noun: &Noun<'_>, request: &Incoming<'_>) -> Problem {
    let kind = error.kind();
    // Every detail but a bad body's opens with the noun's name.
    let (status, opening) = match kind {
        ErrorKind::Malformed => (400, ""),
        ErrorKind::InvalidAttribute => (422, ""),
        ErrorKind::Busy | ErrorKind::QueueFull => (503, noun.name),
        ErrorKind::Conflict => (409, noun.name),
        ErrorKind::NotSupported => (405, noun.name),
        _ => (500, noun.name),
    };
    let mut problem = Problem::saying(status, opening);
    let detail = &mut problem.detail;
    match kind {
        ErrorKind::Malformed | ErrorKind::InvalidAttribute => error.add_to(detail),
        ErrorKind::NotSupported => {
            let allow = allow_for(without(
                noun.resource.describe().verbs,
                request.framing.method,
            ));
            " does not support ".add_to(detail);
            request.method_text().add_to(detail);
            "; it allows ".add_to(detail);
            allow.add_to(detail);
            problem.allow = Some(allow);
        }
        _ => {
            ": ".add_to(detail);
            error.add_to(detail);
        }
    }
    match error {
        Error::Attribute(attribute) => {
            // Say what would have been accepted, so the client can fix it.
            if let AttributeProblem::Unknown | AttributeProblem::ReadOnly = attribute.problem() {
                "; ".add_to(detail);
                noun.name.add_to(detail);
                " accepts ".add_to(detail);
                Writable(noun.resource).add_to(detail);
            }
            problem.name_attribute(attribute.key());
        }
        Error::Busy { retry_after } | Error::QueueFull { retry_after } => {
            problem.retry_after = Some(whole_seconds_up(*retry_after));
        }
        Error::Hardware => "; nothing was changed".add_to(detail),
        _ => {}
    }
    problem
}

#[cold]
pub(crate) fn not_allowed(request: &Incoming<'_>, allow: &'static str) -> Problem {
    problem!(
        405 => request.method_text(),
        " is not allowed on \"",
        request.target(),
        "\"; use one of ",
        &allow
    )
    .allowing(allow)
}

/// Whether a noun supporting `verbs` takes `method` (reads always work).
fn supports(verbs: Verbs, method: Method) -> bool {
    match method {
        Method::Put => verbs.put,
        Method::Post => verbs.post,
        Method::Delete => verbs.delete,
        _ => true,
    }
}

/// `verbs` less `method`, for a noun that refused a verb it claims to
/// support: the `Allow` it answers with then at least leaves that one out.
fn without(mut verbs: Verbs, method: Method) -> Verbs {
    match method {
        Method::Put => verbs.put = false,
        Method::Post => verbs.post = false,
        Method::Delete => verbs.delete = false,
        _ => {}
    }
    verbs
}

/// `200` with the state of `resource` at `now`, read once (its entity tag
/// is worked out from the state the reply holds, so the tag is the
/// body's); and, for a read of a locked noun, how long it stays locked.
pub(crate) fn state_of<'a>(resource: &dyn Resource, now: Instant, note: StateNote) -> Reply<'a> {
    // Nothing but the state read goes into the reply here: the noun then
    // writes its state straight into the reply, where a state read into a
    // local first (to hash it) was copied, some 600 bytes, into the reply.
    Reply::State(resource.get(now), note)
}

/// `202` with the state of `noun` at `now` (its entity tag worked out, as
/// for [`state_of`], from the state the reply holds) and where the change
/// `ticket` stands: `position` in the queue, expected to complete at
/// `completes_at`.
pub(crate) fn accepted<'a>(
    noun: &'a Noun<'a>,
    ticket: Ticket,
    position: u16,
    completes_at: Instant,
    now: Instant,
) -> Reply<'a> {
    Reply::Accepted {
        state: noun.resource.get(now),
        noun,
        ticket: ticket.number(),
        position,
        eta_ms: millis_until(completes_at, now),
    }
}

/// A `404` for the changes of a noun that keeps none.
#[cold]
pub(crate) fn keeps_no_changes(noun: &Noun<'_>) -> Problem {
    problem!(
        404 => noun.name,
        " keeps no changes: its changes are complete when they are answered"
    )
}

/// The writable attributes of a noun, as `"desired", "steps"` for a detail.
struct Writable<'r>(&'r dyn Resource);

impl Piece for Writable<'_> {
    fn add_to(&self, detail: &mut Detail) {
        let mut first = true;
        for spec in self
            .0
            .describe()
            .attributes
            .iter()
            .filter(|spec| spec.is_writable())
        {
            if !first {
                ", ".add_to(detail);
            }
            first = false;
            "\"".add_to(detail);
            spec.key.add_to(detail);
            "\" (".add_to(detail);
            spec.kind.type_name().add_to(detail);
            match Bounds::of(&spec.kind) {
                Some(bounds) => {
                    " ".add_to(detail);
                    bounds.add_to(detail);
                }
                None => Accepts(&spec.kind).add_to(detail),
            }
            ")".add_to(detail);
        }
        if first {
            "no attributes".add_to(detail);
        }
    }
}
