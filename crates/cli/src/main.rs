//! `vgforge`: one subcommand per pipeline stage, each reading and writing files.

mod cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vgforge",
    version,
    about = "Train, quantize, lower to TOSA, emit VGF and run on Vulkan"
)]
struct Cli {
    /// Log more (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model in FP32 and export fp32.graph, metrics.json and charts.
    Train(cmd::train::Args),
    /// Evaluate a .graph, .tosa or .vgf on the test split (PSNR or accuracy).
    Eval(cmd::eval::Args),
    /// Quantize fp32.graph to int8.graph by PTQ or QAT.
    Quantize(cmd::quantize::Args),
    /// Lower a .graph to a validated TOSA 1.0 .tosa file.
    Lower(cmd::lower::Args),
    /// Turn a .tosa into a .vgf (SPIR-V graph module in the VGF container).
    Emit(cmd::emit::Args),
    /// Run a .tosa or .vgf on .npy inputs.
    Run(cmd::run::Args),
    /// Per-layer error report of an int8 model against its fp32 original.
    Report(cmd::report::Args),
    /// Print a readable listing of a .graph, .tosa or .vgf file.
    Inspect(cmd::inspect::Args),
    /// Print the metrics of a pipeline output folder side by side.
    Summary(cmd::summary::Args),
}

fn main() -> std::process::ExitCode {
    // Candle's worker pool spins while it waits; on a small machine that steals the cores
    // our own rayon kernels need (measured: 3x the CPU time for the same result).
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // SAFETY: no other thread exists yet this early in main.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    // Like other Unix tools, end quietly when the reader of our output goes away
    // (`vgforge inspect x.vgf | head`) instead of panicking on the failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of a signal has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        Command::Train(a) => cmd::train::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Quantize(a) => cmd::quantize::run(a),
        Command::Lower(a) => cmd::lower::run(a),
        Command::Emit(a) => cmd::emit::run(a),
        Command::Run(a) => cmd::run::run(a),
        Command::Report(a) => cmd::report::run(a),
        Command::Inspect(a) => cmd::inspect::run(a),
        Command::Summary(a) => cmd::summary::run(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
