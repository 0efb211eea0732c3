/* dynlib.c: libcurl and libmicrohttpd loaded on first use (see dynlib.h).
 *
 * The only process-wide state of trainmon: two tables, each written once under pthread_once and
 * read-only after, with the error that stopped its loading. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"
#include "banned.h"

#ifndef TM_CURL_SONAME
#define TM_CURL_SONAME "libcurl.so.4"
#endif
#ifndef TM_MHD_SONAME
#define TM_MHD_SONAME "libmicrohttpd.so.12"
#endif

struct table {
	pthread_once_t once;
	void *lib;                   /* the dlopen handle, kept for the process's life */
	int ok;
	char err[256];
};

/* Opens library `so` for t; 1 when it loaded. */
static int open_lib(struct table *t, const char *so)
{
	t->lib = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!t->lib)
		snprintf(t->err, sizeof(t->err), "cannot load %s: %s", so, dlerror());
	return t->lib != NULL;
}

/* Stores the address of function `name` into the slot at `slot` (a function pointer of size n):
 * 1, or 0 with t->err set. POSIX lets dlsym's data pointer carry a function's address. */
static int sym(struct table *t, const char *so, const char *name, void *slot, size_t n)
{
	void *f = t->lib ? dlsym(t->lib, name) : NULL;
	if (!f || n != sizeof(f)) {
		if (t->lib)
			snprintf(t->err, sizeof(t->err), "%s has no %s (too old?)", so, name);
		return 0;
	}
	memcpy(slot, &f, n);
	return 1;
}

/* The table api once t's loader ran, or NULL with t's error in err. */
static const void *loaded(struct table *t, void (*loader)(void), const void *api, char *err, size_t n)
{
	pthread_once(&t->once, loader);
	if (!t->ok && err && n)
		snprintf(err, n, "%s", t->err);
	return t->ok ? api : NULL;
}

#define SYM(t, so, api, field, name) ((t)->ok = (t)->ok && sym(t, so, name, &(api).field, sizeof((api).field)))

static struct tm_curl_api curl_api;
static struct table curl_tab = { PTHREAD_ONCE_INIT, NULL, 0, "" };

static void load_curl(void)
{
	struct table *t = &curl_tab;
	const char *so = TM_CURL_SONAME;
	t->ok = open_lib(t, so);
	SYM(t, so, curl_api, global_init, "curl_global_init");
	SYM(t, so, curl_api, global_cleanup, "curl_global_cleanup");
	SYM(t, so, curl_api, multi_init, "curl_multi_init");
	SYM(t, so, curl_api, multi_setopt, "curl_multi_setopt");
	SYM(t, so, curl_api, multi_socket_action, "curl_multi_socket_action");
	SYM(t, so, curl_api, multi_add_handle, "curl_multi_add_handle");
	SYM(t, so, curl_api, multi_remove_handle, "curl_multi_remove_handle");
	SYM(t, so, curl_api, multi_info_read, "curl_multi_info_read");
	SYM(t, so, curl_api, multi_cleanup, "curl_multi_cleanup");
	SYM(t, so, curl_api, easy_init, "curl_easy_init");
	SYM(t, so, curl_api, easy_setopt, "curl_easy_setopt");
	SYM(t, so, curl_api, easy_getinfo, "curl_easy_getinfo");
	SYM(t, so, curl_api, easy_strerror, "curl_easy_strerror");
	SYM(t, so, curl_api, easy_cleanup, "curl_easy_cleanup");
	SYM(t, so, curl_api, slist_append, "curl_slist_append");
	SYM(t, so, curl_api, slist_free_all, "curl_slist_free_all");
	SYM(t, so, curl_api, url, "curl_url");
	SYM(t, so, curl_api, url_set, "curl_url_set");
	SYM(t, so, curl_api, url_get, "curl_url_get");
	SYM(t, so, curl_api, url_strerror, "curl_url_strerror");
	SYM(t, so, curl_api, url_cleanup, "curl_url_cleanup");
	SYM(t, so, curl_api, free, "curl_free");
}

const struct tm_curl_api *tm_curl_api(char *err, size_t n)
{
	return loaded(&curl_tab, load_curl, &curl_api, err, n);
}

static struct tm_mhd_api mhd_api;
static struct table mhd_tab = { PTHREAD_ONCE_INIT, NULL, 0, "" };

static void load_mhd(void)
{
	struct table *t = &mhd_tab;
	const char *so = TM_MHD_SONAME;
	t->ok = open_lib(t, so);
	SYM(t, so, mhd_api, start_daemon, "MHD_start_daemon");
	SYM(t, so, mhd_api, stop_daemon, "MHD_stop_daemon");
	SYM(t, so, mhd_api, run, "MHD_run");
	SYM(t, so, mhd_api, get_timeout, "MHD_get_timeout");
	SYM(t, so, mhd_api, add_connection, "MHD_add_connection");
	SYM(t, so, mhd_api, get_daemon_info, "MHD_get_daemon_info");
	SYM(t, so, mhd_api, get_connection_info, "MHD_get_connection_info");
	SYM(t, so, mhd_api, create_response_from_buffer, "MHD_create_response_from_buffer");
	SYM(t, so, mhd_api, add_response_header, "MHD_add_response_header");
	SYM(t, so, mhd_api, queue_response, "MHD_queue_response");
	SYM(t, so, mhd_api, destroy_response, "MHD_destroy_response");
}

const struct tm_mhd_api *tm_mhd_api(char *err, size_t n)
{
	return loaded(&mhd_tab, load_mhd, &mhd_api, err, n);
}
