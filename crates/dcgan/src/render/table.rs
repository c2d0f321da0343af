//! Figures laid out as tables of images: a header over each column, a label before each row and
//! an optional caption (a seed, a distance) under each image. The walk, arithmetic, turn and
//! nearest-neighbour figures are all of this shape.

use super::canvas::{Canvas, LINE_H, text_width};
use crate::images::{Image, ImageShape};

/// Blank pixels between cells and around the table.
const GAP: u32 = 6;

/// One image of a table and the text under it.
pub struct Cell<'a> {
    /// The image, of the table's shape.
    pub image: Image<'a>,
    /// Text under the image (may be empty).
    pub caption: String,
}

/// A table of images, all of one size.
pub struct Table<'a> {
    /// The shape of every image.
    pub shape: ImageShape,
    /// Integer enlargement of each image.
    pub zoom: u32,
    /// Column headers (their number fixes the number of columns).
    pub headers: Vec<String>,
    /// Rows: a label and one cell per column (`None` leaves it blank).
    pub rows: Vec<(String, Vec<Option<Cell<'a>>>)>,
}

impl Table<'_> {
    fn tile(&self) -> u32 {
        self.shape.size as u32 * self.zoom
    }

    fn label_width(&self) -> u32 {
        let w = self
            .rows
            .iter()
            .map(|r| text_width(&r.0))
            .max()
            .unwrap_or(0);
        if w == 0 { 0 } else { w + GAP }
    }

    fn column_width(&self, col: usize) -> u32 {
        let captions = self
            .rows
            .iter()
            .filter_map(|r| r.1.get(col).and_then(|c| c.as_ref()))
            .map(|c| text_width(&c.caption))
            .max()
            .unwrap_or(0);
        self.tile()
            .max(text_width(&self.headers[col]))
            .max(captions)
    }

    fn has_captions(&self) -> bool {
        self.rows
            .iter()
            .flat_map(|r| r.1.iter().flatten())
            .any(|c| !c.caption.is_empty())
    }

    fn row_height(&self) -> u32 {
        self.tile() + if self.has_captions() { LINE_H } else { 0 } + GAP
    }

    fn header_height(&self) -> u32 {
        if self.headers.iter().any(|h| !h.is_empty()) {
            LINE_H + 2
        } else {
            0
        }
    }

    /// Width and height of the drawn table, margins included.
    pub fn dimensions(&self) -> (u32, u32) {
        let cols: u32 = (0..self.headers.len())
            .map(|c| self.column_width(c) + GAP)
            .sum();
        (
            GAP + self.label_width() + cols,
            GAP + self.header_height() + self.rows.len() as u32 * self.row_height(),
        )
    }

    /// Draws the table with its top-left corner at (`x0`, `y0`); returns the image's top-left
    /// corner of each drawn cell, row by row (`None` for blanks).
    pub fn draw(&self, canvas: &mut Canvas, x0: u32, y0: u32) -> Vec<Vec<Option<(u32, u32)>>> {
        let tile = self.tile();
        let mut xs = Vec::with_capacity(self.headers.len());
        let mut x = x0 + GAP + self.label_width();
        for (c, header) in self.headers.iter().enumerate() {
            let w = self.column_width(c);
            canvas.text_centred(x + w / 2, y0 + GAP, header);
            xs.push((x, w));
            x += w + GAP;
        }
        let mut places = Vec::with_capacity(self.rows.len());
        for (r, (label, cells)) in self.rows.iter().enumerate() {
            let y = y0 + GAP + self.header_height() + r as u32 * self.row_height();
            canvas.text(x0 + GAP, y + tile / 2 - 4, label);
            let mut row = Vec::with_capacity(cells.len());
            for (cell, &(cx, w)) in cells.iter().zip(&xs) {
                row.push(cell.as_ref().map(|cell| {
                    let ix = cx + (w - tile) / 2;
                    canvas.tile(ix, y, cell.image, self.zoom);
                    canvas.text_centred(cx + w / 2, y + tile + 1, &cell.caption);
                    (ix, y)
                }));
            }
            places.push(row);
        }
        places
    }

    /// The table alone on a canvas of its own size.
    pub fn render(&self) -> Canvas {
        let (w, h) = self.dimensions();
        let mut canvas = Canvas::new(w, h);
        self.draw(&mut canvas, 0, 0);
        canvas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_land_in_their_row_and_column() {
        let shape = ImageShape::new(1, 2);
        let cell = |values: &'static [f32], caption: &str| {
            Some(Cell {
                image: Image { values, shape },
                caption: caption.to_string(),
            })
        };
        let (black, white): (&[f32], &[f32]) = (&[-1.0; 4], &[1.0; 4]);
        let table = Table {
            shape,
            zoom: 10,
            headers: vec!["a".into(), "b".into()],
            rows: vec![
                ("+".into(), vec![cell(black, "1"), None]),
                ("-".into(), vec![None, cell(white, "2.5")]),
            ],
        };
        let mut canvas = Canvas::new(table.dimensions().0, table.dimensions().1);
        let places = table.draw(&mut canvas, 0, 0);
        let (bx, by) = places[0][0].unwrap();
        let (wx, wy) = places[1][1].unwrap();
        assert!(places[0][1].is_none() && places[1][0].is_none());
        assert!(wx > bx && wy > by);
        assert_eq!(canvas.image.get_pixel(bx + 10, by + 10).0, [0, 0, 0]);
        assert_eq!(canvas.image.get_pixel(wx + 10, wy + 10).0, [255, 255, 255]);
        // The blank cell stays background: white, with nothing drawn.
        assert_eq!(canvas.image.get_pixel(bx + 10, wy + 10).0, [255, 255, 255]);
        let (w, h) = table.dimensions();
        assert_eq!((canvas.image.width(), canvas.image.height()), (w, h));
    }
}
