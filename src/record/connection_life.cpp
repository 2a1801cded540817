#include "record/connection_life.h"

namespace tcpfsm {

std::string_view role_name(Role r) {
  switch (r) {
    case Role::Client: return "client";
    case Role::Server: return "server";
    case Role::Unknown: break;
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view s) {
  for (Role r : {Role::Unknown, Role::Client, Role::Server})
    if (role_name(r) == s) return r;
  return std::nullopt;
}

}  // namespace tcpfsm
