//! The customer filter parser (the model's `members` tool, the TUI's members filter) on any
//! text: it answers with conditions or an error, never a panic, and conditions evaluate.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(conditions) = seglens::features::filter::parse(text) {
        for c in conditions {
            let n = c.number().unwrap_or(0.0);
            for x in [f64::NAN, -1.0, 0.0, 1e300, n] {
                let _ = c.holds_num(x, n);
            }
            let _ = c.holds_text(text);
        }
    }
});
