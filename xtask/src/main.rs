//! `cargo xtask <task>`: the project's automation, one module per task.

mod bench;
mod ci;
mod pipeline;
mod util;

const HELP: &str = "\
cargo xtask <task> [options]

tasks:
  pipeline [--model upscaler|classifier|SPEC] [--data DIR] [--out DIR] [--quick] [--epochs N]
           train -> quantize (PTQ, QAT) -> lower -> emit VGF -> integer evaluation -> report,
           on the embedded default data unless --data is given
  ci       set up tools (tools/setup-env.sh), then fmt --check, clippy -D warnings,
           the dependency rule (tidy), the tests and the TOSA conformance subset
  test     set up tools, then run the whole test suite
  tidy     check the one-way dependency rule between crates
  bench    run the criterion benchmarks and print ratios against their anchors
  conformance [--full]  generate TOSA conformance tests with tosa_verif_build_tests and run them
";

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        print!("{HELP}");
        return Ok(());
    }
    let task = args.remove(0);
    match task.as_str() {
        "pipeline" => pipeline::run(&args),
        "ci" => ci::ci(&args),
        "test" => ci::test(&args),
        "tidy" => ci::tidy(),
        "bench" => bench::run(&args),
        "conformance" => ci::conformance(&args),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => anyhow::bail!("unknown task '{other}'\n\n{HELP}"),
    }
}
