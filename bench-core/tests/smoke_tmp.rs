use bench_core::ring::*;
#[test]
fn smoke() {
    for v in Variant::ALL { for cap in [Capacity::Rendezvous, Capacity::Bounded(3), Capacity::Unbounded] { for w in WaitStrategy::ALL {
        let cfg = RingConfig::new(cap).variant(*v).wait(*w).slot_size(16).unbounded_initial_slots(4);
        let (mut p, mut c) = pair(&cfg).unwrap();
        let t = std::thread::spawn(move || { for i in 0u64..200_000 { p.send(&i.to_le_bytes()).unwrap(); } p.stats() });
        let mut buf = [0u8; 16];
        for i in 0u64..200_000 { let n = c.recv(&mut buf).unwrap(); assert_eq!(n, 8); assert_eq!(u64::from_le_bytes(buf[..8].try_into().unwrap()), i); }
        let ps = t.join().unwrap();
        assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)));
        println!("{v} {cap} {w}: {ps:?} {:?}", c.stats());
    }}}
}
