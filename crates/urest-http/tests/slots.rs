//! A connection served in a shared slot: it makes way for a waiting client
//! when the rules of `SlotBoard` say so, and only then.

mod support;

use std::cell::RefCell;
use std::time::Duration;

use embassy_futures::join::join;
use support::{get, Client, Rig};
use urest_core::controller::Policy;
use urest_core::time::Clock as _;
use urest_http::{Admission, Slot, SlotBoard, SlotPolicy, SlotState};

type Board = SlotBoard<[SlotState; 1]>;

/// Slot 0 of a one-slot board, in the rig's virtual time.
struct OnlySlot<'r> {
    rig: &'r Rig,
    board: &'r RefCell<Board>,
}

impl Slot for OnlySlot<'_> {
    fn idle(&self) {
        self.board.borrow_mut().idle(0, self.rig.now());
    }
    fn head_started(&self) {
        self.board.borrow_mut().head_started(0, self.rig.now());
    }
    fn busy(&self) {
        self.board.borrow_mut().busy(0);
    }
    fn close_after_answer(&self) -> bool {
        self.board.borrow().close_after_answer(0, self.rig.now())
    }
    async fn yield_requested(&self) {
        // The front end applies the rules again as time passes, as the
        // host's accept loop does on its tick.
        loop {
            self.board.borrow_mut().rebalance(self.rig.now());
            if self.board.borrow().is_yielding(0) {
                return;
            }
            self.rig.sleep_ms(1).await;
        }
    }
}

/// A one-slot board whose slot is taken by the connection about to be
/// served.
fn taken_board(rig: &Rig) -> RefCell<Board> {
    let mut board = SlotBoard::new([SlotState::FREE; 1], SlotPolicy::default());
    assert_eq!(board.arrive(rig.sim.clock().now()), Admission::Serve(0));
    board.occupy(0, rig.now());
    RefCell::new(board)
}

/// Another client arrives after `after_ms` and finds the slot taken.
async fn newcomer(rig: &Rig, board: &RefCell<Board>, after_ms: u32) {
    rig.sleep_ms(after_ms).await;
    let admission = board.borrow_mut().arrive(rig.now());
    assert_eq!(admission, Admission::Wait);
}

fn serve<R>(
    rig: &Rig,
    board: &RefCell<Board>,
    script: impl AsyncFnOnce(&Client<'_>) -> R,
) -> (urest_http::ConnectionError<std::convert::Infallible>, R)
where
    R: std::fmt::Debug,
{
    let slot = OnlySlot { rig, board };
    let (served, result) = rig.serve_in(&rig.server(), &slot, 1024, 2048, script);
    (
        served.err().unwrap_or(urest_http::ConnectionError::Stalled),
        result,
    )
}

#[test]
fn an_idle_keep_alive_connection_makes_way_at_once() {
    let rig = Rig::new(Policy::Fifo);
    let board = taken_board(&rig);
    let (_, (first, closed_at)) = serve(&rig, &board, async |client| {
        let first = client.request(get("/led")).await;
        let (closed, ()) = join(client.closed_by_server(), newcomer(&rig, &board, 2_000)).await;
        assert!(closed, "the idle connection was closed");
        (first, rig.now())
    });
    assert_eq!(first.status, 200);
    assert_eq!(first.header("connection"), None, "nobody waited yet");
    let waited = closed_at.duration_since(urest_core::time::Instant::ZERO);
    assert!(
        waited < Duration::from_millis(2_010),
        "closed {waited:?} after the start, 2 s being when the newcomer came"
    );
}

#[test]
fn a_head_arriving_for_longer_than_the_policy_allows_is_408_when_someone_waits() {
    let rig = Rig::new(Policy::Fifo);
    let board = taken_board(&rig);
    let (_, (response, at)) = serve(&rig, &board, async |client| {
        client.send("GET /led HTTP/1.1\r\nHost: dev").await;
        let (response, ()) = join(client.response(), async {
            newcomer(&rig, &board, 100).await;
            // The head is young: nobody is asked yet.
            rig.sleep_ms(300).await;
            assert!(!board.borrow().is_yielding(0));
            rig.sleep_ms(200).await;
            board.borrow_mut().rebalance(rig.now());
        })
        .await;
        (response, rig.now())
    });
    let problem = response.assert_problem(408);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("another client"),
        "{problem}"
    );
    assert_eq!(response.header("connection"), Some("close"));
    assert!(
        at.duration_since(urest_core::time::Instant::ZERO) < Duration::from_millis(620),
        "answered at {at:?}"
    );
}

/// A request whose head arrives in two parts, `gap_ms` apart, while
/// another client arrives 10 ms after the first part: the answer, and
/// whether the server then closed the connection.
fn split_head_with_a_newcomer(gap_ms: u32) -> (support::Response, bool) {
    let rig = Rig::new(Policy::Fifo);
    let board = taken_board(&rig);
    let (_, result) = serve(&rig, &board, async |client| {
        client.send("GET /led HTTP/1.1\r\n").await;
        newcomer(&rig, &board, 10).await;
        rig.sleep_ms(gap_ms - 10).await;
        client.send("Host: dev\r\n\r\n").await;
        let response = client.response().await;
        let answered = rig.now();
        let closed = client.closed_by_server().await;
        let idle_for = rig.now().duration_since(answered);
        // Closed for the waiting client, not by the read timeout.
        (
            response,
            closed && idle_for <= SlotPolicy::DEFAULT_MIN_IDLE * 2,
        )
    });
    result
}

#[test]
fn a_connection_that_had_its_share_closes_after_its_answer_when_someone_waits() {
    let (response, closed) = split_head_with_a_newcomer(150);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(closed);
}

#[test]
fn a_connection_within_its_share_is_answered_normally_then_makes_way_when_idle() {
    let (response, closed) = split_head_with_a_newcomer(50);
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("connection"),
        None,
        "its share had not run out"
    );
    assert!(closed, "idle with a client waiting, it made way");
}

#[test]
fn a_connection_nobody_waits_for_keeps_its_slot() {
    let rig = Rig::new(Policy::Fifo);
    let board = taken_board(&rig);
    let (served, responses) = rig.serve_in(
        &rig.server(),
        &OnlySlot {
            rig: &rig,
            board: &board,
        },
        1024,
        2048,
        async |client| {
            let mut responses = Vec::new();
            for _ in 0..3 {
                responses.push(client.request(get("/led")).await);
                rig.sleep_ms(1_000).await;
            }
            client.close();
            responses
        },
    );
    assert_eq!(served, Ok(()));
    assert!(responses
        .iter()
        .all(|response| response.status == 200 && response.header("connection").is_none()));
}
