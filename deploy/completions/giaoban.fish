# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_giaoban_global_optspecs
    string join \n config= h/help V/version
end

function __fish_giaoban_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_giaoban_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_giaoban_using_subcommand
    set -l cmd (__fish_giaoban_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c giaoban -n "__fish_giaoban_needs_command" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c giaoban -n "__fish_giaoban_needs_command" -s V -l version -d 'Print version'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "run" -d 'Run the daemon: scheduled collection, planner ticks and delivery'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "check" -d 'Validate the config and print what it understood'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "collect" -d 'One collection pass now'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "tick" -d 'One planner pass at TIME, then deliver what is due, then exit'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "deliver" -d 'One delivery pass over what is due at TIME, then exit (the daemon\'s courier does this continuously)'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "status" -d 'Per-unit table of a report-period. Reads the database; never creates one'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "summary" -d 'The summary of a report-period: text, and optionally its spreadsheet and chart'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "cases" -d 'Complaint cases with their legal deadlines and state. Reads the database; never creates one'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "meetings" -d 'Briefing meetings: when, where, who attends, and what was sent for each'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "tasks" -d 'Key tasks set by the meetings (and from the chat) with their state'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "template" -d 'Write the blank XLSX template (biểu mẫu) a unit fills in for a report'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "demo" -d 'The whole pipeline on a simulated clock through one reporting cycle'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "backup" -d 'A consistent copy of the database into FILE (a new file), safe while the daemon runs'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "migrate-data" -d 'Copy every table of one database into another, empty one (SQLite to PostgreSQL or back), then compare the counts of every table'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "completions" -d 'Print the shell completion script for SHELL (bash, zsh, fish, …)'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "man" -d 'Print the manual page (roff), e.g. `giaoban man | man -l -`'
complete -c giaoban -n "__fish_giaoban_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c giaoban -n "__fish_giaoban_using_subcommand run" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand run" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand check" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand check" -l json -d 'Print one JSON document (what the config says, or its problems)'
complete -c giaoban -n "__fish_giaoban_using_subcommand check" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l report -d 'Only this report (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l period -d 'Only this period (e.g. 2024-9M, 2024-Q3, 2024-10); default the periods open now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l unit -d 'Only this unit (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l at -d 'Collect as if it were this instant (RFC 3339); default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -l force -d 'Read and judge every file again, even those already seen'
complete -c giaoban -n "__fish_giaoban_using_subcommand collect" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand tick" -l at -d 'Plan as if it were this instant (RFC 3339 or local 2024-09-19T10:00); default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand tick" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand tick" -l json -d 'Print what was queued and delivered as one JSON document'
complete -c giaoban -n "__fish_giaoban_using_subcommand tick" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand deliver" -l at -d 'Deliver as if it were this instant (RFC 3339): what is planned by then and still news then; default now. Rate limits and retry times always use the real clock' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand deliver" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand deliver" -l json -d 'Print what the pass did as one JSON document'
complete -c giaoban -n "__fish_giaoban_using_subcommand deliver" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -l report -d 'Only this report (its id in the config); default every report' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -l period -d 'The period (e.g. 2024-9M); default the one whose deadline is nearest' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -l at -d 'Evaluate at this instant, counting only what had been received by then; default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -l json -d 'Print one JSON document instead of the table'
complete -c giaoban -n "__fish_giaoban_using_subcommand status" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l report -d 'The report (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l period -d 'The period (e.g. 2024-9M)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l xlsx -d 'Write the spreadsheet here' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l chart -d 'Write the chart (PNG) here' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l at -d 'Summarise what had been received by this instant (default now)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -l send -d 'Queue it for the group (with the spreadsheet and chart) and deliver now'
complete -c giaoban -n "__fish_giaoban_using_subcommand summary" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -l unit -d 'Only this unit\'s cases (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -l at -d 'Evaluate the limits on this instant\'s date; default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -l overdue -d 'Only cases past their limit'
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -l json -d 'Print one JSON document instead of the table'
complete -c giaoban -n "__fish_giaoban_using_subcommand cases" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand meetings" -l at -d 'List the sittings near this instant (RFC 3339); default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand meetings" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand meetings" -l json -d 'Print one JSON document instead of the table'
complete -c giaoban -n "__fish_giaoban_using_subcommand meetings" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -l unit -d 'Only the tasks this unit owns (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -l at -d 'Evaluate the deadlines at this instant (RFC 3339); default now' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -l overdue -d 'Only tasks past their deadline'
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -l json -d 'Print one JSON document instead of the table'
complete -c giaoban -n "__fish_giaoban_using_subcommand tasks" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -l report -d 'The report (its id in the config)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -l xlsx -d 'The file to write' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -l unit -d 'Pre-fill the unit (id)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -l period -d 'Pre-fill the period (e.g. 2024-9M)' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand template" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand demo" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand demo" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand backup" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand backup" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand migrate-data" -l from -d 'The database to copy: sqlite://FILE (relative to the current folder) or postgres://USER@HOST/DB' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand migrate-data" -l to -d 'The empty database to copy into; its schema is created first' -r
complete -c giaoban -n "__fish_giaoban_using_subcommand migrate-data" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand migrate-data" -l json -d 'Print the counts per table as one JSON document'
complete -c giaoban -n "__fish_giaoban_using_subcommand migrate-data" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand completions" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand completions" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand man" -l config -d 'The config file' -r -F
complete -c giaoban -n "__fish_giaoban_using_subcommand man" -s h -l help -d 'Print help'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "run" -d 'Run the daemon: scheduled collection, planner ticks and delivery'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "check" -d 'Validate the config and print what it understood'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "collect" -d 'One collection pass now'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "tick" -d 'One planner pass at TIME, then deliver what is due, then exit'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "deliver" -d 'One delivery pass over what is due at TIME, then exit (the daemon\'s courier does this continuously)'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "status" -d 'Per-unit table of a report-period. Reads the database; never creates one'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "summary" -d 'The summary of a report-period: text, and optionally its spreadsheet and chart'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "cases" -d 'Complaint cases with their legal deadlines and state. Reads the database; never creates one'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "meetings" -d 'Briefing meetings: when, where, who attends, and what was sent for each'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "tasks" -d 'Key tasks set by the meetings (and from the chat) with their state'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "template" -d 'Write the blank XLSX template (biểu mẫu) a unit fills in for a report'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "demo" -d 'The whole pipeline on a simulated clock through one reporting cycle'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "backup" -d 'A consistent copy of the database into FILE (a new file), safe while the daemon runs'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "migrate-data" -d 'Copy every table of one database into another, empty one (SQLite to PostgreSQL or back), then compare the counts of every table'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "completions" -d 'Print the shell completion script for SHELL (bash, zsh, fish, …)'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "man" -d 'Print the manual page (roff), e.g. `giaoban man | man -l -`'
complete -c giaoban -n "__fish_giaoban_using_subcommand help; and not __fish_seen_subcommand_from run check collect tick deliver status summary cases meetings tasks template demo backup migrate-data completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
