/* yamltree.c: builds the positioned node tree of yaml.h from libyaml's event stream.
 *
 * libyaml owns the lexing and reports its own errors with marks; we only stack nodes. The first
 * error ends the document (libyaml cannot resume), reported at the problem mark with libyaml's
 * own words. What libyaml accepts but we refuse, each an error at its position and a failed
 * parse: a key given twice in one mapping (YAML says keys are unique; libyaml does not check,
 * and last-wins would silently drop the first), a second document, anchors and aliases.
 * Must not print: errors go to struct tm_diag.
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "banned.h"

void tm_ynode_free(struct tm_ynode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		tm_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static struct tm_ynode *node_new(enum tm_ynode_type t, const yaml_mark_t *m)
{
	struct tm_ynode *n = tm_xcalloc(1, sizeof(*n));
	n->type = t;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static void add_kid(struct tm_ynode *parent, struct tm_ynode *kid)
{
	tm_xgrow((void **)&parent->kids, &parent->cap, parent->n + 1, sizeof(*parent->kids));
	parent->kids[parent->n++] = kid;
}

const char *tm_ytype_name(enum tm_ynode_type t)
{
	return t == TM_Y_SCALAR ? "a scalar" : t == TM_Y_SEQ ? "a list" : "a mapping";
}

const struct tm_ynode *tm_ymap_get(const struct tm_ynode *map, const char *k)
{
	if (!map || map->type != TM_Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->kids[i]->type == TM_Y_SCALAR && strcmp(map->kids[i]->str, k) == 0)
			return map->kids[i + 1];
	return NULL;
}

static enum tm_ystyle style_of(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return TM_YS_SINGLE;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return TM_YS_DOUBLE;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE: return TM_YS_BLOCK;
	default: return TM_YS_PLAIN;
	}
}

#define MAX_DEPTH 64

/* Errors for each scalar key of the closed mapping map that an earlier key repeats; returns how
 * many. Quadratic, but mappings in packs and configs have tens of keys. */
static int check_duplicates(const struct tm_ynode *map, const struct tm_src *src, struct tm_diag *d)
{
	int dups = 0;
	for (size_t i = 2; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i];
		if (k->type != TM_Y_SCALAR)
			continue;
		for (size_t j = 0; j < i; j += 2) {
			const struct tm_ynode *f = map->kids[j];
			if (f->type == TM_Y_SCALAR && f->len == k->len && memcmp(f->str, k->str, k->len) == 0) {
				tm_diag_error(d, src, k->line, k->col, "duplicate key '%s' (first on line %u)", k->str,
					      f->line);
				dups++;
				break;
			}
		}
	}
	return dups;
}

struct tm_ynode *tm_yaml_parse(const struct tm_src *src, struct tm_diag *d, int *empty)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct tm_ynode *stack[MAX_DEPTH];
	size_t depth = 0;
	struct tm_ynode *root = NULL;
	int done = 0, failed = 0, dups = 0;
	unsigned ndocs = 0;

	*empty = 0;
	if (!yaml_parser_initialize(&parser)) {
		tm_diag_error(d, src, 0, 0, "cannot initialise the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)src->buf, src->len);
	while (!done && !failed) {
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = &parser.problem_mark;
			const yaml_mark_t *c = &parser.context_mark;
			if (parser.context)
				tm_diag_error(d, src, (unsigned)m->line + 1, (unsigned)m->column + 1,
					      "YAML: %s %s", parser.problem ? parser.problem : "syntax error",
					      parser.context);
			else
				tm_diag_error(d, src, (unsigned)m->line + 1, (unsigned)m->column + 1,
					      "YAML: %s", parser.problem ? parser.problem : "syntax error");
			if (parser.context && (c->line != m->line || c->column != m->column))
				tm_diag_note(d, src, (unsigned)c->line + 1, (unsigned)c->column + 1,
					     "%s started here", strncmp(parser.context, "while parsing ", 14) == 0 ?
					     parser.context + 14 : parser.context);
			failed = 1;
			break;
		}
		struct tm_ynode *n = NULL;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			n = node_new(TM_Y_SCALAR, &ev.start_mark);
			n->str = tm_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
			n->len = ev.data.scalar.length;
			n->style = style_of(ev.data.scalar.style);
			if (ev.data.scalar.anchor)
				tm_diag_error(d, src, n->line, n->col, "YAML anchors are not supported");
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			n = node_new(ev.type == YAML_SEQUENCE_START_EVENT ? TM_Y_SEQ : TM_Y_MAP, &ev.start_mark);
			if (depth == MAX_DEPTH) {
				tm_diag_error(d, src, n->line, n->col, "YAML nested deeper than %d levels", MAX_DEPTH);
				tm_ynode_free(n);
				failed = 1;
				break;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			n = stack[--depth];
			if (n->type == TM_Y_MAP)
				dups += check_duplicates(n, src, d);
			break;
		case YAML_ALIAS_EVENT:
			tm_diag_error(d, src, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
				      "YAML aliases are not supported");
			failed = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++ == 0)
				break;
			tm_diag_error(d, src, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
				      "YAML: a second document is not supported (one document per file)");
			failed = 1;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		int opens = ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
		yaml_event_delete(&ev);
		if (!n || failed)
			continue;
		if (opens) {
			stack[depth++] = n;
			continue;
		}
		if (depth == 0)
			root = n;   /* read on: a second document is an error */
		else
			add_kid(stack[depth - 1], n);
	}
	if (failed || dups) {
		while (depth)
			tm_ynode_free(stack[--depth]);
		/* root is only set once the outermost node closed, so nothing else is held */
		tm_ynode_free(root);
		root = NULL;
	}
	yaml_parser_delete(&parser);
	if (!root && !failed && !dups)
		*empty = 1;
	return root;
}
