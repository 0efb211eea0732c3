/* opt.c: the option driver (see opt.h): argv to recorded flags, and one setter per row kind that
 * both flags and config values go through.
 *
 * getopt_long is built from the tables at each parse; every row and alias maps to one value
 * (OPT_BASE + its position), so the driver needs no per-command enum. Errors are written in the
 * form the user sees after "trainmon CMD: ". Nothing here prints.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/opt.h"
#include "trainmon/xalloc.h"
#include "opt_int.h"
#include "vocab.h"
#include "banned.h"

enum { OPT_BASE = 0x1000 };

void tm_strv_push(struct tm_strv *sv, const char *s)
{
	tm_xgrow((void **)&sv->v, &sv->cap, sv->n + 1, sizeof(*sv->v));
	sv->v[sv->n++] = s;
}

void tm_strv_release(struct tm_strv *sv)
{
	free(sv->v);
	memset(sv, 0, sizeof(*sv));
}

int tm_parse_quantity(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -1;
	double mult = 1;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mult = 1e3; break;
		case 'M': mult = 1e6; break;
		case 'B': case 'G': mult = 1e9; break;
		case 'T': mult = 1e12; break;
		case 'P': mult = 1e15; break;
		default: return -1;
		}
		end++;
		if (*end)
			return -1;
	}
	*out = v * mult;
	return 0;
}

int tm__opt_takes_arg(const struct tm_opt *o)
{
	switch (o->kind) {
	case TM_OPT_BOOL: case TM_OPT_HELP: case TM_OPT_HEADING: return 0;
	case TM_OPT_CUSTOM: return o->arg != NULL;
	default: return 1;
	}
}

/* "a positive number", "a number from 1 to 10", ... from the row's bounds. */
static void expectation(const struct tm_opt *o, char *buf, size_t n)
{
	if (o->expect)
		snprintf(buf, n, "%s", o->expect);
	else if (isinf(o->max) && o->min == 0)
		snprintf(buf, n, "a %s number", o->flags & TM_OPTF_ABOVE_MIN ? "positive" : "non-negative");
	else if (isinf(o->max))
		snprintf(buf, n, "a number %s %g", o->flags & TM_OPTF_ABOVE_MIN ? ">" : ">=", o->min);
	else
		snprintf(buf, n, "a number from %g to %g", o->min, o->max);
}

static int number(const struct tm_opt *o, const char *arg, double *v, char *err, size_t n)
{
	int ok = tm_parse_quantity(arg, v) == 0;
	if (ok)
		ok = (o->flags & TM_OPTF_ABOVE_MIN ? *v > o->min : *v >= o->min) &&
		     (o->flags & TM_OPTF_BELOW_MAX ? *v < o->max : *v <= o->max);
	if (!ok) {
		char want[160];
		expectation(o, want, sizeof(want));
		snprintf(err, n, "--%s: '%s' is not %s", o->name, arg, want);
		return -1;
	}
	return 0;
}

int tm__opt_set(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err,
		size_t n)
{
	char *at = (char *)base + o->off;
	double v = 0;
	switch (o->kind) {
	case TM_OPT_BOOL:
		*(int *)(void *)at = !arg || strcmp(arg, "false") != 0;
		return 0;
	case TM_OPT_STR:
	case TM_OPT_CONFIG:
		*(const char **)(void *)at = arg;
		return 0;
	case TM_OPT_LIST:
		tm_strv_push((struct tm_strv *)(void *)at, arg);
		return 0;
	case TM_OPT_NUM:
		if (number(o, arg, &v, err, n))
			return -1;
		*(double *)(void *)at = v;
		return 0;
	case TM_OPT_SIZE:
		if (number(o, arg, &v, err, n))
			return -1;
		*(size_t *)(void *)at = (size_t)v;
		return 0;
	case TM_OPT_UINT:
		if (number(o, arg, &v, err, n))
			return -1;
		*(unsigned *)(void *)at = (unsigned)v;
		return 0;
	case TM_OPT_CHOICE:
		for (int i = 0; o->choices[i]; i++)
			if (strcmp(o->choices[i], arg) == 0) {
				*(int *)(void *)at = i;
				return 0;
			}
		{
			size_t k = (size_t)snprintf(err, n, "--%s: '%s' is not ", o->name, arg);
			for (int i = 0; o->choices[i] && k < n; i++)
				k += (size_t)snprintf(err + k, n - k, "%s%s", o->choices[i],
						      !o->choices[i + 1] ? "" : !o->choices[i + 2] ? " or " : ", ");
		}
		return -1;
	case TM_OPT_CUSTOM:
		return o->set(base, o, arg, src, err, n);
	case TM_OPT_HELP:
	case TM_OPT_HEADING:
		return 0;
	}
	return 0;
}

void tm_cli_release(struct tm_cli *cli)
{
	for (size_t i = 0; i < cli->nstore; i++)
		free(cli->store[i]);
	free(cli->store);
	free(cli->occ);
	memset(cli, 0, sizeof(*cli));
}

/* Every spelling of every row, for getopt_long and "did you mean". */
struct spelling {
	const char *name;
	size_t len;              /* a name from aliases is not NUL-terminated */
	unsigned short g, i;
};

static size_t spellings(const struct tm_cmd_spec *spec, struct spelling *out)
{
	size_t k = 0;
	for (size_t g = 0; g < spec->ngroups; g++)
		for (size_t i = 0; i < spec->groups[g].nopts; i++) {
			const struct tm_opt *o = &spec->groups[g].opts[i];
			if (o->kind == TM_OPT_HEADING)
				continue;
			if (out)
				out[k] = (struct spelling){ o->name, strlen(o->name), (unsigned short)g, (unsigned short)i };
			k++;
			for (const char *a = o->aliases; a && *a;) {
				size_t len = strcspn(a, " ");
				if (out)
					out[k] = (struct spelling){ a, len, (unsigned short)g, (unsigned short)i };
				k++;
				a += len;
				a += strspn(a, " ");
			}
		}
	return k;
}

static void unknown_option(const struct spelling *sp, size_t nsp, const char *bad, char *err, size_t n)
{
	char word[128];
	snprintf(word, sizeof(word), "%s", bad + 2);
	word[strcspn(word, "=")] = '\0';
	const char **names = tm_xcalloc(nsp + 1, sizeof(*names));
	char **own = tm_xcalloc(nsp + 1, sizeof(*own));
	for (size_t i = 0; i < nsp; i++)
		names[i] = own[i] = tm_xstrndup(sp[i].name, sp[i].len);
	const char *hint = tm_did_you_mean(word, names, nsp);
	if (hint)
		snprintf(err, n, "unknown option '--%s' (did you mean '--%s'?)", word, hint);
	else
		snprintf(err, n, "unknown option '--%s'", word);
	for (size_t i = 0; i < nsp; i++)
		free(own[i]);
	free(own);
	free(names);
}

int tm_cli_parse(struct tm_cli *cli, const struct tm_cmd_spec *spec, int argc, char **argv, char *err,
		 size_t n)
{
	memset(cli, 0, sizeof(*cli));
	cli->spec = spec;
	size_t nsp = spellings(spec, NULL);
	struct spelling *sp = tm_xcalloc(nsp + 1, sizeof(*sp));
	spellings(spec, sp);
	struct option *lo = tm_xcalloc(nsp + 1, sizeof(*lo));
	char **names = tm_xcalloc(nsp + 1, sizeof(*names));
	char shorts[64];               /* "+" (stop at the first operand) first, then ':' (report a
					  missing value as ':'), then the letters */
	size_t ns = (size_t)snprintf(shorts, sizeof(shorts), "%s:", spec->getopt_flags ? spec->getopt_flags : "");
	for (size_t k = 0; k < nsp; k++) {
		const struct tm_opt *o = &spec->groups[sp[k].g].opts[sp[k].i];
		names[k] = tm_xstrndup(sp[k].name, sp[k].len);
		lo[k] = (struct option){ names[k], tm__opt_takes_arg(o) ? required_argument : no_argument, NULL,
					 OPT_BASE + (int)k };
		if (o->shortc && sp[k].name == o->name && ns + 3 < sizeof(shorts)) {
			shorts[ns++] = o->shortc;
			if (tm__opt_takes_arg(o))
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	int c, rc = 0;
	optind = 0;      /* 0, not 1: GNU getopt then also forgets a scan stopped mid-word ("-vh") */
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		size_t k = nsp;
		if (c >= OPT_BASE && c < OPT_BASE + (int)nsp) {
			k = (size_t)(c - OPT_BASE);
		} else if (c != '?' && c != ':') {
			for (size_t q = 0; q < nsp; q++)
				if (spec->groups[sp[q].g].opts[sp[q].i].shortc == c)
					k = q;
		}
		if (k == nsp) {
			const char *bad = argv[optind - 1];
			if (c == ':')
				snprintf(err, n, "option '%s' needs a value", bad);
			else if (optopt && !(bad[0] == '-' && bad[1] == '-'))
				snprintf(err, n, "unknown option '-%c'", optopt);
			else if (bad[0] == '-' && bad[1] == '-')
				unknown_option(sp, nsp, bad, err, n);
			else
				snprintf(err, n, "unknown option '%s'", bad);
			rc = -1;
			break;
		}
		const struct tm_opt *o = &spec->groups[sp[k].g].opts[sp[k].i];
		if (o->kind == TM_OPT_HELP) {
			cli->help_wanted = 1;
			rc = 1;
			break;
		}
		if (o->kind == TM_OPT_CONFIG)
			cli->config = optarg;
		tm_xgrow((void **)&cli->occ, &cli->capocc, cli->nocc + 1, sizeof(*cli->occ));
		cli->occ[cli->nocc++] = (struct tm_cli_occ){ sp[k].g, sp[k].i, tm__opt_takes_arg(o) ? optarg : NULL };
	}
	if (rc == 0) {
		cli->args = argv + optind;
		cli->nargs = (size_t)(argc - optind);
	}
	for (size_t k = 0; k < nsp; k++)
		free(names[k]);
	free(names);
	free(lo);
	free(sp);
	return rc;
}

int tm_cli_given(const struct tm_cli *cli, const char *name)
{
	for (size_t k = 0; k < cli->nocc; k++)
		if (strcmp(cli->spec->groups[cli->occ[k].g].opts[cli->occ[k].i].name, name) == 0)
			return 1;
	return 0;
}

/* The flags, in argv order, over whatever the config set. A repeatable flag replaces the config's
 * list rather than adding to it. */
static int apply_flags(struct tm_cli *cli, void *const *dst, char *err, size_t n)
{
	for (size_t k = 0; k < cli->nocc; k++) {
		const struct tm_cli_occ *oc = &cli->occ[k];
		const struct tm_opt *o = &cli->spec->groups[oc->g].opts[oc->i];
		if (o->kind == TM_OPT_LIST) {
			size_t first = k;
			for (size_t q = 0; q < k; q++)
				if (cli->occ[q].g == oc->g && cli->occ[q].i == oc->i)
					first = q;
			if (first == k)
				((struct tm_strv *)(void *)((char *)dst[oc->g] + o->off))->n = 0;
		}
		if (tm__opt_set(dst[oc->g], o, oc->arg, TM_SRC_FLAG, err, n))
			return -EINVAL;
	}
	return 0;
}

int tm_cli_apply(struct tm_cli *cli, void *const *dst, void *ctx, struct tm_diag *d, char *err, size_t n)
{
	if (cli->config) {
		int rc = tm__config_read(cli, cli->config, dst, ctx, d);
		if (rc)
			return rc;
	}
	return apply_flags(cli, dst, err, n);
}

const char *tm__cli_keep(struct tm_cli *cli, const char *s)
{
	tm_xgrow((void **)&cli->store, &cli->capstore, cli->nstore + 1, sizeof(*cli->store));
	return cli->store[cli->nstore++] = tm_xstrdup(s);
}
