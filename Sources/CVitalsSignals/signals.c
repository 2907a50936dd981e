#include "vitals_signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
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

static void on_crash(int sig) {
    // Only async-signal-safe calls: leave the alternate screen, show the cursor, reset colours and
    // mouse reporting, and put the saved terminal modes back. Then die the way the signal meant.
    static const char reset[] = "\033[?1000l\033[?1002l\033[?1006l\033[?1049l\033[?25h\033[0m\r\n";
    int fd = saved_fd;
    if (fd >= 0) {
        (void)!write(fd, reset, sizeof(reset) - 1);
        tcsetattr(fd, TCSANOW, &saved_modes);
    }
    signal(sig, SIG_DFL);
    raise(sig);
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

    struct sigaction crash;
    memset(&crash, 0, sizeof(crash));
    crash.sa_handler = on_crash;
    sigemptyset(&crash.sa_mask);
    crash.sa_flags = SA_RESETHAND;
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
    if (tcgetattr(fd, &saved_modes) == 0) saved_fd = fd;
}

void vitals_signals_forget_terminal(void) { saved_fd = -1; }

void vitals_signals_wake(void) {
    if (wake_pipe[1] >= 0) {
        char byte = 'w';
        (void)!write(wake_pipe[1], &byte, 1);
    }
}
