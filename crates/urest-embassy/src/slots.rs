//! The slots of one service under urest-http's [`SlotBoard`] rules: which
//! are busy, which should make way for a waiting client, and the wake-ups
//! that tell them.

use core::cell::RefCell;

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::signal::Signal;
use urest_core::time::{Clock as _, Instant};
use urest_http::{Admission, AskedToYield, Slot, SlotBoard, SlotPolicy, SlotState};

use crate::clock::EmbassyClock;

/// Most connection slots one [`Service`](crate::Service) keeps track of.
/// A slot task started beyond them logs a warning and does not serve.
pub const MAX_SLOTS: usize = 16;

/// A snapshot of a service's slots: how many exist, how many hold a
/// connection, and how many clients wait for one.
///
/// ```
/// use urest_embassy::urest_http::{Config, Noun};
/// use urest_embassy::Service;
///
/// let nouns: [Noun<'_>; 0] = [];
/// let service = Service::new(&nouns, Config::default());
/// let occupancy = service.occupancy();
/// assert_eq!((occupancy.slots(), occupancy.busy(), occupancy.waiting()), (0, 0, 0));
/// assert!(!occupancy.none_listening());
/// assert!(!occupancy.is_full(), "no slots: nothing to be full");
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Occupancy {
    slots: u16,
    busy: u16,
    closing: u16,
    waiting: u16,
}

impl Occupancy {
    /// Slots that exist.
    pub fn slots(&self) -> u16 {
        self.slots
    }

    /// Slots serving a connection.
    pub fn busy(&self) -> u16 {
        self.busy
    }

    /// Slots whose connection is served and whose socket is still closing
    /// (the peer has not closed its side yet): free to serve a waiting
    /// client's request, not yet listening.
    pub fn closing(&self) -> u16 {
        self.closing
    }

    /// Clients waiting for a slot.
    pub fn waiting(&self) -> u16 {
        self.waiting
    }

    /// Whether no slot is listening for a new connection: each serves one
    /// or is still closing one.
    pub fn none_listening(&self) -> bool {
        self.slots > 0 && self.busy.saturating_add(self.closing) >= self.slots
    }

    /// Whether every slot is serving a connection, so none is listening.
    /// A service with no slots yet is not full: nothing is serving, and
    /// nobody should be turned away for that.
    pub fn is_full(&self) -> bool {
        self.slots > 0 && self.busy >= self.slots
    }
}

type Board = SlotBoard<heapless::Vec<SlotState, MAX_SLOTS>>;

/// Every slot's state, shared by the slot tasks and the waiting room.
pub(crate) struct SlotGate {
    board: Mutex<CriticalSectionRawMutex, RefCell<Board>>,
    /// Slots still closing a connection they have finished serving.
    closing: Mutex<CriticalSectionRawMutex, core::cell::Cell<u16>>,
    /// One per slot: raised when its connection should make way.
    make_way: [Signal<CriticalSectionRawMutex, ()>; MAX_SLOTS],
    /// Raised on every change. One waiter only: the waiting room.
    changed: Signal<CriticalSectionRawMutex, ()>,
}

impl SlotGate {
    pub(crate) const fn new(policy: SlotPolicy) -> Self {
        SlotGate {
            board: Mutex::new(RefCell::new(SlotBoard::new(heapless::Vec::new(), policy))),
            closing: Mutex::new(core::cell::Cell::new(0)),
            make_way: [const { Signal::new() }; MAX_SLOTS],
            changed: Signal::new(),
        }
    }

    /// Apply `change` to the board, and tell the connections asked to make
    /// way.
    fn update<R>(&self, change: impl FnOnce(&mut Board, Instant) -> R) -> R {
        let now = EmbassyClock.now();
        let (result, asked) = self.board.lock(|board| {
            let mut board = board.borrow_mut();
            let result = change(&mut board, now);
            (result, board.take_yield_requests())
        });
        self.tell(asked);
        result
    }

    /// [`update`](Self::update) with a change of which slots hold a
    /// connection, which the waiting room hears of. (Only such changes: the
    /// waiting room applies the rules again after each wake-up, so waking
    /// it for its own changes would never let it sleep.)
    fn update_occupancy<R>(&self, change: impl FnOnce(&mut Board, Instant) -> R) -> R {
        let result = self.update(change);
        self.changed.signal(());
        result
    }

    fn read<R>(&self, look: impl FnOnce(&Board) -> R) -> R {
        self.board.lock(|board| look(&board.borrow()))
    }

    /// Wake the connections in the slots `asked` to make way.
    fn tell(&self, asked: AskedToYield) {
        for make_way in asked.filter_map(|index| self.make_way.get(index)) {
            make_way.signal(());
        }
    }

    pub(crate) fn occupancy(&self) -> Occupancy {
        let closing = self.closing.lock(core::cell::Cell::get);
        self.read(|board| Occupancy {
            slots: saturating_u16(board.slots()),
            busy: saturating_u16(board.occupied()),
            closing,
            waiting: saturating_u16(board.waiting()),
        })
    }

    /// A slot closes a connection it has finished serving until the guard
    /// is dropped.
    pub(crate) fn closing(&self) -> Closing<'_> {
        self.change_closing(|count| count.saturating_add(1));
        Closing { gate: self }
    }

    fn change_closing(&self, change: impl FnOnce(u16) -> u16) {
        self.closing.lock(|count| count.set(change(count.get())));
        self.changed.signal(());
    }

    pub(crate) fn policy(&self) -> SlotPolicy {
        self.read(|board| *board.policy())
    }

    pub(crate) fn set_policy(&mut self, policy: SlotPolicy) {
        let board = self.board.get_mut().get_mut();
        *board = SlotBoard::new(heapless::Vec::new(), policy);
    }

    /// A new slot, or `None` past [`MAX_SLOTS`].
    pub(crate) fn add_slot(&self) -> Option<usize> {
        self.update_occupancy(|board, _| {
            let index = board.slots();
            board
                .storage_mut()
                .push(SlotState::FREE)
                .ok()
                .map(|()| index)
        })
    }

    /// Mark slot `index` busy with a connection until the guard is dropped.
    pub(crate) fn occupy(&self, index: usize) -> Occupied<'_> {
        self.update_occupancy(|board, now| board.occupy(index, now));
        // A request to make way meant for the connection before is stale.
        if let Some(make_way) = self.make_way.get(index) {
            make_way.reset();
        }
        Occupied { gate: self, index }
    }

    /// A client has arrived at the waiting room.
    pub(crate) fn arrive(&self) -> Admission {
        self.update(|board, now| board.arrive(now))
    }

    /// The waiting client stopped waiting.
    pub(crate) fn leave_queue(&self) {
        self.update(|board, _| board.leave_queue());
    }

    /// Apply the rules again as time passes while a client waits.
    pub(crate) fn rebalance(&self) {
        self.update(|board, now| board.rebalance(now));
    }

    /// When the client waiting since `since` must be answered `503`.
    pub(crate) fn give_up_at(&self, since: Instant) -> Instant {
        self.read(|board| board.give_up_at(since))
    }

    /// Wait until `wanted` holds of the occupancy.
    pub(crate) async fn until(&self, wanted: impl Fn(&Occupancy) -> bool) {
        // The signal latches, so a change between the check and the wait
        // is not lost.
        while !wanted(&self.occupancy()) {
            self.changed.wait().await;
        }
    }

    /// The next change, whatever it is.
    pub(crate) async fn changed(&self) {
        self.changed.wait().await;
    }
}

fn saturating_u16(count: usize) -> u16 {
    u16::try_from(count).unwrap_or(u16::MAX)
}

/// A slot closing a connection; dropping it marks the slot listening again.
pub(crate) struct Closing<'g> {
    gate: &'g SlotGate,
}

impl Drop for Closing<'_> {
    fn drop(&mut self) {
        self.gate.change_closing(|count| count.saturating_sub(1));
    }
}

/// One busy slot; dropping it frees the slot, however the connection ended.
pub(crate) struct Occupied<'g> {
    gate: &'g SlotGate,
    index: usize,
}

impl Drop for Occupied<'_> {
    fn drop(&mut self) {
        let index = self.index;
        self.gate.update_occupancy(|board, _| board.vacate(index));
    }
}

impl Slot for Occupied<'_> {
    fn idle(&self) {
        let index = self.index;
        self.gate.update(|board, now| board.idle(index, now));
    }

    fn head_started(&self) {
        let index = self.index;
        self.gate
            .update(|board, now| board.head_started(index, now));
    }

    fn busy(&self) {
        let index = self.index;
        self.gate.update(|board, _| board.busy(index));
    }

    fn close_after_answer(&self) -> bool {
        let now = EmbassyClock.now();
        self.gate
            .read(|board| board.close_after_answer(self.index, now))
    }

    async fn yield_requested(&self) {
        let Some(make_way) = self.gate.make_way.get(self.index) else {
            return core::future::pending().await;
        };
        while !self.gate.read(|board| board.is_yielding(self.index)) {
            make_way.wait().await;
        }
    }
}

/// The slot of the one request the waiting room serves: it closes after
/// its answer and is never asked to make way.
pub(crate) struct LastRequest;

impl Slot for LastRequest {
    fn idle(&self) {}
    fn head_started(&self) {}
    fn busy(&self) {}
    fn close_after_answer(&self) -> bool {
        true
    }
    async fn yield_requested(&self) {
        core::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_only_when_every_existing_slot_is_busy() {
        let gate = SlotGate::new(SlotPolicy::default());
        assert!(!gate.occupancy().is_full(), "no slots: nothing to be full");
        let first = gate.add_slot().unwrap();
        let second = gate.add_slot().unwrap();
        let _busy = gate.occupy(first);
        assert!(!gate.occupancy().is_full());
        let other = gate.occupy(second);
        assert!(gate.occupancy().is_full());
        drop(other);
        assert!(!gate.occupancy().is_full());
    }

    #[test]
    fn no_more_slots_than_the_maximum() {
        let gate = SlotGate::new(SlotPolicy::default());
        for expected in 0..MAX_SLOTS {
            assert_eq!(gate.add_slot(), Some(expected));
        }
        assert_eq!(gate.add_slot(), None);
        assert_eq!(usize::from(gate.occupancy().slots()), MAX_SLOTS);
    }

    #[test]
    fn a_dropped_guard_frees_its_slot_and_wakes_the_waiter() {
        let gate = SlotGate::new(SlotPolicy::default());
        let index = gate.add_slot().unwrap();
        let busy = gate.occupy(index);
        assert!(gate.occupancy().is_full());
        gate.changed.reset();
        drop(busy);
        assert!(!gate.occupancy().is_full());
        assert!(gate.changed.signaled());
    }

    #[test]
    fn an_idle_connection_hears_at_once_that_a_client_waits() {
        let gate = SlotGate::new(SlotPolicy {
            min_idle: core::time::Duration::ZERO,
            ..SlotPolicy::default()
        });
        let index = gate.add_slot().unwrap();
        let busy = gate.occupy(index);
        // A request, answered; then idle.
        busy.busy();
        busy.idle();
        let mut asked = core::pin::pin!(busy.yield_requested());
        assert!(embassy_futures::poll_once(asked.as_mut()).is_pending());
        assert_eq!(gate.arrive(), Admission::Wait);
        assert!(embassy_futures::poll_once(asked.as_mut()).is_ready());
        assert_eq!(gate.occupancy().waiting(), 1);
    }

    #[test]
    fn until_returns_at_once_when_already_true_and_after_a_change_otherwise() {
        let gate = SlotGate::new(SlotPolicy::default());
        let index = gate.add_slot().unwrap();
        embassy_futures::block_on(gate.until(|o| !o.is_full()));
        let busy = gate.occupy(index);
        let mut waiting = core::pin::pin!(gate.until(|o| !o.is_full()));
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_pending());
        drop(busy);
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_ready());
    }
}
