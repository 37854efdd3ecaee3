//! Any bytes a store could hand back as a chunk: reading them is an error or some points,
//! never a panic, and a chunk that reads encodes back to a chunk with the same points.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsfn_shared::chunk::Chunk;

fuzz_target!(|data: &[u8]| {
    let Ok(chunk) = Chunk::from_bytes(data.to_vec()) else {
        return;
    };
    let Ok(points) = chunk.points() else {
        return;
    };
    let sorted = points.windows(2).all(|w| w[0].t < w[1].t);
    if sorted && !points.is_empty() {
        let again = Chunk::encode(&points);
        let back = again.points().expect("a chunk just encoded reads");
        assert_eq!(back.len(), points.len());
        for (a, b) in back.iter().zip(&points) {
            assert_eq!((a.t, a.v.to_bits()), (b.t, b.v.to_bits()));
        }
    }
});
