//! `Einsum`: the equation parsed into axis labels, then lowered to relax
//! operators. Repeated labels within one operand take a diagonal (a mask
//! and a sum), labels no other operand or the output needs are summed out
//! at once, and operands are contracted left to right, each pair as one
//! batched `matmul` over permuted and reshaped operands: shared labels the
//! rest of the equation still needs are the batch, shared ones it does not
//! are the inner dimension, and each operand's own labels are the rows and
//! the columns. A final sum and permutation give the output's order.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim, Equality};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("Einsum", einsum).attrs(&["equation"]).since(12).check(|attrs, _| equation(attrs).map(|_| ()))];

/// The node's parsed `equation` attribute, which is required.
fn equation(attrs: &Attributes) -> Result<Equation, String> {
    if !attrs.has("equation") {
        return Err("attribute equation is required".to_string());
    }
    parse(&attrs.string_or("equation", "")?)
}

/// An axis label: a letter of the equation, or one of the axes an ellipsis
/// stands for (private-use characters, numbered from the leftmost axis of
/// the broadcast ellipsis).
type Label = char;

fn ellipsis_label(k: usize) -> Label {
    char::from_u32(0xE000 + k as u32).expect("a private-use character")
}

fn is_ellipsis(label: Label) -> bool {
    ('\u{E000}'..='\u{F8FF}').contains(&label)
}

/// One side's term as written: its letters, with the position of the
/// ellipsis among them if there is one.
#[derive(Clone, Debug, PartialEq)]
struct Term {
    letters: Vec<char>,
    ellipsis: Option<usize>,
}

/// The parsed equation: the input terms and the output term (`None` in the
/// implicit form, without `->`).
#[derive(Debug, PartialEq)]
struct Equation {
    inputs: Vec<Term>,
    output: Option<Term>,
}

fn parse(equation: &str) -> Result<Equation, String> {
    let text: String = equation.chars().filter(|&c| c != ' ').collect();
    let (lhs, rhs) = match text.split_once("->") {
        Some((lhs, rhs)) => (lhs, Some(rhs)),
        None => (text.as_str(), None),
    };
    let inputs = lhs.split(',').map(|t| parse_term(t, equation)).collect::<Result<Vec<_>, _>>()?;
    let output = rhs.map(|t| parse_term(t, equation)).transpose()?;
    if let Some(out) = &output {
        if let Some(c) = out.letters.iter().enumerate().find_map(|(i, c)| out.letters[..i].contains(c).then_some(c)) {
            return Err(format!("equation `{equation}`: the output repeats `{c}`"));
        }
    }
    Ok(Equation { inputs, output })
}

fn parse_term(term: &str, equation: &str) -> Result<Term, String> {
    let (mut letters, mut ellipsis) = (vec![], None);
    let mut rest = term;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("...") {
            if ellipsis.replace(letters.len()).is_some() {
                return Err(format!("equation `{equation}`: term `{term}` has two ellipses"));
            }
            rest = after;
        } else if c.is_ascii_alphabetic() {
            letters.push(c);
            rest = &rest[1..];
        } else {
            return Err(format!("equation `{equation}`: unexpected `{c}` (terms are letters and `...`)"));
        }
    }
    Ok(Term { letters, ellipsis })
}

/// A term's labels for an operand of rank `rank`, its ellipsis standing for
/// the last `rank - letters` of the `span` broadcast ellipsis axes.
fn expand(term: &Term, rank: usize, span: usize) -> Vec<Label> {
    let Some(at) = term.ellipsis else { return term.letters.clone() };
    let covered = rank - term.letters.len();
    let ellipsis = (span - covered..span).map(ellipsis_label);
    term.letters[..at].iter().copied().chain(ellipsis).chain(term.letters[at..].iter().copied()).collect()
}

/// How many axes the ellipsis of input `k` covers; checked against its rank.
fn ellipsis_rank(term: &Term, rank: usize, k: usize) -> Result<usize, String> {
    let letters = term.letters.len();
    match term.ellipsis {
        None if rank != letters => Err(format!("input {k} has rank {rank} but its term has {letters} letters")),
        Some(_) if rank < letters => Err(format!("input {k} has rank {rank}, fewer than its term's {letters} letters")),
        _ => Ok(rank - letters),
    }
}

/// The output labels: the explicit ones, or (implicit form) the ellipsis
/// axes followed by the letters used exactly once, in ASCII order.
fn output_labels(equation: &Equation, inputs: &[Vec<Label>], span: usize) -> Result<Vec<Label>, String> {
    let used = |l: &Label| inputs.iter().flatten().filter(|&x| x == l).count();
    let labels: Vec<Label> = match &equation.output {
        Some(term) => expand(term, term.letters.len() + if term.ellipsis.is_some() { span } else { 0 }, span),
        None => {
            let mut once: Vec<Label> = inputs.iter().flatten().copied().filter(|l| !is_ellipsis(*l)).collect();
            once.retain(|l| used(l) == 1);
            once.sort_unstable();
            (0..span).map(ellipsis_label).chain(once).collect()
        }
    };
    match labels.iter().find(|l| used(l) == 0) {
        Some(l) => Err(format!("the output's `{l}` appears in no input")),
        None => Ok(labels),
    }
}

/// An operand during lowering: its value and one label per axis.
struct Operand {
    value: Value,
    labels: Vec<Label>,
}

impl Operand {
    /// Whether `label`'s axis has the constant size 1.
    fn has_unit(&self, label: Label) -> bool {
        let shape = self.value.info().shape;
        self.labels.iter().position(|l| *l == label).is_some_and(|p| shape[p].as_int() == Some(1))
    }
}

fn einsum(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let equation = equation(&ctx.attrs)?;
    let values = ctx.present_inputs();
    let (labels, output) = labels_of(&equation, &values)?;
    let mut operands = Vec::with_capacity(values.len());
    for (value, labels) in values.into_iter().zip(labels) {
        operands.push(take_diagonals(ctx, Operand { value, labels })?);
    }
    let result = contract_all(ctx, operands, &output)?;
    single(arrange(ctx, result, &output)?)
}

/// The labels of each input's axes and of the output's.
fn labels_of(equation: &Equation, values: &[Value]) -> Result<(Vec<Vec<Label>>, Vec<Label>), String> {
    if values.len() != equation.inputs.len() {
        return Err(format!("the equation has {} input terms for {} inputs", equation.inputs.len(), values.len()));
    }
    let ranks: Vec<usize> = values.iter().map(Value::rank).collect();
    let spans = (equation.inputs.iter().zip(&ranks).enumerate())
        .map(|(k, (term, &rank))| ellipsis_rank(term, rank, k))
        .collect::<Result<Vec<_>, _>>()?;
    let span = spans.into_iter().max().unwrap_or(0);
    let labels: Vec<Vec<Label>> =
        equation.inputs.iter().zip(&ranks).map(|(term, &rank)| expand(term, rank, span)).collect();
    let output = output_labels(equation, &labels, span)?;
    Ok((labels, output))
}

/// The operands contracted left to right, each step keeping the labels the
/// output and the operands still to come need.
fn contract_all(ctx: &mut NodeCtx, mut operands: Vec<Operand>, output: &[Label]) -> Result<Operand, String> {
    let mut result: Option<Operand> = None;
    while !operands.is_empty() {
        let next = operands.remove(0);
        let later = operands.iter().flat_map(|o| o.labels.iter().copied());
        let kept: Vec<Label> = output.iter().copied().chain(later).collect();
        result = Some(match result {
            None => sum_out(ctx, next, &kept)?,
            Some(acc) => contract(ctx, acc, next, &kept)?,
        });
    }
    result.ok_or_else(|| "the equation has no inputs".to_string())
}

/// The operand with every repeated label reduced to one axis: the diagonal
/// of each pair of axes with the same label, taken by masking everything
/// off it to zero and summing one of the two axes.
fn take_diagonals(ctx: &mut NodeCtx, mut operand: Operand) -> Result<Operand, String> {
    while let Some((first, second)) = repeated(&operand.labels) {
        let rank = operand.labels.len();
        let label = operand.labels[first];
        let mut order: Vec<usize> = (0..rank).filter(|&a| a != first && a != second).collect();
        order.extend([first, second]);
        let moved = permute(ctx, operand.value, &order)?;
        let shape = moved.info().shape;
        let (n, m) = (&shape[rank - 2], &shape[rank - 1]);
        if n.equality(m) != Equality::Proven {
            return Err(format!("the label `{label}` is repeated on axes of sizes {n} and {m}, which must be equal"));
        }
        let mask = identity_mask(ctx, &shape[rank - 2..])?;
        let zero = Value::scalar(moved.dtype(), 0.0);
        let diagonal_only = ctx.call("where", &[mask, moved, zero], Attrs::new())?;
        let summed = Attrs::new().with("axes", ints_attr(&[rank as i64 - 1])).with("keepdims", AttrValue::Bool(false));
        operand.value = ctx.call("sum", &[diagonal_only], summed)?;
        operand.labels = order[..rank - 1].iter().map(|&a| operand.labels[a]).collect();
        operand.labels[rank - 2] = label;
    }
    Ok(operand)
}

/// The first two positions holding the same label.
fn repeated(labels: &[Label]) -> Option<(usize, usize)> {
    (0..labels.len()).find_map(|j| labels[..j].iter().position(|l| *l == labels[j]).map(|i| (i, j)))
}

/// A bool `[n, n]` matrix that is true on its diagonal: where the upper
/// triangles from diagonals 0 and 1 differ.
fn identity_mask(ctx: &mut NodeCtx, square: &[Dim]) -> Result<Value, String> {
    let shape = Attrs::new().with("shape", AttrValue::Dims(square.to_vec()));
    let ones = ctx.call("broadcast_to", &[Value::scalar(DType::I32, 1.0)], shape)?;
    let mut upper = |k: i64| {
        let attrs = Attrs::new().with("upper", AttrValue::Bool(true)).with("k", AttrValue::Int(k));
        ctx.call("trilu", std::slice::from_ref(&ones), attrs)
    };
    let (from_0, from_1) = (upper(0)?, upper(1)?);
    ctx.call("not_equal", &[from_0, from_1], Attrs::new())
}

/// The operand summed over every label not in `kept`.
fn sum_out(ctx: &mut NodeCtx, operand: Operand, kept: &[Label]) -> Result<Operand, String> {
    let axes: Vec<i64> =
        (0..operand.labels.len()).filter(|&a| !kept.contains(&operand.labels[a])).map(|a| a as i64).collect();
    if axes.is_empty() {
        return Ok(operand);
    }
    let attrs = Attrs::new().with("axes", ints_attr(&axes)).with("keepdims", AttrValue::Bool(false));
    let value = ctx.call("sum", &[operand.value], attrs)?;
    let labels = operand.labels.into_iter().filter(|l| kept.contains(l)).collect();
    Ok(Operand { value, labels })
}

/// `a` and `b` multiplied and summed over the labels they share that
/// `kept` does not list, as one batched matmul `[batch, rows, inner] x
/// [batch, inner, columns]`; the result's labels are the batch's, `a`'s own
/// and `b`'s own.
fn contract(ctx: &mut NodeCtx, a: Operand, b: Operand, kept: &[Label]) -> Result<Operand, String> {
    // A shared label of size 1 on one side is summed out of each side on
    // its own (the sum of a product with a constant factor), so a broadcast
    // axis never meets a full one in the inner dimension.
    let separately: Vec<Label> = (a.labels.iter().copied())
        .filter(|&l| b.labels.contains(&l) && !kept.contains(&l) && (a.has_unit(l) || b.has_unit(l)))
        .collect();
    let keeps = |other: &Operand| -> Vec<Label> {
        kept.iter().chain(&other.labels).copied().filter(|l| !separately.contains(l)).collect()
    };
    let (a_keeps, b_keeps) = (keeps(&b), keeps(&a));
    let (a, b) = (sum_out(ctx, a, &a_keeps)?, sum_out(ctx, b, &b_keeps)?);
    let shared = |l: &Label| a.labels.contains(l) && b.labels.contains(l);
    let batch: Vec<Label> = a.labels.iter().copied().filter(|l| shared(l) && kept.contains(l)).collect();
    let inner: Vec<Label> = a.labels.iter().copied().filter(|l| shared(l) && !kept.contains(l)).collect();
    let rows: Vec<Label> = a.labels.iter().copied().filter(|l| !shared(l)).collect();
    let columns: Vec<Label> = b.labels.iter().copied().filter(|l| !shared(l)).collect();
    let a_matrix = as_matrices(ctx, a, &batch, &rows, &inner)?;
    let b_matrix = as_matrices(ctx, b, &batch, &inner, &columns)?;
    let product = ctx.call("matmul", &[a_matrix.value, b_matrix.value], Attrs::new())?;
    let mut shape = product.info().shape[..batch.len()].to_vec();
    shape.extend(a_matrix.first);
    shape.extend(b_matrix.second);
    let value = reshape(ctx, product, shape)?;
    Ok(Operand { value, labels: batch.into_iter().chain(rows).chain(columns).collect() })
}

/// An operand as a batch of matrices, with the dims of the axes that were
/// merged into its rows and its columns.
struct Matrices {
    value: Value,
    first: Vec<Dim>,
    second: Vec<Dim>,
}

/// `operand` permuted to `batch + first + second` and reshaped to `[batch..,
/// prod(first), prod(second)]`.
fn as_matrices(
    ctx: &mut NodeCtx,
    operand: Operand,
    batch: &[Label],
    first: &[Label],
    second: &[Label],
) -> Result<Matrices, String> {
    let order: Vec<Label> = batch.iter().chain(first).chain(second).copied().collect();
    let arranged = arrange(ctx, operand, &order)?;
    let shape = arranged.info().shape;
    let (b, f) = (batch.len(), batch.len() + first.len());
    let (first, second) = (shape[b..f].to_vec(), shape[f..].to_vec());
    let mut matrix_shape = shape[..b].to_vec();
    matrix_shape.extend([Dim::product(&first).simplify(), Dim::product(&second).simplify()]);
    let value = reshape(ctx, arranged, matrix_shape)?;
    Ok(Matrices { value, first, second })
}

/// The operand's axes permuted into the order of `labels` (each of its
/// labels listed once).
fn arrange(ctx: &mut NodeCtx, operand: Operand, labels: &[Label]) -> Result<Value, String> {
    let order = labels
        .iter()
        .map(|l| operand.labels.iter().position(|x| x == l).ok_or_else(|| format!("internal error: no label `{l}`")))
        .collect::<Result<Vec<_>, _>>()?;
    permute(ctx, operand.value, &order)
}

/// `x` with its axes in `order`, unchanged if that is the identity.
fn permute(ctx: &mut NodeCtx, x: Value, order: &[usize]) -> Result<Value, String> {
    if order.iter().enumerate().all(|(i, &a)| i == a) {
        return Ok(x);
    }
    let axes: Vec<i64> = order.iter().map(|&a| a as i64).collect();
    ctx.call("permute_dims", &[x], Attrs::new().with("axes", ints_attr(&axes)))
}

/// `x` reshaped to `shape`, unchanged if it already has it.
fn reshape(ctx: &mut NodeCtx, x: Value, shape: Vec<Dim>) -> Result<Value, String> {
    let current = x.info().shape;
    if current.len() == shape.len() && current.iter().zip(&shape).all(|(a, b)| a.simplify() == b.simplify()) {
        return Ok(x);
    }
    ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, import_error, run_node};
    use super::*;
    use crate::frontend::onnx::builder::{attr_string, node};
    use crate::ndarray::{unravel, NDArray};
    use std::collections::BTreeMap;

    /// Einstein summation by brute force: every assignment of the letters,
    /// the product of the inputs' elements (a size-1 axis broadcasts), added
    /// into the output element. Independent of the lowering under test.
    fn brute_force(terms: &[&str], output: &str, args: &[&NDArray]) -> NDArray {
        let mut sizes: BTreeMap<char, usize> = BTreeMap::new();
        for (term, a) in terms.iter().zip(args) {
            for (c, &d) in term.chars().zip(a.shape()) {
                let size = sizes.entry(c).or_insert(d);
                *size = (*size).max(d);
            }
        }
        let letters: Vec<char> = sizes.keys().copied().collect();
        let extents: Vec<usize> = sizes.values().copied().collect();
        let out_shape: Vec<usize> = output.chars().map(|c| sizes[&c]).collect();
        let mut out = vec![0.0; out_shape.iter().product()];
        for flat in 0..extents.iter().product() {
            let at = unravel(flat, &extents);
            let value = |c: char| at[letters.iter().position(|&l| l == c).unwrap()];
            let product: f64 = (terms.iter().zip(args))
                .map(|(term, a)| {
                    let idx: Vec<usize> =
                        term.chars().zip(a.shape()).map(|(c, &d)| if d == 1 { 0 } else { value(c) }).collect();
                    a.at(&idx).to_f64()
                })
                .product();
            let o = output.chars().fold(0, |acc, c| acc * sizes[&c] + value(c));
            out[o] += product;
        }
        NDArray::from_f64_values(args[0].dtype(), &out_shape, &out)
    }

    fn einsum(equation: &str, args: &[&NDArray]) -> NDArray {
        let names: Vec<String> = (0..args.len()).map(|k| format!("x{k}")).collect();
        let inputs: Vec<&str> = names.iter().map(String::as_str).collect();
        let n = node("Einsum", &inputs, &["y"]).with_attr(attr_string("equation", equation));
        let named: Vec<(&str, &NDArray)> = inputs.iter().copied().zip(args.iter().copied()).collect();
        run_node(12, n, &named, &[]).remove(0)
    }

    fn random(shape: &[usize], seed: u64) -> NDArray {
        NDArray::random(DType::F64, shape, seed)
    }

    #[test]
    fn parses_terms_ellipses_and_the_implicit_form() {
        let eq = parse("... ij, jk").unwrap();
        assert_eq!(eq.inputs[0], Term { letters: vec!['i', 'j'], ellipsis: Some(0) });
        assert_eq!(eq.output, None);
        assert!(parse("i.j->i").unwrap_err().contains("unexpected `.`"));
        assert!(parse("...i...->i").unwrap_err().contains("two ellipses"));
        assert!(parse("ij->ii").unwrap_err().contains("the output repeats `i`"));
    }

    #[test]
    fn contractions_match_brute_force() {
        let (a, b, c) = (random(&[2, 3], 1), random(&[3, 4], 2), random(&[4, 2], 3));
        // Implicit output: the letters used once, sorted (`ik`, then `ki`).
        assert_close(&einsum("ij,jk", &[&a, &b]), &brute_force(&["ij", "jk"], "ik", &[&a, &b]));
        assert_close(&einsum("jk,ij", &[&b, &a]), &brute_force(&["jk", "ij"], "ik", &[&b, &a]));
        assert_close(&einsum("ij,jk,kl->li", &[&a, &b, &c]), &brute_force(&["ij", "jk", "kl"], "li", &[&a, &b, &c]));
        // An outer product, and a letter summed out of one operand alone.
        let v = random(&[4], 10);
        assert_close(&einsum("ij,k->kji", &[&a, &v]), &brute_force(&["ij", "k"], "kji", &[&a, &v]));
        assert_close(&einsum("ij,jk->", &[&a, &b]), &brute_force(&["ij", "jk"], "", &[&a, &b]));
    }

    #[test]
    fn diagonals_and_traces() {
        let x = random(&[3, 3, 2], 4);
        assert_close(&einsum("iij->ji", &[&x]), &brute_force(&["iij"], "ji", &[&x]));
        // Implicit: `i` appears twice, so it is summed (a trace per j).
        assert_close(&einsum("iij", &[&x]), &brute_force(&["iij"], "j", &[&x]));
        let cube = random(&[2, 2, 2], 5);
        assert_close(&einsum("iii->i", &[&cube]), &brute_force(&["iii"], "i", &[&cube]));
        let m = NDArray::from_f64_values(DType::F64, &[2, 2], &[1., f64::INFINITY, 2., 3.]);
        // Off-diagonal infinities are masked out, not multiplied by zero.
        assert_eq!(einsum("ii", &[&m]), NDArray::from_f64_values(DType::F64, &[], &[4.]));
    }

    #[test]
    fn ellipses_broadcast() {
        // The ellipsis covers two axes of the first operand and none of the second.
        let (a, b) = (random(&[2, 2, 3, 4], 6), random(&[4, 5], 7));
        assert_close(&einsum("...ij,...jk->...ik", &[&a, &b]), &brute_force(&["pqij", "jk"], "pqik", &[&a, &b]));
        // A broadcast (size 1) ellipsis axis summed against a full one.
        let (a, b) = (random(&[1, 3], 8), random(&[2, 3], 9));
        assert_close(&einsum("...i,...i->i", &[&a, &b]), &brute_force(&["ei", "ei"], "i", &[&a, &b]));
        let batched = einsum("...i,...i", &[&a, &b]);
        assert_close(&batched, &brute_force(&["ei", "ei"], "e", &[&a, &b]));
    }

    #[test]
    fn rejects_inconsistent_terms() {
        let x = random(&[2, 3], 1);
        let err =
            import_error(12, node("Einsum", &["x"], &["y"]).with_attr(attr_string("equation", "ijk->i")), &[("x", &x)]);
        assert!(err.contains("input 0 has rank 2 but its term has 3 letters"), "{err}");
        let err =
            import_error(12, node("Einsum", &["x"], &["y"]).with_attr(attr_string("equation", "ij->k")), &[("x", &x)]);
        assert!(err.contains("the output's `k` appears in no input"), "{err}");
    }
}
