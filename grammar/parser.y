/* parser: the .map grammar (docs/language.md). A pure parser with byte-offset
 * locations; no conflicts (%expect 0). Syntax errors are collected as E0001
 * and the parser recovers at statement, block and item boundaries. */
%code requires {
#include "ast.h"
#include "parse_state.h"
#include "ast_build.h"
typedef void *yyscan_t;
}

%code {
#include <string.h>

#include "cm_alloc.h"

/* The parser's stack grows through the one allocation function, so the
   allocation-failure tests reach it too. */
#define YYMALLOC cm_malloc
#define YYFREE cm_free
int yylex(YYSTYPE *lvalp, YYLTYPE *llocp, yyscan_t scanner);
static void yyerror(YYLTYPE *loc, yyscan_t scanner, ParseState *st, const char *msg);

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                  \
    do {                                                             \
        if (N) {                                                     \
            (Cur).start = YYRHSLOC(Rhs, 1).start;                    \
            (Cur).end = YYRHSLOC(Rhs, N).end;                        \
        } else {                                                     \
            (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;          \
        }                                                            \
    } while (0)
}

%define api.pure full
%define api.token.prefix {T_}
%define api.location.type {Loc}
%define parse.error custom
%locations
%expect 0
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {ParseState *st}

%union {
    const char *text;
    struct { const char *value; size_t len; } str;
    Expr *expr;
    Stmt *stmt;
    Item *item;
    Vec vec;
    CaseArm arm;
    TableEntry entry;
    Ownership own;
    bool flag;
    struct { EntityMode mode; Ident by; } mode;
    struct { Expr *when; Ident no; } ewhen;
}

%token MAPPING "mapping" SOURCE "source" SCHEMA "schema" TARGET "target" USERS "users"
%token TABLE "table" ENTITY "entity" CREATE "create" UPDATE "update" UPSERT "upsert"
%token BY "by" KEY "key" MASTER "master" CRM "crm" ON "on" WHEN "when" REJECT "reject" STRICT "strict" LET "let" PARAM "param"
%token INCLUDE "include"
%token CASE "case" THEN "then" ELSE "else" IF "if" REF "ref" CLEAR "clear"
%token NULL_LIT "null" TRUE_LIT "true" FALSE_LIT "false"
%token AND "and" OR "or" NOT "not" IN "in"
%token COALESCE "??" EQ "==" NE "!=" LE "<=" GE ">=" ARROW "->"
%token <text> IDENT "identifier" NUMBER "number"
%token <str> STRING "string"

%type <expr> expr primary literal opt_when table_value list call lookup case_expr path
%type <vec> exprs expr_list segments stmts arms table_entries
%type <stmt> stmt assign
%type <arm> arm
%type <entry> table_entry
%type <own> owner opt_master
%type <flag> opt_strict
%type <mode> mode
%type <text> segment_word opt_key
%type <item> item param_item
%type <ewhen> entity_when

%precedence IF_ELSE
%left "??"
%left "or"
%left "and"
%precedence "not"
%nonassoc "==" "!=" '<' "<=" '>' ">=" "in"
%left '+' '-'
%left '*' '/'
%precedence UMINUS

%%

file
    : %empty
    | file item             { if ($2) ab_item_add(st, $2); }
    ;

item
    : "mapping" STRING                      { $$ = ab_mapping(st, @$, $2.value, @2); }
    | "source" IDENT "schema" STRING        { $$ = ab_source(st, @$, $2, @2, $4.value, @4); }
    | "target" IDENT "schema" STRING        { $$ = ab_target(st, @$, $2, @2, $4.value, @4); }
    | "users" STRING                        { $$ = ab_users(st, @$, $2.value, @2); }
    | "table" IDENT '{' table_entries '}'
                                            { $$ = ab_table(st, @$, $2, @2, &$4, NULL, @5); }
    | "table" IDENT '{' table_entries "else" "->" table_value '}'
                                            { $$ = ab_table(st, @$, $2, @2, &$4, $7, ab_loc(@5, @7)); }
    | "entity" IDENT mode opt_key opt_master entity_when opt_strict '{' stmts '}'
        {
            $$ = ab_entity(st, @$, $2, @2, $3.mode, @3, $3.by, $4, @4, $5, @5, $6.when, &$9, ab_loc(@8, @10));
            $$->u.entity.fallback = $6.no;
            $$->u.entity.strict = $7;
        }
    | "let" IDENT '=' expr                   { $$ = ab_let_item(st, @$, $2, @2, $4); }
    | "include" STRING                      { $$ = ab_include(st, @$, $2.value, @2); }
    | param_item
    | "entity" error '{' stmts '}'          { $$ = NULL; }
    | error                                 { $$ = NULL; }
    ;

/* param NAME = DEFAULT: its own rule, so that other top-level forms merge apart */
param_item
    : "param" IDENT '=' expr                { $$ = ab_param_item(st, @$, $2, @2, $4); }
    ;

mode
    : "create"                              { $$.mode = MODE_CREATE; $$.by = ab_no_ident(); }
    | "update" "by" IDENT                   { $$.mode = MODE_UPDATE; $$.by = ab_ident(st, $3, @3); }
    | "upsert" "by" IDENT                   { $$.mode = MODE_UPSERT; $$.by = ab_ident(st, $3, @3); }
    ;

opt_key
    : %empty                                { $$ = NULL; }
    | "key" IDENT                           { $$ = $2; }
    ;

opt_master
    : %empty                                { $$ = OWN_DEFAULT; }
    | "master" owner                        { $$ = $2; }
    ;

owner
    : "crm"                                 { $$ = OWN_CRM; }
    | "source"                              { $$ = OWN_SOURCE; }
    ;

opt_when
    : %empty                                { $$ = NULL; }
    | "when" expr                           { $$ = $2; }
    ;

opt_strict
    : %empty                                { $$ = false; }
    | "strict"                              { $$ = true; }

/* `when no E`: "no" is a word, not a keyword, so a source field may keep
   the name; two names in a row cannot start an expression. */
entity_when
    : %empty                                { $$.when = NULL; $$.no = ab_no_ident(); }
    | "when" expr                           { $$.when = $2; $$.no = ab_no_ident(); }
    | "when" IDENT IDENT                    { $$.when = NULL; $$.no = ab_fallback_of(st, $2, @2, $3, @3); }
    ;

table_entries
    : %empty                                { $$ = ab_vec(); }
    | table_entries table_entry             { $$ = $1; ab_push_entry(st, &$$, $2); }
    | table_entries error                   { $$ = $1; }
    ;

table_entry
    : table_value "->" table_value          { $$.key = $1; $$.value = $3; $$.span = ps_span(st, @$); }
    ;

table_value
    : literal
    | '-' NUMBER                            { $$ = ab_number(st, @$, $2, true); }
    | list
    ;

stmts
    : %empty                                { $$ = ab_vec(); }
    | stmts stmt                            { $$ = $1; if ($2) ab_push(st, &$$, $2); }
    ;

stmt
    : assign
    | "master" owner assign                 { $$ = $3; ab_own(st, $$, $2, @1, @2, @$); }
    | "on" "create" assign                  { $$ = $3; ab_own(st, $$, OWN_ON_CREATE, @1, @2, @$); }
    | "master" owner '{' stmts '}'          { $$ = ab_block(st, @$, $2, ab_loc(@1, @2), &$4); }
    | "on" "create" '{' stmts '}'           { $$ = ab_block(st, @$, OWN_ON_CREATE, ab_loc(@1, @2), &$4); }
    | "reject" STRING "when" expr           { $$ = ab_reject(st, @$, $2.value, @2, $4); }
    | "let" IDENT '=' expr                  { $$ = ab_let_stmt(st, @$, $2, @2, $4); }
    | error                                 { $$ = NULL; }
    ;

assign
    : IDENT '=' expr opt_when               { $$ = ab_assign(st, @$, $1, @1, $3, $4); }
    | STRING '=' expr opt_when              { $$ = ab_assign(st, @$, $1.value, @1, $3, $4);
                                              $$->u.assign.quoted = true; }
    ;

expr
    : expr "??" expr                        { $$ = ab_binary(st, @$, OP_COALESCE, $1, $3, @2); }
    | expr "or" expr                        { $$ = ab_binary(st, @$, OP_OR, $1, $3, @2); }
    | expr "and" expr                       { $$ = ab_binary(st, @$, OP_AND, $1, $3, @2); }
    | "not" expr                            { $$ = ab_unary(st, @$, OP_NOT, $2); }
    | expr "==" expr                        { $$ = ab_binary(st, @$, OP_EQ, $1, $3, @2); }
    | expr "!=" expr                        { $$ = ab_binary(st, @$, OP_NE, $1, $3, @2); }
    | expr '<' expr                         { $$ = ab_binary(st, @$, OP_LT, $1, $3, @2); }
    | expr "<=" expr                        { $$ = ab_binary(st, @$, OP_LE, $1, $3, @2); }
    | expr '>' expr                         { $$ = ab_binary(st, @$, OP_GT, $1, $3, @2); }
    | expr ">=" expr                        { $$ = ab_binary(st, @$, OP_GE, $1, $3, @2); }
    | expr "in" expr                        { $$ = ab_binary(st, @$, OP_IN, $1, $3, @2); }
    | expr '+' expr                         { $$ = ab_binary(st, @$, OP_ADD, $1, $3, @2); }
    | expr '-' expr                         { $$ = ab_binary(st, @$, OP_SUB, $1, $3, @2); }
    | expr '*' expr                         { $$ = ab_binary(st, @$, OP_MUL, $1, $3, @2); }
    | expr '/' expr                         { $$ = ab_binary(st, @$, OP_DIV, $1, $3, @2); }
    | '-' expr %prec UMINUS                 { $$ = ab_negate(st, @$, $2); }
    | "if" expr "then" expr "else" expr %prec IF_ELSE
                                            { $$ = ab_if(st, @$, $2, $4, $6); }
    | primary
    ;

primary
    : literal
    | list
    | path
    | call
    | lookup
    | case_expr
    | "ref" IDENT                           { $$ = ab_ref(st, @$, $2, @2); }
    | "clear"                               { $$ = ab_leaf(st, @$, EX_CLEAR); }
    | '(' expr ')'                          { $$ = ab_paren(st, @$, $2); }
    ;

literal
    : "null"                                { $$ = ab_leaf(st, @$, EX_NULL); }
    | "true"                                { $$ = ab_bool(st, @$, true); }
    | "false"                               { $$ = ab_bool(st, @$, false); }
    | NUMBER                                { $$ = ab_number(st, @$, $1, false); }
    | STRING                                { $$ = ab_string(st, @$, $1.value, $1.len); }
    ;

list
    : '[' ']'                               { Vec v = ab_vec(); $$ = ab_list(st, @$, &v); }
    | '[' expr_list ']'                     { $$ = ab_list(st, @$, &$2); }
    ;

expr_list
    : expr                                  { $$ = ab_vec(); ab_push(st, &$$, $1); }
    | expr_list ',' expr                    { $$ = $1; ab_push(st, &$$, $3); }
    ;

exprs
    : %empty                                { $$ = ab_vec(); }
    | expr_list
    ;

call
    : IDENT '(' exprs ')'                   { $$ = ab_call(st, @$, $1, @1, &$3); }
    ;

lookup
    : primary '[' expr ']'                  { $$ = ab_index(st, @$, $1, @1, @2, $3); }
    ;

path
    : segments                              { $$ = ab_path(st, @$, &$1); }
    ;

segments
    : IDENT                                 { $$ = ab_vec(); ab_push_segment(st, &$$, $1, @1); }
    | segments '.' segment_word             { $$ = $1; ab_push_segment(st, &$$, $3, @3); }
    | segments '.' STRING                   { $$ = $1; ab_push_segment(st, &$$, $3.value, @3); }
    ;

/* After a dot any word names a key, so source records may use keywords as keys. */
segment_word
    : IDENT
    | "mapping" { $$ = "mapping"; } | "source" { $$ = "source"; } | "schema" { $$ = "schema"; }
    | "target" { $$ = "target"; } | "users" { $$ = "users"; } | "table" { $$ = "table"; }
    | "entity" { $$ = "entity"; } | "create" { $$ = "create"; } | "update" { $$ = "update"; }
    | "upsert" { $$ = "upsert"; } | "by" { $$ = "by"; } | "key" { $$ = "key"; }
    | "master" { $$ = "master"; } | "crm" { $$ = "crm"; } | "on" { $$ = "on"; }
    | "when" { $$ = "when"; } | "reject" { $$ = "reject"; } | "case" { $$ = "case"; }
    | "then" { $$ = "then"; } | "else" { $$ = "else"; } | "if" { $$ = "if"; }
    | "ref" { $$ = "ref"; } | "clear" { $$ = "clear"; } | "null" { $$ = "null"; }
    | "true" { $$ = "true"; } | "false" { $$ = "false"; } | "and" { $$ = "and"; }
    | "or" { $$ = "or"; } | "not" { $$ = "not"; } | "in" { $$ = "in"; }
    | "strict" { $$ = "strict"; } | "let" { $$ = "let"; } | "include" { $$ = "include"; } | "param" { $$ = "param"; }
    ;

case_expr
    : "case" '{' arms '}'                   { $$ = ab_case(st, @$, &$3, NULL, @4); }
    | "case" '{' arms "else" expr '}'       { $$ = ab_case(st, @$, &$3, $5, ab_loc(@4, @5)); }
    ;

arms
    : %empty                                { $$ = ab_vec(); }
    | arms arm                              { $$ = $1; ab_push_arm(st, &$$, $2); }
    ;

arm
    : "when" expr "then" expr               { $$.cond = $2; $$.value = $4; $$.span = ps_span(st, @$); }
    ;

%%

static void yyerror(YYLTYPE *loc, yyscan_t scanner, ParseState *st, const char *msg)
{
    (void)scanner;
    if (st->stop)
        return;
    /* Only bison's own "memory exhausted" comes here (parse.error custom). */
    Diag *d = ps_error(st, *loc, "%s: the expression is nested too deeply", msg);
    diag_help(d, "split it into smaller expressions");
    st->stop = true;
}

/* ---- syntax error messages ---- */

static bool name_in(const char *name, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(name, *set) == 0)
            return true;
    return false;
}

/* Tokens that can start an expression; listed once as "an expression". */
static const char *const expression_starts[] = {
    "identifier", "number", "string", "null", "true", "false",
    "not", "if", "case", "ref", "clear", "'('", "'['", "'-'", NULL
};

/* Tokens that continue an expression; listed once as "an operator". */
static const char *const operators[] = {
    "??", "or", "and", "==", "!=", "'<'", "<=", "'>'", ">=", "in",
    "'+'", "'-'", "'*'", "'/'", "'.'", "'['", "'('", NULL
};

/* Words that start a declaration at the top level. */
static const char *const declarations[] = {
    "mapping", "source", "target", "users", "table", "entity", "let", "include", "param", NULL
};

static const char *const comparisons[] = { "==", "!=", "'<'", "<=", "'>'", ">=", "in", NULL };

static const char *const word_tokens[] = { "identifier", "number", "string", "end of file", NULL };

/* Keywords are the lower-case words among the token names. */
static bool is_keyword(const char *name)
{
    if (name_in(name, word_tokens))
        return false;
    for (const char *p = name; *p; p++)
        if (*p < 'a' || *p > 'z')
            return false;
    return true;
}

/* Keywords and punctuation quoted ('when', '('), token classes in words. */
static void describe_expected(CmBuf *b, const char *name)
{
    if (strcmp(name, "identifier") == 0)
        cm_buf_puts(b, "a name");
    else if (strcmp(name, "string") == 0)
        cm_buf_puts(b, "a string");
    else if (strcmp(name, "number") == 0)
        cm_buf_puts(b, "a number");
    else if (strcmp(name, "end of file") == 0)
        cm_buf_puts(b, "end of file");
    else if (name[0] == '\'')
        cm_buf_puts(b, name);
    else
        cm_buf_printf(b, "'%s'", name);
}

static void describe_found(CmBuf *b, ParseState *st, yysymbol_kind_t tok, Loc loc)
{
    size_t len;
    const char *text = diag_source_text(st->src, &len);
    int n = (int)(loc.end - loc.start);
    const char *at = text + loc.start;
    if (tok == YYSYMBOL_YYEOF)
        cm_buf_puts(b, "end of file");
    else if (tok == YYSYMBOL_IDENT)
        cm_buf_printf(b, "name '%.*s'", n, at);
    else if (tok == YYSYMBOL_NUMBER)
        cm_buf_printf(b, "number %.*s", n, at);
    else if (tok == YYSYMBOL_STRING)
        cm_buf_printf(b, "string %.*s%s", n > 32 ? 32 : n, at, n > 32 ? "...\"" : "");
    else if (is_keyword(yysymbol_name(tok)))
        cm_buf_printf(b, "keyword '%.*s'", n, at);
    else
        cm_buf_printf(b, "'%.*s'", n, at);
}

/* How the expected tokens are grouped in the message. */
typedef enum Group { G_SELF, G_EXPRESSION, G_OPERATOR, G_DECLARATION, G_NAME } Group;

typedef struct Expected {
    yysymbol_kind_t tok[YYNTOKENS];
    Group group[YYNTOKENS];
    int n;
    bool ident, eq, value_only;
    bool statement;     /* a statement may start: a string there is a field's name too */
} Expected;

static bool expects(const Expected *x, const char *name)
{
    for (int i = 0; i < x->n; i++)
        if (strcmp(yysymbol_name(x->tok[i]), name) == 0)
            return true;
    return false;
}

/* Long lists of alternatives read badly: expression starts, operators,
 * declaration words and the keywords allowed as path segments are each
 * named once. */
static void group_expected(Expected *x)
{
    int starts = 0, ops = 0, decls = 0, keywords = 0;
    for (int i = 0; i < x->n; i++) {
        const char *name = yysymbol_name(x->tok[i]);
        starts += name_in(name, expression_starts);
        ops += name_in(name, operators) && !name_in(name, expression_starts);
        decls += name_in(name, declarations);
        keywords += is_keyword(name);
        x->ident |= x->tok[i] == YYSYMBOL_IDENT;
        x->eq |= x->tok[i] == YYSYMBOL_EQ;
    }
    x->statement = x->ident && expects(x, "master") && expects(x, "string") && expects(x, "'}'");
    bool by_name = x->ident && keywords >= 10;
    bool by_expr = !by_name && starts >= 5;
    x->value_only = by_expr && !x->ident;
    for (int i = 0; i < x->n; i++) {
        const char *name = yysymbol_name(x->tok[i]);
        x->group[i] = G_SELF;
        if (by_name && (x->tok[i] == YYSYMBOL_IDENT || is_keyword(name)))
            x->group[i] = G_NAME;
        else if (by_expr && name_in(name, expression_starts))
            x->group[i] = G_EXPRESSION;
        else if (ops >= 4 && name_in(name, operators))
            x->group[i] = G_OPERATOR;
        else if (decls == (int)(sizeof declarations / sizeof *declarations) - 1 && name_in(name, declarations))
            x->group[i] = G_DECLARATION;
    }
}

/* "a, b or c" with each group named once; the number of entries listed. */
static int list_expected(const Expected *x, CmBuf *b)
{
    static const char *const group_text[] = {
        [G_EXPRESSION] = "an expression", [G_OPERATOR] = "an operator",
        [G_DECLARATION] = "a declaration (mapping, source, target, users, table, entity, let, include or param)",
        [G_NAME] = "a name",
    };
    const char *entries[YYNTOKENS];
    bool seen[G_NAME + 1] = { false };
    bool declarations_listed = false;
    for (int i = 0; i < x->n; i++)
        declarations_listed |= x->group[i] == G_DECLARATION;
    int n = 0;
    for (int i = 0; i < x->n; i++) {
        Group g = x->group[i];
        if (x->tok[i] == YYSYMBOL_YYEOF && declarations_listed)
            continue;   /* at the top level "a declaration" says enough */
        if ((x->tok[i] == YYSYMBOL_STRING || x->tok[i] == YYSYMBOL_LET) && x->statement)
            continue;   /* "a name" says it: "Interest level" = ... names a field; a
                           statement list of six would be cut to "unexpected" */
        if (g == G_SELF) {
            CmBuf one = CM_BUF_INIT;
            describe_expected(&one, yysymbol_name(x->tok[i]));
            entries[n++] = cm_buf_take(&one);
        } else if (!seen[g]) {
            seen[g] = true;
            entries[n++] = cm_strdup(g == G_EXPRESSION && x->value_only ? "a literal value" : group_text[g]);
        }
    }
    for (int i = 0; i < n; i++) {
        cm_buf_puts(b, i == 0 ? "" : i == n - 1 ? " or " : ", ");
        cm_buf_puts(b, entries[i]);
        cm_free((char *)entries[i]);
    }
    return n;
}

/* True when only identifier characters and blanks precede offset on its line:
   a '=' there starts an assignment, not a comparison. */
static bool assignment_starts_line(ParseState *st, uint32_t offset)
{
    const char *text = diag_source_text(st->src, NULL);
    uint32_t i = offset;
    while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
        i--;
    uint32_t word_end = i;
    while (i > 0 && (text[i - 1] == '_' || (text[i - 1] >= '0' && text[i - 1] <= '9')
                     || ((text[i - 1] | 0x20) >= 'a' && (text[i - 1] | 0x20) <= 'z')))
        i--;
    if (i == word_end)
        return false;
    while (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
        i--;
    return i == 0 || text[i - 1] == '\n';
}

static void add_help(ParseState *st, Diag *d, const Expected *x, yysymbol_kind_t tok, Loc loc)
{
    static const char *const header_words[] = { "key", "master", NULL };
    static const char *const clause_words[] = { "when", "then", "else", NULL };
    const char *name = yysymbol_name(tok);
    int n = (int)(loc.end - loc.start);
    const char *at = diag_source_text(st->src, NULL) + loc.start;
    bool in_expression = false;
    for (int i = 0; i < x->n; i++)
        in_expression |= x->group[i] == G_EXPRESSION || x->group[i] == G_OPERATOR;
    if (expects(x, "->")) {
        diag_help(d, "a table entry is written KEY -> VALUE");
    } else if (x->n == 1 && expects(x, "'}'")) {
        diag_help(d, "'else -> VALUE' must be the table's last entry");
    } else if (strcmp(name, "'='") == 0) {
        if (assignment_starts_line(st, loc.start))
            diag_help(d, "the value of the assignment before this line may be missing");
        else
            diag_help(d, "compare with '=='; a single '=' assigns a field");
    } else if (name_in(name, comparisons) && !expects(x, name) && expects(x, "'+'")) {
        diag_help(d, "comparisons do not chain: join them with 'and', as in a < b and b < c");
    } else if (x->value_only && tok == YYSYMBOL_IDENT) {
        diag_help(d, "table keys and values are literals: strings, numbers, true, false, null or lists");
    } else if (name_in(name, header_words) && expects(x, "'{'")) {
        diag_help(d, "an entity header reads: entity NAME MODE [key FIELD] [master crm|source] "
                     "[when COND | when no ENTITY] [strict] {");
    } else if (x->ident && !expects(x, "master") && expects(x, "'}'")
               && (strcmp(name, "master") == 0 || strcmp(name, "on") == 0 || strcmp(name, "reject") == 0)) {
        diag_help(d, "an ownership block holds only assignments: blocks do not nest, and reject belongs in the entity");
    } else if (x->ident && is_keyword(name) && !(in_expression && name_in(name, clause_words))) {
        diag_help(d, "'%.*s' is a reserved word and cannot be used as a name here", n, at);
    } else if (tok == YYSYMBOL_YYEOF && st->brackets > 0) {
        diag_help(d, "a bracket opened earlier is not closed");
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, ParseState *st)
{
    (void)scanner;
    if (st->stop)
        return 0;
    yysymbol_kind_t tok = yypcontext_token(ctx);
    Loc loc = *yypcontext_location(ctx);
    /* After an error the parser may have skipped an opening bracket that the
       source does close: a closing bracket balancing one opened before that
       error is then not a new mistake, only the parser catching up. One
       opened after it (the next entity's '}') can close a new mistake. */
    static const char *const closers[] = { "'}'", "']'", "')'", NULL };
    if (st->closed_stale && name_in(yysymbol_name(tok), closers))
        return 0;
    Expected x;
    memset(&x, 0, sizeof x);
    x.n = yypcontext_expected_tokens(ctx, x.tok, YYNTOKENS);
    group_expected(&x);
    CmBuf exp = CM_BUF_INIT, found = CM_BUF_INIT;
    int listed = x.n > 0 ? list_expected(&x, &exp) : 0;
    describe_found(&found, st, tok, loc);
    Diag *d;
    if (listed > 0 && listed <= 5)
        d = ps_error(st, loc, "expected %s, found %s", exp.data, found.data);
    else
        d = ps_error(st, loc, "unexpected %s", found.data);
    add_help(st, d, &x, tok, loc);
    cm_buf_free(&exp);
    cm_buf_free(&found);
    return 0;
}
