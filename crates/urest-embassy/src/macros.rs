//! Task declarations: embassy tasks cannot be generic, so these macros
//! write the few concrete tasks a firmware needs for its own types.
//!
//! Both macros are thin: each task is one call of a plain function of this
//! crate ([`Fading::run_fades`](crate::Fading::run_fades),
//! [`Service::serve_slot`](crate::Service::serve_slot),
//! [`Service::waiting_room`](crate::Service::waiting_room)),
//! which a firmware can call from tasks of its own instead.

/// Declares an embassy task that applies the transitions of one slow noun
/// type: `fade_task!(name, NounType)` or
/// `fade_task!(name, NounType, pool_size = N)` for `N` nouns of that type.
///
/// The task takes `&'static NounType` and runs
/// [`Fading::run_fades`](crate::Fading::run_fades) on it; spawn it once per
/// noun. The firmware must depend on `embassy-executor`.
///
/// ```no_run
/// use embassy_executor::Spawner;
/// use urest_embassy::urest_core::nouns::PwmLed;
/// use urest_embassy::CriticalSectionRawMutex;
/// # use core::convert::Infallible;
/// # use embedded_hal::pwm::{ErrorType, SetDutyCycle};
/// # pub struct PwmOutput;
/// # impl ErrorType for PwmOutput { type Error = Infallible; }
/// # impl SetDutyCycle for PwmOutput {
/// #     fn max_duty_cycle(&self) -> u16 { 100 }
/// #     fn set_duty_cycle(&mut self, _: u16) -> Result<(), Infallible> { Ok(()) }
/// # }
///
/// type GreenLed = PwmLed<CriticalSectionRawMutex, PwmOutput, 8>;
///
/// urest_embassy::fade_task!(fade_green_led, GreenLed);
///
/// fn start(spawner: Spawner, led: &'static GreenLed) -> Result<(), embassy_executor::SpawnError> {
///     spawner.spawn(fade_green_led(led)?);
///     Ok(())
/// }
/// ```
#[macro_export]
macro_rules! fade_task {
    ($(#[$attribute:meta])* $visibility:vis $name:ident, $noun:ty $(,)?) => {
        $crate::fade_task!($(#[$attribute])* $visibility $name, $noun, pool_size = 1);
    };
    ($(#[$attribute:meta])* $visibility:vis $name:ident, $noun:ty, pool_size = $pool:tt $(,)?) => {
        $(#[$attribute])*
        /// Applies the transitions of one noun for ever (declared by
        /// `urest_embassy::fade_task!`).
        #[::embassy_executor::task(pool_size = $pool)]
        $visibility async fn $name(noun: &'static $noun) {
            $crate::Fading::run_fades(noun).await
        }
    };
}

/// Declares the HTTP tasks of a firmware in a module of their own:
/// `http_tasks!(http, slots = 4)`, or with the buffer sizes of each slot
/// given: `http_tasks!(http, slots = 4, socket = 1024, request = 2048,
/// response = 2048)` (defaults:
/// [`DEFAULT_SOCKET_BUFFER`](crate::DEFAULT_SOCKET_BUFFER),
/// [`DEFAULT_REQUEST_BUFFER`](crate::DEFAULT_REQUEST_BUFFER),
/// [`DEFAULT_RESPONSE_BUFFER`](crate::DEFAULT_RESPONSE_BUFFER)).
///
/// The module holds a `slot` task (a pool of `slots`), a `waiting_room` task,
/// and `spawn(spawner, service, stack)`, which spawns all of them for a
/// `&'static` [`Service`](crate::Service) on an embassy-net stack. RAM for
/// the slots is reserved statically, in the task pool: per slot, two socket
/// buffers plus the request and response buffers plus about a kilobyte of
/// state. The firmware must depend on `embassy-executor`.
///
/// ```no_run
/// use embassy_executor::Spawner;
/// use embassy_net::Stack;
/// use urest_embassy::Service;
///
/// urest_embassy::http_tasks!(http, slots = 4);
///
/// fn start(
///     spawner: Spawner,
///     service: &'static Service<'static>,
///     stack: Stack<'static>,
/// ) -> Result<(), embassy_executor::SpawnError> {
///     http::spawn(spawner, service, stack)
/// }
/// ```
#[macro_export]
macro_rules! http_tasks {
    ($visibility:vis $module:ident, slots = $slots:tt $(,)?) => {
        $crate::http_tasks!(
            $visibility $module,
            slots = $slots,
            socket = { $crate::DEFAULT_SOCKET_BUFFER },
            request = { $crate::DEFAULT_REQUEST_BUFFER },
            response = { $crate::DEFAULT_RESPONSE_BUFFER }
        );
    };
    (
        $visibility:vis $module:ident,
        slots = $slots:tt,
        socket = $socket:tt,
        request = $request:tt,
        response = $response:tt $(,)?
    ) => {
        /// The HTTP tasks of this firmware (declared by
        /// `urest_embassy::http_tasks!`).
        $visibility mod $module {
            /// One connection slot: serves one connection at a time, for
            /// ever.
            #[::embassy_executor::task(pool_size = $slots)]
            pub async fn slot(
                service: &'static $crate::Service<'static>,
                stack: $crate::embassy_net::Stack<'static>,
            ) {
                match service.serve_slot::<$socket, $request, $response>(stack).await {}
            }

            /// Holds a client that arrives while every slot is busy, until a
            /// slot frees for it or it has waited too long.
            #[::embassy_executor::task]
            pub async fn waiting_room(
                service: &'static $crate::Service<'static>,
                stack: $crate::embassy_net::Stack<'static>,
            ) {
                match service.waiting_room::<$socket, $request, $response>(stack).await {}
            }

            /// Spawns every slot and the waiting room.
            pub fn spawn(
                spawner: ::embassy_executor::Spawner,
                service: &'static $crate::Service<'static>,
                stack: $crate::embassy_net::Stack<'static>,
            ) -> ::core::result::Result<(), ::embassy_executor::SpawnError> {
                for _ in 0..$slots {
                    spawner.spawn(slot(service, stack)?);
                }
                spawner.spawn(waiting_room(service, stack)?);
                Ok(())
            }
        }
    };
}

/// The access rules of a firmware whose change token is set when it is
/// built: `Some` with one read-and-change token from the build-time
/// environment variable named (read with `option_env!` in the firmware's own
/// crate), or `None` when the variable is unset, for a board that answers
/// everyone. Pass it to
/// [`Service::with_optional_access`](crate::Service::with_optional_access).
///
/// ```
/// use urest_embassy::urest_http::{Config, Noun};
/// use urest_embassy::Service;
///
/// // Unset while the docs are built: the board answers everyone.
/// let access = urest_embassy::access_from_build_env!("UREST_DOC_EXAMPLE_TOKEN_UNSET");
/// assert!(access.is_none());
/// let nouns: [Noun<'_>; 0] = [];
/// let service = Service::new(&nouns, Config::default()).with_optional_access(access);
/// assert!(service.server().access().is_none());
/// ```
#[cfg(feature = "access")]
#[macro_export]
macro_rules! access_from_build_env {
    ($variable:literal) => {{
        const TOKEN: ::core::option::Option<&str> = ::core::option_env!($variable);
        static TOKENS: [$crate::urest_http::Token<'static>; 1] =
            [$crate::urest_http::Token::change(match TOKEN {
                ::core::option::Option::Some(token) => token,
                ::core::option::Option::None => "",
            })];
        static ACCESS: $crate::urest_http::Access<'static> =
            $crate::urest_http::Access::new().with_tokens(&TOKENS);
        match TOKEN {
            ::core::option::Option::Some(_) => ::core::option::Option::Some(&ACCESS),
            ::core::option::Option::None => ::core::option::Option::None,
        }
    }};
}
