#ifndef VITALS_CNCURSESW_SHIM_H
#define VITALS_CNCURSESW_SHIM_H

// NCURSES_WIDECHAR turns on ncurses' wide-character API (cchar_t, mvwaddnwstr, wget_wch).
// _XOPEN_SOURCE is deliberately not defined here: in a Clang module it changes glibc's fd_set and
// ucontext layouts from the ones the Glibc overlay sees, and a fresh build then fails with
// "'fd_set' is not present in definition ... in module 'CNcursesw'". Display widths come from
// VitalsUI, so wcwidth is not needed.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <locale.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <ncursesw/curses.h>

// ncurses keeps its state in mutable C globals, which Swift 6 refuses to touch; these accessors
// are the only way the rest of the program reaches them.
static inline WINDOW *vitals_stdscr(void) { return stdscr; }
static inline int vitals_lines(void) { return LINES; }
static inline int vitals_cols(void) { return COLS; }
static inline int vitals_colors(void) { return COLORS; }
static inline FILE *vitals_stdout(void) { return stdout; }
static inline FILE *vitals_stdin(void) { return stdin; }
static inline int vitals_color_pairs(void) { return COLOR_PAIRS; }
static inline int vitals_key_resize(void) { return KEY_RESIZE; }
static inline int vitals_err(void) { return ERR; }
static inline attr_t vitals_a_bold(void) { return A_BOLD; }
static inline attr_t vitals_a_dim(void) { return A_DIM; }
static inline attr_t vitals_a_underline(void) { return A_UNDERLINE; }
static inline attr_t vitals_a_reverse(void) { return A_REVERSE; }

static inline void vitals_set_locale(void) { setlocale(LC_ALL, ""); }

// Mouse: clicks, double clicks and the wheel. The masks are macros Swift cannot import.
static inline int vitals_key_mouse(void) { return KEY_MOUSE; }
static inline void vitals_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(200);
}

/// Reads the pending mouse event: 1 click, 2 double click, 3 wheel up, 4 wheel down, 0 other.
static inline int vitals_read_mouse(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    *x = event.x;
    *y = event.y;
    if (event.bstate & BUTTON1_DOUBLE_CLICKED) return 2;
    if (event.bstate & BUTTON1_CLICKED) return 1;
    if (event.bstate & BUTTON4_PRESSED) return 3;
    if (event.bstate & BUTTON5_PRESSED) return 4;
    return 0;
}

/// Writes `count` wide characters at (y, x) with the given attributes and colour pair.
static inline int vitals_put(int y, int x, const wchar_t *text, int count, attr_t attrs, short pair) {
    wattr_set(stdscr, attrs, pair, NULL);
    return mvwaddnwstr(stdscr, y, x, text, count);
}

#endif
