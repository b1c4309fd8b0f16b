//! The host's connection slots: urest-http's [`SlotBoard`] rules, with a
//! wake-up per slot so a connection hears at once that it should make way.

use std::cell::RefCell;
use std::time::Duration;

use tokio::sync::Notify;
use urest_core::time::{Clock as _, Instant};
use urest_http::{Admission, Phase, Slot, SlotBoard, SlotPolicy, SlotState};

use crate::clock::HostClock;

/// Every slot's state, shared by the accept loop and the connections on
/// the host's one serving thread.
pub(crate) struct HostSlots {
    board: RefCell<SlotBoard<Vec<SlotState>>>,
    /// One per slot: raised when its connection is asked to make way.
    make_way: Vec<Notify>,
    clock: HostClock,
}

impl HostSlots {
    pub(crate) fn new(slots: usize, policy: SlotPolicy, clock: HostClock) -> Self {
        HostSlots {
            board: RefCell::new(SlotBoard::new(vec![SlotState::FREE; slots], policy)),
            make_way: (0..slots).map(|_| Notify::new()).collect(),
            clock,
        }
    }

    /// The current time, as the slot rules see it.
    pub(crate) fn now(&self) -> Instant {
        self.clock.now()
    }

    /// A client has arrived: a free slot for it, or it waits.
    pub(crate) fn arrive(&self) -> Admission {
        let admission = self.board.borrow_mut().arrive(self.now());
        self.tell_those_asked();
        admission
    }

    /// Hand slot `index` to a connection.
    pub(crate) fn occupy(&self, index: usize) -> HostSlot<'_> {
        self.board.borrow_mut().occupy(index, self.now());
        HostSlot { slots: self, index }
    }

    /// The connection in slot `index` has gone. Returns what it was doing
    /// if it had been asked to make way: idle (it was closed unanswered) or
    /// receiving a head (it was answered `408`).
    pub(crate) fn vacate(&self, index: usize) -> Option<Phase> {
        let mut board = self.board.borrow_mut();
        let made_way = board
            .slot(index)
            .filter(|slot| slot.is_yielding())
            .map(SlotState::phase);
        board.vacate(index);
        made_way
    }

    /// A free slot for the first waiting client, if there is one.
    pub(crate) fn next_for_waiter(&self) -> Option<usize> {
        self.board.borrow_mut().next_for_waiter()
    }

    /// A waiting client stopped waiting without a slot.
    pub(crate) fn leave_queue(&self) {
        self.board.borrow_mut().leave_queue();
    }

    /// Apply the rules again as time passes while clients wait.
    pub(crate) fn rebalance(&self) {
        self.board.borrow_mut().rebalance(self.now());
        self.tell_those_asked();
    }

    /// How long until a waiting client must be turned away, if it began
    /// waiting at `since`.
    pub(crate) fn wait_left(&self, since: Instant) -> Duration {
        let board = self.board.borrow();
        board.give_up_at(since).duration_since(self.now())
    }

    /// How many slots there are.
    pub(crate) fn len(&self) -> usize {
        self.make_way.len()
    }

    fn tell_those_asked(&self) {
        let asked = self.board.borrow_mut().take_yield_requests();
        for make_way in asked.filter_map(|index| self.make_way.get(index)) {
            // A stored permit: heard even if the connection is not waiting
            // for it at this moment.
            make_way.notify_one();
        }
    }
}

/// One connection's slot.
pub(crate) struct HostSlot<'s> {
    slots: &'s HostSlots,
    index: usize,
}

impl HostSlot<'_> {
    pub(crate) fn index(&self) -> usize {
        self.index
    }
}

impl Slot for HostSlot<'_> {
    fn idle(&self) {
        let now = self.slots.now();
        self.slots.board.borrow_mut().idle(self.index, now);
        self.slots.tell_those_asked();
    }

    fn head_started(&self) {
        let now = self.slots.now();
        self.slots.board.borrow_mut().head_started(self.index, now);
    }

    fn busy(&self) {
        self.slots.board.borrow_mut().busy(self.index);
    }

    fn close_after_answer(&self) -> bool {
        let now = self.slots.now();
        self.slots
            .board
            .borrow()
            .close_after_answer(self.index, now)
    }

    async fn yield_requested(&self) {
        let Some(make_way) = self.slots.make_way.get(self.index) else {
            return std::future::pending().await;
        };
        while !self.slots.board.borrow().is_yielding(self.index) {
            make_way.notified().await;
        }
    }
}
