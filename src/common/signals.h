// The signals a long run answers, the same for every command that runs one:
// SIGINT and SIGTERM end it cleanly, SIGHUP asks for the log to be reopened,
// SIGUSR1 for a stats record now (trace; as dd prints its statistics), and a
// closed pipe shows up as EPIPE from write() rather than killing us. SIGUSR2
// and SIGALRM, sent by mistake, are ignored: by default they end the process,
// a run then without its end record and the records it had not written yet.
#pragma once

namespace tcpfsm {

// Installs the handlers, without SA_RESTART so a blocking wait returns.
void install_run_signals();
// SIGINT or SIGTERM once one has arrived, else 0.
int stop_signal();
// Whether a SIGHUP arrived since the last call.
bool take_reopen_request();
// Whether a SIGUSR1 arrived since the last call.
bool take_stats_request();

}  // namespace tcpfsm
