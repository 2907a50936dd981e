// GNU extensions live here, in a .c file: defining _GNU_SOURCE in a Clang module's header would
// change glibc's layouts for every Swift file that imports it.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include "vitals_process.h"

int vitals_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int vitals_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}
