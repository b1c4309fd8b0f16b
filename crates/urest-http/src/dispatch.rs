//! What a complete request means: the route, the verb, and the answer.
//!
//! Everything here is synchronous and runs after the whole request is in,
//! so a verb is never called on half a body.

use urest_core::attributes::{
    AttributeSpec, Attributes, DecodeError, Kind, Problem as AttributeProblem,
};
use urest_core::decimal::Fixed;
use urest_core::resource::{Error, ErrorKind, Outcome, Resource, Verbs};
use urest_core::time::Clock;

use crate::head::{ContentType, Method, Span};
use crate::response::{allow_for, Accepts, Detail, Piece, Problem, Reply, ALLOW_INDEX, ALLOW_NOUN};
use crate::routing::{route, Route};
use crate::{Noun, Server};

/// A request whose head and body have arrived.
pub(crate) struct Incoming<'r> {
    pub method: Method,
    /// The head, in which `method_at` lies.
    pub head: &'r [u8],
    /// Where the method as sent lies, for error details.
    pub method_at: Span,
    /// Where the request target as sent lies.
    pub target_at: Span,
    pub content_type: ContentType,
    pub body: &'r [u8],
}

impl Incoming<'_> {
    /// The method as sent.
    fn method_text(&self) -> &str {
        self.method_at.text(self.head)
    }

    /// The request target as sent, for error details.
    fn target(&self) -> &str {
        self.target_at.text(self.head)
    }

    /// The request target's bytes, for routing.
    fn target_bytes(&self) -> &[u8] {
        self.target_at.bytes(self.head)
    }
}

impl<'a, C: Clock> Server<'a, C> {
    /// Answer one request. `scratch` unescapes JSON strings of the body.
    pub(crate) fn dispatch(&self, request: &Incoming<'_>, scratch: &mut [u8]) -> Reply<'a> {
        match route(request.target_bytes(), self.nouns) {
            Route::Index => match request.method {
                Method::Get | Method::Head => Reply::Index,
                Method::Options => Reply::Options { allow: ALLOW_INDEX },
                _ => Reply::Problem(not_allowed(request, ALLOW_INDEX)),
            },
            Route::Server => match request.method {
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
            Route::Noun(noun) => self.on_noun(noun, request, scratch),
        }
    }

    fn on_noun(&self, noun: &'a Noun<'a>, request: &Incoming<'_>, scratch: &mut [u8]) -> Reply<'a> {
        let resource = noun.resource;
        // Once per request: a noun may take a lock to describe itself.
        let description = resource.describe();
        if !supports(description.verbs, request.method) {
            return Reply::Problem(not_allowed(request, allow_for(description.verbs)));
        }
        // One instant per request, so the verb and the state it reports agree.
        let now = self.clock.now();
        let outcome = match request.method {
            Method::Get | Method::Head => return Reply::State(resource.get(now)),
            Method::Options => return Reply::Description(noun),
            Method::Delete => resource.delete(now),
            Method::Put | Method::Post => {
                match decode_body(description.attributes, request, scratch) {
                    Ok(patch) if request.method == Method::Put => resource.put(&patch, now),
                    Ok(patch) => resource.post(&patch, now),
                    Err(refusal) => return Reply::Problem(refusal_problem(refusal, noun, request)),
                }
            }
            Method::Other => return Reply::Problem(not_allowed(request, ALLOW_NOUN)),
        };
        match outcome {
            Ok(Outcome::Done) => Reply::State(resource.get(now)),
            Ok(Outcome::Accepted {
                ticket,
                position,
                completes_at,
            }) => {
                let eta = completes_at.duration_since(now);
                Reply::Accepted {
                    state: resource.get(now),
                    ticket: ticket.number(),
                    position,
                    eta_ms: millis_up(eta),
                }
            }
            Err(error) => Reply::Problem(problem_of(&error, noun, request)),
        }
    }
}

/// Why a body is not a patch.
enum BodyRefusal {
    /// A body came without `Content-Type: application/json`.
    NotJson(ContentType),
    /// The body is not JSON, or not the noun's attributes.
    Undecodable(DecodeError),
}

/// The body as a patch of the attributes in `schema`.
fn decode_body(
    schema: &'static [AttributeSpec],
    request: &Incoming<'_>,
    scratch: &mut [u8],
) -> Result<Attributes, BodyRefusal> {
    if !request.body.is_empty() && request.content_type != ContentType::Json {
        return Err(BodyRefusal::NotJson(request.content_type));
    }
    Attributes::decode(request.body, schema, scratch).map_err(BodyRefusal::Undecodable)
}

fn refusal_problem(refusal: BodyRefusal, noun: &Noun<'_>, request: &Incoming<'_>) -> Problem {
    match refusal {
        BodyRefusal::NotJson(content_type) => {
            let sent = match content_type {
                ContentType::Absent => "no Content-Type",
                _ => "another Content-Type",
            };
            problem!(415, "the body must be JSON, sent with Content-Type: application/json; this request has ", &sent)
        }
        BodyRefusal::Undecodable(error) => problem_of(&Error::from(error), noun, request),
    }
}

/// The HTTP form of a core error (RFC 9457 problem details).
fn problem_of(error: &Error, noun: &Noun<'_>, request: &Incoming<'_>) -> Problem {
    let retry_after = error.retry_after().unwrap_or_default();
    match (error.kind(), error) {
        (ErrorKind::Malformed, _) => problem!(400, error),
        (ErrorKind::InvalidAttribute, Error::Attribute(attribute)) => {
            let problem = match attribute.problem() {
                // Say what would have been accepted, so the client can fix it.
                AttributeProblem::Unknown | AttributeProblem::ReadOnly => problem!(
                    422,
                    error,
                    "; ",
                    &noun.name,
                    " accepts ",
                    &Writable(noun.resource)
                ),
                _ => problem!(422, error),
            };
            problem.about(attribute.key())
        }
        (ErrorKind::InvalidAttribute, _) => problem!(422, error),
        (ErrorKind::Busy | ErrorKind::QueueFull, _) => {
            problem!(503, &noun.name, ": ", error).retry_after(retry_after)
        }
        (ErrorKind::Conflict, _) => problem!(409, &noun.name, ": ", error),
        (ErrorKind::NotSupported, _) => {
            let allow = allow_for(without(noun.resource.describe().verbs, request.method));
            problem!(
                405,
                &noun.name,
                " does not support ",
                &request.method_text(),
                "; it allows ",
                &allow
            )
            .allowing(allow)
        }
        (ErrorKind::Hardware, _) => problem!(500, &noun.name, ": ", error, "; nothing was changed"),
        _ => problem!(500, &noun.name, ": ", error),
    }
}

fn not_allowed(request: &Incoming<'_>, allow: &'static str) -> Problem {
    problem!(
        405,
        &request.method_text(),
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

/// Milliseconds, rounded up so that an ETA is never early.
fn millis_up(duration: core::time::Duration) -> u64 {
    let micros = duration.as_micros();
    u64::try_from(micros.div_ceil(1_000)).unwrap_or(u64::MAX)
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
            match spec.kind {
                Kind::Int { min, max } => {
                    " ".add_to(detail);
                    min.add_to(detail);
                    "..=".add_to(detail);
                    max.add_to(detail);
                }
                Kind::Decimal { scale, min, max } => {
                    " ".add_to(detail);
                    Fixed::new(min, scale).add_to(detail);
                    "..=".add_to(detail);
                    Fixed::new(max, scale).add_to(detail);
                }
                kind => Accepts(kind).add_to(detail),
            }
            ")".add_to(detail);
        }
        if first {
            "no attributes".add_to(detail);
        }
    }
}
