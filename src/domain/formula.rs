//! Rule and indicator formulas over metric keys, e.g.
//! `cases_resolved <= cases_accepted` or `cases_resolved / cases_accepted`.
//!
//! The language: numbers (`123`, `0.5`), metric keys, `+ - * /`, unary `-`,
//! comparisons `< <= > >= == !=`, `and` / `or` / `not` (also `&&`, `||`, `!`)
//! and parentheses. Formulas come from the config, so every syntax error names
//! a column, and nesting is capped so a hostile formula cannot overflow the stack.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How deeply parentheses and prefix operators (`-`, `not`, `!`) may nest.
/// Chains such as `a + b + c` are stored flat, so this also bounds the depth of
/// the tree that evaluation walks.
pub const MAX_DEPTH: usize = 64;

/// A parsed formula. Cheap to clone: the source and the tree are shared.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    source: Arc<str>,
    expr: Arc<Expr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormulaError {
    /// Syntax error at a byte column (0-based) of the source, with a short English message,
    /// e.g. "unexpected ')' at column 17", "expected a metric key or number at column 0", "unclosed '(' ...".
    #[error("{message} at column {column}")]
    Syntax { column: usize, message: String },
    /// A name that is not among the allowed keys (returned by `check_names`).
    #[error("unknown metric '{name}'")]
    UnknownName { name: String },
    /// A check formula that is not a condition, or an indicator formula that is one.
    #[error("{0}")]
    Shape(String),
}

impl Formula {
    /// Parses `src`; a syntax error names the byte column where it was found.
    pub fn parse(src: &str) -> Result<Formula, FormulaError> {
        let expr = Parser::new(src)?.formula()?;
        Ok(Formula {
            source: Arc::from(src),
            expr: Arc::new(expr),
        })
    }

    /// The text as written in the config.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The metric keys it mentions, sorted, deduplicated.
    pub fn names(&self) -> Vec<String> {
        let mut names = self.names_in_order();
        names.sort_unstable();
        names.dedup();
        names.into_iter().map(str::to_owned).collect()
    }

    /// Err(UnknownName) for the first name not in `known` (in source order).
    pub fn check_names(&self, known: &dyn Fn(&str) -> bool) -> Result<(), FormulaError> {
        match self.names_in_order().into_iter().find(|name| !known(name)) {
            Some(name) => Err(FormulaError::UnknownName { name: name.to_owned() }),
            None => Ok(()),
        }
    }

    /// True when the top level is a comparison or a boolean combination (`and`, `or`, `not`).
    pub fn is_condition(&self) -> bool {
        self.expr.is_condition()
    }

    /// For a rule's `check`: Err(Shape) unless the formula is a condition.
    pub fn require_condition(&self) -> Result<(), FormulaError> {
        if self.is_condition() {
            Ok(())
        } else {
            Err(FormulaError::Shape(format!(
                "'{}' is not a condition; a check needs a comparison such as 'cases_resolved <= cases_accepted'",
                self.source
            )))
        }
    }

    /// For an indicator's `formula`: Err(Shape) when the formula is a condition.
    pub fn require_quantity(&self) -> Result<(), FormulaError> {
        if self.is_condition() {
            Err(FormulaError::Shape(format!(
                "'{}' is a condition; an indicator needs a number such as 'cases_resolved / cases_accepted'",
                self.source
            )))
        } else {
            Ok(())
        }
    }

    /// Numeric value. None when a name is missing (lookup returns None, or a
    /// value that is not finite), on division by zero, or when the result is
    /// not finite. A condition evaluates to 1.0 / 0.0.
    pub fn value(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        // `0 * -1` is -0.0, which would print as "-0" in a report.
        self.expr.number(lookup).map(|v| if v == 0.0 { 0.0 } else { v })
    }

    /// Truth of a condition. None when it cannot be decided (a missing name or
    /// a division by zero inside it). `and` / `or` follow three-valued logic:
    /// `false and <undecided>` is false and `true or <undecided>` is true,
    /// because the missing part cannot change the outcome. A non-condition
    /// formula is true when its value is non-zero.
    pub fn holds(&self, lookup: &dyn Fn(&str) -> Option<f64>) -> Option<bool> {
        self.expr.truth(lookup)
    }

    fn names_in_order(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.expr.collect_names(&mut names);
        names
    }
}

impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for Formula {
    type Err = FormulaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Formula::parse(s)
    }
}

// ---------------------------------------------------------------------------
// The tree and its evaluation

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    fn apply(self, left: f64, right: f64) -> bool {
        // Exact: metric values are counts, so no tolerance is wanted.
        match self {
            CmpOp::Lt => left < right,
            CmpOp::Le => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Ge => left >= right,
            CmpOp::Eq => left == right,
            CmpOp::Ne => left != right,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Number(f64),
    Metric(String),
    Negate(Box<Expr>),
    /// `first op term op term ...` at one precedence level, evaluated left to
    /// right. Kept flat so a long sum does not make a deep tree.
    Chain {
        first: Box<Expr>,
        rest: Vec<(ArithOp, Expr)>,
    },
    Compare {
        op: CmpOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Not(Box<Expr>),
    All(Vec<Expr>),
    Any(Vec<Expr>),
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<f64>;

impl Expr {
    fn is_condition(&self) -> bool {
        matches!(self, Expr::Compare { .. } | Expr::Not(_) | Expr::All(_) | Expr::Any(_))
    }

    fn number(&self, lookup: Lookup<'_>) -> Option<f64> {
        match self {
            Expr::Number(n) => Some(*n),
            // A NaN or infinity from a source is as useless as a missing value.
            Expr::Metric(name) => lookup(name).filter(|v| v.is_finite()),
            Expr::Negate(inner) => inner.number(lookup).map(|v| -v),
            Expr::Chain { first, rest } => {
                rest.iter().try_fold(first.number(lookup)?, |acc, (op, term)| {
                    let v = term.number(lookup)?;
                    let result = match op {
                        ArithOp::Add => acc + v,
                        ArithOp::Sub => acc - v,
                        ArithOp::Mul => acc * v,
                        ArithOp::Div if v == 0.0 => return None,
                        ArithOp::Div => acc / v,
                    };
                    // Checked at every step so an overflow cannot come back
                    // as a finite number (e.g. `inf - inf` is NaN, `1 / inf` is 0).
                    result.is_finite().then_some(result)
                })
            }
            Expr::Compare { .. } | Expr::Not(_) | Expr::All(_) | Expr::Any(_) => {
                self.truth(lookup).map(|holds| if holds { 1.0 } else { 0.0 })
            }
        }
    }

    fn truth(&self, lookup: Lookup<'_>) -> Option<bool> {
        match self {
            Expr::Compare { op, left, right } => Some(op.apply(left.number(lookup)?, right.number(lookup)?)),
            Expr::Not(inner) => inner.truth(lookup).map(|holds| !holds),
            Expr::All(terms) => junction(terms, false, lookup),
            Expr::Any(terms) => junction(terms, true, lookup),
            Expr::Number(_) | Expr::Metric(_) | Expr::Negate(_) | Expr::Chain { .. } => {
                self.number(lookup).map(|v| v != 0.0)
            }
        }
    }

    fn collect_names<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Number(_) => {}
            Expr::Metric(name) => out.push(name),
            Expr::Negate(inner) | Expr::Not(inner) => inner.collect_names(out),
            Expr::Chain { first, rest } => {
                first.collect_names(out);
                for (_, term) in rest {
                    term.collect_names(out);
                }
            }
            Expr::Compare { left, right, .. } => {
                left.collect_names(out);
                right.collect_names(out);
            }
            Expr::All(terms) | Expr::Any(terms) => {
                for term in terms {
                    term.collect_names(out);
                }
            }
        }
    }
}

/// Three-valued `and` (decisive = false) or `or` (decisive = true): one
/// decisive term settles it even when others are undecided.
fn junction(terms: &[Expr], decisive: bool, lookup: Lookup<'_>) -> Option<bool> {
    let mut undecided = false;
    for term in terms {
        match term.truth(lookup) {
            Some(holds) if holds == decisive => return Some(decisive),
            Some(_) => {}
            None => undecided = true,
        }
    }
    if undecided { None } else { Some(!decisive) }
}

// ---------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<'a> {
    Number(f64),
    Name(&'a str),
    And,
    Or,
    Not,
    Plus,
    Minus,
    Star,
    Slash,
    Open,
    Close,
    Compare(CmpOp),
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind<'a>,
    start: usize,
    end: usize,
}

fn syntax(column: usize, message: impl Into<String>) -> FormulaError {
    FormulaError::Syntax {
        column,
        message: message.into(),
    }
}

/// Tokens are produced one at a time, so the first error in reading order is
/// the one reported, whether it is a bad character or a misplaced token.
struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn next_token(&mut self) -> Result<Token<'a>, FormulaError> {
        let rest = self.src.get(self.pos..).unwrap_or_default();
        let trimmed = rest.trim_start();
        let start = self.pos + (rest.len() - trimmed.len());
        let rest = trimmed;
        let Some(c) = rest.chars().next() else {
            self.pos = start;
            return Ok(Token {
                kind: Kind::End,
                start,
                end: start,
            });
        };
        let (kind, len) = match c {
            '0'..='9' => number(rest).map_err(|message| syntax(start, message))?,
            'a'..='z' | 'A'..='Z' | '_' => word(rest),
            '+' => (Kind::Plus, 1),
            '-' => (Kind::Minus, 1),
            '*' => (Kind::Star, 1),
            '/' => (Kind::Slash, 1),
            '(' => (Kind::Open, 1),
            ')' => (Kind::Close, 1),
            '<' if rest.starts_with("<=") => (Kind::Compare(CmpOp::Le), 2),
            '<' => (Kind::Compare(CmpOp::Lt), 1),
            '>' if rest.starts_with(">=") => (Kind::Compare(CmpOp::Ge), 2),
            '>' => (Kind::Compare(CmpOp::Gt), 1),
            '=' if rest.starts_with("==") => (Kind::Compare(CmpOp::Eq), 2),
            '!' if rest.starts_with("!=") => (Kind::Compare(CmpOp::Ne), 2),
            '!' => (Kind::Not, 1),
            '&' if rest.starts_with("&&") => (Kind::And, 2),
            '|' if rest.starts_with("||") => (Kind::Or, 2),
            // Likely slips from other languages; say what to write instead.
            '=' => {
                return Err(syntax(start, "unexpected '=' (comparisons are == != < <= > >=)"));
            }
            '&' => return Err(syntax(start, "unexpected '&' (write '&&' or 'and')")),
            '|' => return Err(syntax(start, "unexpected '|' (write '||' or 'or')")),
            other => return Err(syntax(start, format!("unexpected character '{other}'"))),
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            start,
            end: start + len,
        })
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A number at the start of `rest`: digits, optionally `.` and more digits.
fn number(rest: &str) -> Result<(Kind<'static>, usize), String> {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut len = digits(rest);
    let mut well_formed = true;
    if rest[len..].starts_with('.') {
        let fraction = digits(&rest[len + 1..]);
        well_formed = fraction > 0;
        len += 1 + fraction;
    }
    // Letters, digits or dots glued on (`1e3`, `2x`, `1.2.3`) are one typo;
    // quote the whole thing rather than complain about its second half.
    let glued = rest[len..]
        .bytes()
        .take_while(|&b| is_word_byte(b) || b == b'.')
        .count();
    if !well_formed || glued > 0 {
        return Err(format!("malformed number '{}'", &rest[..len + glued]));
    }
    let text = &rest[..len];
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok((Kind::Number(value), len)),
        Ok(_) => Err(format!("number '{text}' is too large")),
        Err(_) => Err(format!("malformed number '{text}'")),
    }
}

/// A metric key or keyword at the start of `rest`. Keywords are whole words
/// only, so `order` and `notes` are metric keys.
fn word(rest: &str) -> (Kind<'_>, usize) {
    let len = rest.bytes().take_while(|&b| is_word_byte(b)).count();
    let text = &rest[..len];
    let kind = match text {
        "and" => Kind::And,
        "or" => Kind::Or,
        "not" => Kind::Not,
        _ => Kind::Name(text),
    };
    (kind, len)
}

// ---------------------------------------------------------------------------
// Parser: recursive descent, one function per precedence level, lowest first.

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    token: Token<'a>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, FormulaError> {
        let mut lexer = Lexer { src, pos: 0 };
        let token = lexer.next_token()?;
        Ok(Parser {
            src,
            lexer,
            token,
            depth: 0,
        })
    }

    fn advance(&mut self) -> Result<(), FormulaError> {
        self.token = self.lexer.next_token()?;
        Ok(())
    }

    /// The current token as quoted in an error message.
    fn found(&self) -> String {
        match self.token.kind {
            Kind::End => "the end of the formula".to_owned(),
            _ => format!(
                "'{}'",
                self.src.get(self.token.start..self.token.end).unwrap_or_default()
            ),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> FormulaError {
        syntax(self.token.start, message)
    }

    fn formula(mut self) -> Result<Expr, FormulaError> {
        let expr = self.disjunction()?;
        match self.token.kind {
            Kind::End => Ok(expr),
            Kind::Close => Err(self.error_here("unexpected ')'")),
            _ => Err(self.error_here(format!("expected an operator, found {}", self.found()))),
        }
    }

    /// Runs `parse` one level deeper, refusing to go past `MAX_DEPTH`.
    fn nested(
        &mut self,
        column: usize,
        parse: fn(&mut Self) -> Result<Expr, FormulaError>,
    ) -> Result<Expr, FormulaError> {
        if self.depth >= MAX_DEPTH {
            return Err(syntax(column, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn disjunction(&mut self) -> Result<Expr, FormulaError> {
        self.junction(|kind| kind == Kind::Or, Self::conjunction, Expr::Any)
    }

    fn conjunction(&mut self) -> Result<Expr, FormulaError> {
        self.junction(|kind| kind == Kind::And, Self::negation, Expr::All)
    }

    fn junction(
        &mut self,
        is_separator: fn(Kind<'a>) -> bool,
        operand: fn(&mut Self) -> Result<Expr, FormulaError>,
        build: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, FormulaError> {
        let first = operand(self)?;
        if !is_separator(self.token.kind) {
            return Ok(first);
        }
        let mut terms = vec![first];
        while is_separator(self.token.kind) {
            self.advance()?;
            terms.push(operand(self)?);
        }
        Ok(build(terms))
    }

    fn negation(&mut self) -> Result<Expr, FormulaError> {
        if self.token.kind != Kind::Not {
            return self.comparison();
        }
        let column = self.token.start;
        self.advance()?;
        let inner = self.nested(column, Self::negation)?;
        Ok(Expr::Not(Box::new(inner)))
    }

    fn comparison(&mut self) -> Result<Expr, FormulaError> {
        let left = self.sum()?;
        let Kind::Compare(op) = self.token.kind else {
            return Ok(left);
        };
        self.advance()?;
        let right = self.sum()?;
        // `a < b < c` means something else in most languages; make it explicit.
        if let Kind::Compare(_) = self.token.kind {
            return Err(self.error_here(format!(
                "unexpected {} after a comparison (join comparisons with 'and')",
                self.found()
            )));
        }
        Ok(Expr::Compare {
            op,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn sum(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |kind| match kind {
                Kind::Plus => Some(ArithOp::Add),
                Kind::Minus => Some(ArithOp::Sub),
                _ => None,
            },
            Self::product,
        )
    }

    fn product(&mut self) -> Result<Expr, FormulaError> {
        self.chain(
            |kind| match kind {
                Kind::Star => Some(ArithOp::Mul),
                Kind::Slash => Some(ArithOp::Div),
                _ => None,
            },
            Self::unary,
        )
    }

    fn chain(
        &mut self,
        operator: fn(Kind<'a>) -> Option<ArithOp>,
        operand: fn(&mut Self) -> Result<Expr, FormulaError>,
    ) -> Result<Expr, FormulaError> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = operator(self.token.kind) {
            self.advance()?;
            rest.push((op, operand(self)?));
        }
        if rest.is_empty() {
            Ok(first)
        } else {
            Ok(Expr::Chain {
                first: Box::new(first),
                rest,
            })
        }
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if self.token.kind != Kind::Minus {
            return self.primary();
        }
        let column = self.token.start;
        self.advance()?;
        let inner = self.nested(column, Self::unary)?;
        Ok(Expr::Negate(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        match self.token.kind {
            Kind::Number(value) => {
                self.advance()?;
                Ok(Expr::Number(value))
            }
            Kind::Name(name) => {
                self.advance()?;
                Ok(Expr::Metric(name.to_owned()))
            }
            Kind::Open => {
                let open = self.token.start;
                self.advance()?;
                let inner = self.nested(open, Self::disjunction)?;
                match self.token.kind {
                    Kind::Close => {
                        self.advance()?;
                        Ok(inner)
                    }
                    Kind::End => Err(syntax(open, "unclosed '('")),
                    _ => Err(self.error_here(format!("expected ')' or an operator, found {}", self.found()))),
                }
            }
            _ => Err(self.error_here(format!("expected a metric key or number, found {}", self.found()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(pairs: &[(&str, f64)]) -> impl Fn(&str) -> Option<f64> {
        let pairs: Vec<(String, f64)> = pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    fn no_metrics(_: &str) -> Option<f64> {
        None
    }

    fn value_of(src: &str) -> Option<f64> {
        Formula::parse(src).expect(src).value(&no_metrics)
    }

    fn holds_with(src: &str, pairs: &[(&str, f64)]) -> Option<bool> {
        Formula::parse(src).expect(src).holds(&metrics(pairs))
    }

    fn syntax_error(src: &str) -> (usize, String) {
        match Formula::parse(src) {
            Err(FormulaError::Syntax { column, message }) => (column, message),
            other => panic!("{src:?} should be a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn a_rate_divides_resolved_by_accepted() {
        let rate = Formula::parse("cases_resolved / cases_accepted").unwrap();
        let report = metrics(&[("cases_accepted", 1081.0), ("cases_resolved", 898.0)]);
        assert_eq!(rate.value(&report), Some(898.0 / 1081.0));
        assert!(!rate.is_condition());
    }

    #[test]
    fn a_rate_with_a_zero_denominator_has_no_value() {
        let rate = Formula::parse("cases_resolved / cases_accepted").unwrap();
        let report = metrics(&[("cases_accepted", 0.0), ("cases_resolved", 0.0)]);
        assert_eq!(rate.value(&report), None);
        assert_eq!(rate.holds(&report), None);
        assert_eq!(value_of("1 / (2 - 2)"), None);
    }

    #[test]
    fn a_rate_with_a_missing_metric_has_no_value() {
        let rate = Formula::parse("cases_resolved / cases_accepted").unwrap();
        assert_eq!(rate.value(&metrics(&[("cases_resolved", 3.0)])), None);
    }

    #[test]
    fn resolved_above_accepted_breaks_the_rule() {
        let rule = Formula::parse("cases_resolved <= cases_accepted").unwrap();
        assert!(rule.is_condition());
        let report = metrics(&[("cases_accepted", 10.0), ("cases_resolved", 11.0)]);
        assert_eq!(rule.holds(&report), Some(false));
        assert_eq!(rule.value(&report), Some(0.0));
    }

    #[test]
    fn resolved_equal_to_accepted_keeps_the_rule() {
        let rule = Formula::parse("cases_resolved <= cases_accepted").unwrap();
        let report = metrics(&[("cases_accepted", 10.0), ("cases_resolved", 10.0)]);
        assert_eq!(rule.holds(&report), Some(true));
        assert_eq!(rule.value(&report), Some(1.0));
    }

    #[test]
    fn a_rule_over_a_missing_metric_is_undecided() {
        let rule = Formula::parse("cases_resolved <= cases_accepted").unwrap();
        assert_eq!(rule.holds(&metrics(&[("cases_accepted", 10.0)])), None);
        assert_eq!(rule.value(&metrics(&[("cases_accepted", 10.0)])), None);
    }

    #[test]
    fn a_rule_with_a_division_by_zero_is_undecided() {
        assert_eq!(holds_with("a / b > 0.5", &[("a", 1.0), ("b", 0.0)]), None);
    }

    #[test]
    fn precedence_of_multiplication_over_addition() {
        assert_eq!(value_of("1 + 2 * 3"), Some(7.0));
        assert_eq!(value_of("2 * 3 + 1"), Some(7.0));
        assert_eq!(value_of("1 + 6 / 3"), Some(3.0));
    }

    #[test]
    fn parentheses_override_precedence() {
        assert_eq!(value_of("(1 + 2) * 3"), Some(9.0));
        assert_eq!(value_of("((((1 + 2))) * (3))"), Some(9.0));
    }

    #[test]
    fn subtraction_and_division_group_to_the_left() {
        assert_eq!(value_of("10 - 4 - 3"), Some(3.0));
        assert_eq!(value_of("24 / 4 / 2"), Some(3.0));
        assert_eq!(value_of("10 - (4 - 3)"), Some(9.0));
    }

    #[test]
    fn unary_minus_binds_tighter_than_multiplication() {
        assert_eq!(value_of("-2 * 3"), Some(-6.0));
        assert_eq!(value_of("2 - -3"), Some(5.0));
        assert_eq!(value_of("- - 2"), Some(2.0));
        assert_eq!(value_of("-(1 + 2)"), Some(-3.0));
    }

    #[test]
    fn decimals_are_read_exactly_as_written() {
        assert_eq!(value_of("0.5"), Some(0.5));
        assert_eq!(value_of("100 * 0.25"), Some(25.0));
        assert_eq!(value_of("007"), Some(7.0));
    }

    #[test]
    fn negative_zero_is_reported_as_zero() {
        let v = value_of("0 * -1").unwrap();
        assert!(v == 0.0 && v.is_sign_positive());
    }

    #[test]
    fn every_comparison_operator_compares() {
        let table = [
            ("a < b", Some(true)),
            ("a <= b", Some(true)),
            ("a > b", Some(false)),
            ("a >= b", Some(false)),
            ("a == b", Some(false)),
            ("a != b", Some(true)),
            ("a == a", Some(true)),
            ("a >= a", Some(true)),
            ("a <= a", Some(true)),
            ("a != a", Some(false)),
        ];
        for (src, expected) in table {
            assert_eq!(holds_with(src, &[("a", 1.0), ("b", 2.0)]), expected, "{src}");
        }
    }

    #[test]
    fn equality_is_exact() {
        assert_eq!(
            holds_with("a + b == c", &[("a", 0.1), ("b", 0.2), ("c", 0.3)]),
            Some(false)
        );
        assert_eq!(
            holds_with("a + b == c", &[("a", 40.0), ("b", 2.0), ("c", 42.0)]),
            Some(true)
        );
    }

    #[test]
    fn comparisons_bind_looser_than_arithmetic() {
        assert_eq!(holds_with("a + 1 > b * 2", &[("a", 4.0), ("b", 2.0)]), Some(true));
        assert_eq!(holds_with("a + 1 > b * 2", &[("a", 3.0), ("b", 2.0)]), Some(false));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(value_of("1 == 1 or 1 == 0 and 1 == 0"), Some(1.0));
        assert_eq!(value_of("(1 == 1 or 1 == 0) and 1 == 0"), Some(0.0));
    }

    #[test]
    fn not_applies_to_the_whole_comparison() {
        assert_eq!(holds_with("not a < b", &[("a", 1.0), ("b", 2.0)]), Some(false));
        assert_eq!(holds_with("not not a < b", &[("a", 1.0), ("b", 2.0)]), Some(true));
        assert_eq!(holds_with("not a < b and a > b", &[("a", 3.0), ("b", 2.0)]), Some(true));
    }

    #[test]
    fn symbols_are_aliases_of_the_keywords() {
        let pairs = [
            ("a > 0 && b > 0", "a > 0 and b > 0"),
            ("a > 0 || b > 0", "a > 0 or b > 0"),
            ("!(a > 0)", "not (a > 0)"),
            ("!a", "not a"),
        ];
        for (symbols, words) in pairs {
            for (a, b) in [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)] {
                let report = [("a", a), ("b", b)];
                assert_eq!(holds_with(symbols, &report), holds_with(words, &report), "{symbols}");
            }
        }
    }

    #[test]
    fn a_name_that_starts_with_a_keyword_is_a_metric() {
        let f = Formula::parse("android + order + notes + nota").unwrap();
        assert_eq!(f.names(), ["android", "nota", "notes", "order"]);
    }

    #[test]
    fn keywords_are_lowercase_only() {
        assert_eq!(Formula::parse("AND").unwrap().names(), ["AND"]);
        assert_eq!(syntax_error("a AND b"), (2, "expected an operator, found 'AND'".into()));
    }

    #[test]
    fn false_and_undecided_is_false() {
        assert_eq!(holds_with("a > 0 and missing > 0", &[("a", 0.0)]), Some(false));
        assert_eq!(holds_with("missing > 0 and a > 0", &[("a", 0.0)]), Some(false));
    }

    #[test]
    fn true_or_undecided_is_true() {
        assert_eq!(holds_with("missing > 0 or a > 0", &[("a", 1.0)]), Some(true));
    }

    #[test]
    fn an_undecided_part_that_could_change_the_outcome_leaves_it_undecided() {
        assert_eq!(holds_with("a > 0 and missing > 0", &[("a", 1.0)]), None);
        assert_eq!(holds_with("a > 0 or missing > 0", &[("a", 0.0)]), None);
        assert_eq!(holds_with("not missing > 0", &[]), None);
    }

    #[test]
    fn a_condition_is_worth_one_or_zero_in_arithmetic() {
        assert_eq!(value_of("(1 < 2) + (2 < 1) + (1 < 2)"), Some(2.0));
    }

    #[test]
    fn a_number_holds_when_it_is_not_zero() {
        assert_eq!(holds_with("a - b", &[("a", 3.0), ("b", 3.0)]), Some(false));
        assert_eq!(holds_with("a - b", &[("a", 3.0), ("b", 2.0)]), Some(true));
        assert_eq!(holds_with("a", &[]), None);
    }

    #[test]
    fn an_overflowing_result_has_no_value() {
        let f = Formula::parse("a * a").unwrap();
        assert_eq!(f.value(&metrics(&[("a", 1e200)])), None);
        // The overflow is caught where it happens, not hidden by a later step.
        let f = Formula::parse("1 / (a * a)").unwrap();
        assert_eq!(f.value(&metrics(&[("a", 1e200)])), None);
    }

    #[test]
    fn a_metric_that_is_not_finite_counts_as_missing() {
        let f = Formula::parse("a + 1").unwrap();
        assert_eq!(f.value(&metrics(&[("a", f64::NAN)])), None);
        assert_eq!(f.value(&metrics(&[("a", f64::INFINITY)])), None);
    }

    #[test]
    fn whitespace_is_allowed_anywhere_between_tokens() {
        assert_eq!(value_of("\t( 1+2 )\n*\r\n3   "), Some(9.0));
        assert_eq!(value_of("(1+2)*3"), Some(9.0));
        assert_eq!(value_of("\u{a0}1\u{a0}"), Some(1.0));
    }

    #[test]
    fn errors_name_the_column_and_what_was_found() {
        let table: &[(&str, usize, &str)] = &[
            ("", 0, "expected a metric key or number, found the end of the formula"),
            (
                "   ",
                3,
                "expected a metric key or number, found the end of the formula",
            ),
            (
                "a +",
                3,
                "expected a metric key or number, found the end of the formula",
            ),
            ("cases_resolved / )", 17, "expected a metric key or number, found ')'"),
            ("cases_accepted)", 14, "unexpected ')'"),
            ("(a + b))", 7, "unexpected ')'"),
            ("x * (a + b", 4, "unclosed '('"),
            ("(a b)", 3, "expected ')' or an operator, found 'b'"),
            ("a b", 2, "expected an operator, found 'b'"),
            ("a 2", 2, "expected an operator, found '2'"),
            ("* a", 0, "expected a metric key or number, found '*'"),
            ("a and or b", 6, "expected a metric key or number, found 'or'"),
            ("a = b", 2, "unexpected '=' (comparisons are == != < <= > >=)"),
            ("a =< b", 2, "unexpected '=' (comparisons are == != < <= > >=)"),
            ("a & b", 2, "unexpected '&' (write '&&' or 'and')"),
            ("a | b", 2, "unexpected '|' (write '||' or 'or')"),
            ("a # b", 2, "unexpected character '#'"),
            ("a + .5", 4, "unexpected character '.'"),
            ("1e3", 0, "malformed number '1e3'"),
            ("2 * 3x", 4, "malformed number '3x'"),
            ("1.", 0, "malformed number '1.'"),
            ("1.2.3", 0, "malformed number '1.2.3'"),
            ("số", 1, "unexpected character 'ố'"),
            ("vụ + ", 1, "unexpected character 'ụ'"),
            ("\"a\"", 0, "unexpected character '\"'"),
        ];
        for &(src, column, message) in table {
            assert_eq!(syntax_error(src), (column, message.to_owned()), "{src:?}");
        }
    }

    #[test]
    fn an_error_displays_its_column() {
        let err = Formula::parse("cases_accepted)").unwrap_err();
        assert_eq!(err.to_string(), "unexpected ')' at column 14");
    }

    #[test]
    fn the_first_error_in_reading_order_is_reported() {
        // The misplaced ')' comes before the bad character.
        assert_eq!(syntax_error("a + ) # b").0, 4);
        assert_eq!(syntax_error("a # + )").0, 2);
    }

    #[test]
    fn a_huge_number_is_rejected() {
        let src = "9".repeat(400);
        let (column, message) = syntax_error(&src);
        assert_eq!(column, 0);
        assert!(message.ends_with("is too large"), "{message}");
    }

    #[test]
    fn a_chained_comparison_is_rejected() {
        assert_eq!(
            syntax_error("a < b < c"),
            (
                6,
                "unexpected '<' after a comparison (join comparisons with 'and')".into()
            )
        );
        assert_eq!(syntax_error("a == b != c").0, 7);
        assert!(Formula::parse("a < b and b < c").is_ok());
        assert!(Formula::parse("(a < b) < c").is_ok());
    }

    #[test]
    fn names_are_sorted_and_deduplicated() {
        let f = Formula::parse("zeta + alpha * (zeta - beta) / alpha > 2").unwrap();
        assert_eq!(f.names(), ["alpha", "beta", "zeta"]);
        assert!(Formula::parse("1 + 2").unwrap().names().is_empty());
    }

    #[test]
    fn check_names_reports_the_first_unknown_in_source_order() {
        let f = Formula::parse("beta + zeta * alpha + gamma").unwrap();
        let known = |name: &str| name == "beta";
        assert_eq!(
            f.check_names(&known),
            Err(FormulaError::UnknownName { name: "zeta".into() })
        );
        assert_eq!(f.check_names(&known).unwrap_err().to_string(), "unknown metric 'zeta'");
        let all = |name: &str| ["alpha", "beta", "gamma", "zeta"].contains(&name);
        assert_eq!(f.check_names(&all), Ok(()));
    }

    #[test]
    fn conditions_are_told_apart_from_quantities() {
        let table = [
            ("a <= b", true),
            ("(a <= b)", true),
            ("a > 0 and b > 0", true),
            ("a > 0 or b > 0", true),
            ("not a", true),
            ("!a", true),
            ("a / b", false),
            ("(a < b) + 1", false),
            ("-(a < b)", false),
            ("a", false),
            ("42", false),
        ];
        for (src, condition) in table {
            assert_eq!(Formula::parse(src).unwrap().is_condition(), condition, "{src}");
        }
    }

    #[test]
    fn a_check_must_be_a_condition_and_an_indicator_must_not() {
        let rate = Formula::parse("cases_resolved / cases_accepted").unwrap();
        let rule = Formula::parse("cases_resolved <= cases_accepted").unwrap();
        assert_eq!(rule.require_condition(), Ok(()));
        assert_eq!(rate.require_quantity(), Ok(()));
        assert_eq!(
            rate.require_condition().unwrap_err().to_string(),
            "'cases_resolved / cases_accepted' is not a condition; \
             a check needs a comparison such as 'cases_resolved <= cases_accepted'"
        );
        assert_eq!(
            rule.require_quantity().unwrap_err().to_string(),
            "'cases_resolved <= cases_accepted' is a condition; \
             an indicator needs a number such as 'cases_resolved / cases_accepted'"
        );
    }

    #[test]
    fn nesting_up_to_the_limit_is_accepted() {
        let src = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(Formula::parse(&src).is_ok());
        let src = format!("{}a", "-".repeat(MAX_DEPTH));
        assert!(Formula::parse(&src).is_ok());
    }

    #[test]
    fn deep_nesting_is_rejected_cleanly() {
        let deep = 100_000;
        let parens = format!("{}a{}", "(".repeat(deep), ")".repeat(deep));
        assert_eq!(
            syntax_error(&parens),
            (MAX_DEPTH, format!("nested deeper than {MAX_DEPTH} levels"))
        );
        let nots = "not ".repeat(deep) + "a";
        assert_eq!(syntax_error(&nots).0, MAX_DEPTH * 4);
        let bangs = "!".repeat(deep) + "a";
        assert_eq!(syntax_error(&bangs).0, MAX_DEPTH);
        let minuses = "-".repeat(deep) + "a";
        assert_eq!(syntax_error(&minuses).0, MAX_DEPTH);
        let mixed = "(-!".repeat(deep);
        assert!(matches!(Formula::parse(&mixed), Err(FormulaError::Syntax { .. })));
    }

    #[test]
    fn a_long_flat_sum_is_not_nesting() {
        let src = "a + ".repeat(100_000) + "a";
        let f = Formula::parse(&src).unwrap();
        assert_eq!(f.value(&metrics(&[("a", 1.0)])), Some(100_001.0));
        let src = "a > 0 and ".repeat(100_000) + "a > 0";
        assert_eq!(Formula::parse(&src).unwrap().holds(&metrics(&[("a", 1.0)])), Some(true));
    }

    #[test]
    fn display_and_from_str_keep_the_source() {
        let src = "cases_resolved  /  cases_accepted";
        let f: Formula = src.parse().unwrap();
        assert_eq!(f.to_string(), src);
        assert_eq!(f.source(), src);
        assert_eq!(f.clone(), f);
        assert!("a +".parse::<Formula>().is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// A generated formula tree, rendered twice: with the fewest
        /// parentheses precedence allows, and with every operation wrapped.
        #[derive(Debug, Clone)]
        enum Gen {
            Num(u8),
            Name(usize),
            Neg(Box<Gen>),
            Arith(char, Box<Gen>, Box<Gen>),
            Cmp(&'static str, Box<Gen>, Box<Gen>),
            Not(Box<Gen>),
            Bool(&'static str, Box<Gen>, Box<Gen>),
        }

        const NAMES: [&str; 4] = ["a", "b", "c", "missing"];

        fn lookup(name: &str) -> Option<f64> {
            match name {
                "a" => Some(0.0),
                "b" => Some(3.0),
                "c" => Some(-2.5),
                _ => None,
            }
        }

        fn level(g: &Gen) -> u8 {
            match g {
                Gen::Bool("or", ..) => 1,
                Gen::Bool(..) => 2,
                Gen::Not(_) => 3,
                Gen::Cmp(..) => 4,
                Gen::Arith('+' | '-', ..) => 5,
                Gen::Arith(..) => 6,
                Gen::Neg(_) => 7,
                Gen::Num(_) | Gen::Name(_) => 8,
            }
        }

        fn minimal(g: &Gen) -> String {
            let wrap = |child: &Gen, needs: bool| {
                if needs {
                    format!("({})", minimal(child))
                } else {
                    minimal(child)
                }
            };
            let me = level(g);
            match g {
                Gen::Num(n) => n.to_string(),
                Gen::Name(i) => NAMES[*i].to_owned(),
                Gen::Neg(x) => format!("-{}", wrap(x, level(x) < me)),
                Gen::Not(x) => format!("not {}", wrap(x, level(x) < me)),
                Gen::Arith(op, l, r) => {
                    format!("{}{op}{}", wrap(l, level(l) < me), wrap(r, level(r) <= me))
                }
                // Comparisons do not chain, so either side at their level needs parentheses.
                Gen::Cmp(op, l, r) => format!("{} {op} {}", wrap(l, level(l) <= me), wrap(r, level(r) <= me)),
                Gen::Bool(op, l, r) => format!("{} {op} {}", wrap(l, level(l) < me), wrap(r, level(r) <= me)),
            }
        }

        fn full(g: &Gen) -> String {
            match g {
                Gen::Num(n) => n.to_string(),
                Gen::Name(i) => NAMES[*i].to_owned(),
                Gen::Neg(x) => format!("(-{})", full(x)),
                Gen::Not(x) => format!("(!{})", full(x)),
                Gen::Arith(op, l, r) => format!("({} {op} {})", full(l), full(r)),
                Gen::Cmp(op, l, r) => format!("({} {op} {})", full(l), full(r)),
                Gen::Bool(op, l, r) => {
                    let symbol = if *op == "and" { "&&" } else { "||" };
                    format!("({} {symbol} {})", full(l), full(r))
                }
            }
        }

        /// Arithmetic only, computed independently of the parser.
        fn reference(g: &Gen) -> Option<f64> {
            let v = match g {
                Gen::Num(n) => f64::from(*n),
                Gen::Name(i) => lookup(NAMES[*i])?,
                Gen::Neg(x) => -reference(x)?,
                Gen::Arith(op, l, r) => {
                    let (l, r) = (reference(l)?, reference(r)?);
                    match op {
                        '+' => l + r,
                        '-' => l - r,
                        '*' => l * r,
                        _ if r == 0.0 => return None,
                        _ => l / r,
                    }
                }
                _ => return None,
            };
            Some(v)
        }

        fn arithmetic() -> impl Strategy<Value = Gen> {
            let leaf = prop_oneof![(0u8..10).prop_map(Gen::Num), (0..NAMES.len()).prop_map(Gen::Name)];
            leaf.prop_recursive(5, 32, 2, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|x| Gen::Neg(Box::new(x))),
                    (prop::sample::select(vec!['+', '-', '*', '/']), inner.clone(), inner)
                        .prop_map(|(op, l, r)| Gen::Arith(op, Box::new(l), Box::new(r))),
                ]
            })
        }

        fn any_formula() -> impl Strategy<Value = Gen> {
            arithmetic().prop_recursive(4, 32, 2, |inner| {
                prop_oneof![
                    (
                        prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
                        arithmetic(),
                        arithmetic()
                    )
                        .prop_map(|(op, l, r)| Gen::Cmp(op, Box::new(l), Box::new(r))),
                    inner.clone().prop_map(|x| Gen::Not(Box::new(x))),
                    inner.clone().prop_map(|x| Gen::Neg(Box::new(x))),
                    (prop::sample::select(vec!["and", "or"]), inner.clone(), inner.clone())
                        .prop_map(|(op, l, r)| Gen::Bool(op, Box::new(l), Box::new(r))),
                    (prop::sample::select(vec!['+', '*']), inner.clone(), inner).prop_map(|(op, l, r)| Gen::Arith(
                        op,
                        Box::new(l),
                        Box::new(r)
                    )),
                ]
            })
        }

        proptest! {
            #[test]
            fn precedence_matches_explicit_grouping(g in any_formula()) {
                let loose = Formula::parse(&minimal(&g)).unwrap();
                let tight = Formula::parse(&full(&g)).unwrap();
                prop_assert_eq!(loose.value(&lookup), tight.value(&lookup));
                prop_assert_eq!(loose.holds(&lookup), tight.holds(&lookup));
                prop_assert_eq!(loose.names(), tight.names());
            }

            #[test]
            fn arithmetic_matches_a_reference(g in arithmetic()) {
                let f = Formula::parse(&minimal(&g)).unwrap();
                let expected = reference(&g)
                    .filter(|v| v.is_finite())
                    .map(|v| if v == 0.0 { 0.0 } else { v });
                prop_assert_eq!(f.value(&lookup), expected);
            }

            #[test]
            fn a_reparsed_formula_evaluates_the_same(g in any_formula()) {
                let f = Formula::parse(&minimal(&g)).unwrap();
                let again = Formula::parse(&f.to_string()).unwrap();
                prop_assert_eq!(again.value(&lookup), f.value(&lookup));
                prop_assert_eq!(&again, &f);
            }

            #[test]
            fn token_soup_parses_or_fails_at_a_column_inside_it(
                tokens in prop::collection::vec(prop::sample::select(VOCABULARY.to_vec()), 0..30)
            ) {
                assert_parses_or_fails_cleanly(&tokens.concat())?;
            }

            #[test]
            fn any_text_parses_or_fails_at_a_column_inside_it(src in "\\PC{0,40}") {
                assert_parses_or_fails_cleanly(&src)?;
            }
        }

        const VOCABULARY: [&str; 26] = [
            "a", "b", "missing", "0", "7", "0.5", "+", "-", "*", "/", "(", ")", "<", "<=", "==", "!=", ">", ">=",
            "and", "or", "not", "!", "&&", "||", " ", "=",
        ];

        fn assert_parses_or_fails_cleanly(src: &str) -> Result<(), TestCaseError> {
            match Formula::parse(src) {
                Ok(f) => {
                    // A condition's value is its truth as 1 / 0.
                    if f.is_condition() {
                        let as_number = f.holds(&lookup).map(|h| if h { 1.0 } else { 0.0 });
                        prop_assert_eq!(f.value(&lookup), as_number);
                    }
                }
                Err(FormulaError::Syntax { column, .. }) => {
                    prop_assert!(column <= src.len() && src.is_char_boundary(column));
                }
                Err(other) => prop_assert!(false, "unexpected error {:?}", other),
            }
            Ok(())
        }
    }
}
