/* dynlib.h: libcurl and libmicrohttpd, loaded the first time they are needed (dlopen).
 *
 * Only alert delivery (http.c) and the /metrics endpoint (metrics.c) use them. Linked, they made
 * every trainmon command map and relocate their 30-odd dependencies (TLS, Kerberos, LDAP, SSH)
 * at start: a program linking this project's other libraries starts in 4-5 ms, 18-22 ms with
 * these two (perf stat, 2026-12). Now `analyze`, `estimate` and a `watch` without --listen or
 * alert sinks never load them.
 *
 * Each table lists exactly the functions its user calls, is filled once (pthread_once) and is
 * never written after: a read-only view of a loaded library, like the dynamic linker's own. The
 * library names are the sonames of the libraries built against (CMake reads them; a library of
 * another soname is another ABI). A library that cannot be loaded, or lacks a function, gives NULL
 * and a message naming it, every time it is asked for.
 */
#ifndef TRAINMON_DYNLIB_H
#define TRAINMON_DYNLIB_H

#include <stddef.h>

#define CURL_DISABLE_TYPECHECK   /* calls go through the table: no type-checking macros */
#include <curl/curl.h>
#include <microhttpd.h>

struct tm_curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption option, ...);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t fd, int ev_bitmask, int *running);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
	CURLMsg *(*multi_info_read)(CURLM *m, int *left);
	CURLMcode (*multi_cleanup)(CURLM *m);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *e, CURLoption option, ...);
	CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *e);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **out, unsigned int flags);
	const char *(*url_strerror)(CURLUcode rc);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
};

struct tm_mhd_api {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
					   void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *d);
	enum MHD_Result (*run)(struct MHD_Daemon *d);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *timeout);
	enum MHD_Result (*add_connection)(struct MHD_Daemon *d, MHD_socket s, const struct sockaddr *addr,
					  socklen_t addrlen);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *d, enum MHD_DaemonInfoType t, ...);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
							       enum MHD_ConnectionInfoType t, ...);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
							    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header, const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
	void (*destroy_response)(struct MHD_Response *r);
};

/* The loaded tables, or NULL with why in err[0, n) (err may be NULL). Thread-safe. */
const struct tm_curl_api *tm_curl_api(char *err, size_t n);
const struct tm_mhd_api *tm_mhd_api(char *err, size_t n);

#endif
