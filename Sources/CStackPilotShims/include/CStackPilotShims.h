#ifndef CSTACKPILOT_SHIMS_H
#define CSTACKPILOT_SHIMS_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

// Fixed-signature wrappers for libcurl's variadic calls, which Swift cannot call directly.
CURLcode sp_curl_easy_setopt_long(CURL *_Nonnull handle, CURLoption option, long value);
CURLcode sp_curl_easy_setopt_string(CURL *_Nonnull handle, CURLoption option, const char *_Nullable value);
CURLcode sp_curl_easy_setopt_pointer(CURL *_Nonnull handle, CURLoption option, void *_Nullable value);
CURLcode sp_curl_easy_setopt_off_t(CURL *_Nonnull handle, CURLoption option, curl_off_t value);
CURLcode sp_curl_easy_setopt_slist(CURL *_Nonnull handle, CURLoption option, struct curl_slist *_Nullable value);

typedef size_t (*sp_curl_data_callback)(char *_Nonnull data, size_t size, size_t count, void *_Nullable userdata);
CURLcode sp_curl_easy_setopt_write_callback(CURL *_Nonnull handle, sp_curl_data_callback _Nullable callback);
CURLcode sp_curl_easy_setopt_header_callback(CURL *_Nonnull handle, sp_curl_data_callback _Nullable callback);
CURLcode sp_curl_easy_setopt_read_callback(CURL *_Nonnull handle, sp_curl_data_callback _Nullable callback);

CURLcode sp_curl_easy_getinfo_long(CURL *_Nonnull handle, CURLINFO info, long *_Nonnull value);
CURLcode sp_curl_easy_getinfo_pointer(CURL *_Nonnull handle, CURLINFO info, void *_Nullable *_Nonnull value);
CURLMcode sp_curl_multi_setopt_long(CURLM *_Nonnull handle, CURLMoption option, long value);

// jansson's reference-counting and type-test macros, as functions.
void sp_json_incref(json_t *_Nullable json);
void sp_json_decref(json_t *_Nullable json);
json_type sp_json_typeof(const json_t *_Nonnull json);
int sp_json_dumps_flags(int indent, int preserve_order, int sort_keys, int compact);
// The current reference count (a JSONDocument mutates a node in place only when it holds the sole reference).
size_t sp_json_refcount(const json_t *_Nonnull json);

#endif
