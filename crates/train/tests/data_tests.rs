//! CIFAR-10 and IDX readers, the embedded default, and batching.

use std::io::Write;
use std::path::{Path, PathBuf};

use vgforge_graph::Task;
use vgforge_train::data::{Batches, Dataset, cifar, idx};
use vgforge_train::{Error, Target};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vgforge-train-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cifar_record(label: u8, seed: u8) -> Vec<u8> {
    let mut r = vec![label];
    r.extend((0..3072u32).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)));
    r
}

#[test]
fn cifar_file_parses_images_and_labels() {
    let dir = tmp("cifar");
    let mut bytes = cifar_record(3, 1);
    bytes.extend(cifar_record(9, 2));
    std::fs::write(dir.join("data_batch_1.bin"), &bytes).unwrap();
    std::fs::write(dir.join("data_batch_2.bin"), cifar_record(0, 5)).unwrap();
    std::fs::write(dir.join("test_batch.bin"), cifar_record(7, 3)).unwrap();
    let ds = Dataset::load_dir(&dir).unwrap();
    assert_eq!(ds.train.len(), 3);
    assert_eq!(ds.train.labels, vec![3, 9, 0]);
    assert_eq!(ds.train.chw, [3, 32, 32]);
    assert_eq!(ds.train.image(1), &cifar_record(9, 2)[1..]);
    assert_eq!(ds.test.labels, vec![7]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_cifar_names_the_offset() {
    let mut bytes = cifar_record(1, 0);
    bytes.extend(&cifar_record(2, 0)[..100]);
    let err = cifar::parse(&bytes, Path::new("x.bin"), 10).unwrap_err();
    assert!(matches!(err, Error::Truncated { offset: 3073, have: 100, .. }), "{err}");
    assert!(err.to_string().contains("offset 3073"), "{err}");
    let err = cifar::parse(&cifar_record(10, 0), Path::new("x.bin"), 10).unwrap_err();
    assert!(err.to_string().contains("label 10"), "{err}");
}

fn idx_images(n: u32, h: u32, w: u32) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [n, h, w] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..n * h * w).map(|i| (i % 251) as u8));
    b
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend((labels.len() as u32).to_be_bytes());
    b.extend(labels);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn idx_plain_and_gzip_parse() {
    let dir = tmp("idx");
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gzip(&idx_images(3, 4, 5))).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), gzip(&idx_labels(&[1, 2, 9]))).unwrap();
    std::fs::write(dir.join("t10k-images-idx3-ubyte"), idx_images(2, 4, 5)).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), idx_labels(&[0, 4])).unwrap();
    let ds = Dataset::load_dir(&dir).unwrap();
    assert_eq!(ds.train.chw, [1, 4, 5]);
    assert_eq!(ds.train.labels, vec![1, 2, 9]);
    assert_eq!(ds.train.image(2), &(40..60).map(|i| i as u8).collect::<Vec<_>>()[..]);
    assert_eq!(ds.test.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn idx_truncation_and_bad_magic_are_errors() {
    let dir = tmp("idxbad");
    let mut b = idx_images(3, 4, 5);
    b.truncate(16 + 50);
    let p = dir.join("imgs");
    std::fs::write(&p, &b).unwrap();
    let err = idx::read_images(&p).unwrap_err();
    assert!(matches!(err, Error::Truncated { offset: 66, need: 60, have: 50, .. }), "{err}");
    std::fs::write(&p, gzip(&b)).unwrap();
    assert!(idx::read_images(&p).unwrap_err().to_string().contains("offset 66"));
    // A header claiming 2^32-1 images must fail on the data, not allocate it.
    let mut huge = vec![0, 0, 8, 3];
    for d in [u32::MAX, 28, 28] {
        huge.extend(d.to_be_bytes());
    }
    std::fs::write(&p, &huge).unwrap();
    assert!(matches!(
        idx::read_images(&p).unwrap_err(),
        Error::Truncated { offset: 16, .. } | Error::Format { .. }
    ));
    std::fs::write(&p, idx_labels(&[1])).unwrap();
    assert!(matches!(idx::read_images(&p).unwrap_err(), Error::BadMagic { found: 0x801, .. }));
    std::fs::write(&p, [0u8, 0, 8]).unwrap();
    assert!(matches!(idx::read_images(&p).unwrap_err(), Error::Truncated { offset: 3, .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn embedded_default_and_upscaler_pairs() {
    let ds = Dataset::embedded().unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (759, 139));
    // First patch is the astronaut photo's top-left corner.
    assert_eq!(&ds.train.image(0)[..1], &[154]);
    let task = Task::Upscale { scale: 2 };
    assert_eq!(ds.input_chw(task).unwrap(), [3, 16, 16]);
    let mut b = Batches::new(&ds.test, task, 64, true, None).unwrap();
    let batch = b.next().unwrap().unwrap();
    assert_eq!(batch.input.dims(), &[64, 3, 16, 16]);
    let Target::Image(t) = &batch.target else { panic!("not an image target") };
    assert_eq!(t.dims(), &[64, 3, 32, 32]);
    // Input pixel = mean of its 2×2 block of the target.
    let t = t.get(5).unwrap().get(1).unwrap().to_vec2::<f32>().unwrap();
    let x = batch.input.get(5).unwrap().get(1).unwrap().to_vec2::<f32>().unwrap();
    let mean = (t[6][8] + t[6][9] + t[7][8] + t[7][9]) / 4.0;
    assert!((x[3][4] - mean).abs() < 1e-6);
    assert!(b.next().unwrap().is_ok());
    assert!(b.next().is_none(), "139 images make 2 full batches of 64");
}

#[test]
fn shuffled_batches_are_seeded() {
    let ds = Dataset::embedded().unwrap();
    let task = Task::Classify { classes: 3 };
    let labels = |seed, epoch| {
        let mut b = Batches::new(&ds.train, task, 32, true, Some((seed, epoch))).unwrap();
        let Target::Labels(l) = b.next().unwrap().unwrap().target else { panic!() };
        l.to_vec1::<u32>().unwrap()
    };
    assert_eq!(labels(1, 0), labels(1, 0));
    assert_ne!(labels(1, 0), labels(1, 1));
    assert_eq!(Batches::new(&ds.train, task, 64, true, None).unwrap().len(), 11);
    assert_eq!(Batches::new(&ds.train, task, 64, false, None).unwrap().len(), 12);
}
