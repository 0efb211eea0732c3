/* yaml.h: libyaml -> a small tree of positioned nodes, for rule packs and config files.
 *
 * Loaders validate the tree and report errors at each node's line and column, so the tree keeps
 * libyaml's marks (converted to 1-based) and each scalar's quoting style (regex error columns
 * depend on it). Anchors and aliases are refused: rule packs and configs have no use for them.
 */
#ifndef TRAINMON_YAML_H
#define TRAINMON_YAML_H

#include <stddef.h>

#include "trainmon/diag.h"

enum tm_ynode_type { TM_Y_SCALAR, TM_Y_SEQ, TM_Y_MAP };
enum tm_ystyle { TM_YS_PLAIN, TM_YS_SINGLE, TM_YS_DOUBLE, TM_YS_BLOCK };

struct tm_ynode {
	enum tm_ynode_type type;
	unsigned line, col;          /* 1-based position of the node's first character */
	enum tm_ystyle style;        /* scalars */
	char *str;                   /* owned, NUL-terminated scalar text */
	size_t len;                  /* scalar bytes (may contain NUL) */
	struct tm_ynode **kids;      /* owned; SEQ: items; MAP: key0, value0, key1, value1, ... */
	size_t n;                    /* number of kids (2 x pairs for a MAP) */
	size_t cap;
};

/* Parses src, which must hold one document. Returns the root (owned by the caller, free with
 * tm_ynode_free) or NULL after adding located errors to d: libyaml's first syntax error, every key
 * repeated within a mapping ("duplicate key 'k' (first on line N)", at the repeat), a second
 * document (at its start). An empty document yields NULL and no error (*empty set to 1). */
struct tm_ynode *tm_yaml_parse(const struct tm_src *src, struct tm_diag *d, int *empty);
void tm_ynode_free(struct tm_ynode *n);

/* For MAP nodes: the value of key k, or NULL. */
const struct tm_ynode *tm_ymap_get(const struct tm_ynode *map, const char *k);
const char *tm_ytype_name(enum tm_ynode_type t);

/* The one message for an unknown key or value at node at (vocab.c), for rule packs and config
 * sections alike:
 *   CTXunknown WHAT 'NAME' (did you mean 'HINT'?)     when a known name is within 2 edits
 *   CTXunknown WHAT 'NAME' (expected a, b or c)       else, when n <= TM_UNKNOWN_LIST_MAX
 *   CTXunknown WHAT 'NAME'                            else
 * ctx is a prefix such as "rule 'x': " or "job: " (NULL = none); what names the kind of thing
 * ("key", "event kind"); known[0..n) are the valid names (NULL entries are skipped for hints).
 * at may be NULL (no position). Adds one error to d and returns -1, like tm_diag_error(). */
#define TM_UNKNOWN_LIST_MAX 6
int tm_diag_unknown(struct tm_diag *d, const struct tm_src *src, const struct tm_ynode *at,
		    const char *ctx, const char *what, const char *name, const char *const *known, size_t n);

#endif
