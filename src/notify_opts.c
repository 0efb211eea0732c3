/* notify_opts.c: the settings of --alertmanager and --webhook delivery (notify.h): their option
 * rows (config section `notify:`) and the config's `alertmanager: labels:` mapping.
 *
 * Rows only: parsing and bounds are opt.c's, delivery is notify.c's. Secrets (URLs, the bearer
 * token) are kept as given (env:NAME, file:PATH or a URL) and resolved only by tm_notify_new, so
 * a SIGHUP or a --help never reads them. Label names are checked by labels.c, as Prometheus spells them.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/labels.h"
#include "trainmon/notify.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "banned.h"

void tm_notify_opts_init(struct tm_notify_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->webhook_format = TM_NF_JSON;
	o->resend_s = 60;
	o->event_ttl_s = 3600;
	o->timeout_s = 10;
	o->connect_timeout_s = 5;
	o->retry_min_s = 1;
	o->retry_max_s = 60;
	o->queue_max = 1000;
}

void tm_notify_opts_release(struct tm_notify_opts *o)
{
	tm_strv_release(&o->alertmanager);
	tm_strv_release(&o->webhook);
	tm_strv_release(&o->label);
	for (size_t i = 0; i < o->ncfg_labels; i++)
		free(o->cfg_labels[i]);
	free(o->cfg_labels);
	o->cfg_labels = NULL;
	o->ncfg_labels = 0;
}

/* --label: also put on every series of /metrics, so checked as labels.c checks them there. */
static int set_label(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err,
		     size_t n)
{
	(void)src;
	(void)o;
	if (tm_label_check(arg, "--label", err, n))
		return -1;
	tm_strv_push(&((struct tm_notify_opts *)base)->label, arg);
	return 0;
}

static const char *const formats[] = { "json", "slack", NULL };

#define N(field) offsetof(struct tm_notify_opts, field)
static const struct tm_opt rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Notifications (a URL or token may be given as env:NAME or file:PATH):" },
	{ .kind = TM_OPT_LIST, .name = "alertmanager", .arg = "URL", .off = N(alertmanager),
	  .help = "post alerts to this Alertmanager's API v2 (repeatable; /api/v2/alerts\n"
		  "is added); re-posted while firing, endsAt set on resolve" },
	{ .kind = TM_OPT_STR, .name = "alertmanager-bearer-token", .arg = "env:NAME|file:PATH",
	  .off = N(bearer), .help = "send 'Authorization: Bearer TOKEN' to Alertmanager" },
	{ .kind = TM_OPT_CUSTOM, .name = "label", .arg = "KEY=VALUE", .set = set_label, .flags = TM_OPTF_NO_CONFIG,
	  .help = "a static label of every series on /metrics and every Alertmanager\n"
		  "alert (repeatable; config: labels: {KEY: VALUE}; alerts only:\n"
		  "alertmanager: labels:)" },
	{ .kind = TM_OPT_NUM, .name = "alertmanager-resend", .arg = "SECONDS", .off = N(resend_s), .min = 1,
	  .max = 3600, .help = "re-post firing alerts this often (default 60; they are valid for 4x it)" },
	{ .kind = TM_OPT_NUM, .name = "alertmanager-event-ttl", .arg = "SECONDS", .off = N(event_ttl_s),
	  .max = HUGE_VAL, .help = "failure, finished and ended alerts resolve after this long (default\n"
				   "3600; 0: only when their run's file is released)" },
	{ .kind = TM_OPT_STR, .name = "alertmanager-generator-url", .arg = "URL", .off = N(generator_url),
	  .help = "generatorURL of the alerts (e.g. this host's /metrics or a dashboard)" },
	{ .kind = TM_OPT_LIST, .name = "webhook", .arg = "URL", .off = N(webhook),
	  .help = "POST each alert transition to URL (repeatable)" },
	{ .kind = TM_OPT_CHOICE, .name = "webhook-format", .arg = "json|slack", .off = N(webhook_format),
	  .choices = formats, .help = "json: the --jsonl alert record (default); slack: Slack's incoming-\n"
				      "webhook message" },
	{ .kind = TM_OPT_NUM, .name = "notify-timeout", .arg = "SECONDS", .off = N(timeout_s), .min = 0.1,
	  .max = 3600, .help = "a delivery attempt's deadline, connecting included (default 10)" },
	{ .kind = TM_OPT_NUM, .name = "notify-connect-timeout", .arg = "SECONDS", .off = N(connect_timeout_s),
	  .min = 0.1, .max = 3600, .help = "its connection's deadline (default 5)" },
	{ .kind = TM_OPT_NUM, .name = "notify-retry-min", .arg = "SECONDS", .off = N(retry_min_s), .min = 0.01,
	  .max = 3600, .help = "retries wait a random time up to min(retry-max, retry-min x 2^N)\n"
			       "(\"full jitter\"; default 1)" },
	{ .kind = TM_OPT_NUM, .name = "notify-retry-max", .arg = "SECONDS", .off = N(retry_max_s), .min = 0.01,
	  .max = 86400, .help = "the cap of that wait (default 60)" },
	{ .kind = TM_OPT_SIZE, .name = "notify-queue", .arg = "N", .off = N(queue_max), .min = 1, .max = 1e7,
	  .expect = "a count from 1 to 10000000",
	  .help = "notifications kept per destination while it is down (default 1000);\n"
		  "then the oldest are dropped and counted" },
};
#undef N

const struct tm_opt *tm_notify_opt_rows(size_t *n)
{
	*n = sizeof(rows) / sizeof(rows[0]);
	return rows;
}

int tm_notify_read_am_section(struct tm_notify_opts *o, const struct tm_ynode *v, const struct tm_src *src,
			      struct tm_diag *d)
{
	if (v->type != TM_Y_MAP)
		return tm_diag_error(d, src, v->line, v->col, "'alertmanager' must be a mapping with 'labels'"), 1;
	int errors = 0;
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct tm_ynode *k = v->kids[i], *m = v->kids[i + 1];
		if (k->type != TM_Y_SCALAR || strcmp(k->str, "labels") != 0) {
			tm_diag_error(d, src, k->line, k->col, "alertmanager: unknown key '%s' (the URLs and timings are "
				      "in 'notify:'; here only 'labels')", k->type == TM_Y_SCALAR ? k->str : "?");
			errors++;
			continue;
		}
		errors += tm_labels_read_map(m, "alertmanager: labels", 0, &o->cfg_labels, &o->ncfg_labels, src, d);
	}
	return errors;
}
