//! Datasets: CIFAR-10 and IDX readers, the embedded default set, and the
//! deterministic batch iterator that turns images into training pairs.

pub mod cifar;
pub mod idx;
mod pairs;

use std::path::Path;

use candle_core::{Device, Tensor};
use vgforge_graph::Task;

use crate::rng::Rng;
use crate::{Error, Result};

pub use pairs::downsample_bilinear;

/// Images stored as bytes (CHW per image, values 0..=255) with a label each.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    pub chw: [usize; 3],
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub classes: usize,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image_len(&self) -> usize {
        self.chw.iter().product()
    }

    /// One image's bytes.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[i * n..(i + 1) * n]
    }

    pub fn append(&mut self, other: ImageSet) -> Result<()> {
        if other.chw != self.chw {
            return Err(Error::Data(format!(
                "cannot join {:?} images with {:?} images",
                other.chw, self.chw
            )));
        }
        self.pixels.extend_from_slice(&other.pixels);
        self.labels.extend_from_slice(&other.labels);
        self.classes = self.classes.max(other.classes);
        Ok(())
    }

    /// Keeps the first `n` images.
    pub fn truncate(&mut self, n: usize) {
        if n < self.len() {
            self.pixels.truncate(n * self.image_len());
            self.labels.truncate(n);
        }
    }
}

/// A train and a test split.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub name: String,
    pub train: ImageSet,
    pub test: ImageSet,
}

static DEFAULT_TRAIN: &[u8] = include_bytes!("../../../../fixtures/data/default-train.bin");
static DEFAULT_TEST: &[u8] = include_bytes!("../../../../fixtures/data/default-test.bin");

impl Dataset {
    /// The embedded default: 32×32 patches of three public-domain/CC0 photos
    /// (see fixtures/data/PROVENANCE.md), labelled by photo.
    pub fn embedded() -> Result<Dataset> {
        let train = cifar::parse(DEFAULT_TRAIN, Path::new("<embedded>/default-train.bin"), 3)?;
        let test = cifar::parse(DEFAULT_TEST, Path::new("<embedded>/default-test.bin"), 3)?;
        Ok(Dataset { name: "default".into(), train, test })
    }

    /// Loads CIFAR-10 binaries or IDX files (plain or gzip) from `dir`,
    /// whichever it holds.
    pub fn load_dir(dir: &Path) -> Result<Dataset> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data".into());
        let (train, test) = if idx::detect(dir) {
            idx::load_dir(dir)?
        } else if dir.join("data_batch_1.bin").exists() || dir.join("cifar-10-batches-bin").exists()
        {
            cifar::load_dir(dir)?
        } else {
            return Err(Error::Data(format!(
                "{}: holds neither CIFAR-10 binaries (data_batch_1.bin) nor IDX files (train-images-idx3-ubyte[.gz])",
                dir.display()
            )));
        };
        tracing::info!(dir = %dir.display(), train = train.len(), test = test.len(), chw = ?train.chw, "dataset loaded");
        Ok(Dataset { name, train, test })
    }

    /// `None` gives the embedded default.
    pub fn open(dir: Option<&Path>) -> Result<Dataset> {
        match dir {
            Some(d) => Self::load_dir(d),
            None => Self::embedded(),
        }
    }

    /// The model input `[C, H, W]` this data gives for `task`.
    pub fn input_chw(&self, task: Task) -> Result<[usize; 3]> {
        input_chw(self.train.chw, task)
    }
}

/// Model input shape for images of `chw` under `task`.
pub fn input_chw(chw: [usize; 3], task: Task) -> Result<[usize; 3]> {
    match task {
        Task::Classify { .. } => Ok(chw),
        Task::Upscale { scale } => {
            let [c, h, w] = chw;
            if scale == 0 || h % scale != 0 || w % scale != 0 {
                return Err(Error::Data(format!("{h}×{w} images cannot be downscaled by {scale}")));
            }
            Ok([c, h / scale, w / scale])
        }
    }
}

/// What the model must produce for a batch.
#[derive(Debug, Clone)]
pub enum Target {
    /// Full-size images, f32 in [0, 1], NCHW.
    Image(Tensor),
    /// Class indices, u32, shape `[N]`.
    Labels(Tensor),
}

#[derive(Debug, Clone)]
pub struct Batch {
    /// Model input, f32 NCHW.
    pub input: Tensor,
    pub target: Target,
}

/// Builds the batch of images `idx` for `task`: classifier images scaled to
/// [0, 1]; upscaler pairs as the learning path makes them (input is the image
/// bilinearly downscaled, align_corners=False; target is the image).
pub fn make_batch(set: &ImageSet, idx: &[usize], task: Task, device: &Device) -> Result<Batch> {
    let [c, h, w] = set.chw;
    let n = set.image_len();
    let mut full = Vec::with_capacity(idx.len() * n);
    for &i in idx {
        if i >= set.len() {
            return Err(Error::Data(format!(
                "image index {i} out of range ({} images)",
                set.len()
            )));
        }
        full.extend(set.image(i).iter().map(|&b| f32::from(b) / 255.0));
    }
    let b = idx.len();
    match task {
        Task::Classify { classes } => {
            let mut labels = Vec::with_capacity(b);
            for &i in idx {
                let l = set.labels[i];
                if usize::from(l) >= classes {
                    return Err(Error::Data(format!(
                        "image {i} has label {l}, but the model has {classes} classes"
                    )));
                }
                labels.push(u32::from(l));
            }
            Ok(Batch {
                input: Tensor::from_vec(full, (b, c, h, w), device)?,
                target: Target::Labels(Tensor::from_vec(labels, b, device)?),
            })
        }
        Task::Upscale { scale } => {
            let [_, ih, iw] = input_chw(set.chw, task)?;
            let small = downsample_bilinear(&full, b * c, h, w, scale);
            Ok(Batch {
                input: Tensor::from_vec(small, (b, c, ih, iw), device)?,
                target: Target::Image(Tensor::from_vec(full, (b, c, h, w), device)?),
            })
        }
    }
}

/// The image order of one training epoch: a seeded shuffle that depends only
/// on `(seed, epoch)`, so a resumed run sees the same order.
pub fn epoch_order(len: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    Rng::derive(seed, &format!("shuffle/epoch{epoch}")).shuffle(&mut order);
    order
}

/// Iterates over batches of a fixed image order.
pub struct Batches<'a> {
    set: &'a ImageSet,
    task: Task,
    order: Vec<usize>,
    batch: usize,
    drop_last: bool,
    pos: usize,
    device: Device,
}

impl<'a> Batches<'a> {
    /// Shuffled by `(seed, epoch)` when `seed` is given, else in file order.
    pub fn new(
        set: &'a ImageSet,
        task: Task,
        batch: usize,
        drop_last: bool,
        shuffle: Option<(u64, u64)>,
    ) -> Result<Self> {
        if batch == 0 {
            return Err(Error::Config { field: "batch_size", msg: "must be at least 1".into() });
        }
        let order = match shuffle {
            Some((seed, epoch)) => epoch_order(set.len(), seed, epoch),
            None => (0..set.len()).collect(),
        };
        Ok(Batches { set, task, order, batch, drop_last, pos: 0, device: Device::Cpu })
    }

    /// Number of batches a full pass yields.
    pub fn len(&self) -> usize {
        let n = self.order.len();
        if self.drop_last { n / self.batch } else { n.div_ceil(self.batch) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Skips the first `batches` batches without building them (for resume).
    pub fn skip_batches(mut self, batches: usize) -> Self {
        self.pos = (batches * self.batch).min(self.order.len());
        self
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.order.len() - self.pos;
        if rest == 0 || (self.drop_last && rest < self.batch) {
            return None;
        }
        let end = self.pos + rest.min(self.batch);
        let idx = &self.order[self.pos..end];
        self.pos = end;
        Some(make_batch(self.set, idx, self.task, &self.device))
    }
}
