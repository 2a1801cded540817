// Each subcommand adds its options to the app and sets what to run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace tcpfsm::cli {

using Command = std::function<int()>;

void add_trace(CLI::App& app, Command& run);
void add_features(CLI::App& app, Command& run);
void add_stuck(CLI::App& app, Command& run);
void add_check(CLI::App& app, Command& run);
void add_states(CLI::App& app, Command& run);

// Validators shared by subcommands.
CLI::Validator duration_validator();
CLI::Validator size_validator();

}  // namespace tcpfsm::cli
