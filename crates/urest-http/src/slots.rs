//! Sharing a few connection slots fairly among more clients.
//!
//! A board serves a handful of connections at once, and a browser alone
//! opens six. Left alone, whoever connects first keeps a slot for as long as
//! it likes: idle keep-alive connections and clients that drip their request
//! a byte at a time lock everyone else out. [`SlotBoard`] is the pure rule
//! book that prevents it, shared by every front end (the host program's
//! accept loop and the embassy slots alike); [`Slot`] is how one connection
//! being served hears of it.
//!
//! The rules, when a client arrives and no slot is free:
//! 1. A connection idle between requests gives its slot away at once, the
//!    one idle longest first, once it has been idle for
//!    [`SlotPolicy::min_idle`] (a new connection that has not sent its first
//!    request yet: for [`SlotPolicy::slow_head`]). Closing an idle HTTP/1.1 connection is
//!    always allowed, and clients reopen it; the short grace keeps the close
//!    from racing the next request of a client that has just been answered
//!    (a request that meets a closed connection is an error to most
//!    clients).
//! 2. Failing that, a connection whose request head has been arriving for
//!    longer than [`SlotPolicy::slow_head`] is answered `408` and closed,
//!    the oldest first: a client on a working network sends a head in one
//!    piece, so this is a slow or hostile one.
//! 3. Every connection that has held its slot for at least
//!    [`SlotPolicy::fair_share`] answers its current request with
//!    `Connection: close`, so the clients waiting are served in turn.
//! 4. A client that waits longer than [`SlotPolicy::queue_wait`] is answered
//!    `503` with `Retry-After`, once it has sent its request.

use core::time::Duration;

use urest_core::time::Instant;

/// How slots are shared when clients wait for one.
///
/// ```
/// use core::time::Duration;
/// use urest_http::SlotPolicy;
///
/// let policy = SlotPolicy { queue_wait: Duration::from_secs(5), ..SlotPolicy::default() };
/// assert_eq!(policy.slow_head, SlotPolicy::default().slow_head);
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotPolicy {
    /// While clients wait, a connection idle for this long makes way.
    pub min_idle: Duration,
    /// While clients wait, a connection whose request head has been
    /// arriving for this long is answered `408` and closed to make room.
    pub slow_head: Duration,
    /// While clients wait, a connection that has held its slot this long
    /// closes after its current answer (`Connection: close`).
    pub fair_share: Duration,
    /// The longest a client waits for a slot before it is answered `503`.
    pub queue_wait: Duration,
}

impl SlotPolicy {
    /// A twentieth of a second: a client busy with the connection sends its
    /// next request sooner; one idle this long is idle.
    pub const DEFAULT_MIN_IDLE: Duration = Duration::from_millis(50);
    /// Half a second: far longer than a head takes on a working network.
    pub const DEFAULT_SLOW_HEAD: Duration = Duration::from_millis(500);
    /// A tenth of a second: long enough for a keep-alive connection to be
    /// worth keeping, short enough that a queue of dozens moves every second.
    pub const DEFAULT_FAIR_SHARE: Duration = Duration::from_millis(100);
    /// Five seconds, well within what HTTP clients wait for an answer.
    pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(5);
}

impl Default for SlotPolicy {
    fn default() -> Self {
        SlotPolicy {
            min_idle: Self::DEFAULT_MIN_IDLE,
            slow_head: Self::DEFAULT_SLOW_HEAD,
            fair_share: Self::DEFAULT_FAIR_SHARE,
            queue_wait: Self::DEFAULT_QUEUE_WAIT,
        }
    }
}

/// What one connection slot is doing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Phase {
    /// No connection.
    Free,
    /// Waiting for a request (the connection's first or its next) since
    /// the instant given.
    Idle(Instant),
    /// A request head has been arriving since the instant given.
    Head(Instant),
    /// A request is being read, answered or written: never interrupted.
    Busy,
}

/// One slot as the board keeps it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotState {
    phase: Phase,
    /// When the connection in it was handed the slot.
    held_since: Instant,
    /// No request of the connection has been answered yet.
    fresh: bool,
    /// Asked to make way for a waiting client, and not free yet.
    yielding: bool,
}

impl SlotState {
    /// A slot with no connection.
    pub const FREE: SlotState = SlotState {
        phase: Phase::Free,
        held_since: Instant::ZERO,
        fresh: false,
        yielding: false,
    };

    /// What the slot is doing.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the slot has been asked to make way and has not yet.
    pub fn is_yielding(&self) -> bool {
        self.yielding
    }
}

impl Default for SlotState {
    fn default() -> Self {
        SlotState::FREE
    }
}

/// Where a newly arrived client goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Admission {
    /// This slot is free: serve the client in it (and [`occupy`](SlotBoard::occupy) it).
    Serve(usize),
    /// Every slot is taken: the client waits. Any slot asked to make way
    /// for it is reported by [`SlotBoard::take_yield_requests`].
    Wait,
}

/// The state of every connection slot and of the clients waiting for one:
/// a pure state machine, told the time at each step, so its rules are
/// tested without sockets or clocks.
///
/// `S` holds one [`SlotState`] per slot: an array on a board, a `Vec` on
/// a host.
///
/// ```
/// use core::time::Duration;
/// use urest_core::time::Instant;
/// use urest_http::{Admission, SlotBoard, SlotPolicy, SlotState};
///
/// let mut board = SlotBoard::new([SlotState::FREE; 2], SlotPolicy::default());
/// let t0 = Instant::from_millis(0);
/// assert_eq!(board.arrive(t0), Admission::Serve(0));
/// board.occupy(0, t0);
/// board.busy(0); // a request, answered; then idle
/// board.idle(0, t0);
/// assert_eq!(board.arrive(t0), Admission::Serve(1));
/// board.occupy(1, t0);
/// board.busy(1);
///
/// // A third client: slot 0 has been idle long enough to make way.
/// let t1 = t0 + SlotPolicy::DEFAULT_MIN_IDLE;
/// assert_eq!(board.arrive(t1), Admission::Wait);
/// assert!(board.is_yielding(0));
/// board.vacate(0);
/// assert_eq!(board.next_for_waiter(), Some(0));
/// ```
#[derive(Clone, Debug)]
pub struct SlotBoard<S> {
    slots: S,
    policy: SlotPolicy,
    /// Clients waiting for a slot.
    waiting: usize,
    /// Slots asked to make way that their connection has not yet heard of.
    unheard: u64,
}

impl<S: AsRef<[SlotState]> + AsMut<[SlotState]>> SlotBoard<S> {
    /// A board over `slots` (usually all [`SlotState::FREE`]), following
    /// `policy`. Only the first 64 slots take part in yielding; a front end
    /// with more serves the rest plainly.
    pub const fn new(slots: S, policy: SlotPolicy) -> Self {
        SlotBoard {
            slots,
            policy,
            waiting: 0,
            unheard: 0,
        }
    }

    /// The slots themselves, to add slots to a growable store (a slot added
    /// should be [`SlotState::FREE`]; a slot removed must hold no
    /// connection).
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.slots
    }

    /// The rules in force.
    pub fn policy(&self) -> &SlotPolicy {
        &self.policy
    }

    /// How many slots there are.
    pub fn slots(&self) -> usize {
        self.slots.as_ref().len()
    }

    /// How many slots hold a connection.
    pub fn occupied(&self) -> usize {
        self.slots
            .as_ref()
            .iter()
            .filter(|slot| slot.phase != Phase::Free)
            .count()
    }

    /// How many clients wait for a slot.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// The state of slot `index`, if there is one.
    pub fn slot(&self, index: usize) -> Option<&SlotState> {
        self.slots.as_ref().get(index)
    }

    /// Whether slot `index` has been asked to make way and has not yet.
    pub fn is_yielding(&self, index: usize) -> bool {
        self.slot(index).is_some_and(SlotState::is_yielding)
    }

    /// A client has arrived at `now`: serve it in a free slot, or count it
    /// as waiting and ask a slot to make way for it if one may.
    pub fn arrive(&mut self, now: Instant) -> Admission {
        if let Some(free) = self.free_slot() {
            return Admission::Serve(free);
        }
        self.waiting = self.waiting.saturating_add(1);
        self.rebalance(now);
        Admission::Wait
    }

    /// A waiting client has stopped waiting: it was turned away or left.
    pub fn leave_queue(&mut self) {
        self.waiting = self.waiting.saturating_sub(1);
    }

    /// A slot for the first waiting client, if one is free; the client is
    /// no longer counted as waiting and the caller
    /// [`occupy`](Self::occupy)s the slot with it.
    pub fn next_for_waiter(&mut self) -> Option<usize> {
        if self.waiting == 0 {
            return None;
        }
        let free = self.free_slot()?;
        self.waiting -= 1;
        Some(free)
    }

    /// A connection has been handed slot `index` at `now`; it waits for its
    /// first request.
    pub fn occupy(&mut self, index: usize, now: Instant) {
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            *slot = SlotState {
                phase: Phase::Idle(now),
                held_since: now,
                fresh: true,
                yielding: false,
            };
        }
        self.forget_request(index);
    }

    /// The connection in slot `index` waits for its next request, since
    /// `now`. If clients are waiting it may be asked at once to make way.
    pub fn idle(&mut self, index: usize, now: Instant) {
        self.set_phase(index, Phase::Idle(now));
        self.rebalance(now);
    }

    /// The first bytes of a request arrived on slot `index` at `now`.
    pub fn head_started(&mut self, index: usize, now: Instant) {
        self.set_phase(index, Phase::Head(now));
    }

    /// Slot `index` has a whole request head: it will be answered, and is
    /// not interrupted.
    pub fn busy(&mut self, index: usize) {
        self.set_phase(index, Phase::Busy);
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            slot.fresh = false;
        }
    }

    /// The connection in slot `index` is gone; the slot is free.
    pub fn vacate(&mut self, index: usize) {
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            *slot = SlotState::FREE;
        }
        self.forget_request(index);
    }

    /// Whether the answer slot `index` is about to send at `now` should close
    /// its connection, so that a waiting client gets the slot.
    pub fn close_after_answer(&self, index: usize, now: Instant) -> bool {
        let Some(slot) = self.slot(index) else {
            return false;
        };
        slot.yielding
            || (self.waiting > 0 && now.duration_since(slot.held_since) >= self.policy.fair_share)
    }

    /// Ask slots to make way for waiting clients, as the rules allow at
    /// `now`: one slot per waiting client, idle ones first (longest idle
    /// first), then slow heads (oldest first). Call it again as time passes
    /// while clients wait, since a head becomes slow only with time.
    pub fn rebalance(&mut self, now: Instant) {
        while self.yielding_count() < self.waiting {
            let Some(victim) = self.next_victim(now) else {
                return;
            };
            if let Some(slot) = self.slots.as_mut().get_mut(victim) {
                slot.yielding = true;
            }
            if let Some(bit) = bit(victim) {
                self.unheard |= bit;
            }
        }
    }

    /// The slots asked to make way since the last call, so the front end
    /// can tell their connections.
    pub fn take_yield_requests(&mut self) -> AskedToYield {
        AskedToYield(core::mem::take(&mut self.unheard))
    }

    /// When [`rebalance`](Self::rebalance) may next find a connection to ask
    /// to make way (an idle one that has been idle long enough, or a slow
    /// head), if clients wait.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.yielding_count() >= self.waiting {
            return None;
        }
        self.slots
            .as_ref()
            .iter()
            .filter(|slot| !slot.yielding)
            .filter_map(|slot| match slot.phase {
                Phase::Idle(since) => Some(since + self.idle_grace(slot)),
                Phase::Head(since) => Some(since + self.policy.slow_head),
                _ => None,
            })
            .min()
    }

    /// When the client that began waiting at `since` must be answered
    /// `503`.
    pub fn give_up_at(&self, since: Instant) -> Instant {
        since + self.policy.queue_wait
    }

    /// How long `slot`, idle, is left before it may be asked to make way: a
    /// connection that has had an answer sends its next request at once if
    /// it has one; a new one may take as long as a slow head to send its
    /// first (a client may open a connection a little before it needs it).
    fn idle_grace(&self, slot: &SlotState) -> Duration {
        if slot.fresh {
            self.policy.slow_head
        } else {
            self.policy.min_idle
        }
    }

    fn free_slot(&self) -> Option<usize> {
        self.slots
            .as_ref()
            .iter()
            .position(|slot| slot.phase == Phase::Free)
    }

    fn yielding_count(&self) -> usize {
        self.slots
            .as_ref()
            .iter()
            .filter(|slot| slot.yielding)
            .count()
    }

    fn set_phase(&mut self, index: usize, phase: Phase) {
        if let Some(slot) = self.slots.as_mut().get_mut(index) {
            if slot.phase != Phase::Free {
                slot.phase = phase;
            }
        }
    }

    fn forget_request(&mut self, index: usize) {
        if let Some(bit) = bit(index) {
            self.unheard &= !bit;
        }
    }

    /// The slot to ask next: the longest-idle one, or else the oldest slow
    /// head. Slots beyond the 64th are never asked, as the requests to
    /// make way are reported in a `u64`.
    fn next_victim(&self, now: Instant) -> Option<usize> {
        let candidates = || {
            self.slots
                .as_ref()
                .iter()
                .take(64)
                .enumerate()
                .filter(|(_, slot)| !slot.yielding)
        };
        let idle = candidates()
            .filter_map(|(index, slot)| match slot.phase {
                Phase::Idle(since) if now.duration_since(since) >= self.idle_grace(slot) => {
                    Some((since, index))
                }
                _ => None,
            })
            .min();
        let slow_head = || {
            candidates()
                .filter_map(|(index, slot)| match slot.phase {
                    Phase::Head(since) if now.duration_since(since) >= self.policy.slow_head => {
                        Some((since, index))
                    }
                    _ => None,
                })
                .min()
        };
        idle.or_else(slow_head).map(|(_, index)| index)
    }
}

/// The indices of the slots asked to make way, lowest first.
///
/// ```
/// use urest_core::time::Instant;
/// use urest_http::{SlotBoard, SlotPolicy, SlotState};
///
/// let mut board = SlotBoard::new([SlotState::FREE; 1], SlotPolicy::default());
/// assert_eq!(board.take_yield_requests().count(), 0);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct AskedToYield(u64);

impl Iterator for AskedToYield {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let index = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        usize::try_from(index).ok()
    }
}

fn bit(index: usize) -> Option<u64> {
    u32::try_from(index)
        .ok()
        .and_then(|index| 1u64.checked_shl(index))
}

/// One connection's view of the slot it is served in, given to
/// [`Server::serve_in`](crate::Server::serve_in): the connection reports
/// what it is doing, and hears when it should make way for a waiting
/// client.
///
/// [`Unshared`] is the slot of a connection that never makes way.
pub trait Slot {
    /// The connection waits for a request (its first, or its next).
    fn idle(&self);
    /// The first bytes of a request have arrived.
    fn head_started(&self);
    /// The request head is whole: the request will be answered.
    fn busy(&self);
    /// Whether the answer about to be sent should close the connection
    /// (`Connection: close`), so that a waiting client gets the slot.
    fn close_after_answer(&self) -> bool;
    /// Completes when the connection is asked to make way: if it is idle it
    /// is closed at once, if a head is arriving it is answered `408`. It
    /// should complete again each time it is polled after that.
    fn yield_requested(&self) -> impl core::future::Future<Output = ()>;
}

/// The slot of a connection that is never asked to make way: the
/// behaviour of [`Server::serve`](crate::Server::serve).
///
/// ```
/// use urest_http::{Slot, Unshared};
///
/// assert!(!Unshared.close_after_answer());
/// ```
#[derive(Copy, Clone, Debug, Default)]
pub struct Unshared;

impl Slot for Unshared {
    fn idle(&self) {}
    fn head_started(&self) {}
    fn busy(&self) {}
    fn close_after_answer(&self) -> bool {
        false
    }
    async fn yield_requested(&self) {
        core::future::pending::<()>().await;
    }
}

impl<T: Slot + ?Sized> Slot for &T {
    fn idle(&self) {
        (**self).idle();
    }
    fn head_started(&self) {
        (**self).head_started();
    }
    fn busy(&self) {
        (**self).busy();
    }
    fn close_after_answer(&self) -> bool {
        (**self).close_after_answer()
    }
    fn yield_requested(&self) -> impl core::future::Future<Output = ()> {
        (**self).yield_requested()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Instant {
        Instant::from_millis(millis)
    }

    /// The slots asked to make way since the last look.
    fn asked<S: AsRef<[SlotState]> + AsMut<[SlotState]>>(
        board: &mut SlotBoard<S>,
    ) -> heapless::Vec<usize, 4> {
        board.take_yield_requests().collect()
    }

    fn full_board(phases: [Phase; 3]) -> SlotBoard<[SlotState; 3]> {
        let mut board = SlotBoard::new([SlotState::FREE; 3], SlotPolicy::default());
        for index in 0..3 {
            assert_eq!(board.arrive(ms(0)), Admission::Serve(index));
            board.occupy(index, ms(0));
        }
        for (index, phase) in phases.into_iter().enumerate() {
            match phase {
                Phase::Idle(since) => {
                    // Idle after an answer, not new.
                    board.busy(index);
                    board.idle(index, since);
                }
                Phase::Head(since) => board.head_started(index, since),
                Phase::Busy => board.busy(index),
                Phase::Free => board.vacate(index),
            }
        }
        board
    }

    #[test]
    fn a_free_slot_is_used_before_anyone_is_asked_to_make_way() {
        let mut board = full_board([Phase::Idle(ms(0)), Phase::Free, Phase::Busy]);
        assert_eq!(board.arrive(ms(5)), Admission::Serve(1));
        assert_eq!(board.take_yield_requests().count(), 0);
    }

    #[test]
    fn the_longest_idle_connection_makes_way_first() {
        let mut board = full_board([Phase::Idle(ms(30)), Phase::Idle(ms(10)), Phase::Busy]);
        assert_eq!(board.arrive(ms(100)), Admission::Wait);
        assert_eq!(asked(&mut board), [1]);
        assert_eq!(board.take_yield_requests().count(), 0, "reported once");
        assert_eq!(board.arrive(ms(101)), Admission::Wait);
        assert_eq!(asked(&mut board), [0]);
    }

    #[test]
    fn a_connection_just_answered_is_left_time_to_send_its_next_request() {
        let mut board = full_board([Phase::Idle(ms(100)), Phase::Busy, Phase::Busy]);
        assert_eq!(board.arrive(ms(120)), Admission::Wait);
        assert_eq!(
            board.take_yield_requests().count(),
            0,
            "idle for 20 ms only"
        );
        assert_eq!(board.next_deadline(), Some(ms(150)));
        board.rebalance(ms(149));
        assert_eq!(board.take_yield_requests().count(), 0);
        board.rebalance(ms(150));
        assert_eq!(asked(&mut board), [0]);
    }

    #[test]
    fn a_new_connection_is_left_as_long_as_a_slow_head_to_send_its_first_request() {
        let mut board = SlotBoard::new([SlotState::FREE; 1], SlotPolicy::default());
        assert_eq!(board.arrive(ms(0)), Admission::Serve(0));
        board.occupy(0, ms(0));
        assert_eq!(board.arrive(ms(100)), Admission::Wait);
        assert_eq!(asked(&mut board), [] as [usize; 0]);
        assert_eq!(
            board.next_deadline(),
            Some(ms(0) + SlotPolicy::DEFAULT_SLOW_HEAD)
        );
        board.rebalance(ms(0) + SlotPolicy::DEFAULT_SLOW_HEAD);
        assert_eq!(asked(&mut board), [0]);
    }

    #[test]
    fn a_busy_connection_is_never_asked_to_make_way() {
        let mut board = full_board([Phase::Busy, Phase::Busy, Phase::Busy]);
        assert_eq!(board.arrive(ms(1_000)), Admission::Wait);
        assert_eq!(board.take_yield_requests().count(), 0);
        assert_eq!(board.waiting(), 1);
    }

    #[test]
    fn a_head_becomes_slow_only_after_the_policy_allows() {
        let mut board = full_board([Phase::Head(ms(100)), Phase::Busy, Phase::Busy]);
        assert_eq!(board.arrive(ms(200)), Admission::Wait);
        assert_eq!(
            board.take_yield_requests().count(),
            0,
            "the head is still young"
        );
        assert_eq!(board.next_deadline(), Some(ms(600)));
        board.rebalance(ms(599));
        assert_eq!(board.take_yield_requests().count(), 0);
        board.rebalance(ms(600));
        assert_eq!(asked(&mut board), [0]);
        assert_eq!(board.next_deadline(), None, "one waiter, one slot yielding");
    }

    #[test]
    fn idle_connections_go_before_slow_heads() {
        let mut board = full_board([Phase::Head(ms(0)), Phase::Idle(ms(900)), Phase::Busy]);
        assert_eq!(board.arrive(ms(1_000)), Admission::Wait);
        assert_eq!(asked(&mut board), [1]);
    }

    #[test]
    fn a_connection_going_idle_makes_way_when_someone_waits() {
        let mut board = full_board([Phase::Busy, Phase::Busy, Phase::Busy]);
        assert_eq!(board.arrive(ms(10)), Admission::Wait);
        board.idle(2, ms(20));
        board.rebalance(ms(20) + SlotPolicy::DEFAULT_MIN_IDLE);
        assert_eq!(asked(&mut board), [2]);
        assert!(board.is_yielding(2));
        board.vacate(2);
        assert!(!board.is_yielding(2));
        assert_eq!(board.next_for_waiter(), Some(2));
        assert_eq!(board.waiting(), 0);
    }

    #[test]
    fn a_connection_that_had_its_share_closes_after_its_answer_while_others_wait() {
        let mut board = full_board([Phase::Busy, Phase::Busy, Phase::Busy]);
        let share = SlotPolicy::DEFAULT_FAIR_SHARE;
        assert!(!board.close_after_answer(0, ms(0) + share), "nobody waits");
        assert_eq!(board.arrive(ms(1)), Admission::Wait);
        assert!(!board.close_after_answer(0, ms(0) + share / 2));
        assert!(board.close_after_answer(0, ms(0) + share));
        board.leave_queue();
        assert!(!board.close_after_answer(0, ms(0) + share));
    }

    #[test]
    fn a_slot_asked_to_make_way_closes_after_its_answer_too() {
        let mut board = full_board([Phase::Idle(ms(0)), Phase::Busy, Phase::Busy]);
        assert_eq!(board.arrive(ms(60)), Admission::Wait);
        // The idle connection's next request raced the request to make way.
        board.busy(0);
        assert!(board.close_after_answer(0, ms(61)));
    }

    #[test]
    fn no_more_slots_are_asked_than_clients_wait() {
        let mut board = full_board([Phase::Idle(ms(0)), Phase::Idle(ms(1)), Phase::Idle(ms(2))]);
        assert_eq!(board.arrive(ms(300)), Admission::Wait);
        board.rebalance(ms(400));
        board.rebalance(ms(500));
        assert_eq!(board.take_yield_requests().count(), 1);
    }

    #[test]
    fn waiting_for_a_slot_has_a_bound() {
        let board = SlotBoard::new([SlotState::FREE; 1], SlotPolicy::default());
        assert_eq!(
            board.give_up_at(ms(1_000)),
            ms(1_000) + SlotPolicy::DEFAULT_QUEUE_WAIT
        );
    }

    #[test]
    fn the_waiter_count_never_underflows_and_a_free_slot_without_waiters_is_not_handed_out() {
        let mut board = SlotBoard::new([SlotState::FREE; 1], SlotPolicy::default());
        board.leave_queue();
        assert_eq!(board.waiting(), 0);
        assert_eq!(board.next_for_waiter(), None);
    }

    #[test]
    fn slots_beyond_the_sixty_fourth_are_served_but_never_asked() {
        let mut board = SlotBoard::new([SlotState::FREE; 65], SlotPolicy::default());
        for index in 0..65 {
            assert_eq!(board.arrive(ms(0)), Admission::Serve(index));
            board.occupy(index, ms(0));
            board.busy(index);
        }
        board.idle(64, ms(1));
        assert_eq!(board.arrive(ms(200)), Admission::Wait);
        assert_eq!(board.take_yield_requests().count(), 0);
        assert!(!board.is_yielding(64));
    }
}
