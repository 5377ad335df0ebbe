//! Any bytes from a "modem", cut into any chunks: the parser never panics,
//! and how the bytes are chunked never changes the events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simfleet::at::Parser;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else { return };
    let mut whole = Parser::with_max_line(64);
    whole.command_sent("AT+CMGL=4", &["+CMGL:"]);
    let expected = whole.parse(bytes);

    let mut chunked = Parser::with_max_line(64);
    chunked.command_sent("AT+CMGL=4", &["+CMGL:"]);
    let step = usize::from(cut % 16) + 1;
    let got: Vec<_> = bytes.chunks(step).flat_map(|c| chunked.parse(c)).collect();
    assert_eq!(got, expected);
});
