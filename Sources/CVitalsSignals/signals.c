#include "vitals_signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t pending_signal = 0;
static volatile sig_atomic_t suspend_requested = 0;
static int wake_pipe[2] = {-1, -1};
static struct termios saved_modes;
static volatile sig_atomic_t saved_fd = -1;

static void on_terminate(int sig) {
    int saved_errno = errno;
    if (pending_signal == 0) pending_signal = sig;
    if (wake_pipe[1] >= 0) {
        char byte = (char)sig;
        (void)!write(wake_pipe[1], &byte, 1);
    }
    errno = saved_errno;
}

static void on_suspend(int sig) {
    int saved_errno = errno;
    suspend_requested = 1;
    if (wake_pipe[1] >= 0) {
        char byte = (char)sig;
        (void)!write(wake_pipe[1], &byte, 1);
    }
    errno = saved_errno;
}

// What a full-screen program may have turned on, turned off: mouse reporting (every mode),
// bracketed paste, application keypad and cursor keys, the alternate screen; the cursor shown and
// colours reset.
static const char reset_sequence[] =
    "\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?1015l\033[?2004l\033[?1l\033>\033[?1049l\033[?25h\033[0m\r\n";

static int guard_pipe = -1;
static pid_t guard_pid = 0;

static void on_crash(int sig) {
    // Only async-signal-safe calls: put the terminal back, say why, and die the way the signal
    // meant. The guard process does the same if this cannot run (a stack overflow on a thread
    // with no alternate stack) or the process is killed outright.
    static const char said[] = "vitals crashed; the terminal is restored. Please report it with how it happened.\r\n";
    int fd = saved_fd;
    if (fd >= 0) {
        (void)!write(fd, reset_sequence, sizeof(reset_sequence) - 1);
        tcsetattr(fd, TCSANOW, &saved_modes);
        (void)!write(STDERR_FILENO, said, sizeof(said) - 1);
        // Done here: the guard must not leave the alternate screen again (that moves the cursor).
        char done = 'd';
        if (guard_pipe >= 0) (void)!write(guard_pipe, &done, 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

// The guard: a small child process holding the read end of a pipe. If the end closes before
// vitals has said "done" (it died: SIGKILL, a crash no handler could run for), the guard puts the
// terminal back. Forked, not spawned: between fork and _exit it makes only async-signal-safe calls.

static void guard_run(int tty, int input) {
    struct sigaction ignore;
    memset(&ignore, 0, sizeof(ignore));
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    const int ignored[] = {SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGTSTP, SIGTTOU, SIGTTIN, SIGPIPE};
    for (unsigned i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) sigaction(ignored[i], &ignore, NULL);
    // Nothing of vitals' kept open: a socket it closes must close for its peer.
    int low = tty < input ? tty : input, high = tty < input ? input : tty;
    if (low > 3) syscall(SYS_close_range, 3, low - 1, 0);
    if (high - low > 1) syscall(SYS_close_range, low + 1, high - 1, 0);
    syscall(SYS_close_range, high + 1, ~0U, 0);
    prctl(PR_SET_NAME, "vitals-guard", 0, 0, 0);
    for (;;) {
        char byte;
        ssize_t got = read(input, &byte, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got == 0) {
            (void)!write(tty, reset_sequence, sizeof(reset_sequence) - 1);
            tcsetattr(tty, TCSANOW, &saved_modes);
        }
        _exit(0);
    }
}

static void guard_start(int fd) {
    if (guard_pid > 0) return;
    int ends[2];
    if (pipe(ends) != 0) return;
    // Never inherited by what vitals runs (exec checks, scale commands): only vitals' end counts.
    fcntl(ends[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid == 0) {
        guard_run(fd, ends[0]);
        _exit(0);
    }
    close(ends[0]);
    if (pid < 0) {
        close(ends[1]);
        return;
    }
    guard_pipe = ends[1];
    guard_pid = pid;
}

static void guard_stop(void) {
    if (guard_pid <= 0) return;
    char done = 'd';
    (void)!write(guard_pipe, &done, 1);
    close(guard_pipe);
    waitpid(guard_pid, NULL, 0);
    guard_pipe = -1;
    guard_pid = 0;
}

static int make_pipe(void) {
    if (wake_pipe[0] >= 0) return 0;
    if (pipe(wake_pipe) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
    }
    return 0;
}

int vitals_signals_install(void) {
    if (make_pipe() != 0) return -1;

    struct sigaction term;
    memset(&term, 0, sizeof(term));
    term.sa_handler = on_terminate;
    sigemptyset(&term.sa_mask);
    // No SA_RESTART: a blocking poll or read returns EINTR, so the run loop notices at once.
    const int terminating[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
    for (unsigned i = 0; i < sizeof(terminating) / sizeof(terminating[0]); i++) sigaction(terminating[i], &term, NULL);

    // Ctrl-Z: the run loop restores the terminal, stops, and redraws when continued. Installed
    // before initscr, so ncurses keeps its own handler out.
    struct sigaction suspend;
    memset(&suspend, 0, sizeof(suspend));
    suspend.sa_handler = on_suspend;
    sigemptyset(&suspend.sa_mask);
    sigaction(SIGTSTP, &suspend, NULL);

    // A stack overflow on this thread still runs the handler: on a stack of its own.
    static char alternate[64 * 1024];
    stack_t stack;
    memset(&stack, 0, sizeof(stack));
    stack.ss_sp = alternate;
    stack.ss_size = sizeof(alternate);
    sigaltstack(&stack, NULL);

    struct sigaction crash;
    memset(&crash, 0, sizeof(crash));
    crash.sa_handler = on_crash;
    sigemptyset(&crash.sa_mask);
    crash.sa_flags = SA_RESETHAND | SA_ONSTACK;
    const int crashing[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE};
    for (unsigned i = 0; i < sizeof(crashing) / sizeof(crashing[0]); i++) sigaction(crashing[i], &crash, NULL);
    return 0;
}

int vitals_signals_pending(void) { return pending_signal; }

int vitals_signals_wake_fd(void) { return wake_pipe[0]; }

int vitals_signals_take_suspend(void) {
    int requested = suspend_requested;
    suspend_requested = 0;
    return requested;
}

void vitals_signals_suspend_now(void) {
    struct sigaction previous, stop;
    memset(&stop, 0, sizeof(stop));
    stop.sa_handler = SIG_DFL;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTSTP, &stop, &previous);
    // To the process, not this thread: the run loop may be on a thread that blocks SIGTSTP
    // (Dispatch's workers block signals), where raise() would leave it pending forever.
    kill(getpid(), SIGTSTP);
    // Here once continued (SIGCONT), or at once if the kernel discarded the stop.
    sigaction(SIGTSTP, &previous, NULL);
}

void vitals_signals_save_terminal(int fd) {
    if (tcgetattr(fd, &saved_modes) == 0) {
        saved_fd = fd;
        guard_start(fd);
    }
}

void vitals_signals_forget_terminal(void) {
    saved_fd = -1;
    guard_stop();
}

void vitals_signals_wake(void) {
    if (wake_pipe[1] >= 0) {
        char byte = 'w';
        (void)!write(wake_pipe[1], &byte, 1);
    }
}
