//! Contact sheets: a grid of images with a label (a seed) printed under each, so that a person can
//! pick exemplars by eye; and the index of where each labelled tile lies.

use serde::Serialize;

use super::canvas::{Canvas, LINE_H, text_width};
use crate::images::Images;

/// Blank pixels around and between tiles.
const GAP: u32 = 4;

/// Where one labelled image lies in a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetEntry {
    /// The label printed under the tile.
    pub label: String,
    /// Left edge of the tile, in pixels.
    pub x: u32,
    /// Top edge of the tile.
    pub y: u32,
    /// Side of the (zoomed) tile.
    pub size: u32,
}

/// Lays out `images` in rows of `columns`, each tile enlarged by `zoom` and captioned with its
/// label (one per image). Returns the sheet and each tile's place.
pub fn contact_sheet(
    images: &Images,
    labels: &[String],
    columns: usize,
    zoom: u32,
) -> (Canvas, Vec<SheetEntry>) {
    let size = images.shape().size;
    let n = labels.len();
    let columns = columns.clamp(1, n.max(1));
    let side = size as u32 * zoom;
    let label_w = labels.iter().map(|l| text_width(l)).max().unwrap_or(0);
    let cell_w = side.max(label_w) + GAP;
    let cell_h = side + LINE_H + GAP;
    let rows = n.div_ceil(columns) as u32;
    let mut canvas = Canvas::new(GAP + columns as u32 * cell_w, GAP + rows.max(1) * cell_h);
    let mut entries = Vec::with_capacity(n);
    for (k, label) in labels.iter().enumerate() {
        let (col, row) = ((k % columns) as u32, (k / columns) as u32);
        let x = GAP + col * cell_w + (cell_w - GAP - side) / 2;
        let y = GAP + row * cell_h;
        canvas.tile(x, y, images.get(k), zoom);
        canvas.text_centred(x + side / 2, y + side + 1, label);
        entries.push(SheetEntry {
            label: label.clone(),
            x,
            y,
            size: side,
        });
    }
    (canvas, entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tile_sits_above_its_own_label() {
        // Three 4x4 grayscale images of constant value: -1, 0, 1.
        let images: Vec<f32> = [-1.0f32, 0.0, 1.0].iter().flat_map(|v| [*v; 16]).collect();
        let labels: Vec<String> = ["7", "12", "301"].iter().map(|s| s.to_string()).collect();
        let images = Images::new(images, crate::images::ImageShape::new(1, 4)).unwrap();
        let (sheet, entries) = contact_sheet(&images, &labels, 2, 4);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].y, entries[0].y + 16 + LINE_H + GAP);
        for (e, want) in entries.iter().zip([0u8, 128, 255]) {
            assert_eq!(e.size, 16);
            assert_eq!(sheet.image.get_pixel(e.x + 8, e.y + 8).0, [want; 3]);
            // The label is drawn in the band under the tile: some black there, centred on it.
            let black = (e.x.saturating_sub(8)..e.x + 24)
                .flat_map(|x| (e.y + 17..e.y + 16 + LINE_H).map(move |y| (x, y)))
                .filter(|&(x, y)| sheet.image.get_pixel(x, y).0 == [0, 0, 0])
                .count();
            assert!(black > 5, "label {} not drawn", e.label);
        }
    }
}
