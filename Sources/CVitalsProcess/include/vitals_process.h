#ifndef VITALS_PROCESS_H
#define VITALS_PROCESS_H

#include <spawn.h>

/// A pipe whose two ends close on exec (pipe2 with O_CLOEXEC). Returns 0, or -1 with errno.
int vitals_pipe_cloexec(int fds[2]);

/// Makes a spawned program close every descriptor from `lowest` up (glibc's
/// posix_spawn_file_actions_addclosefrom_np), so it inherits none of the parent's sockets.
/// Returns 0 or an error number.
int vitals_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
