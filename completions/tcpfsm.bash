# bash completion for tcpfsm(8)                              -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/tcpfsm. The options are
# those of `tcpfsm SUBCOMMAND --help`; tests/deploy/docs_test.sh checks that
# every one of them is here, and nothing else.
# shellcheck disable=SC2207 # COMPREPLY=($(compgen ...)): the usual completion idiom

_tcpfsm_states="ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN CLOSING NEW_SYN_RECV BOUND_INACTIVE"

_tcpfsm()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="trace top check states stuck features"
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            trace | top | check | states | stuck | features)
                cmd=${words[i]}
                break
                ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-h --help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local opts
    case $cmd in
        trace | top)
            # top takes trace's filter, pipeline and stuck options (one
            # registration in the binary), --interval and -o.
            if [[ $cmd == top ]]; then
                opts="-h --help --interval -o --output -p --port --lport --rport
                    --state --netns --cgroup --pid -4 --ipv4 -6 --ipv6
                    --stuck-state --stuck-age --model --attach --buffer --ringbuf-size
                    --socket-map-size --max-sockets --no-owners -v --verbose"
            else
                opts="-h --help -f --format -o --output -p --port --lport --rport
                    --state --netns --cgroup --pid -4 --ipv4 -6 --ipv6 -d --duration -n --count
                    --model --attach --buffer
                    --ringbuf-size --rotate-size --rotate-keep --flush-interval
                    --stats-interval --socket-map-size --user --max-sockets
                    --metrics --stuck-state --stuck-age -w --wide --lifetimes --otel-names --journal --no-owners -v --verbose"
            fi
            case $prev in
                -f | --format)
                    COMPREPLY=($(compgen -W "table json none" -- "$cur"))
                    return
                    ;;
                -o | --output)
                    _tcpfsm_files
                    return
                    ;;
                --model)
                    COMPREPLY=($(compgen -W "linux rfc" -- "$cur"))
                    return
                    ;;
                --attach)
                    COMPREPLY=($(compgen -W "auto tp_btf tracepoint" -- "$cur"))
                    return
                    ;;
                --buffer)
                    COMPREPLY=($(compgen -W "auto ring perf" -- "$cur"))
                    return
                    ;;
                --stuck-state | --state)
                    COMPREPLY=($(compgen -W "$_tcpfsm_states" -- "$cur"))
                    return
                    ;;
                --netns)
                    _tcpfsm_netns
                    return
                    ;;
                --cgroup)
                    # directories under the cgroup2 mount, relative to it
                    if [[ $cur != /* && -d /sys/fs/cgroup ]]; then
                        COMPREPLY=($(cd /sys/fs/cgroup 2>/dev/null && compgen -d -S / -- "$cur"))
                    else
                        COMPREPLY=($(compgen -d -S / -- "$cur"))
                    fi
                    compopt -o nospace 2>/dev/null
                    return
                    ;;
                --pid)
                    if declare -F _pids >/dev/null 2>&1; then
                        _pids
                    else
                        COMPREPLY=($(compgen -W "$(command ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
                    fi
                    return
                    ;;
                --user)
                    COMPREPLY=($(compgen -u -- "$cur"))
                    return
                    ;;
                --metrics)
                    COMPREPLY=($(compgen -W "127.0.0.1:9464 [::1]:9464 0.0.0.0:9464" -- "$cur"))
                    declare -F __ltrim_colon_completions >/dev/null 2>&1 && __ltrim_colon_completions "$cur"
                    return
                    ;;
                -p | --port | --lport | --rport | -d | --duration | -n | --count | \
                    --ringbuf-size | --rotate-size | --rotate-keep | --flush-interval | \
                    --stats-interval | --socket-map-size | --max-sockets | --stuck-age | --interval)
                    return # a number, size or duration: nothing to offer
                    ;;
            esac
            ;;
        check)
            opts="-h --help --model -f --format --dot --html --show --stuck-age"
            case $prev in
                --model)
                    COMPREPLY=($(compgen -W "linux rfc" -- "$cur"))
                    return
                    ;;
                -f | --format)
                    COMPREPLY=($(compgen -W "text json" -- "$cur"))
                    return
                    ;;
                --dot | --html)
                    _tcpfsm_files
                    return
                    ;;
                --show | --stuck-age)
                    return # a number or a duration: nothing to offer
                    ;;
            esac
            if [[ $cur != -* ]]; then
                _tcpfsm_files # the logs to check
                return
            fi
            ;;
        states)
            opts="-h --help --model --dot"
            case $prev in
                --model)
                    COMPREPLY=($(compgen -W "linux rfc" -- "$cur"))
                    return
                    ;;
            esac
            ;;
        stuck)
            opts="-h --help --state --min-age -p --port --netns -4 --ipv4 -6 --ipv6
                --once --interval --buffer --stacks -f --format"
            case $prev in
                --buffer)
                    COMPREPLY=($(compgen -W "auto ring perf" -- "$cur"))
                    return
                    ;;
                --state)
                    COMPREPLY=($(compgen -W "$_tcpfsm_states" -- "$cur"))
                    return
                    ;;
                -f | --format)
                    COMPREPLY=($(compgen -W "table json" -- "$cur"))
                    return
                    ;;
                --netns)
                    _tcpfsm_netns
                    return
                    ;;
                --min-age | -p | --port | --interval)
                    return
                    ;;
            esac
            ;;
        features)
            opts="-h --help"
            ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}

# Named network namespaces (ip netns), by name or path, else paths such as
# /proc/PID/ns/net.
_tcpfsm_netns()
{
    if [[ $cur != */* && -d /var/run/netns ]]; then
        local names
        names="$(command ls /var/run/netns 2>/dev/null)"
        COMPREPLY=($(compgen -W "$names $(sed 's|^|/var/run/netns/|' <<<"$names")" -- "$cur"))
    fi
    [[ ${#COMPREPLY[@]} -gt 0 ]] || _tcpfsm_files
}

_tcpfsm_files()
{
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

complete -F _tcpfsm tcpfsm
