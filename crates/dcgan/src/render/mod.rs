//! Pictures: sample grids and loss plots.

mod grid;
mod plot;
mod text;

pub use grid::{grid_image, save_grid};
pub use plot::{Series, save_plot};
