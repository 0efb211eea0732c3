/* opt_help.c: a command's help text, from its option tables.
 *
 * `trainmon CMD --help` and `trainmon help CMD` print the same text, because both come from here;
 * tests/docs/man_options.sh checks that docs/man/trainmon.1 documents every option and alias
 * this prints, so a new row cannot go undocumented.
 */
#include <stdio.h>
#include <string.h>

#include "trainmon/opt.h"
#include "opt_int.h"
#include "banned.h"

#define HELP_COL 24

static void print_aliases(const char *aliases, FILE *f)
{
	for (const char *a = aliases; a && *a;) {
		size_t len = strcspn(a, " ");
		fprintf(f, "%s--%.*s", a == aliases ? "" : ", ", (int)len, a);
		a += len;
		a += strspn(a, " ");
	}
}

static void help_row(const struct tm_opt *o, FILE *f)
{
	char left[128];
	int n;
	if (o->shortc)
		n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", o->shortc, o->name, o->arg ? " " : "",
			     o->arg ? o->arg : "");
	else
		n = snprintf(left, sizeof(left), "  --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	fputs(left, f);
	if (n <= HELP_COL - 2)
		fprintf(f, "%*s", HELP_COL - n, "");
	else
		fprintf(f, "\n%*s", HELP_COL, "");       /* a long flag: its help on the next line */
	for (const char *h = o->help ? o->help : ""; ; ) {
		size_t len = strcspn(h, "\n");
		fprintf(f, "%.*s\n", (int)len, h);
		if (!h[len])
			break;
		h += len + 1;
		fprintf(f, "%*s", HELP_COL, "");
	}
	if (o->aliases) {
		fprintf(f, "%*salso ", HELP_COL, "");
		print_aliases(o->aliases, f);
		fputc('\n', f);
	}
}

void tm_cmd_help(const struct tm_cmd_spec *spec, FILE *f)
{
	fputs(spec->usage, f);
	fputc('\n', f);
	for (size_t g = 0; g < spec->ngroups; g++)
		for (size_t i = 0; i < spec->groups[g].nopts; i++) {
			const struct tm_opt *o = &spec->groups[g].opts[i];
			if (o->kind == TM_OPT_HEADING)
				fprintf(f, "%s\n", o->help);
			else if (!(o->flags & TM_OPTF_HIDDEN))
				help_row(o, f);
		}
	if (spec->epilog) {
		fputc('\n', f);
		fputs(spec->epilog, f);
	}
}
