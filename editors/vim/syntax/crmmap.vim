" Vim syntax file for crmmap mappings (.map), the language of docs/language.md.
if exists("b:current_syntax")
  finish
endif

syn keyword crmmapItem mapping source target users table entity schema let include param
syn keyword crmmapMode create update upsert by key strict
syn keyword crmmapStmt master crm on reject when
syn keyword crmmapExpr if then else case and or not in ref clear
syn keyword crmmapConst null true false
syn match crmmapOp "??\|->\|==\|!=\|<=\|>=\|[=<>+*/-]"
syn match crmmapNumber "\<-\=\d\+\(\.\d\+\)\=\>"
syn match crmmapCall "\<\h\w*\ze("
syn region crmmapString start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline
syn match crmmapComment "#.*$" contains=@Spell

hi def link crmmapItem Keyword
hi def link crmmapMode StorageClass
hi def link crmmapStmt Statement
hi def link crmmapExpr Conditional
hi def link crmmapConst Constant
hi def link crmmapOp Operator
hi def link crmmapNumber Number
hi def link crmmapCall Function
hi def link crmmapString String
hi def link crmmapComment Comment

let b:current_syntax = "crmmap"
