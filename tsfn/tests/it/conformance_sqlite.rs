//! The conformance suite on the embedded store: a SQLite file and SQLite in memory, each test
//! against a `tsfn serve` of its own in this process (`support::in_process`).

mod sqlite_file {
    crate::conformance_tests!(crate::support::in_process::sqlite_file);
}

mod sqlite_memory {
    crate::conformance_tests!(crate::support::in_process::sqlite_memory);
}
