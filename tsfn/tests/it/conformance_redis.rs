//! The conformance suite on the Redis backend, each test against its own redis-server.

mod redis {
    crate::conformance_tests!(crate::support::Server::redis);
}
