// Opening the log a path names (-o) without being led elsewhere. tcpfsm
// trace runs as root or with capabilities, so a symbolic link that another
// user planted in the path (in /tmp, in a directory of theirs, or in one
// anyone may write) would make it create or append to any file it names.
//
// openat2(RESOLVE_NO_SYMLINKS) refuses every symbolic link, and so the
// shipped unit's own path: with DynamicUser=, systemd makes
// /var/log/tcpfsm a symbolic link to private/tcpfsm. So the path is walked
// one directory at a time, each held open (O_PATH, O_NOFOLLOW) while the
// next is looked up in it, and a symbolic link is followed only where no
// other user could have put it: the link is owned by root or by us, and so
// is the directory that holds it, which others cannot write to unless it is
// sticky (/tmp: others add their own entries there, but cannot replace
// ours). Group write is allowed: a group is a trust the administrator gave
// (Ubuntu's /var/log is writable by group syslog). A directory on the way
// that anyone may write to and that is not sticky is refused too, as anyone
// could replace what it holds, the log itself between two runs. The log
// itself is never a symbolic link (O_NOFOLLOW).
#pragma once

#include <sys/types.h>

#include <string>

namespace tcpfsm {

// open(path, flags | O_NOFOLLOW | O_CLOEXEC, mode), resolved as above. The
// descriptor, or -1 with errno set; when the path was refused for its
// safety, errno is EPERM (ELOOP past 40 links) and `refused` says why,
// naming what was refused (not escaped).
int open_log_path(const std::string& path, int flags, mode_t mode, std::string& refused);

}  // namespace tcpfsm
