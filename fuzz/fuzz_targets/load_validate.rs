//! Fuzz target: arbitrary bytes as a guild file and as a tenant file, through load, validate
//! and render. Run: `cargo fuzz run load_validate` (see the README).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    tenantctl::fuzz::load_validate_render(bytes);
});
