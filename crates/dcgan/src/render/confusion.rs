//! A confusion matrix as a picture: rows are true classes, columns predicted ones, each cell
//! shaded by the fraction of its row and labelled with the percentage.

use image::Rgb;

use super::canvas::{Canvas, LINE_H, text_width};

/// Side of one cell, in pixels.
const CELL: u32 = 36;

/// Draws `counts` (`[truth, predicted]`, `classes x classes`) with the class names.
pub fn confusion_image(counts: &[u64], classes: &[String]) -> Canvas {
    let k = classes.len();
    let names: Vec<String> = classes
        .iter()
        .map(|c| c.chars().take(10).collect())
        .collect();
    let left = names.iter().map(|n| text_width(n)).max().unwrap_or(0) + 8;
    let top = LINE_H * 2 + 4;
    let mut canvas = Canvas::new(
        left + k as u32 * CELL + 8,
        top + k as u32 * CELL + LINE_H + 8,
    );
    canvas.text(left, 2, "predicted ->");
    for (j, name) in names.iter().enumerate() {
        let short: String = name.chars().take(4).collect();
        canvas.text_centred(left + j as u32 * CELL + CELL / 2, LINE_H + 2, &short);
    }
    for (i, name) in names.iter().enumerate() {
        let row = &counts[i * k..(i + 1) * k];
        let total = row.iter().sum::<u64>().max(1) as f64;
        let y = top + i as u32 * CELL;
        canvas.text(4, y + CELL / 2 - 4, name);
        for (j, &c) in row.iter().enumerate() {
            let f = c as f64 / total;
            let shade = (255.0 * (1.0 - f)).round() as u8;
            let x = left + j as u32 * CELL;
            for py in 1..CELL - 1 {
                for px in 1..CELL - 1 {
                    canvas
                        .image
                        .put_pixel(x + px, y + py, Rgb([shade, shade, 255]));
                }
            }
            let label = format!("{:.0}", 100.0 * f);
            let colour = if f > 0.5 {
                Rgb([255, 255, 255])
            } else {
                Rgb([0, 0, 0])
            };
            let tx = x + CELL / 2 - text_width(&label) / 2;
            super::text::draw_text(
                &mut canvas.image,
                tx as i64,
                (y + CELL / 2 - 4) as i64,
                &label,
                colour,
            );
        }
    }
    canvas.text(4, top + k as u32 * CELL + 4, "rows: true class, % of row");
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_darken_with_their_share_of_the_row() {
        let names: Vec<String> = ["cat", "dog"].iter().map(|s| s.to_string()).collect();
        let c = confusion_image(&[9, 1, 0, 10], &names);
        let left = text_width("cat").max(text_width("dog")) + 8;
        let top = LINE_H * 2 + 4;
        let at = |i: u32, j: u32| c.image.get_pixel(left + j * CELL + 3, top + i * CELL + 3).0;
        assert_eq!(at(1, 1), [0, 0, 255]); // 100%
        assert_eq!(at(1, 0), [255, 255, 255]); // 0%
        assert_eq!(at(0, 1), [230, 230, 255]); // 10%
    }
}
