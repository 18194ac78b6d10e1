//! Runs Arm's generated conformance tests (`tosa_verif_build_tests` output, see
//! `tools/conformance/gen.sh`) through this crate's reader, validator and interpreter.
//!
//! Each test is a directory with `desc.json`, `test.tosa` and `.npy` inputs. Positive tests
//! must validate and give the reference model's outputs: bit-exact for `EXACT` compliance,
//! within the ULP bound for `ULP`, within a relative bound for the other floating-point
//! modes. Negative tests (`expected_failure`) must be rejected by the reader, the validator
//! or the interpreter.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::tools::ArmTools;
use crate::error::{Error, Result};
use crate::ir::{DType, Tensor, TensorData};
use crate::{Profile, interp, npy, validate};

/// Outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// As expected.
    Pass,
    /// Not as expected.
    Fail,
    /// Could not be judged (no expected output and no reference model).
    Skip,
}

/// Result of one test directory.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Test directory name.
    pub name: String,
    /// Operator under test (`test_details.operator`, else guessed from the name).
    pub op: String,
    /// True for ERROR_IF tests that must be rejected.
    pub negative: bool,
    /// Verdict.
    pub outcome: Outcome,
    /// Why it failed or was skipped, or which stage rejected a negative test.
    pub detail: String,
}

/// Pass/fail/skip counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Passed tests.
    pub pass: usize,
    /// Failed tests.
    pub fail: usize,
    /// Skipped tests.
    pub skip: usize,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Skip => self.skip += 1,
        }
    }
}

/// Per-operator counts, positive and negative apart.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct OpCounts {
    /// Positive tests.
    pub positive: Counts,
    /// Negative (ERROR_IF) tests.
    pub negative: Counts,
}

/// Everything a run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Counts per operator name.
    pub per_op: BTreeMap<String, OpCounts>,
    /// Totals.
    pub total: OpCounts,
    /// Every test, sorted by name.
    pub cases: Vec<CaseResult>,
}

impl Summary {
    /// A table of counts per operator, for terminals and logs.
    pub fn table(&self) -> String {
        let mut s =
            format!("{:<20} {:>14} {:>14}\n", "op", "pos pass/fail/skip", "neg pass/fail/skip");
        let row = |s: &mut String, name: &str, c: &OpCounts| {
            s.push_str(&format!(
                "{:<20} {:>8}/{}/{} {:>10}/{}/{}\n",
                name,
                c.positive.pass,
                c.positive.fail,
                c.positive.skip,
                c.negative.pass,
                c.negative.fail,
                c.negative.skip
            ));
        };
        for (op, c) in &self.per_op {
            row(&mut s, op, c);
        }
        row(&mut s, "TOTAL", &self.total);
        s
    }

    /// Pretty JSON of the whole summary.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// Every directory under `root` (recursively) that holds a `desc.json`, sorted.
pub fn find_tests(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for e in entries {
            let p = e.map_err(|e| Error::io(&dir, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "desc.json") {
                found.push(dir.clone());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Runs every test under `root` in parallel. `tools` makes missing expected outputs with
/// the reference model (into a temporary directory; the tests are not modified).
pub fn run_suite(root: &Path, tools: Option<&ArmTools>) -> Result<Summary> {
    let dirs = find_tests(root)?;
    let mut cases: Vec<CaseResult> = dirs.par_iter().map(|d| run_case(d, tools)).collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    let mut summary = Summary::default();
    for c in &cases {
        let entry = summary.per_op.entry(c.op.clone()).or_default();
        if c.negative {
            entry.negative.add(c.outcome);
            summary.total.negative.add(c.outcome);
        } else {
            entry.positive.add(c.outcome);
            summary.total.positive.add(c.outcome);
        }
    }
    summary.cases = cases;
    Ok(summary)
}

/// The parts of `desc.json` the runner uses.
struct Desc {
    tosa_file: String,
    ifm_name: Vec<String>,
    ifm_file: Vec<String>,
    ofm_name: Vec<String>,
    ofm_file: Vec<String>,
    expected_failure: bool,
    op: Option<String>,
    compliance: Value,
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn parse_desc(dir: &Path) -> std::result::Result<Desc, String> {
    let path = dir.join("desc.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Desc {
        tosa_file: v.get("tosa_file").and_then(Value::as_str).unwrap_or("test.tosa").to_string(),
        ifm_name: strings(&v, "ifm_name"),
        ifm_file: strings(&v, "ifm_file"),
        ofm_name: strings(&v, "ofm_name"),
        ofm_file: strings(&v, "ofm_file"),
        expected_failure: v.get("expected_failure").and_then(Value::as_bool).unwrap_or(false),
        op: v.pointer("/test_details/operator").and_then(Value::as_str).map(str::to_string),
        compliance: v.pointer("/meta/compliance/tensors").cloned().unwrap_or(Value::Null),
    })
}

fn op_from_name(name: &str) -> String {
    // Test names start with the lower-case op name followed by shape or ERRORIF parts.
    let cut = name.find(|c: char| c.is_ascii_digit()).unwrap_or(name.len());
    let stem = name[..cut].split("_ERRORIF").next().unwrap_or(name);
    stem.trim_end_matches('_').to_ascii_uppercase()
}

/// Runs one test directory.
pub fn run_case(dir: &Path, tools: Option<&ArmTools>) -> CaseResult {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut result = CaseResult {
        op: op_from_name(&name),
        name,
        negative: false,
        outcome: Outcome::Fail,
        detail: String::new(),
    };
    let desc = match parse_desc(dir) {
        Ok(d) => d,
        Err(e) => {
            result.detail = e;
            return result;
        }
    };
    if let Some(op) = &desc.op {
        result.op = op.clone();
    }
    result.negative = desc.expected_failure;
    let (outcome, detail) =
        if desc.expected_failure { negative(dir, &desc) } else { positive(dir, &desc, tools) };
    result.outcome = outcome;
    result.detail = detail;
    result
}

fn load_inputs(dir: &Path, desc: &Desc, graph: &crate::Graph) -> Result<Vec<Tensor>> {
    graph
        .inputs
        .iter()
        .map(|name| {
            let i = desc.ifm_name.iter().position(|n| n == name).ok_or_else(|| Error::Input {
                input: name.clone(),
                message: "not listed in desc.json ifm_name".into(),
            })?;
            let file = desc.ifm_file.get(i).ok_or_else(|| Error::Input {
                input: name.clone(),
                message: "no ifm_file entry".into(),
            })?;
            let dtype = graph.tensor(name).map_or(DType::Int8, |t| t.dtype);
            read_as(&dir.join(file), dtype)
        })
        .collect()
}

/// Reads a `.npy` file as a tensor of the graph's declared type: Arm's tools store INT48
/// as int64 and the `.npy` type alone cannot tell INT32 from INT48.
fn read_as(path: &Path, dtype: DType) -> Result<Tensor> {
    let arr = npy::read_array(path)?;
    let file = path.display().to_string();
    let bad = |m: String| Error::Npy { file: file.clone(), message: m };
    let data = match (dtype, arr.data) {
        (DType::Int48 | DType::Shape, TensorData::I32(v)) => {
            TensorData::I64(v.into_iter().map(i64::from).collect())
        }
        (DType::Int32, TensorData::I64(v)) => TensorData::I32(
            v.into_iter()
                .map(i32::try_from)
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| bad("int64 values do not fit int32".into()))?,
        ),
        (_, d) => d,
    };
    Tensor::new(dtype, arr.shape, data).map_err(|e| bad(format!("as {dtype}: {e}")))
}

fn negative(dir: &Path, desc: &Desc) -> (Outcome, String) {
    let graph = match super::read_file(dir.join(&desc.tosa_file)) {
        Ok(g) => g,
        Err(e) => return (Outcome::Pass, format!("rejected by reader: {e}")),
    };
    if let Err(e) = validate(&graph, Profile::Both) {
        return (Outcome::Pass, format!("rejected by validator: {e}"));
    }
    let inputs = match load_inputs(dir, desc, &graph) {
        Ok(i) => i,
        Err(e) => return (Outcome::Pass, format!("rejected when binding inputs: {e}")),
    };
    match interp::run(&graph, &inputs) {
        Err(e @ Error::Unpredictable { .. }) => {
            (Outcome::Fail, format!("not rejected as an error (run reported unpredictable: {e})"))
        }
        Err(e) => (Outcome::Pass, format!("rejected by interpreter: {e}")),
        Ok(_) => {
            (Outcome::Fail, "ERROR_IF graph accepted by reader, validator and interpreter".into())
        }
    }
}

fn positive(dir: &Path, desc: &Desc, tools: Option<&ArmTools>) -> (Outcome, String) {
    let graph = match super::read_file(dir.join(&desc.tosa_file)) {
        Ok(g) => g,
        Err(e) => return (Outcome::Fail, format!("reader: {e}")),
    };
    if let Err(e) = validate(&graph, Profile::Both) {
        return (Outcome::Fail, format!("validator rejected a valid graph: {e}"));
    }
    let inputs = match load_inputs(dir, desc, &graph) {
        Ok(i) => i,
        Err(e) => return (Outcome::Fail, format!("inputs: {e}")),
    };
    let expected = match expected_outputs(dir, desc, &graph, tools) {
        Ok(Some(e)) => e,
        Ok(None) => {
            return (
                Outcome::Skip,
                "no expected output (run gen.sh, or give the reference model)".into(),
            );
        }
        Err(e) => return (Outcome::Skip, format!("expected output: {e}")),
    };
    let got = match interp::run(&graph, &inputs) {
        Ok(o) => o,
        Err(e) => return (Outcome::Fail, format!("interpreter: {e}")),
    };
    for ((name, want), have) in graph.outputs.iter().zip(&expected).zip(&got) {
        let mode = desc
            .compliance
            .pointer(&format!("/{name}/mode"))
            .and_then(Value::as_str)
            .unwrap_or("EXACT");
        let info = desc.compliance.get(name).cloned().unwrap_or(Value::Null);
        if let Err(m) = compare(have, want, mode, &info) {
            return (Outcome::Fail, format!("output '{name}' ({mode}): {m}"));
        }
    }
    (Outcome::Pass, String::new())
}

/// The reference outputs in `graph.outputs` order: the files gen.sh made, or a fresh run of
/// the reference model into a temporary directory.
fn expected_outputs(
    dir: &Path,
    desc: &Desc,
    graph: &crate::Graph,
    tools: Option<&ArmTools>,
) -> Result<Option<Vec<Tensor>>> {
    let files: Option<Vec<&String>> = graph
        .outputs
        .iter()
        .map(|name| desc.ofm_name.iter().position(|n| n == name).and_then(|i| desc.ofm_file.get(i)))
        .collect();
    let Some(files) = files else { return Ok(None) };
    let dtypes: Vec<DType> =
        graph.outputs.iter().map(|n| graph.tensor(n).map_or(DType::Int8, |t| t.dtype)).collect();
    let read_all = |base: &Path| {
        files
            .iter()
            .zip(&dtypes)
            .map(|(f, &d)| read_as(&base.join(f), d))
            .collect::<Result<Vec<_>>>()
    };
    if files.iter().all(|f| dir.join(f).is_file()) {
        return read_all(dir).map(Some);
    }
    let Some(tools) = tools else { return Ok(None) };
    let tmp = std::env::temp_dir().join(format!(
        "vgforge-conf-{}-{}",
        std::process::id(),
        dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    ));
    std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let run = tools.reference_model_desc(&dir.join("desc.json"), &tmp);
    let out = run.and_then(|_| read_all(&tmp));
    let _ = std::fs::remove_dir_all(&tmp);
    out.map(Some)
}

/// Compares one output with its reference under a compliance mode.
pub fn compare(
    have: &Tensor,
    want: &Tensor,
    mode: &str,
    info: &Value,
) -> std::result::Result<(), String> {
    if have.shape != want.shape {
        return Err(format!("shape {:?}, expected {:?}", have.shape, want.shape));
    }
    if let (Some(a), Some(b)) = (have.data.to_i64_vec(), want.data.to_i64_vec()) {
        return match a.iter().zip(&b).position(|(x, y)| x != y) {
            None => Ok(()),
            Some(i) => {
                let n = a.iter().zip(&b).filter(|(x, y)| x != y).count();
                Err(format!(
                    "{n} of {} elements differ; first at {i}: {} vs expected {}",
                    a.len(),
                    a[i],
                    b[i]
                ))
            }
        };
    }
    let (Some(a), Some(b)) = (floats(&have.data), floats(&want.data)) else {
        return Err(format!(
            "{} output cannot be compared with {} reference",
            have.data.kind(),
            want.data.kind()
        ));
    };
    let ulp_bits =
        match have.data {
            TensorData::F16(_) | TensorData::Bf16(_) => {
                if matches!(have.data, TensorData::Bf16(_)) { 7 } else { 10 }
            }
            _ => 23,
        };
    for (i, (&x, &r)) in a.iter().zip(&b).enumerate() {
        if x.is_nan() && r.is_nan() || x == r {
            continue;
        }
        if x.is_nan() || r.is_nan() || x.is_infinite() || r.is_infinite() {
            return Err(format!("element {i}: {x} vs expected {r}"));
        }
        let ulp = ulp_of(r, ulp_bits);
        let bound = match mode {
            "EXACT" => 0.0,
            // The reference itself is rounded to the output type, so allow one ULP more.
            "ULP" => {
                (info.pointer("/ulp_info/ulp").and_then(Value::as_f64).unwrap_or(0.5) + 1.0) * ulp
            }
            // ABS_ERROR, DOT_PRODUCT, ...: tosa_verify derives exact bounds from fp64 runs we
            // do not have; use a relative bound tight enough to catch wrong arithmetic.
            _ => 1e-5 * r.abs().max(1.0) + 4.0 * ulp,
        };
        if (x - r).abs() > bound {
            return Err(format!("element {i}: {x} vs expected {r} (bound {bound:e})"));
        }
    }
    Ok(())
}

fn floats(d: &TensorData) -> Option<Vec<f64>> {
    match d {
        TensorData::F32(v) => Some(v.iter().map(|&x| f64::from(x)).collect()),
        TensorData::F16(v) => Some(v.iter().map(|x| x.to_f64()).collect()),
        TensorData::Bf16(v) => Some(v.iter().map(|x| x.to_f64()).collect()),
        _ => None,
    }
}

/// Size of one unit in the last place at `r` for a float with `mantissa` bits.
fn ulp_of(r: f64, mantissa: i32) -> f64 {
    let e = if r == 0.0 { -126 } else { r.abs().log2().floor() as i32 }.max(-126);
    2f64.powi(e - mantissa)
}

/// Reads a known-failures list: one test name per line, `#` starts a comment.
pub fn read_known_failures(path: &Path) -> Result<std::collections::BTreeSet<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// Failures not in `known`, and `known` tests that now pass: each as `name: detail`.
pub fn unexpected(summary: &Summary, known: &std::collections::BTreeSet<String>) -> Vec<String> {
    summary
        .cases
        .iter()
        .filter_map(|c| match (c.outcome, known.contains(&c.name)) {
            (Outcome::Fail, false) => Some(format!("{} [{}]: {}", c.name, c.op, c.detail)),
            (Outcome::Pass, true) => {
                Some(format!("{} [{}]: listed as a known failure but passes", c.name, c.op))
            }
            _ => None,
        })
        .collect()
}
