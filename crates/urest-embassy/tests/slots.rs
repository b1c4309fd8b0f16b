//! urest-embassy's connection slots over a real embassy-net (smoltcp) TCP
//! stack: a board stack and a client stack joined by an in-memory Ethernet
//! wire, on embassy's std executor in real time. Then a client lock taken,
//! honoured and released through `Service::with_coordination`.
//!
//! One test drives every check in order, because embassy tasks live in
//! static pools that a second executor in the same process could not reuse.

use core::num::NonZeroU16;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use embassy_executor::{Executor, Spawner};
use embassy_net::tcp::TcpSocket;
use embassy_net::{IpAddress, IpEndpoint, Ipv4Address, Ipv4Cidr, Stack, StackResources};
use embassy_net_driver_channel as channel;
use embassy_net_driver_channel::driver::{HardwareAddress, LinkState};
use embassy_time::{with_timeout, Timer};
use static_cell::StaticCell;
use urest_core::coord::{CoordConfig, Entropy, EntropyError};
use urest_core::nouns::SimpleLed;
use urest_embassy::urest_http::{Config, Coordination, Noun, SlotPolicy};
use urest_embassy::{CriticalSectionRawMutex, Service, TURN_AWAY_RETRY_AFTER_SECS};

const MTU: usize = 1514;
const BOARD: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const CLIENT: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const PORT: u16 = 8080;
const SLOTS: usize = 2;
/// How long a client waits for a slot before it is answered 503.
const QUEUE_WAIT_MS: u64 = 500;

type Device = channel::Device<'static, MTU>;
type Led = SimpleLed<CriticalSectionRawMutex, Pin>;

/// A pin that is always happy; the LED's state is what the tests read.
struct Pin;
impl embedded_hal::digital::ErrorType for Pin {
    type Error = core::convert::Infallible;
}
impl embedded_hal::digital::OutputPin for Pin {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Unpredictable bytes without a dependency: std keys its hash maps from
/// the operating system's randomness (once per thread, then a fresh key
/// for each `RandomState`), and a keyed SipHash of nothing is a word no
/// client can guess. Enough for a test; a board uses its RNG.
struct OsEntropy;
impl Entropy for OsEntropy {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in bytes.chunks_mut(8) {
            let word = RandomState::new().build_hasher().finish().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        Ok(())
    }
}

urest_embassy::http_tasks!(http, slots = 2);

#[embassy_executor::task(pool_size = 2)]
async fn run_stack(mut runner: embassy_net::Runner<'static, Device>) {
    runner.run().await
}

/// Carries every frame one side sends to the other side, for ever.
#[embassy_executor::task(pool_size = 2)]
async fn carry(mut from: channel::TxRunner<'static, MTU>, mut to: channel::RxRunner<'static, MTU>) {
    loop {
        let frame = from.tx_buf().await;
        let room = to.rx_buf().await;
        let len = frame.len().min(room.len());
        room[..len].copy_from_slice(&frame[..len]);
        to.rx_done(len);
        from.tx_done();
    }
}

fn stack(
    spawner: Spawner,
    device: Device,
    address: Ipv4Address,
    resources: &'static mut StackResources<8>,
    seed: u64,
) -> Stack<'static> {
    let config = embassy_net::Config::ipv4_static(embassy_net::StaticConfigV4 {
        address: Ipv4Cidr::new(address, 24),
        gateway: None,
        dns_servers: heapless::Vec::new(),
    });
    let (stack, runner) = embassy_net::new(device, config, resources, seed);
    spawner.spawn(run_stack(runner).expect("stack task"));
    stack
}

/// Two stacks on one wire: the board's (serving) and a client's.
fn network(spawner: Spawner) -> (Stack<'static>, Stack<'static>) {
    static BOARD_CHANNEL: StaticCell<channel::State<MTU, 8, 8>> = StaticCell::new();
    static CLIENT_CHANNEL: StaticCell<channel::State<MTU, 8, 8>> = StaticCell::new();
    static BOARD_RESOURCES: StaticCell<StackResources<8>> = StaticCell::new();
    static CLIENT_RESOURCES: StaticCell<StackResources<8>> = StaticCell::new();
    let mac = |last| HardwareAddress::Ethernet([0x02, 0, 0, 0, 0, last]);
    let (board_runner, board_device) =
        channel::new(BOARD_CHANNEL.init(channel::State::new()), mac(1));
    let (client_runner, client_device) =
        channel::new(CLIENT_CHANNEL.init(channel::State::new()), mac(2));
    let (board_state, board_rx, board_tx) = board_runner.split();
    let (client_state, client_rx, client_tx) = client_runner.split();
    board_state.set_link_state(LinkState::Up);
    client_state.set_link_state(LinkState::Up);
    spawner.spawn(carry(board_tx, client_rx).expect("wire task"));
    spawner.spawn(carry(client_tx, board_rx).expect("wire task"));
    let board = stack(
        spawner,
        board_device,
        BOARD,
        BOARD_RESOURCES.init(StackResources::new()),
        1,
    );
    let client = stack(
        spawner,
        client_device,
        CLIENT,
        CLIENT_RESOURCES.init(StackResources::new()),
        2,
    );
    (board, client)
}

/// A client connection with its own buffers.
struct Client {
    rx: [u8; 2048],
    tx: [u8; 1024],
}

impl Client {
    const fn new() -> Self {
        Client {
            rx: [0; 2048],
            tx: [0; 1024],
        }
    }

    async fn connect(&mut self, stack: Stack<'static>) -> TcpSocket<'_> {
        let mut socket = TcpSocket::new(stack, &mut self.rx, &mut self.tx);
        let board = IpEndpoint::new(IpAddress::Ipv4(BOARD), PORT);
        with_timeout(embassy_time::Duration::from_secs(5), socket.connect(board))
            .await
            .expect("connect timed out")
            .expect("connect failed");
        socket
    }
}

async fn send(socket: &mut TcpSocket<'_>, request: &str) {
    use embedded_io_async::Write as _;
    socket.write_all(request.as_bytes()).await.expect("write");
    socket.flush().await.expect("flush");
}

/// Reads until the board closes its side; fails if it does not within 5 s.
async fn read_to_close(socket: &mut TcpSocket<'_>) -> String {
    let mut answer = Vec::new();
    let mut piece = [0u8; 512];
    loop {
        let read = with_timeout(
            embassy_time::Duration::from_secs(5),
            socket.read(&mut piece),
        )
        .await
        .expect("the board did not close the connection within 5 s")
        .expect("read failed");
        if read == 0 {
            return String::from_utf8(answer).expect("UTF-8 answer");
        }
        answer.extend_from_slice(&piece[..read]);
    }
}

/// Reads one response whose body is `Content-Length` long.
async fn read_response(socket: &mut TcpSocket<'_>) -> String {
    let mut answer = Vec::new();
    let mut piece = [0u8; 512];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .and_then(|value| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if answer.len() >= end + 4 + length {
                return text;
            }
        }
        let read = with_timeout(
            embassy_time::Duration::from_secs(5),
            socket.read(&mut piece),
        )
        .await
        .expect("no response within 5 s")
        .expect("read failed");
        assert_ne!(read, 0, "closed before the response was whole: {text:?}");
        answer.extend_from_slice(&piece[..read]);
    }
}

/// Closes our side, waits until it has left, and reads until the board
/// closes its side too; dropping an embassy-net socket right after `close()`
/// would lose the FIN.
async fn hang_up(mut socket: TcpSocket<'_>) {
    socket.close();
    socket.flush().await.expect("flush the FIN");
    let rest = read_to_close(&mut socket).await;
    assert_eq!(rest, "", "nothing more after hanging up");
}

async fn until_busy(service: &Service<'_>, busy: u16) {
    for _ in 0..500 {
        if service.occupancy().busy() == busy {
            return;
        }
        Timer::after_millis(10).await;
    }
    panic!(
        "the board never had {busy} busy slots: {:?}",
        service.occupancy()
    );
}

async fn checks(spawner: Spawner) {
    static LED: StaticCell<Led> = StaticCell::new();
    static NOUNS: StaticCell<[Noun<'static>; 1]> = StaticCell::new();
    static COORDINATION: StaticCell<Coordination<OsEntropy, 1>> = StaticCell::new();
    static SERVICE: StaticCell<Service<'static>> = StaticCell::new();
    let led: &'static Led = LED.init(SimpleLed::new(Pin).expect("pin"));
    let nouns = NOUNS.init([Noun {
        name: "led0",
        resource: led,
    }]);
    let config = Config {
        read_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let port = NonZeroU16::new(PORT).expect("non-zero port");
    let policy = SlotPolicy {
        queue_wait: Duration::from_millis(QUEUE_WAIT_MS),
        ..SlotPolicy::default()
    };
    let coordination = Coordination::new(OsEntropy, CoordConfig::default()).expect("entropy");
    let service: &'static Service<'static> = SERVICE.init(
        Service::new(nouns, config)
            .with_port(port)
            .with_slot_policy(policy)
            .with_coordination(COORDINATION.init(coordination))
            .expect("a place for every noun"),
    );
    let (board, client) = network(spawner);
    http::spawn(spawner, service, board).expect("spawn the HTTP tasks");
    Timer::after_millis(50).await;
    assert_eq!(
        usize::from(service.occupancy().slots()),
        SLOTS,
        "every slot registers"
    );

    // One request, then the board closes: the answer and then the FIN arrive.
    let mut one = Client::new();
    let mut socket = one.connect(client).await;
    send(&mut socket, "PUT /led0 HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"led\":1}").await;
    let answer = read_to_close(&mut socket).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("{\"led\":1}"), "{answer}");
    assert!(led.is_on());
    hang_up(socket).await;
    until_busy(service, 0).await;

    // Keep-alive: two requests on one connection, the slot held between.
    let mut kept = Client::new();
    let mut socket = kept.connect(client).await;
    send(&mut socket, "GET /led0 HTTP/1.1\r\nHost: board\r\n\r\n").await;
    let first = read_response(&mut socket).await;
    assert!(
        first.starts_with("HTTP/1.1 200 OK\r\n") && first.ends_with("{\"led\":1}"),
        "{first}"
    );
    assert_eq!(service.occupancy().busy(), 1);
    send(
        &mut socket,
        "POST /led0 HTTP/1.1\r\nHost: board\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let second = read_response(&mut socket).await;
    assert!(
        second.ends_with("{\"led\":0}"),
        "an empty POST toggles: {second}"
    );

    // Both slots taken (the kept connection, idle since its answer, and an
    // idle one): the next client waits in the waiting room, the connection
    // idle longest makes way at once, and the client is served.
    let mut idle = Client::new();
    let idle_socket = idle.connect(client).await;
    until_busy(service, 2).await;
    assert!(service.occupancy().is_full());
    let mut late = Client::new();
    let mut waited = late.connect(client).await;
    send(&mut waited, "GET /led0 HTTP/1.1\r\nHost: board\r\n\r\n").await;
    let served = read_to_close(&mut waited).await;
    assert!(served.starts_with("HTTP/1.1 200 OK\r\n"), "{served}");
    assert!(served.contains("\r\nConnection: close\r\n"), "{served}");
    hang_up(waited).await;
    let made_way = read_to_close(&mut socket).await;
    assert_eq!(
        made_way, "",
        "the longest-idle connection was closed, unanswered"
    );
    hang_up(socket).await;
    hang_up(idle_socket).await;
    until_busy(service, 0).await;

    // Both slots busy with requests whose bodies never come: a waiting
    // client is answered 503 with Retry-After once the wait bound passes,
    // and only after it sent its request.
    let mut first = Client::new();
    let mut second = Client::new();
    let mut busy = [first.connect(client).await, second.connect(client).await];
    for socket in &mut busy {
        send(socket, "PUT /led0 HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{").await;
    }
    until_busy(service, 2).await;
    let mut late = Client::new();
    let mut turned_away = late.connect(client).await;
    let asked_at = embassy_time::Instant::now();
    send(
        &mut turned_away,
        "GET /led0 HTTP/1.1\r\nHost: board\r\n\r\n",
    )
    .await;
    let refusal = read_to_close(&mut turned_away).await;
    let waited = asked_at.elapsed();
    assert!(
        refusal.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{refusal}"
    );
    assert!(
        refusal.contains(&format!(
            "\r\nRetry-After: {TURN_AWAY_RETRY_AFTER_SECS}\r\n"
        )),
        "{refusal}"
    );
    assert!(refusal.contains("\r\nConnection: close\r\n"), "{refusal}");
    assert!(
        waited >= embassy_time::Duration::from_millis(QUEUE_WAIT_MS),
        "answered after {waited:?}, before the wait bound"
    );
    hang_up(turned_away).await;
    let [first_busy, second_busy] = busy;
    hang_up(first_busy).await;
    hang_up(second_busy).await;

    // A slot frees: the next client is served, not turned away.
    until_busy(service, 0).await;
    let mut next = Client::new();
    let mut socket = next.connect(client).await;
    send(
        &mut socket,
        "GET /led0 HTTP/1.1\r\nHost: board\r\nConnection: close\r\n\r\n",
    )
    .await;
    let served = read_to_close(&mut socket).await;
    assert!(
        served.starts_with("HTTP/1.1 200 OK\r\n"),
        "a freed slot serves: {served}"
    );
    hang_up(socket).await;
    until_busy(service, 0).await;

    // Client locks through the service: taken (201 and a token), a change
    // without the token refused (423), one with it made, then released.
    let mut holder = Client::new();
    let mut socket = holder.connect(client).await;
    send(
        &mut socket,
        "POST /led0/lock HTTP/1.1\r\nHost: board\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let granted = read_response(&mut socket).await;
    assert!(granted.starts_with("HTTP/1.1 201 Created\r\n"), "{granted}");
    let token = granted
        .lines()
        .find_map(|line| line.strip_prefix("Lock-Token: "))
        .expect("a Lock-Token")
        .trim()
        .to_string();
    assert_eq!(token.len(), 32, "{granted}");
    let put = |token: Option<&str>| {
        let header = token.map_or(String::new(), |token| format!("Lock-Token: {token}\r\n"));
        format!("PUT /led0 HTTP/1.1\r\nHost: board\r\n{header}Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{{\"led\":1}}")
    };
    send(&mut socket, &put(None)).await;
    let refused = read_response(&mut socket).await;
    assert!(refused.starts_with("HTTP/1.1 423 Locked\r\n"), "{refused}");
    send(&mut socket, &put(Some(&token))).await;
    let made = read_response(&mut socket).await;
    assert!(made.starts_with("HTTP/1.1 200 OK\r\n"), "{made}");
    send(
        &mut socket,
        &format!("DELETE /led0/lock HTTP/1.1\r\nHost: board\r\nLock-Token: {token}\r\n\r\n"),
    )
    .await;
    let released = read_response(&mut socket).await;
    assert!(released.starts_with("HTTP/1.1 204 "), "{released}");
    send(&mut socket, &put(None)).await;
    let open = read_response(&mut socket).await;
    assert!(open.starts_with("HTTP/1.1 200 OK\r\n"), "{open}");
}

#[test]
fn slots_serve_keep_alive_make_way_for_a_waiting_client_and_answer_503_only_after_the_wait() {
    let (done, finished) = mpsc::channel::<Result<(), String>>();
    thread::spawn(move || {
        static EXECUTOR: StaticCell<Executor> = StaticCell::new();
        let executor = EXECUTOR.init(Executor::new());
        executor.run(move |spawner| {
            spawner.spawn(run_checks(spawner, done).expect("checks task"));
        });
    });
    match finished.recv_timeout(Duration::from_secs(120)) {
        Ok(Ok(())) => {}
        Ok(Err(why)) => panic!("{why}"),
        Err(_) => panic!("the checks did not finish within 120 s"),
    }
}

#[embassy_executor::task]
async fn run_checks(spawner: Spawner, done: mpsc::Sender<Result<(), String>>) {
    use futures_util::FutureExt as _;
    let outcome = std::panic::AssertUnwindSafe(checks(spawner))
        .catch_unwind()
        .await
        .map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a check panicked".to_string())
        });
    let _ = done.send(outcome);
}
