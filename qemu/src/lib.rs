//! What the QEMU test programs share: a panic or hard fault ends the run as
//! a failure that says why ([`fault`]'s handlers, linked into every program
//! that uses this crate), and [`stack`] measures how deep the stack went.
#![no_std]

mod fault;
pub mod stack;
