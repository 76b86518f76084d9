#![no_main]
// Period labels ("2024-Q3", "2024-9M", …): a label that parses prints back as
// one that parses to the same period; its neighbours and days are computable.
use libfuzzer_sys::fuzz_target;

use giaoban::domain::period::Period;

fuzz_target!(|data: &[u8]| {
    let Ok(label) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Period::parse(label) {
        assert_eq!(Period::parse(&p.label()).ok(), Some(p), "{label:?} → {:?}", p.label());
        assert!(p.first_day() <= p.last_day());
        let _ = (p.next(), p.prev(), p.same_period_last_year(), p.data_window(Some(14)));
        let _ = (p.name(true), p.name(false));
    }
});
