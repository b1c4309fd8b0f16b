//! The urest host server (under construction).
