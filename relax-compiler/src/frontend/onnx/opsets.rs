//! The operator sets (domains) the importer knows, and which version of each
//! a model imports.
//!
//! Every node names its domain (`""` is the default one, `ai.onnx`), and its
//! operator means what that domain's imported version says. A model need not
//! import the default domain at all: a model of `ai.onnx.ml` operators only is
//! complete. A node of a domain the model does not import is an error of that
//! node, so one import still lists every problem.

use super::proto::ModelProto;
use crate::error::{Error, Result};
use std::ops::RangeInclusive;

/// The default domain, as nodes and imports may also spell it (`""`).
pub const DEFAULT: &str = "ai.onnx";
/// Traditional machine learning: tree ensembles, binarizers, encoders.
pub const ML: &str = "ai.onnx.ml";
/// Optimizer steps (`Adagrad`, `Adam`, `Momentum`).
pub const TRAINING: &str = "ai.onnx.preview.training";

/// A domain the importer has converters for, and the versions it implements.
struct Domain {
    name: &'static str,
    versions: RangeInclusive<i64>,
}

const DOMAINS: &[Domain] = &[
    Domain { name: DEFAULT, versions: super::OPSETS },
    Domain { name: ML, versions: 1..=5 },
    Domain { name: TRAINING, versions: 1..=1 },
];

/// The range of versions of `domain` the importer implements.
pub fn versions(domain: &str) -> Option<RangeInclusive<i64>> {
    let domain = canonical(domain);
    DOMAINS.iter().find(|d| d.name == domain).map(|d| d.versions.clone())
}

/// The domain's usual name: `""` is the default domain.
pub fn canonical(domain: &str) -> &str {
    if domain.is_empty() {
        DEFAULT
    } else {
        domain
    }
}

/// The version of each known domain a model imports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Opsets {
    imported: Vec<(&'static str, i64)>,
}

impl Opsets {
    /// The model's imports of the domains the importer knows (others are
    /// ignored until a node uses them). Importing a known domain at a version
    /// the importer does not implement is an error, as is importing none of
    /// the known domains.
    pub fn of_model(model: &ModelProto) -> Result<Opsets> {
        let mut imported = Vec::new();
        for import in &model.opset_import {
            let Some(domain) = DOMAINS.iter().find(|d| d.name == canonical(import.domain())) else { continue };
            let version = import.version();
            if !domain.versions.contains(&version) {
                return Err(Error::msg(format!(
                    "the model uses opset {version} of {}; supported opsets are {} to {}",
                    domain.name,
                    domain.versions.start(),
                    domain.versions.end()
                )));
            }
            imported.push((domain.name, version));
        }
        if imported.is_empty() {
            let others: Vec<&str> = DOMAINS[1..].iter().map(|d| d.name).collect();
            return Err(Error::msg(format!(
                "the model imports no version of the default operator set (ai.onnx) nor of the other operator \
                 sets the importer knows ({})",
                others.join(", ")
            )));
        }
        Ok(Opsets { imported })
    }

    /// Only the default domain, at `version`.
    pub fn default_only(version: i64) -> Opsets {
        Opsets { imported: vec![(DEFAULT, version)] }
    }

    /// The imported version of `domain` (`""` is the default domain).
    pub fn version(&self, domain: &str) -> Option<i64> {
        let domain = canonical(domain);
        self.imported.iter().find(|(d, _)| *d == domain).map(|(_, v)| *v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::onnx::proto::OperatorSetIdProto;

    fn model(imports: &[(&str, i64)]) -> ModelProto {
        let opset_import = imports
            .iter()
            .map(|(d, v)| OperatorSetIdProto { domain: Some(d.to_string()), version: Some(*v) })
            .collect();
        ModelProto { opset_import, ..Default::default() }
    }

    #[test]
    fn reads_known_domains_and_ignores_others() {
        let opsets = Opsets::of_model(&model(&[("", 17), ("ai.onnx.ml", 3), ("com.example", 9)])).unwrap();
        assert_eq!(opsets.version(""), Some(17));
        assert_eq!(opsets.version("ai.onnx"), Some(17));
        assert_eq!(opsets.version(ML), Some(3));
        assert_eq!(opsets.version("com.example"), None);
        let ml_only = Opsets::of_model(&model(&[(ML, 1)])).unwrap();
        assert_eq!((ml_only.version(""), ml_only.version(ML)), (None, Some(1)));
    }

    #[test]
    fn rejects_unsupported_versions_and_models_importing_nothing_known() {
        let err = Opsets::of_model(&model(&[(TRAINING, 2)])).unwrap_err();
        assert_eq!(err.to_string(), "the model uses opset 2 of ai.onnx.preview.training; supported opsets are 1 to 1");
        let err = Opsets::of_model(&model(&[("com.example", 1)])).unwrap_err();
        assert!(err.to_string().starts_with("the model imports no version of the default operator set"), "{err}");
    }
}
