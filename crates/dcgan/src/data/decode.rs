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
//!
//! Other formats (WebP, GIF, BMP, ...) code runs that can cover a whole image; they are held to
//! the decoded size limit only ([`MAX_DECODED_BYTES`], the image crate's default).

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
    let floor = match format {
        Some(ImageFormat::Jpeg) => Some(("JPEG", 512, "one bit per 8x8 block")),
        Some(ImageFormat::Png) => Some(("PNG", 8 * 1032, "one bit per pixel, deflated 1032:1")),
        _ => None,
    };
    match floor {
        Some((name, per_byte, why)) if width as u64 * height as u64 > per_byte * len => {
            Err(format!(
                "its header claims {width}x{height} pixels, more than {len} bytes of {name} can \
                 encode (at least {why}): truncated or damaged"
            ))
        }
        _ => Ok(()),
    }
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
        for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Bmp] {
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
        // Formats without a floor are left to the decoded size limit.
        assert!(plausible(Some(ImageFormat::WebP), 16383, 16383, 100).is_ok());
        assert!(too_large(16383, 16383, 3 * 16383 * 16383).contains("767 MiB"));
    }
}
