//===- ParserTest.cpp - Unit tests of the .rn parser ----------------------===//

#include "resnetc/Frontend/Parser.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace resnetc;

namespace {

class ParserTest : public ::testing::Test {
protected:
  ParserTest() : diags(sm) {}

  /// Parses `text` into `module`; returns parseFile's result.
  bool parse(const std::string &text) {
    int b = sm.addBuffer("t.rn", text);
    return Parser(sm, b, diags).parseFile(module);
  }

  /// Parses `text`, expecting exactly one error; returns it.
  Diagnostic parseError(const std::string &text) {
    bool ok = parse(text);
    EXPECT_FALSE(ok) << "input: " << text;
    const auto &ds = diags.getDiagnostics();
    EXPECT_EQ(ds.size(), 1u) << "input: " << text;
    if (ds.empty())
      return Diagnostic{Severity::Error, SourceLoc(), "<no error>", {}};
    EXPECT_EQ(ds[0].severity, Severity::Error);
    return ds[0];
  }

  /// Parses `let x = EXPR` inside a model and returns the expression printed
  /// with explicit parentheses.
  std::string expr(const std::string &text) {
    if (!parse("model m { let x = " + text + " }")) {
      std::ostringstream os;
      diags.print(os);
      ADD_FAILURE() << os.str();
      return "<error>";
    }
    const ModelDef &m = module.models.back();
    if (m.items.size() != 1 || m.items[0].kind != ModelItem::Kind::Let) {
      ADD_FAILURE() << "expected a single let";
      return "<error>";
    }
    return print(*m.items[0].value);
  }

  static std::string print(const Expr &e) {
    switch (e.kind) {
    case Expr::Kind::Int:
      return std::to_string(e.intValue);
    case Expr::Kind::Float: {
      std::ostringstream os;
      os << e.floatValue;
      return os.str();
    }
    case Expr::Kind::Bool:
      return e.boolValue ? "true" : "false";
    case Expr::Kind::Name:
      return e.name;
    case Expr::Kind::Unary:
      return std::string("(") + (e.op == TokenKind::KwNot ? "not " : "-") +
             print(*e.lhs) + ")";
    case Expr::Kind::Binary: {
      std::string op = getTokenKindName(e.op);
      op = op.substr(1, op.size() - 2);
      return "(" + print(*e.lhs) + " " + op + " " + print(*e.rhs) + ")";
    }
    case Expr::Kind::Call:
    case Expr::Kind::Tuple: {
      std::string s = e.name + "(";
      for (size_t i = 0; i < e.args.size(); ++i)
        s += (i ? ", " : "") + print(*e.args[i]);
      return s + ")";
    }
    }
    return "?";
  }

  /// The layer list of the first stem of the last model.
  const std::vector<LayerStmt> &stem() {
    for (const ModelItem &it : module.models.back().items)
      if (it.kind == ModelItem::Kind::Stem)
        return it.layers;
    static std::vector<LayerStmt> none;
    ADD_FAILURE() << "no stem";
    return none;
  }

  SourceManager sm;
  DiagnosticEngine diags;
  Module module;
};

} // namespace

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST_F(ParserTest, EmptyFileParses) {
  EXPECT_TRUE(parse(""));
  EXPECT_TRUE(module.models.empty());
  EXPECT_TRUE(module.blocks.empty());
  EXPECT_FALSE(diags.hasErrors());
}

TEST_F(ParserTest, CommentsOnlyFileParses) {
  EXPECT_TRUE(parse("# nothing here\n  # still nothing\n"));
  EXPECT_TRUE(module.models.empty());
}

TEST_F(ParserTest, BlocksAndModelsInAnyOrder) {
  // The parser accepts several models; Sema rejects all but one.
  ASSERT_TRUE(parse("model a { } block b(x) { main { relu } } model c { }"));
  ASSERT_EQ(module.models.size(), 2u);
  ASSERT_EQ(module.blocks.size(), 1u);
  EXPECT_EQ(module.models[0].name, "a");
  EXPECT_EQ(module.models[1].name, "c");
  EXPECT_EQ(module.blocks[0].name, "b");
  EXPECT_EQ(module.models[1].loc.col, 42u);
}

TEST_F(ParserTest, TopLevelJunk) {
  Diagnostic d = parseError("model a { }\nrelu");
  EXPECT_EQ(d.message,
            "expected 'model' or 'block' at top level, found 'relu'");
  EXPECT_EQ(d.loc.line, 2u);
  EXPECT_EQ(d.loc.col, 1u);
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

TEST_F(ParserTest, ModelItems) {
  ASSERT_TRUE(parse(R"(model net {
  input 3x224x224
  classes = 1000;
  conv_bias true
  let w = 64
  stem { conv(w, kernel=7, stride=2, padding=3) bn relu }
  stages bottleneck(groups=32, width_per_group=4) [(3, 64), (4, 128, 2),]
  head { global_avgpool; flatten; linear(classes); }
})"));
  ASSERT_EQ(module.models.size(), 1u);
  const ModelDef &m = module.models[0];
  EXPECT_EQ(m.name, "net");
  ASSERT_EQ(m.items.size(), 7u);
  using K = ModelItem::Kind;
  EXPECT_EQ(m.items[0].kind, K::Input);
  EXPECT_EQ(m.items[0].shape, (std::vector<int64_t>{3, 224, 224}));
  EXPECT_EQ(m.items[0].loc.line, 2u);
  EXPECT_EQ(m.items[0].shapeLoc.col, 9u);
  EXPECT_EQ(m.items[1].kind, K::Setting);
  EXPECT_EQ(m.items[1].name, "classes");
  EXPECT_EQ(print(*m.items[1].value), "1000");
  EXPECT_EQ(m.items[2].kind, K::Setting);
  EXPECT_EQ(print(*m.items[2].value), "true");
  EXPECT_EQ(m.items[3].kind, K::Let);
  EXPECT_EQ(m.items[3].name, "w");
  EXPECT_EQ(m.items[4].kind, K::Stem);
  EXPECT_EQ(m.items[4].layers.size(), 3u);

  const ModelItem &st = m.items[5];
  EXPECT_EQ(st.kind, K::Stages);
  EXPECT_EQ(st.name, "bottleneck");
  EXPECT_EQ(st.shapeLoc.line, 7u);
  EXPECT_EQ(st.shapeLoc.col, 10u);
  ASSERT_EQ(st.args.size(), 2u);
  EXPECT_EQ(st.args[0].name, "groups");
  EXPECT_EQ(st.args[1].name, "width_per_group");
  ASSERT_EQ(st.stages.size(), 2u); // the trailing comma adds nothing
  EXPECT_EQ(print(*st.stages[0].blocks), "3");
  EXPECT_EQ(print(*st.stages[0].channels), "64");
  EXPECT_EQ(st.stages[0].stride, nullptr);
  ASSERT_NE(st.stages[1].stride, nullptr);
  EXPECT_EQ(print(*st.stages[1].stride), "2");
  EXPECT_EQ(st.stages[1].loc.col, 61u);

  EXPECT_EQ(m.items[6].kind, K::Head);
  ASSERT_EQ(m.items[6].layers.size(), 3u);
  EXPECT_EQ(m.items[6].layers[2].name, "linear");
}

TEST_F(ParserTest, StagesWithoutArguments) {
  ASSERT_TRUE(parse("model m { stages basic [(2, 64)] }"));
  const ModelItem &st = module.models[0].items[0];
  EXPECT_TRUE(st.args.empty());
  EXPECT_EQ(st.stages.size(), 1u);
}

TEST_F(ParserTest, EmptyStageListIsAnError) {
  Diagnostic d = parseError("model m { stages basic [] }");
  EXPECT_EQ(d.message, "expected '(' to start a stage '(blocks, channels)' "
                       "(like d2l's arch), found ']'");
  EXPECT_EQ(d.loc.col, 25u);
}

TEST_F(ParserTest, ModelErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t line, col;
  } cases[] = {
      {"model { }", "expected model name after 'model', found '{'", 1, 7},
      {"model m", "expected '{' to open the model body, found end of file", 1,
       8},
      {"model m {", "unexpected end of file in model 'm' (missing '}')", 1, 10},
      {"model m { input }",
       "expected input shape as CxHxW (e.g. 3x224x224) after 'input', found "
       "'}'",
       1, 17},
      {"model m { 42 }",
       "expected a model item ('input', 'classes', 'stem', 'stages', 'head', "
       "...), found '42'",
       1, 11},
      {"model m { stages [(1, 2)] }",
       "expected block name after 'stages' (e.g. 'stages basic [(2, 64), (2, "
       "128)]'), found '['",
       1, 18},
      {"model m { stages basic (1, 2) }",
       "expected '[' to start the list of (blocks, channels) stages, found "
       "'}'",
       1, 31},
      {"model m { stages basic [(1 2)] }",
       "expected ',' between blocks and channels, found '2'", 1, 28},
      {"model m { stages basic [(1, 2, 3, 4)] }",
       "expected ')' to close the stage, found ','", 1, 33},
      {"model m { stages basic [(1, 2) (3, 4)] }",
       "expected ']' to close the list of stages, found '('", 1, 32},
      {"model m { classes }", "expected an expression, found '}'", 1, 19},
      {"model m { stem relu }",
       "expected '{' to open the 'stem' layer list, found 'relu'", 1, 16},
      {"model m { head { relu }",
       "unexpected end of file in model 'm' (missing '}')", 1, 24},
      {"model m { head { relu ",
       "unexpected end of file in 'head' (missing '}')", 1, 23},
      {"model m { let = 3 }", "expected variable name after 'let', found '='",
       1, 15},
      {"model m { let x 3 }", "expected '=' after the variable name, found '3'",
       1, 17},
      {"model m { input 3x3 input 1x }",
       "unexpected character 'x' after number", 1, 28},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    SourceManager sm2;
    DiagnosticEngine diags2(sm2);
    Module m2;
    int b = sm2.addBuffer("t.rn", c.text);
    EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
    ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
    const Diagnostic &d = diags2.getDiagnostics()[0];
    EXPECT_EQ(d.message, c.message);
    EXPECT_EQ(d.loc.line, c.line);
    EXPECT_EQ(d.loc.col, c.col);
    EXPECT_TRUE(d.notes.empty());
  }
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

TEST_F(ParserTest, BlockDefinition) {
  ASSERT_TRUE(parse(R"(block b(channels, stride = 1, width = channels * 2) {
  let mid = width / 4
  main { conv(mid, kernel=1) bn }
  out { relu }
  shortcut { }
})"));
  ASSERT_EQ(module.blocks.size(), 1u);
  const BlockDef &b = module.blocks[0];
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.loc.line, 1u);
  EXPECT_EQ(b.loc.col, 1u);
  ASSERT_EQ(b.params.size(), 3u);
  EXPECT_EQ(b.params[0].name, "channels");
  EXPECT_EQ(b.params[0].defaultValue, nullptr);
  EXPECT_EQ(b.params[0].loc.col, 9u);
  EXPECT_EQ(print(*b.params[1].defaultValue), "1");
  EXPECT_EQ(print(*b.params[2].defaultValue), "(channels * 2)");
  ASSERT_EQ(b.lets.size(), 1u);
  EXPECT_EQ(b.lets[0].name, "mid");
  EXPECT_EQ(print(*b.lets[0].value), "(width / 4)");
  EXPECT_TRUE(b.hasMain);
  EXPECT_TRUE(b.hasShortcut);
  EXPECT_TRUE(b.hasOut);
  EXPECT_EQ(b.main.size(), 2u);
  EXPECT_TRUE(b.shortcut.empty());
  EXPECT_EQ(b.out.size(), 1u);
  EXPECT_EQ(b.mainLoc.line, 3u);
  EXPECT_EQ(b.outLoc.line, 4u);
  EXPECT_EQ(b.shortcutLoc.line, 5u);
}

TEST_F(ParserTest, BlockWithoutParametersOrOptionalSections) {
  ASSERT_TRUE(parse("block id() { main { } }"));
  const BlockDef &b = module.blocks[0];
  EXPECT_TRUE(b.params.empty());
  EXPECT_TRUE(b.hasMain);
  EXPECT_FALSE(b.hasShortcut);
  EXPECT_FALSE(b.hasOut);
}

TEST_F(ParserTest, BlockErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t col;
  } cases[] = {
      {"block (x) { main { } }", "expected block name after 'block', found '('",
       7},
      {"block b { main { } }",
       "expected '(' to start the block's parameter list, found '{'", 9},
      {"block b(x y) { main { } }",
       "expected ',' or ')' in parameter list, found 'y'", 11},
      {"block b(1) { main { } }", "expected parameter name, found '1'", 9},
      {"block b(x) main { }",
       "expected '{' to open the block body, found 'main'", 12},
      {"block b(x) { }",
       "block 'b' has no 'main' section (add 'main { ... }' with the block's "
       "layers)",
       1},
      {"block b(x) { main { } main { } }",
       "duplicate 'main' section in block 'b'", 23},
      {"block b(x) { main { } out { } out { } }",
       "duplicate 'out' section in block 'b'", 31},
      {"block b(x) { stem { } }",
       "expected 'let', 'main', 'shortcut' or 'out' in block body, found "
       "'stem'",
       14},
      {"block b(x) { main { }",
       "unexpected end of file in block 'b' (missing '}')", 22},
      {"block b(x = ) { main { } }", "expected an expression, found ')'", 13},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    SourceManager sm2;
    DiagnosticEngine diags2(sm2);
    Module m2;
    int b = sm2.addBuffer("t.rn", c.text);
    EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
    ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
    EXPECT_EQ(diags2.getDiagnostics()[0].message, c.message);
    EXPECT_EQ(diags2.getDiagnostics()[0].loc.col, c.col);
  }
}

//===----------------------------------------------------------------------===//
// Layer lists
//===----------------------------------------------------------------------===//

TEST_F(ParserTest, KeywordAndPositionalArguments) {
  ASSERT_TRUE(parse("model m { stem { conv(64, kernel=3, stride=s * 2) } }"));
  const auto &ls = stem();
  ASSERT_EQ(ls.size(), 1u);
  const LayerStmt &conv = ls[0];
  EXPECT_EQ(conv.kind, LayerStmt::Kind::Layer);
  EXPECT_EQ(conv.name, "conv");
  ASSERT_EQ(conv.args.size(), 3u);
  EXPECT_EQ(conv.args[0].name, "");
  EXPECT_EQ(print(*conv.args[0].value), "64");
  EXPECT_EQ(conv.args[1].name, "kernel");
  EXPECT_EQ(conv.args[1].loc.col, 27u);
  EXPECT_EQ(print(*conv.args[1].value), "3");
  EXPECT_EQ(conv.args[2].name, "stride");
  EXPECT_EQ(print(*conv.args[2].value), "(s * 2)");
}

TEST_F(ParserTest, PositionalArgumentStartingWithAName) {
  // A positional argument that starts with a name keeps the usual precedence.
  ASSERT_TRUE(
      parse("model m { stem { f(a * b + c, d == 1, e or f and g, h) } }"));
  const auto &args = stem()[0].args;
  ASSERT_EQ(args.size(), 4u);
  for (const Arg &a : args)
    EXPECT_EQ(a.name, "");
  EXPECT_EQ(print(*args[0].value), "((a * b) + c)");
  EXPECT_EQ(print(*args[1].value), "(d == 1)");
  EXPECT_EQ(print(*args[2].value), "(e or (f and g))");
  EXPECT_EQ(print(*args[3].value), "h");
  EXPECT_EQ(args[0].value->lhs->lhs->loc.col, 20u);
}

TEST_F(ParserTest, LayersWithoutArgumentsAndSemicolons) {
  ASSERT_TRUE(parse("model m { stem { bn; relu() ; flatten } }"));
  const auto &ls = stem();
  ASSERT_EQ(ls.size(), 3u);
  EXPECT_TRUE(ls[0].args.empty());
  EXPECT_TRUE(ls[1].args.empty());
  EXPECT_EQ(ls[2].name, "flatten");
  EXPECT_EQ(ls[2].loc.col, 31u);
}

TEST_F(ParserTest, TrailingCommaInArguments) {
  ASSERT_TRUE(parse("model m { stem { conv(8, kernel=1,) } }"));
  EXPECT_EQ(stem()[0].args.size(), 2u);
}

TEST_F(ParserTest, NestedIfElse) {
  ASSERT_TRUE(parse(R"(model m { stem {
  if a { relu } else if b { bn } else { if c { flatten } conv(1, kernel=1) }
  if d { }
  let k = 3
} })"));
  const auto &ls = stem();
  ASSERT_EQ(ls.size(), 3u);
  const LayerStmt &outer = ls[0];
  EXPECT_EQ(outer.kind, LayerStmt::Kind::If);
  EXPECT_EQ(print(*outer.value), "a");
  EXPECT_EQ(outer.loc.line, 2u);
  EXPECT_EQ(outer.loc.col, 3u);
  ASSERT_EQ(outer.thenBody.size(), 1u);
  // 'else if' nests an If as the only statement of the else branch.
  ASSERT_EQ(outer.elseBody.size(), 1u);
  const LayerStmt &elseIf = outer.elseBody[0];
  EXPECT_EQ(elseIf.kind, LayerStmt::Kind::If);
  EXPECT_EQ(print(*elseIf.value), "b");
  EXPECT_EQ(elseIf.loc.col, 22u);
  ASSERT_EQ(elseIf.thenBody.size(), 1u);
  EXPECT_EQ(elseIf.thenBody[0].name, "bn");
  ASSERT_EQ(elseIf.elseBody.size(), 2u);
  EXPECT_EQ(elseIf.elseBody[0].kind, LayerStmt::Kind::If);
  EXPECT_EQ(elseIf.elseBody[0].thenBody[0].name, "flatten");
  EXPECT_EQ(elseIf.elseBody[1].name, "conv");

  EXPECT_EQ(ls[1].kind, LayerStmt::Kind::If);
  EXPECT_TRUE(ls[1].thenBody.empty());
  EXPECT_TRUE(ls[1].elseBody.empty());
  EXPECT_EQ(ls[2].kind, LayerStmt::Kind::Let);
  EXPECT_EQ(ls[2].name, "k");
}

TEST_F(ParserTest, LayerListErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t col;
  } cases[] = {
      {"model m { stem { 3 } }",
       "expected a layer (conv, bn, relu, maxpool, ...), 'if' or 'let', found "
       "'3'",
       18},
      {"model m { stem { else { } } }",
       "expected a layer (conv, bn, relu, maxpool, ...), 'if' or 'let', found "
       "'else'",
       18},
      {"model m { stem { if { relu } } }", "expected an expression, found '{'",
       21},
      {"model m { stem { if x relu } }",
       "expected '{' to open the 'if' layer list, found 'relu'", 23},
      {"model m { stem { if x { } else relu } }",
       "expected '{' to open the 'else' layer list, found 'relu'", 32},
      {"model m { stem { conv(1 2) } }",
       "expected ',' or ')' in argument list, found '2'", 25},
      {"model m { stem { conv(kernel=) } }",
       "expected an expression, found ')'", 30},
      {"model m { stem { conv(,) } }", "expected an expression, found ','", 23},
      {"model m { stem { conv(3x3) } }",
       "a shape literal is only allowed after 'input'", 23},
      {"model m { stem { conv(8",
       "expected ',' or ')' in argument list, found "
       "end of file",
       24},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    SourceManager sm2;
    DiagnosticEngine diags2(sm2);
    Module m2;
    int b = sm2.addBuffer("t.rn", c.text);
    EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
    ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
    EXPECT_EQ(diags2.getDiagnostics()[0].message, c.message);
    EXPECT_EQ(diags2.getDiagnostics()[0].loc.col, c.col);
  }
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

TEST_F(ParserTest, Literals) {
  EXPECT_EQ(expr("42"), "42");
  EXPECT_EQ(expr("0.5"), "0.5");
  EXPECT_EQ(expr("true"), "true");
  EXPECT_EQ(expr("false"), "false");
  EXPECT_EQ(expr("name"), "name");
}

TEST_F(ParserTest, MultiplicativeBindsTighterThanAdditive) {
  EXPECT_EQ(expr("1 + 2 * 3"), "(1 + (2 * 3))");
  EXPECT_EQ(expr("1 * 2 + 3"), "((1 * 2) + 3)");
  EXPECT_EQ(expr("a - b / c % d"), "(a - ((b / c) % d))");
}

TEST_F(ParserTest, BinaryOperatorsAreLeftAssociative) {
  EXPECT_EQ(expr("1 - 2 - 3"), "((1 - 2) - 3)");
  EXPECT_EQ(expr("8 / 4 / 2"), "((8 / 4) / 2)");
  EXPECT_EQ(expr("a or b or c"), "((a or b) or c)");
  EXPECT_EQ(expr("a and b and c"), "((a and b) and c)");
}

TEST_F(ParserTest, ParenthesesOverridePrecedence) {
  EXPECT_EQ(expr("(1 + 2) * 3"), "((1 + 2) * 3)");
  EXPECT_EQ(expr("((((x))))"), "x");
  EXPECT_EQ(expr("2 * (a or b)"), "(2 * (a or b))");
}

TEST_F(ParserTest, Tuples) {
  EXPECT_EQ(expr("(1, 7)"), "(1, 7)");
  EXPECT_EQ(expr("(k + 1, 2 * (w))"), "((k + 1), (2 * w))");
  // Any length parses; Sema takes pairs only.
  EXPECT_EQ(expr("(1, 2, 3)"), "(1, 2, 3)");
  EXPECT_EQ(expr("((1, 2))"), "(1, 2)");
}

TEST_F(ParserTest, UnaryOperators) {
  EXPECT_EQ(expr("-a * b"), "((-a) * b)");
  EXPECT_EQ(expr("--a"), "(-(-a))");
  EXPECT_EQ(expr("a - -b"), "(a - (-b))");
  EXPECT_EQ(expr("-(a + b)"), "(-(a + b))");
  // 'not' binds looser than comparisons and tighter than 'and'.
  EXPECT_EQ(expr("not a == b"), "(not (a == b))");
  EXPECT_EQ(expr("not a and b"), "((not a) and b)");
  EXPECT_EQ(expr("not not a"), "(not (not a))");
}

TEST_F(ParserTest, ComparisonsAndLogic) {
  EXPECT_EQ(expr("a + 1 < b * 2"), "((a + 1) < (b * 2))");
  EXPECT_EQ(expr("a != 1 or b == 2 and c >= 3"),
            "((a != 1) or ((b == 2) and (c >= 3)))");
  EXPECT_EQ(expr("stride != 1 or in_channels != channels * expansion"),
            "((stride != 1) or (in_channels != (channels * expansion)))");
  EXPECT_EQ(expr("a <= b"), "(a <= b)");
  EXPECT_EQ(expr("a > b"), "(a > b)");
}

TEST_F(ParserTest, OperatorLocations) {
  ASSERT_TRUE(parse("model m { let x = a + b * c }"));
  const Expr &e = *module.models[0].items[0].value;
  EXPECT_EQ(e.loc.col, 21u);      // '+'
  EXPECT_EQ(e.rhs->loc.col, 25u); // '*'
  EXPECT_EQ(e.lhs->loc.col, 19u); // 'a'
}

TEST_F(ParserTest, ComparisonsDoNotChain) {
  Diagnostic d = parseError("model m { let x = a < b < c }");
  EXPECT_EQ(d.loc.col, 25u);
}

TEST_F(ParserTest, ExpressionErrors) {
  struct Case {
    const char *text;
    const char *message;
    uint32_t col;
  } cases[] = {
      {"1 +", "expected an expression, found '}'", 23},
      {"(1 + 2", "expected ')' to close the parenthesis, found '}'", 26},
      {"* 2", "expected an expression, found '*'", 19},
      {"not", "expected an expression, found '}'", 23},
      {"if", "expected an expression, found 'if'", 19},
      {"3x3", "a shape literal is only allowed after 'input'", 19},
      {"a ! b", "unexpected character '!' (did you mean '!=' or 'not'?)", 21},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    SourceManager sm2;
    DiagnosticEngine diags2(sm2);
    Module m2;
    int b = sm2.addBuffer("t.rn",
                          std::string("model m { let x = ") + c.text + " }");
    EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
    ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
    EXPECT_EQ(diags2.getDiagnostics()[0].message, c.message);
    EXPECT_EQ(diags2.getDiagnostics()[0].loc.col, c.col);
  }
}

//===----------------------------------------------------------------------===//
// Nesting limits and error handling
//===----------------------------------------------------------------------===//

static std::string nestedParens(int depth) {
  return std::string(depth, '(') + "1" + std::string(depth, ')');
}

TEST_F(ParserTest, ParenthesesUpToTheLimit) {
  // The top-level expression counts as one level.
  EXPECT_EQ(expr(nestedParens(Parser::kMaxNesting - 1)), "1");
}

TEST_F(ParserTest, ParenthesesPastTheLimit) {
  Diagnostic d = parseError(
      "model m { let x = " + nestedParens(Parser::kMaxNesting) + " }");
  EXPECT_EQ(d.message, "expression is nested too deeply");
  EXPECT_EQ(d.loc.col, 19u + Parser::kMaxNesting);
}

TEST_F(ParserTest, UnaryNestingLimit) {
  Diagnostic d =
      parseError("model m { let x = " + std::string(100, '-') + "1 }");
  EXPECT_EQ(d.message, "expression is nested too deeply");
  EXPECT_EQ(d.loc.col, 19u + Parser::kMaxNesting - 1);

  SourceManager sm2;
  DiagnosticEngine diags2(sm2);
  Module m2;
  std::string nots;
  for (int i = 0; i < 100; ++i)
    nots += "not ";
  int b = sm2.addBuffer("t.rn", "model m { let x = " + nots + "true }");
  EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
  ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
  EXPECT_EQ(diags2.getDiagnostics()[0].message,
            "expression is nested too deeply");
}

static std::string nestedIfs(int depth) {
  std::string s = "model m { stem {\n";
  for (int i = 0; i < depth; ++i)
    s += "if true {\n";
  s += "relu\n";
  for (int i = 0; i < depth; ++i)
    s += "}\n";
  return s + "} }";
}

TEST_F(ParserTest, NestedIfsWellUnderTheLimit) {
  EXPECT_TRUE(parse(nestedIfs(Parser::kMaxNesting / 2)));
}

TEST_F(ParserTest, NestedIfsPastTheLimitAreReportedAsIfs) {
  // kMaxNesting is documented as the deepest nesting of `if`s accepted, and
  // there is a dedicated message for it.
  EXPECT_TRUE(parse(nestedIfs(Parser::kMaxNesting)));
  SourceManager sm2;
  DiagnosticEngine diags2(sm2);
  Module m2;
  int b = sm2.addBuffer("t.rn", nestedIfs(Parser::kMaxNesting + 10));
  EXPECT_FALSE(Parser(sm2, b, diags2).parseFile(m2));
  ASSERT_EQ(diags2.getDiagnostics().size(), 1u);
  EXPECT_EQ(diags2.getDiagnostics()[0].message,
            "'if' statements are nested too deeply");
  // The 'if' that goes past the limit, on its own line.
  EXPECT_EQ(diags2.getDiagnostics()[0].loc.line, 2u + Parser::kMaxNesting);
  EXPECT_EQ(diags2.getDiagnostics()[0].loc.col, 1u);
}

TEST_F(ParserTest, UnknownModelItemsAreReportedWithASuggestion) {
  Diagnostic d = parseError("model m { input 3x8x8 clases 2 }");
  EXPECT_EQ(d.message,
            "unknown model item 'clases'; did you mean 'classes'? (items: "
            "input, classes, conv_bias, bn_eps, bn_momentum, "
            "zero_init_residual, stem, stages, head, let)");
  EXPECT_EQ(d.loc.line, 1u);
  EXPECT_EQ(d.loc.col, 23u);
}

TEST_F(ParserTest, LexerErrorsAreReportedOnce) {
  Diagnostic d =
      parseError("model m {\n  input 3x32x32\n  stem { relu @ bn }\n}");
  EXPECT_EQ(d.message, "unexpected character '@'");
  EXPECT_EQ(d.loc.line, 3u);
  EXPECT_EQ(d.loc.col, 15u);
}

TEST_F(ParserTest, LexerErrorInsideAnExpression) {
  Diagnostic d = parseError("model m { let x = 1 + 99999999999999999999 }");
  EXPECT_EQ(
      d.message,
      "integer literal is too large (the largest accepted value is 2^40)");
  EXPECT_EQ(d.loc.col, 23u);
}

TEST_F(ParserTest, ErrorOnTheFirstToken) {
  Diagnostic d = parseError("\x01model m { }");
  EXPECT_EQ(d.message, "unexpected byte 0x01 (is this a text .rn file?)");
  EXPECT_EQ(d.loc.col, 1u);
}

TEST_F(ParserTest, ErrorsAreRenderedWithSourceLineAndCaret) {
  parseError("model m {\n  stem { conv(8,, kernel=1) }\n}");
  std::ostringstream os;
  diags.print(os);
  EXPECT_EQ(os.str(), "t.rn:2:17: error: expected an expression, found ','\n"
                      "    stem { conv(8,, kernel=1) }\n"
                      "                  ^\n");
}

TEST_F(ParserTest, GarbageNeverCrashes) {
  // Every prefix of a valid file and a few mangled variants parse or fail
  // with exactly one error.
  const std::string good = R"(block b(c, s = 1) {
  let w = c * 2
  main { conv(w, kernel=3, stride=s, padding=1) if s > 1 { bn } else { relu } }
  shortcut { if s != 1 or in_channels != w { conv(w, kernel=1, stride=s) } }
  out { relu }
}
model m {
  input 3x32x32
  classes 10
  stem { conv(16, kernel=3) }
  stages b(s=1) [(2, 16), (2, 32, 2),]
  head { global_avgpool flatten linear(classes) }
})";
  for (size_t n = 0; n <= good.size(); ++n) {
    for (int variant = 0; variant < 3; ++variant) {
      std::string text = good.substr(0, n);
      if (variant == 1 && n < good.size())
        text += "}" + good.substr(n);
      if (variant == 2 && n < good.size())
        text += good.substr(n + 1);
      SourceManager sm2;
      DiagnosticEngine diags2(sm2);
      Module m2;
      int b = sm2.addBuffer("t.rn", text);
      bool ok = Parser(sm2, b, diags2).parseFile(m2);
      EXPECT_EQ(ok, diags2.getDiagnostics().empty()) << text;
      EXPECT_LE(diags2.getDiagnostics().size(), 1u) << text;
    }
  }
}
