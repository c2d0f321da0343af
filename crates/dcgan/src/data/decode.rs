//! Decoding an image of outside origin (a file of a `folder:` source, a record of an LMDB
//! environment) with the image crate's decoders, the size its header claims checked against
//! the bytes it came in before any pixel is decoded.
//!
//! A decoder trusts the width and height in a header: it allocates that many pixels and pads
//! what the data does not cover. A 679-byte JPEG that claims 65285 x 249 pixels (found by
//! fuzzing the LSUN reader) decodes into 48 MB of grey, in seconds. Where a format's coding
//! puts a floor under the bits per pixel, a claim past that floor is refused as damaged:
//!
//! - JPEG (Huffman-coded; the image crate decodes no arithmetic coding): a full-resolution
//!   component codes the DC coefficient of each of its 8x8 blocks with at least one bit, so
//!   `width * height <= 512 * bytes`. A truncated file fails it too (decoders would fill the
//!   rest with grey), which is what a training set wants.
//! - PNG: every pixel takes at least one bit of the rows that are deflated, and deflate
//!   compresses at most 1032:1, so `width * height <= 8 * 1032 * bytes`.
//! - GIF: an LZW code is at most 12 bits and stands for at most 4096 pixels (the table's
//!   longest string), so a frame has `width * height <= 4096 * 8 / 12 * bytes`. The decoder
//!   allocates the logical screen, which the frame need not cover; a screen larger than the
//!   bytes could fill is refused too (a 124-byte GIF whose screen claimed 10778 x 7169 took 5 s
//!   and 310 MB, found by fuzzing the `image` target).
//! - BMP: an uncompressed row spends at least a bit a pixel, and an RLE run codes at most 255
//!   pixels in 2 bytes, so `width * height <= 255 / 2 * bytes`. RLE's escapes can also skip
//!   pixels (left undefined) at a few bytes a row; an image made mostly of skipped pixels is
//!   refused as no training image (a 1.4 KB RLE8 bitmap claimed 1030 x 8452, found by fuzzing).
//! - PNM: the raw bitmap (P4) packs 8 pixels a byte, every other kind takes more.
//! - TIFF: of its codings the decoder reads, LZW stands for at most 4096 bytes of 1-bit samples
//!   in a 12-bit code, so `width * height <= 4096 * 8 * 8 / 12 * bytes`; deflate and PackBits
//!   code less. CCITT fax coding can code a blank row in a bit; a fax page past that is
//!   refused as no training image.
//!
//! WebP's lossless coding can spend no bit at all on a pixel (a prefix code of one symbol), so
//! it has no floor; it, and every claim, is held to the decoded size limit
//! ([`MAX_DECODED_BYTES`], the image crate's default).

use std::io::{BufRead, Seek};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

/// How many times longer than wide (or wide than long) an image may be: a training image is
/// scaled until its short side fits the model, so a 1 x 2^28 strip would be scaled to terabytes
/// before its centre is cut out (found by fuzzing the `image` target).
pub(crate) const MAX_ASPECT: u64 = 64;

/// The most bytes one decoded image may take.
pub(crate) const MAX_DECODED_BYTES: u64 = 512 << 20;

/// Decodes the image `reader` holds (its format set), which came in `len` bytes.
pub(crate) fn decode<R: BufRead + Seek>(
    reader: ImageReader<R>,
    len: u64,
) -> Result<DynamicImage, String> {
    let format = reader.format();
    let decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let (width, height) = decoder.dimensions();
    plausible(format, width, height, len)?;
    let (long, short) = (width.max(height) as u64, width.min(height) as u64);
    if long > MAX_ASPECT * short {
        return Err(format!(
            "{width}x{height} pixels: more than {MAX_ASPECT} times as long as it is wide, which \
             no training image is (it is scaled by its short side before its centre is cut out)"
        ));
    }
    let bytes = decoder.total_bytes();
    if bytes > MAX_DECODED_BYTES {
        return Err(too_large(width, height, bytes));
    }
    DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())
}

/// Refuses a `width` x `height` claim that `len` bytes of `format` cannot encode.
pub(crate) fn plausible(
    format: Option<ImageFormat>,
    width: u32,
    height: u32,
    len: u64,
) -> Result<(), String> {
    // The most pixels `bytes` bytes can code: `pixels` per `bytes`, and why.
    let (name, pixels, bytes, why) = match format {
        Some(ImageFormat::Jpeg) => ("JPEG", 512, 1, "at least one bit per 8x8 block"),
        Some(ImageFormat::Png) => (
            "PNG",
            8 * 1032,
            1,
            "at least one bit per pixel, deflated at most 1032:1",
        ),
        Some(ImageFormat::Gif) => (
            "GIF",
            4096 * 8,
            12,
            "at most 4096 pixels per 12-bit LZW code",
        ),
        Some(ImageFormat::Bmp) => ("BMP", 255, 2, "at most 255 pixels per 2-byte run"),
        Some(ImageFormat::Pnm) => ("PNM", 8, 1, "at least one bit per pixel"),
        Some(ImageFormat::Tiff) => (
            "TIFF",
            4096 * 8 * 8,
            12,
            "at most 4096 bytes of 1-bit pixels per 12-bit LZW code",
        ),
        _ => return Ok(()),
    };
    if width as u128 * height as u128 * bytes > pixels * len as u128 {
        return Err(format!(
            "its header claims {width}x{height} pixels, more than {len} bytes of {name} can \
             encode ({why}): truncated or damaged"
        ));
    }
    Ok(())
}

/// The error for an image of `bytes` decoded bytes, past [`MAX_DECODED_BYTES`].
pub(crate) fn too_large(width: u32, height: u32, bytes: u64) -> String {
    format!(
        "{width}x{height} pixels decode to {} MiB, more than the {} MiB one image may take",
        bytes >> 20,
        MAX_DECODED_BYTES >> 20
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 13) as u8, ((x + y) * 3) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn decode_bytes(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, String> {
        decode(
            ImageReader::with_format(Cursor::new(bytes), format),
            bytes.len() as u64,
        )
    }

    /// Sets the height and width a baseline JPEG's SOF0 segment claims.
    fn claim_jpeg(bytes: &mut [u8], width: u16, height: u16) {
        let sof = bytes.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        bytes[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    }

    #[test]
    fn real_images_decode_as_the_image_crate_decodes_them() {
        for format in [
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::Bmp,
            ImageFormat::Gif,
            ImageFormat::Pnm,
            ImageFormat::Tiff,
        ] {
            let bytes = encoded(format, 37, 23);
            let ours = decode_bytes(&bytes, format).unwrap();
            let theirs = image::load_from_memory_with_format(&bytes, format).unwrap();
            assert_eq!(ours.as_bytes(), theirs.as_bytes(), "{format:?}");
        }
    }

    #[test]
    fn a_strip_longer_than_the_aspect_limit_is_refused_before_decoding() {
        let ok = encoded(ImageFormat::Bmp, 128, 2);
        assert!(decode_bytes(&ok, ImageFormat::Bmp).is_ok());
        let strip = encoded(ImageFormat::Bmp, 2, 129);
        let e = decode_bytes(&strip, ImageFormat::Bmp).unwrap_err();
        assert!(e.contains("2x129 pixels") && e.contains("64 times"), "{e}");
    }

    #[test]
    fn a_claim_the_bytes_cannot_encode_is_refused_before_decoding() {
        let mut jpeg = encoded(ImageFormat::Jpeg, 16, 16);
        let len = jpeg.len() as u64;
        // The floor: 512 pixels a byte.
        let jpeg_format = Some(ImageFormat::Jpeg);
        assert!(plausible(jpeg_format, 512, len as u32, len).is_ok());
        assert!(plausible(jpeg_format, 512, len as u32 + 1, len).is_err());
        // Past it: refused before decoding, saying what was claimed and in how many bytes.
        claim_jpeg(&mut jpeg, 65285, 249);
        let e = decode_bytes(&jpeg, ImageFormat::Jpeg).unwrap_err();
        assert!(
            e.contains("header claims 65285x249 pixels")
                && e.contains(&format!("{len} bytes of JPEG")),
            "{e}"
        );
        // A truncated JPEG, cut 20 bytes into its first scan.
        let whole = encoded(ImageFormat::Jpeg, 2048, 2048);
        let sos = whole.windows(2).position(|w| w == [0xff, 0xda]).unwrap();
        let cut = &whole[..sos + 20];
        let e = decode_bytes(cut, ImageFormat::Jpeg).unwrap_err();
        assert!(e.contains("2048x2048"), "{e}");
        assert!(decode_bytes(&whole, ImageFormat::Jpeg).is_ok());
        // PNG: 8 * 1032 pixels a byte.
        let png = Some(ImageFormat::Png);
        assert!(plausible(png, 8 * 1032, 300, 300).is_ok());
        assert!(plausible(png, 8 * 1032, 301, 300).is_err());
        // GIF: 4096 pixels per 12 bits; BMP: 255 pixels per 2 bytes; PNM: 8 pixels a byte;
        // TIFF: 4096 bytes of 1-bit pixels per 12 bits.
        for (format, pixels, bytes) in [
            (ImageFormat::Gif, 4096 * 8, 12),
            (ImageFormat::Bmp, 255, 2),
            (ImageFormat::Pnm, 8, 1),
            (ImageFormat::Tiff, 4096 * 64, 12),
        ] {
            let len = 1200;
            let most = pixels * len / bytes;
            assert!(
                plausible(Some(format), most as u32, 1, len).is_ok(),
                "{format:?}"
            );
            assert!(
                plausible(Some(format), most as u32 + 1, 1, len).is_err(),
                "{format:?}"
            );
        }
        // A GIF whose logical screen claims more than its bytes fill, a BMP more than its
        // runs code: refused before the decoder allocates them.
        let mut gif = encoded(ImageFormat::Gif, 16, 16);
        assert!(decode_bytes(&gif, ImageFormat::Gif).is_ok());
        gif[6..10].copy_from_slice(&[0x1a, 0x2a, 0x01, 0x1c]); // 10778 x 7169, as fuzzing found
        let e = decode_bytes(&gif, ImageFormat::Gif).unwrap_err();
        assert!(
            e.contains("claims 10778x7169") && e.contains("of GIF"),
            "{e}"
        );
        let mut bmp = encoded(ImageFormat::Bmp, 16, 16);
        bmp[18..22].copy_from_slice(&1030i32.to_le_bytes());
        bmp[22..26].copy_from_slice(&8452i32.to_le_bytes());
        let e = decode_bytes(&bmp, ImageFormat::Bmp).unwrap_err();
        assert!(
            e.contains("claims 1030x8452") && e.contains("of BMP"),
            "{e}"
        );
        // Formats without a floor are left to the decoded size limit.
        assert!(plausible(Some(ImageFormat::WebP), 16383, 16383, 100).is_ok());
        assert!(too_large(16383, 16383, 3 * 16383 * 16383).contains("767 MiB"));
    }
}
