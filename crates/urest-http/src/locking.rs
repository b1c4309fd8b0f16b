//! Client locks over HTTP (`/{noun}/lock`, `Lock-Token`, `423 Locked`)
//! and what the server makes of a refusal by the coordination rules.
//!
//! The rules themselves are [`urest_core::coord`]'s; this module reads the
//! headers and bodies that carry them and gives each refusal its status.

use core::time::Duration;

use urest_core::attributes::{Access, AttributeSpec, Attributes, Kind};
use urest_core::controller::CancelError;
use urest_core::coord::{LockToken, Refused, KEY_MAX, OWNER_MAX};
use urest_core::time::{Clock, Instant};

use crate::coordination::Coordinate;
use crate::dispatch::{body_problem, decode_body, keeps_no_changes, Incoming};
use crate::head::Method;
use crate::json::IndexLocks;
use crate::response::{LockShown, Problem, Reply, ALLOW_LOCK};
use crate::{Noun, Server};

/// What a lock request's body may hold: `{"ttl_ms": 60000, "owner": "alice"}`,
/// both optional.
static LOCK_BODY: [AttributeSpec; 2] = [
    AttributeSpec {
        key: "ttl_ms",
        kind: Kind::Int {
            min: 1,
            max: u32::MAX as i64,
        },
        access: Access::ReadWrite,
        doc: "lease length in milliseconds (the server caps it)",
    },
    AttributeSpec {
        key: "owner",
        kind: Kind::Str { max_len: OWNER_MAX },
        access: Access::ReadWrite,
        doc: "a name for the holder, shown to everyone",
    },
];

/// The `Lock-Token` a request carries: 32 hex digits, bare or in angle
/// brackets (the Coded-URL form of RFC 4918 §10.5). Anything else is no
/// token, so it matches no lock. Never one without coordination: only its
/// rules read it.
pub(crate) fn lock_token(request: &Incoming<'_>) -> Option<LockToken> {
    if !cfg!(feature = "coordination") {
        return None;
    }
    // Without the spaces around it: the head parser leaves them out.
    let text = request.framing.lock_token?.text(request.head);
    let text = text
        .strip_prefix('<')
        .and_then(|inner| inner.strip_suffix('>'))
        .unwrap_or(text);
    LockToken::parse(text)
}

/// The `Idempotency-Key` a request carries, as the key itself: the draft
/// sends it as a structured-field string (`"…"`); a bare value is taken as
/// it is. Never one without coordination: only its rules read it.
pub(crate) fn idempotency_key<'r>(request: &Incoming<'r>) -> Option<&'r str> {
    if !cfg!(feature = "coordination") {
        return None;
    }
    let text = request.framing.idempotency_key?.text(request.head);
    Some(
        text.strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(text),
    )
}

impl<'a, C: Clock> Server<'a, C> {
    /// Where `noun` stands in the server's table, for its coordinator.
    pub(crate) fn index_of(&self, noun: &Noun<'_>) -> Option<usize> {
        self.nouns
            .iter()
            .position(|served| core::ptr::eq(served, noun))
    }

    /// The coordination, if the server has one. Without the feature it
    /// never has: the compiler, seeing that, leaves out of the firmware
    /// every route, check and refusal that would use it.
    fn coordination(&self) -> Option<&'a dyn Coordinate> {
        if cfg!(feature = "coordination") {
            self.coordination
        } else {
            None
        }
    }

    /// The coordination and this noun's place in it, if the server has one.
    pub(crate) fn coordinator_of(&self, noun: &Noun<'_>) -> Option<(&'a dyn Coordinate, usize)> {
        let coordination = self.coordination()?;
        let index = self.index_of(noun)?;
        (index < coordination.places()).then_some((coordination, index))
    }

    /// Who holds `noun`'s lock at `now` and for how long, for the
    /// `Lock-Info` header of a read; `None` when it is not locked.
    pub(crate) fn lock_shown(&self, noun: &Noun<'_>, now: Instant) -> Option<LockShown> {
        let (coordination, index) = self.coordinator_of(noun)?;
        let info = coordination.lock_info(index, now)?;
        Some(LockShown::new(&info, now))
    }

    /// What the index needs to show each noun's lock, as of now.
    pub(crate) fn index_locks(&self) -> Option<IndexLocks<'a>> {
        Some(IndexLocks {
            coordination: self.coordination()?,
            now: self.clock.now(),
        })
    }

    /// `/{noun}/lock`: take, renew, show or release the noun's client lock.
    #[inline(never)]
    pub(crate) fn on_lock(
        &self,
        noun: &'a Noun<'a>,
        request: &Incoming<'_>,
        scratch: &mut [u8],
    ) -> Reply<'a> {
        if request.framing.method == Method::Options {
            return Reply::Options { allow: ALLOW_LOCK };
        }
        let Some((coordination, index)) = self.coordinator_of(noun) else {
            return Reply::Problem(problem!(
                501,
                "this server has no client locks: it was built without Server::with_coordination"
            ));
        };
        let now = self.clock.now();
        let token = lock_token(request);
        match request.framing.method {
            Method::Get | Method::Head => match coordination.lock_info(index, now) {
                Some(info) => Reply::LockHeld { info, now },
                None => Reply::Problem(problem!(
                    404,
                    &noun.name,
                    " is not locked; POST /",
                    &noun.name,
                    "/lock takes the lock"
                )),
            },
            Method::Post => {
                let mut body = Attributes::new();
                if let Err(refusal) = decode_body(&LOCK_BODY, request, scratch, &mut body) {
                    return Reply::Problem(body_problem(refusal));
                }
                let ttl = lease_asked(&body);
                let result = match token {
                    Some(token) => coordination
                        .renew(index, &token, ttl, now)
                        .map(|info| (token, info, false)),
                    // A `Lock-Token` that is no token asks to renew a lock
                    // it cannot hold: never a new lock in its place.
                    None if request.framing.lock_token.is_some() => {
                        Err(match coordination.permit(index, None, now) {
                            Err(refused) => refused,
                            Ok(()) => Refused::NotLocked,
                        })
                    }
                    None => {
                        let owner = body.get("owner").and_then(|owner| owner.as_str());
                        coordination
                            .lock(index, owner.unwrap_or(""), ttl, now)
                            .map(|granted| (granted.token, granted.info, true))
                    }
                };
                match result {
                    Ok((token, info, created)) => Reply::Lock {
                        noun: noun.name,
                        token,
                        info,
                        created,
                        now,
                    },
                    Err(refused) => Reply::Problem(refused_problem(&refused, noun, request)),
                }
            }
            Method::Delete => {
                // Without a token, what the rules make of the client stands
                // in for the release: at best, that it holds no lock. One
                // refusal for both, so the problem is made in one place.
                let released = match token {
                    Some(token) => coordination.release(index, &token, now),
                    None => Err(coordination
                        .permit(index, None, now)
                        .err()
                        .unwrap_or(Refused::NotLocked)),
                };
                match released {
                    Ok(()) => Reply::NoContent,
                    Err(refused) => Reply::Problem(refused_problem(&refused, noun, request)),
                }
            }
            _ => Reply::Problem(crate::dispatch::not_allowed(request, ALLOW_LOCK)),
        }
    }
}

/// The lease a lock request asks for, if it names one.
fn lease_asked(body: &Attributes) -> Option<Duration> {
    let millis = body.int("ttl_ms")?;
    u64::try_from(millis).ok().map(Duration::from_millis)
}

/// The HTTP form of a refusal by the coordination rules.
pub(crate) fn refused_problem(
    refused: &Refused,
    noun: &Noun<'_>,
    request: &Incoming<'_>,
) -> Problem {
    match refused {
        Refused::Locked { owner, remaining } => {
            let holder: &str = if owner.is_empty() { "another client" } else { owner };
            problem!(
                423,
                &noun.name,
                " is locked by ",
                holder,
                " for ",
                &crate::json::millis_up(*remaining),
                " ms more; send its Lock-Token, or try again when the lease ends"
            )
            .retry_after(*remaining)
        }
        Refused::NotLocked => problem!(
            409,
            &noun.name,
            " is not locked (a lease that ran out ends the lock); POST /",
            &noun.name,
            "/lock without a Lock-Token takes it"
        ),
        Refused::Entropy(_) => problem!(503, "no lock token could be drawn: the entropy source failed"),
        Refused::KeyReused => problem!(
            422,
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        ),
        Refused::KeyInFlight => problem!(
            409,
            "the request with this Idempotency-Key is still being made; retry it later"
        ),
        Refused::KeyTooLong => problem!(400, "an Idempotency-Key holds at most ", &KEY_MAX, " bytes"),
        Refused::KeysFull { retry_after } => problem!(
            503,
            &noun.name,
            " remembers as many Idempotency-Keys as it can; try again later"
        )
        .retry_after(*retry_after),
        Refused::PreconditionFailed => problem!(
            412,
            "If-Match: the state has changed; its entity tag is no longer one of those sent, and nothing was changed"
        ),
        Refused::NoChanges => keeps_no_changes(noun),
        Refused::Cancel(error) => {
            let status = match error {
                CancelError::Unknown => 404,
                CancelError::Finished(_) => 409,
            };
            problem!(status, &noun.name, ": ", error.to_string_lossy())
        }
        Refused::Noun(error) => crate::dispatch::problem_of(error, noun, request),
        // Refusals this version does not know yet.
        _ => problem!(409, &noun.name, ": the request was refused"),
    }
}
