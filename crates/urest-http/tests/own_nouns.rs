//! Nouns of one's own, built from a typed state: a switch that changes at
//! once, a sensor a task feeds and a fan that ramps, served like the
//! built-in nouns.

mod support;

use embassy_futures::join::join;
use embassy_futures::select::{select, Either};
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use embedded_hal::digital::{OutputPin, PinState};
use embedded_hal_async::delay::DelayNs;
use serde_json::json;
use support::{empty_post, get, put, request, Rig};
use urest_core::controller::{Policy, RampConfig, Snapshot};
use urest_core::nouns::{Device, DeviceNoun, RampNoun, Ramped, SensorNoun};
use urest_core::ramp::{Level, LEVEL_MAX};
use urest_core::resource::Error;
use urest_core::time::Clock;
use urest_http::{Config, Noun, Server};
use urest_mock::{MockPin, MockPwm, PinLevel};

urest_core::state! {
    /// A relay's state.
    pub struct RelayState {
        /// whether the contacts are closed
        pub closed: bool,
        /// the contact rating to report, in amperes
        pub rating: u8 [range 1..=16],
        /// how many times the relay has closed
        pub cycles: u32 [read_only],
    }
}

struct Relay<P>(P);

impl<P: OutputPin> Device for Relay<P> {
    type State = RelayState;
    const KIND: &'static str = "relay";

    fn change(&mut self, from: &RelayState, to: &mut RelayState) -> Result<(), Error> {
        if to.closed != from.closed {
            let level = PinState::from(to.closed);
            self.0.set_state(level).map_err(|_| Error::Hardware)?;
            to.cycles += u32::from(to.closed);
        }
        Ok(())
    }

    fn toggle(state: &mut RelayState) {
        state.closed = !state.closed;
    }
}

fn detail(problem: &serde_json::Value) -> &str {
    problem["detail"].as_str().unwrap_or_default()
}

#[test]
fn a_device_noun_serves_its_typed_state_and_names_bad_keys() {
    let rig = Rig::new(Policy::Fifo);
    let level = PinLevel::new();
    let initial = RelayState {
        rating: 10,
        ..RelayState::default()
    };
    let relay: DeviceNoun<NoopRawMutex, _> = DeviceNoun::new(Relay(MockPin::new(&level)), initial);
    let nouns = [Noun {
        name: "relay",
        resource: &relay,
    }];
    let server = Server::new(&nouns, rig.sim.clock(), Config::default());
    let (_, replies) = rig.serve(&server, async |client| {
        let mut replies = Vec::new();
        for message in [
            put("/relay", r#"{"closed": true, "rating": 16}"#),
            get("/relay"),
            put("/relay", r#"{"closed": true}"#),
            put("/relay", r#"{"closed": 1, "rating": 16}"#),
            put("/relay", r#"{"closed": true, "rating": 17}"#),
            put("/relay", r#"{"closed": true, "rating": 16, "cycles": 0}"#),
            request("POST", "/relay", r#"{"colour": "red"}"#),
            empty_post("/relay"),
            request("POST", "/relay", r#"{"closed": true}"#),
            request("DELETE", "/relay", ""),
            get("/relay"),
            request("OPTIONS", "/relay", ""),
        ] {
            replies.push(client.request(message).await);
        }
        client.close();
        replies
    });
    assert_eq!(replies[0].status, 200);
    assert_eq!(
        replies[1].json(),
        json!({"closed": true, "rating": 16, "cycles": 1})
    );
    for (reply, key, accepts) in [
        (&replies[2], "rating", "required"),
        (&replies[3], "closed", "boolean"),
        (&replies[4], "rating", "1..=16"),
        (&replies[5], "cycles", "read-only"),
        (&replies[6], "colour", "unknown"),
    ] {
        let problem = reply.assert_problem(422);
        assert!(detail(&problem).contains(key), "{problem}");
        assert!(detail(&problem).contains(accepts), "{problem}");
    }
    assert_eq!(replies[7].status, 200, "an empty POST toggles: open");
    assert_eq!(replies[8].status, 200, "closes again: a second cycle");
    assert_eq!(replies[9].status, 200);
    // DELETE returns the writable keys to their defaults, not the counter.
    assert_eq!(
        replies[10].json(),
        json!({"closed": false, "rating": 0, "cycles": 2})
    );
    assert!(!level.is_high());
    let attributes = &replies[11].json()["attributes"];
    assert_eq!(attributes[0]["key"], "closed");
    assert_eq!(attributes[0]["doc"], "whether the contacts are closed");
    assert_eq!(attributes[2]["access"], "read-only", "{attributes}");
}

urest_core::state! {
    /// A thermometer's reading.
    pub struct Reading {
        /// temperature, in tenths of a degree Celsius
        pub decicelsius: i16 [read_only],
    }
}

#[test]
fn a_sensor_noun_shows_what_its_task_published_and_how_old_it_is() {
    let rig = Rig::new(Policy::Fifo);
    let sensor: SensorNoun<NoopRawMutex, Reading> = SensorNoun::new("thermometer");
    let nouns = [Noun {
        name: "room",
        resource: &sensor,
    }];
    let server = Server::new(&nouns, rig.sim.clock(), Config::default());
    let sim = rig.sim;
    // The task: a slow bus read (300 ms), then publish; every two seconds.
    let refresh = async {
        let mut delay = sim.delay();
        for decicelsius in [205, 215] {
            delay.delay_ms(300).await;
            sensor.publish(Reading { decicelsius }, sim.clock().now());
            delay.delay_ms(1_700).await;
        }
    };
    let (_, (_, replies)) = rig.serve(&server, async |client| {
        let clientele = async {
            let mut replies = vec![client.request(get("/room")).await];
            for wait_ms in [1_300, 1_500] {
                rig.sleep_ms(wait_ms).await;
                replies.push(client.request(get("/room")).await);
            }
            replies.push(client.request(put("/room", r#"{"decicelsius": 0}"#)).await);
            client.close();
            replies
        };
        join(refresh, clientele).await
    });
    assert_eq!(replies[0].json(), json!({}), "nothing read yet");
    assert_eq!(
        replies[1].json(),
        json!({"decicelsius": 205, "age_ms": 1_000})
    );
    assert_eq!(
        replies[2].json(),
        json!({"decicelsius": 215, "age_ms": 500})
    );
    replies[3].assert_problem(405);
}

urest_core::state! {
    /// A fan's state.
    pub struct FanState {
        /// the speed to reach, in percent
        pub speed: u8 [range 0..=100],
        /// the speed now, in percent
        pub current: u8 [read_only],
    }
}

struct Fan;

impl Ramped for Fan {
    type State = FanState;
    const KIND: &'static str = "fan";

    fn target(wanted: &FanState) -> Level {
        (u32::from(wanted.speed) * u32::from(LEVEL_MAX) / 100) as Level
    }

    fn state(now: &Snapshot) -> FanState {
        let max = u32::from(LEVEL_MAX);
        let percent = |level: Level| ((u32::from(level) * 100 + max / 2) / max) as u8;
        FanState {
            speed: percent(now.eventual),
            current: percent(now.level),
        }
    }
}

#[test]
fn a_ramped_noun_moves_through_its_controller_under_its_policy() {
    let rig = Rig::new(Policy::Fifo);
    let config = RampConfig {
        policy: Policy::Reject,
        ..RampConfig::FIFO_TEN_SECOND_FADE
    };
    let fan: RampNoun<NoopRawMutex, _, 2, Fan> =
        RampNoun::new(MockPwm::new(rig.recorder, 1_000), config);
    let nouns = [Noun {
        name: "fan",
        resource: &fan,
    }];
    let server = Server::new(&nouns, rig.sim.clock(), Config::default());
    let sim = rig.sim;
    let (_, replies) = rig.serve(&server, async |client| {
        let clientele = async {
            let mut replies = vec![client.request(put("/fan", r#"{"speed": 100}"#)).await];
            rig.sleep_ms(5_000).await;
            replies.push(client.request(get("/fan")).await);
            replies.push(client.request(put("/fan", r#"{"speed": 20}"#)).await);
            replies.push(client.request(put("/fan", r#"{"speed": 101}"#)).await);
            rig.sleep_ms(6_000).await;
            replies.push(client.request(get("/fan")).await);
            replies.push(client.request(request("OPTIONS", "/fan", "")).await);
            client.close();
            replies
        };
        let runner = async {
            let mut delay = sim.delay();
            fan.controller().run(sim.clock(), &mut delay).await
        };
        match select(clientele, runner).await {
            Either::First(replies) => replies,
            Either::Second(stopped) => panic!("the fan's runner stopped: {stopped:?}"),
        }
    });
    assert_eq!(replies[0].status, 202);
    assert_eq!(replies[1].json(), json!({"speed": 100, "current": 50}));
    let busy = replies[2].assert_problem(503);
    assert!(replies[2].header("retry-after").is_some(), "{busy}");
    let problem = replies[3].assert_problem(422);
    assert!(detail(&problem).contains("0..=100"), "{problem}");
    assert_eq!(replies[4].json(), json!({"speed": 100, "current": 100}));
    assert_eq!(replies[5].json()["policy"], "reject");
}
