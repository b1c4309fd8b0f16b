//! HTTP/1.1 front for urest nouns (under construction).
#![no_std]
