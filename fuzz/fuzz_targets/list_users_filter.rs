//! The `ListUsers` filter parser: any string is a filter, "no filter" or an
//! `InvalidParameterException`; a parsed filter names a searchable attribute.

#![no_main]

use cognate_core::filter::{self, SEARCHABLE};
use cognate_core::DomainError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match filter::parse(text) {
        Ok(None) => assert!(text.trim().is_empty(), "only a blank filter means none: {text:?}"),
        Ok(Some(f)) => {
            assert!(SEARCHABLE.contains(&f.attribute.as_str()), "{:?} is not searchable", f.attribute);
            assert!(text.contains(f.attribute.as_str()));
        }
        Err(DomainError::InvalidParameter(_)) => {}
        Err(other) => panic!("a filter error must be InvalidParameter, not {other:?}"),
    }
});
