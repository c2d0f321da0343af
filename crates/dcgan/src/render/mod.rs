//! Pictures: sample grids, contact sheets, composed figures, GIFs and loss plots.

mod canvas;
mod confusion;
mod gif;
mod grid;
mod plot;
mod sheet;
mod table;
mod text;

pub use canvas::{Canvas, LINE_H, default_zoom, save_rgb, text_width};
pub use confusion::confusion_image;
pub use gif::save_gif;
pub use grid::{encode, grid_image, save_grid, save_image, single_image, to_byte, to_bytes};
pub use plot::{PLOT_SIZE, Series, plot_image, save_plot, smooth};
pub use sheet::{SheetEntry, contact_sheet};
pub use table::{Cell, Table};
pub use text::draw_text;
