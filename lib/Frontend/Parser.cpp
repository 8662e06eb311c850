//===- Parser.cpp - Recursive-descent parser for .rn ----------------------===//
//
// See Parser.h for the grammar. Every failure path reports one located error
// and unwinds; nothing here can assert on user input.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Parser.h"

#include <algorithm>
#include <cstring>

using namespace resnetc;

Parser::Parser(const SourceManager &sm, int buffer, DiagnosticEngine &diags)
    : lexer(sm, buffer), diags(diags) {
  consume();
}

void Parser::consume() {
  cur = lexer.next();
  if (cur.kind == TokenKind::Error)
    fail(cur.loc, cur.error);
}

bool Parser::fail(SourceLoc loc, std::string message) {
  if (!failed)
    diags.error(loc, std::move(message));
  failed = true;
  return false;
}

static std::string describe(const Token &t) {
  switch (t.kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Identifier:
    return "'" + t.text + "'";
  case TokenKind::Integer:
  case TokenKind::Float:
  case TokenKind::Shape:
    return "'" + t.text + "'";
  default:
    return getTokenKindName(t.kind);
  }
}

bool Parser::expect(TokenKind kind, const char *what) {
  if (failed)
    return false;
  if (cur.kind != kind)
    return fail(cur.loc, std::string("expected ") + getTokenKindName(kind) +
                             " " + what + ", found " + describe(cur));
  consume();
  return !failed;
}

bool Parser::isIdent(const char *word) const {
  return cur.kind == TokenKind::Identifier && cur.text == word;
}

bool Parser::parseFile(Module &module) {
  while (!failed && cur.kind != TokenKind::Eof) {
    if (cur.kind == TokenKind::KwBlock) {
      if (!parseBlock(module))
        return false;
    } else if (cur.kind == TokenKind::KwModel) {
      if (!parseModel(module))
        return false;
    } else {
      return fail(cur.loc, "expected 'model' or 'block' at top level, found " +
                               describe(cur));
    }
  }
  return !failed;
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

bool Parser::parseBlock(Module &module) {
  BlockDef block;
  block.loc = cur.loc;
  consume(); // 'block'
  if (cur.kind != TokenKind::Identifier)
    return fail(cur.loc,
                "expected block name after 'block', found " + describe(cur));
  block.name = cur.text;
  consume();
  if (!expect(TokenKind::LParen, "to start the block's parameter list"))
    return false;
  while (cur.kind != TokenKind::RParen) {
    if (cur.kind != TokenKind::Identifier)
      return fail(cur.loc, "expected parameter name, found " + describe(cur));
    Param p;
    p.name = cur.text;
    p.loc = cur.loc;
    consume();
    if (cur.kind == TokenKind::Assign) {
      consume();
      p.defaultValue = parseExpr();
      if (!p.defaultValue)
        return false;
    }
    block.params.push_back(std::move(p));
    if (cur.kind == TokenKind::Comma)
      consume();
    else if (cur.kind != TokenKind::RParen)
      return fail(cur.loc, "expected ',' or ')' in parameter list, found " +
                               describe(cur));
    if (failed)
      return false;
  }
  consume(); // ')'
  if (!expect(TokenKind::LBrace, "to open the block body"))
    return false;
  while (cur.kind != TokenKind::RBrace) {
    if (failed)
      return false;
    if (cur.kind == TokenKind::Eof)
      return fail(cur.loc, "unexpected end of file in block '" + block.name +
                               "' (missing '}')");
    if (cur.kind == TokenKind::KwLet) {
      LayerStmt let;
      if (!parseLet(let))
        return false;
      block.lets.push_back(std::move(let));
      continue;
    }
    struct SectionRef {
      const char *name;
      std::vector<LayerStmt> *body;
      SourceLoc *loc;
      bool *present;
    } sections[] = {
        {"main", &block.main, &block.mainLoc, &block.hasMain},
        {"shortcut", &block.shortcut, &block.shortcutLoc, &block.hasShortcut},
        {"out", &block.out, &block.outLoc, &block.hasOut}};
    SectionRef *section = nullptr;
    for (SectionRef &s : sections)
      if (isIdent(s.name))
        section = &s;
    if (!section)
      return fail(cur.loc, "expected 'let', 'main', 'shortcut' or 'out' in "
                           "block body, found " +
                               describe(cur));
    if (*section->present)
      return fail(cur.loc, std::string("duplicate '") + section->name +
                               "' section in block '" + block.name + "'");
    *section->present = true;
    *section->loc = cur.loc;
    consume();
    if (!parseLayerList(*section->body, section->name))
      return false;
  }
  consume(); // '}'
  if (!block.hasMain)
    return fail(block.loc, "block '" + block.name +
                               "' has no 'main' section (add 'main { ... }' "
                               "with the block's layers)");
  module.blocks.push_back(std::move(block));
  return true;
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

bool Parser::parseModel(Module &module) {
  ModelDef model;
  model.loc = cur.loc;
  consume(); // 'model'
  if (cur.kind != TokenKind::Identifier)
    return fail(cur.loc,
                "expected model name after 'model', found " + describe(cur));
  model.name = cur.text;
  consume();
  if (!expect(TokenKind::LBrace, "to open the model body"))
    return false;
  while (cur.kind != TokenKind::RBrace) {
    if (failed)
      return false;
    if (cur.kind == TokenKind::Eof)
      return fail(cur.loc, "unexpected end of file in model '" + model.name +
                               "' (missing '}')");
    if (!parseModelItem(model))
      return false;
  }
  consume(); // '}'
  module.models.push_back(std::move(model));
  return !failed;
}

bool Parser::parseModelItem(ModelDef &model) {
  ModelItem item;
  item.loc = cur.loc;
  if (cur.kind == TokenKind::KwLet) {
    LayerStmt let;
    if (!parseLet(let))
      return false;
    item.kind = ModelItem::Kind::Let;
    item.name = let.name;
    item.value = std::move(let.value);
    model.items.push_back(std::move(item));
    return true;
  }
  if (cur.kind != TokenKind::Identifier)
    return fail(cur.loc, "expected a model item ('input', 'classes', 'stem', "
                         "'stages', 'head', ...), found " +
                             describe(cur));
  std::string word = cur.text;
  if (word == "input") {
    consume();
    item.kind = ModelItem::Kind::Input;
    if (cur.kind != TokenKind::Shape)
      return fail(cur.loc, "expected input shape as CxHxW (e.g. 3x224x224) "
                           "after 'input', found " +
                               describe(cur));
    item.shape = cur.dims;
    item.shapeLoc = cur.loc;
    consume();
  } else if (word == "stem" || word == "head") {
    consume();
    item.kind = word == "stem" ? ModelItem::Kind::Stem : ModelItem::Kind::Head;
    if (!parseLayerList(item.layers, word.c_str()))
      return false;
  } else if (word == "stages") {
    consume();
    item.kind = ModelItem::Kind::Stages;
    if (cur.kind != TokenKind::Identifier)
      return fail(cur.loc, "expected block name after 'stages' (e.g. "
                           "'stages basic [(2, 64), (2, 128)]'), found " +
                               describe(cur));
    item.name = cur.text;
    item.shapeLoc = cur.loc;
    consume();
    if (cur.kind == TokenKind::LParen && !parseArgs(item.args))
      return false;
    if (!expect(TokenKind::LBracket,
                "to start the list of (blocks, channels) stages"))
      return false;
    while (true) {
      StageSpec spec;
      if (!parseStageSpec(spec))
        return false;
      item.stages.push_back(std::move(spec));
      if (cur.kind == TokenKind::Comma) {
        consume();
        if (cur.kind == TokenKind::RBracket)
          break; // trailing comma
        continue;
      }
      break;
    }
    if (!expect(TokenKind::RBracket, "to close the list of stages"))
      return false;
  } else {
    // A setting: `classes 10`, `conv_bias true`, ...
    const std::vector<std::string> &settings = getModelSettings();
    if (std::find(settings.begin(), settings.end(), word) == settings.end()) {
      std::vector<std::string> items = {"input"};
      items.insert(items.end(), settings.begin(), settings.end());
      items.insert(items.end(), {"stem", "stages", "head"});
      std::string list;
      for (const std::string &i : items)
        list += i + ", ";
      return fail(cur.loc, "unknown model item '" + word + "'" +
                               didYouMean(word, items,
                                          {{"stage", "stages"},
                                           {"num_classes", "classes"}}) +
                               " (items: " + list + "let)");
    }
    consume();
    item.kind = ModelItem::Kind::Setting;
    item.name = word;
    if (cur.kind == TokenKind::Assign)
      consume();
    if (failed)
      return false;
    item.value = parseExpr();
    if (!item.value)
      return false;
  }
  if (cur.kind == TokenKind::Semicolon)
    consume();
  model.items.push_back(std::move(item));
  return !failed;
}

bool Parser::parseStageSpec(StageSpec &spec) {
  spec.loc = cur.loc;
  if (!expect(TokenKind::LParen,
              "to start a stage '(blocks, channels)' (like d2l's arch)"))
    return false;
  spec.blocks = parseExpr();
  if (!spec.blocks || !expect(TokenKind::Comma, "between blocks and channels"))
    return false;
  spec.channels = parseExpr();
  if (!spec.channels)
    return false;
  if (cur.kind == TokenKind::Comma) {
    consume();
    spec.stride = parseExpr();
    if (!spec.stride)
      return false;
  }
  return expect(TokenKind::RParen, "to close the stage");
}

//===----------------------------------------------------------------------===//
// Layer lists
//===----------------------------------------------------------------------===//

bool Parser::parseLayerList(std::vector<LayerStmt> &out, const char *context) {
  if (!expect(
          TokenKind::LBrace,
          (std::string("to open the '") + context + "' layer list").c_str()))
    return false;
  while (cur.kind != TokenKind::RBrace) {
    if (failed)
      return false;
    if (cur.kind == TokenKind::Eof)
      return fail(cur.loc, std::string("unexpected end of file in '") +
                               context + "' (missing '}')");
    if (!parseLayerStmt(out))
      return false;
  }
  consume(); // '}'
  return !failed;
}

bool Parser::parseLet(LayerStmt &stmt) {
  stmt.kind = LayerStmt::Kind::Let;
  stmt.loc = cur.loc;
  consume(); // 'let'
  if (cur.kind != TokenKind::Identifier)
    return fail(cur.loc,
                "expected variable name after 'let', found " + describe(cur));
  stmt.name = cur.text;
  consume();
  if (!expect(TokenKind::Assign, "after the variable name"))
    return false;
  stmt.value = parseExpr();
  if (!stmt.value)
    return false;
  if (cur.kind == TokenKind::Semicolon)
    consume();
  return !failed;
}

bool Parser::parseIf(LayerStmt &stmt) {
  if (++ifNesting > kMaxNesting)
    return fail(cur.loc, "'if' statements are nested too deeply");
  stmt.kind = LayerStmt::Kind::If;
  stmt.loc = cur.loc;
  consume(); // 'if'
  stmt.value = parseExpr();
  if (!stmt.value || !parseLayerList(stmt.thenBody, "if"))
    return false;
  if (cur.kind == TokenKind::KwElse) {
    consume();
    if (cur.kind == TokenKind::KwIf) {
      LayerStmt nested;
      if (!parseIf(nested))
        return false;
      stmt.elseBody.push_back(std::move(nested));
    } else if (!parseLayerList(stmt.elseBody, "else")) {
      return false;
    }
  }
  --ifNesting;
  return !failed;
}

bool Parser::parseLayerStmt(std::vector<LayerStmt> &out) {
  LayerStmt stmt;
  if (cur.kind == TokenKind::KwIf) {
    if (!parseIf(stmt))
      return false;
  } else if (cur.kind == TokenKind::KwLet) {
    if (!parseLet(stmt))
      return false;
  } else if (cur.kind == TokenKind::Identifier) {
    stmt.kind = LayerStmt::Kind::Layer;
    stmt.loc = cur.loc;
    stmt.name = cur.text;
    consume();
    // `tap NAME` and `from NAME`: a name right after them (a layer of
    // either name would take parentheses or stand alone).
    if ((stmt.name == "tap" || stmt.name == "from") &&
        cur.kind == TokenKind::Identifier) {
      stmt.kind =
          stmt.name == "tap" ? LayerStmt::Kind::Tap : LayerStmt::Kind::From;
      stmt.name = cur.text;
      consume();
    } else if (cur.kind == TokenKind::LParen && !parseArgs(stmt.args)) {
      return false;
    }
    if (cur.kind == TokenKind::Semicolon)
      consume();
  } else {
    return fail(cur.loc, "expected a layer (conv, bn, relu, maxpool, ...), "
                         "'if' or 'let', found " +
                             describe(cur));
  }
  out.push_back(std::move(stmt));
  return !failed;
}

bool Parser::parseArgs(std::vector<Arg> &args) {
  consume(); // '('
  while (cur.kind != TokenKind::RParen) {
    if (failed)
      return false;
    Arg arg;
    arg.loc = cur.loc;
    if (cur.kind == TokenKind::Identifier) {
      // Keyword argument if followed by '='. Peek by parsing the name as an
      // expression otherwise.
      Token nameTok = cur;
      consume();
      if (cur.kind == TokenKind::Assign) {
        consume();
        arg.name = nameTok.text;
        arg.value = parseExpr();
      } else {
        // Positional argument starting with a name: rebuild it as an
        // expression whose leftmost operand is that name.
        auto lhs = std::make_unique<Expr>();
        lhs->kind = Expr::Kind::Name;
        lhs->loc = nameTok.loc;
        lhs->name = nameTok.text;
        // Continue parsing operators after the name with the standard
        // precedence by treating it as a fully parsed primary.
        pendingPrimary = std::move(lhs);
        arg.value = parseExpr();
      }
    } else {
      arg.value = parseExpr();
    }
    if (!arg.value)
      return false;
    args.push_back(std::move(arg));
    if (cur.kind == TokenKind::Comma)
      consume();
    else if (cur.kind != TokenKind::RParen)
      return fail(cur.loc, "expected ',' or ')' in argument list, found " +
                               describe(cur));
  }
  consume(); // ')'
  return !failed;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::unique_ptr<Expr> Parser::makeBinary(TokenKind op, SourceLoc loc,
                                         std::unique_ptr<Expr> lhs,
                                         std::unique_ptr<Expr> rhs) {
  unsigned depth = 1 + std::max(lhs->depth, rhs->depth);
  if (depth > kMaxExprDepth) {
    fail(loc, "expression is too long or nested too deeply (at most " +
                  std::to_string(kMaxExprDepth) + " levels)");
    return nullptr;
  }
  auto e = std::make_unique<Expr>();
  e->depth = depth;
  e->kind = Expr::Kind::Binary;
  e->op = op;
  e->loc = loc;
  e->lhs = std::move(lhs);
  e->rhs = std::move(rhs);
  return e;
}

std::unique_ptr<Expr> Parser::parseExpr() {
  if (failed)
    return nullptr;
  if (++nesting > kMaxNesting) {
    fail(cur.loc, "expression is nested too deeply");
    return nullptr;
  }
  auto e = parseOr();
  --nesting;
  return failed ? nullptr : std::move(e);
}

std::unique_ptr<Expr> Parser::parseOr() {
  auto lhs = parseAnd();
  while (lhs && cur.kind == TokenKind::KwOr) {
    SourceLoc loc = cur.loc;
    consume();
    auto rhs = parseAnd();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(TokenKind::KwOr, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseAnd() {
  auto lhs = parseNot();
  while (lhs && cur.kind == TokenKind::KwAnd) {
    SourceLoc loc = cur.loc;
    consume();
    auto rhs = parseNot();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(TokenKind::KwAnd, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseNot() {
  if (cur.kind == TokenKind::KwNot && !pendingPrimary) {
    SourceLoc loc = cur.loc;
    consume();
    if (++nesting > kMaxNesting) {
      fail(loc, "expression is nested too deeply");
      return nullptr;
    }
    auto operand = parseNot();
    --nesting;
    if (!operand)
      return nullptr;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::Unary;
    e->op = TokenKind::KwNot;
    e->loc = loc;
    e->depth = operand->depth + 1;
    e->lhs = std::move(operand);
    return e;
  }
  return parseCompare();
}

std::unique_ptr<Expr> Parser::parseCompare() {
  auto lhs = parseAdditive();
  if (!lhs)
    return nullptr;
  switch (cur.kind) {
  case TokenKind::EqEq:
  case TokenKind::NotEq:
  case TokenKind::Less:
  case TokenKind::LessEq:
  case TokenKind::Greater:
  case TokenKind::GreaterEq: {
    TokenKind op = cur.kind;
    SourceLoc loc = cur.loc;
    consume();
    auto rhs = parseAdditive();
    if (!rhs)
      return nullptr;
    return makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  default:
    return lhs;
  }
}

std::unique_ptr<Expr> Parser::parseAdditive() {
  auto lhs = parseMultiplicative();
  while (lhs && (cur.kind == TokenKind::Plus || cur.kind == TokenKind::Minus)) {
    TokenKind op = cur.kind;
    SourceLoc loc = cur.loc;
    consume();
    auto rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseMultiplicative() {
  auto lhs = parseUnary();
  while (lhs && (cur.kind == TokenKind::Star || cur.kind == TokenKind::Slash ||
                 cur.kind == TokenKind::Percent)) {
    TokenKind op = cur.kind;
    SourceLoc loc = cur.loc;
    consume();
    auto rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, loc, std::move(lhs), std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseUnary() {
  if (cur.kind == TokenKind::Minus && !pendingPrimary) {
    SourceLoc loc = cur.loc;
    consume();
    if (++nesting > kMaxNesting) {
      fail(loc, "expression is nested too deeply");
      return nullptr;
    }
    auto operand = parseUnary();
    --nesting;
    if (!operand)
      return nullptr;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::Unary;
    e->op = TokenKind::Minus;
    e->loc = loc;
    e->depth = operand->depth + 1;
    e->lhs = std::move(operand);
    return e;
  }
  return parsePostfix();
}

std::unique_ptr<Expr> Parser::parsePostfix() {
  auto e = parsePrimary();
  if (!e || e->kind != Expr::Kind::Name || cur.kind != TokenKind::LParen)
    return e;
  // A call of a built-in function: name(arg, ...).
  e->kind = Expr::Kind::Call;
  consume(); // '('
  if (++nesting > kMaxNesting) {
    fail(e->loc, "expression is nested too deeply");
    return nullptr;
  }
  while (cur.kind != TokenKind::RParen) {
    auto arg = parseExpr();
    if (!arg)
      return nullptr;
    e->depth = std::max(e->depth, arg->depth + 1);
    e->args.push_back(std::move(arg));
    if (cur.kind == TokenKind::Comma)
      consume();
    else if (cur.kind != TokenKind::RParen) {
      fail(cur.loc, "expected ',' or ')' in the arguments of '" + e->name +
                        "', found " + describe(cur));
      return nullptr;
    }
    if (failed)
      return nullptr;
  }
  consume(); // ')'
  --nesting;
  return e;
}

std::unique_ptr<Expr> Parser::parsePrimary() {
  if (pendingPrimary)
    return std::move(pendingPrimary);
  if (failed)
    return nullptr;
  auto e = std::make_unique<Expr>();
  e->loc = cur.loc;
  switch (cur.kind) {
  case TokenKind::Integer:
    e->kind = Expr::Kind::Int;
    e->intValue = cur.intValue;
    consume();
    return e;
  case TokenKind::Float:
    e->kind = Expr::Kind::Float;
    e->floatValue = cur.floatValue;
    consume();
    return e;
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    e->kind = Expr::Kind::Bool;
    e->boolValue = cur.kind == TokenKind::KwTrue;
    consume();
    return e;
  case TokenKind::Identifier:
    e->kind = Expr::Kind::Name;
    e->name = cur.text;
    consume();
    return e;
  case TokenKind::LParen: {
    consume();
    auto inner = parseExpr();
    if (!inner)
      return nullptr;
    if (cur.kind != TokenKind::Comma) {
      if (!expect(TokenKind::RParen, "to close the parenthesis"))
        return nullptr;
      return inner;
    }
    // A tuple: (a, b, ...).
    e->kind = Expr::Kind::Tuple;
    e->depth = inner->depth + 1;
    e->args.push_back(std::move(inner));
    while (cur.kind == TokenKind::Comma) {
      consume();
      auto element = parseExpr();
      if (!element)
        return nullptr;
      e->depth = std::max(e->depth, element->depth + 1);
      e->args.push_back(std::move(element));
    }
    if (!expect(TokenKind::RParen, "to close the tuple"))
      return nullptr;
    return e;
  }
  case TokenKind::Shape:
    fail(cur.loc, "a shape literal is only allowed after 'input'");
    return nullptr;
  default:
    fail(cur.loc, "expected an expression, found " + describe(cur));
    return nullptr;
  }
}
