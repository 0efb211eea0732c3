/* opt.h: the one option system. Every command describes its settings as tables of `struct
 * tm_opt` rows; one driver turns a table into getopt_long, config-file sections, "did you mean",
 * and `--help` (and so `trainmon help CMD`, and the man page check that reads it).
 *
 * Key decision: parsing and applying are two steps. tm_cli_parse() only records which flags were
 * given (in argv order, nothing applied); tm_cli_apply() then lays config over defaults and the
 * flags over the config, into destination structs the caller names. So precedence is one rule
 * (flag > config > what the log prints > preset > default: the last three are summary.c's), and a
 * daemon's SIGHUP reload is the same call into fresh structs. Nothing here prints or exits: errors
 * go to the caller's buffer or diagnostics. There is no limit on repeats or on options.
 */
#ifndef TRAINMON_OPT_H
#define TRAINMON_OPT_H

#include <stddef.h>
#include <stdio.h>

#include "trainmon/diag.h"
#include "trainmon/provenance.h"

enum tm_opt_kind {
	TM_OPT_HEADING = 1, /* not an option: a help heading ("Alerts:"); only help is read */
	TM_OPT_BOOL,        /* no argument; int at off set to 1 (config: true or false) */
	TM_OPT_STR,         /* const char * at off (borrowed from argv, or from the cli's store) */
	TM_OPT_LIST,        /* repeatable: struct tm_strv at off; flags replace the config's list */
	TM_OPT_NUM,         /* double at off, SI suffixes (1T, 2.5B), within [min, max] */
	TM_OPT_SIZE,        /* size_t at off, same parsing and bounds */
	TM_OPT_UINT,        /* unsigned at off, same parsing and bounds */
	TM_OPT_CHOICE,      /* int at off = index of the argument in choices */
	TM_OPT_CUSTOM,      /* set() parses and stores */
	TM_OPT_CONFIG,      /* --config FILE: read by tm_cli_apply before the flags */
	TM_OPT_HELP,        /* --help: tm_cli_parse returns 1 after printing nothing; see help_wanted */
};

enum {
	TM_OPTF_ABOVE_MIN = 1u << 0, /* NUM/SIZE/UINT: min is exclusive (a "positive" number) */
	TM_OPTF_NO_CONFIG = 1u << 1, /* a flag only, even if the table has a section */
	TM_OPTF_BELOW_MAX = 1u << 3, /* NUM/SIZE/UINT: max is exclusive (a fraction below 1) */
	TM_OPTF_HIDDEN = 1u << 2,    /* accepted, not listed in help (aliases are listed with their target) */
};

struct tm_opt;
struct tm_ynode;

/* A custom setter: parses arg into the struct at base; returns 0, or -1 with a message in err
 * that starts with "--NAME: " (a config reader shows it as "SECTION: NAME: ..."). */
typedef int (*tm_opt_set_fn)(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src,
			     char *err, size_t errlen);

struct tm_opt {
	enum tm_opt_kind kind;
	const char *name;            /* flag without "--"; the config key is name with '_' for '-' */
	const char *arg;             /* metavar in help ("N", "SECONDS"), NULL for BOOL/HELP */
	const char *help;            /* help text; '\n' continues on an indented line */
	size_t off;                  /* offset of the destination in the group's struct */
	double min, max;             /* NUM/SIZE/UINT bounds (inclusive unless TM_OPTF_ABOVE_MIN/BELOW_MAX) */
	const char *expect;          /* "a fraction between 0 and 1 (e.g. 0.35)", NULL: from bounds */
	const char *const *choices;  /* CHOICE: NULL-terminated */
	tm_opt_set_fn set;           /* CUSTOM */
	int id;                      /* CUSTOM: for the setter's switch */
	const char *aliases;         /* other spellings, space-separated ("global-batch-size"), or NULL */
	const char *section;         /* config section of this row when it differs from the group's */
	char shortc;                 /* a one-letter flag, or 0 */
	unsigned flags;              /* TM_OPTF_* */
};

/* A repeatable option's values: an owned array of borrowed strings. */
struct tm_strv {
	const char **v;              /* owned array; strings borrowed (argv or the cli's store) */
	size_t n, cap;
};
void tm_strv_push(struct tm_strv *sv, const char *s);
void tm_strv_release(struct tm_strv *sv);

/* One table, the config section its rows belong to, and (at apply time) where its values go. */
struct tm_opt_group {
	const struct tm_opt *opts;
	size_t nopts;
	const char *section;         /* config section ("watch"), or NULL: flags only */
};

/* A custom config section (e.g. watch's `files:` list) read as a whole. */
struct tm_opt_section {
	const char *name;
	int (*read)(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d);
};

/* What a command accepts. Static data. */
struct tm_cmd_spec {
	const char *name;            /* "analyze" */
	const char *usage;           /* "usage: ...\nwhat it does\n" */
	const struct tm_opt_group *groups;
	size_t ngroups;
	const struct tm_opt_section *sections; /* custom config sections this command reads */
	size_t nsections;
	const char *epilog;          /* printed after the options (signals, exit status) */
	const char *getopt_flags;    /* extra getopt short-option prefix, e.g. "+" to stop at the first
					non-option (a subcommand), or NULL */
};

/* The flags of one command line, recorded by tm_cli_parse. */
struct tm_cli {
	const struct tm_cmd_spec *spec;       /* borrowed, static */
	struct tm_cli_occ {                   /* one flag occurrence */
		unsigned short g, i;          /* group and row */
		const char *arg;              /* borrowed from argv, NULL for BOOL */
	} *occ;                               /* owned, argv order */
	size_t nocc, capocc;
	char **args;                          /* borrowed from argv: the operands */
	size_t nargs;
	const char *config;                   /* the last --config, or NULL */
	int help_wanted;
	char **store;                         /* owned strings that config values point to */
	size_t nstore, capstore;
};

/* Records argv[1..] (argv[0] is the command name). Returns 0; 1 when --help was given; -1 on a
 * usage error with a message in err ("unknown option '--gpu-count' (did you mean '--gpus'?)").
 * The cli borrows argv. */
int tm_cli_parse(struct tm_cli *cli, const struct tm_cmd_spec *spec, int argc, char **argv, char *err,
		 size_t errlen);
void tm_cli_release(struct tm_cli *cli);

/* Lays the config file (when --config was given) and then the flags over dst[g] (one struct per
 * group, already holding the defaults). ctx goes to the spec's custom section readers.
 * Returns 0; a positive count of config errors (added to d); -errno when the config cannot be
 * read (also in d); or -EINVAL for a bad flag value, with the message in err. */
int tm_cli_apply(struct tm_cli *cli, void *const *dst, void *ctx, struct tm_diag *d, char *err,
		 size_t errlen);

/* Reads one mapping of config section sect (e.g. an entry of watch's `files:` list) into dst[g]
 * for the rows of that section; a group whose dst is NULL is skipped, and so is the key skip_key.
 * Returns the number of errors added to d. */
int tm_opt_read_map(struct tm_cli *cli, const char *sect, const struct tm_ynode *map, void *const *dst,
		    const char *skip_key, const struct tm_src *src, struct tm_diag *d);

/* Whether a flag of this name was given (for "flags win" decisions made by hand). */
int tm_cli_given(const struct tm_cli *cli, const char *name);

/* The help text: usage, every group's rows (headings, aliases), the epilog. */
void tm_cmd_help(const struct tm_cmd_spec *spec, FILE *f);

/* Parses a count with an optional SI suffix: "1e12", "1T", "2.5B" (= G), "300M", "64", "8k".
 * Returns 0 or -1. */
int tm_parse_quantity(const char *s, double *out);

#endif
