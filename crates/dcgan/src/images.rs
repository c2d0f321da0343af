//! Images on the host with their shape: a batch `[n, channels, size, size]` row-major, values in
//! `[-1, 1]`, as the generator makes them, the data sources deliver them and the figures draw
//! them. The shape travels with the values, so no caller recomputes `channels * size * size`.

use burn::tensor::{Device, Tensor, TensorData};

use crate::{Error, Result};

/// The shape of one image: `channels` planes of `size` x `size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageShape {
    /// 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    /// Side in pixels.
    pub size: usize,
}

impl ImageShape {
    /// `channels` planes of `size` x `size`.
    pub fn new(channels: usize, size: usize) -> Self {
        Self { channels, size }
    }

    /// Values of one image, `channels * size * size`.
    pub fn numel(&self) -> usize {
        self.channels * self.size * self.size
    }

    /// Values of one plane, `size * size`.
    pub fn plane(&self) -> usize {
        self.size * self.size
    }
}

impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}x{}", self.channels, self.size, self.size)
    }
}

/// One image of a batch: its values (`[channels, size, size]`) and shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Image<'a> {
    /// `[channels, size, size]` row-major, in `[-1, 1]`.
    pub values: &'a [f32],
    /// Its shape.
    pub shape: ImageShape,
}

impl Image<'_> {
    /// The value of channel `c` at (`x`, `y`); a grayscale image answers every channel with
    /// its one plane (so it draws as gray in RGB).
    pub fn at(&self, c: usize, x: usize, y: usize) -> f32 {
        let c = c.min(self.shape.channels - 1);
        self.values[c * self.shape.plane() + y * self.shape.size + x]
    }
}

/// A batch of images `[n, channels, size, size]` row-major, values in `[-1, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    values: Vec<f32>,
    shape: ImageShape,
}

impl Images {
    /// `values` as images of `shape`; an error unless they hold a whole number of them.
    pub fn new(values: Vec<f32>, shape: ImageShape) -> Result<Self> {
        if shape.numel() == 0 || !values.len().is_multiple_of(shape.numel()) {
            return Err(Error::option(
                "images",
                format!(
                    "{} values are not a whole number of {shape} images",
                    values.len()
                ),
            ));
        }
        Ok(Self { values, shape })
    }

    /// No images yet, of `shape` (grown with [`Images::push`] and [`Images::extend`]).
    pub fn empty(shape: ImageShape) -> Self {
        Self {
            values: Vec::new(),
            shape,
        }
    }

    /// The images of a `[n, c, s, s]` tensor, read back to the host.
    pub fn from_tensor(t: Tensor<4>) -> Self {
        let [_, c, h, w] = t.dims();
        debug_assert_eq!(h, w, "images are square");
        let values = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("converted to f32");
        Self {
            values,
            shape: ImageShape::new(c, h),
        }
    }

    /// The images as a `[n, c, s, s]` tensor on `device`.
    pub fn to_tensor(&self, device: &Device) -> Tensor<4> {
        self.clone().into_tensor(device)
    }

    /// The images as a `[n, c, s, s]` tensor on `device`, without copying on the host.
    pub fn into_tensor(self, device: &Device) -> Tensor<4> {
        let s = self.shape.size;
        let n = self.len();
        Tensor::from_data(
            TensorData::new(self.values, [n, self.shape.channels, s, s]),
            device,
        )
    }

    /// The shape of each image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.values.len() / self.shape.numel()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Image `i`. Panics when `i >= len()`, as indexing a slice does.
    pub fn get(&self, i: usize) -> Image<'_> {
        let per = self.shape.numel();
        Image {
            values: &self.values[i * per..(i + 1) * per],
            shape: self.shape,
        }
    }

    /// Every image in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Image<'_>> + '_ {
        self.values.chunks(self.shape.numel()).map(|values| Image {
            values,
            shape: self.shape,
        })
    }

    /// All values, `[n, c, s, s]` row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// All values, giving up the shape.
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// Appends one image of this batch's shape.
    pub fn push(&mut self, image: Image<'_>) {
        assert_eq!(image.shape, self.shape, "an image of another shape");
        self.values.extend_from_slice(image.values);
    }

    /// Appends every image of `other` (of this batch's shape).
    pub fn extend(&mut self, other: &Images) {
        assert_eq!(other.shape, self.shape, "images of another shape");
        self.values.extend_from_slice(&other.values);
    }

    /// Mirrors image `i` left to right (every row reversed, in every channel).
    pub fn mirror(&mut self, i: usize) {
        let (per, size) = (self.shape.numel(), self.shape.size);
        self.values[i * per..(i + 1) * per]
            .chunks_mut(size)
            .for_each(<[f32]>::reverse);
    }

    /// The images at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Images {
        let mut out = Images::empty(self.shape);
        out.values.reserve(indices.len() * self.shape.numel());
        for &i in indices {
            out.push(self.get(i));
        }
        out
    }

    /// Images `range` of this batch.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Images {
        let per = self.shape.numel();
        Images {
            values: self.values[range.start * per..range.end * per].to_vec(),
            shape: self.shape,
        }
    }

    /// The batches of at most `n` images, in order (the last may be smaller).
    pub fn chunks(&self, n: usize) -> impl Iterator<Item = Images> + '_ {
        let per = self.shape.numel();
        self.values.chunks(n.max(1) * per).map(|values| Images {
            values: values.to_vec(),
            shape: self.shape,
        })
    }

    /// One batch of `parts` (each of `shape`), in order.
    pub fn concat(shape: ImageShape, parts: &[Images]) -> Images {
        let mut out = Images::empty(shape);
        parts.iter().for_each(|p| out.extend(p));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(n: usize, shape: ImageShape) -> Images {
        Images::new((0..n * shape.numel()).map(|v| v as f32).collect(), shape).unwrap()
    }

    #[test]
    fn images_are_addressed_by_index_and_channel() {
        let shape = ImageShape::new(3, 2);
        let batch = ramp(3, shape);
        assert_eq!(batch.len(), 3);
        assert_eq!(
            batch.get(1).values,
            &(12..24).map(|v| v as f32).collect::<Vec<_>>()[..]
        );
        // Image 2, channel 1 (green), pixel (x 1, y 0): 24 + 4 + 1.
        assert_eq!(batch.get(2).at(1, 1, 0), 29.0);
        let picked = batch.select(&[2, 0]);
        assert_eq!(picked.get(0), batch.get(2));
        assert_eq!(picked.get(1), batch.get(0));
        assert_eq!(batch.slice(1..3).get(0), batch.get(1));
        let parts: Vec<Images> = batch.chunks(2).collect();
        assert_eq!(parts.iter().map(Images::len).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(Images::concat(shape, &parts), batch);
    }

    #[test]
    fn grayscale_answers_every_channel_with_its_plane() {
        let batch = ramp(1, ImageShape::new(1, 2));
        let img = batch.get(0);
        assert_eq!([img.at(0, 1, 1), img.at(2, 1, 1)], [3.0, 3.0]);
    }

    #[test]
    fn mirroring_reverses_each_row_of_one_image() {
        let mut batch = ramp(2, ImageShape::new(3, 2));
        let before = batch.clone();
        batch.mirror(1);
        assert_eq!(batch.get(0), before.get(0));
        for c in 0..3 {
            for y in 0..2 {
                assert_eq!(batch.get(1).at(c, 0, y), before.get(1).at(c, 1, y));
                assert_eq!(batch.get(1).at(c, 1, y), before.get(1).at(c, 0, y));
            }
        }
    }

    #[test]
    fn values_that_are_not_whole_images_are_refused() {
        let err = Images::new(vec![0.0; 13], ImageShape::new(3, 2)).unwrap_err();
        assert!(err.to_string().contains("13 values"), "{err}");
    }

    #[test]
    fn a_tensor_round_trip_keeps_values_and_shape() {
        let device = Default::default();
        let batch = ramp(2, ImageShape::new(3, 4));
        let t = batch.to_tensor(&device);
        assert_eq!(t.dims(), [2, 3, 4, 4]);
        assert_eq!(Images::from_tensor(t), batch);
    }
}
