/* top_super.c: the parent of `trainmon top`'s terminal view (top.h, tm_top_supervise).
 *
 * A crash must not leave the user's terminal raw, without echo or cursor, on the alternate
 * screen. A handler for SIGSEGV would need the saved modes in a global, and nothing catches
 * SIGKILL; so the view runs in a child, and this parent, which saved the terminal's modes before
 * the fork and never touches the terminal otherwise, puts them back when the child died by a
 * signal. The child's stderr (the daemon's notes, a sanitizer's report) goes through a pipe to
 * the parent, which writes it after the terminal is restored, so the screen is never scribbled
 * on. The modes are also put back when the child exited without restoring them (a sanitizer's
 * report ends the process with _exit). This parent writes to stderr (the child's text, and why it died): the view's own output.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/top.h"
#include "trainmon/xalloc.h"
/* last: term.h defines macros named after capabilities (lines, columns, ...) */
#include <curses.h>
#include <term.h>
#include "banned.h"

#define KEEP (64 * 1024)             /* bytes of the child's stderr kept (the last ones) */

struct captured {
	char buf[2 * KEEP];
	size_t len;
	unsigned long long dropped;  /* bytes let go from the front */
};

static void keep(struct captured *c, const char *p, size_t n)
{
	if (n > KEEP) {                           /* only its last KEEP bytes can be kept */
		c->dropped += n - KEEP;
		p += n - KEEP;
		n = KEEP;
	}
	if (c->len + n > sizeof(c->buf)) {        /* keep the last KEEP bytes with these */
		size_t cut = c->len + n - KEEP;   /* <= len, as n <= KEEP */
		memmove(c->buf, c->buf + cut, c->len - cut);
		c->len -= cut;
		c->dropped += cut;
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
}

/* The terminal as it was: modes, then terminfo's exit sequences (main screen, cursor, no
 * attributes, keypad off), or the common ANSI ones without a terminfo entry. */
static void restore_terminal(const struct termios *saved)
{
	tcsetattr(STDIN_FILENO, TCSAFLUSH, saved);
	int err;
	if (setupterm(NULL, STDOUT_FILENO, &err) == OK) {
		static const char *const caps[] = { "sgr0", "cnorm", "rmkx", "rmcup" };
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
			const char *s = tigetstr(caps[i]);
			if (s && s != (char *)-1)
				(void)!write(STDOUT_FILENO, s, strlen(s));
		}
		del_curterm(cur_term);
	} else {
		static const char ansi[] = "\033[0m\033[?25h\033[?1l\033[?1049l";
		(void)!write(STDOUT_FILENO, ansi, sizeof(ansi) - 1);
	}
	(void)!write(STDOUT_FILENO, "\r\n", 2);
}

int tm_top_supervise(void)
{
	struct termios saved;
	int have_modes = tcgetattr(STDIN_FILENO, &saved) == 0;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		fprintf(stderr, "trainmon top: pipe: %s\n", strerror(errno));
		return TM_EXIT_SYSTEM;
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);     /* before the fork: no signal is lost in between */
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(pfd[0]);
		close(pfd[1]);
		fprintf(stderr, "trainmon top: fork: %s\n", strerror(e));
		return TM_EXIT_SYSTEM;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(pfd[0]);
		dup2(pfd[1], STDERR_FILENO);        /* dup2 clears O_CLOEXEC on the new fd */
		close(pfd[1]);
		return -1;
	}
	close(pfd[1]);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	struct captured *cap = tm_xcalloc(1, sizeof(*cap));
	int status = 0, done = 0, open_pipe = 1;
	while (!done || open_pipe) {
		struct pollfd pf[2] = { { sfd, POLLIN, 0 }, { open_pipe ? pfd[0] : -1, POLLIN, 0 } };
		if (poll(pf, 2, done ? 1000 : -1) < 0 && errno != EINTR)
			break;
		if (done && !(pf[1].revents & (POLLIN | POLLHUP)))
			break;                        /* the child is gone; a grandchild keeps the pipe */
		if (pf[1].revents & (POLLIN | POLLHUP)) {
			char b[8192];
			ssize_t n = read(pfd[0], b, sizeof(b));
			if (n > 0)
				keep(cap, b, (size_t)n);
			else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				open_pipe = 0;
		}
		struct signalfd_siginfo si;
		if ((pf[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				kill(pid, (int)si.ssi_signo);
		}
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
	}
	if (!done)
		waitpid(pid, &status, 0);
	close(pfd[0]);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* died by a signal, or exited without endwin() (a sanitizer's report and _exit): the
	 * modes tell, so a clean exit is never followed by stray escapes */
	struct termios now;
	int changed = have_modes && tcgetattr(STDIN_FILENO, &now) == 0 &&
		      (now.c_iflag != saved.c_iflag || now.c_oflag != saved.c_oflag || now.c_lflag != saved.c_lflag);
	int rc = WIFSIGNALED(status) ? TM_EXIT_SYSTEM : WEXITSTATUS(status);
	if (have_modes && (WIFSIGNALED(status) || changed))
		restore_terminal(&saved);
	if (cap->dropped)
		fprintf(stderr, "trainmon top: (%llu earlier bytes of messages dropped)\n", cap->dropped);
	if (cap->len)
		fwrite(cap->buf, 1, cap->len, stderr);
	if (WIFSIGNALED(status))
		fprintf(stderr, "trainmon top: the view died (signal %d, %s); terminal restored\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (changed)
		fprintf(stderr, "trainmon top: the view ended (exit %d) without restoring it; terminal restored\n", rc);
	free(cap);
	return rc;
}
