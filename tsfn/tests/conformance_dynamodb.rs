//! The conformance suite on the DynamoDB backend, against moto's server mode, each test with
//! tables of its own.

mod conformance;
mod support;

mod dynamodb {
    crate::conformance_tests!(crate::support::Server::dynamodb);
}
