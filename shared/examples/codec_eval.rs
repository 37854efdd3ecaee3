//! Chunk codec evaluation (issue 13): pco (pcodec), the `tsz` Gorilla crate and two codecs of our
//! own, on the same data, for chunks of 1,000 and 10,000 points.
//!
//! For each data set, chunk size and codec it prints one markdown table row: bytes per point
//! (timestamps included, and the timestamps' share), encode and decode throughput over all chunks
//! (best of several runs), the time to decode one chunk in isolation (what a 100-point range query
//! pays), and whether decode(encode(x)) == x bit for bit. The own codecs live here only, for
//! comparison; the store's codec is built on the chosen one.
//!
//! Run: `cargo run --release -p tsfn-shared --example codec_eval`

use std::hint::black_box;
use std::time::Instant;

const N: usize = 1_000_000;
const CHUNK_SIZES: [usize; 3] = [1_000, 2_048, 10_000];
const RUNS: usize = 5;
/// pco's levels run 0-12; 8 is its default (pco::DEFAULT_COMPRESSION_LEVEL).
const PCO_LEVELS: [usize; 3] = [2, 8, 12];

// ---------------------------------------------------------------------------------------------
// Data

/// splitmix64: a fixed-seed generator, so every run measures the same points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1) with all 53 bits of precision.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform integer in [lo, hi].
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

struct Series {
    name: &'static str,
    t: Vec<i64>,
    v: Vec<f64>,
}

impl Series {
    fn new(name: &'static str, t: Vec<i64>, v: Vec<f64>) -> Self {
        Series { name, t, v }
    }
}

const T0: i64 = 1_700_000_000_000;

fn datasets() -> Vec<Series> {
    let mut rng = Rng(13);
    let regular: Vec<i64> = (0..N as i64).map(|i| T0 + i * 1000).collect();
    // (a) 1 s apart, a random walk from 100.0 with steps uniform in [-0.5, 0.5] kept to 4
    // decimals: the walk moves in integer units of 1e-4, and m / 1e4 is the double nearest to
    // the decimal, as parsing "123.4567" gives.
    let mut m = 1_000_000i64;
    let walk = (0..N)
        .map(|_| {
            m += rng.int(-5000, 5000);
            m as f64 / 1e4
        })
        .collect();
    // (a') what scripts/bench.sh loads today: a sine plus a saw tooth printed with "%.4f".
    let sine = (0..N)
        .map(|i| {
            format!(
                "{:.4}",
                (i as f64 / 500.0).sin() * 10.0 + (i % 7) as f64 * 0.1
            )
        })
        .map(|s| s.parse().unwrap())
        .collect();
    // (b) full-precision values: the worst case for every codec.
    let random = (0..N).map(|_| rng.unit() * 2000.0 - 1000.0).collect();
    // (c) a clock with +-100 ms of jitter, integer-valued readings.
    let jittered = (0..N as i64)
        .map(|i| T0 + i * 1000 + rng.int(-100, 100))
        .collect();
    let mut k = 500i64;
    let ints = (0..N)
        .map(|_| {
            k += rng.int(-10, 10);
            k as f64
        })
        .collect();
    // (d) edge values among random ones, at timestamps spread over years 0000-9999 (every
    // millisecond tsfn accepts), first and last included.
    let (t_min, t_max) = (-62_167_219_200_000i64, 253_402_300_799_999i64);
    let mut wide: Vec<i64> = (2..N).map(|_| rng.int(t_min, t_max)).collect();
    wide.extend([t_min, t_max]);
    wide.sort_unstable();
    wide.dedup();
    let specials = [
        -0.0,
        0.0,
        f64::from_bits(1), // the smallest subnormal
        -f64::from_bits(1),
        f64::from_bits((1 << 52) - 1), // the largest subnormal
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        1e300,
        -1e300,
    ];
    let edge = (0..wide.len())
        .map(|_| match rng.int(0, 3) {
            0 => rng.unit() * 100.0,
            _ => specials[(rng.next() % specials.len() as u64) as usize],
        })
        .collect();
    vec![
        Series::new("(a) walk, 4 decimals, 1 s", regular.clone(), walk),
        Series::new("(a') bench.sh sine, 4 decimals, 1 s", regular.clone(), sine),
        Series::new("(b) full-precision random, 1 s", regular, random),
        Series::new("(c) jittered ms, integer values", jittered, ints),
        Series::new("(d) edge values, years 0000-9999", wide, edge),
    ]
}

// ---------------------------------------------------------------------------------------------
// Codecs

/// A chunk codec: a time-ordered run of one series' points to bytes and back.
trait Codec {
    fn name(&self) -> String;
    /// The bytes, and how many of them hold the timestamps where the layout is columnar.
    fn encode(&self, t: &[i64], v: &[f64]) -> Result<(Vec<u8>, Option<usize>), String>;
    fn decode(&self, bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String>;
}

/// pco's standalone format, one blob per column, framed as the own codecs are (see `frame`).
/// `tuned_ts` sets the timestamps' mode and delta instead of letting pco search: on 1,000
/// regular timestamps its automatic mode costs 316 bytes where `Classic` takes 36.
struct Pco {
    level: usize,
    tuned_ts: bool,
}

impl Codec for Pco {
    fn name(&self) -> String {
        let tuned = ["", ", ts Classic + delta 1"][self.tuned_ts as usize];
        format!("pco level {}{tuned}", self.level)
    }
    fn encode(&self, t: &[i64], v: &[f64]) -> Result<(Vec<u8>, Option<usize>), String> {
        let config = pco::ChunkConfig::default().with_compression_level(self.level);
        let ts_config = match self.tuned_ts {
            true => (config.clone().with_mode_spec(pco::ModeSpec::Classic))
                .with_delta_spec(pco::DeltaSpec::TryConsecutive(1)),
            false => config.clone(),
        };
        let ts = pco::standalone::simple_compress(t, &ts_config).map_err(|e| e.to_string())?;
        let vs = pco::standalone::simple_compress(v, &config).map_err(|e| e.to_string())?;
        Ok(frame(t.len(), ts, vs))
    }
    fn decode(&self, bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String> {
        let (_, ts, vs) = unframe(bytes)?;
        let t = pco::standalone::simple_decompress::<i64>(ts).map_err(|e| e.to_string())?;
        let v = pco::standalone::simple_decompress::<f64>(vs).map_err(|e| e.to_string())?;
        Ok((t, v))
    }
}

/// The `tsz` crate (Gorilla as in the paper). Its times are u64, so the chunk's first timestamp
/// goes first as 8 bytes and tsz gets offsets from it. It casts each delta-of-delta to i32: a
/// change of gap beyond 2^31 ms (24.8 days) decodes wrong, with no error (data set (d)).
struct Tsz;

impl Codec for Tsz {
    fn name(&self) -> String {
        "tsz 0.1.4 (Gorilla)".into()
    }
    fn encode(&self, t: &[i64], v: &[f64]) -> Result<(Vec<u8>, Option<usize>), String> {
        use tsz::encode::{std_encoder::StdEncoder, Encode};
        let mut encoder = StdEncoder::new(0, tsz::stream::BufferedWriter::new());
        for (&ti, &vi) in t.iter().zip(v) {
            encoder.encode(tsz::DataPoint::new(ti.wrapping_sub(t[0]) as u64, vi));
        }
        let mut out = t[0].to_le_bytes().to_vec();
        out.extend(encoder.close().iter());
        Ok((out, None))
    }
    fn decode(&self, bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String> {
        use tsz::decode::{std_decoder::StdDecoder, Decode, Error};
        let (first, rest) = bytes.split_at_checked(8).ok_or("truncated")?;
        let first = i64::from_le_bytes(first.try_into().unwrap());
        let reader = tsz::stream::BufferedReader::new(rest.to_vec().into_boxed_slice());
        let mut decoder = StdDecoder::new(reader);
        let (mut t, mut v) = (Vec::new(), Vec::new());
        loop {
            match decoder.next() {
                Ok(p) => {
                    t.push(first.wrapping_add(p.get_time() as i64));
                    v.push(p.get_value());
                }
                Err(Error::EndOfStream) => return Ok((t, v)),
                Err(e) => return Err(format!("{e:?}")),
            }
        }
    }
}

/// Bits written most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u128,
    n: u32,
}

impl BitWriter {
    /// Writes the low `bits` bits of `value` (bits <= 64).
    fn put(&mut self, value: u64, bits: u32) {
        if bits == 0 {
            return;
        }
        let value = value & (u64::MAX >> (64 - bits));
        self.acc = (self.acc << bits) | value as u128;
        self.n += bits;
        if self.n >= 64 {
            self.n -= 64;
            self.out.extend(((self.acc >> self.n) as u64).to_be_bytes());
        }
    }
    fn finish(mut self) -> Vec<u8> {
        while self.n > 0 {
            let take = self.n.min(8);
            self.n -= take;
            self.out.push(((self.acc >> self.n) as u8) << (8 - take));
        }
        self.out
    }
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    /// Reads `bits` bits (<= 64); past the end it reads zeros, which `check` reports.
    fn get(&mut self, bits: u32) -> u64 {
        if bits == 0 {
            return 0;
        }
        let byte = self.pos / 8;
        let window = match self.data.get(byte..byte + 16) {
            Some(w) => u128::from_be_bytes(w.try_into().unwrap()),
            None => {
                let mut w = [0u8; 16];
                let tail = self.data.get(byte..).unwrap_or(&[]);
                w[..tail.len()].copy_from_slice(tail);
                u128::from_be_bytes(w)
            }
        };
        let value = ((window << (self.pos % 8)) >> (128 - bits)) as u64;
        self.pos += bits as usize;
        value
    }
    fn check(&self) -> Result<(), String> {
        match self.pos <= self.data.len() * 8 {
            true => Ok(()),
            false => Err("truncated".into()),
        }
    }
}

fn zigzag(x: i64) -> u64 {
    ((x << 1) ^ (x >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    (z >> 1) as i64 ^ -((z & 1) as i64)
}

/// Own codec 1, Gorilla as Facebook and Prometheus do it, in two columns:
/// timestamps as delta-of-delta in buckets of 0 / 14 / 17 / 20 / 64 bits (Prometheus' millisecond
/// buckets; wrapping arithmetic, so any i64 round-trips), then values XOR'd with the previous one
/// (reuse the previous leading/trailing-zero window, or send 6 + 6 bits for a new one).
/// Layout: [u32 LE count][u32 LE timestamp bytes][timestamps][values].
struct Gorilla;

fn put_dod_timestamps(t: &[i64]) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.put(t[0] as u64, 64);
    let (mut prev, mut prev_delta) = (t[0], 0i64);
    for &x in &t[1..] {
        let delta = x.wrapping_sub(prev);
        let z = zigzag(delta.wrapping_sub(prev_delta));
        match z {
            0 => w.put(0, 1),
            _ if z < 1 << 14 => w.put(0b10 << 14 | z, 16),
            _ if z < 1 << 17 => w.put(0b110 << 17 | z, 20),
            _ if z < 1 << 20 => w.put(0b1110 << 20 | z, 24),
            _ => {
                w.put(0b1111, 4);
                w.put(z, 64);
            }
        }
        (prev, prev_delta) = (x, delta);
    }
    w.finish()
}

fn get_dod_timestamps(r: &mut BitReader, n: usize) -> Vec<i64> {
    let mut t = Vec::with_capacity(n);
    let (mut prev, mut prev_delta) = (r.get(64) as i64, 0i64);
    t.push(prev);
    for _ in 1..n {
        let mut ones = 0;
        while ones < 4 && r.get(1) == 1 {
            ones += 1;
        }
        let dod = unzigzag(r.get([0, 14, 17, 20, 64][ones]));
        prev_delta = prev_delta.wrapping_add(dod);
        prev = prev.wrapping_add(prev_delta);
        t.push(prev);
    }
    t
}

fn put_xor_values(w: &mut BitWriter, v: &[f64]) {
    w.put(v[0].to_bits(), 64);
    let (mut prev, mut lead, mut trail) = (v[0].to_bits(), u32::MAX, 0);
    for x in &v[1..] {
        let bits = x.to_bits();
        let xor = bits ^ prev;
        prev = bits;
        if xor == 0 {
            w.put(0, 1);
        } else if lead != u32::MAX && xor.leading_zeros() >= lead && xor.trailing_zeros() >= trail {
            w.put(0b10, 2);
            w.put(xor >> trail, 64 - lead - trail);
        } else {
            (lead, trail) = (xor.leading_zeros(), xor.trailing_zeros());
            let significant = 64 - lead - trail;
            w.put(
                0b11 << 12 | (lead as u64) << 6 | (significant - 1) as u64,
                14,
            );
            w.put(xor >> trail, significant);
        }
    }
}

fn get_xor_values(r: &mut BitReader, n: usize) -> Vec<f64> {
    let mut v = Vec::with_capacity(n);
    let (mut prev, mut lead, mut trail) = (r.get(64), 0, 0);
    v.push(f64::from_bits(prev));
    for _ in 1..n {
        if r.get(1) == 1 {
            if r.get(1) == 1 {
                let header = r.get(12);
                lead = (header >> 6) as u32;
                trail = 64 - lead - (header & 63) as u32 - 1;
            }
            prev ^= r.get(64 - lead - trail) << trail;
        }
        v.push(f64::from_bits(prev));
    }
    v
}

/// [u32 LE count][u32 LE length of the timestamp section][timestamps][values]
fn frame(n: usize, ts: Vec<u8>, vs: Vec<u8>) -> (Vec<u8>, Option<usize>) {
    let mut out = Vec::with_capacity(8 + ts.len() + vs.len());
    out.extend((n as u32).to_le_bytes());
    out.extend((ts.len() as u32).to_le_bytes());
    out.extend(&ts);
    out.extend(&vs);
    (out, Some(8 + ts.len()))
}

/// The count and a bit reader on each column.
fn readers(bytes: &[u8]) -> Result<(usize, BitReader<'_>, BitReader<'_>), String> {
    let (n, ts, vs) = unframe(bytes)?;
    Ok((
        n,
        BitReader { data: ts, pos: 0 },
        BitReader { data: vs, pos: 0 },
    ))
}

fn unframe(bytes: &[u8]) -> Result<(usize, &[u8], &[u8]), String> {
    let word = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let (n, len) = (
        word(0).ok_or("truncated")?,
        word(4).ok_or("truncated")? as usize,
    );
    let (ts, vs) = bytes[8..].split_at_checked(len).ok_or("truncated")?;
    Ok((n as usize, ts, vs))
}

impl Codec for Gorilla {
    fn name(&self) -> String {
        "own Gorilla (dod + XOR)".into()
    }
    fn encode(&self, t: &[i64], v: &[f64]) -> Result<(Vec<u8>, Option<usize>), String> {
        let mut w = BitWriter::default();
        put_xor_values(&mut w, v);
        Ok(frame(t.len(), put_dod_timestamps(t), w.finish()))
    }
    fn decode(&self, bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String> {
        let (n, mut rt, mut rv) = readers(bytes)?;
        let (t, v) = (get_dod_timestamps(&mut rt, n), get_xor_values(&mut rv, n));
        rt.check()?;
        rv.check()?;
        Ok((t, v))
    }
}

/// Own codec 2, for decimal data: if some scale 10^k (k <= 12) turns every value of the chunk
/// into an integer m with m / 10^k giving back the very same bits, store the integers; otherwise
/// (full-precision values, -0.0, subnormals...) fall back to the XOR values above. Integers and
/// timestamps alike are stored as deltas, frame-of-reference bit-packed in blocks of 128: per
/// block its smallest delta and a bit width, then each delta minus that smallest one in that
/// width. Regular timestamps cost nothing past the first block header.
/// Layout: frame(count, timestamps, [scale k or 255 for XOR][values]).
struct Decimal;

const BLOCK: usize = 128;
const XOR_FALLBACK: u8 = 255;
/// Powers of ten written out, so they are exact.
const POW10: [f64; 13] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
];

fn decimal_scale(v: &[f64]) -> Option<(u8, Vec<i64>)> {
    'scale: for (k, &p) in POW10.iter().enumerate() {
        let mut ints = Vec::with_capacity(v.len());
        for &x in v {
            let m = (x * p).round();
            if m.abs() >= (1u64 << 53) as f64 || (m / p).to_bits() != x.to_bits() {
                continue 'scale;
            }
            ints.push(m as i64);
        }
        return Some((k as u8, ints));
    }
    None
}

/// First value raw, then the deltas by blocks.
fn put_delta_for(w: &mut BitWriter, x: &[i64]) {
    w.put(x[0] as u64, 64);
    let deltas: Vec<i64> = x.windows(2).map(|p| p[1].wrapping_sub(p[0])).collect();
    for block in deltas.chunks(BLOCK) {
        let min = *block.iter().min().unwrap();
        let width = 64
            - block
                .iter()
                .map(|d| d.wrapping_sub(min) as u64)
                .max()
                .unwrap()
                .leading_zeros();
        let z = zigzag(min);
        let min_width = 64 - z.leading_zeros();
        w.put(((min_width as u64) << 7) | width as u64, 14);
        w.put(z, min_width);
        for d in block {
            w.put(d.wrapping_sub(min) as u64, width);
        }
    }
}

fn get_delta_for(r: &mut BitReader, n: usize) -> Vec<i64> {
    let mut x = Vec::with_capacity(n);
    let mut prev = r.get(64) as i64;
    x.push(prev);
    while x.len() < n {
        let header = r.get(14);
        let (min_width, width) = ((header >> 7) as u32, (header & 127) as u32);
        let min = unzigzag(r.get(min_width));
        for _ in 0..BLOCK.min(n - x.len()) {
            prev = prev.wrapping_add(min.wrapping_add(r.get(width) as i64));
            x.push(prev);
        }
    }
    x
}

impl Codec for Decimal {
    fn name(&self) -> String {
        "own decimal (scale + delta + FOR)".into()
    }
    fn encode(&self, t: &[i64], v: &[f64]) -> Result<(Vec<u8>, Option<usize>), String> {
        let (mut wt, mut wv) = (BitWriter::default(), BitWriter::default());
        put_delta_for(&mut wt, t);
        match decimal_scale(v) {
            Some((k, ints)) => {
                wv.put(k as u64, 8);
                put_delta_for(&mut wv, &ints);
            }
            None => {
                wv.put(XOR_FALLBACK as u64, 8);
                put_xor_values(&mut wv, v);
            }
        }
        Ok(frame(t.len(), wt.finish(), wv.finish()))
    }
    fn decode(&self, bytes: &[u8]) -> Result<(Vec<i64>, Vec<f64>), String> {
        let (n, mut rt, mut rv) = readers(bytes)?;
        let t = get_delta_for(&mut rt, n);
        let v = match rv.get(8) as u8 {
            XOR_FALLBACK => get_xor_values(&mut rv, n),
            k => {
                let p = *POW10.get(k as usize).ok_or("bad scale")?;
                get_delta_for(&mut rv, n)
                    .into_iter()
                    .map(|m| m as f64 / p)
                    .collect()
            }
        };
        rt.check()?;
        rv.check()?;
        Ok((t, v))
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// The fastest of `runs` runs of `f`, in seconds.
fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Encodes the series chunk by chunk, decodes it, checks every bit, times it all, and returns
/// the table cells.
fn measure(codec: &dyn Codec, s: &Series, chunk: usize) -> Result<String, String> {
    let chunks: Vec<(&[i64], &[f64])> = s.t.chunks(chunk).zip(s.v.chunks(chunk)).collect();
    let encode_all = || {
        chunks
            .iter()
            .map(|(t, v)| codec.encode(t, v))
            .collect::<Result<Vec<_>, _>>()
    };
    let encoded = encode_all()?;
    for (i, ((bytes, _), (t, v))) in encoded.iter().zip(&chunks).enumerate() {
        let (dt, dv) = codec.decode(bytes).map_err(|e| format!("chunk {i}: {e}"))?;
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        if dt != *t || bits(&dv) != bits(v) {
            let same = |j: &usize| {
                dt.get(*j) == t.get(*j)
                    && dv.get(*j).map(|x| x.to_bits()) == v.get(*j).map(|x| x.to_bits())
            };
            let at = (0..t.len().max(dt.len())).find(|j| !same(j)).unwrap_or(0);
            return Err(format!("round trip differs in chunk {i} at point {at}"));
        }
    }
    let n = s.t.len() as f64;
    let total: usize = encoded.iter().map(|(b, _)| b.len()).sum();
    let ts_total: Option<usize> = encoded.iter().map(|(_, ts)| *ts).sum();
    let encode = best_of(RUNS, || {
        black_box(encode_all().unwrap());
    });
    let decode = best_of(RUNS, || {
        for (bytes, _) in &encoded {
            black_box(codec.decode(bytes).unwrap());
        }
    });
    // One chunk from the middle of the series decoded on its own, as a short range query does.
    let (one, _) = &encoded[encoded.len() / 2];
    let reps = (200_000 / chunk).max(10);
    let one_chunk = best_of(5, || {
        for _ in 0..reps {
            black_box(codec.decode(black_box(one)).unwrap());
        }
    }) / reps as f64;
    let ts = ts_total.map_or("-".into(), |b| format!("{:.3}", b as f64 / n));
    Ok(format!(
        "{:.3} | {ts} | {:.1} | {:.1} | {:.1} µs | ok",
        total as f64 / n,
        n / encode / 1e6,
        n / decode / 1e6,
        one_chunk * 1e6
    ))
}

/// pco decodes in batches of 256: the first batch of one column, without decoding the rest of
/// the chunk, which is what a short range query at the start of a chunk needs.
fn pco_first_batch<T: pco::data_types::Number>(src: &[u8]) -> pco::errors::PcoResult<Vec<T>> {
    use pco::standalone::{DecompressorItem, FileDecompressor};
    let (file, rest) = FileDecompressor::new(src)?;
    let mut out = vec![T::default(); pco::FULL_BATCH_N];
    if let DecompressorItem::Chunk(mut chunk) = file.chunk_decompressor::<T, _>(rest)? {
        let progress = chunk.read(&mut out)?;
        out.truncate(progress.n_processed);
    }
    Ok(out)
}

/// Per-chunk decode cost of the recommended pco configuration, whole chunk and first batch only.
fn pco_chunk_costs(s: &Series) {
    for chunk in CHUNK_SIZES {
        let mid = s.t.len() / 2;
        let (t, v) = (&s.t[mid..mid + chunk], &s.v[mid..mid + chunk]);
        let codec = Pco {
            level: 4,
            tuned_ts: true,
        };
        let (bytes, _) = codec.encode(t, v).unwrap();
        let (_, ts, vs) = unframe(&bytes).unwrap();
        let first = pco_first_batch::<i64>(ts).unwrap();
        assert_eq!(first[..], t[..first.len()]);
        let reps = 200_000 / chunk;
        let time = |f: &dyn Fn()| best_of(5, || (0..reps).for_each(|_| f())) / reps as f64 * 1e6;
        let whole = time(&|| {
            black_box(codec.decode(black_box(&bytes)).unwrap());
        });
        let batch = time(&|| {
            black_box(pco_first_batch::<i64>(black_box(ts)).unwrap());
            black_box(pco_first_batch::<f64>(black_box(vs)).unwrap());
        });
        println!(
            "- pco, {}, {chunk}-point chunk: whole chunk {whole:.1} µs, first 256 points only {batch:.1} µs",
            s.name
        );
    }
}

fn main() {
    let pco = |level, tuned_ts| Box::new(Pco { level, tuned_ts }) as Box<dyn Codec>;
    let mut codecs: Vec<Box<dyn Codec>> = PCO_LEVELS.iter().map(|&l| pco(l, false)).collect();
    codecs.extend([
        pco(8, true),
        pco(4, true),
        Box::new(Tsz),
        Box::new(Gorilla),
        Box::new(Decimal),
    ]);
    let sets = datasets();
    println!(
        "{N} points per data set, release build, best of {RUNS} runs; bytes per point include"
    );
    println!("the timestamps (\"of which ts\": their share); pco's default level is 8.\n");
    println!("| data | chunk | codec | bytes/point | of which ts | encode Mpt/s | decode Mpt/s | decode one chunk | round trip |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for s in &sets {
        for chunk in CHUNK_SIZES {
            for codec in &codecs {
                let head = format!("| {} | {chunk} | {} |", s.name, codec.name());
                match measure(codec.as_ref(), s, chunk) {
                    Ok(cells) => println!("{head} {cells} |"),
                    Err(e) => println!("{head} - | - | - | - | - | FAILS: {e} |"),
                }
            }
        }
    }
    println!();
    sets.iter().take(2).for_each(pco_chunk_costs);
}
