#ifndef VITALS_SIGNALS_H
#define VITALS_SIGNALS_H

/// Signal state for the dashboard, kept in one translation unit (signals.c) so that every module
/// and every optimisation level sees the same copy. A `static` variable in a header would be one
/// copy per importing module: the handler would write one and the run loop read another.

/// Installs the handlers: SIGTERM, SIGHUP, SIGINT and SIGQUIT are recorded and wake the run loop
/// through a pipe; SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT and SIGFPE restore the terminal
/// settings saved by `vitals_signals_save_terminal` and re-raise with the default action.
/// Returns 0, or -1 with errno set when the wake pipe cannot be made. Safe to call twice.
int vitals_signals_install(void);

/// The first termination signal received since install, or 0.
int vitals_signals_pending(void);

/// Whether a suspend (SIGTSTP, Ctrl-Z) was asked for since the last call; clears the request.
int vitals_signals_take_suspend(void);

/// Stops the process the way SIGTSTP's default action does, and returns once it is continued
/// (at once when its process group is orphaned and the kernel will not stop it).
void vitals_signals_suspend_now(void);

/// The read end of the wake pipe: readable once a termination signal has arrived; -1 before install.
int vitals_signals_wake_fd(void);

/// Wakes the run loop's wait (new data to draw); safe from any thread. Does nothing before install.
void vitals_signals_wake(void);

/// Saves the terminal modes of `fd` so a crash can put them back (async-signal-safe restore),
/// and starts the guard: a child process that puts them back if vitals dies without
/// `vitals_signals_forget_terminal` (killed, or a crash no handler could run for).
void vitals_signals_save_terminal(int fd);

/// Forgets the saved modes (the terminal was restored normally) and ends the guard.
void vitals_signals_forget_terminal(void);

#endif
