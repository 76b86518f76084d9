#![no_main]
// Formulas and rules from the config: any text parses or is refused with an
// error, never a panic or a stack overflow; a parsed formula evaluates.
use libfuzzer_sys::fuzz_target;

use giaoban::domain::formula::Formula;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(f) = Formula::parse(src) {
        let _ = f.names();
        let _ = f.check_names(&|n| n.len() < 8);
        let _ = f.value(&|n| Some(n.len() as f64 - 3.0));
        let _ = f.value(&|_| Some(0.0));
        let _ = f.holds(&|_| None);
        let _ = (f.require_condition(), f.require_quantity());
        let again = Formula::parse(f.source());
        assert!(again.is_ok(), "{src:?} parsed but its source did not");
    }
});
