//! Runs a loop-level `PrimFunc` on concrete tensors, with every load and store
//! bounds-checked, so a wrong legalization shows up as an error, not garbage.
//! Its scalar semantics are the contract codegen implements.

use super::shape::concrete_dims;
use crate::ir::dim::{floor_div, floor_mod};
use crate::ir::{BinOp, Buffer, Dim, PExpr, PrimFunc, Stmt, UnOp};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;
use std::collections::HashMap;

struct Machine<'a> {
    buffers: HashMap<String, (&'a Buffer, usize)>,
    storage: Vec<NDArray>,
    scalars: HashMap<String, i64>,
}

/// Runs `f` with `args` (inputs then outputs, in param order; outputs are
/// overwritten) and the values of its dim params.
pub fn run_prim_func(f: &PrimFunc, args: &mut [NDArray], dims: &[i64]) -> Result<(), String> {
    if args.len() != f.params.len() || dims.len() != f.dims.len() {
        return Err(format!(
            "{} takes {} buffers and {} dims, got {} and {}",
            f.name,
            f.params.len(),
            f.dims.len(),
            args.len(),
            dims.len()
        ));
    }
    let scalars: HashMap<String, i64> = f.dims.iter().cloned().zip(dims.iter().copied()).collect();
    let mut m = Machine { buffers: HashMap::new(), storage: Vec::new(), scalars };
    for (i, (p, a)) in f.params.iter().zip(args.iter()).enumerate() {
        let shape = m.concrete_shape(&p.shape)?;
        if a.shape() != shape.as_slice() || a.dtype() != p.dtype {
            return Err(format!(
                "{}: buffer `{}` is {} {:?}, expected {} {:?}",
                f.name,
                p.name,
                a.dtype(),
                a.shape(),
                p.dtype,
                shape
            ));
        }
        m.buffers.insert(p.name.clone(), (p, i));
    }
    m.storage = args.to_vec();
    m.exec(&f.body).map_err(|e| format!("{}: {e}", f.name))?;
    for (a, s) in args.iter_mut().zip(m.storage.drain(..)) {
        *a = s;
    }
    Ok(())
}

impl<'a> Machine<'a> {
    fn concrete_shape(&self, shape: &[Dim]) -> Result<Vec<usize>, String> {
        concrete_dims(shape, &self.scalars)
    }

    fn exec(&mut self, s: &'a Stmt) -> Result<(), String> {
        match s {
            Stmt::For { var, extent, body, .. } => {
                let n = self.eval(extent)?.0.to_i64();
                let saved = self.scalars.get(var).copied();
                for i in 0..n.max(0) {
                    self.scalars.insert(var.clone(), i);
                    self.exec(body)?;
                }
                match saved {
                    Some(v) => self.scalars.insert(var.clone(), v),
                    None => self.scalars.remove(var),
                };
                Ok(())
            }
            Stmt::Store { buf, idx, value } => {
                let (v, _) = self.eval(value)?;
                let (slot, flat) = self.address(buf, idx)?;
                self.storage[slot].set(flat, v);
                Ok(())
            }
            Stmt::Seq(items) => items.iter().try_for_each(|s| self.exec(s)),
            Stmt::Alloc { buf, body } => {
                let shape = self.concrete_shape(&buf.shape)?;
                let slot = self.storage.len();
                self.storage.push(NDArray::zeros(buf.dtype, &shape));
                let previous = self.buffers.insert(buf.name.clone(), (buf, slot));
                let result = self.exec(body);
                self.storage.pop();
                match previous {
                    Some(p) => self.buffers.insert(buf.name.clone(), p),
                    None => self.buffers.remove(&buf.name),
                };
                result
            }
            Stmt::If { cond, then_branch, else_branch } => {
                if self.eval(cond)?.0.to_bool() {
                    self.exec(then_branch)
                } else if let Some(e) = else_branch {
                    self.exec(e)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The storage slot and flat offset of `buf[idx]`, bounds-checked.
    fn address(&mut self, buf: &str, idx: &[PExpr]) -> Result<(usize, usize), String> {
        let (b, slot) = *self.buffers.get(buf).ok_or_else(|| format!("unknown buffer `{buf}`"))?;
        if idx.len() != b.shape.len() {
            return Err(format!("`{buf}` has rank {}, indexed with {} indices", b.shape.len(), idx.len()));
        }
        let shape: Vec<usize> = self.storage[slot].shape().to_vec();
        let mut flat = 0usize;
        for (axis, (e, &d)) in idx.iter().zip(&shape).enumerate() {
            let i = self.eval(e)?.0.to_i64();
            if i < 0 || i as usize >= d {
                return Err(format!("index {i} out of bounds for axis {axis} of `{buf}` (size {d})"));
            }
            flat = flat * d + i as usize;
        }
        Ok((slot, flat))
    }

    fn eval(&mut self, e: &PExpr) -> Result<(Scalar, DType), String> {
        Ok(match e {
            PExpr::Int(v, d) => (Scalar::I(*v).cast(*d), *d),
            PExpr::Float(v, d) => (Scalar::F(*v).cast(*d), *d),
            PExpr::Bool(b) => (Scalar::B(*b), DType::Bool),
            PExpr::Var(v) => {
                let x = self.scalars.get(v).ok_or_else(|| format!("unbound variable `{v}`"))?;
                (Scalar::I(*x), DType::I64)
            }
            PExpr::Load { buf, idx } => {
                let (slot, flat) = self.address(buf, idx)?;
                let a = &self.storage[slot];
                (a.get(flat), a.dtype())
            }
            PExpr::Bin(op, a, b) => {
                let (x, dx) = self.eval(a)?;
                let (y, dy) = self.eval(b)?;
                if dx != dy {
                    return Err(format!("operands of `{}` have dtypes {dx} and {dy}", op.name()));
                }
                if op.is_bitwise() && !(dx.is_int() || (dx == DType::Bool && !matches!(op, BinOp::Shl | BinOp::Shr))) {
                    return Err(format!("`{}` is not defined on {dx}", op.name()));
                }
                let out = if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) { DType::Bool } else { dx };
                (binary(*op, x, y, dx).cast(out), out)
            }
            PExpr::Un(op, a) => {
                let (x, d) = self.eval(a)?;
                (unary(*op, x, d).cast(d), d)
            }
            PExpr::Cast(d, a) => (self.eval(a)?.0.cast(*d), *d),
            PExpr::Bitcast(d, a) => {
                let (x, from) = self.eval(a)?;
                (bitcast(x, from, *d)?, *d)
            }
            PExpr::Select(c, t, f) => {
                let (cv, _) = self.eval(c)?;
                let (tv, td) = self.eval(t)?;
                let (fv, fd) = self.eval(f)?;
                if td != fd {
                    return Err(format!("select branches have dtypes {td} and {fd}"));
                }
                (if cv.to_bool() { tv } else { fv }, td)
            }
        })
    }
}

/// The bits of `x` (of dtype `from`) read as `to`: both in their memory
/// layout (bools one byte 0 or 1, narrow floats their bit patterns, 4- and
/// 2-bit integers a byte each), which must be of one size and value width.
pub fn bitcast(x: Scalar, from: DType, to: DType) -> Result<Scalar, String> {
    if from.bits() != to.bits() || from.size() != to.size() {
        return Err(format!("cannot reinterpret {from} as {to}: they differ in width"));
    }
    let bytes = NDArray::scalar(from, x).to_bytes();
    Ok(NDArray::from_bytes(to, &[], &bytes)?.get(0))
}

/// Binary operation semantics on one dtype. Integer division and remainder by
/// zero give 0 (defined, so generated code never traps); integers wrap;
/// unsigned dtypes divide, compare and shift as unsigned. Floats are computed
/// in f64; the caller rounds the result to the dtype. The bitwise operators are
/// not defined on floats (the interpreter and codegen reject them): NaN.
pub fn binary(op: BinOp, x: Scalar, y: Scalar, dtype: DType) -> Scalar {
    use crate::op::compute::{nan_max, nan_min};
    if dtype.is_float() {
        let (a, b) = (x.to_f64(), y.to_f64());
        return match op {
            BinOp::Add => Scalar::F(a + b),
            BinOp::Sub => Scalar::F(a - b),
            BinOp::Mul => Scalar::F(a * b),
            BinOp::Div => Scalar::F(a / b),
            BinOp::FloorDiv => Scalar::F((a / b).floor()),
            BinOp::FloorMod => Scalar::F(float_floor_mod(a, b)),
            BinOp::Rem => Scalar::F(a % b),
            BinOp::Min => Scalar::F(nan_min(a, b)),
            BinOp::Max => Scalar::F(nan_max(a, b)),
            BinOp::Pow => Scalar::F(a.powf(b)),
            BinOp::Eq => Scalar::B(a == b),
            BinOp::Ne => Scalar::B(a != b),
            BinOp::Lt => Scalar::B(a < b),
            BinOp::Le => Scalar::B(a <= b),
            BinOp::Gt => Scalar::B(a > b),
            BinOp::Ge => Scalar::B(a >= b),
            BinOp::And => Scalar::B(a != 0.0 && b != 0.0),
            BinOp::Or => Scalar::B(a != 0.0 || b != 0.0),
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => Scalar::F(f64::NAN),
        };
    }
    if dtype == DType::U64 {
        return binary_u64(op, x.to_u64(), y.to_u64());
    }
    // Every other integer dtype's values fit i64 with their sign, where its
    // arithmetic is exact before the caller wraps the result to the dtype.
    let (a, b) = (x.to_i64(), y.to_i64());
    let logical = |v: bool| if dtype == DType::Bool { Scalar::B(v) } else { Scalar::I(v as i64) };
    match op {
        BinOp::Add => Scalar::I(a.wrapping_add(b)),
        BinOp::Sub => Scalar::I(a.wrapping_sub(b)),
        BinOp::Mul => Scalar::I(a.wrapping_mul(b)),
        BinOp::Div => Scalar::I(if b == 0 { 0 } else { a.wrapping_div(b) }),
        BinOp::FloorDiv => Scalar::I(floor_div(a, b).unwrap_or(0)),
        BinOp::FloorMod => Scalar::I(floor_mod(a, b).unwrap_or(0)),
        BinOp::Rem => Scalar::I(if b == 0 { 0 } else { a.wrapping_rem(b) }),
        BinOp::Min => Scalar::I(a.min(b)),
        BinOp::Max => Scalar::I(a.max(b)),
        BinOp::Pow => Scalar::I(int_pow(a, b)),
        BinOp::Eq => Scalar::B(a == b),
        BinOp::Ne => Scalar::B(a != b),
        BinOp::Lt => Scalar::B(a < b),
        BinOp::Le => Scalar::B(a <= b),
        BinOp::Gt => Scalar::B(a > b),
        BinOp::Ge => Scalar::B(a >= b),
        BinOp::And => {
            if dtype == DType::Bool {
                Scalar::B(a != 0 && b != 0)
            } else {
                Scalar::I(a & b)
            }
        }
        BinOp::Or => {
            if dtype == DType::Bool {
                Scalar::B(a != 0 || b != 0)
            } else {
                Scalar::I(a | b)
            }
        }
        BinOp::BitAnd if dtype == DType::Bool => logical(a != 0 && b != 0),
        BinOp::BitOr if dtype == DType::Bool => logical(a != 0 || b != 0),
        BinOp::BitXor if dtype == DType::Bool => logical((a != 0) != (b != 0)),
        BinOp::BitAnd => Scalar::I(a & b),
        BinOp::BitOr => Scalar::I(a | b),
        BinOp::BitXor => Scalar::I(a ^ b),
        BinOp::Shl => Scalar::I(if shift_in_range(b, dtype) { a << b } else { 0 }),
        BinOp::Shr => Scalar::I(if shift_in_range(b, dtype) { a >> b } else { a >> 63 }),
    }
}

/// Whether a shift amount is in `0..width` of `dtype` (others shift every bit out).
fn shift_in_range(amount: i64, dtype: DType) -> bool {
    (0..dtype.bits() as i64).contains(&amount)
}

/// [`binary`] on u64, whose values do not all fit i64.
fn binary_u64(op: BinOp, a: u64, b: u64) -> Scalar {
    let u = Scalar::from_u64;
    match op {
        BinOp::Add => u(a.wrapping_add(b)),
        BinOp::Sub => u(a.wrapping_sub(b)),
        BinOp::Mul => u(a.wrapping_mul(b)),
        BinOp::Div | BinOp::FloorDiv => u(a.checked_div(b).unwrap_or(0)),
        BinOp::Rem | BinOp::FloorMod => u(a.checked_rem(b).unwrap_or(0)),
        BinOp::Min => u(a.min(b)),
        BinOp::Max => u(a.max(b)),
        BinOp::Pow => u(uint_pow(a, b)),
        BinOp::Eq => Scalar::B(a == b),
        BinOp::Ne => Scalar::B(a != b),
        BinOp::Lt => Scalar::B(a < b),
        BinOp::Le => Scalar::B(a <= b),
        BinOp::Gt => Scalar::B(a > b),
        BinOp::Ge => Scalar::B(a >= b),
        BinOp::And | BinOp::BitAnd => u(a & b),
        BinOp::Or | BinOp::BitOr => u(a | b),
        BinOp::BitXor => u(a ^ b),
        BinOp::Shl => u(if b < 64 { a << b } else { 0 }),
        BinOp::Shr => u(if b < 64 { a >> b } else { 0 }),
    }
}

/// Wrapping power of an unsigned base and exponent, by squaring.
pub fn uint_pow(base: u64, exp: u64) -> u64 {
    let (mut result, mut b, mut e) = (1u64, base, exp);
    while e > 0 {
        if e & 1 == 1 {
            result = result.wrapping_mul(b);
        }
        b = b.wrapping_mul(b);
        e >>= 1;
    }
    result
}

/// Floor modulo as `fmod` corrected toward the divisor's sign (numpy's
/// `mod`): exact, and right for infinite divisors (`-3 mod inf = inf`).
pub fn float_floor_mod(a: f64, b: f64) -> f64 {
    let r = a % b;
    if r != 0.0 && (r < 0.0) != (b < 0.0) {
        r + b
    } else {
        r
    }
}

/// Integer power by squaring, wrapping; a negative exponent gives 0 except for
/// bases 1 and -1.
pub fn int_pow(base: i64, exp: i64) -> i64 {
    if exp < 0 {
        return match base {
            1 => 1,
            -1 => {
                if exp % 2 == 0 {
                    1
                } else {
                    -1
                }
            }
            _ => 0,
        };
    }
    uint_pow(base as u64, exp as u64) as i64
}

/// Unary operation semantics on one dtype.
pub fn unary(op: UnOp, x: Scalar, dtype: DType) -> Scalar {
    if dtype.is_float() {
        let a = x.to_f64();
        return Scalar::F(match op {
            UnOp::Neg => -a,
            UnOp::Not => (a == 0.0) as i64 as f64,
            UnOp::Abs => a.abs(),
            UnOp::Exp => a.exp(),
            UnOp::Log => a.ln(),
            UnOp::Sqrt => a.sqrt(),
            UnOp::Tanh => a.tanh(),
            UnOp::Erf => libm::erf(a),
            UnOp::Floor => a.floor(),
            UnOp::Ceil => a.ceil(),
            UnOp::Round => a.round_ties_even(),
            UnOp::Sin => a.sin(),
            UnOp::Cos => a.cos(),
            UnOp::Asin => libm::asin(a),
            UnOp::Acos => libm::acos(a),
            UnOp::Atan => libm::atan(a),
            UnOp::Sinh => libm::sinh(a),
            UnOp::Cosh => libm::cosh(a),
            UnOp::Asinh => libm::asinh(a),
            UnOp::Acosh => libm::acosh(a),
            UnOp::Atanh => libm::atanh(a),
        });
    }
    if dtype == DType::Bool {
        let b = x.to_bool();
        return Scalar::B(match op {
            UnOp::Not => !b,
            _ => b,
        });
    }
    let a = x.to_i64();
    match op {
        UnOp::Neg => Scalar::I(a.wrapping_neg()),
        UnOp::Not => Scalar::I(!a),
        UnOp::Abs if dtype.is_unsigned_int() => x,
        UnOp::Abs => Scalar::I(a.wrapping_abs()),
        UnOp::Floor | UnOp::Ceil | UnOp::Round => x,
        // Transcendentals on integers go through f64 and truncate.
        _ => unary(op, Scalar::F(x.to_f64()), DType::F64).cast(dtype),
    }
}

#[cfg(test)]
mod tests {
    use super::float_floor_mod;

    #[test]
    fn float_floor_mod_takes_the_divisor_sign() {
        assert_eq!(float_floor_mod(-3.0, 2.0), 1.0);
        assert_eq!(float_floor_mod(3.0, -2.0), -1.0);
        assert_eq!(float_floor_mod(-3.0, f64::INFINITY), f64::INFINITY);
        assert_eq!(float_floor_mod(3.0, f64::INFINITY), 3.0);
        assert_eq!(float_floor_mod(1.0, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(float_floor_mod(f64::INFINITY, 2.0).is_nan());
        assert!(float_floor_mod(1.0, 0.0).is_nan());
    }
}
