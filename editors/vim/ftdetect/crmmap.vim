" crmmap mapping files. Vim calls *.map a MapServer file ("map"); set, not
" setfiletype, so crmmap's wins.
autocmd BufNewFile,BufRead *.map set filetype=crmmap
