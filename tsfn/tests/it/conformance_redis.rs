//! The conformance suite on the Redis backend, each test against its own redis-server and a
//! `tsfn serve` of its own in this process (`support::in_process`).

mod redis {
    crate::conformance_tests!(crate::support::in_process::redis);
}
