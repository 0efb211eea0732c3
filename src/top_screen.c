/* top_screen.c: `trainmon top`'s terminal: the table, the detail view of one run and the help,
 * drawn with ncurses on the caller's tm_loop (top.h).
 *
 * ncurses owns the terminal: terminfo for every escape, colours only where the terminal has them
 * (and not under NO_COLOR), and a virtual screen it diffs, so each refresh sends only the cells
 * that changed (a frame is erased and drawn whole into it). Input is the stdin fd on the loop
 * (read with getch, non-blocking); SIGWINCH is blocked and read from a signalfd of our own, so
 * nothing runs in a signal handler. Must not: block, or print outside curses.
 */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "trainmon/top.h"
#include "trainmon/xalloc.h"
#include "banned.h"

enum view { V_TABLE, V_DETAIL, V_HELP };

struct tm_top_ui {
	struct tm_top_ui_cfg cfg;
	SCREEN *scr;                 /* owned */
	int winch_fd;                /* owned: signalfd for SIGWINCH */
	sigset_t old_mask;           /* the mask before SIGWINCH was blocked */
	uint64_t tick_timer, soon_timer; /* loop timer ids, 0 none */
	int utf8, color;
	attr_t style[TM_TOP_NSTYLES];
	struct tm_top_model m;
	char status[256];
	enum view view;
	char sel[512];               /* the selected run's file ("" none) */
	long top;                    /* first row shown */
	int scroll;                  /* detail and help: first line shown */
	int lines_drawn;             /* detail and help: lines of the last draw */
};

/* ---- drawing ---- */

static void put(struct tm_top_ui *u, int y, int x, enum tm_top_style st, attr_t extra, const char *s)
{
	if (y < 0 || y >= LINES || x >= COLS)
		return;
	attr_t a = u->style[st] | extra;
	attron(a);
	mvaddnstr(y, x, s, -1);
	attroff(a);
}

/* A whole-width bar (title, header, status). */
static void bar(struct tm_top_ui *u, int y, enum tm_top_style st, const char *left, const char *right)
{
	attr_t a = u->style[st];
	attron(a);
	mvhline(y, 0, ' ', COLS);
	int ll = (int)strlen(left), rl = (int)strlen(right);
	while (ll && left[ll - 1] == ' ')
		ll--;
	mvaddnstr(y, 0, left, ll < COLS ? ll : COLS);
	if (ll + rl + 2 <= COLS)
		mvaddstr(y, COLS - rl, right);
	attroff(a);
}

static void selected_index(struct tm_top_ui *u, long *sel)
{
	*sel = u->sel[0] ? tm_top_find(&u->m, u->sel) : -1;
	if (*sel < 0 && u->m.n) {
		*sel = 0;
		snprintf(u->sel, sizeof(u->sel), "%s", u->m.runs[0].file);
	}
}

static void draw_table(struct tm_top_ui *u)
{
	struct tm_top_layout l;
	tm_top_layout(&l, COLS);
	char cell[1024], title[256], tm[16];
	time_t now = time(NULL);
	struct tm lt;
	localtime_r(&now, &lt);
	strftime(tm, sizeof(tm), "%H:%M:%S", &lt);
	snprintf(title, sizeof(title), " trainmon top  %zu run%s  %s", u->m.n, u->m.n == 1 ? "" : "s", tm);
	bar(u, 0, TM_TOP_ST_TITLE, title, "?:help q:quit ");
	attron(u->style[TM_TOP_ST_HEADER]);
	mvhline(1, 0, ' ', COLS);
	attroff(u->style[TM_TOP_ST_HEADER]);
	for (int i = 0; i < l.ncols; i++) {
		tm_top_title(&u->m, l.c[i].col, l.c[i].w, u->utf8, cell, sizeof(cell));
		put(u, 1, l.c[i].x, TM_TOP_ST_HEADER, 0, cell);
	}
	long sel;
	selected_index(u, &sel);
	int rows = LINES - 3;
	if (rows < 1)
		rows = 1;
	if (sel >= 0 && sel < u->top)
		u->top = sel;
	if (sel >= u->top + rows)
		u->top = sel - rows + 1;
	if (u->top > (long)u->m.n - rows)
		u->top = (long)u->m.n - rows > 0 ? (long)u->m.n - rows : 0;
	for (int y = 0; y < rows && u->top + y < (long)u->m.n; y++) {
		long i = u->top + y;
		attr_t hl = i == sel ? A_REVERSE : 0;
		if (hl) {
			attron(hl);
			mvhline(2 + y, 0, ' ', COLS);
			attroff(hl);
		}
		for (int k = 0; k < l.ncols; k++) {
			enum tm_top_style st = tm_top_cell(&u->m.runs[i], l.c[k].col, l.c[k].w, u->utf8, cell, sizeof(cell));
			put(u, 2 + y, l.c[k].x, st, hl, cell);
		}
	}
	if (!u->m.n)
		put(u, 3, 1, TM_TOP_ST_DIM, 0, "no runs yet: waiting for log files");
	char st[400];
	if ((long)u->m.n > rows)                     /* where the window is in a long table */
		snprintf(st, sizeof(st), "%.256s, rows %ld-%ld of %zu", u->status, u->top + 1,
			 u->top + rows < (long)u->m.n ? u->top + rows : (long)u->m.n, u->m.n);
	else
		snprintf(st, sizeof(st), "%.256s", u->status);
	bar(u, LINES - 1, TM_TOP_ST_PLAIN, st, "s:sort Enter:details ");
}

struct lines_ctx {
	struct tm_top_ui *u;
	int n;                       /* lines produced so far */
};

static void detail_line(void *ctx, enum tm_top_style st, const char *text)
{
	struct lines_ctx *c = ctx;
	struct tm_top_ui *u = c->u;
	if (st == TM_TOP_ST_TITLE) {                 /* the first line: the title bar, never scrolled */
		bar(u, 0, TM_TOP_ST_TITLE, text, "Esc:back q:quit ");
		return;
	}
	int y = c->n++ - u->scroll;
	if (y >= 0 && 1 + y < LINES - 1)
		put(u, 1 + y, 0, st, 0, text);
}

static void draw_detail(struct tm_top_ui *u)
{
	long sel;
	selected_index(u, &sel);
	if (sel < 0) {
		u->view = V_TABLE;
		draw_table(u);
		return;
	}
	struct lines_ctx c = { u, 0 };
	tm_top_detail(&u->m.runs[sel], COLS, u->utf8, detail_line, &c);
	u->lines_drawn = c.n;
	bar(u, LINES - 1, TM_TOP_ST_PLAIN, u->status, "Up/Down:scroll ");
}

static const char *const help_text[] = {
	"Keys",
	"  Up/Down, j/k     select a run (PgUp/PgDn, Home/End)",
	"  Enter, Right, l  the run's details: values, alerts, events",
	"  Esc, Left, h     back to the table",
	"  s                sort by the next column (S: the previous one)",
	"  1-8              sort by column 1 (RUN) .. 8 (ALERTS)",
	"  r                reverse the order",
	"  ?                this help (any key returns)",
	"  q                quit (Ctrl-C too)",
	"",
	"Columns",
	"  RUN        the log file's name without its extension",
	"  STEP       the last step the framework logged",
	"  STEP T     the last step's time; STEP TIMES: the recent ones",
	"  TOK/S      tokens per second of the whole job (steady state)",
	"  MFU        model FLOPs utilisation (needs the GPU type: --gpu)",
	"  ETA        time left to the token target (--target-tokens)",
	"  ALERTS     alerts firing: low_mfu, throughput_drop, stall,",
	"             failure, and the run's end: finished or ended",
	"",
	"Colours: red failure, yellow warning, green finished (none under NO_COLOR).",
};

static void draw_help(struct tm_top_ui *u)
{
	bar(u, 0, TM_TOP_ST_TITLE, " trainmon top: help", "any key:back ");
	int n = (int)(sizeof(help_text) / sizeof(help_text[0]));
	for (int i = 0; i < n && 1 + i < LINES - 1; i++)
		put(u, 1 + i, 0, i == 0 || i == 10 ? TM_TOP_ST_HEADER : TM_TOP_ST_PLAIN, 0, help_text[i]);
	u->lines_drawn = n;
}

static void draw(struct tm_top_ui *u)
{
	erase();
	if (u->view == V_DETAIL)
		draw_detail(u);
	else if (u->view == V_HELP)
		draw_help(u);
	else
		draw_table(u);
	refresh();                   /* ncurses sends what differs from the screen */
}

static void update(struct tm_top_ui *u)
{
	u->m.sort = u->cfg.sort;
	u->m.reverse = u->cfg.reverse;
	u->cfg.fill(u->cfg.ctx, &u->m, u->status, sizeof(u->status));
	draw(u);
}

/* ---- input ---- */

static void move_sel(struct tm_top_ui *u, long delta, int absolute)
{
	long sel;
	selected_index(u, &sel);
	if (sel < 0)
		return;
	long to = absolute ? delta : sel + delta;
	if (to < 0)
		to = 0;
	if (to >= (long)u->m.n)
		to = (long)u->m.n - 1;
	snprintf(u->sel, sizeof(u->sel), "%s", u->m.runs[to].file);
}

static void set_sort(struct tm_top_ui *u, int col)
{
	u->cfg.sort = (enum tm_top_col)col;
	u->m.sort = u->cfg.sort;
	u->m.reverse = u->cfg.reverse;
	tm_top_sort(&u->m);
}

static void key(struct tm_top_ui *u, int ch)
{
	if (ch == 'q' || ch == 'Q') {
		tm_loop_stop(u->cfg.loop);
		return;
	}
	if (u->view == V_HELP) {
		u->view = V_TABLE;
		return;
	}
	if (ch == '?') {
		u->view = V_HELP;
		return;
	}
	int page = LINES - 4 > 1 ? LINES - 4 : 1;
	if (u->view == V_DETAIL) {
		int max = u->lines_drawn - (LINES - 2);
		switch (ch) {
		case 27: case KEY_LEFT: case 'h': case KEY_BACKSPACE: case 127: u->view = V_TABLE; return;
		case KEY_UP: case 'k': u->scroll--; break;
		case KEY_DOWN: case 'j': u->scroll++; break;
		case KEY_PPAGE: u->scroll -= page; break;
		case KEY_NPAGE: case ' ': u->scroll += page; break;
		case KEY_HOME: u->scroll = 0; break;
		case KEY_END: u->scroll = max; break;
		default: return;
		}
		if (u->scroll > max)
			u->scroll = max;
		if (u->scroll < 0)
			u->scroll = 0;
		return;
	}
	switch (ch) {
	case KEY_UP: case 'k': move_sel(u, -1, 0); break;
	case KEY_DOWN: case 'j': move_sel(u, 1, 0); break;
	case KEY_PPAGE: move_sel(u, -page, 0); break;
	case KEY_NPAGE: move_sel(u, page, 0); break;
	case KEY_HOME: case 'g': move_sel(u, 0, 1); break;
	case KEY_END: case 'G': move_sel(u, (long)u->m.n - 1, 1); break;
	case '\n': case '\r': case KEY_ENTER: case KEY_RIGHT: case 'l':
		if (u->m.n) {
			u->view = V_DETAIL;
			u->scroll = 0;
		}
		break;
	case 's': set_sort(u, (u->cfg.sort + 1) % TM_TOP_SPARK); break;   /* the sparkline is no key */
	case 'S': set_sort(u, (u->cfg.sort + TM_TOP_SPARK - 1) % TM_TOP_SPARK); break;
	case 'r': u->cfg.reverse = !u->cfg.reverse; set_sort(u, u->cfg.sort); break;
	default:
		if (ch >= '1' && ch < '1' + TM_TOP_SPARK)
			set_sort(u, ch - '1');
		break;
	}
}

static void on_input(void *ctx, int fd, uint32_t events)
{
	(void)fd;
	struct tm_top_ui *u = ctx;
	int ch, any = 0;
	while ((ch = getch()) != ERR) {
		any = 1;
		key(u, ch);
	}
	if (!any && (events & (EPOLLHUP | EPOLLERR))) {    /* the terminal is gone (ssh dropped) */
		tm_loop_stop(u->cfg.loop);
		tm_loop_del_fd(u->cfg.loop, STDIN_FILENO);
		return;
	}
	if (any)
		draw(u);
}

static void on_winch(void *ctx, int fd, uint32_t events)
{
	(void)events;
	struct tm_top_ui *u = ctx;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);       /* the terminal may have reflowed what it showed */
	draw(u);
}

static void on_tick(void *ctx, uint64_t now)
{
	(void)now;
	update(ctx);
}

static void on_soon(void *ctx, uint64_t now)
{
	(void)now;
	struct tm_top_ui *u = ctx;
	u->soon_timer = 0;
	update(u);
}

void tm_top_ui_changed(struct tm_top_ui *u)
{
	if (!u || u->soon_timer)
		return;
	u->soon_timer = tm_loop_timer_add(u->cfg.loop, 50, 0, on_soon, u);   /* a burst is drawn once */
}

/* ---- life ---- */

static void styles(struct tm_top_ui *u)
{
	const char *nc = getenv("NO_COLOR");          /* https://no-color.org: set and not empty */
	u->color = has_colors() && !(nc && nc[0]);
	u->style[TM_TOP_ST_PLAIN] = A_NORMAL;
	u->style[TM_TOP_ST_HEADER] = A_REVERSE;
	u->style[TM_TOP_ST_TITLE] = A_REVERSE | A_BOLD;
	u->style[TM_TOP_ST_DIM] = A_DIM;
	u->style[TM_TOP_ST_OK] = A_NORMAL;
	u->style[TM_TOP_ST_WARN] = A_BOLD;
	u->style[TM_TOP_ST_BAD] = A_BOLD | A_UNDERLINE;
	if (!u->color)
		return;
	start_color();
	short bg = use_default_colors() == OK ? -1 : COLOR_BLACK;
	init_pair(1, COLOR_YELLOW, bg);
	init_pair(2, COLOR_RED, bg);
	init_pair(3, COLOR_GREEN, bg);
	init_pair(4, COLOR_WHITE, COLOR_BLUE);
	u->style[TM_TOP_ST_WARN] = COLOR_PAIR(1) | A_BOLD;
	u->style[TM_TOP_ST_BAD] = COLOR_PAIR(2) | A_BOLD;
	u->style[TM_TOP_ST_OK] = COLOR_PAIR(3);
	u->style[TM_TOP_ST_TITLE] = COLOR_PAIR(4) | A_BOLD;
	u->style[TM_TOP_ST_HEADER] = A_REVERSE;
}

int tm_top_ui_start(struct tm_top_ui **out, const struct tm_top_ui_cfg *c, char *err, size_t errlen)
{
	*out = NULL;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "stdin and stdout must be a terminal (use --once or --batch N in scripts)");
		return -1;
	}
	const char *term = getenv("TERM");
	SCREEN *scr = newterm(term && term[0] ? term : "dumb", stdout, stdin);
	if (!scr) {
		snprintf(err, errlen, "cannot use the terminal '%s' (TERM; see infocmp)", term ? term : "");
		return -1;
	}
	struct tm_top_ui *u = tm_xcalloc(1, sizeof(*u));
	u->cfg = *c;
	u->scr = scr;
	u->winch_fd = -1;
	const char *cs = nl_langinfo(CODESET);
	u->utf8 = cs && strcmp(cs, "UTF-8") == 0;
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	styles(u);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &u->old_mask);
	u->winch_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (u->winch_fd >= 0)
		tm_loop_add_fd(c->loop, u->winch_fd, EPOLLIN, on_winch, u);
	tm_loop_add_fd(c->loop, STDIN_FILENO, EPOLLIN, on_input, u);
	uint64_t ms = (uint64_t)(c->interval_s * 1000);
	u->tick_timer = tm_loop_timer_add(c->loop, ms ? ms : 1, ms ? ms : 1, on_tick, u);
	update(u);
	*out = u;
	return 0;
}

void tm_top_ui_free(struct tm_top_ui *u)
{
	if (!u)
		return;
	tm_loop_del_fd(u->cfg.loop, STDIN_FILENO);
	if (u->winch_fd >= 0) {
		tm_loop_del_fd(u->cfg.loop, u->winch_fd);
		close(u->winch_fd);
	}
	if (u->tick_timer)
		tm_loop_timer_cancel(u->cfg.loop, u->tick_timer);
	if (u->soon_timer)
		tm_loop_timer_cancel(u->cfg.loop, u->soon_timer);
	endwin();
	delscreen(u->scr);
	sigprocmask(SIG_SETMASK, &u->old_mask, NULL);
	tm_top_model_release(&u->m);
	free(u);
}
