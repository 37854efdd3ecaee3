//! The conformance suite on independent route functions: cargo-lambda's emulator (`cargo lambda
//! watch`) serving every function as its own process, all on one SQLite file
//! (`support::emulator::sqlite`). One emulator for the whole run: the tests take turns on it,
//! each on a store emptied through the API first; jobs run through the worker function's
//! scheduled sweep event, as on AWS when no stream record arrives. The emulator is the gateway:
//! it answers paths and methods no function has, so `routing_errors` is ignored here.

mod sqlite {
    crate::conformance_tests!(behind_a_gateway crate::support::emulator::sqlite);
}
