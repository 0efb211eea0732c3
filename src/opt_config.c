/* opt_config.c: a YAML config file laid over a command's settings through its option tables.
 *
 * A section's keys are the option names with '_' for '-' (aliases too), and a value goes through
 * the same setter as the flag, so a config key and its flag cannot disagree. Sections that another
 * command reads are accepted and skipped; anything else is an error with a "did you mean".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/io.h"
#include "trainmon/opt.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "opt_int.h"
#include "banned.h"

/* Every top-level section any command reads. */
static const char *const known_sections[] = { "job", "files", "watch", "alerts", "metrics", "estimate",
					      "anomalies", "notify", "alertmanager" };
#define NKNOWN (sizeof(known_sections) / sizeof(known_sections[0]))
#define CONFIG_MAX (4u << 20)

static const char *row_section(const struct tm_opt_group *g, const struct tm_opt *o)
{
	return o->section ? o->section : g->section;
}

static int configurable(const struct tm_opt *o)
{
	return o->kind != TM_OPT_HEADING && o->kind != TM_OPT_HELP && o->kind != TM_OPT_CONFIG &&
	       !(o->flags & TM_OPTF_NO_CONFIG);
}

/* The key as a flag name ('_' for '-'), compared with a name or one alias. */
static int key_is(const char *key, const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < len && key[i]; i++)
		if ((key[i] == '_' ? '-' : key[i]) != name[i])
			return 0;
	return i == len && key[i] == '\0';
}

/* The next row of section sect at or after (*g, *i), or NULL; advance with ++*i. */
static const struct tm_opt *next_row(const struct tm_cmd_spec *spec, const char *sect, size_t *g, size_t *i)
{
	for (; *g < spec->ngroups; ++*g, *i = 0)
		for (; *i < spec->groups[*g].nopts; ++*i) {
			const struct tm_opt *o = &spec->groups[*g].opts[*i];
			const char *s = row_section(&spec->groups[*g], o);
			if (configurable(o) && s && strcmp(s, sect) == 0)
				return o;
		}
	return NULL;
}

static const struct tm_opt *find_row(const struct tm_cmd_spec *spec, const char *sect, const char *key, size_t *gi)
{
	const struct tm_opt *o;
	for (size_t g = 0, i = 0; (o = next_row(spec, sect, &g, &i)) != NULL; i++) {
		int hit = key_is(key, o->name, strlen(o->name));
		for (const char *a = o->aliases; !hit && a && *a;) {
			size_t len = strcspn(a, " ");
			hit = key_is(key, a, len);
			a += len;
			a += strspn(a, " ");
		}
		if (hit) {
			*gi = g;
			return o;
		}
	}
	return NULL;
}

/* "watch: unknown key 'x' (did you mean 'y'?)": the names as config keys ('_' for '-'). */
static int unknown_key(const struct tm_cmd_spec *spec, const char *sect, const struct tm_ynode *k,
		       const struct tm_src *src, struct tm_diag *d)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	const struct tm_opt *o;
	for (size_t g = 0, i = 0; (o = next_row(spec, sect, &g, &i)) != NULL; i++) {
		tm_xgrow((void **)&names, &cap, n + 1, sizeof(*names));
		char *key = names[n++] = tm_xstrdup(o->name);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
	}
	char ctx[64];
	snprintf(ctx, sizeof(ctx), "%s: ", sect);
	tm_diag_unknown(d, src, k, ctx, "key", k->type == TM_Y_SCALAR ? k->str : "?", (const char *const *)names, n);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 1;
}

/* One value (a scalar) for row o. */
static int set_value(struct tm_cli *cli, const struct tm_opt *o, void *base, const char *sect,
		     const struct tm_ynode *k, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	if (v->type != TM_Y_SCALAR)
		return tm_diag_error(d, src, v->line, v->col, "%s: '%s' must be a scalar, not %s", sect, k->str,
				     tm_ytype_name(v->type)), 1;
	const char *arg = v->str;
	if (!tm__opt_takes_arg(o)) {
		if (strcmp(arg, "true") && strcmp(arg, "false"))
			return tm_diag_error(d, src, v->line, v->col, "%s: '%s' must be true or false", sect, k->str), 1;
	} else if (o->kind == TM_OPT_STR || o->kind == TM_OPT_LIST || o->kind == TM_OPT_CUSTOM) {
		arg = tm__cli_keep(cli, arg);
	}
	char err[320];
	if (tm__opt_set(base, o, arg, TM_SRC_CONFIG, err, sizeof(err))) {
		/* "--gpus: ..." reads as "gpus: ..." in a config file */
		tm_diag_error(d, src, v->line, v->col, "%s: %s", sect, strncmp(err, "--", 2) == 0 ? err + 2 : err);
		return 1;
	}
	return 0;
}

int tm_opt_read_map(struct tm_cli *cli, const char *sect, const struct tm_ynode *map, void *const *dst,
		    const char *skip_key, const struct tm_src *src, struct tm_diag *d)
{
	if (map->type != TM_Y_MAP)
		return tm_diag_error(d, src, map->line, map->col, "'%s' must be a mapping, not %s", sect,
				     tm_ytype_name(map->type)), 1;
	int errors = 0;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR) {
			tm_diag_error(d, src, k->line, k->col, "%s: keys must be strings", sect);
			errors++;
			continue;
		}
		if (skip_key && strcmp(k->str, skip_key) == 0)
			continue;
		size_t g = 0;
		const struct tm_opt *o = find_row(cli->spec, sect, k->str, &g);
		if (!o) {
			errors += unknown_key(cli->spec, sect, k, src, d);
			continue;
		}
		if (!dst[g])
			continue;
		if (o->kind == TM_OPT_LIST && v->type == TM_Y_SEQ) {
			for (size_t q = 0; q < v->n; q++)
				errors += set_value(cli, o, dst[g], sect, k, v->kids[q], src, d);
			continue;
		}
		errors += set_value(cli, o, dst[g], sect, k, v, src, d);
	}
	return errors;
}

static int has_section(const struct tm_cmd_spec *spec, const char *name)
{
	size_t g = 0, i = 0;
	return next_row(spec, name, &g, &i) != NULL;
}

int tm__config_read(struct tm_cli *cli, const char *path, void *const *dst, void *ctx, struct tm_diag *d)
{
	const struct tm_cmd_spec *spec = cli->spec;
	char *buf;
	size_t len;
	struct tm_src src = { path, NULL, 0 };
	int rc = tm_read_small_file(path, CONFIG_MAX, &buf, &len);
	if (rc < 0) {
		tm_diag_error(d, &src, 0, 0, "cannot read config: %s",
			      rc == -EFBIG ? "larger than 4 MiB" : strerror(-rc));
		return rc;
	}
	src.buf = buf;
	src.len = len;
	int empty, errors = 0;
	struct tm_ynode *root = tm_yaml_parse(&src, d, &empty);
	if (!root) {
		free(buf);
		return empty ? 0 : 1;
	}
	if (root->type != TM_Y_MAP) {
		tm_diag_error(d, &src, root->line, root->col, "a config file must be a mapping, not %s",
			      tm_ytype_name(root->type));
		errors++;
	}
	for (size_t i = 0; root->type == TM_Y_MAP && i + 1 < root->n; i += 2) {
		const struct tm_ynode *k = root->kids[i], *v = root->kids[i + 1];
		const char *key = k->type == TM_Y_SCALAR ? k->str : "?";
		size_t s;
		for (s = 0; s < spec->nsections; s++)
			if (strcmp(spec->sections[s].name, key) == 0)
				break;
		if (s < spec->nsections) {
			errors += spec->sections[s].read(ctx, v, &src, d);
			continue;
		}
		if (has_section(spec, key)) {
			errors += tm_opt_read_map(cli, key, v, dst, NULL, &src, d);
			continue;
		}
		for (s = 0; s < NKNOWN; s++)
			if (strcmp(known_sections[s], key) == 0)
				break;
		if (s < NKNOWN)
			continue;      /* another command's section */
		tm_diag_unknown(d, &src, k, NULL, "top-level key", key, known_sections, NKNOWN);
		errors++;
	}
	tm_ynode_free(root);
	free(buf);
	return errors;
}
