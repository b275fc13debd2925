//! Signal processing: `DFT`, `STFT` and the window generators `HannWindow`,
//! `HammingWindow`, `BlackmanWindow`. Complex values are a trailing axis of
//! two (real, imaginary); transforms are matrix products (see [`fourier`]).

mod dft;
mod fourier;
mod stft;
mod windows;

use super::Converter;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("DFT", dft::convert).attrs(&["axis", "inverse", "onesided"]).since(17),
    Converter::new("STFT", stft::convert).attrs(&["onesided"]).since(17),
    Converter::new("HannWindow", |ctx| windows::convert(ctx, windows::HANN))
        .attrs(&["output_datatype", "periodic"])
        .since(17)
        .check(windows::check),
    Converter::new("HammingWindow", |ctx| windows::convert(ctx, windows::HAMMING))
        .attrs(&["output_datatype", "periodic"])
        .since(17)
        .check(windows::check),
    Converter::new("BlackmanWindow", |ctx| windows::convert(ctx, windows::BLACKMAN))
        .attrs(&["output_datatype", "periodic"])
        .since(17)
        .check(windows::check),
];
