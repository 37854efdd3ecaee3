//! The conformance suite on the embedded store: a SQLite file and SQLite in memory.

mod sqlite_file {
    crate::conformance_tests!(crate::support::Server::sqlite_file);
}

mod sqlite_memory {
    crate::conformance_tests!(crate::support::Server::sqlite_memory);
}
