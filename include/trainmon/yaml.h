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

/* Parses the first document of src. Returns the root (owned by the caller, free with
 * tm_ynode_free) or NULL after adding a located error to d. An empty document yields NULL and no
 * error (*empty set to 1). */
struct tm_ynode *tm_yaml_parse(const struct tm_src *src, struct tm_diag *d, int *empty);
void tm_ynode_free(struct tm_ynode *n);

/* For MAP nodes: the value of key k, or NULL. */
const struct tm_ynode *tm_ymap_get(const struct tm_ynode *map, const char *k);
const char *tm_ytype_name(enum tm_ynode_type t);

#endif
