//! The loop-level IR (TIR-like): `PrimFunc`s over buffers with symbolic shapes.
//!
//! Legalization produces these from operators (what to compute); scheduling
//! passes may later rewrite loops (how to run them) without touching operator
//! definitions. All buffers are dense and row-major; loads and stores take one
//! index per dimension. Loop variables and symbolic dims are `i64`.

use super::dim::Dim;
use relax_rt::DType;

/// A tensor a `PrimFunc` reads or writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<Dim>,
}

impl Buffer {
    pub fn new(name: impl Into<String>, dtype: DType, shape: Vec<Dim>) -> Buffer {
        Buffer { name: name.into(), dtype, shape }
    }
}

/// How a loop may be run. Codegen treats non-serial kinds as hints it may honour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopKind {
    Serial,
    Parallel,
    Vectorized,
    Unrolled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    /// Float division; on integers, division truncating toward zero (C semantics).
    Div,
    /// Integer floor division (index arithmetic).
    FloorDiv,
    /// Integer floor modulo (index arithmetic).
    FloorMod,
    /// Remainder with the sign of the dividend (C `%`, `fmod`).
    Rem,
    Min,
    Max,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// Bitwise and, or and exclusive or of integers (of bools: logical), with the
    /// operands' dtype (unlike `&&`/`||`, whose result is bool).
    BitAnd,
    BitOr,
    BitXor,
    /// Shifts by the second operand; an amount that is negative or not below the
    /// width shifts every bit out: `shl` gives 0, `shr` the sign fill (-1 for a
    /// negative signed value, else 0). `shr` is arithmetic on signed dtypes.
    Shl,
    Shr,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    pub fn name(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "floordiv",
            BinOp::FloorMod => "floormod",
            BinOp::Rem => "%",
            BinOp::Min => "min",
            BinOp::Max => "max",
            BinOp::Pow => "pow",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::BitAnd => "bitand",
            BinOp::BitOr => "bitor",
            BinOp::BitXor => "bitxor",
            BinOp::Shl => "shl",
            BinOp::Shr => "shr",
        }
    }

    /// Operators defined on integers (the bitwise ones also on bool), not floats.
    pub fn is_bitwise(self) -> bool {
        matches!(self, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    /// Logical not (bool) or bitwise not (integers).
    Not,
    Abs,
    Exp,
    Log,
    Sqrt,
    Tanh,
    Erf,
    Floor,
    Ceil,
    /// Round half to even.
    Round,
    Sin,
    Cos,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
}

impl UnOp {
    pub fn name(self) -> &'static str {
        match self {
            UnOp::Neg => "neg",
            UnOp::Not => "not",
            UnOp::Abs => "abs",
            UnOp::Exp => "exp",
            UnOp::Log => "log",
            UnOp::Sqrt => "sqrt",
            UnOp::Tanh => "tanh",
            UnOp::Erf => "erf",
            UnOp::Floor => "floor",
            UnOp::Ceil => "ceil",
            UnOp::Round => "round",
            UnOp::Sin => "sin",
            UnOp::Cos => "cos",
            UnOp::Asin => "asin",
            UnOp::Acos => "acos",
            UnOp::Atan => "atan",
            UnOp::Sinh => "sinh",
            UnOp::Cosh => "cosh",
            UnOp::Asinh => "asinh",
            UnOp::Acosh => "acosh",
            UnOp::Atanh => "atanh",
        }
    }
}

/// A scalar expression. Its dtype follows from its parts: `Var` is i64, `Load`
/// has the buffer's dtype, comparisons are bool, other binary ops need both
/// operands of one dtype (insert `Cast` where they differ).
#[derive(Clone, Debug, PartialEq)]
pub enum PExpr {
    /// An integer literal; a u64 above `i64::MAX` is held as its bits (`-1` is `u64::MAX`).
    Int(i64, DType),
    Float(f64, DType),
    Bool(bool),
    /// A loop variable or a symbolic dim parameter (i64).
    Var(String),
    Load {
        buf: String,
        idx: Vec<PExpr>,
    },
    Bin(BinOp, Box<PExpr>, Box<PExpr>),
    Un(UnOp, Box<PExpr>),
    Cast(DType, Box<PExpr>),
    /// The bits of the operand read as a value of the dtype, whose width
    /// ([`DType::bits`]) must be the operand's (`f32` bits as `i32`).
    Bitcast(DType, Box<PExpr>),
    /// `cond ? then : else` (both sides may be evaluated).
    Select(Box<PExpr>, Box<PExpr>, Box<PExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `for var in 0..extent`.
    For {
        var: String,
        extent: PExpr,
        kind: LoopKind,
        body: Box<Stmt>,
    },
    Store {
        buf: String,
        idx: Vec<PExpr>,
        value: PExpr,
    },
    Seq(Vec<Stmt>),
    /// A scratch buffer live in `body`. Its shape must be static (it lives on
    /// the stack); rank 0 is a scalar accumulator.
    Alloc {
        buf: Buffer,
        body: Box<Stmt>,
    },
    If {
        cond: PExpr,
        then_branch: Box<Stmt>,
        else_branch: Option<Box<Stmt>>,
    },
}

/// A loop-level function in destination-passing style: `params` are inputs
/// followed by `num_outputs` outputs it writes; `dims` are the symbolic dims
/// its buffer shapes use, passed as `i64` arguments in this order.
#[derive(Clone, Debug, PartialEq)]
pub struct PrimFunc {
    pub name: String,
    pub params: Vec<Buffer>,
    pub num_outputs: usize,
    pub dims: Vec<String>,
    pub body: Stmt,
}

impl PrimFunc {
    pub fn inputs(&self) -> &[Buffer] {
        &self.params[..self.params.len() - self.num_outputs]
    }
    pub fn outputs(&self) -> &[Buffer] {
        &self.params[self.params.len() - self.num_outputs..]
    }
    pub fn param(&self, name: &str) -> Option<&Buffer> {
        self.params.iter().find(|b| b.name == name)
    }
}

// ---- construction helpers (used by legalization rules) ----

impl PExpr {
    pub fn int(v: i64) -> PExpr {
        PExpr::Int(v, DType::I64)
    }
    pub fn var(name: &str) -> PExpr {
        PExpr::Var(name.to_string())
    }
    pub fn load(buf: &str, idx: Vec<PExpr>) -> PExpr {
        PExpr::Load { buf: buf.to_string(), idx }
    }
    pub fn bin(op: BinOp, a: PExpr, b: PExpr) -> PExpr {
        PExpr::Bin(op, Box::new(a), Box::new(b))
    }
    pub fn un(op: UnOp, a: PExpr) -> PExpr {
        PExpr::Un(op, Box::new(a))
    }
    pub fn cast(dtype: DType, a: PExpr) -> PExpr {
        PExpr::Cast(dtype, Box::new(a))
    }
    pub fn bitcast(dtype: DType, a: PExpr) -> PExpr {
        PExpr::Bitcast(dtype, Box::new(a))
    }
    pub fn select(c: PExpr, t: PExpr, f: PExpr) -> PExpr {
        PExpr::Select(Box::new(c), Box::new(t), Box::new(f))
    }
    /// A literal of `dtype` with the value `v` (rounded for integers, `v != 0` for bool).
    pub fn constant(v: f64, dtype: DType) -> PExpr {
        match dtype {
            DType::Bool => PExpr::Bool(v != 0.0),
            _ if dtype.is_float() => PExpr::Float(v, dtype),
            // u64 literals above i64::MAX are held as their two's-complement bits.
            DType::U64 => PExpr::Int(v as u64 as i64, dtype),
            _ => PExpr::Int(v as i64, dtype),
        }
    }

    /// The i64 expression computing a symbolic dim.
    pub fn from_dim(d: &Dim) -> PExpr {
        let bin = |op, a: &Dim, b: &Dim| PExpr::bin(op, PExpr::from_dim(a), PExpr::from_dim(b));
        match d {
            Dim::Int(v) => PExpr::int(*v),
            Dim::Var(n) => PExpr::var(n),
            Dim::Add(a, b) => bin(BinOp::Add, a, b),
            Dim::Sub(a, b) => bin(BinOp::Sub, a, b),
            Dim::Mul(a, b) => bin(BinOp::Mul, a, b),
            Dim::Div(a, b) => bin(BinOp::FloorDiv, a, b),
            Dim::Mod(a, b) => bin(BinOp::FloorMod, a, b),
            Dim::Min(a, b) => bin(BinOp::Min, a, b),
            Dim::Max(a, b) => bin(BinOp::Max, a, b),
        }
    }

    /// Rewrites every node bottom-up with `f` (which sees already-rewritten children).
    pub fn rewrite(&self, f: &mut dyn FnMut(PExpr) -> PExpr) -> PExpr {
        let mut go = |e: &PExpr| e.rewrite(f);
        let rebuilt = match self {
            PExpr::Int(..) | PExpr::Float(..) | PExpr::Bool(_) | PExpr::Var(_) => self.clone(),
            PExpr::Load { buf, idx } => PExpr::Load { buf: buf.clone(), idx: idx.iter().map(&mut go).collect() },
            PExpr::Bin(op, a, b) => PExpr::bin(*op, go(a), go(b)),
            PExpr::Un(op, a) => PExpr::un(*op, go(a)),
            PExpr::Cast(d, a) => PExpr::cast(*d, go(a)),
            PExpr::Bitcast(d, a) => PExpr::bitcast(*d, go(a)),
            PExpr::Select(c, t, e) => PExpr::select(go(c), go(t), go(e)),
        };
        f(rebuilt)
    }

    /// Replaces variables by expressions.
    pub fn substitute(&self, map: &std::collections::HashMap<String, PExpr>) -> PExpr {
        self.rewrite(&mut |e| match &e {
            PExpr::Var(v) => map.get(v).cloned().unwrap_or(e),
            _ => e,
        })
    }
}

impl std::ops::Add for PExpr {
    type Output = PExpr;
    fn add(self, rhs: PExpr) -> PExpr {
        PExpr::bin(BinOp::Add, self, rhs)
    }
}
impl std::ops::Sub for PExpr {
    type Output = PExpr;
    fn sub(self, rhs: PExpr) -> PExpr {
        PExpr::bin(BinOp::Sub, self, rhs)
    }
}
impl std::ops::Mul for PExpr {
    type Output = PExpr;
    fn mul(self, rhs: PExpr) -> PExpr {
        PExpr::bin(BinOp::Mul, self, rhs)
    }
}
impl std::ops::Div for PExpr {
    type Output = PExpr;
    fn div(self, rhs: PExpr) -> PExpr {
        PExpr::bin(BinOp::Div, self, rhs)
    }
}

impl Stmt {
    pub fn store(buf: &str, idx: Vec<PExpr>, value: PExpr) -> Stmt {
        Stmt::Store { buf: buf.to_string(), idx, value }
    }

    /// `for v in 0..extent { body }`, serial.
    pub fn for_(var: &str, extent: PExpr, body: Stmt) -> Stmt {
        Stmt::For { var: var.to_string(), extent, kind: LoopKind::Serial, body: Box::new(body) }
    }

    /// Nested serial loops over `vars` with `extents` (outermost first).
    pub fn loop_nest(vars: &[String], extents: &[Dim], body: Stmt) -> Stmt {
        vars.iter().zip(extents).rev().fold(body, |body, (v, e)| Stmt::for_(v, PExpr::from_dim(e), body))
    }

    pub fn alloc(buf: Buffer, body: Stmt) -> Stmt {
        Stmt::Alloc { buf, body: Box::new(body) }
    }
}
