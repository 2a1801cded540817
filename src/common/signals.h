// The signals a long run answers, the same for every command that runs one:
// SIGINT and SIGTERM end it cleanly, SIGHUP asks for the log to be reopened,
// and a closed pipe shows up as EPIPE from write() rather than killing us.
#pragma once

namespace tcpfsm {

// Installs the handlers, without SA_RESTART so a blocking wait returns.
void install_run_signals();
// SIGINT or SIGTERM once one has arrived, else 0.
int stop_signal();
// Whether a SIGHUP arrived since the last call.
bool take_reopen_request();

}  // namespace tcpfsm
