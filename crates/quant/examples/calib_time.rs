//! Where PTQ calibration time goes: the fp32 forward alone versus forward plus observers, at
//! several forward batch sizes.
//!
//! `cargo run --release -p vgforge-quant --example calib_time`

use std::time::Instant;

use candle_core::Device;
use vgforge_graph::spec::ModelSpec;
use vgforge_quant::QuantConfig;
use vgforge_quant::ptq::calibrate;
use vgforge_train::data::make_batch;
use vgforge_train::{Dataset, Model};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // As `vgforge` runs it: one gemm thread, the observers on the other core.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    let data = Dataset::embedded()?;
    let g = ModelSpec::builtin("upscaler")?.to_graph(Some([3, 16, 16]))?;
    let model = Model::new(&g, 0)?;
    let fp32 = model.to_graph()?;
    for batch in [4, 8, 16, 50, 500] {
        let idx: Vec<usize> = (0..500).collect();
        let t0 = Instant::now();
        for chunk in idx.chunks(batch) {
            let b = make_batch(&data.train, chunk, g.task, &Device::Cpu)?;
            model.forward(&b.input, false)?;
        }
        let fwd = t0.elapsed().as_secs_f64();
        let cfg = QuantConfig { calib_batch: batch, ..QuantConfig::ptq() };
        let (_, secs) = calibrate(&fp32, &data.train, &cfg)?;
        println!("batch {batch}: forward only {fwd:.3} s, calibration {secs:.3} s");
    }
    Ok(())
}
