# bash completion for crmmap (installed as share/bash-completion/completions/crmmap).
# Commands and flags as their --help texts give them; tests/install/man_page.py
# fails when one is missing here.

_crmmap_flags() {
    case $1 in
    check) echo "--format --dump-ast --spans" ;;
    compile) echo "-o --output --format" ;;
    disasm | verify) echo "" ;;
    run) echo "-i --input --dry-run --errors --resume --journal --config --url --token-env
                --token-file --plain-http -q --quiet --verbose --batch-size --in-flight
                --timeout-ms --retries --rate --force --bulk --bulk-threshold --bulk-poll-ms
                --budget --max-calls --param --fetch-allow --fetch-max-bytes" ;;
    test) echo "--junit --filter --param" ;;
    plan) echo "-i --input --format --budget --config --url --token-env --token-file --api-version --timeout-ms
                 --retries --verbose --system --plain-http --param" ;;
    schema) echo "--system --entity --users -o --format --url --token-env --token-file --config
                   --api-version --plain-http --timeout-ms --retries --no-users --verbose" ;;
    doctor) echo "--config --url --token-env --token-file --api-version --timeout-ms --retries
                   --verbose --system --plain-http" ;;
    fmt) echo "--check -w --write --format" ;;
    doc) echo "-o --output --format" ;;
    lsp) echo "--stdio" ;;
    serve) echo "--listen --auth-env --auth-file --tls-cert --tls-key --plain-http --max-body --max-inbox
                  --max-connections --max-per-address --header-timeout --body-timeout --max-body-memory
                  --state-dir --errors --batch-size --batch-window-ms --max-in-flight --drain-ms --retain
                  --config --url --api-version --token-env --token-file --status-token-file
                  --log-format --force --check-config --param --fetch-allow --fetch-max-bytes" ;;
    esac
}

_crmmap() {
    local cur prev cmd
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    local commands="check compile disasm verify run test plan schema doctor fmt doc serve lsp"

    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    cmd=${COMP_WORDS[1]}

    case $prev in
    --format)
        COMPREPLY=($(compgen -W "text json sarif github" -- "$cur"))
        return ;;
    --log-format)
        COMPREPLY=($(compgen -W "text json" -- "$cur"))
        return ;;
    --bulk)
        COMPREPLY=($(compgen -W "on off auto" -- "$cur"))
        return ;;
    --system)
        COMPREPLY=($(compgen -W "salesforce hubspot dynamics pipedrive snapaddy" -- "$cur"))
        return ;;
    --token-env)
        COMPREPLY=($(compgen -v -- "$cur"))
        return ;;
    -o | --output | --input | -i | --errors | --journal | --config | --token-file | --junit | \
    --auth-file | --tls-cert | --tls-key | --status-token-file)
        COMPREPLY=($(compgen -f -- "$cur"))
        [ "$cmd" = schema ] && [ "$prev" = -o ] && COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    --state-dir)
        COMPREPLY=($(compgen -d -- "$cur"))
        return ;;
    --auth-env)
        COMPREPLY=($(compgen -v -- "$cur"))
        return ;;
    --url | --listen | --api-version | --timeout-ms | --retries | --rate | --entity | --batch-size | \
    --bulk-threshold | --bulk-poll-ms | --max-calls | --param | --fetch-allow | --fetch-max-bytes | \
    --in-flight | --max-body | --max-inbox | --batch-window-ms | --max-in-flight | --drain-ms | --filter | \
    --max-connections | --max-per-address | --header-timeout | --body-timeout | --max-body-memory)
        return ;;
    esac

    if [ "$cmd" = schema ] && ((COMP_CWORD == 2)); then
        COMPREPLY=($(compgen -W "import pull" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_crmmap_flags "$cmd") --help" -- "$cur"))
        return
    fi
    # Arguments: the files each command reads.
    local pattern
    case $cmd in
    disasm | verify) pattern='*.mapc' ;;
    run | serve) pattern='*.map?(c)' ;;
    test | plan | doctor | check | compile | fmt | doc) pattern='*.map' ;;
    esac
    compopt -o filenames 2>/dev/null
    if [ -n "$pattern" ]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -d -- "$cur") $(shopt -s extglob; compgen -f -X "!$pattern" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -F _crmmap crmmap
