//! Running one ONNX backend-test case: compile `model.onnx` natively, run it on
//! every data set and compare each output with the expected one. Shared by
//! `relaxc test` (which prints it) and `relaxc conformance` (which tallies it).

use crate::case_dir::{CaseDir, DataSet};
use crate::compare::{compare, Difference, Tolerance};
use crate::error::CliError;
use crate::model_file::{ImportOptions, ModelFile};
use crate::native::{NativeEntry, NativeModel};
use crate::tensor_proto;
use relax_rt::DynTensor;

/// How a case went.
#[derive(Debug)]
pub enum CaseResult {
    /// The model did not compile (or could not be loaded); nothing ran.
    NotCompiled(CliError),
    /// The model compiled; one result per data set.
    Ran(Vec<DataSetResult>),
}

#[derive(Debug)]
pub struct DataSetResult {
    pub name: String,
    pub outcome: DataSetOutcome,
}

#[derive(Debug)]
pub enum DataSetOutcome {
    /// An input or expected output is in a form relax-rs cannot hold.
    Unreadable(CliError),
    /// The function ran but failed (a run-time check), or returned the wrong
    /// number of outputs.
    Failed(String),
    /// Every output was compared.
    Compared(Vec<OutputComparison>),
}

/// One output: its difference from the expected tensor, or why they could not
/// be compared (a different dtype or shape).
#[derive(Debug)]
pub struct OutputComparison {
    pub name: String,
    pub result: Result<Difference, String>,
}

impl DataSetOutcome {
    /// Whether every output is within the tolerance.
    pub fn passed(&self) -> bool {
        matches!(self, DataSetOutcome::Compared(outputs) if outputs.iter().all(|o| o.result.as_ref().is_ok_and(Difference::matches)))
    }

    /// The largest errors over the outputs that could be compared.
    pub fn worst(&self) -> Option<Difference> {
        let DataSetOutcome::Compared(outputs) = self else { return None };
        outputs.iter().filter_map(|o| o.result.as_ref().ok()).cloned().reduce(|a, b| a.worst(&b))
    }

    /// One line: the largest errors (when outputs were compared), then what
    /// went wrong.
    pub fn describe(&self) -> String {
        let errors = self
            .worst()
            .map(|d| format!("max abs error {}, max rel error {}", format_error(d.max_abs), format_error(d.max_rel)));
        match (errors, self.problem()) {
            (Some(errors), Some(problem)) => format!("{errors}; {problem}"),
            (Some(errors), None) => errors,
            (None, problem) => problem.unwrap_or_default(),
        }
    }

    /// What went wrong, if anything: the error, or the first bad output.
    pub fn problem(&self) -> Option<String> {
        match self {
            DataSetOutcome::Unreadable(e) => Some(e.to_string()),
            DataSetOutcome::Failed(message) => Some(message.clone()),
            DataSetOutcome::Compared(outputs) => outputs.iter().find_map(OutputComparison::problem),
        }
    }
}

impl OutputComparison {
    /// What is wrong with this output, if anything.
    fn problem(&self) -> Option<String> {
        match &self.result {
            Err(why) => Some(format!("output `{}` {why}", self.name)),
            Ok(d) => d.first_mismatch.map(|(index, got, expected)| {
                format!(
                    "output `{}`: {} of {} values differ, the first at index {index}: got {}, expected {}",
                    self.name,
                    d.mismatched,
                    d.total,
                    format_value(got),
                    format_value(expected)
                )
            }),
        }
    }
}

/// A tensor element as its own dtype would print it: values that are exactly
/// f32 (all f32 data, and small integers) in f32's shortest form.
fn format_value(value: f64) -> String {
    if (value as f32) as f64 == value || value.is_nan() {
        format!("{}", value as f32)
    } else {
        format!("{value}")
    }
}

/// An error magnitude for people: `0`, `inf` or three significant digits.
pub fn format_error(value: f64) -> String {
    if value == 0.0 || value.is_infinite() {
        format!("{value}")
    } else {
        format!("{value:.2e}")
    }
}

/// Compiles and runs `case`.
pub fn run_case(case: &CaseDir, tolerance: Tolerance) -> CaseResult {
    let compiled = ModelFile::open(&case.model, &ImportOptions::default())
        .and_then(|file| NativeModel::compile(&file).map(|model| (file, model)));
    let (file, model) = match compiled {
        Ok(compiled) => compiled,
        Err(e) => return CaseResult::NotCompiled(e),
    };
    let entry = match model.entry(None) {
        Ok(entry) => entry,
        Err(e) => return CaseResult::NotCompiled(e.about(file.path())),
    };
    let output_names = file.output_names(&entry.func);
    let results = case
        .data_sets
        .iter()
        .map(|set| DataSetResult {
            name: set.name.clone(),
            outcome: run_data_set(entry, &output_names, set, tolerance),
        })
        .collect();
    CaseResult::Ran(results)
}

fn run_data_set(entry: &NativeEntry, output_names: &[String], set: &DataSet, tolerance: Tolerance) -> DataSetOutcome {
    let (inputs, expected) = match (read_all(&set.inputs), read_all(&set.outputs)) {
        (Ok(inputs), Ok(expected)) => (inputs, expected),
        (Err(e), _) | (_, Err(e)) => return DataSetOutcome::Unreadable(e),
    };
    let refs: Vec<&DynTensor> = inputs.iter().collect();
    let got = match entry.call(&refs) {
        Ok(got) => got,
        Err(e) => return DataSetOutcome::Failed(e.to_string()),
    };
    if got.len() != expected.len() {
        return DataSetOutcome::Failed(format!(
            "`{}` returned {} outputs, the data set expects {}",
            entry.func.name,
            got.len(),
            expected.len()
        ));
    }
    let compared = output_names
        .iter()
        .zip(got.iter().zip(&expected))
        .map(|(name, (g, e))| OutputComparison { name: name.clone(), result: compare(g, e, tolerance) })
        .collect();
    DataSetOutcome::Compared(compared)
}

fn read_all(paths: &[std::path::PathBuf]) -> Result<Vec<DynTensor>, CliError> {
    paths.iter().map(|p| tensor_proto::read(p)).collect()
}
