//! How many connection slots a service has and how many are busy, so a
//! client that finds them all busy is told so instead of being refused
//! by the TCP stack.

use core::cell::Cell;

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::signal::Signal;

/// Slots that exist and slots serving a connection: a pure count.
///
/// ```
/// use urest_embassy::Occupancy;
///
/// let mut slots = Occupancy::NONE;
/// slots.add_slot();
/// assert!(!slots.is_full());
/// slots.occupy();
/// assert!(slots.is_full());
/// slots.vacate();
/// assert_eq!((slots.busy(), slots.slots()), (0, 1));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Occupancy {
    slots: u16,
    busy: u16,
}

impl Occupancy {
    /// No slots yet.
    pub const NONE: Occupancy = Occupancy { slots: 0, busy: 0 };

    /// A slot has started.
    pub fn add_slot(&mut self) {
        self.slots = self.slots.saturating_add(1);
    }

    /// A slot has accepted a connection.
    pub fn occupy(&mut self) {
        self.busy = self.busy.saturating_add(1).min(self.slots);
    }

    /// A slot has finished with its connection.
    pub fn vacate(&mut self) {
        self.busy = self.busy.saturating_sub(1);
    }

    /// Slots that exist.
    pub fn slots(&self) -> u16 {
        self.slots
    }

    /// Slots serving a connection.
    pub fn busy(&self) -> u16 {
        self.busy
    }

    /// Whether every slot is serving a connection, so none is listening.
    /// A service with no slots yet is not full: nothing is serving, and
    /// nobody should be turned away for that.
    pub fn is_full(&self) -> bool {
        self.slots > 0 && self.busy >= self.slots
    }
}

/// The shared [`Occupancy`] of one service, with a wake-up for the one task
/// that turns clients away while it is full.
pub(crate) struct SlotGate {
    occupancy: Mutex<CriticalSectionRawMutex, Cell<Occupancy>>,
    /// Raised on every change. One waiter only: the turn-away task.
    changed: Signal<CriticalSectionRawMutex, ()>,
}

impl SlotGate {
    pub(crate) const fn new() -> Self {
        SlotGate {
            occupancy: Mutex::new(Cell::new(Occupancy::NONE)),
            changed: Signal::new(),
        }
    }

    pub(crate) fn occupancy(&self) -> Occupancy {
        self.occupancy.lock(Cell::get)
    }

    fn update(&self, change: impl FnOnce(&mut Occupancy)) {
        self.occupancy.lock(|cell| {
            let mut occupancy = cell.get();
            change(&mut occupancy);
            cell.set(occupancy);
        });
        self.changed.signal(());
    }

    pub(crate) fn add_slot(&self) {
        self.update(Occupancy::add_slot);
    }

    /// Mark one slot busy until the guard is dropped.
    pub(crate) fn occupy(&self) -> Occupied<'_> {
        self.update(Occupancy::occupy);
        Occupied { gate: self }
    }

    /// Wait until `wanted` holds of the occupancy.
    pub(crate) async fn until(&self, wanted: impl Fn(&Occupancy) -> bool) {
        // The signal latches, so a change between the check and the wait
        // is not lost.
        while !wanted(&self.occupancy()) {
            self.changed.wait().await;
        }
    }
}

/// One busy slot; dropping it frees the slot, however the connection ended.
pub(crate) struct Occupied<'g> {
    gate: &'g SlotGate,
}

impl Drop for Occupied<'_> {
    fn drop(&mut self) {
        self.gate.update(Occupancy::vacate);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_only_when_every_existing_slot_is_busy() {
        let mut occupancy = Occupancy::NONE;
        assert!(!occupancy.is_full(), "no slots: nothing to be full");
        occupancy.add_slot();
        occupancy.add_slot();
        occupancy.occupy();
        assert!(!occupancy.is_full());
        occupancy.occupy();
        assert!(occupancy.is_full());
        occupancy.vacate();
        assert!(!occupancy.is_full());
    }

    #[test]
    fn counts_stay_within_bounds() {
        let mut occupancy = Occupancy::NONE;
        occupancy.vacate();
        assert_eq!(occupancy.busy(), 0);
        occupancy.add_slot();
        occupancy.occupy();
        occupancy.occupy();
        assert_eq!((occupancy.busy(), occupancy.slots()), (1, 1));
    }

    #[test]
    fn a_dropped_guard_frees_its_slot_and_wakes_the_waiter() {
        let gate = SlotGate::new();
        gate.add_slot();
        let busy = gate.occupy();
        assert!(gate.occupancy().is_full());
        gate.changed.reset();
        drop(busy);
        assert!(!gate.occupancy().is_full());
        assert!(gate.changed.signaled());
    }

    #[test]
    fn until_returns_at_once_when_already_true_and_after_a_change_otherwise() {
        let gate = SlotGate::new();
        gate.add_slot();
        embassy_futures::block_on(gate.until(|o| !o.is_full()));
        let busy = gate.occupy();
        let mut waiting = core::pin::pin!(gate.until(|o| !o.is_full()));
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_pending());
        drop(busy);
        assert!(embassy_futures::poll_once(waiting.as_mut()).is_ready());
    }
}
