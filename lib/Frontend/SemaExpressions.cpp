//===- SemaExpressions.cpp - Expressions of .rn models --------------------===//
//
// Evaluates the integer, boolean and number expressions of layer options,
// lets and conditions, with located errors for types and overflow.
//
//===----------------------------------------------------------------------===//

#include "SemaAnalyzer.h"

#include <algorithm>
#include <cmath>

using namespace resnetc;
using namespace resnetc::sema;

/// `a op b` for a comparison operator (==, !=, <, <=, >, >=).
template <class T> static Value compare(TokenKind op, T a, T b) {
  switch (op) {
  case TokenKind::EqEq:
    return Value::ofBool(a == b);
  case TokenKind::NotEq:
    return Value::ofBool(a != b);
  case TokenKind::Less:
    return Value::ofBool(a < b);
  case TokenKind::LessEq:
    return Value::ofBool(a <= b);
  case TokenKind::Greater:
    return Value::ofBool(a > b);
  default:
    return Value::ofBool(a >= b);
  }
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<Value> Analyzer::eval(const Expr &e, const Scope &scope) {
  switch (e.kind) {
  case Expr::Kind::Int:
    return Value::ofInt(e.intValue);
  case Expr::Kind::Float:
    if (!std::isfinite(e.floatValue)) {
      error(e.loc, "number is out of range");
      return std::nullopt;
    }
    return Value::ofFloat(e.floatValue);
  case Expr::Kind::Bool:
    return Value::ofBool(e.boolValue);
  case Expr::Kind::Name:
    return evalName(e, scope);
  case Expr::Kind::Call:
    return evalCall(e, scope);
  case Expr::Kind::Tuple:
    return evalTuple(e, scope);
  case Expr::Kind::Unary:
    return evalUnary(e, scope);
  case Expr::Kind::Binary:
    break;
  }
  return evalBinary(e, scope);
}

std::optional<Value> Analyzer::evalName(const Expr &e, const Scope &scope) {
  if (const Value *v = scope.lookup(e.name))
    return *v;
  if (!frames.empty() && modelScope && modelScope->lookup(e.name)) {
    error(e.loc, "unknown name '" + e.name +
                     "' (a block sees only its parameters, its 'let's and "
                     "in_channels, in_height, in_width; pass '" +
                     e.name + "' to the block as a parameter)");
    return std::nullopt;
  }
  error(e.loc,
        "unknown name '" + e.name + "'" + suggest(e.name, scope.names()));
  return std::nullopt;
}

std::optional<Value> Analyzer::evalTuple(const Expr &e, const Scope &scope) {
  if (e.args.size() != 2) {
    error(e.loc, "a tuple is a pair of integers (height, width); this one "
                 "has " +
                     std::to_string(e.args.size()) + " elements");
    return std::nullopt;
  }
  Pair p;
  for (size_t i = 0; i < 2; ++i) {
    auto v = eval(*e.args[i], scope);
    if (!v)
      return std::nullopt;
    if (v->kind != Value::Kind::Int) {
      error(e.args[i]->loc, std::string("the ") + (i ? "width" : "height") +
                                " of a pair must be an integer, found " +
                                v->describe());
      return std::nullopt;
    }
    p[i] = v->i;
  }
  return Value::ofPair(p[0], p[1]);
}

std::optional<Value> Analyzer::evalUnary(const Expr &e, const Scope &scope) {
  auto v = eval(*e.lhs, scope);
  if (!v)
    return std::nullopt;
  if (e.op == TokenKind::KwNot) {
    if (v->kind != Value::Kind::Bool) {
      error(e.loc,
            std::string("'not' needs a boolean, found ") + v->typeName());
      return std::nullopt;
    }
    return Value::ofBool(!v->b);
  }
  if (v->kind == Value::Kind::Pair) {
    error(e.loc, "'-' needs a number, found a pair");
    return std::nullopt;
  }
  if (v->kind == Value::Kind::Int)
    return Value::ofInt(-v->i);
  if (v->kind == Value::Kind::Float)
    return Value::ofFloat(-v->f);
  error(e.loc, "'-' needs a number, found a boolean");
  return std::nullopt;
}

std::optional<Value> Analyzer::evalBinary(const Expr &e, const Scope &scope) {
  auto l = eval(*e.lhs, scope);
  if (!l)
    return std::nullopt;
  if (e.op == TokenKind::KwAnd || e.op == TokenKind::KwOr)
    return evalLogical(e, *l, scope);
  auto r = eval(*e.rhs, scope);
  if (!r)
    return std::nullopt;

  bool isCompare = e.op == TokenKind::EqEq || e.op == TokenKind::NotEq ||
                   e.op == TokenKind::Less || e.op == TokenKind::LessEq ||
                   e.op == TokenKind::Greater || e.op == TokenKind::GreaterEq;
  // Booleans and pairs compare for equality with their own kind, and
  // combine with nothing else.
  bool pair = l->kind == Value::Kind::Pair || r->kind == Value::Kind::Pair;
  if (pair || l->kind == Value::Kind::Bool || r->kind == Value::Kind::Bool) {
    if ((e.op == TokenKind::EqEq || e.op == TokenKind::NotEq) &&
        l->kind == r->kind) {
      bool eq = pair ? l->pair == r->pair : l->b == r->b;
      return Value::ofBool(e.op == TokenKind::EqEq ? eq : !eq);
    }
    error(e.loc,
          std::string("operator ") + getTokenKindName(e.op) +
              " cannot combine " + l->typeName() + " and " + r->typeName() +
              (pair ? " (a pair's elements are written out: (2 * h, 2 * w))"
                    : ""));
    return std::nullopt;
  }
  if (l->kind == Value::Kind::Float || r->kind == Value::Kind::Float) {
    double a = l->kind == Value::Kind::Float ? l->f : double(l->i);
    double b = r->kind == Value::Kind::Float ? r->f : double(r->i);
    if (isCompare)
      return compare(e.op, a, b);
    return evalFloatArithmetic(e, a, b);
  }
  if (isCompare)
    return compare(e.op, l->i, r->i);
  return evalIntArithmetic(e, l->i, r->i);
}

std::optional<Value> Analyzer::evalLogical(const Expr &e, const Value &l,
                                           const Scope &scope) {
  if (l.kind != Value::Kind::Bool) {
    error(e.lhs->loc, std::string("'") +
                          (e.op == TokenKind::KwAnd ? "and" : "or") +
                          "' needs booleans, found " + l.typeName());
    return std::nullopt;
  }
  // Short-circuit logic.
  if ((e.op == TokenKind::KwAnd && !l.b) || (e.op == TokenKind::KwOr && l.b))
    return l;
  auto r = eval(*e.rhs, scope);
  if (!r)
    return std::nullopt;
  if (r->kind != Value::Kind::Bool) {
    error(e.rhs->loc, std::string("'") +
                          (e.op == TokenKind::KwAnd ? "and" : "or") +
                          "' needs booleans, found " + r->typeName());
    return std::nullopt;
  }
  return r;
}

std::optional<Value> Analyzer::evalFloatArithmetic(const Expr &e, double a,
                                                   double b) {
  double res = 0;
  switch (e.op) {
  case TokenKind::Plus:
    res = a + b;
    break;
  case TokenKind::Minus:
    res = a - b;
    break;
  case TokenKind::Star:
    res = a * b;
    break;
  case TokenKind::Slash:
    if (b == 0) {
      error(e.loc, "division by zero");
      return std::nullopt;
    }
    res = a / b;
    break;
  default:
    error(e.loc, std::string("operator ") + getTokenKindName(e.op) +
                     " needs integers");
    return std::nullopt;
  }
  if (!std::isfinite(res)) {
    error(e.loc, "number is out of range");
    return std::nullopt;
  }
  return Value::ofFloat(res);
}

std::optional<Value> Analyzer::evalIntArithmetic(const Expr &e, int64_t a,
                                                 int64_t b) {
  int64_t res = 0;
  bool overflow = false;
  switch (e.op) {
  case TokenKind::Plus:
    overflow = __builtin_add_overflow(a, b, &res);
    break;
  case TokenKind::Minus:
    overflow = __builtin_sub_overflow(a, b, &res);
    break;
  case TokenKind::Star:
    overflow = __builtin_mul_overflow(a, b, &res);
    break;
  case TokenKind::Slash:
  case TokenKind::Percent:
    if (b == 0) {
      error(e.loc, e.op == TokenKind::Slash ? "division by zero"
                                            : "remainder by zero");
      return std::nullopt;
    }
    if (a == INT64_MIN && b == -1) {
      overflow = true;
      break;
    }
    // Floor division, as in Python.
    res = e.op == TokenKind::Slash ? a / b : a % b;
    if (e.op == TokenKind::Slash && (a % b != 0) && ((a < 0) != (b < 0)))
      --res;
    if (e.op == TokenKind::Percent && res != 0 && ((res < 0) != (b < 0)))
      res += b;
    break;
  default:
    break;
  }
  if (overflow) {
    error(e.loc, "integer overflow in expression");
    return std::nullopt;
  }
  return Value::ofInt(res);
}

std::optional<Value> Analyzer::evalCall(const Expr &e, const Scope &scope) {
  static const std::vector<std::string> functions = {"round", "floor", "ceil",
                                                     "min", "max"};
  bool unary = e.name == "round" || e.name == "floor" || e.name == "ceil";
  bool variadic = e.name == "min" || e.name == "max";
  if (!unary && !variadic) {
    error(e.loc, "unknown function '" + e.name + "'" +
                     suggest(e.name, functions) +
                     " (functions: round, floor, ceil, min, max)");
    return std::nullopt;
  }
  if ((unary && e.args.size() != 1) || (variadic && e.args.size() < 2)) {
    error(e.loc, "'" + e.name + "' takes " +
                     (unary ? "one argument" : "two or more arguments"));
    return std::nullopt;
  }
  std::vector<Value> args;
  for (const auto &a : e.args) {
    auto v = eval(*a, scope);
    if (!v)
      return std::nullopt;
    if (v->kind == Value::Kind::Bool || v->kind == Value::Kind::Pair) {
      error(a->loc, "'" + e.name + "' needs numbers, found " + v->typeName());
      return std::nullopt;
    }
    args.push_back(*v);
  }
  auto asDouble = [](const Value &v) {
    return v.kind == Value::Kind::Float ? v.f : double(v.i);
  };
  if (unary) {
    if (args[0].kind == Value::Kind::Int)
      return args[0];
    double x = args[0].f;
    // round() rounds halves to even, as Python's round() does.
    double r = e.name == "round"   ? std::nearbyint(x)
               : e.name == "floor" ? std::floor(x)
                                   : std::ceil(x);
    if (!(std::fabs(r) < 9.0e15)) {
      error(e.loc, "'" + e.name + "' of a number out of range");
      return std::nullopt;
    }
    return Value::ofInt(static_cast<int64_t>(r));
  }
  bool allInt = std::all_of(args.begin(), args.end(), [](const Value &v) {
    return v.kind == Value::Kind::Int;
  });
  Value best = args[0];
  for (const Value &v : args) {
    bool better = e.name == "min" ? asDouble(v) < asDouble(best)
                                  : asDouble(v) > asDouble(best);
    if (better)
      best = v;
  }
  return allInt ? best : Value::ofFloat(asDouble(best));
}

std::optional<int64_t> Analyzer::evalInt(const Expr &e, const Scope &scope,
                                         const char *what) {
  auto v = eval(e, scope);
  if (!v)
    return std::nullopt;
  if (v->kind != Value::Kind::Int) {
    error(e.loc,
          std::string(what) + " must be an integer, found " + v->describe());
    return std::nullopt;
  }
  return v->i;
}

bool Analyzer::define(Scope &scope, const std::string &name, Value v,
                      SourceLoc loc) {
  if (!frames.empty() && isReservedInBlock(name)) {
    error(loc, reservedMessage(name));
    return false;
  }
  if (scope.vars.count(name)) {
    error(loc, "'" + name + "' is already defined in this scope");
    return false;
  }
  scope.vars[name] = v;
  return true;
}
