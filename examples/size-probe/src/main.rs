//! A size probe: the smallest program that serves urest nouns, so that its
//! flash and RAM are urest's own (scripts/measure.sh prints them).
//!
//! Two nouns (a simple LED on a pin and a fading PWM LED) served in four
//! connection slots, each with a 1 KiB request and a 1 KiB response buffer.
//! The "network" is a register read and written a byte at a time, the clock
//! is SysTick and the delay a busy loop: just enough for nothing to be
//! optimised away, with no executor (the four slots and the fading LED's
//! runner are joined in one future and polled by `block_on`), network stack
//! or logging.
#![no_std]
#![no_main]

use core::convert::Infallible;
use core::ptr::{read_volatile, write_volatile};

use cortex_m_rt::entry;
use embassy_futures::block_on;
use embassy_futures::join::join5;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_hal::pwm::{ErrorType as PwmErrorType, SetDutyCycle};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{ErrorType, Read, Write};
use panic_halt as _;
use urest_core::controller::RampConfig;
use urest_core::nouns::{PwmLed, SimpleLed};
use urest_core::time::{Clock, Instant};
use urest_http::{Buffers, Config, Noun, Server};

/// Where the probe's pretend peripherals live (never dereferenced on a real
/// chip: the probe is only measured).
const UART_DATA: *mut u32 = 0x4000_4000 as *mut u32;
const GPIO_OUT: *mut u32 = 0x4000_8000 as *mut u32;
const PWM_DUTY: *mut u32 = 0x4000_c000 as *mut u32;
const SYST_CVR: *const u32 = 0xE000_E018 as *const u32;

struct Pin;

impl PinErrorType for Pin {
    type Error = Infallible;
}

impl OutputPin for Pin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        // SAFETY: a pretend register; the probe never runs.
        unsafe { write_volatile(GPIO_OUT, 0) };
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        // SAFETY: as above.
        unsafe { write_volatile(GPIO_OUT, 1) };
        Ok(())
    }
}

struct Pwm;

impl PwmErrorType for Pwm {
    type Error = Infallible;
}

impl SetDutyCycle for Pwm {
    fn max_duty_cycle(&self) -> u16 {
        1000
    }

    fn set_duty_cycle(&mut self, duty: u16) -> Result<(), Infallible> {
        // SAFETY: as above.
        unsafe { write_volatile(PWM_DUTY, u32::from(duty)) };
        Ok(())
    }
}

/// Milliseconds from a free-running counter.
#[derive(Copy, Clone)]
struct Ticks;

impl Clock for Ticks {
    fn now(&self) -> Instant {
        // SAFETY: as above.
        let ticks = unsafe { read_volatile(SYST_CVR) };
        Instant::from_millis(u64::from(ticks))
    }
}

struct Spin;

impl DelayNs for Spin {
    async fn delay_ns(&mut self, ns: u32) {
        cortex_m::asm::delay(ns / 8);
    }
}

/// A connection that reads and writes one register.
struct Wire;

impl ErrorType for Wire {
    type Error = Infallible;
}

impl Read for Wire {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let Some(first) = buf.first_mut() else {
            return Ok(0);
        };
        // SAFETY: as above.
        *first = unsafe { read_volatile(UART_DATA) } as u8;
        Ok(1)
    }
}

impl Write for Wire {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &byte in buf {
            // SAFETY: as above.
            unsafe { write_volatile(UART_DATA, u32::from(byte)) };
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Lock tokens from a register the probe reads, standing in for a board's
/// random number generator: the code that draws and checks them is what is
/// measured, not their quality.
#[cfg(feature = "coordination-in-use")]
struct Rng;

#[cfg(feature = "coordination-in-use")]
impl urest_core::coord::Entropy for Rng {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<(), urest_core::coord::EntropyError> {
        const RNG_DATA: *const u32 = 0x4001_0000 as *const u32;
        for byte in bytes {
            *byte = unsafe { read_volatile(RNG_DATA) } as u8;
        }
        Ok(())
    }
}

const REQUEST: usize = 1024;
const RESPONSE: usize = 1024;

#[entry]
fn main() -> ! {
    static mut BUFFERS: [[u8; REQUEST + RESPONSE]; 4] = [[0; REQUEST + RESPONSE]; 4];

    let led: SimpleLed<CriticalSectionRawMutex, Pin> = match SimpleLed::new(Pin) {
        Ok(led) => led,
        Err(_) => cortex_m::asm::udf(),
    };
    let fade: PwmLed<CriticalSectionRawMutex, Pwm, 4> =
        PwmLed::new(Pwm, RampConfig::FIFO_TEN_SECOND_FADE);
    let nouns = [Noun::new("led0", &led), Noun::new("green_led0", &fade)];
    let server = Server::new(&nouns, Ticks, Config::default());
    #[cfg(feature = "access-in-use")]
    let server = {
        static TOKENS: [urest_http::Token<'static>; 1] = [urest_http::Token::change("probe")];
        static ACCESS: urest_http::Access<'static> = urest_http::Access::new()
            .with_tokens(&TOKENS)
            .with_hosts(&["probe.lan"]);
        server.with_access(&ACCESS)
    };
    #[cfg(feature = "coordination-in-use")]
    let coordination: urest_http::Coordination<Rng, 2> =
        match urest_http::Coordination::new(Rng, Default::default()) {
            Ok(coordination) => coordination,
            Err(_) => cortex_m::asm::udf(),
        };
    #[cfg(feature = "coordination-in-use")]
    let server = match server.with_coordination(&coordination) {
        Ok(server) => server,
        Err(_) => cortex_m::asm::udf(),
    };

    let [a, b, c, d] = BUFFERS;
    let (a_request, a_response) = a.split_at_mut(REQUEST);
    let (b_request, b_response) = b.split_at_mut(REQUEST);
    let (c_request, c_response) = c.split_at_mut(REQUEST);
    let (d_request, d_response) = d.split_at_mut(REQUEST);
    let mut a = Buffers::new(a_request, a_response);
    let mut b = Buffers::new(b_request, b_response);
    let mut c = Buffers::new(c_request, c_response);
    let mut d = Buffers::new(d_request, d_response);
    loop {
        let (mut w, mut x, mut y, mut z) = (Wire, Wire, Wire, Wire);
        let (mut sw, mut sx, mut sy, mut sz) = (Spin, Spin, Spin, Spin);
        let mut fader = Spin;
        // The runner is what fades the LED: a firmware always has it.
        let _ = block_on(join5(
            fade.controller().run(&Ticks, &mut fader),
            server.serve(&mut w, &mut sw, &mut a),
            server.serve(&mut x, &mut sx, &mut b),
            server.serve(&mut y, &mut sy, &mut c),
            server.serve(&mut z, &mut sz, &mut d),
        ));
    }
}
